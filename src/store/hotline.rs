//! Queries for the 12345 hotline: unit aliases, work orders (inserted in batches, updated by
//! source and external id), frozen concentration lists and the spikes found.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{concentration_lists, hotline_spikes, unit_aliases, work_orders};
use crate::db::AnyConnection;
use crate::error::AppError;

/// A unit's other name.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = unit_aliases)]
pub struct AliasRow {
    /// The name as imported data writes it.
    pub alias: String,
    /// The unit.
    pub unit_id: String,
    /// Who added it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Adds an alias (a unique violation when the name is taken).
pub fn insert_alias(conn: &mut AnyConnection, row: &AliasRow) -> Result<(), AppError> {
    diesel::insert_into(unit_aliases::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A unit's aliases, by name.
pub fn aliases_of(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<AliasRow>, AppError> {
    Ok(unit_aliases::table
        .filter(unit_aliases::unit_id.eq(unit_id))
        .select(unit_aliases::all_columns)
        .order(unit_aliases::alias.asc())
        .load(conn)?)
}

/// Every alias → its unit.
pub fn alias_map(conn: &mut AnyConnection) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = unit_aliases::table
        .select((unit_aliases::alias, unit_aliases::unit_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// A stored work order.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = work_orders)]
pub struct WorkOrderRow {
    /// Id.
    pub id: String,
    /// The source (`12345`).
    pub source: String,
    /// The source's id.
    pub external_id: String,
    /// When it was received (UTC).
    pub received_at: NaiveDateTime,
    /// Its local date.
    pub received_on: NaiveDate,
    /// The responsible unit.
    pub unit_id: String,
    /// Category.
    pub category: String,
    /// Channel.
    pub channel: Option<String>,
    /// Summary, mobile numbers masked.
    pub summary: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// When it was closed (UTC).
    pub closed_at: Option<NaiveDateTime>,
    /// Its deadline.
    pub due_on: NaiveDate,
    /// Closed on time.
    pub on_time: Option<bool>,
    /// The citizen's rating.
    pub satisfaction: Option<String>,
    /// First imported.
    pub imported_at: NaiveDateTime,
    /// Last changed by an import.
    pub updated_at: NaiveDateTime,
}

impl WorkOrderRow {
    /// Whether `other` says the same (ignoring id and import times).
    pub fn same_as(&self, other: &WorkOrderRow) -> bool {
        (
            &self.received_at,
            &self.unit_id,
            &self.category,
            &self.channel,
            &self.summary,
            &self.status,
            &self.closed_at,
            &self.due_on,
            &self.on_time,
            &self.satisfaction,
        ) == (
            &other.received_at,
            &other.unit_id,
            &other.category,
            &other.channel,
            &other.summary,
            &other.status,
            &other.closed_at,
            &other.due_on,
            &other.on_time,
            &other.satisfaction,
        )
    }
}

/// The stored orders of `source` among `external_ids`, by external id.
pub fn existing(
    conn: &mut AnyConnection,
    source: &str,
    external_ids: &[String],
) -> Result<HashMap<String, WorkOrderRow>, AppError> {
    if external_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<WorkOrderRow> = work_orders::table
        .filter(work_orders::source.eq(source))
        .filter(work_orders::external_id.eq_any(external_ids.to_vec()))
        .select(work_orders::all_columns)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.external_id.clone(), r))
        .collect())
}

/// Inserts new orders in one statement per 500 (inside a transaction).
pub fn insert_orders(conn: &mut AnyConnection, rows: &[WorkOrderRow]) -> Result<(), AppError> {
    for chunk in rows.chunks(500) {
        let q = diesel::insert_into(work_orders::table).values(chunk);
        match conn {
            AnyConnection::Sqlite(c) => q.execute(c)?,
            AnyConnection::Postgresql(c) => q.execute(c)?,
        };
    }
    Ok(())
}

/// Replaces a stored order's content (inside a transaction).
pub fn update_order(conn: &mut AnyConnection, row: &WorkOrderRow) -> Result<(), AppError> {
    diesel::update(work_orders::table.find(&row.id))
        .set((
            work_orders::received_at.eq(row.received_at),
            work_orders::received_on.eq(row.received_on),
            work_orders::unit_id.eq(&row.unit_id),
            work_orders::category.eq(&row.category),
            work_orders::channel.eq(&row.channel),
            work_orders::summary.eq(&row.summary),
            work_orders::status.eq(&row.status),
            work_orders::closed_at.eq(row.closed_at),
            work_orders::due_on.eq(row.due_on),
            work_orders::on_time.eq(row.on_time),
            work_orders::satisfaction.eq(&row.satisfaction),
            work_orders::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Orders received from `from` to `to`, of one unit if given, oldest first.
pub fn between(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
    unit_id: Option<&str>,
) -> Result<Vec<WorkOrderRow>, AppError> {
    let mut q = work_orders::table
        .filter(work_orders::received_on.between(from, to))
        .select(work_orders::all_columns)
        .order((work_orders::received_at.asc(), work_orders::id.asc()))
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(work_orders::unit_id.eq(u.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// What the ranking needs of the orders received from `from` to `to` (no summary read).
pub fn facts_between(
    conn: &mut AnyConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<crate::domain::hotline::OrderFacts>, AppError> {
    type Cols = (
        String,
        String,
        NaiveDate,
        String,
        Option<bool>,
        NaiveDate,
        Option<String>,
    );
    let rows: Vec<Cols> = work_orders::table
        .filter(work_orders::received_on.between(from, to))
        .select((
            work_orders::unit_id,
            work_orders::category,
            work_orders::received_on,
            work_orders::status,
            work_orders::on_time,
            work_orders::due_on,
            work_orders::satisfaction,
        ))
        .load(conn)?;
    let bad = |_| AppError::internal("unreadable work order");
    rows.into_iter()
        .map(
            |(unit_id, category, received_on, status, on_time, due_on, satisfaction)| {
                Ok(crate::domain::hotline::OrderFacts {
                    unit_id,
                    category,
                    received_on,
                    status: status.parse().map_err(bad)?,
                    on_time,
                    due_on,
                    satisfaction: satisfaction
                        .as_deref()
                        .map(str::parse)
                        .transpose()
                        .map_err(bad)?,
                })
            },
        )
        .collect()
}

/// (unit, category, local date) of the orders received from `from` on.
pub fn received_since(
    conn: &mut AnyConnection,
    from: NaiveDate,
) -> Result<Vec<(String, String, NaiveDate)>, AppError> {
    Ok(work_orders::table
        .filter(work_orders::received_on.ge(from))
        .select((
            work_orders::unit_id,
            work_orders::category,
            work_orders::received_on,
        ))
        .load(conn)?)
}

/// A spike found, with the trigger it recorded.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = hotline_spikes)]
pub struct SpikeRow {
    /// `unit:category:window_to`.
    pub spike_key: String,
    /// Unit.
    pub unit_id: String,
    /// Category.
    pub category: String,
    /// Window's first day.
    pub window_from: NaiveDate,
    /// Window's last day.
    pub window_to: NaiveDate,
    /// Orders in the window.
    pub order_count: i32,
    /// JSON: the earlier windows' counts.
    pub baseline: String,
    /// The trigger recorded.
    pub trigger_id: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// The (unit, category) pairs with a spike whose window ended on or after `since`: a window
/// overlapping one already recorded records nothing new.
pub fn recent_spikes(
    conn: &mut AnyConnection,
    since: NaiveDate,
) -> Result<HashSet<(String, String)>, AppError> {
    let rows: Vec<(String, String)> = hotline_spikes::table
        .filter(hotline_spikes::window_to.ge(since))
        .select((hotline_spikes::unit_id, hotline_spikes::category))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Records a spike (inside a transaction; a unique violation if a concurrent scan did).
pub fn insert_spike(conn: &mut AnyConnection, row: &SpikeRow) -> Result<(), AppError> {
    diesel::insert_into(hotline_spikes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The spikes recorded, of one unit if given, newest first, at most `limit`.
pub fn spikes(
    conn: &mut AnyConnection,
    unit_id: Option<&str>,
    limit: i64,
) -> Result<Vec<SpikeRow>, AppError> {
    let mut q = hotline_spikes::table
        .select(hotline_spikes::all_columns)
        .order((
            hotline_spikes::window_to.desc(),
            hotline_spikes::spike_key.asc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(hotline_spikes::unit_id.eq(u.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// A frozen concentration list.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq)]
#[diesel(table_name = concentration_lists)]
pub struct ConcentrationRow {
    /// Id.
    pub id: String,
    /// The quarter it is for.
    pub quarter: String,
    /// The period whose orders it ranks.
    pub period: String,
    /// JSON array of the units listed.
    pub unit_ids: String,
    /// JSON: the ranking it was cut from.
    pub ranking: String,
    /// JSON: the rule that cut it.
    pub rule: String,
    /// Who froze it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Stores a frozen list.
pub fn insert_list(conn: &mut AnyConnection, row: &ConcentrationRow) -> Result<(), AppError> {
    diesel::insert_into(concentration_lists::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The frozen lists, of one quarter if given, oldest first.
pub fn lists(
    conn: &mut AnyConnection,
    quarter: Option<&str>,
) -> Result<Vec<ConcentrationRow>, AppError> {
    let mut q = concentration_lists::table
        .select(concentration_lists::all_columns)
        .order((
            concentration_lists::created_at.asc(),
            concentration_lists::id.asc(),
        ))
        .into_boxed();
    if let Some(qr) = quarter {
        q = q.filter(concentration_lists::quarter.eq(qr.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// The units of the latest list frozen for each of `quarters` before `until`.
pub fn concentrated(
    conn: &mut AnyConnection,
    quarters: &[String],
    until: NaiveDateTime,
) -> Result<HashMap<String, HashSet<String>>, AppError> {
    let rows: Vec<(String, String)> = concentration_lists::table
        .filter(concentration_lists::quarter.eq_any(quarters.to_vec()))
        .filter(concentration_lists::created_at.lt(until))
        .select((concentration_lists::quarter, concentration_lists::unit_ids))
        .order((
            concentration_lists::created_at.asc(),
            concentration_lists::id.asc(),
        ))
        .load(conn)?;
    let mut out = HashMap::new();
    for (quarter, ids) in rows {
        let ids: Vec<String> = serde_json::from_str(&ids)
            .map_err(|_| AppError::internal("unreadable concentration list"))?;
        out.insert(quarter, ids.into_iter().collect());
    }
    Ok(out)
}
