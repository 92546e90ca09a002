//! Compliance checks (专项考核, 五(三)): run the rules R1–R13 over a quarter or a year as of an
//! evaluation date, store the run (immutable), and read its findings, scores, bulletin list,
//! export and its difference from another run.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::issues_export::{table_file, ExportFormat};
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::calendar::{local_date, DayCount};
use crate::domain::compliance::{
    self as rules, CheckPeriod, Deductions, Diff, Finding, Listing, PreviousCheck, Progress, Rule,
    Score, Settings, Severity,
};
use crate::domain::ledger::RecheckRule;
use crate::domain::participation::FilingRule;
use crate::domain::unit::Activity;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::compliance::{
    self as store, CheckRow, FindingFilter, FindingRow, InputSummary, ScoreRow,
};

/// A check to run.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period": "2026-Q3", "evaluated_on": "2026-10-25"}))]
pub struct CreateCheck {
    /// A quarter `2026-Q3` or a year `2026`.
    pub period: String,
    /// Limit the run to one unit's findings and score.
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    /// Limit the run to one activity (a lead's check is limited to its own).
    pub activity: Option<Activity>,
    /// The date the check is made as of (the end of that Asia/Shanghai day); today by default,
    /// never later, not before the period begins.
    pub evaluated_on: Option<NaiveDate>,
}

/// The settings a run used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SettingsUsed {
    /// R3: days after the activity.
    pub filing_days: u32,
    /// R3: calendar or working days.
    pub filing_count: DayCount,
    /// R8: days to answer a trigger (its due date is fixed when it is raised).
    pub immediate_response_days: u32,
    /// R11: days after closing.
    pub recheck_days: u32,
    /// R11: calendar or working days.
    pub recheck_count: DayCount,
    /// R9: day of the quarter's last month.
    pub issue_list_day: u32,
    /// R9: calendar or working days.
    pub issue_list_count: DayCount,
    /// R12: day of the next month.
    pub monthly_report_day: u32,
    /// R12: calendar or working days.
    pub monthly_report_count: DayCount,
    /// R12: day of the quarter's last month.
    pub quarterly_summary_day: u32,
    /// R12: calendar or working days.
    pub quarterly_summary_count: DayCount,
    /// Points each rule's finding deducts.
    pub deductions: Deductions,
    /// The working calendar's public holidays used (none when every deadline counts calendar
    /// days).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// The working calendar's make-up working days used.
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

/// A stored run as a caller may see it. A unit account sees its own unit's findings, score,
/// listing and progress only.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ComplianceCheck {
    /// Id.
    pub id: String,
    /// The period: `2026-Q3` or `2026`.
    pub period: String,
    /// The one unit the run was limited to.
    pub unit_id: Option<String>,
    /// The one activity the run was limited to.
    pub activity: Option<Activity>,
    /// The evaluation date.
    pub evaluated_on: NaiveDate,
    /// How many records of each kind were read.
    pub inputs: InputSummary,
    /// The settings used.
    pub settings: SettingsUsed,
    /// Findings (that the caller may see).
    pub finding_count: u32,
    /// Of which, by rule.
    pub findings_by_rule: BTreeMap<String, u32>,
    /// Scores, best first.
    pub scores: Vec<Score>,
    /// The bulletin list (通报).
    pub listed: Vec<Listing>,
    /// Progress of the quarter running on the evaluation date ("on track?").
    pub progress: Vec<Progress>,
    /// The previous period's run repeated overdue issues were compared with.
    pub previous_check_id: Option<String>,
    /// Who ran it.
    pub created_by: Option<String>,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable compliance {what}"))
}

fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::internal(e.to_string()))
}

fn finding_of(r: FindingRow) -> Result<Finding, AppError> {
    Ok(Finding {
        rule: r.rule.parse().map_err(|_| bad("rule"))?,
        key: r.finding_key,
        unit_id: r.unit_id,
        activity: r
            .activity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| bad("activity"))?,
        subject_period: r.subject_period,
        severity: r.severity.parse().map_err(|_| bad("severity"))?,
        code: r.code,
        message_zh: r.message_zh,
        message_en: r.message_en,
        evidence: serde_json::from_str(&r.evidence).map_err(|_| bad("evidence"))?,
        clause: r.clause,
        due_on: r.due_on,
        points: u32::try_from(r.points).unwrap_or(0),
    })
}

fn score_of(r: ScoreRow) -> Score {
    Score {
        rank: u32::try_from(r.rank).unwrap_or(0),
        unit_id: r.unit_id,
        unit_name: r.unit_name,
        score: u32::try_from(r.score).unwrap_or(0),
        deducted: u32::try_from(r.deducted).unwrap_or(0),
        findings: u32::try_from(r.findings).unwrap_or(0),
    }
}

/// The run as a caller sees it: scores, listing and progress of `only_unit` (a unit
/// account's unit) or of all; the findings counted are those `visible` to it.
fn view(
    conn: &mut AnyConnection,
    row: CheckRow,
    only_unit: Option<&str>,
    visible: Option<(Option<String>, Option<String>)>,
) -> Result<ComplianceCheck, AppError> {
    let filter = FindingFilter {
        visible,
        ..Default::default()
    };
    let (findings, _) = store::findings(conn, &row.id, &filter, None, None)?;
    let mut by_rule: BTreeMap<String, u32> = BTreeMap::new();
    for f in &findings {
        *by_rule.entry(f.rule.clone()).or_default() += 1;
    }
    let mine = |u: &str| only_unit.is_none_or(|o| o == u);
    let listed: Vec<Listing> = serde_json::from_str(&row.listed).map_err(|_| bad("listed"))?;
    let progress: Vec<Progress> =
        serde_json::from_str(&row.progress).map_err(|_| bad("progress"))?;
    Ok(ComplianceCheck {
        finding_count: findings.len() as u32,
        findings_by_rule: by_rule,
        scores: store::scores(conn, &row.id, only_unit)?
            .into_iter()
            .map(score_of)
            .collect(),
        listed: listed.into_iter().filter(|l| mine(&l.unit_id)).collect(),
        progress: progress.into_iter().filter(|p| mine(&p.unit_id)).collect(),
        inputs: serde_json::from_str(&row.inputs).map_err(|_| bad("inputs"))?,
        settings: serde_json::from_str(&row.settings).map_err(|_| bad("settings"))?,
        activity: row
            .activity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| bad("activity"))?,
        created_at: crate::store::utc(row.created_at),
        id: row.id,
        period: row.period,
        unit_id: row.unit_id,
        evaluated_on: row.evaluated_on,
        previous_check_id: row.previous_check_id,
        created_by: row.created_by,
    })
}

/// The settings of a run from the configuration and the working calendar.
fn settings(
    conn: &mut AnyConnection,
    config: &Config,
) -> Result<(Settings, SettingsUsed), AppError> {
    let names = [
        "filing",
        "recheck",
        "issue_list",
        "monthly_report",
        "quarterly_summary",
    ];
    let any_working = names
        .iter()
        .any(|n| config.day_count(n) == DayCount::Working);
    let calendar = crate::store::reports::calendar_for(
        conn,
        if any_working {
            DayCount::Working
        } else {
            DayCount::Calendar
        },
    )?;
    let used = SettingsUsed {
        filing_days: config.filing_days,
        filing_count: config.day_count("filing"),
        immediate_response_days: config.immediate_response_days,
        recheck_days: config.recheck_days,
        recheck_count: config.day_count("recheck"),
        issue_list_day: config.issue_list_day,
        issue_list_count: config.day_count("issue_list"),
        monthly_report_day: config.monthly_report_day,
        monthly_report_count: config.day_count("monthly_report"),
        quarterly_summary_day: config.quarterly_summary_day,
        quarterly_summary_count: config.day_count("quarterly_summary"),
        deductions: config.compliance_points.clone(),
        holidays: calendar.holidays.iter().copied().collect(),
        workdays: calendar.workdays.iter().copied().collect(),
    };
    let s = Settings {
        filing: FilingRule {
            days: used.filing_days,
            count: used.filing_count,
            calendar: calendar.clone(),
        },
        recheck: RecheckRule {
            days: used.recheck_days,
            count: used.recheck_count,
            calendar: calendar.clone(),
        },
        calendar,
        issue_list_day: used.issue_list_day,
        issue_list_count: used.issue_list_count,
        monthly_report_day: used.monthly_report_day,
        monthly_report_count: used.monthly_report_count,
        quarterly_summary_day: used.quarterly_summary_day,
        quarterly_summary_count: used.quarterly_summary_count,
        deductions: used.deductions.clone(),
    };
    Ok((s, used))
}

/// Runs a compliance check (the coordinator; a lead for its own activity): loads the period's
/// records as they stood at the end of the evaluation date, runs R1–R13, scores every unit
/// from 100, lists units for the bulletin, and stores the run, which never changes. A unit
/// with issues overdue in this run and in the previous period's run is listed as repeatedly
/// overdue.
#[utoipa::path(
    tag = "compliance",
    operation_id = "create_compliance_check",
    request_body(content = CreateCheck, content_type = "application/json"),
    responses(
        (status = 201, description = "Run and stored", body = ComplianceCheck, headers(("Location" = String, description = "The run's URL"))),
        BodyErrors, AuthErrors, CommonErrors
    ),
    security(("bearer" = []))
)]
#[post("/compliance-checks")]
pub async fn create_compliance_check(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateCheck>,
) -> Result<HttpResponse, AppError> {
    if !matches!(
        user.role,
        crate::domain::account::Role::Coordinator | crate::domain::account::Role::Lead
    ) {
        policy::run_compliance_check(&user, None)?;
    }
    let b = body.into_inner()?;
    let activity = policy::run_compliance_check(&user, b.activity)?;
    let today = local_date(Utc::now());
    let mut issues = Vec::new();
    let period = match b.period.parse::<CheckPeriod>() {
        Ok(p) if p.first_day() <= today => Some(p),
        Ok(_) => {
            issues.push(FieldIssue::new(
                "period",
                "not_begun",
                "该期间尚未开始",
                "the period has not begun",
            ));
            None
        }
        Err(e) => {
            issues.push(FieldIssue::new(
                "period",
                "invalid_period",
                "须为季度（如 2026-Q3）或年份（如 2026）",
                e.to_string(),
            ));
            None
        }
    };
    let evaluated_on = b.evaluated_on.unwrap_or(today);
    if evaluated_on > today {
        issues.push(FieldIssue::new(
            "evaluated_on",
            "future",
            "检查日期不能晚于今天",
            "the evaluation date cannot be later than today",
        ));
    } else if period.is_some_and(|p| evaluated_on < p.first_day()) {
        issues.push(FieldIssue::new(
            "evaluated_on",
            "before_period",
            "检查日期不能早于期间开始",
            "the evaluation date cannot be before the period begins",
        ));
    }
    let unit_id = match b.unit_id.as_deref().map(crate::api::units::parse_id) {
        None => None,
        Some(Ok(id)) => Some(id.to_string()),
        Some(Err(_)) => {
            issues.push(FieldIssue::new(
                "unit_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            ));
            None
        }
    };
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let period = period.ok_or_else(|| bad("period"))?;
    let config = config.into_inner();
    let actx = ctx.audit(Some(&user));
    let created_by = user.id.clone();
    let check = crate::db::run(&pool, move |conn| {
        // Read and judge in one read-only snapshot (no write lock held meanwhile), then store
        // the run and its audit record in one short write transaction.
        let (row, finding_rows, score_rows) = diesel::Connection::transaction::<_, AppError, _>(conn, |conn| {
            if let AnyConnection::Postgresql(c) = conn {
                use diesel::RunQueryDsl;
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(c)?;
            }
            let (settings, used) = settings(conn, &config)?;
            let (input, summary) = store::load(conn, period, evaluated_on)?;
            if let Some(u) = &unit_id {
                if !input.units.iter().any(|x| &x.id == u) {
                    return Err(AppError::Validation(vec![FieldIssue::new("unit_id", "unknown_unit", "没有该单位", "no unit has this id")]));
                }
            }
            let outcome = rules::evaluate(&input, &settings);
            let scope = rules::Scope { unit_id: unit_id.clone(), activity };
            let units: Vec<rules::UnitFacts> = input.units.iter().filter(|u| scope.has_unit(u)).cloned().collect();
            let ids: HashSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
            let findings: Vec<Finding> = outcome.findings.into_iter().filter(|f| scope.has_finding(f)).collect();
            let scores = rules::scores(&units, &findings);
            let prev = period.prev();
            let until = crate::domain::calendar::end_of_day(evaluated_on);
            let previous = match store::previous(conn, &prev.to_string(), prev.last_day(), unit_id.as_deref(), activity.map(|a| a.as_str()), until)? {
                None => None,
                Some(prev) => {
                    let filter = FindingFilter { rule: Some(Rule::R10.as_str().to_owned()), ..Default::default() };
                    let (rows, _) = store::findings(conn, &prev.id, &filter, None, None)?;
                    let mut overdue: BTreeMap<String, Vec<String>> = BTreeMap::new();
                    for r in rows {
                        let f = finding_of(r)?;
                        if let Some(u) = f.unit_id {
                            overdue.entry(u).or_default().extend(f.evidence.issues);
                        }
                    }
                    Some(PreviousCheck { id: prev.id, overdue })
                }
            };
            let listed: Vec<Listing> = rules::bulletin_list(&input, &findings, previous.as_ref())
                .into_iter()
                .filter(|l| ids.contains(l.unit_id.as_str()))
                .collect();
            let progress: Vec<Progress> = outcome.progress.into_iter().filter(|p| ids.contains(p.unit_id.as_str())).collect();
            let id = uuid::Uuid::now_v7().to_string();
            let row = CheckRow {
                id: id.clone(),
                period: period.to_string(),
                unit_id: unit_id.clone(),
                activity: activity.map(|a| a.as_str().to_owned()),
                evaluated_on,
                inputs: json(&summary)?,
                settings: json(&used)?,
                progress: json(&progress)?,
                listed: json(&listed)?,
                previous_check_id: previous.as_ref().map(|p| p.id.clone()),
                finding_count: findings.len() as i32,
                created_by: Some(created_by.clone()),
                created_at: crate::store::now(),
            };
            let finding_rows = findings
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(FindingRow {
                        check_id: id.clone(),
                        seq: i as i32 + 1,
                        rule: f.rule.as_str().to_owned(),
                        finding_key: f.key.clone(),
                        unit_id: f.unit_id.clone(),
                        activity: f.activity.map(|a| a.as_str().to_owned()),
                        subject_period: f.subject_period.clone(),
                        severity: f.severity.as_str().to_owned(),
                        code: f.code.clone(),
                        message_zh: f.message_zh.clone(),
                        message_en: f.message_en.clone(),
                        evidence: json(&f.evidence)?,
                        clause: f.clause.clone(),
                        due_on: f.due_on,
                        points: i32::try_from(f.points).unwrap_or(i32::MAX),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let score_rows: Vec<ScoreRow> = scores
                .iter()
                .map(|s| ScoreRow {
                    check_id: id.clone(),
                    unit_id: s.unit_id.clone(),
                    unit_name: s.unit_name.clone(),
                    rank: s.rank as i32,
                    score: s.score as i32,
                    deducted: i32::try_from(s.deducted).unwrap_or(i32::MAX),
                    findings: s.findings as i32,
                })
                .collect();
            Ok((row, finding_rows, score_rows))
        })?;
        write_transaction(conn, |conn| {
            store::insert(conn, &row, &finding_rows, &score_rows)?;
            let changes = serde_json::json!({"period": {"before": null, "after": row.period}, "evaluated_on": {"before": null, "after": row.evaluated_on}, "unit_id": {"before": null, "after": row.unit_id}, "activity": {"before": null, "after": row.activity}, "findings": {"before": null, "after": row.finding_count}});
            audit::record(conn, &actx, AuditEntry { action: "compliance_check.create", target_type: Some("compliance_check"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            view(conn, row, None, None)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/compliance-checks/{}", check.id),
        ))
        .json(check))
}

/// A run as listed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckSummary {
    /// Id.
    pub id: String,
    /// The period.
    pub period: String,
    /// The one unit it was limited to.
    pub unit_id: Option<String>,
    /// The one activity it was limited to.
    pub activity: Option<Activity>,
    /// The evaluation date.
    pub evaluated_on: NaiveDate,
    /// Its findings (all units).
    pub finding_count: u32,
    /// The previous period's run it compared with.
    pub previous_check_id: Option<String>,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

/// One page of runs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckList {
    /// Runs, oldest first.
    pub items: Vec<CheckSummary>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Query parameters of the run list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListChecksParams {
    /// Only runs of this period (`2026-Q3` or `2026`).
    pub period: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists the runs (every signed-in account; a unit account sees the district-wide runs and those
/// limited to its own unit, and reads its own part of each).
#[utoipa::path(
    tag = "compliance",
    operation_id = "list_compliance_checks",
    params(ListChecksParams),
    responses((status = 200, description = "One page of runs", body = CheckList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/compliance-checks")]
pub async fn list_compliance_checks(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListChecksParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    if let Some(raw) = p.period.as_deref() {
        if raw.parse::<CheckPeriod>().is_err() {
            params.refuse(FieldIssue::new(
                "period",
                "invalid_period",
                "须为季度（如 2026-Q3）或年份（如 2026）",
                "a quarter like 2026-Q3 or a year like 2026",
            ));
        }
    }
    params.finish()?;
    let period = p.period;
    let only = policy::compliance_unit_scope(&user);
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(
            conn,
            period.as_deref(),
            only.as_deref(),
            after.as_deref(),
            limit,
        )
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |r| &r.id);
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(CheckSummary {
                activity: r
                    .activity
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| bad("activity"))?,
                finding_count: u32::try_from(r.finding_count).unwrap_or(0),
                created_at: crate::store::utc(r.created_at),
                id: r.id,
                period: r.period,
                unit_id: r.unit_id,
                evaluated_on: r.evaluated_on,
                previous_check_id: r.previous_check_id,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(HttpResponse::Ok().json(CheckList { items, next_cursor }))
}

async fn load_check(pool: &DbPool, id: &str) -> Result<CheckRow, AppError> {
    let id = crate::api::units::parse_id(id)?.to_string();
    crate::db::run(pool, move |conn| {
        store::get(conn, &id)?.ok_or(AppError::NotFound {
            resource: "compliance_check",
            id,
        })
    })
    .await
}

/// Reads a run: its inputs' summary, settings, scores, bulletin list and progress (a unit
/// account: its own unit's part only).
#[utoipa::path(
    tag = "compliance",
    operation_id = "get_compliance_check",
    params(("id" = String, Path, format = Uuid, description = "The run's id")),
    responses((status = 200, description = "The run", body = ComplianceCheck), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/compliance-checks/{id}")]
pub async fn get_compliance_check(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let row = load_check(&pool, &id).await?;
    let only = policy::compliance_unit_scope(&user);
    let visible = visible_to(&user);
    let check =
        crate::db::run(&pool, move |conn| view(conn, row, only.as_deref(), visible)).await?;
    Ok(HttpResponse::Ok().json(check))
}

/// Query parameters of a run's findings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFindingsParams {
    /// Only this rule, `R1`–`R13`.
    pub rule: Option<String>,
    /// Only this unit (a unit account may name only its own).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Only this severity: `minor`, `major` or `serious`.
    pub severity: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of findings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingList {
    /// Findings, by rule then key.
    pub items: Vec<Finding>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The findings a caller may read, as the store's filter wants them.
fn visible_to(user: &AuthUser) -> Option<(Option<String>, Option<String>)> {
    policy::compliance_finding_scope(user)
        .map(|(unit, activity)| (unit, activity.map(|a| a.as_str().to_owned())))
}

/// The filter a caller's query asks for, within what it may read.
fn finding_filter(
    user: &AuthUser,
    rule: Option<&str>,
    unit: Option<&str>,
    severity: Option<&str>,
    params: &mut Params,
) -> Result<FindingFilter, AppError> {
    let rule = params
        .enumeration::<Rule>("rule", rule)
        .map(|r| r.as_str().to_owned());
    let severity = params
        .enumeration::<Severity>("severity", severity)
        .map(|s| s.as_str().to_owned());
    let unit_id = params.uuid("unit_id", unit);
    if let (Some(mine), Some(asked)) = (policy::compliance_unit_scope(user), &unit_id) {
        if &mine != asked {
            return Err(AppError::Forbidden { code: "unit" });
        }
    }
    Ok(FindingFilter {
        rule,
        unit_id,
        severity,
        visible: visible_to(user),
    })
}

/// Lists a run's findings, each with its rule, unit, severity, messages, evidence, clause and
/// points; filtered by rule, unit and severity (a unit account: its own only).
#[utoipa::path(
    tag = "compliance",
    operation_id = "list_compliance_findings",
    params(("id" = String, Path, format = Uuid, description = "The run's id"), ListFindingsParams),
    responses((status = 200, description = "One page of findings", body = FindingList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/compliance-checks/{id}/findings")]
pub async fn list_compliance_findings(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    params: web::Query<ListFindingsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    let filter = finding_filter(
        &user,
        p.rule.as_deref(),
        p.unit_id.as_deref(),
        p.severity.as_deref(),
        &mut params,
    );
    let after = match after.as_deref().map(str::parse::<i32>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            params.refuse(FieldIssue::new(
                "cursor",
                "invalid_cursor",
                "分页游标无效，请使用上一页返回的 next_cursor",
                "invalid cursor: pass the next_cursor of the previous page",
            ));
            None
        }
    };
    params.finish()?;
    let filter = filter?;
    let row = load_check(&pool, &id).await?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::findings(conn, &row.id, &filter, after, Some(limit))
    })
    .await?;
    let next_cursor = if more {
        rows.last()
            .map(|r| crate::api::pagination::encode_cursor(&r.seq.to_string()))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(finding_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(FindingList { items, next_cursor }))
}

/// A run's scores.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ScoreList {
    /// Best first; equal scores share a rank.
    pub items: Vec<Score>,
}

/// A run's scores, ranked (a unit account: its own only).
#[utoipa::path(
    tag = "compliance",
    operation_id = "list_compliance_scores",
    params(("id" = String, Path, format = Uuid, description = "The run's id")),
    responses((status = 200, description = "The scores, best first", body = ScoreList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/compliance-checks/{id}/scores")]
pub async fn list_compliance_scores(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let row = load_check(&pool, &id).await?;
    let only = policy::compliance_unit_scope(&user);
    let items = crate::db::run(&pool, move |conn| {
        store::scores(conn, &row.id, only.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(ScoreList {
        items: items.into_iter().map(score_of).collect(),
    }))
}

/// Query parameters of an export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckExportParams {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

fn evidence_text(e: &rules::Evidence) -> String {
    let parts = [
        ("participations", &e.participations),
        ("issues", &e.issues),
        ("reports", &e.reports),
        ("schedules", &e.schedules),
        ("triggers", &e.triggers),
        ("issue_lists", &e.issue_lists),
        ("draws", &e.draws),
        ("matters", &e.matters),
    ];
    let mut text = parts
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(k, ids)| format!("{k}: {}", ids.join(",")))
        .collect::<Vec<_>>()
        .join("; ");
    // A spreadsheet cell holds at most 32,767 characters.
    if text.len() > MAX_CELL {
        let mut end = MAX_CELL;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" …");
    }
    text
}

/// The most characters of evidence an exported cell holds (the API has it all).
const MAX_CELL: usize = 32_000;

/// Exports a run: its findings and its scores, as XLSX (two sheets) or CSV (UTF-8 with BOM,
/// the scores after the findings); a unit account gets its own part only.
#[utoipa::path(
    tag = "compliance",
    operation_id = "get_compliance_check_export",
    params(("id" = String, Path, format = Uuid, description = "The run's id"), CheckExportParams),
    responses(
        (status = 200, description = "The findings and scores: an XLSX workbook or CSV (UTF-8 with BOM), by `format`", content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        ParameterErrors, AuthErrors, NotFoundError, CommonErrors
    ),
    security(("bearer" = []))
)]
#[get("/compliance-checks/{id}/export")]
pub async fn get_compliance_check_export(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    params: web::Query<CheckExportParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let format = p
        .enumeration::<ExportFormat>("format", params.format.as_deref())
        .unwrap_or(ExportFormat::Xlsx);
    p.finish()?;
    let row = load_check(&pool, &id).await?;
    let only = policy::compliance_unit_scope(&user);
    let visible = visible_to(&user);
    let period = row.period.clone();
    // Reading, laying out and writing the file all run off the actix worker.
    let (bytes, mime, ext) = crate::db::run(&pool, move |conn| {
        let filter = FindingFilter {
            visible,
            ..Default::default()
        };
        let (findings, _) = store::findings(conn, &row.id, &filter, None, None)?;
        let all_scores = store::scores(conn, &row.id, None)?;
        // The names the run scored under; today's for a unit it did not score.
        let mut names: HashMap<String, String> =
            crate::store::units::list(conn, &Default::default(), None, 100_000)?
                .items
                .into_iter()
                .map(|u| (u.id.to_string(), u.name))
                .collect();
        for s in &all_scores {
            names.insert(s.unit_id.clone(), s.unit_name.clone());
        }
        let scores = all_scores
            .into_iter()
            .filter(|s| only.as_deref().is_none_or(|u| u == s.unit_id));
        let mut rows: Vec<Vec<String>> = vec![[
            "序号",
            "规则",
            "单位",
            "活动",
            "所属期间",
            "严重程度",
            "代码",
            "说明",
            "Message",
            "依据条款",
            "期限",
            "扣分",
            "证据",
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect()];
        for r in findings {
            let seq = r.seq;
            let f = finding_of(r)?;
            rows.push(vec![
                seq.to_string(),
                f.rule.to_string(),
                f.unit_id
                    .as_ref()
                    .map(|u| names.get(u).cloned().unwrap_or_else(|| u.clone()))
                    .unwrap_or_default(),
                f.activity.map(|a| a.zh().to_owned()).unwrap_or_default(),
                f.subject_period.clone().unwrap_or_default(),
                f.severity.to_string(),
                f.code.clone(),
                f.message_zh.clone(),
                f.message_en.clone(),
                f.clause.clone(),
                f.due_on.map(|d| d.to_string()).unwrap_or_default(),
                f.points.to_string(),
                evidence_text(&f.evidence),
            ]);
        }
        let mut score_rows: Vec<Vec<String>> = vec![["单位", "排名", "得分", "扣分", "问题数"]
            .iter()
            .map(|t| (*t).to_owned())
            .collect()];
        for s in scores {
            score_rows.push(vec![
                s.unit_name,
                s.rank.to_string(),
                s.score.to_string(),
                s.deducted.to_string(),
                s.findings.to_string(),
            ]);
        }
        table_file(&[("问题", rows), ("得分", score_rows)], format)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"compliance-{period}.{ext}\""),
        ))
        .body(bytes))
}

/// Query parameters of a comparison.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The run to compare with.
    #[param(format = Uuid, required = true, value_type = String)]
    pub against: Option<String>,
}

/// How a run differs from another.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckDiff {
    /// This run.
    pub check_id: String,
    /// The other.
    pub against: String,
    /// The findings, compared by key.
    #[serde(flatten)]
    pub diff: Diff,
}

/// Compares a run with another finding by finding (matched by key): added, gone and changed
/// (a unit account: its own findings only).
#[utoipa::path(
    tag = "compliance",
    operation_id = "get_compliance_check_diff",
    params(("id" = String, Path, format = Uuid, description = "The run's id"), DiffParams),
    responses((status = 200, description = "The difference", body = CheckDiff), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/compliance-checks/{id}/diff")]
pub async fn get_compliance_check_diff(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    params: web::Query<DiffParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let against = p.uuid("against", params.against.as_deref());
    if params.against.is_none() {
        p.refuse(FieldIssue::new(
            "against",
            "required",
            "须指定对比的检查",
            "the run to compare with is required",
        ));
    }
    p.finish()?;
    let against = against.ok_or_else(|| bad("against"))?;
    let row = load_check(&pool, &id).await?;
    let other = load_check(&pool, &against).await?;
    let visible = visible_to(&user);
    let (now, before) = crate::db::run(&pool, move |conn| {
        let filter = FindingFilter {
            visible,
            ..Default::default()
        };
        let (a, _) = store::findings(conn, &row.id, &filter, None, None)?;
        let (b, _) = store::findings(conn, &other.id, &filter, None, None)?;
        Ok((a, b))
    })
    .await?;
    let now = now
        .into_iter()
        .map(finding_of)
        .collect::<Result<Vec<_>, _>>()?;
    let before = before
        .into_iter()
        .map(finding_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(CheckDiff {
        check_id: crate::api::units::parse_id(&id)?.to_string(),
        against,
        diff: rules::diff(&now, &before),
    }))
}

/// What a bulletin takes from a district-wide run of its quarter: the ranked scores and, by
/// unit, why it is listed and how many of its issues were overdue.
pub fn for_bulletin(
    conn: &mut AnyConnection,
    check_id: &str,
    quarter: &str,
) -> Result<Option<(BulletinCompliance, Vec<crate::api::bulletins::ListedUnit>)>, AppError> {
    let Some(row) = store::get(conn, check_id)? else {
        return Ok(None);
    };
    let ended = quarter
        .parse::<crate::domain::calendar::Quarter>()
        .is_ok_and(|q| row.evaluated_on >= q.last_day());
    if row.period != quarter || row.unit_id.is_some() || row.activity.is_some() || !ended {
        return Ok(None);
    }
    let scores = store::scores(conn, &row.id, None)?;
    let names: HashMap<String, String> = scores
        .iter()
        .map(|s| (s.unit_id.clone(), s.unit_name.clone()))
        .collect();
    let filter = FindingFilter {
        rule: Some(Rule::R10.as_str().to_owned()),
        ..Default::default()
    };
    let (overdue, _) = store::findings(conn, &row.id, &filter, None, None)?;
    let mut overdue_of: HashMap<String, u32> = HashMap::new();
    for f in overdue {
        if let Some(u) = f.unit_id {
            *overdue_of.entry(u).or_default() += 1;
        }
    }
    let listed: Vec<Listing> = serde_json::from_str(&row.listed).map_err(|_| bad("listed"))?;
    let mut by_unit: BTreeMap<String, (Vec<crate::domain::stats::ListedReason>, Vec<Listing>)> =
        BTreeMap::new();
    for l in listed {
        let (reasons, details) = by_unit.entry(l.unit_id.clone()).or_default();
        if !reasons.contains(&l.reason) {
            reasons.push(l.reason);
        }
        details.push(l);
    }
    let units = by_unit
        .into_iter()
        .map(|(unit_id, (mut reasons, details))| {
            reasons.sort();
            crate::api::bulletins::ListedUnit {
                unit_name: names.get(&unit_id).cloned().unwrap_or_default(),
                overdue_issues: overdue_of.get(&unit_id).copied().unwrap_or(0),
                unit_id,
                reasons,
                details,
            }
        })
        .collect();
    Ok(Some((
        BulletinCompliance {
            check_id: row.id,
            evaluated_on: row.evaluated_on,
            scores: scores
                .into_iter()
                .map(|s| RankedScore {
                    rank: u32::try_from(s.rank).unwrap_or(0),
                    unit_id: s.unit_id,
                    unit_name: s.unit_name,
                    score: u32::try_from(s.score).unwrap_or(0),
                })
                .collect(),
        },
        units,
    )))
}

/// A unit's place in a bulletin's ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RankedScore {
    /// Rank, 1 best.
    pub rank: u32,
    /// The unit.
    pub unit_id: String,
    /// Its name.
    pub unit_name: String,
    /// Its score, 0–100.
    pub score: u32,
}

/// The compliance run a bulletin draws on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulletinCompliance {
    /// The run.
    pub check_id: String,
    /// Its evaluation date.
    pub evaluated_on: NaiveDate,
    /// The ranked scores.
    pub scores: Vec<RankedScore>,
}
