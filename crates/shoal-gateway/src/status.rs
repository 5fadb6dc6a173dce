//! The one place where shoal error codes become gRPC status codes.

use shoal_replication::{ErrorCode, ReplicationError};
use tonic::{Code, Status};

/// Metadata key carrying the leader's node id on NotLeader answers.
pub const LEADER_METADATA: &str = "shoal-leader";
/// Metadata key carrying the leader's internal address on NotLeader answers, when known.
pub const LEADER_ADDRESS_METADATA: &str = "shoal-leader-address";
/// Metadata key marking an error returned before the request was proposed: it changed
/// nothing and may be sent again (NotLeader, WrongShard).
pub const NOT_APPLIED_METADATA: &str = "shoal-not-applied";
/// Metadata keys carrying a compare-and-set mismatch: the expected and the current version.
pub const EXPECTED_VERSION_METADATA: &str = "shoal-expected-version";
pub const CURRENT_VERSION_METADATA: &str = "shoal-current-version";

fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::NotLeader | ErrorCode::WrongShard | ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Timeout => Code::DeadlineExceeded,
        ErrorCode::Internal => Code::Internal,
    }
}

/// Maps a replication error to the gRPC status a client sees.
pub fn to_status(error: ReplicationError) -> Status {
    let mut status = Status::new(grpc_code(error.code()), error.to_string());
    if matches!(
        error,
        ReplicationError::NotLeader { .. } | ReplicationError::WrongShard { .. }
    ) {
        status.metadata_mut().insert(
            NOT_APPLIED_METADATA,
            tonic::metadata::MetadataValue::from_static("true"),
        );
    }
    if let ReplicationError::VersionMismatch { expected, current } = &error {
        for (key, version) in [
            (EXPECTED_VERSION_METADATA, expected),
            (CURRENT_VERSION_METADATA, current),
        ] {
            if let Ok(value) = version.to_string().parse() {
                status.metadata_mut().insert(key, value);
            }
        }
    }
    if let ReplicationError::NotLeader {
        leader: Some(leader),
        leader_address,
        ..
    } = &error
    {
        if let Ok(value) = leader.to_string().parse() {
            status.metadata_mut().insert(LEADER_METADATA, value);
        }
        if let Some(address) = leader_address
            && let Ok(value) = address.parse()
        {
            status.metadata_mut().insert(LEADER_ADDRESS_METADATA, value);
        }
    }
    status
}

/// The inverse for answers of a peer: a NotLeader answer becomes NotLeader again (so the
/// caller can follow the hint); anything else keeps its code and message.
pub(crate) fn from_status(status: Status) -> ReplicationError {
    let metadata = |key: &str| {
        status
            .metadata()
            .get(key)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let leader = metadata(LEADER_METADATA).and_then(|v| v.parse().ok());
    if status.code() == Code::Unavailable
        && (leader.is_some() || metadata(NOT_APPLIED_METADATA).is_some())
    {
        return ReplicationError::NotLeader {
            group: "the shard".into(),
            leader,
            leader_address: metadata(LEADER_ADDRESS_METADATA),
        };
    }
    if status.code() == Code::FailedPrecondition
        && let Some(current) = metadata(CURRENT_VERSION_METADATA).and_then(|v| v.parse().ok())
    {
        return ReplicationError::VersionMismatch {
            expected: metadata(EXPECTED_VERSION_METADATA)
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
            current,
        };
    }
    let code = match status.code() {
        Code::InvalidArgument | Code::OutOfRange => ErrorCode::InvalidArgument,
        Code::FailedPrecondition | Code::Aborted => ErrorCode::FailedPrecondition,
        Code::DeadlineExceeded => ErrorCode::Timeout,
        Code::Unavailable | Code::Cancelled | Code::Unknown | Code::ResourceExhausted => {
            ErrorCode::Unavailable
        }
        _ => ErrorCode::Internal,
    };
    ReplicationError::Remote {
        code,
        message: status.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                    group: "shard 1".into(),
                    leader: Some(3),
                    leader_address: None,
                },
                Code::Unavailable,
            ),
            (ReplicationError::WrongShard { shard: 1 }, Code::Unavailable),
            (ReplicationError::Unavailable("x".into()), Code::Unavailable),
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
    fn not_leader_carries_the_leader() {
        let status = to_status(ReplicationError::NotLeader {
            group: "shard 1".into(),
            leader: Some(3),
            leader_address: None,
        });
        assert_eq!(status.metadata().get(LEADER_METADATA).unwrap(), "3");
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
            status.metadata().get(CURRENT_VERSION_METADATA).unwrap(),
            "9"
        );
        // A forwarded mismatch comes back as a mismatch, so the client sees the same answer.
        match from_status(status) {
            ReplicationError::VersionMismatch { expected, current } => {
                assert_eq!((expected, current), (4, 9))
            }
            other => panic!("{other:?}"),
        }
    }
}
