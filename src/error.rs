//! One error type, [`AppError`], and its rendering as `application/problem+json` (RFC 9457):
//! `type`, `title`, `status`, `detail`, `instance`, the request id, and for parameter and
//! validation errors `errors: [{field, code, message}]`. Titles, details and messages are zh-CN
//! by default and English on request; `type` and `code` never change with the language.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::Lang;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Prefix of every problem `type` URI.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:frontline:problem:";

/// One refused field or parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"field": "names[0]", "code": "blank", "message": "不能为空"}))]
pub struct FieldError {
    /// The field or parameter, as a path: `limit`, `names[3]`.
    pub field: String,
    /// A machine-readable reason, stable across languages: `invalid_enum`, `out_of_range`, …
    pub code: String,
    /// The reason for people, in the response's language.
    pub message: String,
}

/// An error response (RFC 9457 problem details).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:frontline:problem:not-found",
    "title": "资源不存在",
    "status": 404,
    "detail": "单位 0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a 不存在",
    "instance": "/api/v1/units/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001"
}))]
pub struct Problem {
    /// A URI naming the kind of problem; stable, language-independent.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request path that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header); quote it when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For parameter and validation errors: each refused field and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For an illegal workflow step: the steps allowed from the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// For a WeChat sign-in whose openid is bound to no account: a single-use ticket for
    /// `POST /api/v1/auth/wechat/bind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_ticket: Option<String>,
    /// When `binding_ticket` stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For an error WeChat answered: its `errcode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
}

/// Why a WeChat sign-in or binding could not go on.
#[derive(Clone, PartialEq, Eq)]
pub enum WechatError {
    /// 503: no appid or secret is configured.
    NotConfigured,
    /// 401: WeChat refused the code (invalid or used): call `wx.login` again.
    CodeRefused,
    /// 429: WeChat limits the calls.
    RateLimited,
    /// 503: WeChat is busy, down or slower than the time limit.
    Unavailable,
    /// 502: WeChat answered another error (its `errcode`) or something unreadable.
    Upstream(Option<i64>),
    /// 403: the openid is bound to no account; the ticket binds it.
    Unbound {
        /// The ticket.
        ticket: String,
        /// When it stops working.
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    /// 401: the binding ticket is unknown, used or expired.
    TicketRefused,
}

impl std::fmt::Debug for WechatError {
    /// Never prints a ticket.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WechatError::NotConfigured => f.write_str("NotConfigured"),
            WechatError::CodeRefused => f.write_str("CodeRefused"),
            WechatError::RateLimited => f.write_str("RateLimited"),
            WechatError::Unavailable => f.write_str("Unavailable"),
            WechatError::Upstream(code) => write!(f, "Upstream({code:?})"),
            WechatError::Unbound { .. } => f.write_str("Unbound"),
            WechatError::TicketRefused => f.write_str("TicketRefused"),
        }
    }
}

/// A refused field with its message in both languages: the domain's [`Problem`], so that a
/// rule's findings are answered as they are.
pub use crate::domain::Problem as FieldIssue;

trait Localize {
    fn localized(&self, lang: Lang) -> FieldError;
}

impl Localize for FieldIssue {
    fn localized(&self, lang: Lang) -> FieldError {
        FieldError {
            field: self.field.clone(),
            code: self.code.to_owned(),
            message: lang.pick(&self.zh, &self.en).to_owned(),
        }
    }
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body is not well-formed JSON, or not of the expected shape.
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    /// 400: a CSV (or other non-JSON) body that cannot be read.
    #[error("malformed body: {0}")]
    MalformedBody(String),
    /// 400: path or query parameters refused.
    #[error("invalid parameters: {0:?}")]
    InvalidParameters(Vec<FieldIssue>),
    /// 400: a request the server cannot read, for another reason.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404: the resource does not exist (`resource` names its type, e.g. `unit`).
    #[error("{resource} {id} not found")]
    NotFound {
        /// The type of resource.
        resource: &'static str,
        /// The id asked for.
        id: String,
    },
    /// 404: no route has this path.
    #[error("no route for this path")]
    RouteNotFound,
    /// 405: the path exists but not with this method; `allow` lists the methods it has.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// Methods the path answers.
        allow: Vec<String>,
    },
    /// 401: no valid access token (missing, malformed, expired, revoked, or its user inactive).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 401: sign-in refused; the same answer for an unknown user, a wrong password and a
    /// locked account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403: the caller's role or unit may not do this (`code` says which rule refused).
    #[error("forbidden: {code}")]
    Forbidden {
        /// `role`, `unit`, `password_change_required`, …
        code: &'static str,
    },
    /// 428: the write needs `If-Match` with the resource's `ETag`.
    #[error("If-Match required")]
    PreconditionRequired,
    /// 412: `If-Match` does not hold the current `ETag`: someone changed the resource.
    #[error("stale version")]
    PreconditionFailed {
        /// The current `ETag`.
        current: String,
    },
    /// 429: too many requests from this client; retry after the given seconds.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// 409: the write conflicts with stored data (a unique name, say).
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint or field in conflict.
        constraint: String,
    },
    /// 409: a workflow step not allowed from the current state; `allowed` lists those that are.
    #[error("illegal transition {action} from {from}")]
    IllegalTransition {
        /// The current state.
        from: String,
        /// The step asked for.
        action: String,
        /// The steps allowed from here.
        allowed: Vec<String>,
    },
    /// 413: the body is larger than the configured limit.
    #[error("payload larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes (0 when unknown).
        limit: usize,
    },
    /// 415: the body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: body fields refused.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldIssue>),
    /// 503: the database does not answer (down, locked, or the pool is exhausted).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// WeChat sign-in could not go on.
    #[error("wechat: {0:?}")]
    Wechat(WechatError),
    /// 500: a fault of the service; the cause is logged with the request id, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// Any other status raised by the HTTP layer itself.
    #[error("HTTP {0}")]
    Status(u16),
}

impl AppError {
    /// An internal error with its cause (logged, never shown).
    pub fn internal(cause: impl Into<String>) -> Self {
        AppError::Internal(cause.into())
    }

    /// A pool checkout that failed: the database is unavailable.
    pub fn pool(e: r2d2::Error) -> Self {
        AppError::Unavailable(format!("no database connection: {e}"))
    }

    /// A single invalid path or query parameter.
    pub fn invalid_parameter(
        field: &str,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        AppError::InvalidParameters(vec![FieldIssue::new(field, code, zh, en)])
    }

    /// The error for a status raised by the HTTP layer (actix's own errors).
    pub fn from_status(status: StatusCode, allow: Option<&HeaderValue>) -> Self {
        match status.as_u16() {
            400 => AppError::BadRequest(String::new()),
            404 => AppError::RouteNotFound,
            405 => AppError::MethodNotAllowed {
                allow: allow
                    .and_then(|v| v.to_str().ok())
                    .map(|v| {
                        v.split(',')
                            .map(|m| m.trim().to_owned())
                            .filter(|m| !m.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            413 => AppError::PayloadTooLarge { limit: 0 },
            415 => AppError::UnsupportedMediaType,
            500 => AppError::Internal("HTTP layer error".into()),
            503 => AppError::Unavailable("HTTP layer".into()),
            other => AppError::Status(other),
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            AppError::MalformedJson(_) => "malformed-json",
            AppError::MalformedBody(_) => "malformed-body",
            AppError::InvalidParameters(_) => "invalid-parameter",
            AppError::BadRequest(_) => "bad-request",
            AppError::NotFound { .. } => "not-found",
            AppError::RouteNotFound => "route-not-found",
            AppError::MethodNotAllowed { .. } => "method-not-allowed",
            AppError::Conflict { .. } => "conflict",
            AppError::IllegalTransition { .. } => "illegal-transition",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::InvalidCredentials => "invalid-credentials",
            AppError::Forbidden { .. } => "forbidden",
            AppError::PreconditionRequired => "precondition-required",
            AppError::PreconditionFailed { .. } => "precondition-failed",
            AppError::TooManyRequests { .. } => "too-many-requests",
            AppError::PayloadTooLarge { .. } => "payload-too-large",
            AppError::UnsupportedMediaType => "unsupported-media-type",
            AppError::Validation(_) => "validation-failed",
            AppError::Unavailable(_) => "service-unavailable",
            AppError::Wechat(w) => match w {
                WechatError::NotConfigured => "wechat-not-configured",
                WechatError::CodeRefused => "wechat-code-invalid",
                WechatError::RateLimited => "wechat-rate-limited",
                WechatError::Unavailable => "wechat-unavailable",
                WechatError::Upstream(_) => "wechat-error",
                WechatError::Unbound { .. } => "wechat-unbound",
                WechatError::TicketRefused => "wechat-ticket-invalid",
            },
            AppError::Internal(_) => "internal-error",
            AppError::Status(_) => "http-error",
        }
    }

    /// The problem body in `lang`, for the request at `instance` with `request_id`.
    pub fn problem(&self, lang: Lang, instance: Option<&str>, request_id: Option<&str>) -> Problem {
        let rid = request_id.unwrap_or("-");
        let (title, detail): (&str, String) = match self {
            AppError::MalformedJson(cause) => (
                lang.pick("请求体不是有效的 JSON", "Malformed JSON body"),
                match lang {
                    Lang::Zh => format!("无法解析请求体：{cause}"),
                    Lang::En => format!("The body could not be parsed: {cause}"),
                },
            ),
            AppError::MalformedBody(cause) => (
                lang.pick("请求体格式错误", "Malformed body"),
                match lang {
                    Lang::Zh => format!("无法读取请求体：{cause}"),
                    Lang::En => format!("The body could not be read: {cause}"),
                },
            ),
            AppError::InvalidParameters(_) => (
                lang.pick("请求参数无效", "Invalid parameters"),
                lang.pick(
                    "一个或多个路径或查询参数无效，见 errors",
                    "One or more path or query parameters are invalid; see errors",
                )
                .into(),
            ),
            AppError::BadRequest(_) => (
                lang.pick("请求无效", "Bad request"),
                lang.pick(
                    "服务器无法读取该请求",
                    "The server cannot read this request",
                )
                .into(),
            ),
            AppError::NotFound { resource, id } => (
                lang.pick("资源不存在", "Not found"),
                match lang {
                    Lang::Zh => format!("{} {id} 不存在", resource_zh(resource)),
                    Lang::En => format!("No {resource} with id {id}"),
                },
            ),
            AppError::RouteNotFound => (
                lang.pick("路径不存在", "No such route"),
                lang.pick(
                    "没有与该路径对应的接口，接口列表见 /api/v1/openapi.json",
                    "No endpoint has this path; the endpoints are listed at /api/v1/openapi.json",
                )
                .into(),
            ),
            AppError::MethodNotAllowed { allow } => (
                lang.pick("请求方法不被允许", "Method not allowed"),
                match lang {
                    Lang::Zh => format!("该路径只接受：{}", allow.join(", ")),
                    Lang::En => format!("This path accepts only: {}", allow.join(", ")),
                },
            ),
            AppError::IllegalTransition { from, action, allowed } => (
                lang.pick("不允许的流程操作", "Illegal transition"),
                match lang {
                    Lang::Zh => format!("当前状态 {from} 不能执行 {action}；可执行：{}", if allowed.is_empty() { "无".to_owned() } else { allowed.join(", ") }),
                    Lang::En => format!("{action} is not allowed from {from}; allowed: {}", if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }),
                },
            ),
            AppError::Unauthorized(_) => (
                lang.pick("未登录或令牌无效", "Unauthorized"),
                lang.pick("请先登录：缺少访问令牌，或令牌无效、已过期、已注销", "Sign in first: the access token is missing, invalid, expired or revoked").into(),
            ),
            AppError::InvalidCredentials => (
                lang.pick("登录失败", "Sign-in failed"),
                lang.pick("用户名或密码错误，或账户暂时锁定", "Wrong username or password, or the account is locked for a while").into(),
            ),
            AppError::Forbidden { code } => (
                lang.pick("无权操作", "Forbidden"),
                match (*code, lang) {
                    ("password_change_required", Lang::Zh) => "请先修改初始密码（POST /api/v1/auth/password）".into(),
                    ("password_change_required", Lang::En) => "Change your one-time password first (POST /api/v1/auth/password)".into(),
                    ("unit", Lang::Zh) => "只能操作本单位的记录".into(),
                    ("unit", Lang::En) => "You may act only on your own unit's records".into(),
                    ("scope", Lang::Zh) => "该 API 密钥的权限范围不含此操作".into(),
                    ("scope", Lang::En) => "The API key's scopes do not cover this".into(),
                    ("activity", Lang::Zh) => "牵头部门只能检查本部门牵头的活动".into(),
                    ("activity", Lang::En) => "A lead department may check only the activity it leads".into(),
                    ("own_record", Lang::Zh) => "不能审核本单位自己的记录：牵头部门自身的记录由区营商办审核".into(),
                    ("own_record", Lang::En) => "You may not review your own unit's record: the coordinator reviews the lead department's own records".into(),
                    (_, Lang::Zh) => "您的角色无权执行此操作".into(),
                    (_, Lang::En) => "Your role may not do this".into(),
                },
            ),
            AppError::PreconditionRequired => (
                lang.pick("缺少 If-Match", "Precondition required"),
                lang.pick("修改须带 If-Match 请求头，值为读取时的 ETag", "A change needs an If-Match header holding the ETag you read").into(),
            ),
            AppError::PreconditionFailed { current } => (
                lang.pick("版本已变化", "Precondition failed"),
                match lang {
                    Lang::Zh => format!("该记录已被他人修改（当前 ETag {current}），请重新读取后再改"),
                    Lang::En => format!("The record changed since you read it (current ETag {current}); read it again"),
                },
            ),
            AppError::TooManyRequests { retry_after } => (
                lang.pick("请求过于频繁", "Too many requests"),
                match lang {
                    Lang::Zh => format!("请在 {retry_after} 秒后重试"),
                    Lang::En => format!("Retry in {retry_after} seconds"),
                },
            ),
            AppError::Conflict { constraint } => (
                lang.pick("与已有数据冲突", "Conflict"),
                conflict_detail(constraint, lang),
            ),
            AppError::PayloadTooLarge { limit } => (
                lang.pick("请求体过大", "Payload too large"),
                match (lang, limit) {
                    (Lang::Zh, 0) => "请求体超过了允许的大小".into(),
                    (Lang::En, 0) => "The body is larger than allowed".into(),
                    (Lang::Zh, n) => format!("请求体不得超过 {n} 字节"),
                    (Lang::En, n) => format!("The body must not exceed {n} bytes"),
                },
            ),
            AppError::UnsupportedMediaType => (
                lang.pick("不支持的媒体类型", "Unsupported media type"),
                lang.pick(
                    "请求体须为 JSON（Content-Type: application/json）；导入接口也接受 CSV（text/csv）",
                    "The body must be JSON (Content-Type: application/json); imports also take CSV (text/csv)",
                )
                .into(),
            ),
            AppError::Validation(_) => (
                lang.pick("数据校验未通过", "Validation failed"),
                lang.pick(
                    "一个或多个字段无效，见 errors",
                    "One or more fields are invalid; see errors",
                )
                .into(),
            ),
            AppError::Unavailable(_) => (
                lang.pick("服务暂不可用", "Service unavailable"),
                lang.pick(
                    "数据库暂时无法访问，请稍后重试",
                    "The database does not answer at the moment; retry later",
                )
                .into(),
            ),
            AppError::Wechat(w) => match w {
                WechatError::NotConfigured => (
                    lang.pick("未启用微信登录", "WeChat sign-in is off"),
                    lang.pick(
                        "本服务未配置小程序 appid 和 secret，请使用用户名和密码登录",
                        "No mini-program appid and secret are configured; sign in with a username and password",
                    )
                    .into(),
                ),
                WechatError::CodeRefused => (
                    lang.pick("微信登录凭证无效", "Invalid WeChat code"),
                    lang.pick(
                        "登录凭证无效或已使用，请重新调用 wx.login 获取",
                        "The code is invalid or already used; call wx.login again",
                    )
                    .into(),
                ),
                WechatError::RateLimited => (
                    lang.pick("微信接口调用过于频繁", "WeChat rate limit"),
                    lang.pick("请稍后重试", "Retry later").into(),
                ),
                WechatError::Unavailable => (
                    lang.pick("微信服务暂不可用", "WeChat unavailable"),
                    lang.pick(
                        "微信服务繁忙或未及时响应，请稍后重试",
                        "WeChat is busy or did not answer in time; retry later",
                    )
                    .into(),
                ),
                WechatError::Upstream(code) => (
                    lang.pick("微信接口返回错误", "WeChat error"),
                    match (lang, code) {
                        (Lang::Zh, Some(c)) => format!("微信接口返回错误码 {c}"),
                        (Lang::En, Some(c)) => format!("WeChat answered error code {c}"),
                        (Lang::Zh, None) => "微信接口的响应无法识别".into(),
                        (Lang::En, None) => "WeChat's answer could not be read".into(),
                    },
                ),
                WechatError::Unbound { .. } => (
                    lang.pick("微信尚未绑定账号", "WeChat not bound"),
                    lang.pick(
                        "该微信尚未绑定账号：请用 binding_ticket 和用户名、密码调用 /api/v1/auth/wechat/bind 绑定",
                        "This WeChat is bound to no account: bind it with binding_ticket, a username and a password at /api/v1/auth/wechat/bind",
                    )
                    .into(),
                ),
                WechatError::TicketRefused => (
                    lang.pick("绑定凭证无效", "Invalid binding ticket"),
                    lang.pick(
                        "绑定凭证无效、已使用或已过期，请重新从微信登录开始",
                        "The ticket is unknown, used or expired; start again with the WeChat sign-in",
                    )
                    .into(),
                ),
            },
            AppError::Internal(_) => (
                lang.pick("服务器内部错误", "Internal server error"),
                match lang {
                    Lang::Zh => format!("服务器发生错误，请联系管理员并提供请求编号 {rid}"),
                    Lang::En => format!(
                        "The server failed; contact the administrator and quote request id {rid}"
                    ),
                },
            ),
            AppError::Status(code) => {
                let reason = StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error");
                (reason, reason.to_owned())
            }
        };
        let errors = match self {
            AppError::InvalidParameters(issues) | AppError::Validation(issues) => {
                Some(issues.iter().map(|i| i.localized(lang)).collect())
            }
            _ => None,
        };
        Problem {
            type_uri: format!("{PROBLEM_TYPE_PREFIX}{}", self.slug()),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            instance: instance.map(str::to_owned),
            request_id: request_id.map(str::to_owned),
            errors,
            allowed: match self {
                AppError::IllegalTransition { allowed, .. } => Some(allowed.clone()),
                _ => None,
            },
            binding_ticket: match self {
                AppError::Wechat(WechatError::Unbound { ticket, .. }) => Some(ticket.clone()),
                _ => None,
            },
            ticket_expires_at: match self {
                AppError::Wechat(WechatError::Unbound { expires_at, .. }) => Some(*expires_at),
                _ => None,
            },
            errcode: match self {
                AppError::Wechat(WechatError::Upstream(code)) => *code,
                _ => None,
            },
        }
    }

    /// The full response in `lang`.
    pub fn render(
        &self,
        lang: Lang,
        instance: Option<&str>,
        request_id: Option<&str>,
    ) -> HttpResponse {
        let problem = self.problem(lang, instance, request_id);
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            AppError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.join(", ")));
            }
            AppError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            AppError::TooManyRequests { retry_after } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            AppError::Wechat(WechatError::RateLimited) => {
                res.insert_header((header::RETRY_AFTER, "60"));
            }
            AppError::Wechat(WechatError::Unavailable) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            AppError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"frontline\""));
            }
            AppError::PreconditionFailed { current } => {
                res.insert_header((header::ETAG, current.as_str()));
            }
            _ => {}
        }
        res.body(body)
    }
}

fn resource_zh(resource: &str) -> &'static str {
    match resource {
        "unit" => "单位",
        "user" => "用户",
        "webhook" => "Webhook",
        "webhook_delivery" => "Webhook 投递",
        "api_key" => "API 密钥",
        _ => "资源",
    }
}

/// What a conflict means to people, by constraint name.
fn conflict_detail(constraint: &str, lang: Lang) -> String {
    let (zh, en) = match constraint {
        "units_name_key" => ("已有同名单位", "A unit with this name exists"),
        "units_short_code_key" => ("已有相同简码的单位", "A unit with this short code exists"),
        "users_username_key" => ("用户名已被使用", "This username is taken"),
        "schedule_not_draft" => (
            "只有草稿状态的计划可以修改",
            "Only a draft schedule can be changed",
        ),
        "participation_not_editable" => (
            "只有草稿或被退回的记录可以修改；已备案的记录等待审核，已接收的记录只能追加备注",
            "Only a draft or returned record can be changed; a filed one awaits review, an accepted one takes notes",
        ),
        "issue_final" => (
            "已撤销或回头看通过的问题不再修改",
            "A withdrawn issue, or one whose re-check passed, is final",
        ),
        "participation_moved" | "schedule_moved" | "issue_moved" => (
            "该记录刚被他人改变，请重新读取",
            "The record was changed by someone else just now; read it again",
        ),
        "wechat_openid_bound" => (
            "该微信已绑定其他账号",
            "This WeChat is already bound to another account",
        ),
        "webhook_inactive" => (
            "该 Webhook 已停用，请先启用",
            "The webhook is inactive; activate it first",
        ),
        "last_admin" => (
            "不能停用或降级最后一个管理员",
            "The last active admin cannot be deactivated or demoted",
        ),
        _ => (
            "与已有记录冲突",
            "The request conflicts with a stored record",
        ),
    };
    lang.pick(zh, en).to_owned()
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::MalformedJson(_)
            | AppError::MalformedBody(_)
            | AppError::InvalidParameters(_)
            | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound { .. } | AppError::RouteNotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } | AppError::IllegalTransition { .. } => StatusCode::CONFLICT,
            AppError::Unauthorized(_) | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Wechat(w) => match w {
                WechatError::NotConfigured | WechatError::Unavailable => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                WechatError::CodeRefused | WechatError::TicketRefused => StatusCode::UNAUTHORIZED,
                WechatError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                WechatError::Upstream(_) => StatusCode::BAD_GATEWAY,
                WechatError::Unbound { .. } => StatusCode::FORBIDDEN,
            },
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Status(code) => {
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// Rendered in Chinese without request context; the problem middleware
    /// ([`crate::telemetry`]) renders it again in the request's language with its path and id.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Zh, None, None)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match &e {
            E::NotFound => AppError::NotFound {
                resource: "record",
                id: String::new(),
            },
            E::DatabaseError(kind, info) => match kind {
                K::UniqueViolation => AppError::Conflict {
                    constraint: info
                        .constraint_name()
                        .map(str::to_owned)
                        .unwrap_or_else(|| sqlite_constraint_name(info.message())),
                },
                K::ClosedConnection | K::SerializationFailure => {
                    AppError::Unavailable(e.to_string())
                }
                _ if is_busy(info.message()) => AppError::Unavailable(e.to_string()),
                _ if info.message().contains("invalid byte sequence") => {
                    AppError::BadRequest(e.to_string())
                }
                _ => AppError::Internal(e.to_string()),
            },
            _ => AppError::Internal(e.to_string()),
        }
    }
}

/// SQLite names no constraint, only its columns ("UNIQUE constraint failed: units.name"); this
/// gives the PostgreSQL name of the same constraint (`units_name_key`), so call sites and
/// messages match on one name.
fn sqlite_constraint_name(message: &str) -> String {
    match message.strip_prefix("UNIQUE constraint failed: ") {
        Some(cols) if !cols.contains(',') => format!("{}_key", cols.trim().replace('.', "_")),
        _ => "unique".into(),
    }
}

/// SQLite's answers when another connection holds the lock past the busy timeout, and
/// PostgreSQL's when the server is going away: the database is unavailable, not broken.
fn is_busy(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database is locked")
        || m.contains("database is busy")
        || m.contains("database table is locked")
        || m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("could not connect")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_not_found_problem_speaks_both_languages_with_one_type() {
        let e = AppError::NotFound {
            resource: "unit",
            id: "x".into(),
        };
        let zh = e.problem(Lang::Zh, Some("/api/v1/units/x"), Some("rid"));
        let en = e.problem(Lang::En, Some("/api/v1/units/x"), Some("rid"));
        assert_eq!(zh.type_uri, en.type_uri);
        assert_eq!(zh.status, 404);
        assert_eq!(zh.detail, "单位 x 不存在");
        assert_eq!(en.detail, "No unit with id x");
        assert_eq!(zh.instance.as_deref(), Some("/api/v1/units/x"));
    }

    #[test]
    fn an_internal_error_leaks_nothing_but_the_request_id() {
        let e = AppError::internal("SELECT * FROM secrets failed at /src/store.rs:12");
        let p = e.problem(Lang::En, None, Some("req-42"));
        let body = serde_json::to_string(&p).unwrap();
        assert!(!body.contains("secrets"));
        assert!(!body.contains("store.rs"));
        assert!(p.detail.contains("req-42"));
        assert_eq!(p.status, 500);
    }

    #[test]
    fn field_errors_keep_their_code_in_every_language() {
        let e = AppError::Validation(vec![FieldIssue::new(
            "names[0]",
            "blank",
            "不能为空",
            "must not be blank",
        )]);
        let zh = e.problem(Lang::Zh, None, None).errors.unwrap();
        let en = e.problem(Lang::En, None, None).errors.unwrap();
        assert_eq!(zh[0].code, en[0].code);
        assert_eq!(zh[0].message, "不能为空");
        assert_eq!(en[0].message, "must not be blank");
    }

    #[test]
    fn sqlite_unique_violations_get_the_postgres_constraint_name() {
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: units.name"),
            "units_name_key"
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: users.username"),
            "users_username_key"
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: a.x, a.y"),
            "unique"
        );
        assert_eq!(sqlite_constraint_name("something else"), "unique");
    }

    #[test]
    fn a_locked_sqlite_database_is_unavailable_not_broken() {
        assert!(is_busy("database is locked"));
        assert!(!is_busy("no such table: units"));
    }

    #[test]
    fn a_405_lists_the_allowed_methods() {
        let res = AppError::MethodNotAllowed {
            allow: vec!["GET".into()],
        }
        .render(Lang::Zh, None, None);
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers().get(header::ALLOW).unwrap(), "GET");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_JSON
        );
    }
}
