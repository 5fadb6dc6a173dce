//! Library half of `cargo xtask`, so its checks can also run as `#[test]`s.

pub mod codegen;
pub mod ci;
