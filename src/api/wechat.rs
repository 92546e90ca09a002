//! WeChat mini-program sign-in: the mini-program calls `wx.login`, sends the one-time code
//! here, and the server exchanges it with WeChat's `jscode2session` for the person's openid.
//! A bound openid signs in at once; an unbound one gets a short-lived single-use ticket that
//! binds it after a username-and-password check. WeChat's `session_key` is read past, never
//! kept; the AppSecret never leaves the server's memory except to WeChat.

use std::sync::OnceLock;

use actix_web::{delete, post, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::auth::{
    check_password, check_rate, issue_pair, settle_login, user_audit, LoginOutcome, TokenPair,
};
use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{BodyErrors, CommonErrors};
use crate::auth::{policy, AuthState, PendingUser};
use crate::config::{Config, WechatSettings};
use crate::db::{write_transaction, DbPool};
use crate::domain::wechat::{self as rules, Fault};
use crate::error::{AppError, FieldIssue, WechatError};
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::{users, wechat as store};

/// A `wx.login` code.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "0a3Xk1Ga1yVbWO0PpPIa1JpZzB1Xk1GW"}))]
pub struct WechatLogin {
    /// The code `wx.login` gave, used once, within five minutes.
    pub code: String,
}

/// A binding of the WeChat that asked to sign in, to an account.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ticket": "wxt_3q2-7wEzDk1J0fQq8m5m2fW9cJ3s0aH1yVq9Qe4ZkBU", "username": "scjg.clerk", "password": "Xian-Window-2026!"}))]
pub struct WechatBind {
    /// The `binding_ticket` of the 403 answer to `POST /api/v1/auth/wechat`.
    #[validate(length(min = 1, max = 200))]
    pub ticket: String,
    /// The account's username.
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    /// Its password (the normal lockout rules apply).
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

/// Whose binding to end.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnbindParams {
    /// Another account's id (admins only); none: the caller's own.
    #[param(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<String>,
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// Exchanges `code` for an openid (off the actix workers: reqwest runs on the async runtime
/// and never blocks a thread), within the configured time limit.
async fn openid_for(settings: &WechatSettings, code: &str) -> Result<String, AppError> {
    let Some((appid, secret)) = settings.credentials() else {
        return Err(AppError::Wechat(WechatError::NotConfigured));
    };
    let url = format!("{}/sns/jscode2session", settings.api_base);
    let sent = http()
        .get(url)
        .query(&[
            ("appid", appid),
            ("secret", secret.0.as_str()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ])
        .timeout(settings.timeout)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        // The error may print the URL, which carries the secret: say only what kind it was.
        Err(e) => {
            log::warn!(
                "WeChat jscode2session failed: {}",
                if e.is_timeout() {
                    "time-out"
                } else {
                    "no connection"
                }
            );
            return Err(AppError::Wechat(WechatError::Unavailable));
        }
    };
    let status = response.status().as_u16();
    // The request's time limit covers reading the body too.
    let body = match response.bytes().await {
        Ok(b) if b.len() <= 64 * 1024 => b,
        Ok(_) => return Err(AppError::Wechat(WechatError::Upstream(None))),
        Err(_) => return Err(AppError::Wechat(WechatError::Unavailable)),
    };
    rules::classify(status, &body).map_err(|fault| {
        // The body may hold a session_key: it is never logged.
        log::warn!("WeChat jscode2session refused: {fault:?} (HTTP {status})");
        AppError::Wechat(match fault {
            Fault::CodeRefused => WechatError::CodeRefused,
            Fault::RateLimited => WechatError::RateLimited,
            Fault::Unavailable => WechatError::Unavailable,
            Fault::Upstream(code) => WechatError::Upstream(code),
        })
    })
}

fn ticket_hash(ticket: &str) -> String {
    sha2::Sha256::digest(ticket.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs in with WeChat: exchanges a `wx.login` code for the person's openid. A bound openid
/// of an active account gets the same tokens as a password sign-in (audited with method
/// `wechat`); an unbound one gets 403 with a single-use `binding_ticket` for
/// `POST /api/v1/auth/wechat/bind`.
#[utoipa::path(
    tag = "auth",
    operation_id = "create_wechat_session",
    request_body(content = WechatLogin, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in: the session's tokens", body = TokenPair),
        (status = 401, description = "WeChat refused the code (invalid or used: call `wx.login` again), or the bound account is inactive", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "urn:frontline:problem:wechat-code-invalid", "title": "微信登录凭证无效", "status": 401, "detail": "登录凭证无效或已使用，请重新调用 wx.login 获取", "instance": "/api/v1/auth/wechat", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"})),
        (status = 403, description = "The openid is bound to no account: `binding_ticket` (single use, until `ticket_expires_at`) binds it", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "urn:frontline:problem:wechat-unbound", "title": "微信尚未绑定账号", "status": 403, "detail": "该微信尚未绑定账号：请用 binding_ticket 和用户名、密码调用 /api/v1/auth/wechat/bind 绑定", "instance": "/api/v1/auth/wechat", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001", "binding_ticket": "wxt_3q2-7wEzDk1J0fQq8m5m2fW9cJ3s0aH1yVq9Qe4ZkBU", "ticket_expires_at": "2026-11-28T08:05:00Z"})),
        (status = 429, description = "Too many sign-ins from this client, or WeChat's rate limit; `Retry-After` says when to retry", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "WeChat answered another error; `errcode` carries its code", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "urn:frontline:problem:wechat-error", "title": "微信接口返回错误", "status": 502, "detail": "微信接口返回错误码 40226", "instance": "/api/v1/auth/wechat", "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001", "errcode": 40226})),
        BodyErrors,
        CommonErrors,
    ),
    security(())
)]
#[post("/auth/wechat")]
pub async fn create_wechat_session(
    ctx: RequestCtx,
    state: web::Data<AuthState>,
    config: web::Data<Config>,
    pool: web::Data<DbPool>,
    body: JsonBody<WechatLogin>,
) -> Result<HttpResponse, AppError> {
    let WechatLogin { code } = body.into_inner()?;
    if !rules::valid_code(&code) {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "code",
            "invalid_code",
            "须为 wx.login 返回的 code（1–128 个可见字符）",
            "must be the code wx.login gave (1–128 visible characters)",
        )]));
    }
    if config.wechat.credentials().is_none() {
        return Err(AppError::Wechat(WechatError::NotConfigured));
    }
    let state = state.into_inner();
    let (st, client) = (state.clone(), ctx.rate_key());
    // Every WeChat sign-in counts towards the client's sign-in rate (each costs a call to
    // WeChat, against the appid's quota).
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = crate::store::now();
            check_rate(conn, &st, &client, now)?;
            crate::store::sessions::record_attempt(conn, "(wechat)", &client, now, true)
        })
    })
    .await?;
    let openid = openid_for(&config.wechat, &code).await?;
    let ticket_secs = i64::from(config.wechat.ticket_secs);
    let outcome = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let base = ctx.audit(None);
            let method = serde_json::json!({"method": {"before": null, "after": "wechat"}, "openid_ref": {"before": null, "after": rules::openid_ref(&openid)}});
            let bound = match store::user_of(conn, &openid)? {
                Some(id) => users::get(conn, &id)?,
                None => None,
            };
            match bound {
                Some(user) if user.active => {
                    let actx = user_audit(&user, &base);
                    let family = uuid::Uuid::now_v7().to_string();
                    let pair = issue_pair(conn, &state, &user, &family, chrono::Utc::now())?;
                    audit::record(conn, &actx, AuditEntry { action: "auth.login", target_type: Some("session"), target_id: Some(&family), changes: Some(method), outcome: "success" })?;
                    Ok(Ok(pair))
                }
                Some(user) => {
                    // Deactivated: its binding no longer signs anyone in.
                    let actx = user_audit(&user, &base);
                    audit::record(conn, &actx, AuditEntry { action: "auth.login", target_type: Some("user"), target_id: Some(&user.id), changes: Some(method), outcome: "failure" })?;
                    Ok(Err(AppError::InvalidCredentials))
                }
                None => {
                    let mut random = [0u8; 32];
                    OsRng.fill_bytes(&mut random);
                    let ticket = format!("wxt_{}", URL_SAFE_NO_PAD.encode(random));
                    let expires = chrono::Utc::now() + chrono::Duration::seconds(ticket_secs);
                    store::insert_ticket(conn, &ticket_hash(&ticket), &openid, expires.naive_utc())?;
                    store::purge_tickets(conn, crate::store::now() - chrono::Duration::days(1))?;
                    audit::record(conn, &base, AuditEntry { action: "auth.login", target_type: None, target_id: None, changes: Some(method), outcome: "unbound" })?;
                    Ok(Err(AppError::Wechat(WechatError::Unbound { ticket, expires_at: expires.trunc_subsecs_secs() })))
                }
            }
        })
    })
    .await?;
    match outcome {
        Ok(pair) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair)),
        // Committed (the ticket, the audit record), then refused.
        Err(e) => Err(e),
    }
}

trait TruncSecs {
    fn trunc_subsecs_secs(self) -> Self;
}

impl TruncSecs for chrono::DateTime<chrono::Utc> {
    fn trunc_subsecs_secs(self) -> Self {
        use chrono::SubsecRound;
        self.trunc_subsecs(0)
    }
}

/// Binds the WeChat of a `binding_ticket` to an account, after checking its password with the
/// normal lockout rules, and signs in. An openid binds to one account; binding another openid
/// to an account replaces its binding (audited). The ticket works once.
#[utoipa::path(
    tag = "auth",
    operation_id = "create_wechat_binding",
    request_body(content = WechatBind, content_type = "application/json"),
    responses(
        (status = 200, description = "Bound and signed in: the session's tokens", body = TokenPair),
        (status = 401, description = "The ticket is unknown, used or expired; or the username and password are refused (one answer for unknown user, wrong password and locked account)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The openid was bound to another account meanwhile", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ins from this client; `Retry-After` says when to retry", body = crate::error::Problem, content_type = "application/problem+json"),
        BodyErrors,
        CommonErrors,
    ),
    security(())
)]
#[post("/auth/wechat/bind")]
pub async fn create_wechat_binding(
    ctx: RequestCtx,
    state: web::Data<AuthState>,
    config: web::Data<Config>,
    pool: web::Data<DbPool>,
    body: JsonBody<WechatBind>,
) -> Result<HttpResponse, AppError> {
    let WechatBind {
        ticket,
        username,
        password,
    } = body.into_inner()?;
    if config.wechat.credentials().is_none() {
        return Err(AppError::Wechat(WechatError::NotConfigured));
    }
    let state = state.into_inner();
    let hash = ticket_hash(&ticket);
    // 1–2. The rate, the ticket (not spent yet), the account and its password.
    let h = hash.clone();
    let (user_id, verified) =
        check_password(&pool, &state, &ctx, &username, password, move |conn| {
            match store::peek_ticket(conn, &h, crate::store::now())? {
                Some(_) => Ok(()),
                None => Err(AppError::Wechat(WechatError::TicketRefused)),
            }
        })
        .await?;
    // 3. Sign-in, ticket, binding and audit: one transaction.
    let outcome = crate::db::run(&pool, move |conn| {
        let bind = move |conn: &mut crate::db::AnyConnection, user: &crate::domain::account::User, actx: &AuditCtx| -> Result<(), AppError> {
            let now = crate::store::now();
            let openid = store::take_ticket(conn, &hash, now)?.ok_or(AppError::Wechat(WechatError::TicketRefused))?;
            crate::db::lock_key(conn, &format!("wechat:{openid}"))?;
            if store::user_of(conn, &openid)?.is_some_and(|other| other != user.id) {
                return Err(AppError::Conflict { constraint: "wechat_openid_bound".into() });
            }
            let before = store::openid_of(conn, &user.id)?;
            store::bind(conn, &openid, &user.id, now)?;
            let changes = serde_json::json!({"openid_ref": {"before": before.as_deref().map(rules::openid_ref), "after": rules::openid_ref(&openid)}});
            audit::record(conn, actx, AuditEntry { action: "wechat.bind", target_type: Some("user"), target_id: Some(&user.id), changes: Some(changes), outcome: "success" })?;
            Ok(())
        };
        settle_login(conn, &state, &ctx, &username, user_id.as_deref(), verified, Some(&bind))
    })
    .await?;
    match outcome {
        LoginOutcome::Success(pair) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(pair)),
        LoginOutcome::Refused => Err(AppError::InvalidCredentials),
    }
}

/// Ends a WeChat binding: one's own, or (admins) any account's with `user_id`. The WeChat then
/// signs no one in until bound again.
#[utoipa::path(
    tag = "auth",
    operation_id = "delete_wechat_binding",
    params(UnbindParams),
    responses(
        (status = 204, description = "Unbound"),
        (status = 401, description = "No valid access token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another account's binding, and the caller is no admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account has no WeChat binding", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::api::problems::ParameterErrors,
        CommonErrors,
    ),
    security(("bearer" = []))
)]
#[delete("/auth/wechat/binding")]
pub async fn delete_wechat_binding(
    ctx: RequestCtx,
    user: PendingUser,
    pool: web::Data<DbPool>,
    params: web::Query<UnbindParams>,
) -> Result<HttpResponse, AppError> {
    let user = user.0;
    let target = match params.into_inner().user_id {
        None => user.id.clone(),
        Some(id) => {
            let id = crate::api::units::parse_id(&id)
                .map_err(|_| {
                    AppError::invalid_parameter(
                        "user_id",
                        "invalid_uuid",
                        "须为 UUID",
                        "must be a UUID",
                    )
                })?
                .to_string();
            policy::end_wechat_binding(&user, &id)?;
            id
        }
    };
    let actx = ctx.audit(Some(&user));
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let Some(openid) = store::unbind(conn, &target)? else {
                return Err(AppError::NotFound { resource: "wechat_binding", id: target.clone() });
            };
            let changes = serde_json::json!({"openid_ref": {"before": rules::openid_ref(&openid), "after": null}});
            audit::record(conn, &actx, AuditEntry { action: "wechat.unbind", target_type: Some("user"), target_id: Some(&target), changes: Some(changes), outcome: "success" })?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
