//! The issue ledger (问题台账, 挂账销号): issues opened from findings or by hand, their
//! lifecycle (plan, extend, resolve, close, re-check), their history, the Annex 2 lists in Excel
//! and CSV, and the quarter's list submissions (R9).

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
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
use crate::domain::calendar::{local_date, Quarter};
use crate::domain::ledger::{
    self as rules, Actor, IssueAction, IssueKind, IssueSource, IssueStatus, RecheckRule,
};
use crate::domain::unit::Activity;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::issues::{self as store, IssueEventRow, IssueListRow, IssueRow};

/// A ledger issue, with the Annex 2 columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Issue {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// 序号: per unit, from 1, never changes, no gaps.
    pub seq: i32,
    /// Where it came from.
    pub source: IssueSource,
    /// Why it was entered by hand.
    pub source_reason: Option<String>,
    /// Source participation.
    pub participation_id: Option<String>,
    /// Source segment type.
    pub segment_type: Option<String>,
    /// The activity (its lead reviews the issue).
    pub activity: Option<Activity>,
    /// Local date found.
    pub found_on: NaiveDate,
    /// Problem or demand.
    pub kind: IssueKind,
    /// 参与活动地点.
    pub place: Option<String>,
    /// 体验内容.
    pub content: Option<String>,
    /// 体验方式.
    pub method: Option<String>,
    /// 发现问题 or 反映的需求.
    pub description: String,
    /// 拟采取的解决措施.
    pub measures: Option<String>,
    /// 立行立改.
    pub immediate: bool,
    /// 完成时限.
    pub deadline: Option<NaiveDate>,
    /// 整改效果.
    pub effect: Option<String>,
    /// 备注.
    pub remarks: Option<String>,
    /// The person of the unit who owns it.
    pub owner: Option<String>,
    /// Status.
    pub status: IssueStatus,
    /// Past its deadline and not resolved (computed on each read, Asia/Shanghai, R10).
    pub overdue: bool,
    /// For a closed issue: the last day of its re-check window (R11).
    pub recheck_due_on: Option<NaiveDate>,
    /// The steps allowed now.
    pub allowed_actions: Vec<IssueAction>,
    /// When the unit last reported it resolved (UTC).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was last closed (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// Version: the `ETag`.
    pub version: i64,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable issue {what}"))
}

fn today() -> NaiveDate {
    local_date(Utc::now())
}

/// The issue as the API shows it, with what is computed from today's date.
pub fn issue_of(r: IssueRow, recheck: &RecheckRule) -> Result<Issue, AppError> {
    let status: IssueStatus = r.status.parse().map_err(|_| bad("status"))?;
    let closed_on = r.closed_at.map(|c| local_date(crate::store::utc(c)));
    Ok(Issue {
        source: r.source.parse().map_err(|_| bad("source"))?,
        activity: r
            .activity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| bad("activity"))?,
        kind: r.kind.parse().map_err(|_| bad("kind"))?,
        overdue: rules::overdue(status, r.deadline, today()),
        recheck_due_on: closed_on
            .filter(|_| status == IssueStatus::Closed)
            .map(|c| recheck.due_on(c)),
        allowed_actions: rules::allowed(status, r.immediate),
        resolved_at: r.resolved_at.map(crate::store::utc),
        closed_at: r.closed_at.map(crate::store::utc),
        created_at: crate::store::utc(r.created_at),
        updated_at: crate::store::utc(r.updated_at),
        status,
        id: r.id,
        unit_id: r.unit_id,
        seq: r.seq,
        source_reason: r.source_reason,
        participation_id: r.participation_id,
        segment_type: r.segment_type,
        found_on: r.found_on,
        place: r.place,
        content: r.content,
        method: r.method,
        description: r.description,
        measures: r.measures,
        immediate: r.immediate,
        deadline: r.deadline,
        effect: r.effect,
        remarks: r.remarks,
        owner: r.owner,
        version: r.version,
    })
}

/// The re-check window's rule, with the working calendar when it counts working days.
pub fn recheck_rule_on(conn: &mut AnyConnection, config: &Config) -> Result<RecheckRule, AppError> {
    let (days, count) = (config.recheck_days, config.day_count("recheck"));
    if count == crate::domain::calendar::DayCount::Calendar {
        return Ok(RecheckRule::calendar_days(days));
    }
    Ok(RecheckRule {
        days,
        count,
        calendar: crate::store::reports::calendar_for(conn, count)?,
    })
}

/// The re-check rule in force (R11), read from the pool.
pub async fn recheck_rule(pool: &DbPool, config: &Config) -> Result<RecheckRule, AppError> {
    let (days, count) = (config.recheck_days, config.day_count("recheck"));
    if count == crate::domain::calendar::DayCount::Calendar {
        return Ok(RecheckRule::calendar_days(days));
    }
    let calendar = crate::db::run(pool, move |conn| {
        crate::store::reports::calendar_for(conn, count)
    })
    .await?;
    Ok(RecheckRule {
        days,
        count,
        calendar,
    })
}

fn respond(status: StatusCode, i: &Issue) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(i.version)))
        .json(i)
}

fn activity_of(r: &IssueRow) -> Result<Option<Activity>, AppError> {
    r.activity
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| bad("activity"))
}

fn get_row(conn: &mut AnyConnection, id: &str) -> Result<IssueRow, AppError> {
    store::get(conn, id)?.ok_or(AppError::NotFound {
        resource: "issue",
        id: id.to_owned(),
    })
}

/// Trims an optional text; blank is none.
fn text(v: Option<String>) -> Option<String> {
    v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// What the audit log and the history keep of an issue.
fn view(r: &IssueRow) -> serde_json::Value {
    serde_json::json!({
        "kind": r.kind, "place": r.place, "content": r.content, "method": r.method,
        "description": r.description, "measures": r.measures, "deadline": r.deadline,
        "effect": r.effect, "remarks": r.remarks, "owner": r.owner, "status": r.status,
    })
}

/// An issue to enter by hand.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "activity": "window", "kind": "demand", "description": "企业希望增设午间延时服务", "source_reason": "窗口意见簿收集", "place": "区政务服务中心"}))]
pub struct CreateIssue {
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The activity it belongs to (its lead reviews it); without one, the coordinator does.
    pub activity: Option<Activity>,
    /// Problem or demand.
    pub kind: IssueKind,
    /// The problem or demand, 1–1000 characters.
    #[validate(length(min = 1, max = 1000))]
    pub description: String,
    /// Why it is entered by hand (not from a participation), 1–500 characters.
    #[validate(length(min = 1, max = 500))]
    pub source_reason: String,
    /// 参与活动地点, up to 200 characters.
    #[validate(length(max = 200))]
    pub place: Option<String>,
    /// 体验内容, up to 500 characters.
    #[validate(length(max = 500))]
    pub content: Option<String>,
    /// 体验方式, up to 200 characters.
    #[validate(length(max = 200))]
    pub method: Option<String>,
    /// 拟采取的解决措施, up to 1000 characters.
    #[validate(length(max = 1000))]
    pub measures: Option<String>,
    /// 立行立改.
    #[serde(default)]
    pub immediate: bool,
    /// The owner, a person of the unit, up to 100 characters.
    #[validate(length(max = 100))]
    pub owner: Option<String>,
    /// 备注, up to 1000 characters.
    #[validate(length(max = 1000))]
    pub remarks: Option<String>,
    /// The local date found (default today; not in the future).
    #[schema(value_type = Option<String>, format = Date)]
    pub found_on: Option<String>,
}

/// Opens an issue by hand (the unit's own accounts, the activity's lead, the coordinator).
#[utoipa::path(
    tag = "issues",
    operation_id = "create_issue",
    request_body(content = CreateIssue, content_type = "application/json"),
    responses((status = 201, description = "On the ledger", body = Issue), BodyErrors, AuthErrors, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/issues")]
pub async fn create_issue(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateIssue>,
) -> Result<HttpResponse, AppError> {
    // The body names the unit and activity whose right is checked.
    let b = body.into_inner()?;
    let unit_id = parse_id(&b.unit_id)
        .map_err(|_| {
            AppError::Validation(vec![FieldIssue::new(
                "unit_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )])
        })?
        .to_string();
    policy::open_issue(&user, &unit_id, b.activity)?;
    let found_on = match b.found_on.as_deref() {
        None => today(),
        Some(raw) => parse_date(raw).filter(|d| *d <= today()).ok_or_else(|| {
            AppError::Validation(vec![FieldIssue::new(
                "found_on",
                "invalid_date",
                "须为不晚于今天的日期 YYYY-MM-DD",
                "a date YYYY-MM-DD, not in the future",
            )])
        })?,
    };
    let description = b.description.trim().to_owned();
    let reason = b.source_reason.trim().to_owned();
    if description.is_empty() || reason.is_empty() {
        let field = if description.is_empty() {
            "description"
        } else {
            "source_reason"
        };
        return Err(AppError::Validation(vec![FieldIssue::new(
            field,
            "blank",
            "不能为空",
            "must not be blank",
        )]));
    }
    let recheck = recheck_rule(&pool, &config).await?;
    let actx = ctx.audit(Some(&user));
    let issue = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let unit =
                crate::store::units::get(conn, crate::domain::unit::UnitId(parse_id(&unit_id)?))?;
            if !unit.is_some_and(|u| u.active) {
                return Err(AppError::Validation(vec![FieldIssue::new(
                    "unit_id",
                    "unknown_unit",
                    "没有该单位或已停用",
                    "no such active unit",
                )]));
            }
            let now = crate::store::now();
            let row = IssueRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: unit_id.clone(),
                seq: 0,
                source: IssueSource::Manual.as_str().into(),
                source_reason: Some(reason.clone()),
                participation_id: None,
                segment_type: None,
                finding_id: None,
                activity: b.activity.map(|a| a.as_str().into()),
                found_on,
                kind: b.kind.as_str().into(),
                place: text(b.place),
                content: text(b.content),
                method: text(b.method),
                description,
                measures: text(b.measures),
                immediate: b.immediate,
                deadline: None,
                effect: None,
                remarks: text(b.remarks),
                owner: text(b.owner),
                status: IssueStatus::Open.as_str().into(),
                resolved_at: None,
                closed_at: None,
                created_by: Some(user.id.clone()),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let row = store::open(conn, row, Some(reason))?;
            let changes = crate::domain::audit::diff(&serde_json::Value::Null, &view(&row));
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "issue.create",
                    target_type: Some("issue"),
                    target_id: Some(&row.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            issue_of(row, &recheck)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/issues/{}", issue.id)))
        .insert_header((header::ETAG, etag(issue.version)))
        .json(issue))
}

/// Query parameters of the issue list and export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListIssuesParams {
    /// Only this unit's (a unit account sees only its own).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// `problem` or `demand`.
    pub kind: Option<String>,
    /// `open`, `rectifying`, `resolved`, `closed`, `passed` or `withdrawn`.
    pub status: Option<String>,
    /// `window`, `enforcement` or `complaint`.
    pub activity: Option<String>,
    /// Found in this quarter, like `2026-Q3`.
    pub quarter: Option<String>,
    /// `true`: past the deadline and not resolved (today in Asia/Shanghai); `false`: not.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// Deadline before this local date.
    #[param(value_type = Option<String>, format = Date)]
    pub due_before: Option<String>,
    /// `participation`, `manual` or `compliance`.
    pub source: Option<String>,
    /// Text to find in the problem or demand and the measures.
    pub q: Option<String>,
    /// `true`: closed issues whose re-check window is open.
    #[param(value_type = Option<bool>)]
    pub recheck_due: Option<String>,
    /// Export only: `xlsx` (default) or `csv`.
    pub format: Option<String>,
    /// Page size, 1–200 (default 50; not for the export).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page (not for the export).
    pub cursor: Option<String>,
}

/// One page of issues.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct IssueList {
    /// Issues, oldest first.
    pub items: Vec<Issue>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Parses the filters shared by the list and the export, and the caller's scope.
pub fn filter_of(
    user: &AuthUser,
    p: &ListIssuesParams,
    params: &mut Params,
    rule: &RecheckRule,
) -> Result<store::Filter, AppError> {
    let kind = params.enumeration::<IssueKind>("kind", p.kind.as_deref());
    let status = params.enumeration::<IssueStatus>("status", p.status.as_deref());
    let activity = params.enumeration::<Activity>("activity", p.activity.as_deref());
    let source = params.enumeration::<IssueSource>("source", p.source.as_deref());
    let quarter = params.quarter("quarter", p.quarter.as_deref());
    let unit_id = params.uuid("unit_id", p.unit_id.as_deref());
    let overdue = params.boolean("overdue", p.overdue.as_deref());
    let recheck = params.boolean("recheck_due", p.recheck_due.as_deref());
    if recheck == Some(false) {
        params.refuse(FieldIssue::new(
            "recheck_due",
            "invalid_value",
            "只能为 true（列出回头看期内的已销号问题）",
            "only true (closed issues whose re-check window is open)",
        ));
    }
    let due_before = p.due_before.as_deref().and_then(|raw| {
        let d = parse_date(raw);
        if d.is_none() {
            params.refuse(FieldIssue::new(
                "due_before",
                "invalid_date",
                "须为 YYYY-MM-DD",
                "a date YYYY-MM-DD",
            ));
        }
        d
    });
    let q = p.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        params.refuse(FieldIssue::new(
            "q",
            "length",
            "不超过 100 个字符",
            "at most 100 characters",
        ));
    }
    let scope = policy::participation_scope(user);
    let unit_id = match (&scope, unit_id) {
        (Some((None, own)), Some(asked)) if own.as_ref() != Some(&asked) => {
            return Err(AppError::Forbidden { code: "unit" })
        }
        // A unit account's lists are its unit's (and say so in the export's heading).
        (Some((None, own)), None) => own.clone(),
        (_, asked) => asked,
    };
    let today = today();
    Ok(store::Filter {
        unit_id,
        kind: kind.map(|k| k.as_str().to_owned()),
        status: status.map(|s| s.as_str().to_owned()),
        activity: activity.map(|a| a.as_str().to_owned()),
        from: quarter.map(Quarter::first_day),
        to: quarter.map(Quarter::last_day),
        overdue: overdue.map(|o| (today, o)),
        due_before,
        source: source.map(|s| s.as_str().to_owned()),
        q: q.map(crate::store::like_pattern),
        // Closed on or after the local day the window starts: its midnight in Shanghai, in UTC.
        recheck_since: recheck.filter(|r| *r).map(|_| {
            rule.window_start(today)
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                - chrono::Duration::hours(8)
        }),
        scope,
    })
}

/// Lists issues: a unit account its unit's, a lead those of its activity (and of its own unit),
/// the coordinator, leaders and admins all.
#[utoipa::path(
    tag = "issues",
    operation_id = "list_issues",
    params(ListIssuesParams),
    responses((status = 200, description = "One page of issues", body = IssueList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/issues")]
pub async fn list_issues(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListIssuesParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    if p.format.is_some() {
        params.refuse(FieldIssue::new(
            "format",
            "not_allowed",
            "只用于导出（/issues/export）",
            "for the export only (/issues/export)",
        ));
    }
    let recheck = recheck_rule(&pool, &config).await?;
    let filter = filter_of(&user, &p, &mut params, &recheck);
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let filter = filter?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(conn, &filter, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| issue_of(r, &recheck))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(IssueList { items, next_cursor }))
}

/// Reads one issue (`ETag`).
#[utoipa::path(
    tag = "issues",
    operation_id = "get_issue",
    params(("id" = String, Path, format = Uuid, description = "The issue's id")),
    responses((status = 200, description = "The issue", body = Issue), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/issues/{id}")]
pub async fn get_issue(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let row = crate::db::run(&pool, move |conn| get_row(conn, &id)).await?;
    policy::read_unit_record(&user, &row.unit_id, activity_of(&row)?)?;
    Ok(respond(
        StatusCode::OK,
        &issue_of(row, &recheck_rule(&pool, &config).await?)?,
    ))
}

/// Changes to an issue's texts; fields left out keep their value. The problem or demand and its
/// kind change only while `open`; the measures until resolved; deadlines move only by the
/// `plan` and `extend` steps.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"owner": "张科长", "remarks": "已纳入年度整改计划"}))]
pub struct UpdateIssue {
    /// Problem or demand (while open).
    pub kind: Option<IssueKind>,
    /// The problem or demand (while open), 1–1000 characters.
    #[validate(length(min = 1, max = 1000))]
    pub description: Option<String>,
    /// 参与活动地点.
    #[validate(length(max = 200))]
    pub place: Option<String>,
    /// 体验内容.
    #[validate(length(max = 500))]
    pub content: Option<String>,
    /// 体验方式.
    #[validate(length(max = 200))]
    pub method: Option<String>,
    /// 拟采取的解决措施 (until resolved).
    #[validate(length(max = 1000))]
    pub measures: Option<String>,
    /// The owner.
    #[validate(length(max = 100))]
    pub owner: Option<String>,
    /// 备注.
    #[validate(length(max = 1000))]
    pub remarks: Option<String>,
}

fn locked(field: &str, zh: &str, en: &str) -> FieldIssue {
    FieldIssue::new(field, "locked", zh, en)
}

/// Changes an issue's texts (the unit's own accounts; `If-Match`). Withdrawn and passed issues
/// are final.
#[utoipa::path(
    tag = "issues",
    operation_id = "update_issue",
    params(("id" = String, Path, format = Uuid, description = "The issue's id"), ("If-Match" = String, Header, description = "The `ETag` read")),
    request_body(content = UpdateIssue, content_type = "application/json"),
    responses((status = 200, description = "The issue", body = Issue), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/issues/{id}")]
pub async fn update_issue(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    body: JsonBody<UpdateIssue>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner();
    let recheck = recheck_rule(&pool, &config).await?;
    let actx = ctx.audit(Some(&user));
    let issue = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let mut row = get_row(conn, &id)?;
            policy::act_as_unit(&user, &row.unit_id)?;
            let version = ctx.expect_version(row.version)?;
            let status: IssueStatus = row.status.parse().map_err(|_| bad("status"))?;
            if matches!(status, IssueStatus::Passed | IssueStatus::Withdrawn) {
                return Err(AppError::Conflict {
                    constraint: "issue_final".into(),
                });
            }
            let b = b?;
            let before = view(&row);
            let mut issues = Vec::new();
            if b.kind.is_some() || b.description.is_some() {
                if status != IssueStatus::Open {
                    issues.push(locked(
                        "description",
                        "问题或需求只能在挂账（open）时修改",
                        "the problem or demand changes only while open",
                    ));
                }
                if let Some(k) = b.kind {
                    row.kind = k.as_str().into();
                }
                match b.description.map(|d| d.trim().to_owned()) {
                    Some(d) if d.is_empty() => issues.push(FieldIssue::new(
                        "description",
                        "blank",
                        "不能为空",
                        "must not be blank",
                    )),
                    Some(d) => row.description = d,
                    None => {}
                }
            }
            if b.measures.is_some() {
                if !matches!(status, IssueStatus::Open | IssueStatus::Rectifying) {
                    issues.push(locked(
                        "measures",
                        "措施只能在整改完成前修改",
                        "the measures change only until resolved",
                    ));
                }
                row.measures = text(b.measures);
                if row.measures.is_none() && status == IssueStatus::Rectifying {
                    issues.push(FieldIssue::new(
                        "measures",
                        "blank",
                        "整改中的问题须有措施",
                        "an issue being rectified keeps its measures",
                    ));
                }
            }
            // Once the unit reports the effect, what was found stays as it was verified.
            let settled = matches!(status, IssueStatus::Resolved | IssueStatus::Closed);
            for (field, v, slot) in [
                ("place", b.place, &mut row.place),
                ("content", b.content, &mut row.content),
                ("method", b.method, &mut row.method),
            ] {
                if let Some(v) = v {
                    if settled {
                        issues.push(locked(
                            field,
                            "已整改或已销号的问题不再修改台账内容",
                            "a resolved or closed issue's ledger columns no longer change",
                        ));
                    }
                    *slot = text(Some(v));
                }
            }
            if let Some(v) = b.owner {
                row.owner = text(Some(v));
            }
            if let Some(v) = b.remarks {
                row.remarks = text(Some(v));
            }
            if !issues.is_empty() {
                return Err(AppError::Validation(issues));
            }
            if !store::update(conn, &row, version)? {
                return Err(AppError::PreconditionFailed {
                    current: etag(version + 1),
                });
            }
            let changes = crate::domain::audit::diff(&before, &view(&row));
            store::insert_event(
                conn,
                &IssueEventRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    issue_id: id.clone(),
                    action: "update".into(),
                    from_status: Some(row.status.clone()),
                    to_status: row.status.clone(),
                    reason: None,
                    changes: Some(changes.to_string()),
                    actor_id: Some(user.id.clone()),
                    at: crate::store::now(),
                },
            )?;
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "issue.update",
                    target_type: Some("issue"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            issue_of(get_row(conn, &id)?, &recheck)
        })
    })
    .await?;
    Ok(respond(StatusCode::OK, &issue))
}

/// A lifecycle step to take.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "plan", "measures": "修订服务指南并上墙公示", "deadline": "2026-12-31"}))]
pub struct IssueTransition {
    /// The step.
    pub action: IssueAction,
    /// `plan`: the measures (required unless already set); `reject`, `relapse`: revised measures.
    #[validate(length(max = 1000))]
    pub measures: Option<String>,
    /// `plan`: the deadline (required); `extend`: the new, later deadline; `reject`, `relapse`:
    /// the new deadline to rectify by (required). Not before today.
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<String>,
    /// `resolve`: the effect (整改效果, required).
    #[validate(length(max = 1000))]
    pub effect: Option<String>,
    /// Why: required for `extend`, `reject`, `relapse` and `withdraw`.
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
}

/// Takes a lifecycle step: `plan`, `extend`, `resolve` (the unit); `reject`, `close`,
/// `pass_recheck`, `relapse` (the lead of the issue's activity or the coordinator; never the
/// unit itself); `withdraw` (the coordinator). An illegal step is 409 naming the allowed ones.
#[utoipa::path(
    tag = "issues",
    operation_id = "create_issue_transition",
    params(
        ("id" = String, Path, format = Uuid, description = "The issue's id"),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` the step was decided on"),
    ),
    request_body(content = IssueTransition, content_type = "application/json"),
    responses((status = 200, description = "The issue after the step", body = Issue), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/issues/{id}/transitions")]
pub async fn create_issue_transition(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    body: JsonBody<IssueTransition>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner();
    let recheck = recheck_rule(&pool, &config).await?;
    let actx = ctx.audit(Some(&user));
    let issue = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let mut row = get_row(conn, &id)?;
            let activity = activity_of(&row)?;
            let b = match b {
                Ok(b) => b,
                Err(e) => {
                    policy::read_unit_record(&user, &row.unit_id, activity)?;
                    return Err(e);
                }
            };
            match b.action.actor() {
                Actor::Unit => policy::act_as_unit(&user, &row.unit_id)?,
                Actor::Reviewer => policy::review_issue(&user, &row.unit_id, activity)?,
                Actor::Coordinator => policy::withdraw_issue(&user)?,
            }
            if ctx.if_match.is_some() {
                ctx.expect_version(row.version)?;
            }
            let from: IssueStatus = row.status.parse().map_err(|_| bad("status"))?;
            let to = rules::transition(from, b.action, row.immediate).map_err(|allowed| {
                AppError::IllegalTransition {
                    from: from.as_str().into(),
                    action: b.action.as_str().into(),
                    allowed: allowed.iter().map(|a| a.as_str().to_owned()).collect(),
                }
            })?;
            let reason = text(b.reason);
            let given_measures = b.measures.is_some();
            let given_effect = b.effect.is_some();
            let mut issues = Vec::new();
            if b.action.needs_reason() && reason.is_none() {
                issues.push(FieldIssue::new(
                    "reason",
                    "required",
                    "此步骤须说明理由",
                    "this step needs a reason",
                ));
            }
            let deadline = match b.deadline.as_deref() {
                None => None,
                Some(raw) => match parse_date(raw).filter(|d| *d >= today()) {
                    Some(d) => Some(d),
                    None => {
                        issues.push(FieldIssue::new(
                            "deadline",
                            "invalid_date",
                            "须为不早于今天的日期 YYYY-MM-DD",
                            "a date YYYY-MM-DD, not in the past",
                        ));
                        None
                    }
                },
            };
            let before = view(&row);
            let now = crate::store::now();
            match b.action {
                IssueAction::Plan => {
                    if let Some(m) = text(b.measures) {
                        row.measures = Some(m);
                    }
                    if row.measures.is_none() {
                        issues.push(FieldIssue::new(
                            "measures",
                            "required",
                            "须写明整改措施",
                            "the measures are required",
                        ));
                    }
                    if b.deadline.is_none() {
                        issues.push(FieldIssue::new(
                            "deadline",
                            "required",
                            "须写明完成时限",
                            "the deadline is required",
                        ));
                    }
                    row.deadline = deadline.or(row.deadline);
                }
                IssueAction::Extend => match (deadline, row.deadline) {
                    (Some(new), Some(old)) if new > old => row.deadline = Some(new),
                    (Some(new), None) => row.deadline = Some(new),
                    (Some(_), _) => issues.push(FieldIssue::new(
                        "deadline",
                        "not_later",
                        "延期后的时限须晚于原时限",
                        "the new deadline must be later than the current one",
                    )),
                    (None, _) => issues.push(FieldIssue::new(
                        "deadline",
                        "required",
                        "须写明新的完成时限",
                        "the new deadline is required",
                    )),
                },
                IssueAction::Resolve => match text(b.effect) {
                    Some(e) => {
                        row.effect = Some(e);
                        row.resolved_at = Some(now);
                    }
                    None => issues.push(FieldIssue::new(
                        "effect",
                        "required",
                        "须写明整改效果",
                        "the effect is required",
                    )),
                },
                IssueAction::Close => row.closed_at = Some(now),
                // Back to rectifying: the reviewer sets the new deadline (the old one has
                // usually passed, an immediate issue never had one) and may revise the measures.
                IssueAction::Reject | IssueAction::Relapse => {
                    if let Some(m) = text(b.measures) {
                        row.measures = Some(m);
                    }
                    match deadline {
                        Some(d) => row.deadline = Some(d),
                        None if b.deadline.is_none() => issues.push(FieldIssue::new(
                            "deadline",
                            "required",
                            "重新整改须写明新的完成时限",
                            "rectifying again needs a new deadline",
                        )),
                        None => {}
                    }
                }
                IssueAction::PassRecheck | IssueAction::Withdraw => {}
            }
            for (field, given, allowed) in [
                (
                    "measures",
                    given_measures,
                    matches!(
                        b.action,
                        IssueAction::Plan | IssueAction::Reject | IssueAction::Relapse
                    ),
                ),
                (
                    "deadline",
                    b.deadline.is_some(),
                    matches!(
                        b.action,
                        IssueAction::Plan
                            | IssueAction::Extend
                            | IssueAction::Reject
                            | IssueAction::Relapse
                    ),
                ),
                ("effect", given_effect, b.action == IssueAction::Resolve),
            ] {
                if given && !allowed {
                    issues.push(FieldIssue::new(
                        field,
                        "not_allowed",
                        "此步骤不接受该字段",
                        "this step does not take this field",
                    ));
                }
            }
            if !issues.is_empty() {
                return Err(AppError::Validation(issues));
            }
            row.status = to.as_str().into();
            let version = row.version;
            if !store::update(conn, &row, version)? {
                return Err(AppError::Conflict {
                    constraint: "issue_moved".into(),
                });
            }
            let changes = crate::domain::audit::diff(&before, &view(&row));
            store::insert_event(
                conn,
                &IssueEventRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    issue_id: id.clone(),
                    action: b.action.as_str().into(),
                    from_status: Some(from.as_str().into()),
                    to_status: to.as_str().into(),
                    reason: reason.clone(),
                    changes: Some(changes.to_string()),
                    actor_id: Some(user.id.clone()),
                    at: now,
                },
            )?;
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "issue.transition",
                    target_type: Some("issue"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            if to == IssueStatus::Closed {
                crate::store::webhooks::emit(
                    conn,
                    crate::domain::webhook::EventType::IssueClosed,
                    serde_json::json!({"issue_id": id, "unit_id": row.unit_id, "seq": row.seq}),
                )?;
            }
            issue_of(get_row(conn, &id)?, &recheck)
        })
    })
    .await?;
    Ok(respond(StatusCode::OK, &issue))
}

/// One change of an issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssueEvent {
    /// `open`, `update` or the lifecycle step.
    pub action: String,
    /// Status before (none for `open`).
    pub from: Option<IssueStatus>,
    /// Status after.
    pub to: IssueStatus,
    /// Why.
    pub reason: Option<String>,
    /// The fields changed: `{field: {before, after}}`.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    /// Who (account id).
    pub actor_id: Option<String>,
    /// When (UTC).
    pub at: DateTime<Utc>,
}

/// The history of an issue: every change, oldest first.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct IssueHistory {
    /// The issue's id.
    pub issue_id: String,
    /// Its events.
    pub events: Vec<IssueEvent>,
}

/// Reads an issue's history (whoever reads the issue).
#[utoipa::path(
    tag = "issues",
    operation_id = "get_issue_history",
    params(("id" = String, Path, format = Uuid, description = "The issue's id")),
    responses((status = 200, description = "Every change, oldest first", body = IssueHistory), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/issues/{id}/history")]
pub async fn get_issue_history(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let (row, events) = crate::db::run(&pool, move |conn| {
        let row = get_row(conn, &id)?;
        let events = store::events(conn, &id)?;
        Ok((row, events))
    })
    .await?;
    policy::read_unit_record(&user, &row.unit_id, activity_of(&row)?)?;
    let events = events
        .into_iter()
        .map(|e| {
            Ok(IssueEvent {
                from: e
                    .from_status
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| bad("status"))?,
                to: e.to_status.parse().map_err(|_| bad("status"))?,
                changes: e
                    .changes
                    .as_deref()
                    .and_then(|c| serde_json::from_str(c).ok()),
                action: e.action,
                reason: e.reason,
                actor_id: e.actor_id,
                at: crate::store::utc(e.at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(HttpResponse::Ok().json(IssueHistory {
        issue_id: row.id,
        events,
    }))
}

/// The quarter's lists to send (R9).
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "quarter": "2026-Q4"}))]
pub struct CreateIssueList {
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The quarter, like `2026-Q4`.
    pub quarter: String,
}

/// A sent list: a frozen snapshot of the unit's issues found in the quarter.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct IssueListSubmission {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Quarter.
    pub quarter: String,
    /// When it was sent (UTC); R9 judges its Asia/Shanghai date.
    pub submitted_at: DateTime<Utc>,
    /// Who sent it.
    pub submitted_by: Option<String>,
    /// How many issues it holds (an empty list is a valid submission).
    pub issue_count: i32,
    /// The issues as they stood when sent.
    pub issues: Vec<Issue>,
}

fn submission_of(r: IssueListRow) -> Result<IssueListSubmission, AppError> {
    Ok(IssueListSubmission {
        issues: serde_json::from_str(&r.snapshot).map_err(|_| bad("snapshot"))?,
        submitted_at: crate::store::utc(r.submitted_at),
        id: r.id,
        unit_id: r.unit_id,
        quarter: r.quarter,
        submitted_by: r.submitted_by,
        issue_count: r.issue_count,
    })
}

/// Sends the unit's problem, demand and measures lists for a quarter (the unit's own accounts):
/// freezes a snapshot of its issues found in the quarter. A later submission is kept beside the
/// first.
#[utoipa::path(
    tag = "issues",
    operation_id = "create_issue_list",
    request_body(content = CreateIssueList, content_type = "application/json"),
    responses((status = 201, description = "Sent", body = IssueListSubmission), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/issue-lists")]
pub async fn create_issue_list(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateIssueList>,
) -> Result<HttpResponse, AppError> {
    policy::act_as_unit(&user, user.unit_id.as_deref().unwrap_or_default())?;
    let b = body.into_inner()?;
    let unit_id = parse_id(&b.unit_id).map(|u| u.to_string());
    let quarter = b.quarter.parse::<Quarter>();
    let mut issues = Vec::new();
    if unit_id.is_err() {
        issues.push(FieldIssue::new(
            "unit_id",
            "invalid_uuid",
            "须为 UUID",
            "must be a UUID",
        ));
    }
    if quarter.is_err() {
        issues.push(crate::api::query::quarter_issue("quarter"));
    }
    let (Ok(unit_id), Ok(quarter)) = (unit_id, quarter) else {
        return Err(AppError::Validation(issues));
    };
    if quarter.first_day() > today() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "quarter",
            "future_quarter",
            "该季度尚未开始",
            "the quarter has not begun",
        )]));
    }
    policy::act_as_unit(&user, &unit_id)?;
    let recheck = recheck_rule(&pool, &config).await?;
    let actx = ctx.audit(Some(&user));
    let submitted = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let filter = store::Filter {
                unit_id: Some(unit_id.clone()),
                from: Some(quarter.first_day()),
                to: Some(quarter.last_day()),
                ..Default::default()
            };
            let mut issues = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let (rows, more) = store::list(conn, &filter, after.as_deref(), 1000)?;
                after = rows.last().map(|r| r.id.clone());
                for r in rows {
                    issues.push(issue_of(r, &recheck)?);
                }
                if !more {
                    break;
                }
            }
            issues.sort_by_key(|i| i.seq);
            let row = IssueListRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: unit_id.clone(),
                quarter: quarter.to_string(),
                issue_count: issues.len() as i32,
                snapshot: serde_json::to_string(&issues).map_err(|e| AppError::internal(e.to_string()))?,
                submitted_by: Some(user.id.clone()),
                submitted_at: crate::store::now(),
            };
            store::insert_list(conn, &row)?;
            let changes = serde_json::json!({"quarter": {"before": null, "after": row.quarter}, "issue_count": {"before": null, "after": row.issue_count}});
            audit::record(conn, &actx, AuditEntry { action: "issue_list.create", target_type: Some("issue_list"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            submission_of(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(submitted))
}

/// A quarter's issue list a unit sent before the service was adopted (an import).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SCJG-2026-Q1-LIST", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "quarter": "2026-Q1", "submitted_at": "2026-03-20T02:00:00Z"}))]
pub struct IssueListRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The quarter, like `2026-Q1`.
    pub quarter: String,
    /// When it was sent.
    pub submitted_at: chrono::DateTime<chrono::Utc>,
}

/// Writes a unit's past list submission (an import) at `submitted_at`: its snapshot is the
/// unit's issues found in the quarter, as they stand (import the issues first).
pub(crate) fn write_past_list(
    conn: &mut AnyConnection,
    actor: &str,
    r: &IssueListRecord,
    recheck: &RecheckRule,
) -> Result<String, AppError> {
    let quarter: Quarter = r.quarter.parse().map_err(|_| {
        AppError::Validation(vec![FieldIssue::new(
            "quarter",
            "invalid_quarter",
            "须为季度如 2026-Q1",
            "a quarter like 2026-Q1",
        )])
    })?;
    if crate::domain::calendar::local_date(r.submitted_at) < quarter.first_day() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "submitted_at",
            "before_quarter",
            "不能早于该季度开始",
            "must not be before the quarter begins",
        )]));
    }
    let filter = store::Filter {
        unit_id: Some(r.unit_id.clone()),
        from: Some(quarter.first_day()),
        to: Some(quarter.last_day()),
        ..Default::default()
    };
    let mut issues = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (rows, more) = store::list(conn, &filter, after.as_deref(), 1000)?;
        after = rows.last().map(|r| r.id.clone());
        for row in rows {
            issues.push(issue_of(row, recheck)?);
        }
        if !more {
            break;
        }
    }
    issues.sort_by_key(|i| i.seq);
    let row = IssueListRow {
        id: uuid::Uuid::now_v7().to_string(),
        unit_id: r.unit_id.clone(),
        quarter: quarter.to_string(),
        issue_count: issues.len() as i32,
        snapshot: serde_json::to_string(&issues).map_err(|e| AppError::internal(e.to_string()))?,
        submitted_by: Some(actor.to_owned()),
        submitted_at: r.submitted_at.naive_utc(),
    };
    store::insert_list(conn, &row)?;
    Ok(row.id)
}

/// Query parameters of the submissions list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListIssueListsParams {
    /// Only this unit's (a unit account sees only its own).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Only this quarter's, like `2026-Q4`.
    pub quarter: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of submissions.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct IssueListSubmissions {
    /// Submissions, oldest first.
    pub items: Vec<IssueListSubmission>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists the sent lists: a unit account its own; the coordinator, leaders and admins all; a lead
/// every unit's, showing of another unit's list the issues of its own activity (the leads
/// collect them). `issue_count` counts the whole list as sent.
#[utoipa::path(
    tag = "issues",
    operation_id = "list_issue_lists",
    params(ListIssueListsParams),
    responses((status = 200, description = "One page of submissions", body = IssueListSubmissions), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/issue-lists")]
pub async fn list_issue_lists(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListIssueListsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let unit_id = params.uuid("unit_id", p.unit_id.as_deref());
    let quarter = params.quarter("quarter", p.quarter.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let unit_id = match policy::schedule_entry_scope(&user) {
        Some(own) if unit_id.as_deref().is_some_and(|u| u != own) => {
            return Err(AppError::Forbidden { code: "unit" })
        }
        Some(own) => Some(own.to_owned()),
        None => unit_id,
    };
    let quarter = quarter.map(|q| q.to_string());
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::lists(
            conn,
            unit_id.as_deref(),
            quarter.as_deref(),
            after.as_deref(),
            limit,
        )
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let mut items = rows
        .into_iter()
        .map(submission_of)
        .collect::<Result<Vec<_>, _>>()?;
    // A lead collects the lists of its activity: of another unit's list it sees that part.
    if let (crate::domain::account::Role::Lead, Some(activity)) = (user.role, user.lead_activity) {
        for s in items
            .iter_mut()
            .filter(|s| user.unit_id.as_deref() != Some(s.unit_id.as_str()))
        {
            s.issues.retain(|i| i.activity == Some(activity));
        }
    }
    Ok(HttpResponse::Ok().json(IssueListSubmissions { items, next_cursor }))
}
