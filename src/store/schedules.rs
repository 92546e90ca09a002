//! Queries for schedules, their entries and transitions, triggers and tracking subjects.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    schedule_entries, schedule_transitions, schedules, tracking_subjects, triggers,
};
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored schedule revision.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = schedules)]
pub struct ScheduleRow {
    /// Id.
    pub id: String,
    /// Activity.
    pub activity: String,
    /// Quarter, `2026-Q3`.
    pub quarter: String,
    /// Revision, from 1.
    pub revision: i32,
    /// Title.
    pub title: String,
    /// Internal notes (never public).
    pub notes: Option<String>,
    /// Status.
    pub status: String,
    /// JSON `[{unit_id, reason}]` given at submission.
    pub exemptions: String,
    /// When published.
    pub published_at: Option<NaiveDateTime>,
    /// Who created the revision.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Updated.
    pub updated_at: NaiveDateTime,
    /// Version (ETag).
    pub version: i64,
}

/// A stored entry.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = schedule_entries)]
pub struct EntryRow {
    /// Id.
    pub id: String,
    /// Schedule revision.
    pub schedule_id: String,
    /// Stable across revisions.
    pub uid: String,
    /// Unit.
    pub unit_id: String,
    /// Planned local date.
    pub planned_on: NaiveDate,
    /// JSON participant.
    pub participant: String,
    /// Mode.
    pub mode: String,
    /// JSON array of matter ids.
    pub matter_ids: String,
    /// Place.
    pub place: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
}

/// A stored transition.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = schedule_transitions)]
pub struct TransitionRow {
    /// Id.
    pub id: String,
    /// Schedule revision.
    pub schedule_id: String,
    /// Action.
    pub action: String,
    /// From.
    pub from_status: String,
    /// To.
    pub to_status: String,
    /// Reason.
    pub reason: Option<String>,
    /// Who.
    pub actor_id: Option<String>,
    /// When.
    pub at: NaiveDateTime,
}

/// Inserts a schedule revision.
/// A token that changes whenever what the public plans show can change: a revision published,
/// a unit or a matter renamed (the plans name them). Cheap: three aggregates.
pub fn public_version(conn: &mut AnyConnection) -> Result<String, AppError> {
    use crate::db::schema::{matters, units};
    use diesel::dsl::{count_star, max};
    let (n, last): (i64, Option<NaiveDateTime>) = schedules::table
        .filter(schedules::status.eq("published"))
        .select((count_star(), max(schedules::published_at)))
        .first(conn)?;
    let unit: Option<NaiveDateTime> = units::table.select(max(units::updated_at)).first(conn)?;
    let matter: Option<NaiveDateTime> = matters::table
        .select(max(matters::updated_at))
        .first(conn)?;
    Ok(format!("{n}/{last:?}/{unit:?}/{matter:?}"))
}

pub fn insert(conn: &mut AnyConnection, row: &ScheduleRow) -> Result<(), AppError> {
    diesel::insert_into(schedules::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The revision with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<ScheduleRow>, AppError> {
    Ok(schedules::table
        .find(id)
        .select(schedules::all_columns)
        .first(conn)
        .optional()?)
}

/// Every revision of an activity's quarter, oldest first.
pub fn revisions(
    conn: &mut AnyConnection,
    activity: &str,
    quarter: &str,
) -> Result<Vec<ScheduleRow>, AppError> {
    Ok(schedules::table
        .filter(schedules::activity.eq(activity))
        .filter(schedules::quarter.eq(quarter))
        .select(schedules::all_columns)
        .order(schedules::revision.asc())
        .load(conn)?)
}

/// Filters of the schedule list.
#[derive(Clone, Debug, Default)]
pub struct ScheduleFilter {
    /// Activity.
    pub activity: Option<String>,
    /// Quarter.
    pub quarter: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Having an entry for this unit.
    pub unit_id: Option<String>,
}

/// Revisions matching `f`, in id order after `after`.
pub fn list(
    conn: &mut AnyConnection,
    f: &ScheduleFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<ScheduleRow>, bool), AppError> {
    let mut q = schedules::table
        .select(schedules::all_columns)
        .order(schedules::id.asc())
        .into_boxed();
    if let Some(v) = &f.activity {
        q = q.filter(schedules::activity.eq(v.clone()));
    }
    if let Some(v) = &f.quarter {
        q = q.filter(schedules::quarter.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        q = q.filter(schedules::status.eq(v.clone()));
    }
    if let Some(u) = &f.unit_id {
        q = q.filter(
            schedules::id.eq_any(
                schedule_entries::table
                    .filter(schedule_entries::unit_id.eq(u.clone()))
                    .select(schedule_entries::schedule_id),
            ),
        );
    }
    if let Some(a) = after {
        q = q.filter(schedules::id.gt(a.to_owned()));
    }
    let mut rows: Vec<ScheduleRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Writes a revision's title, notes, status, exemptions and publication time when its stored
/// version is `expected`, bumping the version; `false` when the version moved on.
pub fn update(
    conn: &mut AnyConnection,
    row: &ScheduleRow,
    expected: i64,
) -> Result<bool, AppError> {
    let n = diesel::update(
        schedules::table
            .filter(schedules::id.eq(&row.id))
            .filter(schedules::version.eq(expected)),
    )
    .set((
        schedules::title.eq(&row.title),
        schedules::notes.eq(&row.notes),
        schedules::status.eq(&row.status),
        schedules::exemptions.eq(&row.exemptions),
        schedules::published_at.eq(row.published_at),
        schedules::updated_at.eq(crate::store::now()),
        schedules::version.eq(expected + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Entries of revisions, by planned date.
pub fn entries(
    conn: &mut AnyConnection,
    schedule_ids: &[String],
) -> Result<Vec<EntryRow>, AppError> {
    Ok(schedule_entries::table
        .filter(schedule_entries::schedule_id.eq_any(schedule_ids))
        .select(schedule_entries::all_columns)
        .order((
            schedule_entries::planned_on.asc(),
            schedule_entries::id.asc(),
        ))
        .load(conn)?)
}

/// Inserts an entry.
pub fn insert_entry(conn: &mut AnyConnection, row: &EntryRow) -> Result<(), AppError> {
    diesel::insert_into(schedule_entries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Replaces an entry's fields.
pub fn replace_entry(conn: &mut AnyConnection, row: &EntryRow) -> Result<(), AppError> {
    diesel::update(schedule_entries::table.find(&row.id))
        .set((
            schedule_entries::unit_id.eq(&row.unit_id),
            schedule_entries::planned_on.eq(row.planned_on),
            schedule_entries::participant.eq(&row.participant),
            schedule_entries::mode.eq(&row.mode),
            schedule_entries::matter_ids.eq(&row.matter_ids),
            schedule_entries::place.eq(&row.place),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes an entry of a draft.
pub fn delete_entry(conn: &mut AnyConnection, id: &str) -> Result<(), AppError> {
    diesel::delete(schedule_entries::table.find(id)).execute(conn)?;
    Ok(())
}

/// Records a transition.
pub fn insert_transition(conn: &mut AnyConnection, row: &TransitionRow) -> Result<(), AppError> {
    diesel::insert_into(schedule_transitions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A revision's transitions, oldest first.
pub fn transitions(
    conn: &mut AnyConnection,
    schedule_id: &str,
) -> Result<Vec<TransitionRow>, AppError> {
    Ok(schedule_transitions::table
        .filter(schedule_transitions::schedule_id.eq(schedule_id))
        .select(schedule_transitions::all_columns)
        .order(schedule_transitions::id.asc())
        .load(conn)?)
}

/// Published revisions, all activities and quarters, oldest first.
pub fn published(
    conn: &mut AnyConnection,
    activity: Option<&str>,
) -> Result<Vec<ScheduleRow>, AppError> {
    let mut q = schedules::table
        .filter(schedules::status.eq("published"))
        .select(schedules::all_columns)
        .order((
            schedules::quarter.asc(),
            schedules::activity.asc(),
            schedules::revision.asc(),
        ))
        .into_boxed();
    if let Some(a) = activity {
        q = q.filter(schedules::activity.eq(a.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// A stored trigger.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = triggers)]
pub struct TriggerRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Reason kind.
    pub reason: String,
    /// What happened.
    pub description: String,
    /// Raised on.
    pub raised_on: NaiveDate,
    /// Due on.
    pub due_on: NaiveDate,
    /// Who.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Inserts a trigger.
pub fn insert_trigger(conn: &mut AnyConnection, row: &TriggerRow) -> Result<(), AppError> {
    diesel::insert_into(triggers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Triggers, of one unit or all, in id order.
pub fn list_triggers(
    conn: &mut AnyConnection,
    unit_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<TriggerRow>, bool), AppError> {
    let mut q = triggers::table
        .select(triggers::all_columns)
        .order(triggers::id.asc())
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(triggers::unit_id.eq(u.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(triggers::id.gt(a.to_owned()));
    }
    let mut rows: Vec<TriggerRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// A stored tracking subject.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = tracking_subjects)]
pub struct TrackingRow {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// JSON array of unit ids.
    pub unit_ids: String,
    /// Active from.
    pub active_from: NaiveDate,
    /// Active to.
    pub active_to: NaiveDate,
    /// Days between participations.
    pub interval_days: i32,
    /// Who.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Inserts a tracking subject.
pub fn insert_tracking(conn: &mut AnyConnection, row: &TrackingRow) -> Result<(), AppError> {
    diesel::insert_into(tracking_subjects::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Tracking subjects in id order.
pub fn list_tracking(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<TrackingRow>, bool), AppError> {
    let mut q = tracking_subjects::table
        .select(tracking_subjects::all_columns)
        .order(tracking_subjects::id.asc())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(tracking_subjects::id.gt(a.to_owned()));
    }
    let mut rows: Vec<TrackingRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The trigger with `id`.
pub fn get_trigger(conn: &mut AnyConnection, id: &str) -> Result<Option<TriggerRow>, AppError> {
    Ok(triggers::table
        .find(id)
        .select(triggers::all_columns)
        .first(conn)
        .optional()?)
}

/// The tracking subject with `id`.
pub fn get_tracking(conn: &mut AnyConnection, id: &str) -> Result<Option<TrackingRow>, AppError> {
    Ok(tracking_subjects::table
        .find(id)
        .select(tracking_subjects::all_columns)
        .first(conn)
        .optional()?)
}

/// The entry with `id`, with the activity and status of its schedule revision.
pub fn get_entry(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(EntryRow, String, String)>, AppError> {
    Ok(schedule_entries::table
        .inner_join(schedules::table.on(schedules::id.eq(schedule_entries::schedule_id)))
        .filter(schedule_entries::id.eq(id))
        .select((
            schedule_entries::all_columns,
            schedules::activity,
            schedules::status,
        ))
        .first(conn)
        .optional()?)
}
