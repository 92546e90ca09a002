//! API keys for integrations (the district portal, scripts with generated clients): made by an
//! admin with a name, scopes, an optional expiry and allowed client addresses; the key is shown
//! once and stored as a SHA-256 digest (it is 256 random bits, so a slow hash adds nothing);
//! sent as `Authorization: ApiKey <key>` or `X-Api-Key: <key>`; every use is audited and sets
//! the last-used time; a revoked key is refused at once.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::ToSchema;
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::auth::{policy, AuthUser};
use crate::db::{write_transaction, DbPool};
use crate::domain::api_key::{AddrRule, Scope, KEY_PREFIX};
use crate::error::{AppError, FieldIssue};
use crate::store::api_keys::{self as store, ApiKeyRow};
use crate::store::audit::{self, AuditEntry};

/// A key to make.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "区政府门户网站", "scopes": ["public:read", "stats:read"], "expires_at": "2027-12-31T16:00:00Z", "allowed_addresses": ["10.20.0.0/16"]}))]
pub struct CreateApiKey {
    /// What it is for, 1–100 characters.
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// Its scopes, at least one.
    pub scopes: Vec<Scope>,
    /// When it stops working (UTC, in the future); none: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// The client addresses it may come from: IPs or CIDR networks, at most 20; none: any.
    #[serde(default)]
    pub allowed_addresses: Vec<String>,
}

/// A key as listed (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// What it is for.
    pub name: String,
    /// The key's public start (`fk_<lookup id>_…`), to recognise it.
    pub prefix: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// The client addresses it may come from (none: any).
    pub allowed_addresses: Vec<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just made: the only time its secret is shown.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The whole key: send it as `Authorization: ApiKey <key>`. It is not shown again.
    pub key: String,
}

/// The keys.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    /// Oldest first.
    pub items: Vec<ApiKey>,
}

fn key_of(r: ApiKeyRow) -> Result<ApiKey, AppError> {
    let bad = |_| AppError::internal("unreadable API key");
    Ok(ApiKey {
        prefix: format!("{KEY_PREFIX}{}_", r.lookup_id),
        scopes: serde_json::from_str(&r.scopes).map_err(bad)?,
        allowed_addresses: serde_json::from_str(&r.allowed_addresses).map_err(bad)?,
        expires_at: r.expires_at.map(crate::store::utc),
        created_at: crate::store::utc(r.created_at),
        last_used_at: r.last_used_at.map(crate::store::utc),
        revoked_at: r.revoked_at.map(crate::store::utc),
        id: r.id,
        name: r.name,
    })
}

/// Makes an API key (admin). The answer holds the key, shown this once.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "create_api_key",
    request_body(content = CreateApiKey, content_type = "application/json"),
    responses((status = 201, description = "Made; `key` is shown only now", body = CreatedApiKey), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    body: JsonBody<CreateApiKey>,
) -> Result<HttpResponse, AppError> {
    policy::manage_api_keys(&user)?;
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    let name = b.name.trim().to_owned();
    if name.is_empty() {
        issues.push(FieldIssue::new(
            "name",
            "blank",
            "不能为空",
            "must not be blank",
        ));
    }
    if b.scopes.is_empty() {
        issues.push(FieldIssue::new(
            "scopes",
            "required",
            "至少一个权限范围",
            "at least one scope",
        ));
    }
    if b.expires_at.is_some_and(|e| e <= Utc::now()) {
        issues.push(FieldIssue::new(
            "expires_at",
            "past",
            "过期时间须在将来",
            "the expiry must be in the future",
        ));
    }
    if b.allowed_addresses.len() > 20 {
        issues.push(FieldIssue::new(
            "allowed_addresses",
            "too_many",
            "最多 20 个地址",
            "at most 20 addresses",
        ));
    }
    for (i, a) in b.allowed_addresses.iter().enumerate() {
        if a.parse::<AddrRule>().is_err() {
            issues.push(FieldIssue::new(
                format!("allowed_addresses[{i}]"),
                "invalid_address",
                "须为 IP 地址或 CIDR 网段，如 10.20.0.0/16",
                "an IP address or a CIDR network like 10.20.0.0/16",
            ));
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let mut random = [0u8; 38];
    OsRng.fill_bytes(&mut random);
    let lookup: String = random[..6].iter().map(|b| format!("{b:02x}")).collect();
    let key = format!(
        "{KEY_PREFIX}{lookup}_{}",
        URL_SAFE_NO_PAD.encode(&random[6..])
    );
    let hash: String = sha2::Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut scopes = b.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let row = ApiKeyRow {
        id: uuid::Uuid::now_v7().to_string(),
        lookup_id: lookup,
        name,
        key_hash: hash,
        scopes: serde_json::to_string(&scopes).map_err(|e| AppError::internal(e.to_string()))?,
        allowed_addresses: serde_json::to_string(&b.allowed_addresses)
            .map_err(|e| AppError::internal(e.to_string()))?,
        expires_at: b.expires_at.map(|e| e.naive_utc()),
        created_by: Some(user.id.clone()),
        created_at: crate::store::now(),
        last_used_at: None,
        revoked_at: None,
    };
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            store::insert(conn, &row)?;
            // The secret is never in the audit log: only the name, scopes and limits.
            let changes = serde_json::json!({"name": {"before": null, "after": row.name}, "scopes": {"before": null, "after": scopes}, "expires_at": {"before": null, "after": row.expires_at}, "allowed_addresses": {"before": null, "after": b.allowed_addresses}});
            audit::record(conn, &actx, AuditEntry { action: "api_key.create", target_type: Some("api_key"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    let api_key = key_of(row)?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedApiKey { api_key, key }))
}

/// Lists the API keys, without their secrets (admin).
#[utoipa::path(
    tag = "api-keys",
    operation_id = "list_api_keys",
    responses((status = 200, description = "The keys", body = ApiKeyList), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    user: AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    policy::manage_api_keys(&user)?;
    let rows = crate::db::run(&pool, store::list).await?;
    let items = rows
        .into_iter()
        .map(key_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(ApiKeyList { items }))
}

/// Revokes an API key at once (admin); revoking a revoked key changes nothing.
#[utoipa::path(
    tag = "api-keys",
    operation_id = "delete_api_key",
    params(("id" = String, Path, format = Uuid, description = "The key's id")),
    responses((status = 204, description = "Revoked"), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn delete_api_key(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::manage_api_keys(&user)?;
    let id = crate::api::units::parse_id(&id)?.to_string();
    let actx = ctx.audit(Some(&user));
    crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            if store::get(conn, &id)?.is_none() {
                return Err(AppError::NotFound {
                    resource: "api_key",
                    id: id.clone(),
                });
            }
            if store::revoke(conn, &id, crate::store::now())? {
                let changes = serde_json::json!({"revoked": {"before": false, "after": true}});
                audit::record(
                    conn,
                    &actx,
                    AuditEntry {
                        action: "api_key.revoke",
                        target_type: Some("api_key"),
                        target_id: Some(&id),
                        changes: Some(changes),
                        outcome: "success",
                    },
                )?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
