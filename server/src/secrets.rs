//! Secrets of data sources: sealed with XChaCha20-Poly1305 under the key in
//! `SELTZER_SECRET_KEY` (32 random bytes in base64, e.g. from `openssl rand -base64 32`), the
//! secret's name bound as associated data so a ciphertext cannot be moved to another name. A
//! configuration never holds a value, only references: `${secret:NAME}` (stored here) and
//! `${env:NAME}` (Seltzer's own environment), both resolved when a scan starts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};

/// The key secrets are sealed with.
#[derive(Clone)]
pub struct SecretKey(XChaCha20Poly1305);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// A sealed value as stored: nonce and ciphertext, in base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: String,
    pub ciphertext: String,
}

impl SecretKey {
    /// From `SELTZER_SECRET_KEY`'s text.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            "SELTZER_SECRET_KEY must be 32 random bytes in base64 (openssl rand -base64 32)"
                .to_owned()
        })?;
        if bytes.len() != 32 {
            return Err(format!(
                "SELTZER_SECRET_KEY holds {} bytes; it must hold 32 (openssl rand -base64 32)",
                bytes.len()
            ));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(Self(cipher))
    }

    pub fn seal(&self, name: &str, value: &str) -> Sealed {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            // Encryption fails only for messages over 256 GiB.
            .unwrap_or_default();
        Sealed {
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        }
    }

    /// The value, or why it cannot be read (another key, or not this name's).
    pub fn open(&self, name: &str, sealed: &Sealed) -> Result<String, String> {
        let wrong = || {
            format!(
                "the secret '{name}' cannot be decrypted with this SELTZER_SECRET_KEY (it was \
                 stored with another key)"
            )
        };
        let nonce = STANDARD.decode(&sealed.nonce).map_err(|_| wrong())?;
        let ciphertext = STANDARD.decode(&sealed.ciphertext).map_err(|_| wrong())?;
        if nonce.len() != 24 {
            return Err(wrong());
        }
        let plain = self
            .0
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| wrong())?;
        String::from_utf8(plain).map_err(|_| wrong())
    }
}

/// A reference in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    /// `${secret:NAME}`
    Secret(String),
    /// `${env:NAME}`
    Env(String),
    /// `${file:/ABSOLUTE/PATH}`: a file's contents without the trailing line break (a
    /// mounted Docker or Kubernetes secret, say).
    File(String),
}

impl Reference {
    pub fn name(&self) -> &str {
        match self {
            Self::Secret(n) | Self::Env(n) | Self::File(n) => n,
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(n) => write!(f, "secret:{n}"),
            Self::Env(n) => write!(f, "env:{n}"),
            Self::File(p) => write!(f, "file:{p}"),
        }
    }
}

/// A 400-worthy reason unless `${file:PATH}` lies under `dir`, the folder the operator mounts
/// secrets in, as written (no `..`). The runner checks the resolved path again when it reads.
pub fn file_allowed(path: &str, dir: &std::path::Path) -> Result<(), String> {
    let file = std::path::Path::new(path);
    let climbs = file
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir));
    if climbs || !file.starts_with(dir) || file == dir {
        return Err(format!(
            "${{file:{path}}}: Seltzer reads secret files under {} only (seltzer serve \
             --secret-files-dir)",
            dir.display()
        ));
    }
    Ok(())
}

/// Whether `name` can name a secret or a variable: letters, digits, `_` and `-`, 1 to 100.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Each `${secret:NAME}` and `${env:NAME}` in `text`, with its byte range; an error names a
/// malformed one.
pub fn references(text: &str) -> Result<Vec<(std::ops::Range<usize>, Reference)>, String> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${").map(|i| i + from) {
        let rest = &text[start + 2..];
        let Some(end) = rest.find('}') else {
            break;
        };
        let inner = rest[..end].trim();
        let reference = if let Some(name) = inner.strip_prefix("secret:") {
            Some(Reference::Secret(name.trim().to_owned()))
        } else if let Some(path) = inner.strip_prefix("file:") {
            let path = path.trim();
            if !path.starts_with('/') || path.len() > 4096 {
                return Err(format!(
                    "'${{{inner}}}': a file is named by its absolute path, e.g. \
                     ${{file:/run/secrets/warehouse}}"
                ));
            }
            Some(Reference::File(path.to_owned()))
        } else {
            inner
                .strip_prefix("env:")
                .map(|name| Reference::Env(name.trim().to_owned()))
        };
        if let Some(reference) = reference {
            if !matches!(reference, Reference::File(_)) && !valid_name(reference.name()) {
                return Err(format!(
                    "'${{{inner}}}': a name has letters, digits, '_' and '-' only"
                ));
            }
            found.push((start..start + 2 + end + 1, reference));
        }
        from = start + 2 + end + 1;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_under_its_name_and_key() {
        let sealed = key().seal("warehouse", "s3cr3t!");
        assert!(!sealed.ciphertext.contains("s3cr3t"));
        assert_eq!(key().open("warehouse", &sealed).unwrap(), "s3cr3t!");
        assert!(key().open("other", &sealed).is_err());
        let other = SecretKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert!(
            other
                .open("warehouse", &sealed)
                .unwrap_err()
                .contains("another key")
        );
        // A new nonce each time.
        assert_ne!(key().seal("warehouse", "s3cr3t!"), sealed);
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretKey::from_base64("not base64!").is_err());
        assert!(
            SecretKey::from_base64(&STANDARD.encode([1u8; 16]))
                .unwrap_err()
                .contains("holds 16 bytes")
        );
    }

    #[test]
    fn references_are_found_and_malformed_ones_named() {
        let text = "host: db\npassword: ${secret:pg-password}\nuser: ${ env:PGUSER }\nx: ${ y }\n\
                    key: ${file:/run/secrets/pg key}";
        let found: Vec<Reference> = references(text).unwrap().into_iter().map(|r| r.1).collect();
        assert_eq!(
            found,
            [
                Reference::Secret("pg-password".to_owned()),
                Reference::Env("PGUSER".to_owned()),
                Reference::File("/run/secrets/pg key".to_owned())
            ]
        );
        let (range, _) = &references(text).unwrap()[0];
        assert_eq!(&text[range.clone()], "${secret:pg-password}");
        assert!(
            references("p: ${secret:a b}")
                .unwrap_err()
                .contains("letters")
        );
        assert!(
            references("p: ${file:relative}")
                .unwrap_err()
                .contains("absolute path")
        );
    }
}
