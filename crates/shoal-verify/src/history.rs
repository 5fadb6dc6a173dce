//! The recorded history: what each client asked shoal to do, when, and what came back.
//!
//! These types are plain data with serde impls, so a run can dump its history as JSON and
//! the checker can be re-run on it later (`History::to_json` / `History::from_json`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Raw bytes of a key or a value.
///
/// JSON form: a plain string when the bytes are valid UTF-8, otherwise an object
/// `{"hex": "00ff…"}` (lowercase hex). The two forms cannot be confused, so every byte
/// string round-trips.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteString(pub Vec<u8>);

impl ByteString {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for ByteString {
    fn from(text: &str) -> Self {
        ByteString(text.as_bytes().to_vec())
    }
}

impl From<String> for ByteString {
    fn from(text: String) -> Self {
        ByteString(text.into_bytes())
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(bytes: Vec<u8>) -> Self {
        ByteString(bytes)
    }
}

impl From<&[u8]> for ByteString {
    fn from(bytes: &[u8]) -> Self {
        ByteString(bytes.to_vec())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Quoted text when the bytes are printable UTF-8, else `0x…` hex: meant for people.
impl fmt::Display for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) if !text.chars().any(char::is_control) => write!(f, "{text:?}"),
            _ => write!(f, "0x{}", to_hex(&self.0)),
        }
    }
}

impl fmt::Debug for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for ByteString {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match std::str::from_utf8(&self.0) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("hex", &to_hex(&self.0))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ByteString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Encoded {
            Text(String),
            Hex { hex: String },
        }
        match Encoded::deserialize(deserializer)? {
            Encoded::Text(text) => Ok(ByteString(text.into_bytes())),
            Encoded::Hex { hex } => from_hex(&hex)
                .map(ByteString)
                .ok_or_else(|| serde::de::Error::custom(format!("invalid hex bytes {hex:?}"))),
        }
    }
}

/// What a client asked for. Compare-and-set is a `Put` or `Delete` with `if_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum OpKind {
    /// `ttl_ms` 0 means no expiry; `if_version` `Some(0)` means "the key must not exist".
    Put {
        value: ByteString,
        ttl_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        if_version: Option<u64>,
    },
    /// A linearizable read. Stale reads must not be recorded: they are not linearizable.
    Get,
    /// `if_version` `Some(0)` on an absent key succeeds and deletes nothing.
    Delete {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        if_version: Option<u64>,
    },
    /// Sets a new TTL counted from now on a live key (0 removes the expiry); the value and
    /// the version stay.
    Touch { ttl_ms: u64 },
}

impl OpKind {
    /// True for operations that can change the key (everything but `Get`).
    pub fn is_write(&self) -> bool {
        !matches!(self, OpKind::Get)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpKind::Put {
                value,
                ttl_ms,
                if_version,
            } => {
                write!(f, "put(value={value}")?;
                if *ttl_ms != 0 {
                    write!(f, ", ttl={ttl_ms}ms")?;
                }
                if let Some(version) = if_version {
                    write!(f, ", if_version={version}")?;
                }
                f.write_str(")")
            }
            OpKind::Get => f.write_str("get"),
            OpKind::Delete { if_version: None } => f.write_str("delete"),
            OpKind::Delete {
                if_version: Some(version),
            } => write!(f, "delete(if_version={version})"),
            OpKind::Touch { ttl_ms } => write!(f, "touch(ttl={ttl_ms}ms)"),
        }
    }
}

/// The server's answer to a request that was executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpResult {
    /// A Put took effect; `version` is the key's new version (a Raft log index).
    Put { version: u64 },
    /// `version` is 0 and `value` empty when `found` is false. `ttl_remaining_ms` is kept for
    /// people reading the history; the checker does not use it.
    Get {
        found: bool,
        value: ByteString,
        version: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl_remaining_ms: Option<u64>,
    },
    /// `deleted` is true iff a live key was removed.
    Delete { deleted: bool },
    /// `found` is false when the key did not exist (or had expired).
    Touch { found: bool },
    /// A Put or Delete with `if_version` found another current version (0 = absent).
    VersionMismatch { current: u64 },
}

impl OpResult {
    /// A found `Get` result.
    pub fn found(value: impl Into<ByteString>, version: u64) -> OpResult {
        OpResult::Get {
            found: true,
            value: value.into(),
            version,
            ttl_remaining_ms: None,
        }
    }

    /// A `Get` result for an absent key.
    pub fn not_found() -> OpResult {
        OpResult::Get {
            found: false,
            value: ByteString::default(),
            version: 0,
            ttl_remaining_ms: None,
        }
    }
}

impl fmt::Display for OpResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpResult::Put { version } => write!(f, "ok, version {version}"),
            OpResult::Get {
                found: true,
                value,
                version,
                ..
            } => write!(f, "found version {version}, value {value}"),
            OpResult::Get { found: false, .. } => f.write_str("not found"),
            OpResult::Delete { deleted: true } => f.write_str("deleted"),
            OpResult::Delete { deleted: false } => f.write_str("nothing to delete"),
            OpResult::Touch { found: true } => f.write_str("touched"),
            OpResult::Touch { found: false } => f.write_str("not found"),
            OpResult::VersionMismatch { current } => {
                write!(f, "version mismatch, current version {current}")
            }
        }
    }
}

/// How an operation ended, as far as the client can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The server answered.
    Ok(OpResult),
    /// The operation certainly did not take effect (refused before it was proposed).
    Fail { reason: String },
    /// Timeout or lost connection: it may have taken effect at any instant after its
    /// invocation, or never.
    Indeterminate,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(result) => result.fmt(f),
            Outcome::Fail { reason } if reason.is_empty() => f.write_str("failed"),
            Outcome::Fail { reason } => write!(f, "failed ({reason})"),
            Outcome::Indeterminate => f.write_str("outcome unknown"),
        }
    }
}

/// One client operation on one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// Unique within the history; only used to name the operation.
    pub id: u64,
    pub client: u64,
    pub key: ByteString,
    pub kind: OpKind,
    /// Nanoseconds since the start of the run, taken before the request was sent.
    pub invoke_ns: u64,
    /// Nanoseconds since the start of the run, taken after the answer arrived; `None` when
    /// the outcome is indeterminate (the checker treats its completion as +infinity).
    pub complete_ns: Option<u64>,
    pub outcome: Outcome,
    /// A read issued after the workload stopped, to find writes that were acknowledged but
    /// lost; a failure that such a read exposes is reported as a lost write.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub final_read: bool,
}

impl Op {
    /// True when the outcome is unknown.
    pub fn is_indeterminate(&self) -> bool {
        matches!(self.outcome, Outcome::Indeterminate)
    }
}

/// Formats nanoseconds since the run start as milliseconds with full precision.
pub(crate) fn format_instant(nanos: u64) -> String {
    format!("{}.{:06}ms", nanos / 1_000_000, nanos % 1_000_000)
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "op {} by client {}: {}{} on key {} [invoked {}, ",
            self.id,
            self.client,
            if self.final_read { "final " } else { "" },
            self.kind,
            self.key,
            format_instant(self.invoke_ns),
        )?;
        match (self.is_indeterminate(), self.complete_ns) {
            (false, Some(complete)) => write!(f, "completed {}", format_instant(complete))?,
            _ => f.write_str("never completed")?,
        }
        write!(f, "] -> {}", self.outcome)
    }
}

/// Errors loading a history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("invalid history json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Every operation of a run, on every key, in any order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub ops: Vec<Op>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The history as pretty JSON, e.g. to keep next to a failed test's logs.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a history always serializes")
    }

    pub fn from_json(text: &str) -> Result<History, HistoryError> {
        Ok(serde_json::from_str(text)?)
    }
}

impl FromIterator<Op> for History {
    fn from_iter<I: IntoIterator<Item = Op>>(ops: I) -> Self {
        History {
            ops: ops.into_iter().collect(),
        }
    }
}
