//! Sessions: sign in, refresh (rotating), sign out, who am I, change password.
//! Sign-in failures lock an account after too many within a window, and a client past the
//! login rate gets 429; an unknown user, a wrong password and a locked account get the same
//! answer. Refresh tokens are kept as hashes; reusing a rotated one revokes its whole family.

use actix_web::{get, post, web, HttpResponse};
use chrono::{Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors};
use crate::auth::jwt::TokenType;
use crate::auth::password::token_hash;
use crate::auth::{AuthState, PendingUser};
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::account::{should_lock, PasswordFault, User};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::{sessions, users};

/// Credentials.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "Xk3#mP9!vT2q"}))]
pub struct LoginRequest {
    /// The username.
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    /// The password.
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

/// A session's tokens.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIuLi4ifQ.c2ln",
    "token_type": "Bearer", "expires_in": 900,
    "refresh_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJ0eXAiOiJyZWZyZXNoIn0.c2ln",
    "refresh_expires_in": 43200, "must_change_password": false
}))]
pub struct TokenPair {
    /// Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; single use.
    pub refresh_token: String,
    /// Seconds until the refresh token expires if unused.
    pub refresh_expires_in: i64,
    /// When true, only `/auth/password`, `/auth/me` and `/auth/logout` answer until the
    /// generated password is changed.
    pub must_change_password: bool,
}

/// A refresh token to exchange.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last pair.
    #[validate(length(min = 1, max = 4096))]
    pub refresh_token: String,
}

/// A password change.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "Xk3#mP9!vT2q", "new_password": "Beilin-2026-window"}))]
pub struct PasswordChange {
    /// The password now in force.
    #[validate(length(min = 1, max = 256))]
    pub current_password: String,
    /// The new password: at least 10 characters of 3 classes (lower, upper, digits,
    /// others), not containing the username (the numbers are settings).
    #[validate(length(min = 1, max = 256))]
    pub new_password: String,
}

/// Issues an access token and a refresh token for a session, stores the refresh token's hash.
pub(crate) fn issue_pair(
    conn: &mut AnyConnection,
    state: &AuthState,
    user: &User,
    family: &str,
    family_started: chrono::DateTime<Utc>,
) -> Result<TokenPair, AppError> {
    let now = Utc::now();
    let s = &state.settings;
    let access_ttl = i64::from(s.access_minutes) * 60;
    let idle_end = now + Duration::hours(i64::from(s.refresh_idle_hours));
    let absolute_end = family_started + Duration::days(i64::from(s.refresh_absolute_days));
    let refresh_end = idle_end.min(absolute_end);
    let refresh_ttl = (refresh_end - now).num_seconds().max(1);
    let jti = uuid::Uuid::now_v7().to_string();
    let access = state
        .keys
        .issue(
            TokenType::Access,
            &user.id,
            family,
            &uuid::Uuid::now_v7().to_string(),
            now,
            access_ttl,
        )
        .map_err(AppError::internal)?;
    let refresh_token = state
        .keys
        .issue(TokenType::Refresh, &user.id, family, &jti, now, refresh_ttl)
        .map_err(AppError::internal)?;
    let stored_now = crate::store::now();
    sessions::insert_refresh(
        conn,
        &sessions::NewRefresh {
            id: &jti,
            family_id: family,
            user_id: &user.id,
            token_hash: &token_hash(&refresh_token),
            issued_at: stored_now,
            family_started_at: family_started.naive_utc(),
            expires_at: refresh_end.naive_utc(),
        },
    )?;
    Ok(TokenPair {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: access_ttl,
        refresh_token,
        refresh_expires_in: refresh_ttl,
        must_change_password: user.must_change_password,
    })
}

pub(crate) fn user_audit(user: &User, base: &AuditCtx) -> AuditCtx {
    AuditCtx {
        actor_id: Some(user.id.clone()),
        actor_username: Some(user.username.clone()),
        actor_role: Some(user.role.as_str().to_owned()),
        actor_unit_id: user.unit_id.clone(),
        ..base.clone()
    }
}

pub(crate) enum LoginOutcome {
    Success(TokenPair),
    Refused,
}

/// 429 when `client` made the configured number of sign-in attempts in the last minute.
pub(crate) fn check_rate(
    conn: &mut AnyConnection,
    state: &AuthState,
    client: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let limit = i64::from(state.settings.login_rate_per_minute);
    let (recent, oldest) =
        sessions::client_attempts_since(conn, client, now - Duration::seconds(60))?;
    if recent >= limit {
        let waited = oldest.map(|o| (now - o).num_seconds()).unwrap_or(0);
        return Err(AppError::TooManyRequests {
            retry_after: (60 - waited).clamp(1, 60) as u64,
        });
    }
    Ok(())
}

/// Records a failed attempt for `username` and locks `user` when the failures since the window
/// began (or since its last success or last lock, if later) reach the limit. Returns the
/// audit change of a new lock. Call inside the transaction holding the username's lock.
fn record_failure(
    conn: &mut AnyConnection,
    state: &AuthState,
    user: Option<&User>,
    username: &str,
    client: &str,
    now: NaiveDateTime,
) -> Result<Option<serde_json::Value>, AppError> {
    let s = &state.settings;
    sessions::record_attempt(conn, username, client, now, false)?;
    let Some(user) = user else { return Ok(None) };
    let locked = user.locked_until.is_some_and(|t| t.naive_utc() > now);
    if locked {
        return Ok(None);
    }
    let mut since = now - Duration::minutes(i64::from(s.login_failure_window_minutes));
    if let Some(success) = sessions::last_success(conn, username)? {
        since = since.max(success);
    }
    if let Some(lock_end) = user.locked_until {
        since = since.max(lock_end.naive_utc());
    }
    let failures = sessions::failures_since(conn, username, since)?;
    if !should_lock(failures, s.login_max_failures) {
        return Ok(None);
    }
    let until = now + Duration::minutes(i64::from(s.login_lock_minutes));
    users::set_locked_until(conn, &user.id, Some(until))?;
    Ok(Some(
        serde_json::json!({"locked_until": {"before": null, "after": until.and_utc().to_rfc3339()}}),
    ))
}

/// What a successful sign-in does besides issuing tokens, in the same transaction (binding a
/// WeChat openid, say); an error undoes the sign-in.
pub(crate) type AlsoOnSuccess<'a> =
    &'a dyn Fn(&mut AnyConnection, &User, &AuditCtx) -> Result<(), AppError>;

/// Decides a sign-in whose password was checked (`verified`), in one transaction under the
/// username's lock: the rate and the account's lock are read again there, so that concurrent
/// attempts cannot slip past either. On success `also` runs in the same transaction.
pub(crate) fn settle_login(
    conn: &mut AnyConnection,
    state: &AuthState,
    ctx: &RequestCtx,
    username: &str,
    user_id: Option<&str>,
    verified: bool,
    also: Option<AlsoOnSuccess<'_>>,
) -> Result<LoginOutcome, AppError> {
    let client = ctx.rate_key();
    write_transaction(conn, |conn| {
        crate::db::lock_key(conn, &format!("login:{username}"))?;
        let now = crate::store::now();
        check_rate(conn, state, &client, now)?;
        let base = ctx.audit(None);
        let user = match user_id {
            Some(id) => users::get(conn, id)?.filter(|u| u.active && u.username == username),
            None => None,
        };
        let Some(user) = user else {
            record_failure(conn, state, None, username, &client, now)?;
            let ctx = AuditCtx {
                actor_username: Some(username.to_owned()),
                ..base
            };
            audit::record(
                conn,
                &ctx,
                AuditEntry {
                    action: "auth.login",
                    target_type: None,
                    target_id: None,
                    changes: None,
                    outcome: "failure",
                },
            )?;
            return Ok(LoginOutcome::Refused);
        };
        let actx = user_audit(&user, &base);
        let locked = user.locked_until.is_some_and(|t| t.naive_utc() > now);
        if !verified || locked {
            let changes = record_failure(conn, state, Some(&user), username, &client, now)?;
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "auth.login",
                    target_type: Some("user"),
                    target_id: Some(&user.id),
                    changes,
                    outcome: "failure",
                },
            )?;
            return Ok(LoginOutcome::Refused);
        }
        sessions::record_attempt(conn, username, &client, now, true)?;
        if user.locked_until.is_some() {
            users::set_locked_until(conn, &user.id, None)?;
        }
        if let Some(also) = also {
            also(conn, &user, &actx)?;
        }
        let family = uuid::Uuid::now_v7().to_string();
        let pair = issue_pair(conn, state, &user, &family, Utc::now())?;
        audit::record(
            conn,
            &actx,
            AuditEntry {
                action: "auth.login",
                target_type: Some("session"),
                target_id: Some(&family),
                changes: None,
                outcome: "success",
            },
        )?;
        Ok(LoginOutcome::Success(pair))
    })
}

/// Steps 1 and 2 of a sign-in: the client's rate, `precheck` and the account's lookup on a
/// pooled connection for a moment; then the password on the blocking pool without holding a
/// connection (an unknown user costs the same time). The account's id, if any, and whether
/// the password matched; [`settle_login`] decides.
pub(crate) async fn check_password(
    pool: &DbPool,
    state: &std::sync::Arc<AuthState>,
    ctx: &RequestCtx,
    username: &str,
    password: String,
    precheck: impl FnOnce(&mut AnyConnection) -> Result<(), AppError> + Send + 'static,
) -> Result<(Option<String>, bool), AppError> {
    let client = ctx.rate_key();
    let (lookup, st) = (username.to_owned(), state.clone());
    let found = crate::db::run(pool, move |conn| {
        check_rate(conn, &st, &client, crate::store::now())?;
        precheck(conn)?;
        users::credentials(conn, &lookup)
    })
    .await?;
    let hasher = state.hasher.clone();
    let (user_id, hash) = match found {
        Some((u, h)) => (Some(u.id), Some(h)),
        None => (None, None),
    };
    let verified = web::block(move || match hash {
        Some(h) => hasher.verify(&password, &h),
        None => {
            hasher.verify_dummy(&password);
            false
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?;
    Ok((user_id, verified))
}

/// Signs in with a username and password.
#[utoipa::path(
    tag = "auth",
    operation_id = "create_session",
    request_body(content = LoginRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in: the session's tokens", body = TokenPair),
        (status = 401, description = "Unknown user, wrong password or locked account (one answer for all three)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ins from this client; `Retry-After` says when to retry", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors,
        CommonErrors,
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    ctx: RequestCtx,
    state: web::Data<AuthState>,
    pool: web::Data<DbPool>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let LoginRequest { username, password } = body.into_inner()?;
    let state = state.into_inner();
    let (user_id, verified) =
        check_password(&pool, &state, &ctx, &username, password, |_| Ok(())).await?;
    // 3. The outcome, in one transaction.
    let outcome = crate::db::run(&pool, move |conn| {
        settle_login(
            conn,
            &state,
            &ctx,
            &username,
            user_id.as_deref(),
            verified,
            None,
        )
    })
    .await?;
    match outcome {
        LoginOutcome::Success(pair) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair)),
        LoginOutcome::Refused => Err(AppError::InvalidCredentials),
    }
}

enum RefreshOutcome {
    Success(TokenPair),
    Refused(&'static str),
}

/// Exchanges a refresh token for a new pair. The old refresh token is spent; presenting it
/// again revokes the whole session.
#[utoipa::path(
    tag = "auth",
    operation_id = "create_session_refresh",
    request_body(content = RefreshRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A new pair; the refresh token sent is spent", body = TokenPair),
        (status = 401, description = "The refresh token is invalid, expired, spent or revoked", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors,
        CommonErrors,
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    ctx: RequestCtx,
    state: web::Data<AuthState>,
    pool: web::Data<DbPool>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let token = body.into_inner()?.refresh_token;
    let claims = state
        .keys
        .verify(&token, TokenType::Refresh)
        .map_err(|e| AppError::Unauthorized(e.to_string()))?;
    let state = state.into_inner();
    let outcome = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = crate::store::now();
            let Some(row) = sessions::find_refresh(conn, &token_hash(&token))? else {
                return Ok(RefreshOutcome::Refused("unknown refresh token"));
            };
            if row.revoked_at.is_some()
                || row.user_id != claims.sub
                || row.family_id != claims.sid
                || sessions::family_revoked(conn, &row.family_id)?
            {
                return Ok(RefreshOutcome::Refused("revoked refresh token"));
            }
            let Some(user) = users::get(conn, &row.user_id)?.filter(|u| u.active) else {
                return Ok(RefreshOutcome::Refused("inactive account"));
            };
            let actx = user_audit(&user, &ctx.audit(None));
            if row.rotated_at.is_some() || !sessions::mark_rotated(conn, &row.id, now)? {
                // A spent token came back: it was stolen or replayed. End the session.
                sessions::revoke_family(conn, &row.family_id, now)?;
                audit::record(
                    conn,
                    &actx,
                    AuditEntry {
                        action: "auth.refresh_reuse",
                        target_type: Some("session"),
                        target_id: Some(&row.family_id),
                        changes: None,
                        outcome: "denied",
                    },
                )?;
                return Ok(RefreshOutcome::Refused(
                    "reused refresh token: session revoked",
                ));
            }
            if now > row.expires_at {
                return Err(AppError::Unauthorized("expired refresh token".into()));
            }
            let pair = issue_pair(
                conn,
                &state,
                &user,
                &row.family_id,
                row.family_started_at.and_utc(),
            )?;
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "auth.refresh",
                    target_type: Some("session"),
                    target_id: Some(&row.family_id),
                    changes: None,
                    outcome: "success",
                },
            )?;
            Ok(RefreshOutcome::Success(pair))
        })
    })
    .await?;
    match outcome {
        RefreshOutcome::Success(pair) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair)),
        RefreshOutcome::Refused(why) => Err(AppError::Unauthorized(why.into())),
    }
}

/// Signs out: revokes the session of the access token (its refresh tokens and, at once, its
/// access tokens).
#[utoipa::path(
    tag = "auth",
    operation_id = "delete_session",
    responses((status = 204, description = "Signed out"), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub async fn logout(
    ctx: RequestCtx,
    user: PendingUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user = user.0;
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            sessions::revoke_family(conn, &user.session_id, crate::store::now())?;
            audit::record(
                conn,
                &ctx.audit(Some(&user)),
                AuditEntry {
                    action: "auth.logout",
                    target_type: Some("session"),
                    target_id: Some(&user.session_id),
                    changes: None,
                    outcome: "success",
                },
            )
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(
    tag = "auth",
    operation_id = "get_me",
    responses((status = 200, description = "The signed-in account", body = User), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/auth/me")]
pub async fn me(user: PendingUser, pool: web::Data<DbPool>) -> Result<HttpResponse, AppError> {
    let id = user.0.id;
    let found = crate::db::run(&pool, move |conn| users::get(conn, &id)).await?;
    let user = found.ok_or_else(|| AppError::Unauthorized("account gone".into()))?;
    Ok(HttpResponse::Ok().json(user))
}

fn fault_issue(fault: PasswordFault, min_length: usize, min_classes: usize) -> FieldIssue {
    let (code, zh, en) = match fault {
        PasswordFault::TooShort => (
            "too_short",
            format!("至少 {min_length} 个字符"),
            format!("at least {min_length} characters"),
        ),
        PasswordFault::TooLong => (
            "too_long",
            "不得超过 128 个字符".into(),
            "at most 128 characters".into(),
        ),
        PasswordFault::TooFewClasses => (
            "too_few_classes",
            format!("须包含小写字母、大写字母、数字、其他符号中的至少 {min_classes} 类"),
            format!(
                "use at least {min_classes} of: lower case, upper case, digits, other characters"
            ),
        ),
        PasswordFault::ContainsUsername => (
            "contains_username",
            "不得包含用户名".into(),
            "must not contain the username".into(),
        ),
    };
    FieldIssue::new("new_password", code, zh, en)
}

/// Changes the signed-in account's password; ends its other sessions.
#[utoipa::path(
    tag = "auth",
    operation_id = "update_password",
    request_body(content = PasswordChange, content_type = "application/json"),
    responses((status = 204, description = "Changed; other sessions are signed out"), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/auth/password")]
pub async fn change_password(
    ctx: RequestCtx,
    user: PendingUser,
    state: web::Data<AuthState>,
    pool: web::Data<DbPool>,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let user = user.0;
    let body = body.into_inner()?;
    if let Err(fault) = state.policy.check(&user.username, &body.new_password) {
        return Err(AppError::Validation(vec![fault_issue(
            fault,
            state.policy.min_length,
            state.policy.min_classes,
        )]));
    }
    if body.new_password == body.current_password {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "new_password",
            "unchanged",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
        )]));
    }
    let state = state.into_inner();
    let lookup = user.username.clone();
    let (stored, hash) = crate::db::run(&pool, move |conn| users::credentials(conn, &lookup))
        .await?
        .ok_or_else(|| AppError::Unauthorized("account gone".into()))?;
    // Check the current password and hash the new one without holding a connection.
    let (hasher, current, new) = (
        state.hasher.clone(),
        body.current_password,
        body.new_password,
    );
    let new_hash = web::block(move || -> Result<Option<String>, String> {
        if hasher.verify(&current, &hash) {
            hasher.hash(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(AppError::internal)?;
    let right = new_hash.is_some();
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = crate::store::now();
            let actx = ctx.audit(Some(&user));
            let Some(new_hash) = new_hash else {
                // A wrong current password counts toward the account's lock, like a sign-in.
                crate::db::lock_key(conn, &format!("login:{}", user.username))?;
                let client = ctx.rate_key();
                let changes = record_failure(conn, &state, Some(&stored), &user.username, &client, now)?;
                return audit::record(conn, &actx, AuditEntry { action: "auth.password_change", target_type: Some("user"), target_id: Some(&stored.id), changes, outcome: "failure" });
            };
            let changes = users::UserChanges {
                password_hash: Some(new_hash),
                must_change_password: Some(false),
                password_changed_at: Some(now),
                ..Default::default()
            };
            let after = users::update(conn, &stored.id, stored.version, &changes)?.ok_or(AppError::Conflict { constraint: "version".into() })?;
            sessions::revoke_user_sessions(conn, &stored.id, Some(&user.session_id), now)?;
            // A WeChat bound by whoever knew the old password signs in no more.
            let unbound = crate::store::wechat::unbind(conn, &stored.id)?;
            let mut diff = serde_json::json!({
                "password_changed_at": {"before": stored.password_changed_at, "after": after.password_changed_at},
                "must_change_password": {"before": stored.must_change_password, "after": false},
            });
            if let Some(openid) = unbound {
                diff["wechat_binding"] = serde_json::json!({"before": crate::domain::wechat::openid_ref(&openid), "after": null});
            }
            audit::record(conn, &actx, AuditEntry { action: "auth.password_change", target_type: Some("user"), target_id: Some(&stored.id), changes: Some(diff), outcome: "success" })
        })
    })
    .await?;
    if !right {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "current_password",
            "incorrect",
            "当前密码不正确",
            "the current password is wrong",
        )]));
    }
    Ok(HttpResponse::NoContent().finish())
}
