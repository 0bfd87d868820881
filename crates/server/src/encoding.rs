//! Random tokens, their hashes and slugs, and keys read from hex (the `hex` crate does the
//! hex; lowercase hex is `hex::encode`).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;

/// Exactly `N` bytes from `2 × N` hex digits; anything else is `None`.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

/// SHA-256 of a session token, service key or link token, hex: what the database
/// keeps (and a provisioning request's fingerprint).
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `N` random bytes from the OS generator, as URL-safe base64 without padding.
pub fn random_token<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A slug (an organization's, a service key's name): 1 to 63 of a-z, 0-9 and
/// `-`, not starting with `-`.
pub fn is_slug(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_wrong_lengths_and_digits() {
        let bytes = [0x00, 0x7f, 0xff, 0x10];
        assert_eq!(hex::encode(bytes), "007fff10");
        assert_eq!(from_hex::<4>("007fff10"), Some(bytes));
        assert_eq!(from_hex::<4>("007fff1"), None);
        assert_eq!(from_hex::<4>("007fff1g"), None);
        assert_eq!(from_hex::<4>("+07fff10"), None);
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (a, b) = (random_token::<32>(), random_token::<32>());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
