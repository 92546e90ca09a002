//! Reports (四(二), 四(三)): the leads' monthly statistics and quarterly summaries and the
//! coordinator's district report, each a frozen snapshot of statistics computed at submission,
//! with its deadline and lateness; and the working calendar the deadlines may count in.

use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::api::service_records::parse_date;
use crate::api::stats::{compute_stats, Stats};
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, DbPool};
use crate::domain::account::Role;
use crate::domain::calendar::{self, local_date, Period, Quarter};
use crate::domain::stats::GroupBy;
use crate::domain::unit::Activity;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::reports::{self as store, CalendarDayRow, ReportRow};

crate::text_enum! {
    /// What a report is.
    pub enum ReportKind {
        /// A lead's statistics of a month (月度统计), due by day 20 of the next month.
        Monthly => "monthly",
        /// A lead's summary of a quarter (季度总结), due by day 22 of its last month.
        Quarterly => "quarterly",
        /// The coordinator's district report of a quarter, merging the three leads' summaries.
        DistrictQuarterly => "district_quarterly",
    }
}

/// A quarterly summary's text (四(三)).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    /// What was done (开展情况), 1–5000 characters.
    #[validate(length(min = 1, max = 5000))]
    pub done: String,
    /// Results (取得成效).
    #[validate(length(min = 1, max = 5000))]
    pub results: String,
    /// Problems (存在问题).
    #[validate(length(min = 1, max = 5000))]
    pub problems: String,
    /// Next quarter's plan (下季度工作计划).
    #[validate(length(min = 1, max = 5000))]
    pub next_plan: String,
}

/// A report to submit.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "monthly", "period": "2026-10"}))]
pub struct CreateReport {
    /// What kind: `monthly` and `quarterly` by a lead for its activity, `district_quarterly` by
    /// the coordinator.
    pub kind: ReportKind,
    /// A month `2026-10` (monthly) or a quarter `2026-Q4`.
    pub period: String,
    /// The summary's text: required for `quarterly`, optional for `district_quarterly`.
    #[validate(nested)]
    pub narrative: Option<Narrative>,
}

/// What a district report merged of one activity.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct MergedSummary {
    /// The activity.
    pub activity: Activity,
    /// Its lead's latest quarterly summary, if any was submitted.
    pub report_id: Option<String>,
    /// Whether it is missing (列出缺报).
    pub missing: bool,
    /// Its lead's narrative.
    pub narrative: Option<Narrative>,
    /// Days the summary was late (R12).
    pub late_days: Option<i32>,
    /// The quarter's months (ended) whose monthly statistics the lead has not submitted.
    pub monthly_missing: Vec<String>,
}

/// A submitted report.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Report {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: ReportKind,
    /// Period.
    pub period: String,
    /// The lead's activity (none for the district report).
    pub activity: Option<Activity>,
    /// The summary's text.
    pub narrative: Option<Narrative>,
    /// The statistics as computed at submission (frozen).
    pub statistics: Stats,
    /// For a district report: the three activities' summaries, or that they are missing.
    pub merged: Option<Vec<MergedSummary>>,
    /// Due by the end of this local date (none for the district report).
    pub due_on: Option<NaiveDate>,
    /// Whether it was submitted by then.
    pub on_time: Option<bool>,
    /// Days late (0 on time).
    pub late_days: Option<i32>,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// When (UTC).
    pub submitted_at: DateTime<Utc>,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable report {what}"))
}

/// What of a report a lead of another activity does not see: the enforcement participations'
/// content (it reads those records only for its own activity).
fn redact_for(user: &AuthUser, mut r: Report) -> Report {
    if user.role == Role::Lead && user.lead_activity != Some(Activity::Enforcement) {
        r.statistics.total.enforcement_content.clear();
        for g in &mut r.statistics.groups {
            g.figures.enforcement_content.clear();
        }
    }
    r
}

fn report_of(r: ReportRow) -> Result<Report, AppError> {
    Ok(Report {
        kind: r.kind.parse().map_err(|_| bad("kind"))?,
        activity: r
            .activity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| bad("activity"))?,
        narrative: r
            .narrative
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| bad("narrative"))?,
        statistics: serde_json::from_str(&r.statistics).map_err(|_| bad("statistics"))?,
        merged: r
            .merged
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| bad("merged"))?,
        on_time: r.late_days.map(|d| d == 0),
        submitted_at: crate::store::utc(r.submitted_at),
        id: r.id,
        period: r.period,
        due_on: r.due_on,
        late_days: r.late_days,
        submitted_by: r.submitted_by,
    })
}

fn refuse(field: &str, code: &'static str, zh: &str, en: &str) -> AppError {
    AppError::Validation(vec![FieldIssue::new(field, code, zh, en)])
}

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::internal(e.to_string()))
}

/// Submits a report: the statistics are computed now and frozen with the time and the
/// submitter; every resubmission is kept. A `monthly` report covers a month that has ended; a
/// `quarterly` summary a quarter that has begun. Each records its deadline and lateness (R12).
#[utoipa::path(
    tag = "reports",
    operation_id = "create_report",
    request_body(content = CreateReport, content_type = "application/json"),
    responses((status = 201, description = "Submitted", body = Report), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/reports")]
pub async fn create_report(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateReport>,
) -> Result<HttpResponse, AppError> {
    // Who may submit no report at all is refused before the body is read.
    policy::submit_report(&user, user.role == Role::Coordinator)?;
    let b = body.into_inner()?;
    let activity = policy::submit_report(&user, b.kind == ReportKind::DistrictQuarterly)?;
    let today = local_date(Utc::now());
    let period_issue = || {
        refuse(
            "period",
            "invalid_period",
            "月报须为月份如 2026-10，季报须为季度如 2026-Q4",
            "a month like 2026-10 for a monthly report, a quarter like 2026-Q4 otherwise",
        )
    };
    let (period, quarter) = match b.kind {
        ReportKind::Monthly => {
            let is_month = b.period.len() == 7
                && b.period.bytes().enumerate().all(|(i, c)| {
                    if i == 4 {
                        c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            let p: Period = b.period.parse().map_err(|_| period_issue())?;
            if !is_month {
                return Err(period_issue());
            }
            if p.to >= today {
                return Err(refuse(
                    "period",
                    "not_ended",
                    "该月尚未结束",
                    "the month has not ended",
                ));
            }
            (p, None)
        }
        _ => {
            let q: Quarter = b.period.parse().map_err(|_| period_issue())?;
            if q.first_day() > today {
                return Err(refuse(
                    "period",
                    "not_begun",
                    "该季度尚未开始",
                    "the quarter has not begun",
                ));
            }
            (
                Period {
                    from: q.first_day(),
                    to: q.last_day(),
                },
                Some(q),
            )
        }
    };
    if b.kind == ReportKind::Quarterly && b.narrative.is_none() {
        return Err(refuse(
            "narrative",
            "required",
            "季度总结须写明开展情况、成效、问题和下季度计划",
            "a quarterly summary needs its narrative",
        ));
    }
    if b.kind == ReportKind::Monthly && b.narrative.is_some() {
        return Err(refuse(
            "narrative",
            "not_allowed",
            "月度统计只报数据",
            "a monthly report holds the figures only",
        ));
    }
    let config = config.into_inner();
    let actx = ctx.audit(Some(&user));
    let report = crate::db::run(&pool, move |conn| {
        let due_on = match (b.kind, quarter) {
            (ReportKind::Monthly, _) => {
                let count = config.day_count("monthly_report");
                let cal = store::calendar_for(conn, count)?;
                Some(calendar::monthly_report_due(period.from, config.monthly_report_day, &cal, count))
            }
            (ReportKind::Quarterly, Some(q)) => {
                let count = config.day_count("quarterly_summary");
                let cal = store::calendar_for(conn, count)?;
                Some(calendar::due_in_last_month(q, config.quarterly_summary_day, &cal, count))
            }
            _ => None,
        };
        let as_of = period.to.min(today);
        let group_by = if activity.is_some() { GroupBy::Unit } else { GroupBy::Lead };
        let stats = compute_stats(conn, period, as_of, group_by, activity, None)?;
        let merged = match b.kind {
            ReportKind::DistrictQuarterly => {
                let mut out = Vec::new();
                for a in Activity::ALL {
                    let latest = store::latest(conn, ReportKind::Quarterly.as_str(), &b.period, a.as_str())?;
                    let mut monthly_missing = Vec::new();
                    if let Some(q) = quarter {
                        for m in 0..3 {
                            let first = q.first_day().checked_add_months(chrono::Months::new(m)).unwrap_or(q.first_day());
                            let name = first.format("%Y-%m").to_string();
                            let ended = first.checked_add_months(chrono::Months::new(1)).is_some_and(|n| n <= today);
                            if ended && store::latest(conn, ReportKind::Monthly.as_str(), &name, a.as_str())?.is_none() {
                                monthly_missing.push(name);
                            }
                        }
                    }
                    out.push(MergedSummary {
                        activity: *a,
                        missing: latest.is_none(),
                        narrative: latest.as_ref().and_then(|r| r.narrative.as_deref()).map(serde_json::from_str).transpose().map_err(|_| bad("narrative"))?,
                        late_days: latest.as_ref().and_then(|r| r.late_days),
                        report_id: latest.map(|r| r.id),
                        monthly_missing,
                    });
                }
                Some(out)
            }
            _ => None,
        };
        let row = ReportRow {
            id: uuid::Uuid::now_v7().to_string(),
            kind: b.kind.as_str().into(),
            period: b.period.clone(),
            activity: activity.map(|a| a.as_str().into()),
            narrative: b.narrative.as_ref().map(json).transpose()?,
            statistics: json(&stats)?,
            merged: merged.as_ref().map(json).transpose()?,
            due_on,
            late_days: due_on.map(|d| calendar::days_late(d, today)),
            submitted_by: Some(user.id.clone()),
            submitted_at: crate::store::now(),
        };
        write_transaction(conn, |conn| {
            store::insert(conn, &row)?;
            let changes = serde_json::json!({"kind": {"before": null, "after": row.kind}, "period": {"before": null, "after": row.period}, "late_days": {"before": null, "after": row.late_days}});
            audit::record(conn, &actx, AuditEntry { action: "report.create", target_type: Some("report"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })
        })?;
        report_of(row)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/reports/{}", report.id)))
        .json(report))
}

/// A lead's report sent before the service was adopted (an import).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "XZSP-2026-03", "kind": "monthly", "period": "2026-03", "activity": "window", "submitted_at": "2026-04-18T02:00:00Z"}))]
pub struct ReportRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// `monthly` or `quarterly` (a district report is made here, from the leads' summaries).
    pub kind: ReportKind,
    /// A month `2026-03` (monthly) or a quarter `2026-Q1`.
    pub period: String,
    /// The lead's activity.
    pub activity: Activity,
    /// The summary's text (required for `quarterly`, not allowed for `monthly`).
    pub narrative: Option<Narrative>,
    /// When it was sent.
    pub submitted_at: DateTime<Utc>,
}

/// Writes a lead's past report (an import), as if submitted through the API at
/// `submitted_at`: its figures computed from the records as of the period's end, its deadline
/// from the rules in force, its lateness judged on the day it was sent. Problems name fields.
pub(crate) fn write_past(
    conn: &mut crate::db::AnyConnection,
    actor: &str,
    r: &ReportRecord,
    config: &Config,
) -> Result<String, AppError> {
    let submitted_on = local_date(r.submitted_at);
    let bad_period = || {
        refuse(
            "period",
            "invalid_period",
            "月报须为月份如 2026-03，季报须为季度如 2026-Q1",
            "a month like 2026-03 for a monthly report, a quarter like 2026-Q1 for a quarterly one",
        )
    };
    let (period, due_on) = match r.kind {
        ReportKind::Monthly => {
            let p: Period = r.period.parse().map_err(|_| bad_period())?;
            if r.period.len() != 7 {
                return Err(bad_period());
            }
            if r.narrative.is_some() {
                return Err(refuse(
                    "narrative",
                    "not_allowed",
                    "月度统计只报数据",
                    "a monthly report holds the figures only",
                ));
            }
            let count = config.day_count("monthly_report");
            let cal = store::calendar_for(conn, count)?;
            (
                p,
                calendar::monthly_report_due(p.from, config.monthly_report_day, &cal, count),
            )
        }
        ReportKind::Quarterly => {
            let q: Quarter = r.period.parse().map_err(|_| bad_period())?;
            if r.narrative.is_none() {
                return Err(refuse(
                    "narrative",
                    "required",
                    "季度总结须写明开展情况、成效、问题和下季度计划",
                    "a quarterly summary needs its narrative",
                ));
            }
            let count = config.day_count("quarterly_summary");
            let cal = store::calendar_for(conn, count)?;
            (
                Period {
                    from: q.first_day(),
                    to: q.last_day(),
                },
                calendar::due_in_last_month(q, config.quarterly_summary_day, &cal, count),
            )
        }
        ReportKind::DistrictQuarterly => {
            return Err(refuse(
                "kind",
                "not_importable",
                "区级季度报告由各牵头部门的季度总结生成，不能导入",
                "a district report is made from the leads' summaries, not imported",
            ));
        }
    };
    if submitted_on < period.from {
        return Err(refuse(
            "submitted_at",
            "before_period",
            "不能早于报告期开始",
            "must not be before the period begins",
        ));
    }
    let stats = compute_stats(
        conn,
        period,
        period.to.min(submitted_on),
        GroupBy::Unit,
        Some(r.activity),
        None,
    )?;
    let row = ReportRow {
        id: uuid::Uuid::now_v7().to_string(),
        kind: r.kind.as_str().into(),
        period: r.period.clone(),
        activity: Some(r.activity.as_str().into()),
        narrative: r.narrative.as_ref().map(json).transpose()?,
        statistics: json(&stats)?,
        merged: None,
        due_on: Some(due_on),
        late_days: Some(calendar::days_late(due_on, submitted_on)),
        submitted_by: Some(actor.to_owned()),
        submitted_at: r.submitted_at.naive_utc(),
    };
    store::insert(conn, &row)?;
    Ok(row.id)
}

/// Query parameters of the report list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReportsParams {
    /// `monthly`, `quarterly` or `district_quarterly`.
    pub kind: Option<String>,
    /// `2026-10` or `2026-Q4`.
    pub period: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of reports.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReportList {
    /// Reports, oldest first (resubmissions included).
    pub items: Vec<Report>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists reports (not for unit accounts).
#[utoipa::path(
    tag = "reports",
    operation_id = "list_reports",
    params(ListReportsParams),
    responses((status = 200, description = "One page of reports", body = ReportList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/reports")]
pub async fn list_reports(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListReportsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let kind = params.enumeration::<ReportKind>("kind", p.kind.as_deref());
    if let Some(raw) = p.period.as_deref() {
        if raw.parse::<Period>().is_err() {
            params.refuse(FieldIssue::new(
                "period",
                "invalid_period",
                "须为月份或季度",
                "a month or a quarter",
            ));
        }
    }
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let scope = policy::report_scope(&user)?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(
            conn,
            kind.map(|k| k.as_str()),
            p.period.as_deref(),
            scope.as_deref(),
            after.as_deref(),
            limit,
        )
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| report_of(r).map(|r| redact_for(&user, r)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(ReportList { items, next_cursor }))
}

async fn load(pool: &DbPool, user: &AuthUser, id: &str) -> Result<Report, AppError> {
    let id = crate::api::units::parse_id(id)?.to_string();
    let scope = policy::report_scope(user)?;
    let row = crate::db::run(pool, {
        let id = id.clone();
        move |conn| store::get(conn, &id)
    })
    .await?
    .ok_or(AppError::NotFound {
        resource: "report",
        id,
    })?;
    if let Some(allowed) = scope {
        if !allowed.contains(&row.activity) {
            return Err(AppError::Forbidden { code: "role" });
        }
    }
    Ok(redact_for(user, report_of(row)?))
}

/// Reads one report.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_report",
    params(("id" = String, Path, format = Uuid, description = "The report's id")),
    responses((status = 200, description = "The report", body = Report), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/reports/{id}")]
pub async fn get_report(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(load(&pool, &user, &id).await?))
}

/// Query parameters of a report's export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportExportParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

const FIGURE_TITLES: [&str; 15] = [
    "单位/活动",
    "参与人次",
    "一把手",
    "分管负责同志",
    "接待企业群众数量",
    "体验事项数",
    "参与执法数",
    "发现问题",
    "反映需求",
    "已整改",
    "已销号",
    "逾期",
    "回头看",
    "反弹",
    "有效回访",
];

fn figure_cells(name: &str, f: &crate::domain::stats::Figures) -> Vec<String> {
    vec![
        name.to_owned(),
        f.participations.to_string(),
        f.by_head.to_string(),
        f.by_deputy.to_string(),
        f.people_received.to_string(),
        f.matters_experienced.to_string(),
        f.enforcement_participations.to_string(),
        f.problems_found.to_string(),
        f.demands_found.to_string(),
        f.resolved.to_string(),
        f.closed.to_string(),
        f.overdue.to_string(),
        f.rechecked.to_string(),
        f.relapsed.to_string(),
        f.calls.valid_calls.to_string(),
    ]
}

/// Exports a report's figures, one row per group and a total row, then its narrative:
/// `format=csv` (UTF-8 with BOM) or `xlsx`.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_report_export",
    params(("id" = String, Path, format = Uuid, description = "The report's id"), ReportExportParams),
    responses(
        (status = 200, description = "The report: an XLSX workbook or CSV, by `format`", content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        ParameterErrors, AuthErrors, NotFoundError, CommonErrors
    ),
    security(("bearer" = []))
)]
#[get("/reports/{id}/export")]
pub async fn get_report_export(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    params: web::Query<ReportExportParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let format = p
        .enumeration::<crate::api::issues_export::ExportFormat>("format", params.format.as_deref())
        .unwrap_or(crate::api::issues_export::ExportFormat::Csv);
    p.finish()?;
    let r = load(&pool, &user, &id).await?;
    let mut rows: Vec<Vec<String>> = vec![FIGURE_TITLES.iter().map(|t| (*t).to_owned()).collect()];
    for g in &r.statistics.groups {
        let name = if g.name.is_empty() {
            g.key.as_str()
        } else {
            g.name.as_str()
        };
        rows.push(figure_cells(name, &g.figures));
    }
    rows.push(figure_cells("合计", &r.statistics.total));
    if let Some(n) = &r.narrative {
        rows.push(Vec::new());
        for (t, v) in [
            ("开展情况", &n.done),
            ("取得成效", &n.results),
            ("存在问题", &n.problems),
            ("下季度工作计划", &n.next_plan),
        ] {
            rows.push(vec![t.to_owned(), v.clone()]);
        }
    }
    let (bytes, mime, ext) = crate::api::issues_export::table_file(&[("报表", rows)], format)?;
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"report-{}.{ext}\"", r.period),
        ))
        .body(bytes))
}

/// A day of the working calendar.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    /// The local date.
    #[schema(value_type = String, format = Date)]
    pub date: String,
    /// The holiday's name (e.g. 国庆节), up to 50 characters.
    #[serde(default)]
    pub name: Option<String>,
}

/// A year's exceptions to the weekly rhythm, as the State Council publishes them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"holidays": [{"date": "2026-10-01", "name": "国庆节"}], "workdays": [{"date": "2026-09-27", "name": "国庆节调休"}]}))]
pub struct CalendarYear {
    /// Public holidays (days off), at most 60.
    #[validate(length(max = 60))]
    pub holidays: Vec<CalendarDay>,
    /// Make-up working days (调休上班), at most 30.
    #[validate(length(max = 30))]
    pub workdays: Vec<CalendarDay>,
}

fn calendar_of(rows: Vec<CalendarDayRow>) -> CalendarYear {
    let (mut holidays, mut workdays) = (Vec::new(), Vec::new());
    for r in rows {
        let day = CalendarDay {
            date: r.day.to_string(),
            name: r.name,
        };
        if r.kind == "holiday" {
            holidays.push(day);
        } else {
            workdays.push(day);
        }
    }
    CalendarYear { holidays, workdays }
}

/// Reads a year's working calendar (every signed-in account).
#[utoipa::path(
    tag = "reports",
    operation_id = "get_calendar_year",
    params(("year" = i32, Path, description = "The year, 2000–2099")),
    responses((status = 200, description = "The year's holidays and make-up working days", body = CalendarYear), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/calendar/{year}")]
pub async fn get_calendar_year(
    _user: AuthUser,
    pool: web::Data<DbPool>,
    year: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let year = crate::api::query::parse_year(&year)?;
    let rows = crate::db::run(&pool, move |conn| store::calendar_year(conn, year)).await?;
    Ok(HttpResponse::Ok().json(calendar_of(rows)))
}

/// Replaces a year's working calendar (admin, coordinator): its public holidays and make-up
/// working days, as published each year. Deadlines counted in working days follow it.
#[utoipa::path(
    tag = "reports",
    operation_id = "update_calendar_year",
    params(("year" = i32, Path, description = "The year, 2000–2099")),
    request_body(content = CalendarYear, content_type = "application/json"),
    responses((status = 200, description = "The year as stored", body = CalendarYear), ParameterErrors, BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[put("/calendar/{year}")]
pub async fn update_calendar_year(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    year: web::Path<String>,
    body: JsonBody<CalendarYear>,
) -> Result<HttpResponse, AppError> {
    policy::manage_calendar(&user)?;
    let year = crate::api::query::parse_year(&year)?;
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (list, kind, days) in [
        ("holidays", "holiday", &b.holidays),
        ("workdays", "workday", &b.workdays),
    ] {
        for (i, d) in days.iter().enumerate() {
            let field = format!("{list}[{i}].date");
            match parse_date(&d.date).filter(|x| x.year() == year) {
                None => issues.push(FieldIssue::new(
                    field,
                    "invalid_date",
                    format!("须为 {year} 年的日期 YYYY-MM-DD"),
                    format!("a date YYYY-MM-DD in {year}"),
                )),
                Some(day) if !seen.insert(day) => issues.push(FieldIssue::new(
                    field,
                    "duplicate",
                    "同一天出现两次",
                    "the same day appears twice",
                )),
                Some(day) => {
                    let name = d
                        .name
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned);
                    if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
                        issues.push(FieldIssue::new(
                            format!("{list}[{i}].name"),
                            "length",
                            "不超过 50 个字符",
                            "at most 50 characters",
                        ));
                    }
                    rows.push(CalendarDayRow {
                        day,
                        year,
                        kind: kind.into(),
                        name,
                    });
                }
            }
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let actx = ctx.audit(Some(&user));
    let stored = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            store::replace_year(conn, year, &rows)?;
            let changes = serde_json::json!({"holidays": {"before": null, "after": rows.iter().filter(|r| r.kind == "holiday").count()}, "workdays": {"before": null, "after": rows.iter().filter(|r| r.kind == "workday").count()}});
            audit::record(conn, &actx, AuditEntry { action: "calendar.update", target_type: Some("calendar"), target_id: Some(&year.to_string()), changes: Some(changes), outcome: "success" })?;
            store::calendar_year(conn, year)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(calendar_of(stored)))
}
