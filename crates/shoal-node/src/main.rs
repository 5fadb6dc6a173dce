//! shoal
fn main() {}
