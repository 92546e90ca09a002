//! JSON Web Tokens: HS256 only (the algorithm is pinned), `iss`, `aud`, `exp`, `nbf`, `iat`,
//! `sub`, a `typ` that keeps access and refresh tokens apart, a session id `sid`, and a `kid`
//! in the header so that a second key can be added for rotation.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;

/// The two kinds of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    /// Short-lived; sent as `Authorization: Bearer`.
    Access,
    /// Longer-lived; only exchanged at `/auth/refresh`.
    Refresh,
}

/// The claims of both kinds of token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Access or refresh.
    pub typ: TokenType,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
    /// The token's own id.
    pub jti: String,
}

/// Why a token was refused; the reason is logged at debug level, never sent.
#[derive(Debug, thiserror::Error)]
#[error("token refused: {0}")]
pub struct TokenRefused(pub String);

/// Signing and verifying keys.
pub struct JwtKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Where the generated secret is kept when `FRONTLINE_JWT_SECRET` is not set.
pub const SECRET_FILE: &str = "jwt-secret";

impl JwtKeys {
    /// Builds the keys from settings and secrets.
    pub fn new(settings: &AuthSettings, secret: &[u8]) -> Result<Self, String> {
        let mut decoding = HashMap::new();
        let key = |s: &[u8]| DecodingKey::from_secret(s).map_err(|e| e.to_string());
        decoding.insert(settings.jwt_kid.clone(), key(secret)?);
        if let Some((kid, previous)) = &settings.jwt_previous {
            decoding.insert(kid.clone(), key(previous.0.as_bytes())?);
        }
        Ok(JwtKeys {
            kid: settings.jwt_kid.clone(),
            encoding: EncodingKey::from_secret(secret).map_err(|e| e.to_string())?,
            decoding,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// Loads the keys: `FRONTLINE_JWT_SECRET`, or else a secret generated once and kept in
    /// `data_dir` (readable by the owner only). Without either (PostgreSQL with no secret set),
    /// refuses: several instances must share one secret.
    pub fn load(settings: &AuthSettings, data_dir: Option<&Path>) -> Result<Self, String> {
        if let Some(secret) = &settings.jwt_secret {
            return Self::new(settings, secret.0.as_bytes());
        }
        let Some(dir) = data_dir else {
            return Err("FRONTLINE_JWT_SECRET must be set (at least 32 bytes) when the database is PostgreSQL, \
                        so that every instance signs with the same key"
                .into());
        };
        let path = dir.join(SECRET_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => s.trim().to_owned(),
            _ => {
                let secret = crate::auth::password::random_token(48);
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                write_private(&path, &secret)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                log::warn!(
                    "FRONTLINE_JWT_SECRET is not set: generated a signing secret in {} (set FRONTLINE_JWT_SECRET in production)",
                    path.display()
                );
                secret
            }
        };
        Self::new(settings, secret.as_bytes())
    }

    /// Signs a token of `typ` for `user_id` in session `sid`, valid from `now` for `ttl_secs`.
    pub fn issue(
        &self,
        typ: TokenType,
        user_id: &str,
        sid: &str,
        jti: &str,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String, String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        let iat = now.timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            exp: iat + ttl_secs,
            nbf: iat,
            iat,
            typ,
            sid: sid.to_owned(),
            jti: jti.to_owned(),
        };
        encode(&header, &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Verifies a token's signature (HS256 only, by its `kid`), `iss`, `aud`, `exp`, `nbf`, and
    /// that it is of kind `expected`.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, TokenRefused> {
        let header = decode_header(token).map_err(|e| TokenRefused(format!("header: {e}")))?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenRefused(format!("algorithm {:?}", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| TokenRefused("no kid".into()))?;
        let key = self
            .decoding
            .get(&kid)
            .ok_or_else(|| TokenRefused(format!("unknown kid {kid}")))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "iss", "aud"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        let data =
            decode::<Claims>(token, key, &validation).map_err(|e| TokenRefused(e.to_string()))?;
        if data.claims.typ != expected {
            return Err(TokenRefused(format!(
                "a {:?} token where {expected:?} was expected",
                data.claims.typ
            )));
        }
        Ok(data.claims)
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn settings() -> AuthSettings {
        Config::from_lookup(|k| (k == "FRONTLINE_JWT_SECRET").then(|| "s".repeat(40)))
            .unwrap()
            .auth
    }

    fn keys() -> JwtKeys {
        JwtKeys::load(&settings(), None).unwrap()
    }

    #[test]
    fn a_token_round_trips_and_keeps_its_kind() {
        let k = keys();
        let t = k
            .issue(TokenType::Access, "u1", "s1", "j1", Utc::now(), 60)
            .unwrap();
        let c = k.verify(&t, TokenType::Access).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
        assert!(
            k.verify(&t, TokenType::Refresh).is_err(),
            "an access token is no refresh token"
        );
    }

    #[test]
    fn expiry_and_not_before_are_enforced_with_five_seconds_of_leeway() {
        let k = keys();
        let now = Utc::now();
        let expired = k
            .issue(
                TokenType::Access,
                "u",
                "s",
                "j",
                now - chrono::Duration::seconds(120),
                60,
            )
            .unwrap();
        assert!(k.verify(&expired, TokenType::Access).is_err());
        let future = k
            .issue(
                TokenType::Access,
                "u",
                "s",
                "j",
                now + chrono::Duration::seconds(60),
                600,
            )
            .unwrap();
        assert!(k.verify(&future, TokenType::Access).is_err());
        let just = k
            .issue(
                TokenType::Access,
                "u",
                "s",
                "j",
                now + chrono::Duration::seconds(2),
                600,
            )
            .unwrap();
        assert!(
            k.verify(&just, TokenType::Access).is_ok(),
            "within the leeway"
        );
    }

    #[test]
    fn another_key_or_issuer_or_audience_is_refused() {
        let k = keys();
        let mut other = settings();
        other.jwt_secret = Some(crate::config::Secret("t".repeat(40)));
        let foreign = JwtKeys::load(&other, None).unwrap();
        let t = foreign
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        assert!(k.verify(&t, TokenType::Access).is_err(), "bad signature");
        let mut iss = settings();
        iss.issuer = "elsewhere".into();
        let t = JwtKeys::load(&iss, None)
            .unwrap()
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        assert!(k.verify(&t, TokenType::Access).is_err(), "wrong iss");
        let mut aud = settings();
        aud.audience = "someone-else".into();
        let t = JwtKeys::load(&aud, None)
            .unwrap()
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        assert!(k.verify(&t, TokenType::Access).is_err(), "wrong aud");
    }

    #[test]
    fn a_previous_key_still_verifies_after_rotation() {
        let old = keys();
        let t = old
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        let mut rotated = settings();
        rotated.jwt_kid = "k2".into();
        rotated.jwt_secret = Some(crate::config::Secret("n".repeat(40)));
        rotated.jwt_previous = Some(("k1".into(), crate::config::Secret("s".repeat(40))));
        let new = JwtKeys::load(&rotated, None).unwrap();
        assert!(new.verify(&t, TokenType::Access).is_ok());
        let t2 = new
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        assert!(
            old.verify(&t2, TokenType::Access).is_err(),
            "the old service does not know k2"
        );
    }

    #[test]
    fn postgres_without_a_secret_refuses_to_start_and_sqlite_keeps_one() {
        let mut s = settings();
        s.jwt_secret = None;
        assert!(JwtKeys::load(&s, None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let a = JwtKeys::load(&s, Some(dir.path())).unwrap();
        let b = JwtKeys::load(&s, Some(dir.path())).unwrap();
        let t = a
            .issue(TokenType::Access, "u", "s", "j", Utc::now(), 60)
            .unwrap();
        assert!(
            b.verify(&t, TokenType::Access).is_ok(),
            "the kept secret is reused"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only");
        }
    }
}
