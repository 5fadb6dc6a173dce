//! The shoal node: configuration, assembly of the crates into a running node, the admin
//! endpoints, and the benchmark driver. `main.rs` is the CLI on top.

pub mod admin;
pub mod auth;
pub mod batch_file;
pub mod bench;
pub mod certs;
pub mod config;
pub mod debug;
pub mod dev;
pub mod health;
pub mod metrics;
pub mod node;
pub mod telemetry;
pub mod testing;
pub mod ui;
