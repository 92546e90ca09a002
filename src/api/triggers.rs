//! Immediate triggers (即时体验的起因) and tracking subjects (跟踪体验的对象). Each is answered
//! later by participations; its state (open, overdue, answered) is computed from them, never
//! typed in.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, ParameterErrors};
use crate::api::query::Params;
use crate::api::service_records::parse_date;
use crate::api::units::parse_id;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, DbPool};
use crate::domain::unit::UnitId;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::schedules::{self as store, TrackingRow, TriggerRow};

pub use crate::domain::trigger::{TrackingKind, TriggerReason, TriggerState};

/// A trigger to record.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "reason": "process_change", "description": "企业开办流程调整为一网通办", "raised_on": "2026-11-20"}))]
pub struct CreateTrigger {
    /// The unit that must experience it.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// Why.
    pub reason: TriggerReason,
    /// What happened, 1–500 characters.
    #[validate(length(min = 1, max = 500))]
    pub description: String,
    /// The local date it arose (default today).
    #[schema(value_type = Option<String>, format = Date)]
    pub raised_on: Option<String>,
}

/// A recorded trigger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Trigger {
    /// Its id.
    pub id: String,
    /// The unit.
    pub unit_id: String,
    /// Why.
    pub reason: TriggerReason,
    /// What happened.
    pub description: String,
    /// When it arose.
    pub raised_on: NaiveDate,
    /// Answer by this date (raised + `FRONTLINE_IMMEDIATE_RESPONSE_DAYS`, R8).
    pub due_on: NaiveDate,
    /// Open, overdue or answered (computed).
    pub state: TriggerState,
}

fn today() -> NaiveDate {
    crate::domain::calendar::local_date(chrono::Utc::now())
}

fn trigger_of(r: TriggerRow, answered: bool) -> Result<Trigger, AppError> {
    Ok(Trigger {
        reason: r
            .reason
            .parse()
            .map_err(|_| AppError::internal("unreadable trigger reason"))?,
        state: crate::domain::trigger::state(r.due_on, answered, today()),
        id: r.id,
        unit_id: r.unit_id,
        description: r.description,
        raised_on: r.raised_on,
        due_on: r.due_on,
    })
}

/// Records an immediate trigger (the coordinator, a lead, or the unit itself).
#[utoipa::path(
    tag = "triggers",
    operation_id = "create_trigger",
    request_body(content = CreateTrigger, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = Trigger), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/triggers")]
pub async fn create_trigger(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateTrigger>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner()?;
    let unit = UnitId(parse_id(&b.unit_id).map_err(|_| {
        AppError::Validation(vec![FieldIssue::new(
            "unit_id",
            "invalid_uuid",
            "须为 UUID",
            "must be a UUID",
        )])
    })?);
    policy::raise_trigger(&user, &unit.to_string())?;
    let raised_on = match b.raised_on.as_deref() {
        None => today(),
        Some(raw) => parse_date(raw).filter(|d| *d <= today()).ok_or_else(|| {
            AppError::Validation(vec![FieldIssue::new(
                "raised_on",
                "invalid_date",
                "须为不晚于今天的日期 YYYY-MM-DD",
                "a date YYYY-MM-DD, not in the future",
            )])
        })?,
    };
    if b.description.trim().is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "description",
            "blank",
            "不能为空",
            "must not be blank",
        )]));
    }
    let (days, count) = (
        config.immediate_response_days,
        config.day_count("immediate_response"),
    );
    let actx = ctx.audit(Some(&user));
    let created_by = user.id.clone();
    let row = crate::db::run(&pool, move |conn| {
        // R8: raised day 0, answered by day `days`, in calendar or working days.
        let due_on = crate::store::reports::calendar_for(conn, count)?.add(raised_on, days, count);
        if crate::store::units::get(conn, unit)?.is_none() {
            return Err(AppError::Validation(vec![FieldIssue::new("unit_id", "unknown_unit", "没有该单位", "no such unit")]));
        }
        write_transaction(conn, |conn| {
            let row = TriggerRow { id: uuid::Uuid::now_v7().to_string(), unit_id: unit.to_string(), reason: b.reason.as_str().into(), description: b.description.trim().to_owned(), raised_on, due_on, created_by: Some(created_by.clone()), created_at: crate::store::now() };
            store::insert_trigger(conn, &row)?;
            let changes = serde_json::json!({"reason": {"before": null, "after": row.reason}, "due_on": {"before": null, "after": row.due_on}});
            audit::record(conn, &actx, AuditEntry { action: "trigger.create", target_type: Some("trigger"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            crate::store::webhooks::emit(conn, crate::domain::webhook::EventType::TriggerCreated, serde_json::json!({"trigger_id": row.id, "unit_id": row.unit_id, "reason": row.reason, "raised_on": row.raised_on, "due_on": row.due_on}))?;
            Ok(row)
        })
    })
    .await?;
    let t = trigger_of(row, false)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/triggers/{}", t.id)))
        .json(t))
}

/// Query parameters of the trigger list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTriggersParams {
    /// Only this unit's (a unit account sees only its own).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of triggers.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TriggerList {
    /// Triggers, oldest first.
    pub items: Vec<Trigger>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists triggers with their computed state.
#[utoipa::path(
    tag = "triggers",
    operation_id = "list_triggers",
    params(ListTriggersParams),
    responses((status = 200, description = "One page of triggers", body = TriggerList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/triggers")]
pub async fn list_triggers(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListTriggersParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    let asked = params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    let unit = match policy::schedule_entry_scope(&user) {
        Some(own) => {
            if asked.as_deref().is_some_and(|u| u != own) {
                return Err(AppError::Forbidden { code: "unit" });
            }
            Some(own.to_owned())
        }
        None => asked,
    };
    let (rows, more, answers) = crate::db::run(&pool, move |conn| {
        let (rows, more) = store::list_triggers(conn, unit.as_deref(), after.as_deref(), limit)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let answers = crate::store::participations::trigger_answers(conn, &ids)?;
        Ok((rows, more, answers))
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| {
            let answered = crate::domain::trigger::answered(
                &r.id,
                &r.unit_id,
                r.raised_on,
                r.due_on,
                &answers,
            );
            trigger_of(r, answered)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(TriggerList { items, next_cursor }))
}

/// A tracking subject to record.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "reform", "title": "工程建设项目审批制度改革", "unit_ids": ["0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a"], "active_from": "2026-10-01", "active_to": "2027-03-31"}))]
pub struct CreateTracking {
    /// What kind.
    pub kind: TrackingKind,
    /// Title, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub title: String,
    /// The units that follow it (1–100).
    #[validate(length(min = 1, max = 100))]
    pub unit_ids: Vec<String>,
    /// First local date.
    #[schema(value_type = String, format = Date)]
    pub active_from: String,
    /// Last local date.
    #[schema(value_type = String, format = Date)]
    pub active_to: String,
    /// Days between participations (default `FRONTLINE_TRACKING_INTERVAL_DAYS`).
    #[validate(range(min = 1, max = 366))]
    pub interval_days: Option<u32>,
}

/// A recorded tracking subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrackingSubject {
    /// Its id.
    pub id: String,
    /// What kind.
    pub kind: TrackingKind,
    /// Title.
    pub title: String,
    /// The units that follow it.
    pub unit_ids: Vec<String>,
    /// First local date.
    pub active_from: NaiveDate,
    /// Last local date.
    pub active_to: NaiveDate,
    /// Days between participations.
    pub interval_days: i32,
    /// Whether today falls between `active_from` and `active_to` (computed).
    pub active: bool,
}

fn tracking_of(r: TrackingRow) -> Result<TrackingSubject, AppError> {
    let t = today();
    Ok(TrackingSubject {
        kind: r
            .kind
            .parse()
            .map_err(|_| AppError::internal("unreadable tracking kind"))?,
        unit_ids: serde_json::from_str(&r.unit_ids)
            .map_err(|_| AppError::internal("unreadable tracking units"))?,
        active: r.active_from <= t && t <= r.active_to,
        id: r.id,
        title: r.title,
        active_from: r.active_from,
        active_to: r.active_to,
        interval_days: r.interval_days,
    })
}

/// Records a tracking subject (the coordinator, a lead).
#[utoipa::path(
    tag = "triggers",
    operation_id = "create_tracking_subject",
    request_body(content = CreateTracking, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = TrackingSubject), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/tracking-subjects")]
pub async fn create_tracking_subject(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateTracking>,
) -> Result<HttpResponse, AppError> {
    policy::define_tracking(&user)?;
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    let from = parse_date(&b.active_from);
    let to = parse_date(&b.active_to);
    if from.is_none() {
        issues.push(FieldIssue::new(
            "active_from",
            "invalid_date",
            "须为 YYYY-MM-DD",
            "a date YYYY-MM-DD",
        ));
    }
    if to.is_none() {
        issues.push(FieldIssue::new(
            "active_to",
            "invalid_date",
            "须为 YYYY-MM-DD",
            "a date YYYY-MM-DD",
        ));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            issues.push(FieldIssue::new(
                "active_to",
                "before_start",
                "不得早于开始日期",
                "must not be before active_from",
            ));
        }
    }
    let mut units = Vec::new();
    for (i, u) in b.unit_ids.iter().enumerate() {
        match parse_id(u) {
            Ok(id) => units.push(UnitId(id)),
            Err(_) => issues.push(FieldIssue::new(
                format!("unit_ids[{i}]"),
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )),
        }
    }
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) if issues.is_empty() => (f, t),
        _ => return Err(AppError::Validation(issues)),
    };
    let interval = b.interval_days.unwrap_or(config.tracking_interval_days);
    let actx = ctx.audit(Some(&user));
    let created_by = user.id.clone();
    let row = crate::db::run(&pool, move |conn| {
        for (i, u) in units.iter().enumerate() {
            if crate::store::units::get(conn, *u)?.is_none() {
                return Err(AppError::Validation(vec![FieldIssue::new(format!("unit_ids[{i}]"), "unknown_unit", "没有该单位", "no such unit")]));
            }
        }
        write_transaction(conn, |conn| {
            let ids: Vec<String> = units.iter().map(|u| u.to_string()).collect();
            let row = TrackingRow { id: uuid::Uuid::now_v7().to_string(), kind: b.kind.as_str().into(), title: b.title.trim().to_owned(), unit_ids: serde_json::to_string(&ids).unwrap_or_default(), active_from: from, active_to: to, interval_days: interval as i32, created_by: Some(created_by.clone()), created_at: crate::store::now() };
            store::insert_tracking(conn, &row)?;
            let changes = serde_json::json!({"title": {"before": null, "after": row.title}, "units": {"before": null, "after": ids}});
            audit::record(conn, &actx, AuditEntry { action: "tracking_subject.create", target_type: Some("tracking_subject"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(tracking_of(row)?))
}

/// Query parameters of the tracking list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTrackingParams {
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of tracking subjects.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TrackingList {
    /// Subjects, oldest first.
    pub items: Vec<TrackingSubject>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists tracking subjects (every signed-in account).
#[utoipa::path(
    tag = "triggers",
    operation_id = "list_tracking_subjects",
    params(ListTrackingParams),
    responses((status = 200, description = "One page of tracking subjects", body = TrackingList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/tracking-subjects")]
pub async fn list_tracking_subjects(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListTrackingParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    let p = params.into_inner();
    let mut params = Params::default();
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list_tracking(conn, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(tracking_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(TrackingList { items, next_cursor }))
}
