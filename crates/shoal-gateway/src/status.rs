//! The one place where shoal errors become gRPC statuses, and statuses from peers become
//! shoal errors again.

use shoal_control::ControlError;
use shoal_proto::metadata;
use shoal_replication::{ErrorCode, ReplicationError};
use shoal_shardmap::{GroupId, NodeId};
use tonic::{Code, Status};

fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::Unsupported => Code::Unimplemented,
        ErrorCode::NotLeader | ErrorCode::WrongShard | ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Timeout => Code::DeadlineExceeded,
        ErrorCode::Internal => Code::Internal,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::PermissionDenied => Code::PermissionDenied,
        ErrorCode::DataLoss => Code::DataLoss,
        ErrorCode::ResourceExhausted => Code::ResourceExhausted,
    }
}

fn insert(status: &mut Status, key: &'static str, value: impl ToString) {
    if let Ok(value) = value.to_string().parse() {
        status.metadata_mut().insert(key, value);
    }
}

/// Maps a replication error to the gRPC status a client sees.
pub fn to_status(error: ReplicationError) -> Status {
    let mut status = Status::new(grpc_code(error.code()), error.to_string());
    if error.is_not_applied() {
        insert(&mut status, metadata::NOT_APPLIED, "true");
    }
    if let ReplicationError::VersionMismatch { expected, current } = &error {
        insert(&mut status, metadata::EXPECTED_VERSION, expected);
        insert(&mut status, metadata::CURRENT_VERSION, current);
    }
    if let ReplicationError::NotLeader {
        leader: Some(leader),
        leader_address,
        ..
    } = &error
    {
        insert(&mut status, metadata::LEADER, leader);
        if let Some(address) = leader_address {
            insert(&mut status, metadata::LEADER_ADDRESS, address);
        }
    }
    status
}

/// Maps a control-plane error (the same codes, through the replication error it wraps).
pub fn control_status(error: ControlError) -> Status {
    to_status(error.into())
}

/// The inverse, for the answer of a peer serving `group`: a NotLeader answer becomes
/// NotLeader of that group again (so the caller can follow the hint), a version mismatch
/// a mismatch; anything else keeps its code and message.
pub(crate) fn from_status(status: Status, group: GroupId) -> ReplicationError {
    let metadata = |key: &str| {
        status
            .metadata()
            .get(key)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let leader = metadata(metadata::LEADER)
        .and_then(|v| v.parse().ok())
        .map(NodeId);
    if status.code() == Code::Unavailable
        && (leader.is_some() || metadata(metadata::NOT_APPLIED).is_some())
    {
        return ReplicationError::NotLeader {
            group,
            leader,
            leader_address: metadata(metadata::LEADER_ADDRESS),
        };
    }
    if status.code() == Code::FailedPrecondition
        && let Some(current) = metadata(metadata::CURRENT_VERSION).and_then(|v| v.parse().ok())
    {
        return ReplicationError::VersionMismatch {
            expected: metadata(metadata::EXPECTED_VERSION)
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
            current,
        };
    }
    let code = match status.code() {
        Code::InvalidArgument | Code::OutOfRange => ErrorCode::InvalidArgument,
        Code::NotFound => ErrorCode::NotFound,
        Code::FailedPrecondition | Code::Aborted => ErrorCode::FailedPrecondition,
        Code::Unimplemented => ErrorCode::Unsupported,
        Code::DeadlineExceeded => ErrorCode::Timeout,
        Code::Unauthenticated => ErrorCode::Unauthenticated,
        Code::PermissionDenied => ErrorCode::PermissionDenied,
        Code::DataLoss => ErrorCode::DataLoss,
        Code::ResourceExhausted => ErrorCode::ResourceExhausted,
        Code::Unavailable | Code::Cancelled | Code::Unknown => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    ReplicationError::Remote {
        code,
        message: status.message().to_owned(),
    }
}

/// A request that never reached the peer: UNAVAILABLE, recognised by
/// `shoal_proto::never_sent` (safe to send elsewhere).
pub(crate) fn not_sent(why: String) -> Status {
    let mut status = Status::unavailable(why.clone());
    status.set_source(std::sync::Arc::new(shoal_proto::NotSent::new(why)));
    status
}

/// A status a peer answered on the pipe, rebuilt with its code, message and metadata.
pub(crate) fn rebuilt(
    code: Code,
    message: String,
    metadata: tonic::metadata::MetadataMap,
) -> Status {
    Status::with_metadata(code, message, metadata)
}

/// The answer to a request the auth layer refused (UNAUTHENTICATED, PERMISSION_DENIED).
pub(crate) fn refusal_response(error: ReplicationError) -> http::Response<tonic::body::Body> {
    to_status(error).into_http()
}

/// A request over its client address's share of the request slots
/// (`server.max_concurrent_requests_per_ip`): refused before anything was done.
pub(crate) fn over_address_share(ip: std::net::IpAddr, limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "this client address ({ip}) already has {limit} requests in flight, the most one \
         address may have (server.max_concurrent_requests_per_ip); nothing was done: retry \
         when some have finished"
    ))
}

/// A peer's answer that could not be decoded.
pub(crate) fn internal(reason: String) -> Status {
    Status::internal(reason)
}

/// A forwarded request that could not be decoded.
pub(crate) fn undecodable(reason: String) -> Status {
    Status::invalid_argument(format!("undecodable forwarded request: {reason}"))
}

/// tonic refuses a message over a service's decoding limit with OUT_OF_RANGE ("decoded
/// message length too large: found N bytes, the limit is: M bytes"); the caller is told
/// RESOURCE_EXHAUSTED instead, the code gRPC gives a message larger than the server
/// accepts, with tonic's words (they name both sizes).
fn too_large_is_resource_exhausted(
    mut response: http::Response<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    let headers = response.headers_mut();
    let code = |code: Code| (code as i32).to_string();
    let too_large = headers
        .get("grpc-status")
        .is_some_and(|found| found.as_bytes() == code(Code::OutOfRange).as_bytes())
        && headers.get("grpc-message").is_some_and(|message| {
            message
                .as_bytes()
                .starts_with(b"Error,%20decoded%20message%20length%20too%20large")
        });
    if too_large && let Ok(value) = http::HeaderValue::from_str(&code(Code::ResourceExhausted)) {
        headers.insert("grpc-status", value);
    }
    response
}

/// The layer that applies [`too_large_is_resource_exhausted`] to a server's answers.
pub type TooLargeLayer = tower::util::MapResponseLayer<
    fn(http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body>,
>;

pub fn too_large_layer() -> TooLargeLayer {
    tower::util::MapResponseLayer::new(too_large_is_resource_exhausted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_shardmap::ShardId;

    #[test]
    fn a_message_over_the_decoding_limit_is_resource_exhausted_and_nothing_else_changes() {
        let answer = |status: Status| {
            let response = status.into_http::<tonic::body::Body>();
            let response = too_large_is_resource_exhausted(response);
            Status::from_header_map(response.headers()).expect("a status")
        };
        let too_large = answer(Status::out_of_range(
            "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        ));
        assert_eq!(too_large.code(), Code::ResourceExhausted);
        assert!(too_large.message().contains("the limit is: 4 bytes"));
        let other = answer(Status::out_of_range("a range of another kind"));
        assert_eq!(other.code(), Code::OutOfRange);
        assert_eq!(answer(Status::not_found("k")).code(), Code::NotFound);
    }

    #[test]
    fn every_code_has_a_status() {
        let cases = [
            (
                ReplicationError::InvalidArgument {
                    field: "key",
                    reason: "empty".into(),
                },
                Code::InvalidArgument,
            ),
            (
                ReplicationError::VersionMismatch {
                    expected: 1,
                    current: 2,
                },
                Code::FailedPrecondition,
            ),
            (
                ReplicationError::NotLeader {
                    group: GroupId::for_shard(ShardId(1)),
                    leader: Some(NodeId(3)),
                    leader_address: None,
                },
                Code::Unavailable,
            ),
            (ReplicationError::WrongShard { shard: 1 }, Code::Unavailable),
            (
                ReplicationError::Unauthenticated("no key".into()),
                Code::Unauthenticated,
            ),
            (
                ReplicationError::PermissionDenied("read only".into()),
                Code::PermissionDenied,
            ),
            (ReplicationError::Unavailable("x".into()), Code::Unavailable),
            (
                ReplicationError::NotDelivered("x".into()),
                Code::Unavailable,
            ),
            (ReplicationError::NotFound("x".into()), Code::NotFound),
            (
                ReplicationError::FailedPrecondition("x".into()),
                Code::FailedPrecondition,
            ),
            (
                ReplicationError::Unsupported("x".into()),
                Code::Unimplemented,
            ),
            (
                ReplicationError::Timeout(std::time::Duration::from_secs(1)),
                Code::DeadlineExceeded,
            ),
            (ReplicationError::Internal("x".into()), Code::Internal),
        ];
        for (error, code) in cases {
            assert_eq!(to_status(error).code(), code);
        }
    }

    #[test]
    fn not_leader_carries_the_leader_and_comes_back_naming_the_shard() {
        let shard = GroupId::for_shard(ShardId(9));
        let status = to_status(ReplicationError::NotLeader {
            group: shard,
            leader: Some(NodeId(3)),
            leader_address: None,
        });
        assert_eq!(status.metadata().get(metadata::LEADER).unwrap(), "3");
        assert_eq!(
            status.metadata().get(metadata::NOT_APPLIED).unwrap(),
            "true"
        );
        let back = from_status(status, shard);
        assert!(
            back.to_string().starts_with("not the leader of shard 9"),
            "{back}"
        );
    }

    #[test]
    fn an_undelivered_request_says_it_changed_nothing() {
        let status = to_status(ReplicationError::NotDelivered(
            "node 1 refuses connections".into(),
        ));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.metadata().get(metadata::NOT_APPLIED).unwrap(),
            "true"
        );
        assert!(
            status.message().contains("changed nothing"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn version_mismatch_names_the_current_version() {
        let status = to_status(ReplicationError::VersionMismatch {
            expected: 4,
            current: 9,
        });
        assert!(
            status.message().contains("current version is 9"),
            "{}",
            status.message()
        );
        assert_eq!(
            status.metadata().get(metadata::CURRENT_VERSION).unwrap(),
            "9"
        );
        // A forwarded mismatch comes back as a mismatch, so the client sees the same answer.
        match from_status(status, GroupId::for_shard(ShardId(0))) {
            ReplicationError::VersionMismatch { expected, current } => {
                assert_eq!((expected, current), (4, 9))
            }
            other => panic!("{other:?}"),
        }
    }
}
