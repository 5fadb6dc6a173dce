//! The sequential model of one shoal key, as the linearizability search sees it.
//!
//! Expiry is non-deterministic in this model: a live value written or touched with a TTL may
//! vanish at any instant. The model applies an expiry lazily, only when an operation needs
//! the key absent; that loses nothing, because an expiry changes no version and nothing but
//! absence observes it. With that rule every operation whose outcome is known has at most one
//! successor state, and an operation with an unknown outcome either takes effect (the one
//! successor) or never happens (the search simply leaves it out).

use crate::history::ByteString;

/// A value present in the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct LiveValue {
    /// Index into the key's interned values.
    pub value: u32,
    /// `None` when the value comes from a write with an unknown outcome whose version has not
    /// been observed yet; that version is above `KeyState::max_version`.
    pub version: Option<u64>,
    /// The value carries a TTL, so it may expire.
    pub expires: bool,
}

/// The key's state between two operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct KeyState {
    pub live: Option<LiveValue>,
    /// No version the key has had is above this (except a live value's unknown version,
    /// which is above it). New versions must be greater: versions are Raft log indices.
    pub max_version: u64,
}

impl KeyState {
    pub const NEVER_WRITTEN: KeyState = KeyState {
        live: None,
        max_version: 0,
    };

    /// The key without its live value. A discarded unknown version was at least
    /// `max_version + 1`; assuming exactly that is the most permissive choice.
    fn without_value(self) -> KeyState {
        match self.live {
            Some(LiveValue { version: None, .. }) => KeyState {
                live: None,
                max_version: self.max_version + 1,
            },
            _ => KeyState { live: None, ..self },
        }
    }

    /// The state in which the key's current version is `version` (0 = absent), expiring a
    /// TTL or pinning an unknown version if that is needed, or `None` when impossible.
    fn with_current_version(self, version: u64) -> Option<KeyState> {
        match (self.live, version) {
            (None, 0) => Some(self),
            (None, _) => None,
            (Some(live), 0) => live.expires.then(|| self.without_value()),
            (Some(live), version) => match live.version {
                Some(current) => (current == version).then_some(self),
                None => (version > self.max_version).then_some(KeyState {
                    live: Some(LiveValue {
                        version: Some(version),
                        ..live
                    }),
                    max_version: version,
                }),
            },
        }
    }

    /// The smallest version the next write may be given.
    fn next_version_floor(self) -> u64 {
        match self.live {
            Some(LiveValue { version: None, .. }) => self.max_version + 2,
            _ => self.max_version + 1,
        }
    }

    fn with_condition(self, if_version: Option<u64>) -> Option<KeyState> {
        match if_version {
            Some(version) => self.with_current_version(version),
            None => Some(self),
        }
    }

    /// The state for people: "is absent (…)" / "holds version 7 …".
    pub fn describe(&self, values: &[ByteString]) -> String {
        match self.live {
            None if self.max_version == 0 => "is absent (no write before it)".to_owned(),
            None => format!(
                "is absent (deleted or expired; its highest version so far is {})",
                self.max_version
            ),
            Some(live) => {
                let mut text = match live.version {
                    Some(version) => {
                        format!(
                            "holds version {version} (value {}",
                            values[live.value as usize]
                        )
                    }
                    None => format!(
                        "holds value {} from a write with an unknown outcome (its version, \
                         not observed yet, is above {}",
                        values[live.value as usize], self.max_version
                    ),
                };
                text.push_str(if live.expires {
                    ", with a TTL)"
                } else {
                    ", no TTL)"
                });
                text
            }
        }
    }

    /// Why `with_current_version(version)` is impossible, for people.
    fn explain_current_version(&self, version: u64, values: &[ByteString]) -> String {
        match (self.live, version) {
            (Some(_), 0) => format!(
                "needs the key absent; it {} and cannot have expired",
                self.describe(values)
            ),
            (None, _) => format!("needs version {version}; the key {}", self.describe(values)),
            (Some(live), _) => match live.version {
                Some(current) => format!(
                    "needs version {version}; the only writes that could precede it leave \
                     version {current}"
                ),
                None => format!(
                    "needs version {version}; the key {} and versions only grow",
                    self.describe(values)
                ),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PutResult {
    Written(u64),
    Mismatch(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteResult {
    Deleted(bool),
    Mismatch(u64),
}

/// One operation reduced to what the model needs. A `None` result means the outcome is
/// unknown; reads with unknown outcomes never reach the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelOp {
    Put {
        value: u32,
        expires: bool,
        if_version: Option<u64>,
        result: Option<PutResult>,
    },
    Get {
        /// `(value, version)` when found.
        found: Option<(u32, u64)>,
    },
    Delete {
        if_version: Option<u64>,
        result: Option<DeleteResult>,
    },
    Touch {
        expires: bool,
        found: Option<bool>,
    },
}

impl ModelOp {
    pub fn is_determinate(&self) -> bool {
        match self {
            ModelOp::Put { result, .. } => result.is_some(),
            ModelOp::Get { .. } => true,
            ModelOp::Delete { result, .. } => result.is_some(),
            ModelOp::Touch { found, .. } => found.is_some(),
        }
    }

    /// The state after this operation takes effect in `state`, or `None` when its recorded
    /// result is impossible there. For an operation with an unknown outcome, `None` also
    /// when taking effect would change nothing (leaving it out is then the same).
    pub fn step(&self, state: KeyState) -> Option<KeyState> {
        match *self {
            ModelOp::Put {
                value,
                expires,
                if_version,
                result,
            } => match result {
                Some(PutResult::Mismatch(current)) => state.with_current_version(current),
                Some(PutResult::Written(version)) => {
                    let state = state.with_condition(if_version)?;
                    (version >= state.next_version_floor()).then_some(KeyState {
                        live: Some(LiveValue {
                            value,
                            version: Some(version),
                            expires,
                        }),
                        max_version: version,
                    })
                }
                None => {
                    let state = state.with_condition(if_version)?.without_value();
                    Some(KeyState {
                        live: Some(LiveValue {
                            value,
                            version: None,
                            expires,
                        }),
                        ..state
                    })
                }
            },
            ModelOp::Get { found: None } => state.with_current_version(0),
            ModelOp::Get {
                found: Some((value, version)),
            } => {
                if state.live?.value != value {
                    return None;
                }
                state.with_current_version(version)
            }
            ModelOp::Delete {
                if_version: _,
                result: Some(DeleteResult::Mismatch(current)),
            } => state.with_current_version(current),
            ModelOp::Delete {
                if_version: _,
                result: Some(DeleteResult::Deleted(false)),
            } => state.with_current_version(0),
            ModelOp::Delete {
                if_version,
                result: Some(DeleteResult::Deleted(true)) | None,
            } => {
                let state = state.with_condition(if_version)?;
                state.live?;
                Some(state.without_value())
            }
            ModelOp::Touch {
                expires: _,
                found: Some(false),
            } => state.with_current_version(0),
            ModelOp::Touch {
                expires,
                found: Some(true),
            } => {
                let live = state.live?;
                Some(KeyState {
                    live: Some(LiveValue { expires, ..live }),
                    ..state
                })
            }
            ModelOp::Touch {
                expires,
                found: None,
            } => {
                let live = state.live?;
                (live.expires != expires).then_some(KeyState {
                    live: Some(LiveValue { expires, ..live }),
                    ..state
                })
            }
        }
    }

    /// Why `step(state)` is `None`, as the end of a sentence whose subject is the operation.
    pub fn explain_failure(&self, state: KeyState, values: &[ByteString]) -> String {
        let condition_failure = |if_version: Option<u64>| {
            if_version.and_then(|version| {
                state.with_current_version(version).is_none().then(|| {
                    format!(
                        "succeeded, but its condition if_version={version} {}",
                        state.explain_current_version(version, values)
                    )
                })
            })
        };
        match *self {
            ModelOp::Put {
                result: Some(PutResult::Mismatch(current)),
                ..
            }
            | ModelOp::Delete {
                result: Some(DeleteResult::Mismatch(current)),
                ..
            } => format!(
                "reported current version {current}, which {}",
                state.explain_current_version(current, values)
            ),
            ModelOp::Put {
                if_version,
                result: Some(PutResult::Written(version)),
                ..
            } => condition_failure(if_version).unwrap_or_else(|| {
                let floor = state
                    .with_condition(if_version)
                    .map_or(0, KeyState::next_version_floor);
                format!(
                    "was given version {version}, but versions only grow and the key {} \
                     (so its next version is at least {floor})",
                    state.describe(values)
                )
            }),
            ModelOp::Get { found: None }
            | ModelOp::Delete {
                result: Some(DeleteResult::Deleted(false)),
                ..
            }
            | ModelOp::Touch {
                found: Some(false), ..
            } => format!(
                "found no key, but the key {} and cannot have expired",
                state.describe(values)
            ),
            ModelOp::Get {
                found: Some((value_index, version)),
            } => {
                let value = &values[value_index as usize];
                match state.live {
                    None => format!(
                        "returned version {version} (value {value}), but the writes that \
                         could precede it leave the key absent{}",
                        if state.max_version == 0 {
                            String::new()
                        } else {
                            format!(" (after version {})", state.max_version)
                        }
                    ),
                    Some(live) if live.value != value_index => {
                        let mut text = format!(
                            "returned value {value} at version {version}, but the key {}",
                            state.describe(values)
                        );
                        if live.version == Some(version) {
                            text.push_str(&format!(": version {version} holds another value"));
                        }
                        text
                    }
                    Some(_) => format!(
                        "returned version {version}, but the key {}; the writes that could \
                         precede it cannot leave version {version}",
                        state.describe(values)
                    ),
                }
            }
            ModelOp::Delete {
                if_version,
                result: Some(DeleteResult::Deleted(true)),
            } => condition_failure(if_version).unwrap_or_else(|| {
                format!(
                    "reported a deleted key, but the key {}",
                    state.describe(values)
                )
            }),
            ModelOp::Touch {
                found: Some(true), ..
            } => format!(
                "reported a live key, but the key {}",
                state.describe(values)
            ),
            ModelOp::Put { result: None, .. }
            | ModelOp::Delete { result: None, .. }
            | ModelOp::Touch { found: None, .. } => {
                "has an unknown outcome and would change nothing here".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(version: u64, if_version: Option<u64>) -> ModelOp {
        ModelOp::Put {
            value: 0,
            expires: false,
            if_version,
            result: Some(PutResult::Written(version)),
        }
    }

    #[test]
    fn versions_must_grow_but_may_skip() {
        let state = put(5, None).step(KeyState::NEVER_WRITTEN).unwrap();
        assert!(put(5, None).step(state).is_none());
        assert!(put(4, None).step(state).is_none());
        assert_eq!(put(42, Some(5)).step(state).unwrap().max_version, 42);
        assert!(put(42, Some(4)).step(state).is_none());
    }

    #[test]
    fn an_unknown_version_is_pinned_by_the_first_observation() {
        let unknown = ModelOp::Put {
            value: 1,
            expires: false,
            if_version: None,
            result: None,
        };
        let state = unknown
            .step(put(5, None).step(KeyState::NEVER_WRITTEN).unwrap())
            .unwrap();
        let read = |version| ModelOp::Get {
            found: Some((1, version)),
        };
        assert!(read(5).step(state).is_none());
        let pinned = read(9).step(state).unwrap();
        assert_eq!(pinned.live.unwrap().version, Some(9));
        assert!(read(10).step(pinned).is_none());
        // A write after an unobserved unknown one needs room for it: 5 < unknown < 7.
        assert!(put(6, None).step(state).is_none());
        assert!(put(7, None).step(state).is_some());
    }

    #[test]
    fn only_values_with_a_ttl_may_expire() {
        let with_ttl = ModelOp::Put {
            value: 0,
            expires: true,
            if_version: None,
            result: Some(PutResult::Written(3)),
        };
        let absent_read = ModelOp::Get { found: None };
        let state = with_ttl.step(KeyState::NEVER_WRITTEN).unwrap();
        assert_eq!(absent_read.step(state).unwrap().live, None);
        let untouched = ModelOp::Touch {
            expires: false,
            found: Some(true),
        }
        .step(state)
        .unwrap();
        assert!(absent_read.step(untouched).is_none());
    }
}
