//! Queries for reports (frozen snapshots, every submission kept) and the working calendar.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{calendar_days, reports};
use crate::db::AnyConnection;
use crate::domain::calendar::{DayCount, WorkCalendar};
use crate::error::AppError;

/// A stored report.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    /// Id.
    pub id: String,
    /// `monthly`, `quarterly` or `district_quarterly`.
    pub kind: String,
    /// `2026-07` or `2026-Q3`.
    pub period: String,
    /// The lead's activity (none for the district's report).
    pub activity: Option<String>,
    /// JSON narrative.
    pub narrative: Option<String>,
    /// JSON statistics as computed at submission.
    pub statistics: String,
    /// JSON: what a district report merged and what was missing.
    pub merged: Option<String>,
    /// When it was due.
    pub due_on: Option<NaiveDate>,
    /// Days late (0 on time).
    pub late_days: Option<i32>,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// When.
    pub submitted_at: NaiveDateTime,
}

/// A stored calendar exception.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = calendar_days)]
pub struct CalendarDayRow {
    /// The day.
    pub day: NaiveDate,
    /// Its year.
    pub year: i32,
    /// `holiday` or `workday`.
    pub kind: String,
    /// The holiday's name.
    pub name: Option<String>,
}

/// Stores a report.
pub fn insert(conn: &mut AnyConnection, row: &ReportRow) -> Result<(), AppError> {
    diesel::insert_into(reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The report with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<ReportRow>, AppError> {
    Ok(reports::table
        .find(id)
        .select(reports::all_columns)
        .first(conn)
        .optional()?)
}

/// Reports of a kind, period and activities, oldest first, after `after`.
pub fn list(
    conn: &mut AnyConnection,
    kind: Option<&str>,
    period: Option<&str>,
    activities: Option<&[Option<String>]>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<ReportRow>, bool), AppError> {
    let mut q = reports::table
        .select(reports::all_columns)
        .order(reports::id.asc())
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(reports::kind.eq(k.to_owned()));
    }
    if let Some(p) = period {
        q = q.filter(reports::period.eq(p.to_owned()));
    }
    if let Some(acts) = activities {
        let named: Vec<String> = acts.iter().flatten().cloned().collect();
        q = if acts.iter().any(Option::is_none) {
            q.filter(
                reports::activity
                    .eq_any(named)
                    .or(reports::activity.is_null()),
            )
        } else {
            q.filter(reports::activity.eq_any(named))
        };
    }
    if let Some(a) = after {
        q = q.filter(reports::id.gt(a.to_owned()));
    }
    let mut rows: Vec<ReportRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The latest report of a kind, period and activity.
pub fn latest(
    conn: &mut AnyConnection,
    kind: &str,
    period: &str,
    activity: &str,
) -> Result<Option<ReportRow>, AppError> {
    Ok(reports::table
        .filter(reports::kind.eq(kind))
        .filter(reports::period.eq(period))
        .filter(reports::activity.eq(activity))
        .select(reports::all_columns)
        .order(reports::id.desc())
        .first(conn)
        .optional()?)
}

/// The calendar exceptions of `year`.
pub fn calendar_year(conn: &mut AnyConnection, year: i32) -> Result<Vec<CalendarDayRow>, AppError> {
    Ok(calendar_days::table
        .filter(calendar_days::year.eq(year))
        .select(calendar_days::all_columns)
        .order(calendar_days::day.asc())
        .load(conn)?)
}

/// Replaces the calendar exceptions of `year` (inside a transaction).
pub fn replace_year(
    conn: &mut AnyConnection,
    year: i32,
    rows: &[CalendarDayRow],
) -> Result<(), AppError> {
    diesel::delete(calendar_days::table.filter(calendar_days::year.eq(year))).execute(conn)?;
    for r in rows {
        diesel::insert_into(calendar_days::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

/// The working calendar a deadline counted in `count` needs: none for calendar days (no query),
/// every stored holiday and make-up working day for working days (a deadline may cross years).
pub fn calendar_for(conn: &mut AnyConnection, count: DayCount) -> Result<WorkCalendar, AppError> {
    let mut cal = WorkCalendar::default();
    if count == DayCount::Calendar {
        return Ok(cal);
    }
    let rows: Vec<CalendarDayRow> = calendar_days::table
        .select(calendar_days::all_columns)
        .load(conn)?;
    for r in rows {
        if r.kind == "holiday" {
            cal.holidays.insert(r.day);
        } else {
            cal.workdays.insert(r.day);
        }
    }
    Ok(cal)
}

/// A stored bulletin.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = crate::db::schema::bulletins)]
pub struct BulletinRow {
    /// Id.
    pub id: String,
    /// Quarter.
    pub quarter: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The district report it is drawn from.
    pub report_id: Option<String>,
    /// JSON figures of that report.
    pub figures: Option<String>,
    /// JSON units listed with their reasons.
    pub listed: String,
    /// `draft` or `published`.
    pub status: String,
    /// When published.
    pub published_at: Option<NaiveDateTime>,
    /// Who made it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
    /// JSON: the compliance check it draws on, its ranked scores and its list.
    pub compliance: Option<String>,
}

/// Stores a bulletin.
pub fn insert_bulletin(conn: &mut AnyConnection, row: &BulletinRow) -> Result<(), AppError> {
    diesel::insert_into(crate::db::schema::bulletins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The bulletin with `id`.
pub fn get_bulletin(conn: &mut AnyConnection, id: &str) -> Result<Option<BulletinRow>, AppError> {
    use crate::db::schema::bulletins;
    Ok(bulletins::table
        .find(id)
        .select(bulletins::all_columns)
        .first(conn)
        .optional()?)
}

/// Publishes a draft bulletin; `false` when it was not a draft.
pub fn publish_bulletin(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    use crate::db::schema::bulletins;
    let n = diesel::update(
        bulletins::table
            .filter(bulletins::id.eq(id))
            .filter(bulletins::status.eq("draft")),
    )
    .set((
        bulletins::status.eq("published"),
        bulletins::published_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Bulletins (only published ones when `published_only`), oldest first, after `after`.
pub fn list_bulletins(
    conn: &mut AnyConnection,
    published_only: bool,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<BulletinRow>, bool), AppError> {
    use crate::db::schema::bulletins;
    let mut q = bulletins::table
        .select(bulletins::all_columns)
        .order(bulletins::id.asc())
        .into_boxed();
    if published_only {
        q = q.filter(bulletins::status.eq("published"));
    }
    if let Some(a) = after {
        q = q.filter(bulletins::id.gt(a.to_owned()));
    }
    let mut rows: Vec<BulletinRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
