//! Schedules (活动计划): each lead drafts its activity's quarterly schedule and entries; the
//! coordinator reviews, a leader approves, the lead publishes (四(一)). A published schedule
//! changes only by a new revision; every revision stays readable.

use std::collections::{BTreeSet, HashMap};

use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::service_records::parse_date;
use crate::api::units::{etag, parse_id};
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::calendar::Quarter;
use crate::domain::schedule::{
    self as rules, Action, EntryFacts, Mode, Participant, Status, UnitFacts,
};
use crate::domain::unit::{Activity, UnitId};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::schedules::{self as store, EntryRow, ScheduleRow, TransitionRow};

/// A unit exempted from a regular schedule, with the reason given at submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Exemption {
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// Why it takes no part this quarter.
    pub reason: String,
}

/// An entry of a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    /// Its id in this revision.
    pub id: String,
    /// The same in every revision (the iCalendar UID).
    pub uid: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The planned local date.
    pub planned_on: NaiveDate,
    /// Who takes part.
    pub participant: Participant,
    /// How the experience is arranged.
    pub mode: Mode,
    /// The matters to experience, from the unit's catalogue.
    pub matter_ids: Vec<String>,
    /// Where.
    pub place: Option<String>,
}

/// A step taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    /// The step.
    pub action: Action,
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// Why (required for `return`).
    pub reason: Option<String>,
    /// Who.
    pub actor_id: Option<String>,
    /// When (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A schedule revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    /// Its id.
    pub id: String,
    /// The activity.
    pub activity: Activity,
    /// The quarter, `2026-Q3`.
    pub quarter: String,
    /// The revision, from 1.
    pub revision: i32,
    /// Title.
    pub title: String,
    /// Internal notes (never public).
    pub notes: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// The steps possible now.
    pub allowed_actions: Vec<Action>,
    /// Units exempted at submission.
    pub exemptions: Vec<Exemption>,
    /// When published.
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Increases with each change (entries included); the `ETag`.
    pub version: i64,
    /// The entries the caller may read (a unit account: its own unit's).
    pub entries: Vec<Entry>,
    /// The workflow so far.
    pub transitions: Vec<Transition>,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable stored schedule {what}"))
}

fn entry_of(r: EntryRow) -> Result<Entry, AppError> {
    Ok(Entry {
        participant: serde_json::from_str(&r.participant).map_err(|_| bad("participant"))?,
        mode: r.mode.parse().map_err(|_| bad("mode"))?,
        matter_ids: serde_json::from_str(&r.matter_ids).map_err(|_| bad("matters"))?,
        id: r.id,
        uid: r.uid,
        unit_id: r.unit_id,
        planned_on: r.planned_on,
        place: r.place,
    })
}

fn schedule_of(
    r: ScheduleRow,
    entries: Vec<Entry>,
    transitions: Vec<TransitionRow>,
) -> Result<Schedule, AppError> {
    let status: Status = r.status.parse().map_err(|_| bad("status"))?;
    Ok(Schedule {
        activity: r.activity.parse().map_err(|_| bad("activity"))?,
        exemptions: serde_json::from_str(&r.exemptions).map_err(|_| bad("exemptions"))?,
        allowed_actions: rules::allowed(status),
        status,
        transitions: transitions
            .into_iter()
            .map(|t| {
                Ok(Transition {
                    action: t.action.parse().map_err(|_| bad("action"))?,
                    from: t.from_status.parse().map_err(|_| bad("status"))?,
                    to: t.to_status.parse().map_err(|_| bad("status"))?,
                    reason: t.reason,
                    actor_id: t.actor_id,
                    at: t.at.and_utc(),
                })
            })
            .collect::<Result<_, AppError>>()?,
        id: r.id,
        quarter: r.quarter,
        revision: r.revision,
        title: r.title,
        notes: r.notes,
        published_at: r.published_at.map(|t| t.and_utc()),
        created_at: r.created_at.and_utc(),
        updated_at: r.updated_at.and_utc(),
        version: r.version,
        entries,
    })
}

/// Loads a revision. With a unit `scope` (a unit account), only what concerns that unit: its
/// entries and exemption; no notes, no other units' exemptions, no reasons of the workflow.
fn load(conn: &mut AnyConnection, id: &str, scope: Option<&str>) -> Result<Schedule, AppError> {
    let row = store::get(conn, id)?.ok_or(AppError::NotFound {
        resource: "schedule",
        id: id.to_owned(),
    })?;
    let entries = store::entries(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .filter(|e| scope.is_none_or(|u| e.unit_id == u))
        .map(entry_of)
        .collect::<Result<Vec<_>, _>>()?;
    let transitions = store::transitions(conn, &row.id)?;
    let mut s = schedule_of(row, entries, transitions)?;
    if let Some(unit) = scope {
        scope_to_unit(&mut s, unit);
    }
    Ok(s)
}

/// Hides from a unit account what does not concern its unit.
fn scope_to_unit(s: &mut Schedule, unit: &str) {
    s.notes = None;
    s.exemptions.retain(|x| x.unit_id == unit);
    for t in &mut s.transitions {
        t.reason = None;
        t.actor_id = None;
    }
}

fn respond(status: actix_web::http::StatusCode, s: Schedule) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(s.version)))
        .json(s)
}

/// A new schedule (revision 1, a draft).
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"activity": "enforcement", "quarter": "2027-Q1", "title": "2027年第一季度“跟执法”活动计划"}))]
pub struct CreateSchedule {
    /// The activity (the caller must lead it).
    pub activity: Activity,
    /// The quarter, `2027-Q1`.
    pub quarter: String,
    /// Title, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub title: String,
    /// Internal notes, never public.
    #[validate(length(max = 2000))]
    pub notes: Option<String>,
}

fn quarter_of(raw: &str, field: &str) -> Result<Quarter, AppError> {
    raw.parse::<Quarter>()
        .map_err(|_| AppError::Validation(vec![crate::api::query::quarter_issue(field)]))
}

/// Starts the schedule of an activity's quarter (its lead). One per activity and quarter: later
/// changes go through revisions.
#[utoipa::path(
    tag = "schedules",
    operation_id = "create_schedule",
    request_body(content = CreateSchedule, content_type = "application/json"),
    responses((status = 201, description = "Revision 1, a draft", body = Schedule, headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "Its URL"))), BodyErrors, AuthErrors, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/schedules")]
pub async fn create_schedule(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    body: JsonBody<CreateSchedule>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner()?;
    policy::draft_schedule(&user, b.activity)?;
    let quarter = quarter_of(&b.quarter, "quarter")?;
    let title = title_of(&b.title)?;
    let actx = ctx.audit(Some(&user));
    let created_by = user.id.clone();
    let s = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = crate::store::now();
            let row = ScheduleRow {
                id: uuid::Uuid::now_v7().to_string(),
                activity: b.activity.as_str().into(),
                quarter: quarter.to_string(),
                revision: 1,
                title,
                notes: b.notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                status: Status::Draft.as_str().into(),
                exemptions: "[]".into(),
                published_at: None,
                created_by: Some(created_by.clone()),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            store::insert(conn, &row).map_err(|e| match e {
                AppError::Conflict { .. } => AppError::Conflict { constraint: "schedules_activity_quarter_revision_key".into() },
                e => e,
            })?;
            let changes = serde_json::json!({"activity": {"before": null, "after": row.activity}, "quarter": {"before": null, "after": row.quarter}, "title": {"before": null, "after": row.title}});
            audit::record(conn, &actx, AuditEntry { action: "schedule.create", target_type: Some("schedule"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            load(conn, &row.id, None)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/schedules/{}", s.id)))
        .insert_header((header::ETAG, etag(s.version)))
        .json(s))
}

/// A plan's title, trimmed; a blank one is refused.
fn title_of(raw: &str) -> Result<String, AppError> {
    let title = raw.trim().to_owned();
    if title.is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "title",
            "blank",
            "不能为空",
            "must not be blank",
        )]));
    }
    Ok(title)
}

/// Revision 1, given or not (the same record either way, for re-imports).
fn is_first_revision(r: &Option<i32>) -> bool {
    matches!(r, None | Some(1))
}

/// A plan published before the service was adopted (an import): a revision with its entries,
/// exemptions, and when it was submitted, reviewed, approved and published. A later revision
/// follows the quarter's latest one (imported before it, or earlier in the batch).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SFJ-2026-Q2", "activity": "enforcement", "quarter": "2026-Q2", "title": "2026年第二季度“跟执法”活动计划", "entries": [{"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "planned_on": "2026-04-15", "participant": {"kind": "head"}, "mode": "regular"}], "exemptions": [], "submitted_at": "2026-03-10T02:00:00Z", "reviewed_at": "2026-03-12T02:00:00Z", "approved_at": "2026-03-15T02:00:00Z", "published_at": "2026-03-16T02:00:00Z"}))]
pub struct ScheduleRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// The activity.
    pub activity: Activity,
    /// The quarter planned, like `2026-Q2`.
    pub quarter: String,
    /// The revision: 1 (default) for the quarter's first plan; a later one must follow the
    /// quarter's latest revision, published before this one was submitted. Its entries keep
    /// the identity (iCalendar UID) of the previous revision's entries of the same unit and
    /// mode.
    #[serde(default, skip_serializing_if = "is_first_revision")]
    pub revision: Option<i32>,
    /// The title.
    pub title: String,
    /// Internal notes.
    pub notes: Option<String>,
    /// Its entries, as `POST /api/v1/schedules/{id}/entries` takes them.
    pub entries: Vec<EntryInput>,
    /// The units exempted, with reasons.
    #[serde(default)]
    pub exemptions: Vec<Exemption>,
    /// When the lead submitted it.
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    /// When the coordinator reviewed it.
    pub reviewed_at: chrono::DateTime<chrono::Utc>,
    /// When a leader approved it.
    pub approved_at: chrono::DateTime<chrono::Utc>,
    /// When the lead published it.
    pub published_at: chrono::DateTime<chrono::Utc>,
}

/// Writes a past published plan (an import): its entries checked as the API checks them, the
/// submission check (every unit of the activity planned or exempted) applied, and each step of
/// its workflow recorded at its time. Problems name fields (`entries[2].planned_on`).
pub(crate) fn write_past(
    conn: &mut AnyConnection,
    actor: &str,
    r: &ScheduleRecord,
) -> Result<String, AppError> {
    let quarter = quarter_of(&r.quarter, "quarter")?;
    let title = title_of(&r.title)?;
    let steps = [
        ("submitted_at", r.submitted_at),
        ("reviewed_at", r.reviewed_at),
        ("approved_at", r.approved_at),
        ("published_at", r.published_at),
    ];
    let mut issues = Vec::new();
    for w in steps.windows(2) {
        if w[1].1 < w[0].1 {
            issues.push(FieldIssue::new(
                w[1].0,
                "out_of_order",
                format!("不能早于 {}", w[0].0),
                format!("must not be before {}", w[0].0),
            ));
        }
    }
    if r.published_at > chrono::Utc::now() {
        issues.push(FieldIssue::new(
            "published_at",
            "future",
            "不能晚于当前时间",
            "must not be in the future",
        ));
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let at = |t: chrono::DateTime<chrono::Utc>| t.naive_utc();
    let revision = r.revision.unwrap_or(1);
    let before = store::revisions(conn, r.activity.as_str(), &quarter.to_string())?;
    // The entries of the revision this one follows, whose identities carry over.
    let mut carried: Vec<EntryRow> = Vec::new();
    if revision != 1 || !before.is_empty() {
        let latest = before.last();
        let follows = latest.is_some_and(|l| {
            l.revision + 1 == revision
                && l.status == Status::Published.as_str()
                && l.published_at.is_some_and(|p| p <= at(r.submitted_at))
        });
        if !follows {
            let (zh, en) = match latest {
                Some(l) if revision == 1 => (
                    format!("该活动该季度已有计划（第 {} 版）：之后的版本须注明 revision", l.revision),
                    format!("this activity already has a plan for the quarter (revision {}): a later one names its revision", l.revision),
                ),
                None => (
                    "该活动该季度尚无计划：先导入第 1 版".to_owned(),
                    "the activity has no plan for the quarter yet: import revision 1 first".to_owned(),
                ),
                Some(l) => (
                    format!("须为第 {} 版，且在第 {} 版发布之后提交", l.revision + 1, l.revision),
                    format!("must be revision {}, submitted after revision {} was published", l.revision + 1, l.revision),
                ),
            };
            let field = if revision == 1 { "quarter" } else { "revision" };
            let code = if revision == 1 {
                "already_planned"
            } else {
                "not_next"
            };
            return Err(AppError::Validation(vec![FieldIssue::new(
                field, code, zh, en,
            )]));
        }
        if let Some(l) = latest {
            carried = store::entries(conn, std::slice::from_ref(&l.id))?;
        }
    }
    let mut row = ScheduleRow {
        id: uuid::Uuid::now_v7().to_string(),
        activity: r.activity.as_str().into(),
        quarter: quarter.to_string(),
        revision,
        title,
        notes: r
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        status: Status::Draft.as_str().into(),
        exemptions: "[]".into(),
        published_at: None,
        created_by: Some(actor.to_owned()),
        created_at: at(r.submitted_at),
        updated_at: at(r.published_at),
        version: 1,
    };
    store::insert(conn, &row).map_err(|e| match e {
        AppError::Conflict { .. } => AppError::Validation(vec![FieldIssue::new(
            "quarter",
            "already_planned",
            "该活动该季度已有计划",
            "this activity already has a plan for the quarter",
        )]),
        e => e,
    })?;
    for (j, input) in r.entries.iter().enumerate() {
        let prefix = |mut p: FieldIssue| {
            p.field = format!("entries[{j}].{}", p.field);
            p
        };
        let uid = match parse_id(&input.unit_id).map(|u| u.to_string()) {
            Ok(unit) => carried
                .iter()
                .position(|e| e.unit_id == unit && e.mode == input.mode.as_str())
                .map(|k| carried.remove(k).uid),
            Err(_) => None,
        };
        let entry = entry_row(
            input.clone(),
            uuid::Uuid::now_v7().to_string(),
            uid.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            &row.id,
        )
        .map_err(|e| match e {
            AppError::Validation(p) => AppError::Validation(p.into_iter().map(prefix).collect()),
            e => e,
        })?;
        unit_exists(conn, &entry.unit_id).map_err(|e| match e {
            AppError::Validation(p) => AppError::Validation(p.into_iter().map(prefix).collect()),
            e => e,
        })?;
        store::insert_entry(
            conn,
            &EntryRow {
                created_at: at(r.submitted_at),
                ..entry
            },
        )?;
    }
    submission_check(conn, &row, &r.exemptions)?;
    let canonical: Vec<Exemption> = r
        .exemptions
        .iter()
        .map(|x| Exemption {
            unit_id: parse_id(&x.unit_id)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            reason: x.reason.trim().to_owned(),
        })
        .collect();
    row.exemptions = serde_json::to_string(&canonical).unwrap_or_else(|_| "[]".into());
    row.status = Status::Published.as_str().into();
    row.published_at = Some(at(r.published_at));
    if !store::update(conn, &row, 1)? {
        return Err(AppError::Conflict {
            constraint: "schedule_moved".into(),
        });
    }
    let mut from = Status::Draft;
    for (action, to, t) in [
        (Action::Submit, Status::Submitted, r.submitted_at),
        (Action::Review, Status::Reviewed, r.reviewed_at),
        (Action::Approve, Status::Approved, r.approved_at),
        (Action::Publish, Status::Published, r.published_at),
    ] {
        store::insert_transition(
            conn,
            &TransitionRow {
                id: uuid::Uuid::now_v7().to_string(),
                schedule_id: row.id.clone(),
                action: action.as_str().into(),
                from_status: from.as_str().into(),
                to_status: to.as_str().into(),
                reason: None,
                actor_id: Some(actor.to_owned()),
                at: at(t),
            },
        )?;
        from = to;
    }
    Ok(row.id)
}

/// Query parameters of the schedule list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSchedulesParams {
    /// Only this activity.
    #[param(value_type = Option<Activity>)]
    pub activity: Option<String>,
    /// Only this quarter (`2026-Q3`).
    pub quarter: Option<String>,
    /// Only revisions in this state.
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    /// Only schedules with an entry for this unit.
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of schedule revisions (without their entries).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ScheduleList {
    /// Revisions, oldest first; `entries` and `transitions` are left empty here.
    pub items: Vec<Schedule>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists schedule revisions (every signed-in account).
#[utoipa::path(
    tag = "schedules",
    operation_id = "list_schedules",
    params(ListSchedulesParams),
    responses((status = 200, description = "One page of revisions", body = ScheduleList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/schedules")]
pub async fn list_schedules(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListSchedulesParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let activity = params.enumeration::<Activity>("activity", p.activity.as_deref());
    let status = params.enumeration::<Status>("status", p.status.as_deref());
    params.quarter("quarter", p.quarter.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    let asked = params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    policy::read_catalogue(&user)?;
    // A unit account lists only the schedules that concern its own unit.
    let scope = policy::schedule_entry_scope(&user).map(str::to_owned);
    let unit_id = match &scope {
        Some(own) if asked.as_deref().is_some_and(|u| u != own) => {
            return Err(AppError::Forbidden { code: "unit" })
        }
        Some(own) => Some(own.clone()),
        None => asked,
    };
    let filter = store::ScheduleFilter {
        activity: activity.map(|a| a.as_str().to_owned()),
        quarter: p.quarter,
        status: status.map(|s| s.as_str().to_owned()),
        unit_id,
    };
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(conn, &filter, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| {
            let mut s = schedule_of(r, Vec::new(), Vec::new())?;
            if let Some(unit) = &scope {
                scope_to_unit(&mut s, unit);
            }
            Ok(s)
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(HttpResponse::Ok().json(ScheduleList { items, next_cursor }))
}

/// Reads a revision with its entries (a unit account: only its own unit's) and its history.
#[utoipa::path(
    tag = "schedules",
    operation_id = "get_schedule",
    params(("id" = String, Path, format = Uuid, description = "The revision's id")),
    responses((status = 200, description = "The revision", body = Schedule, headers(("ETag" = String, description = "Its version"))), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/schedules/{id}")]
pub async fn get_schedule(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let scope = policy::schedule_entry_scope(&user).map(str::to_owned);
    let s = crate::db::run(&pool, move |conn| load(conn, &id, scope.as_deref())).await?;
    Ok(respond(actix_web::http::StatusCode::OK, s))
}

/// The entries of a revision the caller may read.
#[utoipa::path(
    tag = "schedules",
    operation_id = "list_schedule_entries",
    params(("id" = String, Path, format = Uuid, description = "The revision's id")),
    responses((status = 200, description = "The entries (a unit account: its own unit's)", body = Vec<Entry>), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/schedules/{id}/entries")]
pub async fn list_schedule_entries(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let scope = policy::schedule_entry_scope(&user).map(str::to_owned);
    let s = crate::db::run(&pool, move |conn| load(conn, &id, scope.as_deref())).await?;
    Ok(HttpResponse::Ok().json(s.entries))
}

/// Changes to a draft's title or notes.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSchedule {
    /// New title.
    #[validate(length(min = 1, max = 200))]
    pub title: Option<String>,
    /// New notes (`null` clears them).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

/// Runs `f` on a draft revision the caller leads, after checking `If-Match`, bumps its version
/// and records `action` in the audit log, all in one transaction; the revision after.
fn edit_draft(
    conn: &mut AnyConnection,
    user: &AuthUser,
    ctx: &RequestCtx,
    id: &str,
    action: &str,
    f: impl FnOnce(&mut AnyConnection, &mut ScheduleRow) -> Result<serde_json::Value, AppError>,
) -> Result<Schedule, AppError> {
    let actx = ctx.audit(Some(user));
    write_transaction(conn, |conn| {
        let mut row = store::get(conn, id)?.ok_or(AppError::NotFound {
            resource: "schedule",
            id: id.to_owned(),
        })?;
        let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
        policy::draft_schedule(user, activity)?;
        let version = ctx.expect_version(row.version)?;
        if row.status != Status::Draft.as_str() {
            return Err(AppError::Conflict {
                constraint: "schedule_not_draft".into(),
            });
        }
        let changes = f(conn, &mut row)?;
        if !store::update(conn, &row, version)? {
            return Err(AppError::PreconditionFailed {
                current: etag(version + 1),
            });
        }
        audit::record(
            conn,
            &actx,
            AuditEntry {
                action,
                target_type: Some("schedule"),
                target_id: Some(id),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
        load(conn, id, None)
    })
}

/// Changes a draft's title or notes (its lead; `If-Match`).
#[utoipa::path(
    tag = "schedules",
    operation_id = "update_schedule",
    params(("id" = String, Path, format = Uuid, description = "The revision's id"), ("If-Match" = String, Header, description = "The `ETag` read")),
    request_body(content = UpdateSchedule, content_type = "application/json"),
    responses((status = 200, description = "The draft", body = Schedule), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/schedules/{id}")]
pub async fn update_schedule(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<UpdateSchedule>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    // The body is read after the role check in edit_draft.
    let b = body.into_inner();
    let s = crate::db::run(&pool, move |conn| {
        edit_draft(conn, &user, &ctx, &id, "schedule.update", |_, row| {
            let b = b?;
            let before = serde_json::json!({"title": row.title, "notes": row.notes});
            if let Some(t) = b.title {
                row.title = t.trim().to_owned();
                if row.title.is_empty() {
                    return Err(AppError::Validation(vec![FieldIssue::new(
                        "title",
                        "blank",
                        "不能为空",
                        "must not be blank",
                    )]));
                }
            }
            if let Some(n) = b.notes {
                row.notes = n.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            }
            Ok(crate::domain::audit::diff(
                &before,
                &serde_json::json!({"title": row.title, "notes": row.notes}),
            ))
        })
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::OK, s))
}

/// An entry to add, or the new state of one.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "planned_on": "2027-01-15", "participant": {"kind": "head"}, "mode": "regular", "matter_ids": [], "place": "碑林区政务服务中心"}))]
pub struct EntryInput {
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The planned local date (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub planned_on: String,
    /// Who takes part.
    pub participant: Participant,
    /// How the experience is arranged.
    pub mode: Mode,
    /// Matters to experience, from the unit's catalogue.
    #[serde(default)]
    #[validate(length(max = 50))]
    pub matter_ids: Vec<String>,
    /// Where, up to 200 characters.
    #[validate(length(max = 200))]
    pub place: Option<String>,
}

fn entry_row(
    input: EntryInput,
    id: String,
    uid: String,
    schedule_id: &str,
) -> Result<EntryRow, AppError> {
    let mut issues = Vec::new();
    // Ids are stored in their canonical form, whatever form the client wrote.
    let unit_id = parse_id(&input.unit_id)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| {
            issues.push(FieldIssue::new(
                "unit_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            ));
            String::new()
        });
    let planned_on = parse_date(&input.planned_on);
    if planned_on.is_none() {
        issues.push(FieldIssue::new(
            "planned_on",
            "invalid_date",
            "须为 YYYY-MM-DD",
            "a date YYYY-MM-DD",
        ));
    }
    let mut matter_ids = Vec::with_capacity(input.matter_ids.len());
    for (i, m) in input.matter_ids.iter().enumerate() {
        match parse_id(m) {
            Ok(id) => matter_ids.push(id.to_string()),
            Err(_) => issues.push(FieldIssue::new(
                format!("matter_ids[{i}]"),
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )),
        }
    }
    let participant = match input.participant {
        Participant::Deputy { name } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 50 {
                issues.push(FieldIssue::new(
                    "participant.name",
                    "length",
                    "姓名须为 1 到 50 个字符",
                    "a name of 1 to 50 characters",
                ));
            }
            Participant::Deputy { name }
        }
        head => head,
    };
    let Some(planned_on) = planned_on.filter(|_| issues.is_empty()) else {
        return Err(AppError::Validation(issues));
    };
    Ok(EntryRow {
        id,
        schedule_id: schedule_id.to_owned(),
        uid,
        unit_id,
        planned_on,
        participant: serde_json::to_string(&participant).unwrap_or_default(),
        mode: input.mode.as_str().into(),
        matter_ids: serde_json::to_string(&matter_ids).unwrap_or_default(),
        place: input
            .place
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
        created_at: crate::store::now(),
    })
}

/// The entry `entry_id` of revision `id`, or 404.
fn draft_entry(conn: &mut AnyConnection, id: &str, entry_id: &str) -> Result<EntryRow, AppError> {
    store::entries(conn, &[id.to_owned()])?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or_else(|| AppError::NotFound {
            resource: "entry",
            id: entry_id.to_owned(),
        })
}

fn unit_exists(conn: &mut AnyConnection, unit_id: &str) -> Result<(), AppError> {
    let id = parse_id(unit_id)?;
    match crate::store::units::get(conn, UnitId(id))? {
        Some(_) => Ok(()),
        None => Err(AppError::Validation(vec![FieldIssue::new(
            "unit_id",
            "unknown_unit",
            "没有该单位",
            "no such unit",
        )])),
    }
}

/// Adds an entry to a draft (its lead; `If-Match` with the schedule's `ETag`).
#[utoipa::path(
    tag = "schedules",
    operation_id = "create_schedule_entry",
    params(("id" = String, Path, format = Uuid, description = "The revision's id"), ("If-Match" = String, Header, description = "The schedule's `ETag`")),
    request_body(content = EntryInput, content_type = "application/json"),
    responses((status = 201, description = "The draft with the new entry", body = Schedule, headers(("ETag" = String, description = "The schedule's new version"))), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/schedules/{id}/entries")]
pub async fn create_schedule_entry(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<EntryInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    // The body is read after the role check in edit_draft.
    let input = body.into_inner();
    let s = crate::db::run(&pool, move |conn| {
        edit_draft(
            conn,
            &user,
            &ctx,
            &id,
            "schedule.entry_create",
            |conn, _| {
                let row = entry_row(
                    input?,
                    uuid::Uuid::now_v7().to_string(),
                    uuid::Uuid::now_v7().to_string(),
                    &id,
                )?;
                unit_exists(conn, &row.unit_id)?;
                store::insert_entry(conn, &row)?;
                Ok(serde_json::json!({"entry": {"before": null, "after": row.uid}}))
            },
        )
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::CREATED, s))
}

/// Replaces an entry of a draft (its lead; `If-Match` with the schedule's `ETag`).
#[utoipa::path(
    tag = "schedules",
    operation_id = "update_schedule_entry",
    params(("id" = String, Path, format = Uuid, description = "The revision's id"), ("entry_id" = String, Path, format = Uuid, description = "The entry's id"), ("If-Match" = String, Header, description = "The schedule's `ETag`")),
    request_body(content = EntryInput, content_type = "application/json"),
    responses((status = 200, description = "The draft", body = Schedule), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/schedules/{id}/entries/{entry_id}")]
pub async fn update_schedule_entry(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
    body: JsonBody<EntryInput>,
) -> Result<HttpResponse, AppError> {
    let (id, entry_id) = path.into_inner();
    let (id, entry_id) = (parse_id(&id)?.to_string(), parse_id(&entry_id)?.to_string());
    // The body is read after the role check in edit_draft.
    let input = body.into_inner();
    let s = crate::db::run(&pool, move |conn| {
        edit_draft(
            conn,
            &user,
            &ctx,
            &id,
            "schedule.entry_update",
            |conn, _| {
                let current = draft_entry(conn, &id, &entry_id)?;
                let row = entry_row(input?, current.id.clone(), current.uid.clone(), &id)?;
                unit_exists(conn, &row.unit_id)?;
                store::replace_entry(conn, &row)?;
                Ok(crate::domain::audit::diff(
                    &serde_json::to_value(entry_of(current)?).unwrap_or_default(),
                    &serde_json::to_value(entry_of(row)?).unwrap_or_default(),
                ))
            },
        )
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::OK, s))
}

/// Removes an entry from a draft (its lead; `If-Match` with the schedule's `ETag`).
#[utoipa::path(
    tag = "schedules",
    operation_id = "delete_schedule_entry",
    params(("id" = String, Path, format = Uuid, description = "The revision's id"), ("entry_id" = String, Path, format = Uuid, description = "The entry's id"), ("If-Match" = String, Header, description = "The schedule's `ETag`")),
    responses((status = 200, description = "The draft without the entry", body = Schedule), ParameterErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[delete("/schedules/{id}/entries/{entry_id}")]
pub async fn delete_schedule_entry(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, entry_id) = path.into_inner();
    let (id, entry_id) = (parse_id(&id)?.to_string(), parse_id(&entry_id)?.to_string());
    let s = crate::db::run(&pool, move |conn| {
        edit_draft(
            conn,
            &user,
            &ctx,
            &id,
            "schedule.entry_delete",
            |conn, _| {
                let current = draft_entry(conn, &id, &entry_id)?;
                store::delete_entry(conn, &current.id)?;
                Ok(serde_json::json!({"entry": {"before": current.uid, "after": null}}))
            },
        )
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::OK, s))
}

/// A step of the workflow.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "return", "reason": "缺少张家村街道办事处"}))]
pub struct TransitionRequest {
    /// The step.
    pub action: Action,
    /// Why; required to `return`, up to 1000 characters.
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
    /// With `submit`: units that need not take part this quarter, each with a reason.
    #[serde(default)]
    pub exemptions: Vec<Exemption>,
}

fn submission_check(
    conn: &mut AnyConnection,
    row: &ScheduleRow,
    exemptions: &[Exemption],
) -> Result<(), AppError> {
    let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
    let quarter: Quarter = row.quarter.parse().map_err(|_| bad("quarter"))?;
    let entries: Vec<EntryFacts> = store::entries(conn, std::slice::from_ref(&row.id))?
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let e = entry_of(r)?;
            Ok(EntryFacts {
                index,
                unit_id: e.unit_id,
                planned_on: e.planned_on,
                participant: e.participant,
                mode: e.mode,
                matter_ids: e.matter_ids,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let all_units = crate::store::units::list(conn, &Default::default(), None, 100_000)?.items;
    // The quarter's frozen complaint_concentrated list (H1) adds to the units' categories.
    let concentrated = crate::store::hotline::concentrated(
        conn,
        &[quarter.to_string()],
        crate::store::now() + chrono::Duration::seconds(1),
    )?
    .remove(&quarter.to_string())
    .unwrap_or_default();
    let units: HashMap<String, UnitFacts> = all_units
        .into_iter()
        .map(|u| {
            let mut categories = u.categories;
            if concentrated.contains(&u.id.to_string()) {
                categories.push(crate::domain::unit::Category::ComplaintConcentrated);
                categories = crate::domain::unit::normalize_categories(categories);
            }
            (
                u.id.to_string(),
                UnitFacts {
                    name: u.name,
                    active: u.active,
                    categories,
                    delegation_allowed: u.delegation_allowed,
                    deputies: u.deputies,
                },
            )
        })
        .collect();
    let named: Vec<String> = entries
        .iter()
        .flat_map(|e| e.matter_ids.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let matter_units: HashMap<String, String> = crate::store::matters::by_ids(conn, &named)?
        .into_iter()
        .map(|(id, (unit, _))| (id, unit))
        .collect();
    let mut issues: Vec<FieldIssue> = Vec::new();
    let mut exempted: BTreeSet<String> = BTreeSet::new();
    for (i, x) in exemptions.iter().enumerate() {
        let reason = x.reason.trim().chars().count();
        if reason == 0 || reason > 500 {
            issues.push(FieldIssue::new(
                format!("exemptions[{i}].reason"),
                "length",
                "须说明理由，不超过 500 个字符",
                "a reason of 1 to 500 characters",
            ));
        }
        match parse_id(&x.unit_id).map(|u| u.to_string()) {
            Ok(id) if units.contains_key(&id) => {
                if !exempted.insert(id) {
                    issues.push(FieldIssue::new(
                        format!("exemptions[{i}].unit_id"),
                        "duplicate",
                        "重复",
                        "listed twice",
                    ));
                }
            }
            _ => issues.push(FieldIssue::new(
                format!("exemptions[{i}].unit_id"),
                "unknown_unit",
                "没有该单位",
                "no such unit",
            )),
        }
    }
    issues.extend(rules::submission_problems(
        activity,
        quarter,
        &entries,
        &units,
        &matter_units,
        &exempted,
    ));
    if issues.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(issues))
    }
}

/// Takes a step of the workflow: `submit` (the lead; runs the submission check), `review`
/// (the coordinator), `approve` (a leader), `publish` (the lead), `return` to draft with a
/// reason (whoever acts next). An illegal step is 409 naming the allowed ones.
#[utoipa::path(
    tag = "schedules",
    operation_id = "create_schedule_transition",
    params(
        ("id" = String, Path, format = Uuid, description = "The revision's id"),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` the step was decided on; 412 when the revision changed since"),
    ),
    request_body(content = TransitionRequest, content_type = "application/json"),
    responses((status = 200, description = "The revision after the step", body = Schedule), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/schedules/{id}/transitions")]
pub async fn create_schedule_transition(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<TransitionRequest>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner()?;
    let reason = b
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if b.action == Action::Return && reason.is_none() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "reason",
            "required",
            "退回须说明理由",
            "a return needs a reason",
        )]));
    }
    if b.action != Action::Submit && !b.exemptions.is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "exemptions",
            "not_allowed",
            "只有提交时可说明免于参加的单位",
            "exemptions go with submit only",
        )]));
    }
    let actx = ctx.audit(Some(&user));
    let s = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let mut row = store::get(conn, &id)?.ok_or(AppError::NotFound { resource: "schedule", id: id.clone() })?;
            let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
            let from: Status = row.status.parse().map_err(|_| bad("status"))?;
            // Only those who take part in this activity's workflow learn anything of its state.
            let involved = matches!(user.role, crate::domain::account::Role::Coordinator | crate::domain::account::Role::Leader)
                || (user.role == crate::domain::account::Role::Lead && user.lead_activity == Some(activity));
            if !involved {
                return Err(AppError::Forbidden { code: "role" });
            }
            // A step may name the version it was decided on: a leader approving what they read.
            if ctx.if_match.is_some() {
                ctx.expect_version(row.version)?;
            }
            if !rules::may_act(user.role, user.lead_activity, activity, from, b.action) && rules::transition(from, b.action).is_ok() {
                return Err(AppError::Forbidden { code: "role" });
            }
            let to = rules::transition(from, b.action).map_err(|allowed| {
                AppError::IllegalTransition {
                    from: from.as_str().into(),
                    action: b.action.as_str().into(),
                    allowed: allowed.iter().map(|a| a.as_str().to_owned()).collect(),
                }
            })?;
            if !rules::may_act(user.role, user.lead_activity, activity, from, b.action) {
                return Err(AppError::Forbidden { code: "role" });
            }
            if b.action == Action::Submit {
                submission_check(conn, &row, &b.exemptions)?;
                let canonical: Vec<Exemption> = b
                    .exemptions
                    .iter()
                    .map(|x| Exemption { unit_id: parse_id(&x.unit_id).map(|u| u.to_string()).unwrap_or_default(), reason: x.reason.trim().to_owned() })
                    .collect();
                row.exemptions = serde_json::to_string(&canonical).unwrap_or_else(|_| "[]".into());
            }
            let now = crate::store::now();
            if to == Status::Published {
                row.published_at = Some(now);
            }
            row.status = to.as_str().into();
            let version = row.version;
            if !store::update(conn, &row, version)? {
                // Someone else moved the schedule at the same moment.
                return Err(AppError::Conflict { constraint: "schedule_moved".into() });
            }
            store::insert_transition(conn, &TransitionRow {
                id: uuid::Uuid::now_v7().to_string(),
                schedule_id: row.id.clone(),
                action: b.action.as_str().into(),
                from_status: from.as_str().into(),
                to_status: to.as_str().into(),
                reason: reason.clone(),
                actor_id: Some(user.id.clone()),
                at: now,
            })?;
            let changes = serde_json::json!({"status": {"before": from, "after": to}, "reason": {"before": null, "after": reason}});
            audit::record(conn, &actx, AuditEntry { action: "schedule.transition", target_type: Some("schedule"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            if to == Status::Published {
                crate::store::webhooks::emit(conn, crate::domain::webhook::EventType::SchedulePublished, serde_json::json!({"schedule_id": row.id, "activity": row.activity, "quarter": row.quarter, "revision": row.revision, "title": row.title, "public_url": format!("/api/v1/public/schedules/{}", row.id)}))?;
            }
            load(conn, &row.id, None)
        })
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::OK, s))
}

/// Starts a new revision of a published schedule (its lead): a draft copying the entries, which
/// keep their UIDs. The public keeps seeing the published revision until this one is published.
#[utoipa::path(
    tag = "schedules",
    operation_id = "create_schedule_revision",
    params(("id" = String, Path, format = Uuid, description = "The latest published revision's id")),
    responses((status = 201, description = "The new draft revision", body = Schedule), ParameterErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/schedules/{id}/revisions")]
pub async fn create_schedule_revision(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let actx = ctx.audit(Some(&user));
    let s = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let source = store::get(conn, &id)?.ok_or(AppError::NotFound {
                resource: "schedule",
                id: id.clone(),
            })?;
            let activity: Activity = source.activity.parse().map_err(|_| bad("activity"))?;
            policy::draft_schedule(&user, activity)?;
            let all = store::revisions(conn, &source.activity, &source.quarter)?;
            let latest = all.last().map(|r| r.revision).unwrap_or(source.revision);
            if source.status != Status::Published.as_str() || source.revision != latest {
                return Err(AppError::Conflict {
                    constraint: "revision_source".into(),
                });
            }
            let now = crate::store::now();
            let row = ScheduleRow {
                id: uuid::Uuid::now_v7().to_string(),
                revision: source.revision + 1,
                status: Status::Draft.as_str().into(),
                exemptions: "[]".into(),
                published_at: None,
                created_by: Some(user.id.clone()),
                created_at: now,
                updated_at: now,
                version: 1,
                ..source.clone()
            };
            store::insert(conn, &row)?;
            for e in store::entries(conn, std::slice::from_ref(&source.id))? {
                store::insert_entry(
                    conn,
                    &EntryRow {
                        id: uuid::Uuid::now_v7().to_string(),
                        schedule_id: row.id.clone(),
                        created_at: now,
                        ..e
                    },
                )?;
            }
            let changes =
                serde_json::json!({"revision": {"before": source.revision, "after": row.revision}});
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "schedule.revise",
                    target_type: Some("schedule"),
                    target_id: Some(&row.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            load(conn, &row.id, None)
        })
    })
    .await?;
    Ok(respond(actix_web::http::StatusCode::CREATED, s))
}
