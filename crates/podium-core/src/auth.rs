//! Secrets and principals: how API keys are minted and hashed, and who a request acts as.

use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::id::{AccountId, ApiKeyId, UserId};

/// The prefix of every generated API key.
pub const API_KEY_PREFIX: &str = "pdm_";
/// Characters of a key kept as its displayable `prefix`.
pub const DISPLAY_PREFIX_LEN: usize = 12;
const SECRET_LEN: usize = 40;
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh API key: `pdm_` and 40 random base62 characters (~238 bits).
pub fn generate_api_key() -> String {
    generate_secret(API_KEY_PREFIX)
}

/// A fresh secret: `prefix` and 40 random base62 characters (~238 bits). API keys and client
/// tokens are made this way.
pub fn generate_secret(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut key = String::with_capacity(prefix.len() + SECRET_LEN);
    key.push_str(prefix);
    for _ in 0..SECRET_LEN {
        key.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    key
}

/// Random bytes from the OS-seeded generator (for server secrets).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..n).map(|_| rng.random::<u8>()).collect()
}

/// Hex SHA-256 of a secret: what the store keeps and looks keys up by. Keys are long random
/// strings, so a fast hash is enough (no password stretching needed).
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Runs on every authenticated request: one allocation, not one per byte.
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(secret.as_bytes()) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The displayable start of a key.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(DISPLAY_PREFIX_LEN).collect()
}

/// Who an admin request acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The key used.
    pub key_id: ApiKeyId,
    /// Its user.
    pub user_id: UserId,
    /// Its account.
    pub account_id: AccountId,
    /// Whether the user reaches every account.
    pub super_admin: bool,
}

impl Principal {
    /// Whether a resource of `account` is visible to this principal.
    pub fn can_see(&self, account: AccountId) -> bool {
        self.super_admin || self.account_id == account
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_hash_stably() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX) && a.len() == 44);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_eq!(hash_secret(&a).len(), 64);
        assert_eq!(display_prefix(&a).len(), DISPLAY_PREFIX_LEN);
    }

    #[test]
    fn a_secret_hashes_to_lowercase_hex_sha256() {
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
