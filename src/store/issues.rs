//! Queries for the issue ledger: issues numbered per unit, their events, and the quarter's
//! submitted lists.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{issue_events, issue_lists, issues};
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored ledger issue.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = issues)]
pub struct IssueRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// 序号: per unit, from 1, without gaps.
    pub seq: i32,
    /// `participation`, `manual` or `compliance`.
    pub source: String,
    /// Why it was entered by hand.
    pub source_reason: Option<String>,
    /// Source participation.
    pub participation_id: Option<String>,
    /// Source segment type.
    pub segment_type: Option<String>,
    /// Source finding.
    pub finding_id: Option<String>,
    /// The activity it belongs to (whose lead reviews it).
    pub activity: Option<String>,
    /// Local date it was found (the activity date, or the day entered).
    pub found_on: NaiveDate,
    /// `problem` or `demand`.
    pub kind: String,
    /// 参与活动地点.
    pub place: Option<String>,
    /// 体验内容.
    pub content: Option<String>,
    /// 体验方式.
    pub method: Option<String>,
    /// The problem or demand.
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
    pub status: String,
    /// When the unit reported it resolved (latest).
    pub resolved_at: Option<NaiveDateTime>,
    /// When it was closed (latest).
    pub closed_at: Option<NaiveDateTime>,
    /// Who opened it.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Updated.
    pub updated_at: NaiveDateTime,
    /// Version.
    pub version: i64,
}

/// A stored issue event.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = issue_events)]
pub struct IssueEventRow {
    /// Id.
    pub id: String,
    /// Issue.
    pub issue_id: String,
    /// `open`, `update` or a lifecycle action.
    pub action: String,
    /// From.
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Why.
    pub reason: Option<String>,
    /// JSON `{field: {before, after}}`.
    pub changes: Option<String>,
    /// Who.
    pub actor_id: Option<String>,
    /// When.
    pub at: NaiveDateTime,
}

/// A stored list submission.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = issue_lists)]
pub struct IssueListRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Quarter.
    pub quarter: String,
    /// How many issues it holds.
    pub issue_count: i32,
    /// JSON array of the issues as they stood.
    pub snapshot: String,
    /// Who sent it.
    pub submitted_by: Option<String>,
    /// When.
    pub submitted_at: NaiveDateTime,
}

/// Opens an issue: gives it the unit's next number (under a lock on the unit's ledger, so that
/// numbers never repeat nor leave gaps) and records its first event. Inside a transaction.
pub fn open(
    conn: &mut AnyConnection,
    mut row: IssueRow,
    reason: Option<String>,
) -> Result<IssueRow, AppError> {
    crate::db::lock_key(conn, &format!("issues-seq:{}", row.unit_id))?;
    let last: Option<i32> = issues::table
        .filter(issues::unit_id.eq(&row.unit_id))
        .select(diesel::dsl::max(issues::seq))
        .first(conn)?;
    row.seq = last.unwrap_or(0) + 1;
    diesel::insert_into(issues::table)
        .values(&row)
        .execute(conn)?;
    insert_event(
        conn,
        &IssueEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            issue_id: row.id.clone(),
            action: "open".into(),
            from_status: None,
            to_status: row.status.clone(),
            reason,
            changes: None,
            actor_id: row.created_by.clone(),
            at: row.created_at,
        },
    )?;
    Ok(row)
}

/// The issue with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<IssueRow>, AppError> {
    Ok(issues::table
        .find(id)
        .select(issues::all_columns)
        .first(conn)
        .optional()?)
}

/// Writes every changeable column when the stored version is `expected`, bumping it; `false`
/// when the version moved on.
pub fn update(conn: &mut AnyConnection, row: &IssueRow, expected: i64) -> Result<bool, AppError> {
    let n = diesel::update(
        issues::table
            .filter(issues::id.eq(&row.id))
            .filter(issues::version.eq(expected)),
    )
    .set((
        issues::kind.eq(&row.kind),
        issues::place.eq(&row.place),
        issues::content.eq(&row.content),
        issues::method.eq(&row.method),
        issues::description.eq(&row.description),
        issues::measures.eq(&row.measures),
        issues::deadline.eq(row.deadline),
        issues::effect.eq(&row.effect),
        issues::remarks.eq(&row.remarks),
        issues::owner.eq(&row.owner),
        issues::status.eq(&row.status),
        issues::resolved_at.eq(row.resolved_at),
        issues::closed_at.eq(row.closed_at),
        issues::updated_at.eq(crate::store::now()),
        issues::version.eq(expected + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records an event.
pub fn insert_event(conn: &mut AnyConnection, row: &IssueEventRow) -> Result<(), AppError> {
    diesel::insert_into(issue_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// An issue's events, oldest first.
pub fn events(conn: &mut AnyConnection, id: &str) -> Result<Vec<IssueEventRow>, AppError> {
    Ok(issue_events::table
        .filter(issue_events::issue_id.eq(id))
        .select(issue_events::all_columns)
        .order(issue_events::id.asc())
        .load(conn)?)
}

/// The (finding id, issue id) pairs of a participation's findings that are on the ledger.
pub fn finding_issues(
    conn: &mut AnyConnection,
    participation_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let rows: Vec<(Option<String>, String)> = crate::db::direct!(conn, |c| issues::table
        .filter(issues::participation_id.eq(participation_id))
        .select((issues::finding_id, issues::id))
        .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(f, i)| f.map(|f| (f, i)))
        .collect())
}

/// Filters of the issue list and export.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Unit.
    pub unit_id: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Activity.
    pub activity: Option<String>,
    /// Found on or after.
    pub from: Option<NaiveDate>,
    /// Found on or before.
    pub to: Option<NaiveDate>,
    /// Overdue on this local date (`Some((today, true))`), or not (`false`).
    pub overdue: Option<(NaiveDate, bool)>,
    /// Deadline before this date.
    pub due_before: Option<NaiveDate>,
    /// Source.
    pub source: Option<String>,
    /// A `LIKE` pattern over the problem or demand and the measures.
    pub q: Option<String>,
    /// Closed at or after this UTC time and not re-checked yet (the re-check window is open).
    pub recheck_since: Option<NaiveDateTime>,
    /// What the caller may see: issues of this activity or of this unit (a lead), or of the unit.
    pub scope: Option<(Option<String>, Option<String>)>,
}

type Backend = <AnyConnection as diesel::Connection>::Backend;

/// The issues matching `f`, as a query to order and page.
fn filtered(f: &Filter) -> issues::BoxedQuery<'static, Backend> {
    let mut q = issues::table.select(issues::all_columns).into_boxed();
    if let Some(v) = &f.unit_id {
        q = q.filter(issues::unit_id.eq(v.clone()));
    }
    if let Some(v) = &f.kind {
        q = q.filter(issues::kind.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(issues::status.eq(v.clone()));
    }
    if let Some(v) = &f.activity {
        q = q.filter(issues::activity.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(issues::found_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(issues::found_on.le(v));
    }
    match f.overdue {
        Some((today, true)) => {
            q = q
                .filter(issues::status.eq_any(["open", "rectifying"]))
                .filter(issues::deadline.lt(today))
        }
        Some((today, false)) => {
            q = q.filter(
                issues::status
                    .ne_all(["open", "rectifying"])
                    .or(issues::deadline.is_null())
                    .or(issues::deadline.ge(today)),
            )
        }
        None => {}
    }
    if let Some(v) = f.due_before {
        q = q.filter(issues::deadline.lt(v));
    }
    if let Some(v) = &f.source {
        q = q.filter(issues::source.eq(v.clone()));
    }
    if let Some(p) = &f.q {
        q = q.filter(
            issues::description
                .like(p.clone())
                .escape('\\')
                .or(issues::measures.like(p.clone()).escape('\\')),
        );
    }
    if let Some(since) = f.recheck_since {
        q = q
            .filter(issues::status.eq("closed"))
            .filter(issues::closed_at.ge(since));
    }
    match &f.scope {
        Some((Some(activity), Some(unit))) => {
            q = q.filter(
                issues::activity
                    .eq(activity.clone())
                    .or(issues::unit_id.eq(unit.clone())),
            )
        }
        Some((Some(activity), None)) => q = q.filter(issues::activity.eq(activity.clone())),
        Some((None, Some(unit))) => q = q.filter(issues::unit_id.eq(unit.clone())),
        Some((None, None)) => q = q.filter(issues::id.eq("")),
        None => {}
    }
    q
}

/// Issues matching `f`, in id order after `after`.
pub fn list(
    conn: &mut AnyConnection,
    f: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<IssueRow>, bool), AppError> {
    let mut q = filtered(f).order(issues::id.asc());
    if let Some(a) = after {
        q = q.filter(issues::id.gt(a.to_owned()));
    }
    let mut rows: Vec<IssueRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many issues match `f`.
pub fn count(conn: &mut AnyConnection, f: &Filter) -> Result<i64, AppError> {
    Ok(filtered(f).count().get_result(conn)?)
}

/// Issues matching `f` in the lists' order (unit, then 序号), `limit` after the (unit, seq)
/// `after`: the export reads the ledger page by page.
pub fn export_page(
    conn: &mut AnyConnection,
    f: &Filter,
    after: Option<&(String, i32)>,
    limit: i64,
) -> Result<Vec<IssueRow>, AppError> {
    let mut q = filtered(f).order((issues::unit_id.asc(), issues::seq.asc()));
    match (after, &f.unit_id) {
        // One unit's ledger: the (unit, seq) index serves `seq > n` directly.
        (Some((_, seq)), Some(_)) => q = q.filter(issues::seq.gt(*seq)),
        // Several units: a row-value comparison, which both engines answer from the index.
        (Some((unit, seq)), None) => {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(issues.unit_id, issues.seq) > (")
                    .bind::<diesel::sql_types::Text, _>(unit.clone())
                    .sql(", ")
                    .bind::<diesel::sql_types::Integer, _>(*seq)
                    .sql(")"),
            )
        }
        (None, _) => {}
    }
    Ok(q.limit(limit).load(conn)?)
}

/// Stores a list submission.
pub fn insert_list(conn: &mut AnyConnection, row: &IssueListRow) -> Result<(), AppError> {
    diesel::insert_into(issue_lists::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Submissions of a unit and/or quarter, oldest first, after `after`.
pub fn lists(
    conn: &mut AnyConnection,
    unit_id: Option<&str>,
    quarter: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<IssueListRow>, bool), AppError> {
    let mut q = issue_lists::table
        .select(issue_lists::all_columns)
        .order(issue_lists::id.asc())
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(issue_lists::unit_id.eq(u.to_owned()));
    }
    if let Some(v) = quarter {
        q = q.filter(issue_lists::quarter.eq(v.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(issue_lists::id.gt(a.to_owned()));
    }
    let mut rows: Vec<IssueListRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Issues found on or before `to`, and their events before `until` (UTC), oldest first: what
/// the statistics of a period ending on `to` need.
pub fn with_events_until(
    conn: &mut AnyConnection,
    to: NaiveDate,
    until: NaiveDateTime,
) -> Result<(Vec<IssueRow>, Vec<IssueEventRow>), AppError> {
    let rows: Vec<IssueRow> = issues::table
        .filter(issues::found_on.le(to))
        .select(issues::all_columns)
        .order(issues::id.asc())
        .load(conn)?;
    let events: Vec<IssueEventRow> = issue_events::table
        .filter(issue_events::at.lt(until))
        .select(issue_events::all_columns)
        .order(issue_events::id.asc())
        .load(conn)?;
    Ok((rows, events))
}

/// What an event's `changes` did to the deadline: `Some(new)` when it set it (to a date or
/// to nothing), `None` when it left it alone.
pub fn deadline_change(changes: Option<&str>) -> Option<Option<NaiveDate>> {
    let v: serde_json::Value = serde_json::from_str(changes?).ok()?;
    let after = v.get("deadline")?.get("after")?;
    Some(
        after
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
    )
}
