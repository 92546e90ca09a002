//! Queries for draws: inserted once, never changed (a trigger refuses it).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::draws;
use crate::db::AnyConnection;
use crate::error::AppError;

/// A stored draw.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = draws)]
pub struct DrawRow {
    /// Id.
    pub id: String,
    /// Purpose.
    pub purpose: String,
    /// Unit, if the purpose has one.
    pub unit_id: Option<String>,
    /// Reference date (follow-up contacts).
    pub reference_date: Option<NaiveDate>,
    /// How many were drawn.
    pub draw_count: i32,
    /// JSON array of the population's ids, canonical order.
    pub population: String,
    /// SHA-256 of the population.
    pub population_hash: String,
    /// The seed.
    pub seed: String,
    /// `given` or `os`.
    pub seed_source: String,
    /// The algorithm's name.
    pub algorithm: String,
    /// JSON array of the drawn ids, in draw order.
    pub result: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// By whom.
    pub created_by: Option<String>,
}

/// Stores a draw (inside a transaction).
pub fn insert(conn: &mut AnyConnection, row: &DrawRow) -> Result<(), AppError> {
    diesel::insert_into(draws::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The draw with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<DrawRow>, AppError> {
    Ok(draws::table
        .find(id)
        .select(draws::all_columns)
        .first(conn)
        .optional()?)
}

/// Draws of a unit and/or purpose, oldest first, after `after`.
pub fn list(
    conn: &mut AnyConnection,
    unit_id: Option<&str>,
    purpose: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<DrawRow>, bool), AppError> {
    let mut q = draws::table
        .select(draws::all_columns)
        .order(draws::id.asc())
        .into_boxed();
    if let Some(u) = unit_id {
        q = q.filter(draws::unit_id.eq(u.to_owned()));
    }
    if let Some(p) = purpose {
        q = q.filter(draws::purpose.eq(p.to_owned()));
    }
    if let Some(a) = after {
        q = q.filter(draws::id.gt(a.to_owned()));
    }
    let mut rows: Vec<DrawRow> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
