//! Generated protobuf types and tonic services of shoal's public API (`proto/`).
//!
//! The code under `gen/` is produced by `cargo xtask codegen` and checked in;
//! a test fails when it is stale.

/// `shoal.v1`: the public KV and Cluster APIs (with serde impls in the proto3 JSON mapping).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    include!("gen/shoal.v1.rs");
    include!("gen/shoal.v1.serde.rs");
}

/// `shoal.internal.v1`: node-to-node Raft traffic. Not a public API.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod internal {
    include!("gen/shoal.internal.v1.rs");
}
