//! Authenticated gossip: chitchat is plain UDP, which mTLS does not cover, so every datagram
//! carries an HMAC-SHA256 tag made with the cluster's gossip key, and a datagram whose tag
//! does not verify is dropped before it is parsed (counted in
//! `shoal_gossip_datagrams_dropped_total{reason="unauthenticated"}`).
//!
//! The key file holds one key per line (at least 32 characters each, e.g. the 64 hex digits
//! `shoal certs gossip-key` writes): the first line signs, every line verifies, so a key is
//! rotated by adding the new one as a second line on every node, then moving it first, then
//! removing the old one.
//!
//! Known limit: a captured datagram can be replayed as it was (chitchat ignores state older
//! than what it holds, so a replay repeats old news, it cannot forge new state).

use std::path::Path;

use ring::hmac;

/// Bytes of the tag appended to every datagram.
pub const TAG_LEN: usize = 32;
/// Shortest key accepted, in bytes.
const MIN_KEY_LEN: usize = 32;

/// The gossip keys: the first signs, all verify.
pub struct GossipKeys {
    keys: Vec<hmac::Key>,
}

impl std::fmt::Debug for GossipKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        write!(f, "GossipKeys({} keys)", self.keys.len())
    }
}

impl GossipKeys {
    /// The keys of a key file's text: one per non-empty line.
    pub fn from_text(text: &str) -> Result<GossipKeys, String> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        if lines.is_empty() {
            return Err("holds no key (one per line; shoal certs gossip-key makes one)".into());
        }
        if let Some(short) = lines.iter().position(|line| line.len() < MIN_KEY_LEN) {
            return Err(format!(
                "key on line {} is shorter than {MIN_KEY_LEN} characters",
                short + 1
            ));
        }
        Ok(GossipKeys {
            keys: lines
                .iter()
                .map(|line| hmac::Key::new(hmac::HMAC_SHA256, line.as_bytes()))
                .collect(),
        })
    }

    /// Reads a key file.
    pub fn from_file(path: &Path) -> Result<GossipKeys, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        GossipKeys::from_text(&text).map_err(|why| format!("{}: {why}", path.display()))
    }

    /// Appends the tag of `datagram` (made with the signing key) to it.
    pub fn seal(&self, datagram: &mut Vec<u8>) {
        let tag = hmac::sign(&self.keys[0], datagram);
        datagram.extend_from_slice(tag.as_ref());
    }

    /// The datagram without its tag, when the tag verifies under any key.
    pub fn open<'a>(&self, sealed: &'a [u8]) -> Option<&'a [u8]> {
        let split = sealed.len().checked_sub(TAG_LEN)?;
        let (datagram, tag) = sealed.split_at(split);
        self.keys
            .iter()
            .any(|key| hmac::verify(key, datagram, tag).is_ok())
            .then_some(datagram)
    }
}

/// A new random key as `shoal certs gossip-key` writes it: 64 hex digits and a newline.
pub fn generate_key_text() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_datagram_opens_only_with_a_key_of_the_cluster() {
        let old = generate_key_text();
        let new = generate_key_text();
        let signer = GossipKeys::from_text(&old).unwrap();
        let mut datagram = b"digest".to_vec();
        signer.seal(&mut datagram);
        assert_eq!(datagram.len(), 6 + TAG_LEN);
        assert_eq!(signer.open(&datagram), Some(&b"digest"[..]));
        // During a rotation: the new key first, the old one still verifying.
        let rotating = GossipKeys::from_text(&format!("{new}{old}")).unwrap();
        assert_eq!(rotating.open(&datagram), Some(&b"digest"[..]));
        // Another cluster's key, a flipped bit, a truncated datagram: dropped.
        assert_eq!(GossipKeys::from_text(&new).unwrap().open(&datagram), None);
        let mut flipped = datagram.clone();
        flipped[2] ^= 1;
        assert_eq!(signer.open(&flipped), None);
        assert_eq!(signer.open(&datagram[..10]), None);
        assert_eq!(signer.open(b""), None);
    }

    #[test]
    fn bad_key_files_say_what_is_wrong_and_never_show_the_key() {
        assert!(
            GossipKeys::from_text("\n\n")
                .unwrap_err()
                .contains("no key")
        );
        assert!(
            GossipKeys::from_text("short")
                .unwrap_err()
                .contains("line 1")
        );
        let keys = GossipKeys::from_text(&generate_key_text()).unwrap();
        assert_eq!(format!("{keys:?}"), "GossipKeys(1 keys)");
    }
}
