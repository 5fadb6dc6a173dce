//! Checksums on every stored record: a log entry in `log.redb` and a state-machine value in
//! `state.redb` are stored sealed — `[SEALED][checksum: 4 bytes LE][payload]` — and opened
//! (verified) on every read, on replay, when a snapshot is built and when a digest is taken.
//! The checksum is the low 32 bits of xxh3-64 over where the record lives (its group and
//! index, or its group, space and key) and its payload, so a record that moved (a damaged
//! key) fails as surely as one whose bytes changed. A mismatch is never served: the read
//! fails with a [`Corrupt`] error naming the file, the group and the record.
//!
//! Files made before sealing (no format mark, see [`super::Database`]) also hold unsealed
//! records; those are read as they are. A file made by this build holds sealed records
//! only, and an unsealed one there is damage too.

use std::io;
use std::sync::Arc;

use xxhash_rust::xxh3::Xxh3;

use super::quarantine::Quarantine;
use super::tally::Tally;

/// The first byte of a sealed record. Unsealed records (of files made before sealing) start
/// with their format version, 1.
const SEALED: u8 = 0xC5;
/// Marker and checksum.
const HEADER: usize = 5;

/// Where a record lives (what its checksum binds it to).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    /// Log entry `index` of `group` (`log.redb`).
    Log { group: u64, index: u64 },
    /// Value of `key` in `space` of `group`'s state machine (`state.redb`).
    Data {
        group: u64,
        space: u8,
        key: &'a [u8],
    },
}

impl Place<'_> {
    fn checksum(&self, payload: &[u8]) -> u32 {
        let mut hasher = Xxh3::new();
        match self {
            Place::Log { group, index } => {
                hasher.update(&[0]);
                hasher.update(&group.to_le_bytes());
                hasher.update(&index.to_le_bytes());
            }
            Place::Data { group, space, key } => {
                hasher.update(&[1]);
                hasher.update(&group.to_le_bytes());
                hasher.update(&[*space]);
                hasher.update(&(key.len() as u32).to_le_bytes());
                hasher.update(key);
            }
        }
        hasher.update(payload);
        hasher.digest() as u32
    }

    fn file(&self) -> &'static str {
        match self {
            Place::Log { .. } => super::LOG_FILE,
            Place::Data { .. } => super::STATE_FILE,
        }
    }

    fn describe(&self) -> String {
        match self {
            Place::Log { group, index } => {
                format!("log entry {index} of {}", shoal_shardmap::GroupId(*group))
            }
            Place::Data { group, space, key } => format!(
                "the value of key {:?} (space {space}) in {}",
                String::from_utf8_lossy(key),
                shoal_shardmap::GroupId(*group)
            ),
        }
    }
}

/// A stored record whose bytes are not what was written, or that its file's index no
/// longer finds.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{what} in {file} {why}: the file is damaged and the record is not served; this replica \
     goes into quarantine and the cluster rebuilds it from a healthy one (with no healthy \
     replica — a single node —, rebuild this replica from a backup)"
)]
pub struct Corrupt {
    /// The file (`log.redb`, `state.redb`).
    pub file: &'static str,
    /// The group the record belongs to.
    pub group: u64,
    /// The record, in words.
    pub what: String,
    why: String,
}

impl Corrupt {
    /// The [`Corrupt`] inside an I/O error, if that is what it is.
    pub fn of(error: &io::Error) -> Option<&Corrupt> {
        error.get_ref()?.downcast_ref::<Corrupt>()
    }
}

/// `payload` sealed for `place`.
pub(crate) fn seal(place: Place<'_>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.push(SEALED);
    out.extend_from_slice(&place.checksum(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Opens the records of one file: whether it holds sealed records only (made by this
/// build), and the quarantine a group goes into when one of its records fails.
#[derive(Clone)]
pub(crate) struct Checker {
    pub(crate) sealed_only: bool,
    pub(crate) quarantine: Arc<Quarantine>,
}

impl Checker {
    /// Runs `read` — a read of `group`'s records in `file` — turning a panic of the storage
    /// engine (it panics on some damaged pages) into a [`Corrupt`] error, with the group put
    /// in quarantine, like a record that fails its checksum.
    pub(crate) fn guard<T>(
        &self,
        group: u64,
        file: &'static str,
        read: impl FnOnce() -> io::Result<T>,
    ) -> io::Result<T> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
            let why = super::panic_message(panic.as_ref());
            let corrupt = Corrupt {
                file,
                group,
                what: format!("a page of {}", shoal_shardmap::GroupId(group)),
                why: format!("cannot be read by the storage engine ({why})"),
            };
            Err(self.quarantined(corrupt))
        })
    }

    /// `corrupt` as an error, counted and logged, with its group put in quarantine.
    fn quarantined(&self, corrupt: Corrupt) -> io::Error {
        self.quarantine.add(corrupt.group, &corrupt.to_string());
        reported(corrupt)
    }

    /// The error for a record a scan found at `place` that a lookup of its key does not
    /// find (or finds another): the file's index is damaged. Puts the group in quarantine.
    pub(crate) fn unreachable(&self, place: Place<'_>) -> io::Error {
        self.quarantined(corrupt_at(
            place,
            "is found by a scan but not by a lookup of its key (the file's index is damaged)",
        ))
    }

    /// The error for the records of `group` when they do not add up to its tally (see
    /// [`super::tally`]): records were lost (or appeared, or changed) with nothing left to
    /// fail a checksum. Puts the group in quarantine.
    pub(crate) fn miscounted(&self, group: u64, found: Tally, written: Tally) -> io::Error {
        let why = if found.keys == written.keys {
            format!(
                "do not add up to what was written: {} keys, as written, but not the records \
                 written",
                found.keys
            )
        } else {
            format!(
                "do not add up to what was written: a scan finds {} keys where {} were written",
                found.keys, written.keys
            )
        };
        self.quarantined(Corrupt {
            file: super::STATE_FILE,
            group,
            what: format!("the records of {}", shoal_shardmap::GroupId(group)),
            why,
        })
    }

    /// The payload of the record stored at `place`, verified. A record that fails puts its
    /// group in quarantine.
    pub(crate) fn open<'a>(&self, place: Place<'_>, stored: &'a [u8]) -> io::Result<&'a [u8]> {
        open(place, stored, self.sealed_only).inspect_err(|error| {
            if let Some(corrupt) = Corrupt::of(error) {
                self.quarantine.add(corrupt.group, &corrupt.to_string());
            }
        })
    }
}

/// The error for the record at `place` found damaged (`why`), counted and logged.
fn failure(place: Place<'_>, why: &str) -> io::Error {
    reported(corrupt_at(place, why))
}

/// The record at `place`, found damaged (`why`).
fn corrupt_at(place: Place<'_>, why: &str) -> Corrupt {
    Corrupt {
        file: place.file(),
        group: match place {
            Place::Log { group, .. } | Place::Data { group, .. } => group,
        },
        what: place.describe(),
        why: why.to_owned(),
    }
}

/// `corrupt` as an error, counted and logged.
fn reported(corrupt: Corrupt) -> io::Error {
    metrics::counter!("shoal_storage_checksum_failures_total", "file" => corrupt.file).increment(1);
    tracing::error!(file = corrupt.file, group = corrupt.group, "{corrupt}");
    io::Error::new(io::ErrorKind::InvalidData, corrupt)
}

/// The payload of the record stored at `place`, verified; `sealed_only`: the file holds
/// sealed records only (made by this build).
fn open<'a>(place: Place<'_>, stored: &'a [u8], sealed_only: bool) -> io::Result<&'a [u8]> {
    let failed = |why: &str| failure(place, why);
    match stored.first() {
        Some(&SEALED) if stored.len() >= HEADER => {
            let (header, payload) = stored.split_at(HEADER);
            let expected = u32::from_le_bytes(header[1..HEADER].try_into().expect("4 bytes"));
            if place.checksum(payload) == expected {
                Ok(payload)
            } else {
                Err(failed("fails its checksum (checksum mismatch)"))
            }
        }
        Some(&SEALED) => Err(failed("fails its checksum (too short for one)")),
        Some(_) if !sealed_only => Ok(stored),
        _ => Err(failed("fails its checksum (it has none: not sealed)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_record_opens_only_unchanged_and_in_its_place() {
        let place = Place::Data {
            group: 3,
            space: 0,
            key: b"user:1",
        };
        let sealed = seal(place, b"ada");
        assert_eq!(open(place, &sealed, true).unwrap(), b"ada");
        // Every single flipped bit is caught.
        for byte in 0..sealed.len() {
            for bit in 0..8 {
                let mut damaged = sealed.clone();
                damaged[byte] ^= 1 << bit;
                let error = open(place, &damaged, true).unwrap_err();
                assert!(Corrupt::of(&error).is_some(), "byte {byte} bit {bit}");
            }
        }
        // The same bytes under another key, or another group, are not that record.
        let elsewhere = Place::Data {
            group: 3,
            space: 0,
            key: b"user:2",
        };
        assert!(open(elsewhere, &sealed, true).is_err());
        let log = Place::Log { group: 3, index: 7 };
        let entry = seal(log, b"entry");
        assert!(open(Place::Log { group: 3, index: 8 }, &entry, true).is_err());
        assert!(open(Place::Log { group: 4, index: 7 }, &entry, true).is_err());
        let message = open(Place::Log { group: 3, index: 8 }, &entry, true)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("log entry 8") && message.contains("log.redb"),
            "{message}"
        );
    }

    #[test]
    fn unsealed_records_are_read_only_from_files_made_before_sealing() {
        let place = Place::Log { group: 1, index: 1 };
        assert_eq!(open(place, &[1, 2, 3], false).unwrap(), &[1, 2, 3]);
        assert!(open(place, &[1, 2, 3], true).is_err());
        assert!(open(place, &[], true).is_err());
    }
}
