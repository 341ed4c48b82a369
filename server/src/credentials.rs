//! Secrets Seltzer hands out: API key ids and secrets, login tokens, sample file ids.
//!
//! API key secrets are stored as argon2 hashes (a leaked database must not reveal them, and
//! they are checked once per scan, so argon2's cost is affordable). Tokens are 256 random bits,
//! checked on every request: a SHA-256 hash is enough for values that cannot be guessed, and
//! keeps each request cheap.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// An argon2id hash in PHC format (salt included).
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_secret(secret: &str, phc_hash: &str) -> bool {
    PasswordHash::new(phc_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
}

/// argon2 verifications running at once. Each holds ~19 MiB and a core for tens of
/// milliseconds; unbounded, 200 parallel sign-ins took 2.9 GB and starved every other request.
/// One core is left for the rest of the server.
static VERIFIERS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
});

/// How long a verification waits for its turn before the caller is told to come back later.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Too many verifications were queued: the request should be retried later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins are being checked at once; try again in a few seconds")]
pub struct Busy;

/// [`verify_secret`] off the async workers, at most a few at a time (see `VERIFIERS`).
pub async fn verify_secret_bounded(secret: String, phc_hash: String) -> Result<bool, Busy> {
    let permit = tokio::time::timeout(VERIFY_WAIT, VERIFIERS.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let valid = tokio::task::spawn_blocking(move || verify_secret(&secret, &phc_hash))
        .await
        .unwrap_or(false);
    drop(permit);
    Ok(valid)
}

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let hash = hash_secret("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("s3cret", &hash));
        assert!(!verify_secret("s3cret ", &hash));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn random_hex_has_the_asked_length_and_differs() {
        let a = random_hex(16);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(16));
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
