//! Queries for matters.

use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::matters;
use crate::db::AnyConnection;
use crate::domain::matter::{Matter, MatterKind};
use crate::error::AppError;

#[derive(Queryable, Debug)]
struct MatterRow {
    id: String,
    unit_id: String,
    kind: String,
    name: String,
    code: Option<String>,
    online: bool,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl MatterRow {
    fn into_matter(self) -> Result<Matter, AppError> {
        Ok(Matter {
            kind: MatterKind::from_str(&self.kind)
                .map_err(|e| AppError::internal(format!("matter {}: kind {e}", self.id)))?,
            id: self.id,
            unit_id: self.unit_id,
            name: self.name,
            code: self.code,
            online: self.online,
            active: self.active,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            version: self.version,
        })
    }
}

fn rows(rows: Vec<MatterRow>) -> Result<Vec<Matter>, AppError> {
    rows.into_iter().map(MatterRow::into_matter).collect()
}

/// A matter's writable fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatterWrite {
    /// Kind.
    pub kind: MatterKind,
    /// Name.
    pub name: String,
    /// Official code.
    pub code: Option<String>,
    /// Online-capable.
    pub online: bool,
    /// Active.
    pub active: bool,
}

impl MatterWrite {
    /// The writable fields of a stored matter.
    pub fn of(m: &Matter) -> Self {
        MatterWrite {
            kind: m.kind,
            name: m.name.clone(),
            code: m.code.clone(),
            online: m.online,
            active: m.active,
        }
    }
}

/// Filters of the matter lists.
#[derive(Clone, Debug, Default)]
pub struct MatterFilter {
    /// Of this unit.
    pub unit_id: Option<String>,
    /// Of this kind.
    pub kind: Option<MatterKind>,
    /// Active or not.
    pub active: Option<bool>,
    /// Name contains.
    pub name_contains: Option<String>,
}

/// Matters in id order after `after`, at most `limit`, and whether more follow.
pub fn list(
    conn: &mut AnyConnection,
    f: &MatterFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Matter>, bool), AppError> {
    let mut q = matters::table
        .select(matters::all_columns)
        .order(matters::id.asc())
        .into_boxed();
    if let Some(u) = &f.unit_id {
        q = q.filter(matters::unit_id.eq(u.clone()));
    }
    if let Some(k) = f.kind {
        q = q.filter(matters::kind.eq(k.as_str()));
    }
    if let Some(a) = f.active {
        q = q.filter(matters::active.eq(a));
    }
    if let Some(t) = &f.name_contains {
        q = q.filter(
            matters::name
                .like(crate::store::like_pattern(t))
                .escape('\\'),
        );
    }
    if let Some(a) = after {
        q = q.filter(matters::id.gt(a.to_owned()));
    }
    let found: Vec<MatterRow> = q.limit(limit + 1).load(conn)?;
    let more = found.len() as i64 > limit;
    let mut out = rows(found)?;
    out.truncate(limit as usize);
    Ok((out, more))
}

/// Every matter of a unit, in id order.
pub fn of_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<Vec<Matter>, AppError> {
    rows(
        matters::table
            .filter(matters::unit_id.eq(unit_id))
            .select(matters::all_columns)
            .order(matters::id.asc())
            .load(conn)?,
    )
}

/// The matter with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Matter>, AppError> {
    let row: Option<MatterRow> = matters::table
        .find(id)
        .select(matters::all_columns)
        .first(conn)
        .optional()?;
    row.map(MatterRow::into_matter).transpose()
}

/// Inserts a matter into a unit's catalogue (inside a transaction); a name taken in the unit
/// is 409 `matters_unit_name_key`.
pub fn insert(
    conn: &mut AnyConnection,
    unit_id: &str,
    w: &MatterWrite,
) -> Result<Matter, AppError> {
    insert_at(conn, unit_id, w, crate::store::now())
}

/// Inserts a matter listed in the catalogue since `now` (an import of the catalogue as it was).
pub fn insert_at(
    conn: &mut AnyConnection,
    unit_id: &str,
    w: &MatterWrite,
    now: chrono::NaiveDateTime,
) -> Result<Matter, AppError> {
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(matters::table)
        .values((
            matters::id.eq(&id),
            matters::unit_id.eq(unit_id),
            matters::kind.eq(w.kind.as_str()),
            matters::name.eq(&w.name),
            matters::code.eq(&w.code),
            matters::online.eq(w.online),
            matters::active.eq(w.active),
            matters::created_at.eq(now),
            matters::updated_at.eq(now),
            matters::version.eq(1_i64),
        ))
        .execute(conn)?;
    get(conn, &id)?.ok_or_else(|| AppError::internal("inserted matter not found"))
}

/// Writes a matter's new state when its version is `expected` (inside a transaction); `None`
/// when the version moved on.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    expected: i64,
    w: &MatterWrite,
) -> Result<Option<Matter>, AppError> {
    let n = diesel::update(
        matters::table
            .filter(matters::id.eq(id))
            .filter(matters::version.eq(expected)),
    )
    .set((
        matters::kind.eq(w.kind.as_str()),
        matters::name.eq(&w.name),
        matters::code.eq(&w.code),
        matters::online.eq(w.online),
        matters::active.eq(w.active),
        matters::updated_at.eq(crate::store::now()),
        matters::version.eq(expected + 1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// The (id → unit, name) of the matters with these ids, in one query.
pub fn by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, String)>, AppError> {
    let rows: Vec<(String, String, String)> = matters::table
        .filter(matters::id.eq_any(ids))
        .select((matters::id, matters::unit_id, matters::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, unit, name)| (id, (unit, name)))
        .collect())
}
