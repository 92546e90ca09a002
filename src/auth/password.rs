//! Password hashing (argon2id, off the actix workers: callers run it inside `db::run` or
//! `web::block`), one-time passwords, random tokens and token hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;

/// The argon2id hasher with the configured cost.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
}

impl Hasher {
    /// From the settings' memory and iteration cost.
    pub fn new(settings: &AuthSettings) -> Result<Self, String> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            1,
            None,
        )
        .map_err(|e| e.to_string())?;
        Ok(Hasher { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a password into a PHC string.
    pub fn hash(&self, password: &str) -> Result<String, String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }

    /// Whether `password` matches the PHC string `hash` (the cost is read from the hash).
    pub fn verify(&self, password: &str, hash: &str) -> bool {
        PasswordHash::new(hash)
            .map(|parsed| {
                self.argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }

    /// Spends the time of one verification, for an unknown user, so that the answer's timing
    /// does not tell unknown users from wrong passwords.
    pub fn verify_dummy(&self, password: &str) {
        let _ = self.verify(
            password,
            DUMMY_HASH.get_or_init(|| self.hash("dummy-password-Aa1!").unwrap_or_default()),
        );
    }
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// `bytes` random bytes, base64url-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The SHA-256 of a token, hex-encoded: what the database keeps of a refresh token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-time password of 16 characters with lower case, upper case, digits and symbols, no
/// look-alikes (0/O, 1/l/I), so that it meets any password policy and reads aloud.
pub fn one_time_password() -> String {
    const SETS: [&[u8]; 4] = [
        b"abcdefghijkmnpqrstuvwxyz",
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"23456789",
        b"!#%+-=?@",
    ];
    let pick = |set: &[u8]| set[(OsRng.next_u32() as usize) % set.len()] as char;
    let mut chars: Vec<char> = SETS.iter().map(|s| pick(s)).collect();
    let all: Vec<u8> = SETS.concat();
    while chars.len() < 16 {
        chars.push(pick(&all));
    }
    // Fisher–Yates, so the classes are not always in front.
    for i in (1..chars.len()).rev() {
        let j = (OsRng.next_u32() as usize) % (i + 1);
        chars.swap(i, j);
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::account::PasswordPolicy;

    fn hasher() -> Hasher {
        let mut s = Config::from_lookup(|_| None).unwrap().auth;
        s.argon2_memory_kib = 1024;
        s.argon2_iterations = 1;
        Hasher::new(&s).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hasher();
        let hash = h.hash("Correct-horse-1").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("Correct-horse-1", &hash));
        assert!(!h.verify("correct-horse-1", &hash));
        assert!(!h.verify("Correct-horse-1", "not a hash"));
    }

    #[test]
    fn one_time_passwords_meet_the_strictest_policy_and_differ() {
        let strict = PasswordPolicy {
            min_length: 16,
            min_classes: 4,
        };
        let a = one_time_password();
        assert_eq!(a.chars().count(), 16);
        assert_eq!(strict.check("admin", &a), Ok(()));
        assert_ne!(a, one_time_password());
    }

    #[test]
    fn token_hashes_are_stable_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_token(32).len(), 43);
    }
}
