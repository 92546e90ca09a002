//! The audit log, read side (admin, coordinator): newest first, filtered, cursor-paginated.

use actix_web::{get, web, HttpResponse};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problems::{AuthErrors, CommonErrors, ParameterErrors};
use crate::api::query::Params;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::DbPool;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{AuditFilter, AuditRecord};

/// Query parameters of the audit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditParams {
    /// Only records of this acting account.
    pub actor_id: Option<String>,
    /// Only records about this kind of record (`unit`, `user`, `session`).
    pub target_type: Option<String>,
    /// Only records about this record.
    pub target_id: Option<String>,
    /// Only this action (`unit.update`, `auth.login`, …).
    pub action: Option<String>,
    /// From this time on (RFC 3339, inclusive).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-01T00:00:00+08:00")]
    pub from: Option<String>,
    /// Before this time (RFC 3339, exclusive).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-12-01T00:00:00+08:00")]
    pub to: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of audit records.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AuditList {
    /// Records, newest first.
    pub items: Vec<AuditRecord>,
    /// Pass as `cursor` for older records; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn time(params: &mut Params, field: &str, raw: Option<&str>) -> Option<chrono::NaiveDateTime> {
    let raw = raw?;
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .map_err(|_| {
            params.refuse(FieldIssue::new(
                field,
                "invalid_datetime",
                "须为 RFC 3339 时间，如 2026-11-01T00:00:00+08:00",
                "an RFC 3339 time, e.g. 2026-11-01T00:00:00+08:00",
            ))
        })
        .ok()
}

/// Lists audit records (admin, coordinator).
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit",
    params(ListAuditParams),
    responses((status = 200, description = "One page of audit records, newest first", body = AuditList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListAuditParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_audit(&user)?;
    let p = params.into_inner();
    let mut params = Params::default();
    let from = time(&mut params, "from", p.from.as_deref());
    let to = time(&mut params, "to", p.to.as_deref());
    let (limit, before) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let filter = AuditFilter {
        actor_id: p.actor_id,
        target_type: p.target_type,
        target_id: p.target_id,
        action: p.action,
        from,
        to,
    };
    let (items, more) = crate::db::run(&pool, move |conn| {
        crate::store::audit::list(conn, &filter, before.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&items, more, |x| &x.id);
    Ok(HttpResponse::Ok().json(AuditList { items, next_cursor }))
}
