//! Who is calling: JWT keys ([`jwt`]), password hashing ([`password`]), the role and unit rules
//! ([`policy`]), and the [`AuthUser`] extractor, which verifies the bearer token and loads the
//! account and its session from the database on every request, so that a deactivated account
//! or a revoked session is refused at once, on every instance.

pub mod jwt;
pub mod password;
pub mod policy;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::config::AuthSettings;
use crate::db::DbPool;
use crate::domain::account::{PasswordPolicy, Role};
use crate::domain::unit::Activity;
use crate::error::AppError;

use self::jwt::{JwtKeys, TokenType};
use self::password::Hasher;

/// Everything sign-in needs, shared by the workers.
pub struct AuthState {
    /// Token keys.
    pub keys: JwtKeys,
    /// The password hasher.
    pub hasher: Hasher,
    /// The password policy.
    pub policy: PasswordPolicy,
    /// The settings (lifetimes, lockout, rate).
    pub settings: AuthSettings,
}

impl AuthState {
    /// From the settings; `data_dir` keeps a generated JWT secret on SQLite.
    pub fn new(
        settings: &AuthSettings,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self, String> {
        Ok(AuthState {
            keys: JwtKeys::load(settings, data_dir)?,
            hasher: Hasher::new(settings)?,
            policy: PasswordPolicy {
                min_length: settings.password_min_length as usize,
                min_classes: settings.password_min_classes as usize,
            },
            settings: settings.clone(),
        })
    }
}

/// The signed-in caller: an active account with a live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    /// The account's id.
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// The unit it acts for.
    pub unit_id: Option<String>,
    /// For a lead: its activity.
    pub lead_activity: Option<Activity>,
    /// The session (refresh-token family) of the token.
    pub session_id: String,
    /// Whether the account still has to change a generated password.
    pub must_change_password: bool,
    /// When the caller is an integration's API key: the key and its scopes. A key acts as an
    /// account of no unit (it reads what any signed-in account reads) plus what its scopes add.
    pub key: Option<KeyGrant>,
}

/// An API key's grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyGrant {
    /// The key's name.
    pub name: String,
    /// Its scopes.
    pub scopes: std::collections::BTreeSet<crate::domain::api_key::Scope>,
}

impl AuthUser {
    /// Whether the caller is an API key with `scope`.
    pub fn has_scope(&self, scope: crate::domain::api_key::Scope) -> bool {
        self.key.as_ref().is_some_and(|k| k.scopes.contains(&scope))
    }

    /// The account to record as author (`created_by`): none for an API key.
    pub fn account_id(&self) -> Option<&str> {
        self.key.is_none().then_some(self.id.as_str())
    }
}

/// The API key a request presents: `Authorization: ApiKey <key>` or `X-Api-Key: <key>`.
fn api_key(req: &HttpRequest) -> Option<String> {
    if let Some(k) = req.headers().get("x-api-key") {
        // One credential per request: a key beside another Authorization is refused below.
        if req.headers().contains_key(header::AUTHORIZATION) {
            return Some(String::new());
        }
        return Some(k.to_str().map(|k| k.trim().to_owned()).unwrap_or_default());
    }
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("apikey")
        .then(|| key.trim().to_owned())
}

/// Verifies an API key: known, not revoked nor expired, from an allowed address; records the
/// use (last-used time and an audit record) in one transaction.
fn authenticate_key(
    req: &HttpRequest,
    key: String,
) -> Pin<Box<dyn Future<Output = Result<AuthUser, AppError>>>> {
    use actix_web::HttpMessage;
    let pool = req.app_data::<web::Data<DbPool>>().cloned();
    let ip = req.peer_addr().map(|a| a.ip());
    let request_id = req
        .extensions()
        .get::<crate::telemetry::RequestId>()
        .map(|r| r.0.clone());
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    let route = req.match_pattern();
    Box::pin(async move {
        let Some(pool) = pool else {
            return Err(AppError::internal("authentication state is not configured"));
        };
        let Some(lookup) = crate::domain::api_key::lookup_id(&key).map(str::to_owned) else {
            return Err(AppError::Unauthorized("malformed API key".into()));
        };
        crate::db::run(&pool, move |conn| {
            use sha2::Digest;
            let refused = |why: &str| AppError::Unauthorized(format!("API key {why}"));
            let row = crate::store::api_keys::by_lookup(conn, &lookup)?
                .ok_or_else(|| refused("unknown"))?;
            let given = sha2::Sha256::digest(key.as_bytes());
            let stored = (0..row.key_hash.len())
                .step_by(2)
                .filter_map(|i| row.key_hash.get(i..i + 2))
                .filter_map(|h| u8::from_str_radix(h, 16).ok())
                .collect::<Vec<u8>>();
            let same = stored.len() == given.len()
                && stored.iter().zip(given.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
            let now = crate::store::now();
            let rules: Vec<String> = serde_json::from_str(&row.allowed_addresses)
                .map_err(|_| AppError::internal("unreadable key addresses"))?;
            let rules: Vec<crate::domain::api_key::AddrRule> =
                rules.iter().filter_map(|r| r.parse().ok()).collect();
            let scopes: std::collections::BTreeSet<crate::domain::api_key::Scope> =
                serde_json::from_str(&row.scopes)
                    .map_err(|_| AppError::internal("unreadable key scopes"))?;
            let verdict = if !same {
                Err(refused("unknown"))
            } else if row.revoked_at.is_some() {
                Err(refused("revoked"))
            } else if row.expires_at.is_some_and(|e| e <= now) {
                Err(refused("expired"))
            } else if !crate::domain::api_key::address_allowed(&rules, ip) {
                Err(refused("used from an address it does not allow"))
            } else if !crate::domain::api_key::route_allowed(&scopes, &method, route.as_deref()) {
                Err(AppError::Forbidden { code: "scope" })
            } else {
                Ok(())
            };
            let username = format!("apikey:{}", row.name);
            // Every use is audited, refused ones too: they are how a leaked key shows.
            crate::db::write_transaction(conn, |conn| {
                if verdict.is_ok() {
                    crate::store::api_keys::touch(conn, &row.id, now)?;
                }
                let actx = crate::store::audit::AuditCtx {
                    actor_id: Some(row.id.clone()),
                    actor_username: Some(username.clone()),
                    actor_role: Some("api_key".into()),
                    actor_unit_id: None,
                    request_id: request_id.clone(),
                    client_addr: ip.map(|i| i.to_string()),
                };
                let changes = serde_json::json!({"method": {"before": null, "after": method}, "path": {"before": null, "after": path}});
                crate::store::audit::record(conn, &actx, crate::store::audit::AuditEntry {
                    action: "api_key.use",
                    target_type: Some("api_key"),
                    target_id: Some(&row.id),
                    changes: Some(changes),
                    outcome: if verdict.is_ok() { "success" } else { "failure" },
                })
            })?;
            verdict?;
            Ok(AuthUser {
                id: row.id,
                username,
                role: Role::Unit,
                unit_id: None,
                lead_activity: None,
                session_id: String::new(),
                must_change_password: false,
                key: Some(KeyGrant { name: row.name, scopes }),
            })
        })
        .await
    })
}

fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorized("no Authorization header".into()))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthorized("unreadable header".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AppError::Unauthorized("no scheme".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized("not a bearer token".into()));
    }
    Ok(token.trim().to_owned())
}

/// Verifies the bearer token and loads its account and session.
fn authenticate(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<AuthUser, AppError>>>> {
    if let Some(key) = api_key(req) {
        return authenticate_key(req, key);
    }
    let token = bearer(req);
    let state = req.app_data::<web::Data<AuthState>>().cloned();
    let pool = req.app_data::<web::Data<DbPool>>().cloned();
    Box::pin(async move {
        let token = token?;
        let (Some(state), Some(pool)) = (state, pool) else {
            return Err(AppError::internal("authentication state is not configured"));
        };
        let claims = state.keys.verify(&token, TokenType::Access).map_err(|e| {
            log::debug!("{e}");
            AppError::Unauthorized(e.to_string())
        })?;
        let principal = crate::db::run(&pool, move |conn| {
            crate::store::users::principal(conn, &claims.sub, &claims.sid)
        })
        .await?;
        principal
            .ok_or_else(|| AppError::Unauthorized("account inactive or session revoked".into()))
    })
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    /// Refuses an account that must still change its generated password.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = authenticate(req);
        Box::pin(async move {
            let user = fut.await?;
            if user.must_change_password {
                return Err(AppError::Forbidden {
                    code: "password_change_required",
                });
            }
            Ok(user)
        })
    }
}

/// A signed-in caller who may still have to change a generated password: for the routes that
/// let them do so (`/auth/me`, `/auth/password`, `/auth/logout`).
pub struct PendingUser(pub AuthUser);

impl FromRequest for PendingUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = authenticate(req);
        Box::pin(async move {
            let user = fut.await?;
            // Sessions and passwords are people's: an API key has neither.
            if user.key.is_some() {
                return Err(AppError::Forbidden { code: "role" });
            }
            Ok(PendingUser(user))
        })
    }
}
