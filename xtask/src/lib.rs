//! Library half of `cargo xtask`, so its checks can also run as `#[test]`s.

pub mod bench;
pub mod chaos;
pub mod ci;
pub mod codegen;
pub mod containers;
pub mod image;
