//! Statistics of a period (四(二)): computed on request from accepted participations and the
//! ledger, grouped by unit, activity or lead department.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problems::{AuthErrors, CommonErrors, ParameterErrors};
use crate::api::query::Params;
use crate::auth::AuthUser;
use crate::db::DbPool;
use crate::domain::calendar::{local_date, Period};
use crate::domain::participation::Segment;
use crate::domain::stats::{self as rules, Figures, GroupBy, IssueFacts, ParticipationFacts};
use crate::domain::unit::Activity;
use crate::error::AppError;

/// Query parameters of the statistics.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// A month `2026-07`, a quarter `2026-Q3`, a year `2026`, or `2026-07-01..2026-09-30`.
    pub period: Option<String>,
    /// `unit` (default), `activity` or `lead`.
    pub group_by: Option<String>,
}

/// One group's figures.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct StatsGroup {
    /// The unit id, the activity, or the lead unit's id; `none` for issues without activity.
    pub key: String,
    /// The unit's name or the activity's; empty for `none`.
    pub name: String,
    /// The figures.
    pub figures: Figures,
}

/// The statistics of a period.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Stats {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The day overdue issues are counted at: the period's last day, or today while it runs.
    pub as_of: NaiveDate,
    /// How the groups are made.
    pub group_by: GroupBy,
    /// The groups, by key.
    pub groups: Vec<StatsGroup>,
    /// All groups together (within what the caller may see).
    pub total: Figures,
    /// The names of the matters experienced, by id.
    pub matter_names: BTreeMap<String, String>,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable {what}"))
}

/// The statistics of a period (monthly figures of 四(二) and more): the coordinator, leaders and
/// admins see every unit; a lead its activity; a unit its own figures.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_stats",
    params(StatsParams),
    responses((status = 200, description = "The figures", body = Stats), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/stats")]
pub async fn get_stats(
    user: AuthUser,
    pool: web::Data<DbPool>,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let group_by = params
        .enumeration::<GroupBy>("group_by", p.group_by.as_deref())
        .unwrap_or(GroupBy::Unit);
    let period = params.period("period", p.period.as_deref());
    params.finish()?;
    let period = period.ok_or_else(|| bad("period"))?;
    // What the caller sees: a lead its activity, a unit its own unit.
    let (only_activity, only_unit) = crate::auth::policy::stats_scope(&user);
    let today = local_date(Utc::now());
    let as_of = period.to.min(today);
    let stats = crate::db::run(&pool, move |conn| {
        compute_stats(
            conn,
            period,
            as_of,
            group_by,
            only_activity,
            only_unit.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// The statistics of `period` judged at `as_of`, grouped by `group_by`, within what a caller
/// limited to `only_activity` or `only_unit` may see: the computation both `GET /stats` and a
/// report's snapshot use.
pub fn compute_stats(
    conn: &mut crate::db::AnyConnection,
    period: Period,
    as_of: NaiveDate,
    group_by: GroupBy,
    only_activity: Option<Activity>,
    only_unit: Option<&str>,
) -> Result<Stats, AppError> {
    let units = crate::store::units::list(conn, &Default::default(), None, 10_000)?.items;
    let lead_of: BTreeMap<Activity, String> = units
        .iter()
        .filter_map(|u| u.lead_activity.map(|a| (a, u.id.to_string())))
        .collect();
    let names: HashMap<String, String> = units
        .iter()
        .map(|u| (u.id.to_string(), u.name.clone()))
        .collect();
    let visible = |unit: &str, activity: Option<Activity>| {
        only_unit.is_none_or(|u| u == unit) && only_activity.is_none_or(|a| activity == Some(a))
    };
    let mut parts = Vec::new();
    for r in crate::store::participations::accepted_between(conn, period.from, period.to)? {
        let activity: Activity = r.activity.parse().map_err(|_| bad("activity"))?;
        if !visible(&r.unit_id, Some(activity)) {
            continue;
        }
        let segments: Vec<Segment> =
            serde_json::from_str(&r.segments).map_err(|_| bad("segments"))?;
        let ratings = segments
            .iter()
            .flat_map(|s| match s {
                Segment::FollowUpCalls(w3) => w3.calls.clone(),
                _ => Vec::new(),
            })
            .filter(|c| c.reached && c.answered)
            .filter_map(|c| c.ratings.map(|r| [r.staff, r.process, r.overall]))
            .collect();
        parts.push(ParticipationFacts {
            participant: r.participant_kind.parse().map_err(|_| bad("participant"))?,
            matter_ids: serde_json::from_str(&r.matter_ids).map_err(|_| bad("matters"))?,
            id: r.id,
            unit_id: r.unit_id,
            activity,
            activity_on: r.activity_on,
            people_received: u32::try_from(r.people_received).unwrap_or(0),
            summary: r.summary,
            ratings,
        });
    }
    // The ledger as it stood at the end of the judged day, and the steps of the period.
    let until = crate::domain::calendar::end_of_day(as_of);
    let (rows, events) = crate::store::issues::with_events_until(conn, as_of, until)?;
    let mut by_issue: HashMap<String, Vec<crate::store::issues::IssueEventRow>> = HashMap::new();
    for e in events {
        by_issue.entry(e.issue_id.clone()).or_default().push(e);
    }
    let mut issues = Vec::new();
    for r in rows {
        let activity: Option<Activity> = r
            .activity
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| bad("activity"))?;
        if !visible(&r.unit_id, activity) {
            continue;
        }
        let history = by_issue.remove(&r.id).unwrap_or_default();
        // The issue as it stood at the end of the judged day: its last status, and the deadline
        // its steps had set by then (none before it was on the ledger).
        let status = history
            .last()
            .map(|e| e.to_status.clone())
            .unwrap_or_else(|| "open".into());
        let mut deadline = None;
        for e in &history {
            if let Some(d) = crate::store::issues::deadline_change(e.changes.as_deref()) {
                deadline = d;
            }
        }
        issues.push(IssueFacts {
            kind: r.kind.parse().map_err(|_| bad("issue kind"))?,
            status_at_end: status.parse().map_err(|_| bad("issue status"))?,
            steps_in_period: history
                .iter()
                .filter(|e| period.contains(local_date(crate::store::utc(e.at))))
                .map(|e| e.action.clone())
                .collect(),
            unit_id: r.unit_id,
            activity,
            found_on: r.found_on,
            deadline,
        });
    }
    let (groups, total) = rules::compute(period, as_of, group_by, &lead_of, &parts, &issues);
    let matter_names: BTreeMap<String, String> =
        crate::store::matters::by_ids(conn, &total.matter_ids)?
            .into_iter()
            .map(|(id, (_, name))| (id, name))
            .collect();
    let groups = groups
        .into_iter()
        .map(|(key, figures)| StatsGroup {
            name: match group_by {
                GroupBy::Activity => key
                    .parse::<Activity>()
                    .map(Activity::zh)
                    .unwrap_or_default()
                    .to_owned(),
                _ => names.get(&key).cloned().unwrap_or_default(),
            },
            key,
            figures,
        })
        .collect();
    Ok(Stats {
        from: period.from,
        to: period.to,
        as_of,
        group_by,
        groups,
        total,
        matter_names,
    })
}
