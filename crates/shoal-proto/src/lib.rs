//! Generated protobuf types and tonic services of shoal's public API (`proto/`).
//!
//! The code under `gen/` is produced by `cargo xtask codegen` and checked in;
//! a test fails when it is stale.

/// `shoal.v1`: the public KV and Cluster APIs (with serde impls in the proto3 JSON mapping).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    include!("gen/shoal.v1.rs");
    include!("gen/shoal.v1.serde.rs");
    include!("gen/shoal.v1.fds.rs");
}

/// gRPC metadata keys shoal's servers and clients agree on (wire constants).
pub mod metadata {
    /// The leader's node id, on NotLeader answers.
    pub const LEADER: &str = "shoal-leader";
    /// The leader's internal address, on NotLeader answers, when known.
    pub const LEADER_ADDRESS: &str = "shoal-leader-address";
    /// An error returned before the request was proposed or delivered: it changed nothing
    /// and may be sent again (NotLeader, WrongShard, not delivered).
    pub const NOT_APPLIED: &str = "shoal-not-applied";
    /// A compare-and-set mismatch: the version expected and the key's current one.
    pub const EXPECTED_VERSION: &str = "shoal-expected-version";
    pub const CURRENT_VERSION: &str = "shoal-current-version";
    /// A request forwarded by a peer (its node id); informational.
    pub const FORWARDED_BY: &str = "shoal-forwarded-by";
    /// The API key id of a forwarded request's caller (node to node only, over mTLS).
    pub const CALLER_KEY: &str = "shoal-caller-key";
}

/// A call that was never sent: refused on this side before anything went out (the test
/// fault rules drop it). [`never_sent`] recognizes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    reason: String,
}

impl NotSent {
    pub fn new(reason: impl Into<String>) -> NotSent {
        NotSent {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for NotSent {}

/// True when a failed call provably never reached the server, so it had no effect and may
/// be sent again elsewhere:
/// - the connection could not be opened (refused, or the connect attempt timed out);
/// - the request was still queued when its connection closed (hyper "canceled": it was
///   never written, as when a node shuts down gracefully);
/// - this side refused to send it ([`NotSent`]: test fault rules);
/// - the server refused the HTTP/2 stream (`REFUSED_STREAM`: by RFC 9113 §8.7 it was not
///   processed).
///
/// Anything else on an open connection — a reset, a keepalive timeout, a GOAWAY racing the
/// request — is not proof: the request may have been delivered.
pub fn never_sent(status: &tonic::Status) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(error) = source {
        if error.is::<tonic::ConnectError>() || error.is::<NotSent>() {
            return true;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        if let Some(hyper) = error.downcast_ref::<hyper::Error>()
            && hyper.is_canceled()
        {
            return true;
        }
        if let Some(h2) = error.downcast_ref::<h2::Error>()
            && h2.is_reset()
            && h2.is_remote()
            && h2.reason() == Some(h2::Reason::REFUSED_STREAM)
        {
            return true;
        }
        source = error.source();
    }
    false
}

/// `shoal.internal.v1`: node-to-node Raft traffic. Not a public API.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod internal {
    include!("gen/shoal.internal.v1.rs");
}
