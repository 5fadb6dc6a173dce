//! The KV shard state machine: Put / Delete / Touch / Expire with per-key versions,
//! compare-and-set, and absolute expiry instants stamped by the leader.
//!
//! Layout of a shard's data (spaces of the group's keyspace):
//! - [`SPACE_KEYS`]: key → `[format][version u64][expires_at_ms u64][value…]`
//!   (little-endian; `expires_at_ms = 0` means no expiry);
//! - [`SPACE_EXPIRY`]: `expires_at_ms (big-endian u64) ‖ key` → `version u64`, an index
//!   the leader scans to find expired keys in time order;
//! - [`SPACE_CLOCK`]: [`CLOCK_KEY`] → the shard's clock (`u64`, little-endian).
//!
//! Every decision in `apply` uses only the command (including the leader's stamped `now`)
//! and the data, never this replica's clock, so all replicas stay identical.
//!
//! **The shard's clock.** A command is judged at `max(its stamp, the shard's clock)`, and
//! the shard's clock becomes that instant: time never goes backwards in log order, although
//! stamps do (leaders' clocks differ; a command stamped before a read may be applied after
//! it). Linearizable reads judge expiry at `max(reader's clock, shard's clock)` and, when a
//! key is expired only by the reader's clock, first put that expiry into the log
//! (`Shard::get`), so nothing ordered after the read can find the key alive again.

use std::io;

use serde::{Deserialize, Serialize};
use shoal_consensus::{GroupReader, GroupWriter, StateMachine};

pub const SPACE_KEYS: u8 = 0;
pub const SPACE_EXPIRY: u8 = 1;
pub const SPACE_CLOCK: u8 = 2;
/// The one key of [`SPACE_CLOCK`].
pub const CLOCK_KEY: &[u8] = b"now";

const RECORD_FORMAT: u8 = 1;
const COMMAND_FORMAT: u8 = 1;
const HEADER_BYTES: usize = 17;

/// A stored key: its value, version and absolute expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub value: Vec<u8>,
    /// Raft log index of the key's last write.
    pub version: u64,
    /// Milliseconds since the epoch at which the key expires; 0 = never.
    pub expires_at_ms: u64,
}

impl Record {
    pub fn is_live_at(&self, now_ms: u64) -> bool {
        self.expires_at_ms == 0 || self.expires_at_ms > now_ms
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.value.len());
        out.push(RECORD_FORMAT);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.expires_at_ms.to_le_bytes());
        out.extend_from_slice(&self.value);
        out
    }

    pub fn decode(bytes: &[u8]) -> io::Result<Record> {
        if bytes.len() < HEADER_BYTES || bytes[0] != RECORD_FORMAT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "unreadable key record (format {:?}, {} bytes)",
                    bytes.first(),
                    bytes.len()
                ),
            ));
        }
        Ok(Record {
            version: u64::from_le_bytes(bytes[1..9].try_into().expect("8 bytes")),
            expires_at_ms: u64::from_le_bytes(bytes[9..17].try_into().expect("8 bytes")),
            value: bytes[HEADER_BYTES..].to_vec(),
        })
    }
}

fn expiry_key(expires_at_ms: u64, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + key.len());
    out.extend_from_slice(&expires_at_ms.to_be_bytes());
    out.extend_from_slice(key);
    out
}

/// A command of the KV machine. `now_ms` is the proposing leader's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvCommand {
    Put {
        key: Vec<u8>,
        value: Vec<u8>,
        expires_at_ms: u64,
        if_version: Option<u64>,
        now_ms: u64,
    },
    Delete {
        key: Vec<u8>,
        if_version: Option<u64>,
        now_ms: u64,
    },
    Touch {
        key: Vec<u8>,
        expires_at_ms: u64,
        now_ms: u64,
    },
    /// Removes keys that expired by `now_ms`, each only if still at the listed version.
    Expire {
        now_ms: u64,
        keys: Vec<(Vec<u8>, u64)>,
    },
}

/// The outcome of one applied [`KvCommand`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvResponse {
    Put {
        version: u64,
    },
    Delete {
        deleted: bool,
    },
    Touch {
        found: bool,
    },
    /// A compare-and-set failed; nothing changed.
    VersionMismatch {
        current: u64,
    },
    Expired {
        removed: u32,
    },
    /// The command could not be decoded (written by a newer version); nothing changed.
    Rejected {
        reason: String,
    },
}

impl KvCommand {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![COMMAND_FORMAT];
        out.extend(postcard::to_allocvec(self).expect("commands always serialize"));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<KvCommand, String> {
        match bytes.split_first() {
            Some((&COMMAND_FORMAT, rest)) => postcard::from_bytes(rest).map_err(|e| e.to_string()),
            Some((format, _)) => Err(format!("unknown command format {format}")),
            None => Err("empty command".to_owned()),
        }
    }
}

impl KvResponse {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("responses always serialize")
    }

    pub fn decode(bytes: &[u8]) -> io::Result<KvResponse> {
        postcard::from_bytes(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// Reads a key from a consistent view of the shard.
pub fn read_record(reader: &GroupReader, key: &[u8]) -> io::Result<Option<Record>> {
    reader
        .get(SPACE_KEYS, key)?
        .map(|bytes| Record::decode(&bytes))
        .transpose()
}

/// The shard's clock: the latest instant any applied command was judged at (0 at first).
pub fn read_clock(reader: &GroupReader) -> io::Result<u64> {
    decode_clock(reader.get(SPACE_CLOCK, CLOCK_KEY)?)
}

fn decode_clock(bytes: Option<Vec<u8>>) -> io::Result<u64> {
    match bytes {
        None => Ok(0),
        Some(bytes) => Ok(u64::from_le_bytes(bytes.as_slice().try_into().map_err(
            |_| io::Error::new(io::ErrorKind::InvalidData, "bad shard clock entry"),
        )?)),
    }
}

/// Keys whose expiry instant is at or before `now_ms`, oldest first, at most `limit`.
pub fn expired_keys(
    reader: &GroupReader,
    now_ms: u64,
    limit: usize,
) -> io::Result<Vec<(Vec<u8>, u64)>> {
    let end = (now_ms.saturating_add(1)).to_be_bytes();
    let entries = reader.range(SPACE_EXPIRY, &[], &end, limit)?;
    entries
        .into_iter()
        .map(|(index_key, version)| {
            let version = u64::from_le_bytes(version.as_slice().try_into().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "bad expiry index entry")
            })?);
            Ok((index_key[8..].to_vec(), version))
        })
        .collect()
}

/// The KV state machine of a data shard.
#[derive(Debug, Default)]
pub struct KvMachine;

impl KvMachine {
    fn load(data: &GroupWriter<'_, '_>, key: &[u8]) -> io::Result<Option<Record>> {
        data.get(SPACE_KEYS, key)?
            .map(|bytes| Record::decode(&bytes))
            .transpose()
    }

    fn store(
        data: &mut GroupWriter<'_, '_>,
        key: &[u8],
        old: Option<&Record>,
        new: &Record,
    ) -> io::Result<()> {
        if let Some(old) = old
            && old.expires_at_ms != 0
        {
            data.remove(SPACE_EXPIRY, &expiry_key(old.expires_at_ms, key))?;
        }
        if new.expires_at_ms != 0 {
            data.put(
                SPACE_EXPIRY,
                &expiry_key(new.expires_at_ms, key),
                &new.version.to_le_bytes(),
            )?;
        }
        data.put(SPACE_KEYS, key, &new.encode())
    }

    fn erase(data: &mut GroupWriter<'_, '_>, key: &[u8], old: &Record) -> io::Result<()> {
        if old.expires_at_ms != 0 {
            data.remove(SPACE_EXPIRY, &expiry_key(old.expires_at_ms, key))?;
        }
        data.remove(SPACE_KEYS, key)?;
        Ok(())
    }

    /// Judges `command` at `max(its stamp, the shard's clock)` and moves the clock there.
    fn apply_command(
        data: &mut GroupWriter<'_, '_>,
        index: u64,
        mut command: KvCommand,
    ) -> io::Result<KvResponse> {
        let clock = decode_clock(data.get(SPACE_CLOCK, CLOCK_KEY)?)?;
        let stamp = match &mut command {
            KvCommand::Put { now_ms, .. }
            | KvCommand::Delete { now_ms, .. }
            | KvCommand::Touch { now_ms, .. }
            | KvCommand::Expire { now_ms, .. } => now_ms,
        };
        if *stamp > clock {
            data.put(SPACE_CLOCK, CLOCK_KEY, &stamp.to_le_bytes())?;
        } else {
            *stamp = clock;
        }
        Self::apply_at(data, index, command)
    }

    fn apply_at(
        data: &mut GroupWriter<'_, '_>,
        index: u64,
        command: KvCommand,
    ) -> io::Result<KvResponse> {
        match command {
            KvCommand::Put {
                key,
                value,
                expires_at_ms,
                if_version,
                now_ms,
            } => {
                let old = Self::load(data, &key)?;
                let current = old
                    .as_ref()
                    .filter(|r| r.is_live_at(now_ms))
                    .map_or(0, |r| r.version);
                if let Some(expected) = if_version
                    && expected != current
                {
                    return Ok(KvResponse::VersionMismatch { current });
                }
                let record = Record {
                    value,
                    version: index,
                    expires_at_ms,
                };
                Self::store(data, &key, old.as_ref(), &record)?;
                Ok(KvResponse::Put { version: index })
            }
            KvCommand::Delete {
                key,
                if_version,
                now_ms,
            } => {
                let old = Self::load(data, &key)?;
                let live = old.as_ref().is_some_and(|r| r.is_live_at(now_ms));
                let current = if live {
                    old.as_ref().map_or(0, |r| r.version)
                } else {
                    0
                };
                if let Some(expected) = if_version
                    && expected != current
                {
                    return Ok(KvResponse::VersionMismatch { current });
                }
                if let Some(old) = &old {
                    // An expired record not yet collected is removed too, but was not "deleted".
                    Self::erase(data, &key, old)?;
                }
                Ok(KvResponse::Delete { deleted: live })
            }
            KvCommand::Touch {
                key,
                expires_at_ms,
                now_ms,
            } => {
                let Some(old) = Self::load(data, &key)?.filter(|r| r.is_live_at(now_ms)) else {
                    return Ok(KvResponse::Touch { found: false });
                };
                // Touch changes the expiry only: the value and its version stay, so a
                // compare-and-set loop is not disturbed by keep-alives.
                let record = Record {
                    expires_at_ms,
                    ..old.clone()
                };
                Self::store(data, &key, Some(&old), &record)?;
                Ok(KvResponse::Touch { found: true })
            }
            KvCommand::Expire { now_ms, keys } => {
                let mut removed = 0u32;
                for (key, version) in keys {
                    if let Some(old) = Self::load(data, &key)?
                        && old.version == version
                        && !old.is_live_at(now_ms)
                    {
                        Self::erase(data, &key, &old)?;
                        removed += 1;
                    }
                }
                Ok(KvResponse::Expired { removed })
            }
        }
    }
}

impl StateMachine for KvMachine {
    fn apply(
        &self,
        data: &mut GroupWriter<'_, '_>,
        index: u64,
        command: &[u8],
    ) -> io::Result<Vec<u8>> {
        let response = match KvCommand::decode(command) {
            Ok(command) => Self::apply_command(data, index, command)?,
            Err(reason) => KvResponse::Rejected { reason },
        };
        Ok(response.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let record = Record {
            value: b"v".to_vec(),
            version: 42,
            expires_at_ms: 7,
        };
        assert_eq!(Record::decode(&record.encode()).unwrap(), record);
        assert!(Record::decode(&[9, 0]).is_err());
    }

    #[test]
    fn command_round_trips_and_unknown_formats_are_rejected() {
        let command = KvCommand::Delete {
            key: b"k".to_vec(),
            if_version: Some(3),
            now_ms: 1,
        };
        assert_eq!(KvCommand::decode(&command.encode()).unwrap(), command);
        assert!(
            KvCommand::decode(&[2, 0])
                .unwrap_err()
                .contains("unknown command format")
        );
    }

    #[test]
    fn liveness_uses_the_given_instant() {
        let record = Record {
            value: vec![],
            version: 1,
            expires_at_ms: 100,
        };
        assert!(record.is_live_at(99));
        assert!(!record.is_live_at(100));
        assert!(
            Record {
                expires_at_ms: 0,
                ..record
            }
            .is_live_at(u64::MAX)
        );
    }
}
