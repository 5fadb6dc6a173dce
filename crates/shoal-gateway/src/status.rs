//! The one place where shoal error codes become gRPC status codes.

use shoal_replication::{ErrorCode, ReplicationError};
use tonic::{Code, Status};

/// Metadata key carrying the leader's node id on NotLeader answers.
pub const LEADER_METADATA: &str = "shoal-leader";

/// Maps a replication error to the gRPC status a client sees.
pub fn to_status(error: ReplicationError) -> Status {
    let code = match error.code() {
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::NotLeader | ErrorCode::WrongShard | ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Timeout => Code::DeadlineExceeded,
        ErrorCode::Internal => Code::Internal,
    };
    let mut status = Status::new(code, error.to_string());
    if let ReplicationError::NotLeader {
        leader: Some(leader),
        ..
    } = &error
        && let Ok(value) = leader.to_string().parse()
    {
        status.metadata_mut().insert(LEADER_METADATA, value);
    }
    status
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
    }
}
