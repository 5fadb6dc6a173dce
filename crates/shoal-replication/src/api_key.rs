//! API keys: what a client presents (`shoal_<id>_<secret>`, sent as `authorization: Bearer
//! <key>`), and what the meta group keeps of it ([`ApiKeyRecord`]: the id, the role, the
//! scope, and the SHA-256 of the secret — never the secret). The secret is 32 random bytes,
//! so a plain hash is as strong as a slow one; a presented secret is compared in constant
//! time.

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

pub use crate::meta::{ApiKeyRecord, Role};

/// What every key starts with (so a key in a log or a file is recognisable).
const PREFIX: &str = "shoal_";

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buffer)
        .expect("the system's random source");
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(secret: &str) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// What a new key may do, for [`new_key`].
#[derive(Debug, Clone)]
pub struct KeySpec {
    pub name: String,
    pub role: Role,
    pub prefix: Option<Vec<u8>>,
    pub expires_at_ms: Option<u64>,
}

fn record(id: &str, secret: &str, spec: KeySpec, now_ms: u64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.to_owned(),
        name: spec.name,
        role: spec.role,
        prefix: spec.prefix,
        created_at_ms: now_ms,
        expires_at_ms: spec.expires_at_ms,
        revoked_at_ms: None,
        secret_sha256: sha256(secret),
    }
}

/// A new key: the text to give the client (shown once), and the record to keep.
pub fn new_key(spec: KeySpec, now_ms: u64) -> (String, ApiKeyRecord) {
    let (id, secret) = (random_hex(8), random_hex(32));
    let text = format!("{PREFIX}{id}_{secret}");
    (text, record(&id, &secret, spec, now_ms))
}

/// The record of a key given as text (`SHOAL_BOOTSTRAP_ADMIN_KEY`): its id and secret as
/// they are, the rest from `spec`. None when the text is not a key.
pub fn record_of(text: &str, spec: KeySpec, now_ms: u64) -> Option<ApiKeyRecord> {
    let (id, secret) = parse(text)?;
    Some(record(id, secret, spec, now_ms))
}

/// The id and secret of a key's text.
pub fn parse(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id) && hex(secret) && secret.len() >= 32).then_some((id, secret))
}

/// Why a presented key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error(
        "the authorization header holds no shoal API key (expected \"Bearer shoal_<id>_<secret>\")"
    )]
    Malformed,
    #[error("API key {0} is not known to this cluster")]
    Unknown(String),
    #[error("API key {0} does not match its secret")]
    WrongSecret(String),
    #[error("API key {0} was revoked")]
    Revoked(String),
    #[error("API key {0} has expired")]
    Expired(String),
}

impl ApiKeyRecord {
    /// Whether the key can be used at `now_ms` (not revoked, not expired).
    pub fn usable(&self, now_ms: u64) -> Result<(), KeyRefusal> {
        if self.revoked_at_ms.is_some() {
            return Err(KeyRefusal::Revoked(self.id.clone()));
        }
        if self.expires_at_ms.is_some_and(|at| now_ms >= at) {
            return Err(KeyRefusal::Expired(self.id.clone()));
        }
        Ok(())
    }

    /// Checks a presented secret against the stored hash, in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        let presented = sha256(secret);
        // Every byte is looked at whatever the others are: no early exit to time.
        presented
            .iter()
            .zip(self.secret_sha256.iter())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
    }

    /// Whether the key may touch `key` (its prefix scope).
    pub fn covers(&self, key: &[u8]) -> bool {
        self.prefix
            .as_ref()
            .is_none_or(|prefix| key.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(role: Role) -> KeySpec {
        KeySpec {
            name: "test".into(),
            role,
            prefix: Some(b"tenant-a/".to_vec()),
            expires_at_ms: Some(1_000),
        }
    }

    #[test]
    fn a_new_key_verifies_only_with_its_own_secret() {
        let (text, record) = new_key(spec(Role::Write), 10);
        let (id, secret) = parse(&text).unwrap();
        assert_eq!(id, record.id);
        assert!(record.matches(secret));
        let (other, _) = new_key(spec(Role::Write), 10);
        assert!(!record.matches(parse(&other).unwrap().1));
        assert!(!text.contains(&format!("{:?}", record.secret_sha256)));
        assert_eq!(record.usable(999), Ok(()));
        assert_eq!(
            record.usable(1_000),
            Err(KeyRefusal::Expired(record.id.clone()))
        );
        assert!(record.covers(b"tenant-a/x") && !record.covers(b"tenant-b/x"));
    }

    #[test]
    fn only_well_formed_keys_parse() {
        for bad in [
            "",
            "shoal_",
            "shoal_abc",
            "shoal__abc",
            "shoal_zz_00",
            "other_ab_cd",
            "shoal_ab_cd",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let (text, record) = new_key(spec(Role::Admin), 0);
        let again = record_of(&text, spec(Role::Admin), 5).unwrap();
        assert_eq!(
            (again.id.clone(), again.secret_sha256),
            (record.id, record.secret_sha256)
        );
        assert!(Role::Admin > Role::Write && Role::Write > Role::Read);
    }
}
