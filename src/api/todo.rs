//! `GET /api/v1/todo`: what is due and overdue for the caller, by role.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problems::{AuthErrors, CommonErrors};
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::{AnyConnection, DbPool};
use crate::domain::account::Role;
use crate::domain::calendar::{self, local_date, Quarter};
use crate::domain::ledger;
use crate::domain::todo::{self, TodoItem, TodoKind};
use crate::domain::unit::Activity;
use crate::error::AppError;
use crate::store::{issues, participations, reports, schedules};

/// The caller's to-do list.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Todo {
    /// The local date it was made for.
    pub today: NaiveDate,
    /// What to do, soonest first.
    pub items: Vec<TodoItem>,
}

/// How far ahead an issue's deadline is shown.
const ISSUE_HORIZON_DAYS: i64 = 7;
/// The most records of one kind listed.
const MAX: i64 = 200;

fn activity_zh(a: &str) -> &'static str {
    a.parse::<crate::domain::unit::Activity>()
        .map_or("", |a| a.zh())
}

fn unit_items(
    conn: &mut AnyConnection,
    unit: &str,
    config: &Config,
    today: NaiveDate,
    out: &mut Vec<TodoItem>,
) -> Result<(), AppError> {
    let filing = crate::api::participations::filing_rule(
        conn,
        config.filing_days,
        config.day_count("filing"),
    )?;
    let list_count = config.day_count("issue_list");
    let list_calendar = crate::store::reports::calendar_for(conn, list_count)?;
    for status in ["draft", "returned"] {
        for (id, activity, activity_on) in participations::heads(conn, unit, status, MAX)? {
            let (kind, verb) = if status == "draft" {
                (TodoKind::FileParticipation, "备案")
            } else {
                (TodoKind::CorrectParticipation, "修改后重新备案（已退回）")
            };
            let due = filing.due(activity_on);
            out.push(TodoItem::new(
                kind,
                format!("{activity_on} {}活动记录待{verb}", activity_zh(&activity)),
                Some(format!("/api/v1/participations/{id}")),
                Some(due),
                today,
            ));
        }
    }
    let mut due = Vec::new();
    for status in ["open", "rectifying"] {
        let f = issues::Filter {
            unit_id: Some(unit.to_owned()),
            status: Some(status.into()),
            due_before: Some(today + chrono::Duration::days(ISSUE_HORIZON_DAYS + 1)),
            ..Default::default()
        };
        due.extend(issues::list(conn, &f, None, MAX)?.0);
    }
    for i in due {
        out.push(TodoItem::new(
            TodoKind::IssueDeadline,
            format!(
                "问题台账第{}号整改时限将至或已逾期：{}",
                i.seq, i.description
            ),
            Some(format!("/api/v1/issues/{}", i.id)),
            i.deadline,
            today,
        ));
    }
    let quarter = Quarter::of(today);
    if reports_lists_missing(conn, unit, quarter)? {
        let due =
            calendar::due_in_last_month(quarter, config.issue_list_day, &list_calendar, list_count);
        out.push(TodoItem::new(
            TodoKind::SendIssueList,
            format!("报送 {quarter} 问题清单、需求清单和解决措施清单"),
            None,
            Some(due),
            today,
        ));
    }
    let (triggers, _) = schedules::list_triggers(conn, Some(unit), None, MAX)?;
    let ids: Vec<String> = triggers.iter().map(|t| t.id.clone()).collect();
    let answers = participations::trigger_answers(conn, &ids)?;
    for t in triggers {
        if !crate::domain::trigger::answered(&t.id, &t.unit_id, t.raised_on, t.due_on, &answers) {
            out.push(TodoItem::new(
                TodoKind::AnswerTrigger,
                format!("即时体验待开展：{}", t.description),
                None,
                Some(t.due_on),
                today,
            ));
        }
    }
    Ok(())
}

fn reports_lists_missing(
    conn: &mut AnyConnection,
    unit: &str,
    quarter: Quarter,
) -> Result<bool, AppError> {
    Ok(
        issues::lists(conn, Some(unit), Some(&quarter.to_string()), None, 1)?
            .0
            .is_empty(),
    )
}

/// The filed participations and resolved or closed issues the caller reviews.
#[allow(clippy::too_many_arguments)]
fn review_items(
    conn: &mut AnyConnection,
    activity: Option<Activity>,
    own_unit: Option<&str>,
    lead_units: &HashMap<String, String>,
    coordinator: bool,
    config: &Config,
    today: NaiveDate,
    out: &mut Vec<TodoItem>,
) -> Result<(), AppError> {
    // Whose records: a lead reviews its activity's other units; the coordinator the lead
    // departments' own records and the issues without activity.
    let mine = |unit: &str, act: Option<&str>| -> bool {
        if coordinator {
            // A lead department's own record of the activity it leads (policy::review_*).
            act.is_none() || lead_units.get(unit).map(String::as_str) == act
        } else {
            act == activity.map(|a| a.as_str()) && own_unit != Some(unit)
        }
    };
    // The coordinator's filings are the lead departments' own: one query per lead unit.
    let filters: Vec<participations::Filter> = if coordinator {
        lead_units
            .iter()
            .map(|(unit, act)| participations::Filter {
                unit_id: Some(unit.clone()),
                activity: Some(act.clone()),
                status: Some("filed".into()),
                ..Default::default()
            })
            .collect()
    } else {
        vec![participations::Filter {
            activity: activity.map(|a| a.as_str().to_owned()),
            status: Some("filed".into()),
            ..Default::default()
        }]
    };
    let mut filed = Vec::new();
    for f in &filters {
        filed.extend(participations::list(conn, f, None, MAX)?.0);
    }
    for p in filed {
        if mine(&p.unit_id, Some(&p.activity)) {
            out.push(TodoItem::new(
                TodoKind::ReviewParticipation,
                format!(
                    "{} {}活动记录待接收",
                    p.activity_on,
                    activity_zh(&p.activity)
                ),
                Some(format!("/api/v1/participations/{}", p.id)),
                None,
                today,
            ));
        }
    }
    let f = issues::Filter {
        activity: activity.map(|a| a.as_str().to_owned()),
        status: Some("resolved".into()),
        ..Default::default()
    };
    for i in issues::list(conn, &f, None, MAX)?.0 {
        if mine(&i.unit_id, i.activity.as_deref()) {
            out.push(TodoItem::new(
                TodoKind::CloseIssue,
                format!("问题已整改待销号：{}", i.description),
                Some(format!("/api/v1/issues/{}", i.id)),
                None,
                today,
            ));
        }
    }
    let recheck = ledger::RecheckRule {
        days: config.recheck_days,
        count: config.day_count("recheck"),
        calendar: reports::calendar_for(conn, config.day_count("recheck"))?,
    };
    let since = recheck
        .window_start(today)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        - chrono::Duration::hours(8);
    let f = issues::Filter {
        activity: activity.map(|a| a.as_str().to_owned()),
        recheck_since: Some(since),
        ..Default::default()
    };
    for i in issues::list(conn, &f, None, MAX)?.0 {
        if mine(&i.unit_id, i.activity.as_deref()) {
            let closed_on = i.closed_at.map(|c| local_date(crate::store::utc(c)));
            out.push(TodoItem::new(
                TodoKind::RecheckIssue,
                format!("已销号问题待回头看：{}", i.description),
                Some(format!("/api/v1/issues/{}", i.id)),
                closed_on.map(|c| recheck.due_on(c)),
                today,
            ));
        }
    }
    Ok(())
}

fn schedule_items(
    conn: &mut AnyConnection,
    status: &str,
    activity: Option<Activity>,
    kind: TodoKind,
    verb: &str,
    today: NaiveDate,
    out: &mut Vec<TodoItem>,
) -> Result<(), AppError> {
    let f = schedules::ScheduleFilter {
        activity: activity.map(|a| a.as_str().to_owned()),
        status: Some(status.into()),
        ..Default::default()
    };
    for s in schedules::list(conn, &f, None, MAX)?.0 {
        let due = s
            .quarter
            .parse::<Quarter>()
            .ok()
            .and_then(|q| q.first_day().pred_opt());
        out.push(TodoItem::new(
            kind,
            format!("{}待{verb}", s.title),
            Some(format!("/api/v1/schedules/{}", s.id)),
            due,
            today,
        ));
    }
    Ok(())
}

fn lead_report_items(
    conn: &mut AnyConnection,
    activity: Activity,
    config: &Config,
    today: NaiveDate,
    out: &mut Vec<TodoItem>,
) -> Result<(), AppError> {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let last_month = (this_month - chrono::Duration::days(1))
        .with_day(1)
        .unwrap_or(this_month);
    let month = last_month.format("%Y-%m").to_string();
    if reports::latest(conn, "monthly", &month, activity.as_str())?.is_none() {
        let count = config.day_count("monthly_report");
        let cal = reports::calendar_for(conn, count)?;
        let due = calendar::monthly_report_due(last_month, config.monthly_report_day, &cal, count);
        out.push(TodoItem::new(
            TodoKind::SubmitReport,
            format!("报送 {month} 月度统计"),
            None,
            Some(due),
            today,
        ));
    }
    let quarter = Quarter::of(today);
    if reports::latest(conn, "quarterly", &quarter.to_string(), activity.as_str())?.is_none() {
        let count = config.day_count("quarterly_summary");
        let cal = reports::calendar_for(conn, count)?;
        let due = calendar::due_in_last_month(quarter, config.quarterly_summary_day, &cal, count);
        out.push(TodoItem::new(
            TodoKind::SubmitReport,
            format!("报送 {quarter} 季度总结"),
            None,
            Some(due),
            today,
        ));
    }
    Ok(())
}

/// What is due and overdue for the caller, soonest first: for a unit, its participations to
/// file or correct, its issues past or near their deadline, its quarter's lists, its unanswered
/// triggers; for a lead, also the filings and issues to review, re-checks due, its reports and
/// schedules to publish; for the coordinator, schedules to review and the lead departments' own
/// records; for a leader, schedules to approve.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_todo",
    responses((status = 200, description = "The caller's to-do list", body = Todo), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/todo")]
pub async fn get_todo(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let config = config.into_inner();
    let today = local_date(Utc::now());
    let items = crate::db::run(&pool, move |conn| {
        crate::db::read_snapshot(conn, |conn| items_of(conn, &user, &config, today))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Todo { today, items }))
}

/// The caller's items, soonest first.
fn items_of(
    conn: &mut AnyConnection,
    user: &AuthUser,
    config: &Config,
    today: NaiveDate,
) -> Result<Vec<TodoItem>, AppError> {
    let mut out = Vec::new();
    let own = user.unit_id.clone();
    // Only the coordinator and the leads review, and only they need to know which units
    // lead an activity; a unit's list reads its own unit alone (the list of all units was
    // most of the time of /todo at city scale: benches/RESULTS.md).
    let lead_units: HashMap<String, String> = if matches!(user.role, Role::Lead | Role::Coordinator)
    {
        crate::store::units::list(conn, &Default::default(), None, 10_000)?
            .items
            .iter()
            .filter_map(|u| {
                u.lead_activity
                    .map(|a| (u.id.to_string(), a.as_str().to_owned()))
            })
            .collect()
    } else {
        HashMap::new()
    };
    if matches!(user.role, Role::Unit | Role::Lead) {
        let own_unit = match own.as_deref().map(uuid::Uuid::parse_str) {
            Some(Ok(id)) => crate::store::units::get(conn, crate::domain::unit::UnitId(id))?,
            _ => None,
        };
        // A unit that takes part in no activity has nothing of its own to do.
        if let Some(unit) = own_unit.filter(|u| !u.categories.is_empty()) {
            unit_items(conn, &unit.id.to_string(), config, today, &mut out)?;
        }
    }
    match user.role {
        Role::Lead => {
            if let Some(activity) = user.lead_activity {
                review_items(
                    conn,
                    Some(activity),
                    own.as_deref(),
                    &lead_units,
                    false,
                    config,
                    today,
                    &mut out,
                )?;
                lead_report_items(conn, activity, config, today, &mut out)?;
                schedule_items(
                    conn,
                    "approved",
                    Some(activity),
                    TodoKind::PublishSchedule,
                    "公布",
                    today,
                    &mut out,
                )?;
            }
        }
        Role::Coordinator => {
            review_items(
                conn,
                None,
                own.as_deref(),
                &lead_units,
                true,
                config,
                today,
                &mut out,
            )?;
            schedule_items(
                conn,
                "submitted",
                None,
                TodoKind::ReviewSchedule,
                "审核",
                today,
                &mut out,
            )?;
        }
        Role::Leader => {
            schedule_items(
                conn,
                "reviewed",
                None,
                TodoKind::ApproveSchedule,
                "审定",
                today,
                &mut out,
            )?;
        }
        Role::Unit | Role::Admin => {}
    }
    todo::sort(&mut out);
    Ok(out)
}
