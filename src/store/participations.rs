//! Queries for participations, their transitions and notes, the ledger issues their findings
//! become, and the stored answers of `Idempotency-Key` requests.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    idempotency_keys, participation_notes, participation_transitions, participations, units,
};
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored participation.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = participations)]
pub struct ParticipationRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Activity.
    pub activity: String,
    /// Mode.
    pub mode: String,
    /// Local activity date.
    pub activity_on: NaiveDate,
    /// Place.
    pub place: String,
    /// `head` or `deputy`.
    pub participant_kind: String,
    /// JSON participant.
    pub participant: String,
    /// Schedule entry answered.
    pub schedule_entry_id: Option<String>,
    /// Trigger answered.
    pub trigger_id: Option<String>,
    /// Tracking subject followed.
    pub tracking_subject_id: Option<String>,
    /// People received.
    pub people_received: i32,
    /// JSON array of matter ids.
    pub matter_ids: String,
    /// Summary.
    pub summary: String,
    /// JSON array of segments.
    pub segments: String,
    /// Status.
    pub status: String,
    /// First filing.
    pub filed_at: Option<NaiveDateTime>,
    /// Latest filing.
    pub last_filed_at: Option<NaiveDateTime>,
    /// Days the first filing was late.
    pub late_days: Option<i32>,
    /// Author.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Updated.
    pub updated_at: NaiveDateTime,
    /// Version (ETag).
    pub version: i64,
    /// The segments' types in order, comma-separated: kept with `segments` for the lists
    /// ([`crate::domain::participation::segment_heads`]).
    pub segment_types: String,
    /// The segments' findings, counted: kept with `segments` for the lists.
    pub finding_count: i32,
}

/// What a list shows of a stored participation: every column but the summary and the
/// segments, the bulk of a record, whose types and findings it shows from `segment_types`
/// and `finding_count`.
#[derive(Queryable, Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Activity.
    pub activity: String,
    /// Mode.
    pub mode: String,
    /// Local activity date.
    pub activity_on: NaiveDate,
    /// Place.
    pub place: String,
    /// JSON participant.
    pub participant: String,
    /// People received.
    pub people_received: i32,
    /// JSON array of matter ids.
    pub matter_ids: String,
    /// Status.
    pub status: String,
    /// First filing.
    pub filed_at: Option<crate::store::Stamp>,
    /// Days the first filing was late.
    pub late_days: Option<i32>,
    /// Updated.
    pub updated_at: crate::store::Stamp,
    /// Version (ETag).
    pub version: i64,
    /// The segments' types in order, comma-separated.
    pub segment_types: String,
    /// The segments' findings, counted.
    pub finding_count: i32,
}

/// The columns of a [`SummaryRow`].
macro_rules! summary_columns {
    () => {
        (
            participations::id,
            participations::unit_id,
            participations::activity,
            participations::mode,
            participations::activity_on,
            participations::place,
            participations::participant,
            participations::people_received,
            participations::matter_ids,
            participations::status,
            participations::filed_at,
            participations::late_days,
            participations::updated_at,
            participations::version,
            participations::segment_types,
            participations::finding_count,
        )
    };
}

/// A stored workflow step.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = participation_transitions)]
pub struct TransitionRow {
    /// Id.
    pub id: String,
    /// Participation.
    pub participation_id: String,
    /// Action.
    pub action: String,
    /// From.
    pub from_status: String,
    /// To.
    pub to_status: String,
    /// Reason of a return.
    pub reason: Option<String>,
    /// Lateness of a filing.
    pub late_days: Option<i32>,
    /// Who.
    pub actor_id: Option<String>,
    /// When.
    pub at: NaiveDateTime,
    /// A filing's JSON [`FiledSnapshot`]: the record as it was filed.
    pub snapshot: Option<String>,
}

/// What a filing keeps of the record: what the compliance rules read, as it was filed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FiledSnapshot {
    /// Activity.
    pub activity: String,
    /// Local activity date.
    pub activity_on: NaiveDate,
    /// `head` or `deputy`.
    pub participant_kind: String,
    /// The trigger it answers.
    pub trigger_id: Option<String>,
    /// Matters experienced.
    pub matter_ids: serde_json::Value,
    /// Segments.
    pub segments: serde_json::Value,
}

impl FiledSnapshot {
    /// The snapshot of `row` (JSON), as it is being filed.
    pub fn of(row: &ParticipationRow) -> Result<String, AppError> {
        let bad = |_| AppError::internal("unreadable participation content");
        let s = FiledSnapshot {
            activity: row.activity.clone(),
            activity_on: row.activity_on,
            participant_kind: row.participant_kind.clone(),
            trigger_id: row.trigger_id.clone(),
            matter_ids: serde_json::from_str(&row.matter_ids).map_err(bad)?,
            segments: serde_json::from_str(&row.segments).map_err(bad)?,
        };
        serde_json::to_string(&s).map_err(|e| AppError::internal(e.to_string()))
    }
}

/// A stored note.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = participation_notes)]
pub struct NoteRow {
    /// Id.
    pub id: String,
    /// Participation.
    pub participation_id: String,
    /// Text.
    pub body: String,
    /// Author's account.
    pub author_id: Option<String>,
    /// Author's username at the time.
    pub author_username: String,
    /// When.
    pub at: NaiveDateTime,
}

/// A stored first answer of an idempotent request.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    /// SHA-256 of the account and the key.
    pub scope_key: String,
    /// SHA-256 of the canonical request body.
    pub request_hash: String,
    /// The answer's status.
    pub status: i32,
    /// The answer's body.
    pub response: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Inserts a participation.
pub fn insert(conn: &mut AnyConnection, row: &ParticipationRow) -> Result<(), AppError> {
    crate::db::direct!(conn, |c| diesel::insert_into(participations::table)
        .values(row)
        .execute(c))?;
    Ok(())
}

/// The participation with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<ParticipationRow>, AppError> {
    Ok(crate::db::direct!(conn, |c| participations::table
        .find(id)
        .select(participations::all_columns)
        .first(c)
        .optional())?)
}

/// Writes every changeable column of `row` when its stored version is `expected`, bumping
/// the version; `false` when the version moved on.
pub fn update(
    conn: &mut AnyConnection,
    row: &ParticipationRow,
    expected: i64,
) -> Result<bool, AppError> {
    let n = diesel::update(
        participations::table
            .filter(participations::id.eq(&row.id))
            .filter(participations::version.eq(expected)),
    )
    .set((
        participations::mode.eq(&row.mode),
        participations::activity_on.eq(row.activity_on),
        participations::place.eq(&row.place),
        participations::participant_kind.eq(&row.participant_kind),
        participations::participant.eq(&row.participant),
        participations::schedule_entry_id.eq(&row.schedule_entry_id),
        participations::trigger_id.eq(&row.trigger_id),
        participations::tracking_subject_id.eq(&row.tracking_subject_id),
        participations::people_received.eq(row.people_received),
        participations::matter_ids.eq(&row.matter_ids),
        participations::summary.eq(&row.summary),
        participations::segments.eq(&row.segments),
        participations::segment_types.eq(&row.segment_types),
        participations::finding_count.eq(row.finding_count),
        participations::status.eq(&row.status),
        participations::filed_at.eq(row.filed_at),
        participations::last_filed_at.eq(row.last_filed_at),
        participations::late_days.eq(row.late_days),
        participations::updated_at.eq(crate::store::now()),
        participations::version.eq(expected + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Filters of the participation list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Unit.
    pub unit_id: Option<String>,
    /// Activity.
    pub activity: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Activity date from (inclusive).
    pub from: Option<NaiveDate>,
    /// Activity date to (inclusive).
    pub to: Option<NaiveDate>,
    /// Status.
    pub status: Option<String>,
    /// `head` or `deputy`.
    pub participant_kind: Option<String>,
    /// Filed late (`true`) or on time (`false`).
    pub late: Option<bool>,
    /// What the caller may see: records of this activity or of this unit (a lead).
    pub scope: Option<(Option<String>, Option<String>)>,
}

/// The id, activity and activity date of a unit's records in `status`, oldest first, at most
/// `limit`: what a to-do list names (without the segments, the bulk of a record).
pub fn heads(
    conn: &mut AnyConnection,
    unit_id: &str,
    status: &str,
    limit: i64,
) -> Result<Vec<(String, String, chrono::NaiveDate)>, AppError> {
    Ok(participations::table
        .filter(participations::unit_id.eq(unit_id))
        .filter(participations::status.eq(status))
        .order(participations::id.asc())
        .select((
            participations::id,
            participations::activity,
            participations::activity_on,
        ))
        .limit(limit)
        .load(conn)?)
}

/// Participations matching `f`, in id order after `after`.
pub fn list(
    conn: &mut AnyConnection,
    f: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<SummaryRow>, bool), AppError> {
    // Built once per backend (the boxed query is of its backend), for `db::direct!`.
    let mut rows: Vec<SummaryRow> = crate::db::direct!(conn, |c| {
        let mut q = participations::table
            .select(summary_columns!())
            .order(participations::id.asc())
            .into_boxed();
        if let Some(v) = &f.unit_id {
            q = q.filter(participations::unit_id.eq(v.clone()));
        }
        if let Some(v) = &f.activity {
            q = q.filter(participations::activity.eq(v.clone()));
        }
        if let Some(v) = &f.mode {
            q = q.filter(participations::mode.eq(v.clone()));
        }
        if let Some(v) = f.from {
            q = q.filter(participations::activity_on.ge(v));
        }
        if let Some(v) = f.to {
            q = q.filter(participations::activity_on.le(v));
        }
        if let Some(v) = &f.status {
            q = q.filter(participations::status.eq(v.clone()));
        }
        if let Some(v) = &f.participant_kind {
            q = q.filter(participations::participant_kind.eq(v.clone()));
        }
        match f.late {
            Some(true) => q = q.filter(participations::late_days.gt(0)),
            Some(false) => q = q.filter(participations::late_days.eq(0)),
            None => {}
        }
        match &f.scope {
            Some((Some(activity), Some(unit))) => {
                q = q.filter(
                    participations::activity
                        .eq(activity.clone())
                        .or(participations::unit_id.eq(unit.clone())),
                )
            }
            Some((Some(activity), None)) => {
                q = q.filter(participations::activity.eq(activity.clone()))
            }
            Some((None, Some(unit))) => q = q.filter(participations::unit_id.eq(unit.clone())),
            Some((None, None)) => q = q.filter(participations::id.eq("")),
            None => {}
        }
        if let Some(a) = after {
            q = q.filter(participations::id.gt(a.to_owned()));
        }
        q.limit(limit + 1).load(c)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Records a workflow step.
pub fn insert_transition(conn: &mut AnyConnection, row: &TransitionRow) -> Result<(), AppError> {
    diesel::insert_into(participation_transitions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A participation's steps, oldest first.
pub fn transitions(conn: &mut AnyConnection, id: &str) -> Result<Vec<TransitionRow>, AppError> {
    Ok(crate::db::direct!(conn, |c| {
        participation_transitions::table
            .filter(participation_transitions::participation_id.eq(id))
            .select(participation_transitions::all_columns)
            .order(participation_transitions::id.asc())
            .load(c)
    })?)
}

/// Appends a note.
pub fn insert_note(conn: &mut AnyConnection, row: &NoteRow) -> Result<(), AppError> {
    diesel::insert_into(participation_notes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A participation's notes, oldest first.
pub fn notes(conn: &mut AnyConnection, id: &str) -> Result<Vec<NoteRow>, AppError> {
    Ok(crate::db::direct!(conn, |c| participation_notes::table
        .filter(participation_notes::participation_id.eq(id))
        .select(participation_notes::all_columns)
        .order(participation_notes::id.asc())
        .load(c))?)
}

/// A deputy's participation counts only where the unit allows delegation (DOMAIN.md, R2, R8).
macro_rules! counted_participant {
    () => {
        participations::participant_kind
            .eq("head")
            .or(units::delegation_allowed.eq(true))
    };
}

/// The matters named by counted (filed or accepted) participations of a unit dated in `year`,
/// with their dates (the coverage of R2, as the compliance check counts it); a deputy's count
/// only where the unit allows delegation.
pub fn experienced_matters(
    conn: &mut AnyConnection,
    unit_id: &str,
    year: i32,
) -> Result<Vec<(String, NaiveDate)>, AppError> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, NaiveDate)> = participations::table
        .inner_join(units::table)
        .filter(counted_participant!())
        .filter(participations::unit_id.eq(unit_id))
        .filter(participations::status.eq_any(["filed", "accepted"]))
        .filter(participations::activity_on.between(first, last))
        .select((participations::matter_ids, participations::activity_on))
        .load(conn)?;
    let mut out = Vec::new();
    for (json, on) in rows {
        let ids: Vec<String> = serde_json::from_str(&json)
            .map_err(|_| AppError::internal("unreadable participation matters"))?;
        out.extend(ids.into_iter().map(|m| (m, on)));
    }
    Ok(out)
}

/// Counted (filed or accepted, R8) participations naming any of `trigger_ids`: (trigger id,
/// unit id, activity date); a deputy's count only where the unit allows delegation.
pub fn trigger_answers(
    conn: &mut AnyConnection,
    trigger_ids: &[String],
) -> Result<Vec<(String, String, NaiveDate)>, AppError> {
    if trigger_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Option<String>, String, NaiveDate)> = participations::table
        .inner_join(units::table)
        .filter(counted_participant!())
        .filter(participations::trigger_id.eq_any(trigger_ids.to_vec()))
        .filter(participations::status.eq_any(["filed", "accepted"]))
        .select((
            participations::trigger_id,
            participations::unit_id,
            participations::activity_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, u, d)| t.map(|t| (t, u, d)))
        .collect())
}

/// The stored answer under `scope_key`.
pub fn idempotency(
    conn: &mut AnyConnection,
    scope_key: &str,
) -> Result<Option<IdempotencyRow>, AppError> {
    Ok(idempotency_keys::table
        .find(scope_key)
        .select(idempotency_keys::all_columns)
        .first(conn)
        .optional()?)
}

/// Stores a first answer (a unique violation when another request stored one first).
pub fn insert_idempotency(conn: &mut AnyConnection, row: &IdempotencyRow) -> Result<(), AppError> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Forgets the answer under `scope_key` (an expired one, before a new answer is stored).
pub fn delete_idempotency(conn: &mut AnyConnection, scope_key: &str) -> Result<(), AppError> {
    diesel::delete(idempotency_keys::table.find(scope_key)).execute(conn)?;
    Ok(())
}

/// Forgets answers stored before `cutoff`; how many.
pub fn purge_idempotency(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> Result<usize, AppError> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
            .execute(conn)?,
    )
}

/// Accepted participations dated from `from` to `to` (the statistics).
pub fn accepted_between(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ParticipationRow>, AppError> {
    Ok(participations::table
        .filter(participations::status.eq("accepted"))
        .filter(participations::activity_on.between(from, to))
        .select(participations::all_columns)
        .order(participations::id.asc())
        .load(conn)?)
}

/// The units with a counted (filed or accepted) participation dated from `from` to `to`.
pub fn counted_units_between(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::HashSet<String>, AppError> {
    let units: Vec<String> = participations::table
        .filter(participations::status.eq_any(["filed", "accepted"]))
        .filter(participations::activity_on.between(from, to))
        .select(participations::unit_id)
        .distinct()
        .load(conn)?;
    Ok(units.into_iter().collect())
}
