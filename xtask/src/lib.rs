//! Library half of `cargo xtask`, so its checks can also run as `#[test]`s.

pub mod ci;
pub mod codegen;
