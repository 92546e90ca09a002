//! Bulletins (通报, 四(三), 五(三)): the coordinator's quarterly bulletin, drawn from the
//! district report, listing the units that took no part at all or let issues repeatedly pass
//! their deadlines; public once published, with units named and no personal data.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::stats::compute_stats;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::{write_transaction, DbPool};
use crate::domain::calendar::{local_date, Period, Quarter};
use crate::domain::stats::{Figures, GroupBy};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::reports::{self as store, BulletinRow};

pub use crate::domain::stats::ListedReason;

/// A unit named in a bulletin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListedUnit {
    /// The unit's id.
    pub unit_id: String,
    /// Its name.
    pub unit_name: String,
    /// Why.
    pub reasons: Vec<ListedReason>,
    /// Its issues overdue at the quarter's end (or today, while it runs); with a compliance
    /// check, its overdue issues in that check (R10).
    pub overdue_issues: u32,
    /// With a compliance check: each listing with its quarter and evidence (record ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<crate::domain::compliance::Listing>,
}

/// A bulletin.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Bulletin {
    /// Id.
    pub id: String,
    /// The quarter.
    pub quarter: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The district report it draws on.
    pub report_id: Option<String>,
    /// That report's district-wide counts (no record's content).
    pub figures: Option<Figures>,
    /// The units named, with why.
    pub listed: Vec<ListedUnit>,
    /// The compliance run it draws on, with its ranked scores.
    pub compliance: Option<crate::api::compliance::BulletinCompliance>,
    /// `draft` or `published`.
    pub status: String,
    /// When it was published (UTC).
    pub published_at: Option<DateTime<Utc>>,
    /// When it was made (UTC).
    pub created_at: DateTime<Utc>,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable bulletin {what}"))
}

fn bulletin_of(r: BulletinRow) -> Result<Bulletin, AppError> {
    Ok(Bulletin {
        figures: r
            .figures
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| bad("figures"))?,
        listed: serde_json::from_str(&r.listed).map_err(|_| bad("listed"))?,
        compliance: r
            .compliance
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| bad("compliance"))?,
        published_at: r.published_at.map(crate::store::utc),
        created_at: crate::store::utc(r.created_at),
        id: r.id,
        quarter: r.quarter,
        title: r.title,
        body: r.body,
        report_id: r.report_id,
        status: r.status,
    })
}

/// A bulletin to draft.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quarter": "2026-Q3", "title": "关于2026年第三季度一把手走流程坐窗口跟执法处投诉活动开展情况的通报", "body": "各单位：……"}))]
pub struct CreateBulletin {
    /// The quarter (begun), like `2026-Q3`.
    pub quarter: String,
    /// Title, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub title: String,
    /// Text, 1–20000 characters.
    #[validate(length(min = 1, max = 20000))]
    pub body: String,
    /// The quarter's district report to draw the figures from.
    #[schema(format = Uuid)]
    pub report_id: Option<String>,
    /// A district-wide compliance check of the quarter: the bulletin then carries its ranked
    /// scores, and its list (no participation, repeatedly overdue, head never in person)
    /// names the units.
    #[schema(format = Uuid)]
    pub compliance_check_id: Option<String>,
}

/// Drafts a quarter's bulletin (the coordinator). With a compliance check of the quarter, it
/// carries the check's ranked scores and names the units of the check's list; without, it
/// names the units with no counted participation in the quarter and those with at least
/// `FRONTLINE_BULLETIN_OVERDUE_MIN` issues overdue at its end. It takes the figures of the
/// district report given.
#[utoipa::path(
    tag = "reports",
    operation_id = "create_bulletin",
    request_body(content = CreateBulletin, content_type = "application/json"),
    responses((status = 201, description = "Drafted", body = Bulletin), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/bulletins")]
pub async fn create_bulletin(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateBulletin>,
) -> Result<HttpResponse, AppError> {
    crate::auth::policy::manage_bulletins(&user)?;
    let b = body.into_inner()?;
    let today = local_date(Utc::now());
    let quarter: Quarter = b
        .quarter
        .parse()
        .ok()
        .filter(|q: &Quarter| q.first_day() <= today)
        .ok_or_else(|| {
            AppError::Validation(vec![FieldIssue::new(
                "quarter",
                "invalid_quarter",
                "须为已开始的季度，如 2026-Q3",
                "a quarter that has begun, like 2026-Q3",
            )])
        })?;
    let report_id = match b.report_id.as_deref().map(crate::api::units::parse_id) {
        None => None,
        Some(Ok(id)) => Some(id.to_string()),
        Some(Err(_)) => {
            return Err(AppError::Validation(vec![FieldIssue::new(
                "report_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )]))
        }
    };
    let check_id = match b
        .compliance_check_id
        .as_deref()
        .map(crate::api::units::parse_id)
    {
        None => None,
        Some(Ok(id)) => Some(id.to_string()),
        Some(Err(_)) => {
            return Err(AppError::Validation(vec![FieldIssue::new(
                "compliance_check_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )]))
        }
    };
    let min_overdue = config.bulletin_overdue_min;
    let actx = ctx.audit(Some(&user));
    let bulletin = crate::db::run(&pool, move |conn| {
        let figures = match &report_id {
            None => None,
            Some(id) => {
                let r = store::get(conn, id)?
                    .filter(|r| r.kind == "district_quarterly" && r.period == quarter.to_string())
                    .ok_or_else(|| AppError::Validation(vec![FieldIssue::new("report_id", "not_district_report", "须为该季度的全区季度报告", "must be the quarter's district report")]))?;
                let stats: crate::api::stats::Stats = serde_json::from_str(&r.statistics).map_err(|_| bad("report"))?;
                // The public sees counts only: no record's content, no matter list.
                let mut total = stats.total;
                total.enforcement_content.clear();
                total.matter_ids.clear();
                Some(total)
            }
        };
        let from_check = match &check_id {
            None => None,
            Some(id) => Some(crate::api::compliance::for_bulletin(conn, id, &quarter.to_string())?.ok_or_else(|| {
                AppError::Validation(vec![FieldIssue::new("compliance_check_id", "not_district_check", "须为该季度结束后进行的、面向全区的专项考核检查", "must be a district-wide compliance check of the quarter, made once it had ended")])
            })?),
        };
        let (compliance, listed) = match from_check {
            Some((c, listed)) => (Some(c), listed),
            None => (None, listed_without_check(conn, quarter, today, min_overdue)?),
        };
        let row = BulletinRow {
            id: uuid::Uuid::now_v7().to_string(),
            quarter: quarter.to_string(),
            title: b.title.trim().to_owned(),
            body: b.body.trim().to_owned(),
            report_id: report_id.clone(),
            figures: figures.as_ref().map(serde_json::to_string).transpose().map_err(|e| AppError::internal(e.to_string()))?,
            listed: serde_json::to_string(&listed).map_err(|e| AppError::internal(e.to_string()))?,
            status: "draft".into(),
            published_at: None,
            created_by: Some(user.id.clone()),
            created_at: crate::store::now(),
            compliance: compliance.as_ref().map(serde_json::to_string).transpose().map_err(|e| AppError::internal(e.to_string()))?,
        };
        write_transaction(conn, |conn| {
            store::insert_bulletin(conn, &row)?;
            let changes = serde_json::json!({"quarter": {"before": null, "after": row.quarter}, "listed": {"before": null, "after": listed.len()}});
            audit::record(conn, &actx, AuditEntry { action: "bulletin.create", target_type: Some("bulletin"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })
        })?;
        bulletin_of(row)
    })
    .await?;
    Ok(HttpResponse::Created().json(bulletin))
}

/// The units a bulletin without a compliance check names: no counted participation in the
/// quarter, or at least `min_overdue` issues overdue at its end (or today, while it runs).
fn listed_without_check(
    conn: &mut crate::db::AnyConnection,
    quarter: Quarter,
    today: chrono::NaiveDate,
    min_overdue: u32,
) -> Result<Vec<ListedUnit>, AppError> {
    let period = Period {
        from: quarter.first_day(),
        to: quarter.last_day(),
    };
    let as_of = period.to.min(today);
    let stats = compute_stats(conn, period, as_of, GroupBy::Unit, None, None)?;
    let counted =
        crate::store::participations::counted_units_between(conn, period.from, period.to)?;
    let units = crate::store::units::list(conn, &Default::default(), None, 10_000)?.items;
    let mut listed = Vec::new();
    for u in units
        .iter()
        .filter(|u| u.active && !u.categories.is_empty())
    {
        let id = u.id.to_string();
        let overdue = stats
            .groups
            .iter()
            .find(|g| g.key == id)
            .map_or(0, |g| g.figures.overdue);
        let reasons =
            crate::domain::stats::listed_reasons(counted.contains(&id), overdue, min_overdue);
        if !reasons.is_empty() {
            listed.push(ListedUnit {
                unit_id: id,
                unit_name: u.name.clone(),
                reasons,
                overdue_issues: overdue,
                details: Vec::new(),
            });
        }
    }
    Ok(listed)
}

/// Publishes a draft bulletin (the coordinator): it then shows at `/api/v1/public/bulletins`.
#[utoipa::path(
    tag = "reports",
    operation_id = "create_bulletin_publication",
    params(("id" = String, Path, format = Uuid, description = "The bulletin's id")),
    responses((status = 200, description = "Published", body = Bulletin), ParameterErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/bulletins/{id}/publication")]
pub async fn create_bulletin_publication(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    crate::auth::policy::manage_bulletins(&user)?;
    let id = crate::api::units::parse_id(&id)?.to_string();
    let actx = ctx.audit(Some(&user));
    let b = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            if store::get_bulletin(conn, &id)?.is_none() {
                return Err(AppError::NotFound {
                    resource: "bulletin",
                    id: id.clone(),
                });
            }
            if !store::publish_bulletin(conn, &id, crate::store::now())? {
                return Err(AppError::Conflict {
                    constraint: "bulletin_published".into(),
                });
            }
            let changes = serde_json::json!({"status": {"before": "draft", "after": "published"}});
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "bulletin.publish",
                    target_type: Some("bulletin"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            crate::store::webhooks::emit(
                conn,
                crate::domain::webhook::EventType::BulletinPublished,
                serde_json::json!({"bulletin_id": id, "public_url": "/api/v1/public/bulletins"}),
            )?;
            bulletin_of(store::get_bulletin(conn, &id)?.ok_or_else(|| bad("row"))?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(b))
}

/// Query parameters of bulletin lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBulletinsParams {
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of bulletins.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct BulletinList {
    /// Bulletins, oldest first.
    pub items: Vec<Bulletin>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

async fn list(
    pool: &DbPool,
    published_only: bool,
    p: ListBulletinsParams,
    max_limit: i64,
) -> Result<BulletinList, AppError> {
    let mut params = Params::default();
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), max_limit);
    params.finish()?;
    let (rows, more) = crate::db::run(pool, move |conn| {
        store::list_bulletins(conn, published_only, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(bulletin_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BulletinList { items, next_cursor })
}

/// Lists bulletins: drafts too for the coordinator, leaders and admins; published ones for
/// everyone else.
#[utoipa::path(
    tag = "reports",
    operation_id = "list_bulletins",
    params(ListBulletinsParams),
    responses((status = 200, description = "One page of bulletins", body = BulletinList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/bulletins")]
pub async fn list_bulletins(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListBulletinsParams>,
) -> Result<HttpResponse, AppError> {
    let drafts = crate::auth::policy::sees_draft_bulletins(&user);
    Ok(HttpResponse::Ok()
        .json(list(&pool, !drafts, params.into_inner(), config.limits.list).await?))
}

/// The published bulletins, for the public (no sign-in): units are named, no person is.
#[utoipa::path(
    tag = "public",
    operation_id = "list_public_bulletins",
    params(ListBulletinsParams),
    responses((status = 200, description = "One page of published bulletins", body = BulletinList), ParameterErrors, CommonErrors),
    security(())
)]
#[get("/public/bulletins")]
pub async fn list_public_bulletins(
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListBulletinsParams>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(list(&pool, true, params.into_inner(), config.limits.list).await?))
}
