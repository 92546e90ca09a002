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
        Box::pin(async move { fut.await.map(PendingUser) })
    }
}
