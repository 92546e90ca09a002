//! Webhooks for integrations (the district portal hears of published schedules and bulletins,
//! filed participations, triggers, overdue issues): made by an admin with a URL, event types
//! and a secret; every event is queued in the outbox in the transaction that makes it, sent by
//! the delivery worker ([`crate::webhooks`]) signed with HMAC-SHA256, retried with backoff, and
//! listed here with each attempt's answer.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::units::{etag, parse_id};
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, DbPool};
use crate::domain::webhook::{check_url, EventType, UrlProblem};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::webhooks::{self as store, AttemptRow, DeliveryRow, WebhookRow};

/// A webhook to make (checked by hand: the URL rules need the settings).
#[derive(Debug, Deserialize, Serialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "区政府门户网站", "url": "https://portal.beilin.gov.cn/hooks/frontline", "events": ["schedule.published", "bulletin.published"]}))]
pub struct CreateWebhook {
    /// What it is for, 1–100 characters.
    pub name: String,
    /// Where deliveries are POSTed: an absolute `https://` (or `http://`) URL without user name
    /// or password. Internal addresses (loopback, private, link-local) are refused unless
    /// `FRONTLINE_WEBHOOK_ALLOW_PRIVATE` is set.
    pub url: String,
    /// The event types to deliver, at least one.
    pub events: Vec<EventType>,
    /// The signing secret, 16–200 characters; none: one is generated and shown once in the
    /// answer.
    pub secret: Option<String>,
    /// Whether deliveries are made (default true).
    pub active: Option<bool>,
}

/// Changes to a webhook; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["schedule.published", "bulletin.published", "issue.overdue"], "active": true}))]
pub struct UpdateWebhook {
    /// What it is for.
    pub name: Option<String>,
    /// Where deliveries go.
    pub url: Option<String>,
    /// The event types.
    pub events: Option<Vec<EventType>>,
    /// A new signing secret, 16–200 characters (deliveries not yet sent are signed with it).
    pub secret: Option<String>,
    /// Whether deliveries are made; while false, queued deliveries wait.
    pub active: Option<bool>,
}

/// A webhook (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types delivered.
    pub events: Vec<EventType>,
    /// Whether deliveries are made.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Version (the `ETag`).
    pub version: i64,
}

/// A webhook just made: the only time a generated secret is shown.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret: the receiver checks `X-Frontline-Signature` with it. Not shown again.
    pub secret: String,
}

/// The webhooks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub items: Vec<Webhook>,
}

/// One delivery of one event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// Id (`X-Frontline-Delivery`).
    #[schema(format = Uuid)]
    pub id: String,
    /// The webhook.
    #[schema(format = Uuid)]
    pub webhook_id: String,
    /// The event's id (`X-Frontline-Event-Id`; the same on a redelivery: dedupe on it).
    #[schema(format = Uuid)]
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending` (queued or waiting for a retry), `succeeded`, `failed` (attempts used up).
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status.
    pub last_status_code: Option<i32>,
    /// The last failure without an answer (time-out, refused connection, refused address).
    pub last_error: Option<String>,
    /// When it succeeded.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The delivery this one repeats.
    #[schema(format = Uuid)]
    pub redelivery_of: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

crate::text_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus {
        /// Queued, or waiting for its next attempt.
        Pending => "pending",
        /// A 2xx answer came.
        Succeeded => "succeeded",
        /// Every attempt failed.
        Failed => "failed",
    }
}

/// One attempt.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// 1, 2, …
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: i64,
    /// The answer's HTTP status.
    pub status_code: Option<i32>,
    /// Why no answer came.
    pub error: Option<String>,
    /// The start of the answer's body (at most 2 KiB).
    pub response_body: Option<String>,
}

/// A delivery with its body and attempts.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The JSON body sent: `{id, type, occurred_at, data}`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Its attempts, first first.
    pub attempt_log: Vec<Attempt>,
}

/// One page of deliveries.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<Delivery>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Query parameters of delivery lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDeliveriesParams {
    /// Only deliveries in this state.
    #[param(value_type = Option<DeliveryStatus>)]
    pub status: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn webhook_of(r: &WebhookRow) -> Webhook {
    Webhook {
        id: r.id.clone(),
        name: r.name.clone(),
        url: r.url.clone(),
        events: r.event_types(),
        active: r.active,
        created_at: crate::store::utc(r.created_at),
        updated_at: crate::store::utc(r.updated_at),
        version: r.version,
    }
}

fn delivery_of(r: &DeliveryRow) -> Delivery {
    Delivery {
        id: r.id.clone(),
        webhook_id: r.webhook_id.clone(),
        event_id: r.event_id.clone(),
        event_type: r.event_type.clone(),
        status: r.status.parse().unwrap_or(DeliveryStatus::Failed),
        attempts: r.attempts,
        next_attempt_at: (r.status == "pending").then(|| crate::store::utc(r.next_attempt_at)),
        last_status_code: r.last_status_code,
        last_error: r.last_error.clone(),
        delivered_at: r.delivered_at.map(crate::store::utc),
        redelivery_of: r.redelivery_of.clone(),
        created_at: crate::store::utc(r.created_at),
    }
}

fn attempt_of(a: AttemptRow) -> Attempt {
    Attempt {
        attempt: a.attempt,
        started_at: crate::store::utc(a.started_at),
        duration_ms: a.duration_ms,
        status_code: a.status_code,
        error: a.error,
        response_body: a.response_body,
    }
}

fn check_name(name: &str, issues: &mut Vec<FieldIssue>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        issues.push(FieldIssue::new(
            "name",
            "length",
            "须为 1 到 100 个字符",
            "must be 1–100 characters",
        ));
    }
}

fn check_url_field(url: &str, allow_private: bool, issues: &mut Vec<FieldIssue>) {
    if let Err(p) = check_url(url, allow_private) {
        issues.push(match p {
            UrlProblem::Invalid => FieldIssue::new(
                "url",
                "invalid_url",
                "须为完整的 http(s) 地址，至多 2000 个字符",
                "must be an absolute http(s) URL of at most 2000 characters",
            ),
            UrlProblem::Scheme => FieldIssue::new(
                "url",
                "scheme",
                "只支持 http 和 https",
                "only http and https are allowed",
            ),
            UrlProblem::Credentials => FieldIssue::new(
                "url",
                "credentials",
                "地址中不得含用户名或密码",
                "the URL must not carry a user name or password",
            ),
            UrlProblem::PrivateAddress => FieldIssue::new(
                "url",
                "private_address",
                "不允许回环、内网或链路本地地址",
                "loopback, private and link-local addresses are not allowed",
            ),
        });
    }
}

fn check_events(events: &[EventType], issues: &mut Vec<FieldIssue>) {
    if events.is_empty() {
        issues.push(FieldIssue::new(
            "events",
            "required",
            "至少订阅一种事件",
            "at least one event type",
        ));
    }
}

fn check_secret(secret: &str, issues: &mut Vec<FieldIssue>) {
    let n = secret.chars().count();
    if !(16..=200).contains(&n) || secret.chars().any(char::is_control) {
        issues.push(FieldIssue::new(
            "secret",
            "length",
            "须为 16 到 200 个字符，不含控制字符",
            "must be 16–200 characters without control characters",
        ));
    }
}

fn events_json(events: &[EventType]) -> String {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())
}

/// Makes a webhook (admin). The answer holds the secret, shown this once.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body(content = CreateWebhook, content_type = "application/json"),
    responses((status = 201, description = "Made; `secret` is shown only now", body = CreatedWebhook, headers(("ETag" = String, description = "The version"))), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateWebhook>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    check_name(&b.name, &mut issues);
    check_url_field(&b.url, config.webhooks.allow_private, &mut issues);
    check_events(&b.events, &mut issues);
    if let Some(s) = &b.secret {
        check_secret(s, &mut issues);
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let secret = b.secret.clone().unwrap_or_else(|| {
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        format!("whsec_{}", URL_SAFE_NO_PAD.encode(random))
    });
    let now = crate::store::now();
    let row = WebhookRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: b.name.trim().to_owned(),
        url: b.url.trim().to_owned(),
        events: events_json(&b.events),
        secret: secret.clone(),
        active: b.active.unwrap_or(true),
        created_by: Some(user.id.clone()),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            store::insert(conn, &row)?;
            // The secret is never in the audit log.
            let changes = serde_json::json!({"name": {"before": null, "after": row.name}, "url": {"before": null, "after": crate::domain::webhook::redacted_url(&row.url)}, "events": {"before": null, "after": row.event_types()}, "active": {"before": null, "after": row.active}});
            audit::record(conn, &actx, AuditEntry { action: "webhook.create", target_type: Some("webhook"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    let webhook = webhook_of(&row);
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", row.id)))
        .insert_header((header::ETAG, etag(row.version)))
        .json(CreatedWebhook { webhook, secret }))
}

/// Lists the webhooks, without their secrets (admin).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhooks",
    responses((status = 200, description = "The webhooks", body = WebhookList), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    user: AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let rows = crate::db::run(&pool, store::list).await?;
    let items = rows.iter().map(webhook_of).collect();
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

async fn load(pool: &DbPool, id: String) -> Result<WebhookRow, AppError> {
    crate::db::run(pool, move |conn| {
        store::get(conn, &id)?.ok_or(AppError::NotFound {
            resource: "webhook",
            id,
        })
    })
    .await
}

/// Reads a webhook (admin).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = String, Path, format = Uuid, description = "The webhook's id")),
    responses((status = 200, description = "The webhook", body = Webhook, headers(("ETag" = String, description = "The version"))), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let row = load(&pool, parse_id(&id)?.to_string()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(webhook_of(&row)))
}

/// Changes a webhook (admin); `If-Match` with its `ETag` is required.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "update_webhook",
    params(
        ("id" = String, Path, format = Uuid, description = "The webhook's id"),
        ("If-Match" = String, Header, description = "The `ETag` read", example = "\"1\""),
    ),
    request_body(content = UpdateWebhook, content_type = "application/json"),
    responses((status = 200, description = "The changed webhook", body = Webhook, headers(("ETag" = String, description = "The new version"))), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    body: JsonBody<UpdateWebhook>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    if let Some(n) = &b.name {
        check_name(n, &mut issues);
    }
    if let Some(u) = &b.url {
        check_url_field(u, config.webhooks.allow_private, &mut issues);
    }
    if let Some(e) = &b.events {
        check_events(e, &mut issues);
    }
    if let Some(s) = &b.secret {
        check_secret(s, &mut issues);
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = store::get(conn, &id)?.ok_or(AppError::NotFound {
                resource: "webhook",
                id: id.clone(),
            })?;
            let version = ctx.expect_version(before.version)?;
            let mut row = before.clone();
            if let Some(n) = &b.name {
                row.name = n.trim().to_owned();
            }
            if let Some(u) = &b.url {
                row.url = u.trim().to_owned();
            }
            if let Some(e) = &b.events {
                row.events = events_json(e);
            }
            if let Some(s) = &b.secret {
                row.secret = s.clone();
            }
            if let Some(a) = b.active {
                row.active = a;
            }
            row.updated_at = crate::store::now();
            if !store::update(conn, &row, version)? {
                return Err(AppError::PreconditionFailed {
                    current: etag(before.version + 1),
                });
            }
            row.version = version + 1;
            let audited = |r: &WebhookRow| {
                let mut w = webhook_of(r);
                w.url = crate::domain::webhook::redacted_url(&w.url);
                serde_json::to_value(w).unwrap_or_default()
            };
            let changes = crate::domain::audit::diff(&audited(&before), &audited(&row));
            let mut changes = changes;
            if b.secret.is_some() {
                // Said, never shown.
                changes["secret"] = serde_json::json!({"before": "(set)", "after": "(replaced)"});
            }
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "webhook.update",
                    target_type: Some("webhook"),
                    target_id: Some(&row.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(webhook_of(&row)))
}

/// Removes a webhook with its deliveries (admin).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = String, Path, format = Uuid, description = "The webhook's id")),
    responses((status = 204, description = "Removed"), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let id = parse_id(&id)?.to_string();
    let actx = ctx.audit(Some(&user));
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = store::get(conn, &id)?.ok_or(AppError::NotFound { resource: "webhook", id: id.clone() })?;
            store::delete(conn, &id)?;
            let changes = serde_json::json!({"name": {"before": before.name, "after": null}, "url": {"before": crate::domain::webhook::redacted_url(&before.url), "after": null}});
            audit::record(conn, &actx, AuditEntry { action: "webhook.delete", target_type: Some("webhook"), target_id: Some(&id), changes: Some(changes), outcome: "success" })?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists a webhook's deliveries, newest first (admin).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = String, Path, format = Uuid, description = "The webhook's id"), ListDeliveriesParams),
    responses((status = 200, description = "One page of deliveries", body = DeliveryList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    params: web::Query<ListDeliveriesParams>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let id = parse_id(&id)?.to_string();
    let p = params.into_inner();
    let mut params = Params::default();
    let status: Option<DeliveryStatus> = params.enumeration("status", p.status.as_deref());
    let (limit, before) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        if store::get(conn, &id)?.is_none() {
            return Err(AppError::NotFound {
                resource: "webhook",
                id,
            });
        }
        store::list_deliveries(
            conn,
            &id,
            status.map(|s| s.as_str()),
            before.as_deref(),
            limit,
        )
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |r| &r.id);
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: rows.iter().map(delivery_of).collect(),
        next_cursor,
    }))
}

fn delivery_path(path: web::Path<(String, String)>) -> Result<(String, String), AppError> {
    let (id, delivery) = path.into_inner();
    Ok((parse_id(&id)?.to_string(), parse_id(&delivery)?.to_string()))
}

fn find_delivery(
    conn: &mut crate::db::AnyConnection,
    webhook: &str,
    delivery: &str,
) -> Result<DeliveryRow, AppError> {
    store::get_delivery(conn, webhook, delivery)?.ok_or_else(|| AppError::NotFound {
        resource: "webhook_delivery",
        id: delivery.to_owned(),
    })
}

/// Reads one delivery with its body and every attempt's answer (admin).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook_delivery",
    params(
        ("id" = String, Path, format = Uuid, description = "The webhook's id"),
        ("delivery_id" = String, Path, format = Uuid, description = "The delivery's id"),
    ),
    responses((status = 200, description = "The delivery", body = DeliveryDetail), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_webhook_delivery(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let (id, delivery) = delivery_path(path)?;
    let (row, attempts) = crate::db::run(&pool, move |conn| {
        let row = find_delivery(conn, &id, &delivery)?;
        let attempts = store::attempts(conn, &row.id)?;
        Ok((row, attempts))
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryDetail {
        delivery: delivery_of(&row),
        payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
        attempt_log: attempts.into_iter().map(attempt_of).collect(),
    }))
}

/// Sends a delivery's event again, now, as a new delivery with the same event id and body
/// (admin): after a receiver's outage, or to replay one event.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook_redelivery",
    params(
        ("id" = String, Path, format = Uuid, description = "The webhook's id"),
        ("delivery_id" = String, Path, format = Uuid, description = "The delivery to repeat"),
    ),
    responses((status = 202, description = "Queued", body = Delivery), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliveries")]
pub async fn create_webhook_redelivery(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let (id, delivery) = delivery_path(path)?;
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let source = find_delivery(conn, &id, &delivery)?;
            if !store::get(conn, &id)?.is_some_and(|h| h.active) {
                return Err(AppError::Conflict { constraint: "webhook_inactive".into() });
            }
            let row = store::redeliver(conn, &source)?;
            let changes = serde_json::json!({"redelivery_of": {"before": null, "after": source.id}, "event_id": {"before": null, "after": source.event_id}});
            audit::record(conn, &actx, AuditEntry { action: "webhook.redeliver", target_type: Some("webhook_delivery"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(delivery_of(&row)))
}

/// Queues a `ping` event to this webhook only (admin): to check the receiver and its signature
/// check.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook_ping",
    params(("id" = String, Path, format = Uuid, description = "The webhook's id")),
    responses((status = 202, description = "Queued", body = Delivery), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/pings")]
pub async fn create_webhook_ping(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::manage_webhooks(&user)?;
    let id = parse_id(&id)?.to_string();
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let hook = store::get(conn, &id)?.ok_or(AppError::NotFound {
                resource: "webhook",
                id: id.clone(),
            })?;
            if !hook.active {
                return Err(AppError::Conflict {
                    constraint: "webhook_inactive".into(),
                });
            }
            let row = store::ping(conn, &hook)?;
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "webhook.ping",
                    target_type: Some("webhook"),
                    target_id: Some(&id),
                    changes: None,
                    outcome: "success",
                },
            )?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(delivery_of(&row)))
}
