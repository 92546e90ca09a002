//! Compliance checks: loading a period's records as they stood at the end of the evaluation
//! date (a fixed number of queries, whatever the data's size), and storing immutable runs.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{
    compliance_checks, compliance_findings, compliance_scores, draws, issue_events, issue_lists,
    issues, matters, participation_transitions, participations, reports, schedules,
    service_records, triggers,
};
use crate::db::AnyConnection;
use crate::domain::calendar::{local_date, Quarter};
use crate::domain::compliance::{
    CheckPeriod, Input, IssueFacts, IssueListFacts, MatterFacts, ParticipationFacts, ReportFacts,
    ScheduleFacts, TriggerFacts, UnitFacts,
};
use crate::domain::participation::{ContactFacts, DrawFacts, Status};
use crate::error::AppError;

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable {what}"))
}

/// How many records of each kind a check read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct InputSummary {
    /// The instant the records were judged as of (UTC): the end of the evaluation date.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Units read.
    pub units: u32,
    /// Of which judged by the unit rules (active, with a participation category).
    pub judged_units: u32,
    /// Participations dated from 1 January of the period's year.
    pub participations: u32,
    /// Of which counted (filed or accepted at the end of the evaluation date).
    pub counted_participations: u32,
    /// Matters.
    pub matters: u32,
    /// Triggers raised in the period.
    pub triggers: u32,
    /// Ledger issues.
    pub issues: u32,
    /// Issue lists of the period.
    pub issue_lists: u32,
    /// Monthly and quarterly reports of the period.
    pub reports: u32,
    /// Plan revisions of the period.
    pub schedules: u32,
    /// Service records that follow-up calls may name.
    pub service_records: u32,
    /// Business-inspection draws.
    pub draws: u32,
}

/// Loads what a check of `period` judged at the end of `evaluated_on` reads: every record as
/// it stood then (created, filed, published or submitted before that instant; statuses and
/// deadlines replayed from the histories, a record changed since read as it was last filed).
/// Fifteen queries at most, whatever the data's size.
pub fn load(
    conn: &mut AnyConnection,
    period: CheckPeriod,
    evaluated_on: NaiveDate,
) -> Result<(Input, InputSummary), AppError> {
    let until = crate::domain::calendar::end_of_day(evaluated_on);
    let mut input = Input::new(period, evaluated_on);
    let year_start = NaiveDate::from_ymd_opt(period.first_day().year(), 1, 1)
        .unwrap_or_else(|| period.first_day());
    let last = period.last_day().max(evaluated_on);

    // 1–2. Units with their categories.
    // Units as they are now: the Annex 1 frame applies from the programme's start, whenever
    // the service was installed (their categories and delegation have no history yet).
    for u in crate::store::units::list(conn, &Default::default(), None, 100_000)?.items {
        input.units.push(UnitFacts {
            id: u.id.to_string(),
            name: u.name,
            categories: u.categories,
            delegation_allowed: u.delegation_allowed,
            lead_activity: u.lead_activity,
            active: u.active,
        });
    }

    // 3–4. Participations and their workflow steps before the end of the evaluation date.
    type PartCols = (
        String,
        String,
        String,
        String,
        NaiveDate,
        Option<NaiveDateTime>,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<PartCols> = participations::table
        .filter(participations::activity_on.between(year_start, last))
        .filter(participations::created_at.lt(until))
        .select((
            participations::id,
            participations::unit_id,
            participations::activity,
            participations::participant_kind,
            participations::activity_on,
            participations::filed_at,
            participations::trigger_id,
            participations::matter_ids,
            participations::segments,
        ))
        .order(participations::id.asc())
        .load(conn)?;
    let steps: Vec<(String, String, NaiveDateTime)> = participation_transitions::table
        .inner_join(participations::table)
        .filter(participations::activity_on.between(year_start, last))
        .filter(participations::created_at.lt(until))
        .filter(participation_transitions::at.lt(until))
        .select((
            participation_transitions::participation_id,
            participation_transitions::to_status,
            participation_transitions::at,
        ))
        .order((
            participation_transitions::at.asc(),
            participation_transitions::id.asc(),
        ))
        .load(conn)?;
    let mut status_of: HashMap<String, String> = HashMap::new();
    for (id, to, _) in steps {
        status_of.insert(id, to);
    }
    // A record changed after the end of the evaluation date (returned, edited, filed again)
    // is read as it was last filed before then.
    let snapshots: Vec<(String, Option<String>)> = participation_transitions::table
        .inner_join(participations::table)
        .filter(participations::activity_on.between(year_start, last))
        .filter(participations::created_at.lt(until))
        .filter(participations::updated_at.ge(until))
        .filter(participation_transitions::action.eq("file"))
        .filter(participation_transitions::at.lt(until))
        .select((
            participation_transitions::participation_id,
            participation_transitions::snapshot,
        ))
        .order((
            participation_transitions::at.asc(),
            participation_transitions::id.asc(),
        ))
        .load(conn)?;
    let mut filed_as: HashMap<String, crate::store::participations::FiledSnapshot> = HashMap::new();
    for (id, snapshot) in snapshots {
        if let Some(json) = snapshot {
            filed_as.insert(
                id,
                serde_json::from_str(&json).map_err(|_| bad("filing snapshot"))?,
            );
        }
    }
    for (id, unit_id, activity, who, on, filed_at, trigger_id, matter_ids, segments) in rows {
        let status: Status = status_of
            .get(&id)
            .map_or("draft", String::as_str)
            .parse()
            .map_err(|_| bad("participation status"))?;
        let counted = matches!(status, Status::Filed | Status::Accepted);
        let (activity, who, on, trigger_id, matter_ids, segments) =
            match filed_as.remove(&id).filter(|_| counted) {
                Some(f) => (
                    f.activity,
                    f.participant_kind,
                    f.activity_on,
                    f.trigger_id,
                    f.matter_ids.to_string(),
                    f.segments.to_string(),
                ),
                None => (activity, who, on, trigger_id, matter_ids, segments),
            };
        input.participations.push(ParticipationFacts {
            activity: activity.parse().map_err(|_| bad("activity"))?,
            participant: who.parse().map_err(|_| bad("participant"))?,
            activity_on: on,
            status,
            first_filed_on: filed_at
                .filter(|at| *at < until)
                .map(|at| local_date(crate::store::utc(at))),
            trigger_id,
            matter_ids: serde_json::from_str(&matter_ids).map_err(|_| bad("matters"))?,
            segments: serde_json::from_str(&segments).map_err(|_| bad("segments"))?,
            id,
            unit_id,
        });
    }

    // 5. Matters in the catalogue by then.
    let rows: Vec<(String, String, bool, NaiveDateTime)> = matters::table
        .filter(matters::created_at.lt(until))
        .select((
            matters::id,
            matters::unit_id,
            matters::active,
            matters::created_at,
        ))
        .load(conn)?;
    input.matters = rows
        .into_iter()
        .map(|(id, unit_id, active, at)| MatterFacts {
            id,
            unit_id,
            active,
            created_on: local_date(crate::store::utc(at)),
        })
        .collect();

    // 6. Triggers raised in the period.
    let rows: Vec<(String, String, NaiveDate, NaiveDate)> = triggers::table
        .filter(triggers::raised_on.between(period.first_day(), period.last_day()))
        .filter(triggers::created_at.lt(until))
        .select((
            triggers::id,
            triggers::unit_id,
            triggers::raised_on,
            triggers::due_on,
        ))
        .load(conn)?;
    input.triggers = rows
        .into_iter()
        .map(|(id, unit_id, raised_on, due_on)| TriggerFacts {
            id,
            unit_id,
            raised_on,
            due_on,
        })
        .collect();

    // 7–8. Issues found by the period's end and their histories before the instant.
    let rows: Vec<(String, String, i32, Option<String>)> = issues::table
        .filter(issues::found_on.le(period.last_day()))
        .filter(issues::created_at.lt(until))
        .select((issues::id, issues::unit_id, issues::seq, issues::activity))
        .order(issues::id.asc())
        .load(conn)?;
    let events: Vec<(String, String, String, Option<String>, NaiveDateTime)> = issue_events::table
        .inner_join(issues::table)
        .filter(issues::found_on.le(period.last_day()))
        .filter(issues::created_at.lt(until))
        .filter(issue_events::at.lt(until))
        .select((
            issue_events::issue_id,
            issue_events::action,
            issue_events::to_status,
            issue_events::changes,
            issue_events::at,
        ))
        .order((issue_events::at.asc(), issue_events::id.asc()))
        .load(conn)?;
    type Event = (String, String, Option<String>, NaiveDateTime);
    let mut history: HashMap<String, Vec<Event>> = HashMap::new();
    for (issue, action, to, changes, at) in events {
        history
            .entry(issue)
            .or_default()
            .push((action, to, changes, at));
    }
    for (id, unit_id, seq, activity) in rows {
        let h = history.remove(&id).unwrap_or_default();
        let mut status = "open".to_owned();
        let mut deadline = None;
        let mut steps = Vec::new();
        for (action, to, changes, at) in h {
            status = to;
            if let Some(d) = crate::store::issues::deadline_change(changes.as_deref()) {
                deadline = d;
            }
            if let Ok(a) = action.parse() {
                steps.push((a, local_date(crate::store::utc(at))));
            }
        }
        input.issues.push(IssueFacts {
            activity: activity
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|_| bad("issue activity"))?,
            status: status.parse().map_err(|_| bad("issue status"))?,
            deadline,
            steps,
            id,
            unit_id,
            seq,
        });
    }

    // 9. Issue lists of the period's quarters.
    let quarters: Vec<String> = period.quarters().iter().map(Quarter::to_string).collect();
    let rows: Vec<(String, String, String, NaiveDateTime)> = issue_lists::table
        .filter(issue_lists::quarter.eq_any(quarters.clone()))
        .filter(issue_lists::submitted_at.lt(until))
        .select((
            issue_lists::id,
            issue_lists::unit_id,
            issue_lists::quarter,
            issue_lists::submitted_at,
        ))
        .load(conn)?;
    for (id, unit_id, quarter, at) in rows {
        input.issue_lists.push(IssueListFacts {
            id,
            unit_id,
            quarter: quarter.parse().map_err(|_| bad("list quarter"))?,
            submitted_on: local_date(crate::store::utc(at)),
        });
    }

    // 10. The leads' monthly statistics and quarterly summaries of the period.
    let mut names: Vec<String> = period
        .months()
        .into_iter()
        .map(|m| format!("{:04}-{:02}", m.year(), m.month()))
        .collect();
    names.extend(quarters.iter().cloned());
    let rows: Vec<(String, String, String, Option<String>, NaiveDateTime)> = reports::table
        .filter(reports::kind.eq_any(["monthly", "quarterly"]))
        .filter(reports::period.eq_any(names))
        .filter(reports::submitted_at.lt(until))
        .select((
            reports::id,
            reports::kind,
            reports::period,
            reports::activity,
            reports::submitted_at,
        ))
        .load(conn)?;
    for (id, kind, period, activity, at) in rows {
        let Some(activity) = activity else { continue };
        input.reports.push(ReportFacts {
            id,
            kind: kind.parse().map_err(|_| bad("report kind"))?,
            period,
            activity: activity.parse().map_err(|_| bad("report activity"))?,
            submitted_on: local_date(crate::store::utc(at)),
        });
    }

    // 11. Plan revisions of the period's quarters published by then.
    let rows: Vec<(String, String, String, i32, Option<NaiveDateTime>)> = schedules::table
        .filter(schedules::quarter.eq_any(quarters))
        .filter(schedules::published_at.lt(until))
        .select((
            schedules::id,
            schedules::activity,
            schedules::quarter,
            schedules::revision,
            schedules::published_at,
        ))
        .load(conn)?;
    for (id, activity, quarter, revision, at) in rows {
        input.schedules.push(ScheduleFacts {
            id,
            activity: activity.parse().map_err(|_| bad("schedule activity"))?,
            quarter: quarter.parse().map_err(|_| bad("schedule quarter"))?,
            revision,
            published_on: at.map(|at| local_date(crate::store::utc(at))),
        });
    }

    // 12. Service records a follow-up call of the period may name (served within the three
    // months before a call) and the business-inspection draws.
    let from = year_start
        .checked_sub_months(chrono::Months::new(4))
        .unwrap_or(year_start);
    let rows: Vec<(String, String, NaiveDate)> = service_records::table
        .filter(service_records::served_on.between(from, last))
        .filter(service_records::created_at.lt(until))
        .select((
            service_records::id,
            service_records::unit_id,
            service_records::served_on,
        ))
        .load(conn)?;
    input.contacts = rows
        .into_iter()
        .map(|(id, unit_id, served_on)| (id, ContactFacts { unit_id, served_on }))
        .collect();
    let rows: Vec<(String, String, Option<String>, String)> = draws::table
        .filter(draws::purpose.eq("inspection_matters"))
        .filter(draws::created_at.lt(until))
        .select((draws::id, draws::purpose, draws::unit_id, draws::result))
        .load(conn)?;
    for (id, purpose, unit_id, result) in rows {
        input.draws.insert(
            id,
            DrawFacts {
                purpose,
                unit_id,
                result: serde_json::from_str(&result).map_err(|_| bad("draw result"))?,
            },
        );
    }

    // 13. The frozen complaint_concentrated lists of the period's quarters (H1).
    let names: Vec<String> = period.quarters().iter().map(Quarter::to_string).collect();
    for (quarter, units) in crate::store::hotline::concentrated(conn, &names, until)? {
        input
            .concentrated
            .insert(quarter.parse().map_err(|_| bad("list quarter"))?, units);
    }

    let summary = InputSummary {
        as_of: Some(crate::store::utc(until)),
        units: input.units.len() as u32,
        judged_units: input.units.iter().filter(|u| u.judged()).count() as u32,
        participations: input.participations.len() as u32,
        counted_participations: input.participations.iter().filter(|p| p.counted()).count() as u32,
        matters: input.matters.len() as u32,
        triggers: input.triggers.len() as u32,
        issues: input.issues.len() as u32,
        issue_lists: input.issue_lists.len() as u32,
        reports: input.reports.len() as u32,
        schedules: input.schedules.len() as u32,
        service_records: input.contacts.len() as u32,
        draws: input.draws.len() as u32,
    };
    Ok((input, summary))
}

/// A stored run.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = compliance_checks)]
pub struct CheckRow {
    /// Id.
    pub id: String,
    /// `2026-Q3` or `2026`.
    pub period: String,
    /// The one unit it was limited to.
    pub unit_id: Option<String>,
    /// The one activity it was limited to (a lead's check).
    pub activity: Option<String>,
    /// The evaluation date.
    pub evaluated_on: NaiveDate,
    /// JSON [`InputSummary`].
    pub inputs: String,
    /// JSON: the settings used.
    pub settings: String,
    /// JSON: progress of the running quarter.
    pub progress: String,
    /// JSON: the bulletin list.
    pub listed: String,
    /// The previous period's check the repeated overdue issues were compared with.
    pub previous_check_id: Option<String>,
    /// How many findings.
    pub finding_count: i32,
    /// Who ran it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A stored finding.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = compliance_findings)]
pub struct FindingRow {
    /// The run.
    pub check_id: String,
    /// Its place in the run (rule, then key).
    pub seq: i32,
    /// R1–R13.
    pub rule: String,
    /// Stable key.
    pub finding_key: String,
    /// Unit.
    pub unit_id: Option<String>,
    /// Activity.
    pub activity: Option<String>,
    /// Quarter or month it is about.
    pub subject_period: Option<String>,
    /// Severity.
    pub severity: String,
    /// Code.
    pub code: String,
    /// Chinese.
    pub message_zh: String,
    /// English.
    pub message_en: String,
    /// JSON evidence.
    pub evidence: String,
    /// Clause.
    pub clause: String,
    /// Deadline judged.
    pub due_on: Option<NaiveDate>,
    /// Points.
    pub points: i32,
}

/// A stored score.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = compliance_scores)]
pub struct ScoreRow {
    /// The run.
    pub check_id: String,
    /// Unit.
    pub unit_id: String,
    /// Its name then.
    pub unit_name: String,
    /// Rank.
    pub rank: i32,
    /// Score.
    pub score: i32,
    /// Points deducted.
    pub deducted: i32,
    /// Findings.
    pub findings: i32,
}

/// Rows per insert statement (bind parameters stay far below SQLite's limit).
const CHUNK: usize = 500;

/// Stores a run with its findings and scores (inside a transaction).
pub fn insert(
    conn: &mut AnyConnection,
    check: &CheckRow,
    findings: &[FindingRow],
    scores: &[ScoreRow],
) -> Result<(), AppError> {
    diesel::insert_into(compliance_checks::table)
        .values(check)
        .execute(conn)?;
    // Multi-row statements need the concrete backend (diesel's MultiConnection inserts one
    // row at a time).
    for chunk in findings.chunks(CHUNK) {
        let q = diesel::insert_into(compliance_findings::table).values(chunk);
        match conn {
            AnyConnection::Sqlite(c) => q.execute(c)?,
            AnyConnection::Postgresql(c) => q.execute(c)?,
        };
    }
    for chunk in scores.chunks(CHUNK) {
        let q = diesel::insert_into(compliance_scores::table).values(chunk);
        match conn {
            AnyConnection::Sqlite(c) => q.execute(c)?,
            AnyConnection::Postgresql(c) => q.execute(c)?,
        };
    }
    Ok(())
}

/// The run with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<CheckRow>, AppError> {
    Ok(compliance_checks::table
        .find(id)
        .select(compliance_checks::all_columns)
        .first(conn)
        .optional()?)
}

/// The run of `period` with the same scope that a run judged as of `until` compares with:
/// among those made before `until` and judged once the period had ended (on or after
/// `ended_on`), the latest judged.
pub fn previous(
    conn: &mut AnyConnection,
    period: &str,
    ended_on: NaiveDate,
    unit_id: Option<&str>,
    activity: Option<&str>,
    until: NaiveDateTime,
) -> Result<Option<CheckRow>, AppError> {
    let mut q = compliance_checks::table
        .filter(compliance_checks::period.eq(period.to_owned()))
        .filter(compliance_checks::evaluated_on.ge(ended_on))
        .filter(compliance_checks::created_at.lt(until))
        .select(compliance_checks::all_columns)
        .order((
            compliance_checks::evaluated_on.desc(),
            compliance_checks::id.desc(),
        ))
        .into_boxed();
    q = match unit_id {
        Some(u) => q.filter(compliance_checks::unit_id.eq(u.to_owned())),
        None => q.filter(compliance_checks::unit_id.is_null()),
    };
    q = match activity {
        Some(a) => q.filter(compliance_checks::activity.eq(a.to_owned())),
        None => q.filter(compliance_checks::activity.is_null()),
    };
    Ok(q.first(conn).optional()?)
}

/// Runs, oldest first, after `after`, of `period` if given, without those limited to a unit
/// other than `only_unit` (when given).
pub fn list(
    conn: &mut AnyConnection,
    period: Option<&str>,
    only_unit: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<CheckRow>, bool), AppError> {
    let mut q = compliance_checks::table
        .select(compliance_checks::all_columns)
        .order(compliance_checks::id.asc())
        .into_boxed();
    if let Some(p) = period {
        q = q.filter(compliance_checks::period.eq(p.to_owned()));
    }
    if let Some(u) = only_unit {
        q = q.filter(
            compliance_checks::unit_id
                .is_null()
                .or(compliance_checks::unit_id.eq(u.to_owned())),
        );
    }
    if let Some(a) = after {
        q = q.filter(compliance_checks::id.gt(a.to_owned()));
    }
    let mut rows: Vec<CheckRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// A filter of a run's findings.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    /// Rule.
    pub rule: Option<String>,
    /// Unit.
    pub unit_id: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// What the caller may read: findings of this unit or of this activity (`None`: all).
    pub visible: Option<(Option<String>, Option<String>)>,
}

/// A run's findings matching `f`, in order, after position `after`; `limit` of them (all when
/// `None`).
pub fn findings(
    conn: &mut AnyConnection,
    check_id: &str,
    f: &FindingFilter,
    after: Option<i32>,
    limit: Option<i64>,
) -> Result<(Vec<FindingRow>, bool), AppError> {
    let mut q = compliance_findings::table
        .filter(compliance_findings::check_id.eq(check_id.to_owned()))
        .select(compliance_findings::all_columns)
        .order(compliance_findings::seq.asc())
        .into_boxed();
    if let Some(r) = &f.rule {
        q = q.filter(compliance_findings::rule.eq(r.clone()));
    }
    if let Some(u) = &f.unit_id {
        q = q.filter(compliance_findings::unit_id.eq(u.clone()));
    }
    if let Some(s) = &f.severity {
        q = q.filter(compliance_findings::severity.eq(s.clone()));
    }
    if let Some(visible) = &f.visible {
        q = match visible.clone() {
            (Some(u), Some(a)) => q.filter(
                compliance_findings::unit_id
                    .eq(u)
                    .or(compliance_findings::activity.eq(a)),
            ),
            (Some(u), None) => q.filter(compliance_findings::unit_id.eq(u)),
            (None, Some(a)) => q.filter(compliance_findings::activity.eq(a)),
            (None, None) => q.filter(compliance_findings::seq.lt(0)),
        };
    }
    if let Some(a) = after {
        q = q.filter(compliance_findings::seq.gt(a));
    }
    let mut rows: Vec<FindingRow> = match limit {
        Some(l) => q.limit(l + 1).load(conn)?,
        None => q.load(conn)?,
    };
    let more = limit.is_some_and(|l| rows.len() as i64 > l);
    if let Some(l) = limit {
        rows.truncate(l as usize);
    }
    Ok((rows, more))
}

/// A run's scores, best first; of one unit if given.
pub fn scores(
    conn: &mut AnyConnection,
    check_id: &str,
    unit_id: Option<&str>,
) -> Result<Vec<ScoreRow>, AppError> {
    let mut q = compliance_scores::table
        .filter(compliance_scores::check_id.eq(check_id.to_owned()))
        .select(compliance_scores::all_columns)
        .order((
            compliance_scores::rank.asc(),
            compliance_scores::unit_name.asc(),
            compliance_scores::unit_id.asc(),
        ))
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(compliance_scores::unit_id.eq(u.to_owned()));
    }
    Ok(q.load(conn)?)
}
