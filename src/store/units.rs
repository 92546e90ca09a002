//! Queries for units and their categories, and the Annex 1 seed.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{unit_categories, units};
use crate::db::{write_transaction, AnyConnection};
use crate::domain::annex1::SeedUnit;
use crate::domain::unit::{Activity, Category, Person, ProgrammeRole, Unit, UnitId, UnitKind};
use crate::error::AppError;

/// A row of `units`, in column order.
#[derive(Queryable, Debug)]
struct UnitRow {
    id: String,
    name: String,
    short_code: String,
    kind: String,
    head_name: Option<String>,
    head_title: Option<String>,
    deputies: String,
    delegation_allowed: bool,
    active: bool,
    programme_role: Option<String>,
    lead_activity: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

#[derive(Insertable)]
#[diesel(table_name = units)]
struct NewUnitRow<'a> {
    id: String,
    name: &'a str,
    short_code: &'a str,
    kind: &'a str,
    head_name: Option<&'a str>,
    head_title: Option<&'a str>,
    deputies: String,
    delegation_allowed: bool,
    active: bool,
    programme_role: Option<&'a str>,
    lead_activity: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

/// Filters of the unit list; `None` means any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFilter {
    /// Units having this category.
    pub category: Option<Category>,
    /// Units of this kind.
    pub kind: Option<UnitKind>,
    /// Active or inactive units.
    pub active: Option<bool>,
    /// Units whose name contains this text.
    pub name_contains: Option<String>,
}

/// One page of units in id order.
#[derive(Debug)]
pub struct UnitPage {
    /// The units of the page.
    pub items: Vec<Unit>,
    /// Whether more units follow the last one.
    pub has_more: bool,
}

fn corrupt(id: &str, what: &str, detail: impl std::fmt::Display) -> AppError {
    AppError::internal(format!(
        "stored unit {id} has an unreadable {what}: {detail}"
    ))
}

fn parse_opt<T: FromStr>(id: &str, what: &str, v: Option<String>) -> Result<Option<T>, AppError>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| T::from_str(&s).map_err(|e| corrupt(id, what, e)))
        .transpose()
}

fn to_unit(row: UnitRow, categories: Vec<Category>) -> Result<Unit, AppError> {
    let id = &row.id;
    let uuid = uuid::Uuid::parse_str(id).map_err(|e| corrupt(id, "id", e))?;
    let deputies: Vec<Person> =
        serde_json::from_str(&row.deputies).map_err(|e| corrupt(id, "deputies", e))?;
    Ok(Unit {
        id: UnitId(uuid),
        kind: UnitKind::from_str(&row.kind).map_err(|e| corrupt(id, "kind", e))?,
        programme_role: parse_opt::<ProgrammeRole>(id, "programme_role", row.programme_role)?,
        lead_activity: parse_opt::<Activity>(id, "lead_activity", row.lead_activity)?,
        head: row.head_name.map(|name| Person {
            name,
            title: row.head_title,
        }),
        name: row.name,
        short_code: row.short_code,
        categories,
        deputies,
        delegation_allowed: row.delegation_allowed,
        active: row.active,
        created_at: crate::store::utc(row.created_at),
        updated_at: crate::store::utc(row.updated_at),
        version: row.version,
    })
}

/// Loads the categories of `rows` in one query and builds the units.
fn with_categories(conn: &mut AnyConnection, rows: Vec<UnitRow>) -> Result<Vec<Unit>, AppError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let pairs: Vec<(String, String)> = match ids.as_slice() {
        // One unit (every write names one): a statement that stays prepared, unlike `IN (…)`.
        [one] => crate::db::direct!(conn, |c| unit_categories::table
            .filter(unit_categories::unit_id.eq(*one))
            .select((unit_categories::unit_id, unit_categories::category))
            .load(c))?,
        _ => unit_categories::table
            .filter(unit_categories::unit_id.eq_any(&ids))
            .select((unit_categories::unit_id, unit_categories::category))
            .load(conn)?,
    };
    let mut by_unit: HashMap<String, Vec<Category>> = HashMap::new();
    for (unit_id, category) in pairs {
        let c = Category::from_str(&category).map_err(|e| corrupt(&unit_id, "category", e))?;
        by_unit.entry(unit_id).or_default().push(c);
    }
    rows.into_iter()
        .map(|row| {
            let cats = crate::domain::unit::normalize_categories(
                by_unit.remove(&row.id).unwrap_or_default(),
            );
            to_unit(row, cats)
        })
        .collect()
}

/// Units matching `filter`, in id (creation) order, after the unit `after`, at most `limit`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &UnitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<UnitPage, AppError> {
    let mut query = units::table
        .select(units::all_columns)
        .order(units::id.asc())
        .into_boxed();
    if let Some(category) = filter.category {
        query = query.filter(
            units::id.eq_any(
                unit_categories::table
                    .filter(unit_categories::category.eq(category.as_str()))
                    .select(unit_categories::unit_id),
            ),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(units::kind.eq(kind.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(units::active.eq(active));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            units::name
                .like(crate::store::like_pattern(text))
                .escape('\\'),
        );
    }
    if let Some(after) = after {
        query = query.filter(units::id.gt(after.to_owned()));
    }
    let mut rows: Vec<UnitRow> = query.limit(limit + 1).load(conn)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(UnitPage {
        items: with_categories(conn, rows)?,
        has_more,
    })
}

/// The unit with `id`, if any.
pub fn get(conn: &mut AnyConnection, id: UnitId) -> Result<Option<Unit>, AppError> {
    let row: Option<UnitRow> = crate::db::direct!(conn, |c| units::table
        .find(id.to_string())
        .select(units::all_columns)
        .first(c)
        .optional())?;
    match row {
        None => Ok(None),
        Some(row) => Ok(with_categories(conn, vec![row])?.pop()),
    }
}

/// The units with these exact names, in id order.
pub fn find_by_names(conn: &mut AnyConnection, names: &[String]) -> Result<Vec<Unit>, AppError> {
    let rows: Vec<UnitRow> = units::table
        .filter(units::name.eq_any(names))
        .select(units::all_columns)
        .order(units::id.asc())
        .load(conn)?;
    with_categories(conn, rows)
}

/// How many units are stored.
pub fn count(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(units::table.count().get_result(conn)?)
}

/// What a seed run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Units inserted.
    pub inserted: usize,
    /// Units already present (by name), left as they are.
    pub existing: usize,
}

/// Inserts each unit of `seed` whose name is not stored yet, with its categories, in one
/// transaction. Units already present are left untouched, so seeding twice changes nothing
/// and never undoes an administrator's edits.
pub fn seed(conn: &mut AnyConnection, seed: &[SeedUnit]) -> Result<SeedReport, AppError> {
    write_transaction(conn, |conn| {
        let stored: HashSet<String> = units::table
            .select(units::name)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let mut report = SeedReport::default();
        for unit in seed {
            if stored.contains(unit.name) {
                report.existing += 1;
                continue;
            }
            let id = UnitId::generate().to_string();
            let now = crate::store::now();
            diesel::insert_into(units::table)
                .values(NewUnitRow {
                    id: id.clone(),
                    name: unit.name,
                    short_code: unit.short_code,
                    kind: unit.kind.as_str(),
                    head_name: None,
                    head_title: None,
                    deputies: "[]".into(),
                    delegation_allowed: false,
                    active: true,
                    programme_role: unit.programme_role.map(ProgrammeRole::as_str),
                    lead_activity: unit.lead_activity.map(Activity::as_str),
                    created_at: now,
                    updated_at: now,
                    version: 1,
                })
                .execute(conn)?;
            for category in &unit.categories {
                diesel::insert_into(unit_categories::table)
                    .values((
                        unit_categories::unit_id.eq(&id),
                        unit_categories::category.eq(category.as_str()),
                    ))
                    .execute(conn)?;
            }
            report.inserted += 1;
        }
        Ok(report)
    })
}

/// A unit to create or the full new state of one to update.
#[derive(Clone, Debug)]
pub struct UnitWrite {
    /// Name.
    pub name: String,
    /// Short code.
    pub short_code: String,
    /// Kind.
    pub kind: UnitKind,
    /// Categories.
    pub categories: Vec<Category>,
    /// Head.
    pub head: Option<Person>,
    /// Deputies.
    pub deputies: Vec<Person>,
    /// Delegation allowed.
    pub delegation_allowed: bool,
    /// Active.
    pub active: bool,
    /// Programme role.
    pub programme_role: Option<ProgrammeRole>,
    /// Lead activity.
    pub lead_activity: Option<Activity>,
}

impl UnitWrite {
    /// The state of a stored unit, to apply changes to.
    pub fn from_unit(u: &Unit) -> Self {
        UnitWrite {
            name: u.name.clone(),
            short_code: u.short_code.clone(),
            kind: u.kind,
            categories: u.categories.clone(),
            head: u.head.clone(),
            deputies: u.deputies.clone(),
            delegation_allowed: u.delegation_allowed,
            active: u.active,
            programme_role: u.programme_role,
            lead_activity: u.lead_activity,
        }
    }
}

fn replace_categories(
    conn: &mut AnyConnection,
    id: &str,
    categories: &[Category],
) -> Result<(), AppError> {
    diesel::delete(unit_categories::table.filter(unit_categories::unit_id.eq(id))).execute(conn)?;
    for c in categories {
        diesel::insert_into(unit_categories::table)
            .values((
                unit_categories::unit_id.eq(id),
                unit_categories::category.eq(c.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts a unit (call inside a transaction). Name and short code conflicts are 409
/// `units_name_key` / `units_short_code_key`.
pub fn insert(conn: &mut AnyConnection, w: &UnitWrite) -> Result<Unit, AppError> {
    let id = UnitId::generate();
    let now = crate::store::now();
    let deputies =
        serde_json::to_string(&w.deputies).map_err(|e| AppError::internal(e.to_string()))?;
    diesel::insert_into(units::table)
        .values(NewUnitRow {
            id: id.to_string(),
            name: &w.name,
            short_code: &w.short_code,
            kind: w.kind.as_str(),
            head_name: w.head.as_ref().map(|h| h.name.as_str()),
            head_title: w.head.as_ref().and_then(|h| h.title.as_deref()),
            deputies,
            delegation_allowed: w.delegation_allowed,
            active: w.active,
            programme_role: w.programme_role.map(ProgrammeRole::as_str),
            lead_activity: w.lead_activity.map(Activity::as_str),
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .execute(conn)?;
    replace_categories(conn, &id.to_string(), &w.categories)?;
    get(conn, id)?.ok_or_else(|| AppError::internal("inserted unit not found"))
}

/// Writes the new state of unit `id` when its version is `expected_version` (call inside a
/// transaction); `None` when the version moved on.
pub fn update(
    conn: &mut AnyConnection,
    id: UnitId,
    expected_version: i64,
    w: &UnitWrite,
) -> Result<Option<Unit>, AppError> {
    let deputies =
        serde_json::to_string(&w.deputies).map_err(|e| AppError::internal(e.to_string()))?;
    let n = diesel::update(
        units::table
            .filter(units::id.eq(id.to_string()))
            .filter(units::version.eq(expected_version)),
    )
    .set((
        units::name.eq(&w.name),
        units::short_code.eq(&w.short_code),
        units::kind.eq(w.kind.as_str()),
        units::head_name.eq(w.head.as_ref().map(|h| h.name.clone())),
        units::head_title.eq(w.head.as_ref().and_then(|h| h.title.clone())),
        units::deputies.eq(deputies),
        units::delegation_allowed.eq(w.delegation_allowed),
        units::active.eq(w.active),
        units::programme_role.eq(w.programme_role.map(ProgrammeRole::as_str)),
        units::lead_activity.eq(w.lead_activity.map(Activity::as_str)),
        units::updated_at.eq(crate::store::now()),
        units::version.eq(expected_version + 1),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    replace_categories(conn, &id.to_string(), &w.categories)?;
    get(conn, id)
}

/// The unit whose id, short code or exact name is `key`.
pub fn find_by_key(conn: &mut AnyConnection, key: &str) -> Result<Option<Unit>, AppError> {
    let row: Option<UnitRow> = units::table
        .filter(
            units::id
                .eq(key)
                .or(units::short_code.eq(key))
                .or(units::name.eq(key)),
        )
        .select(units::all_columns)
        .first(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some(row) => Ok(with_categories(conn, vec![row])?.pop()),
    }
}

#[cfg(test)]
mod tests {
    use crate::store::like_pattern;

    #[test]
    fn like_wildcards_in_the_search_text_are_literal() {
        assert_eq!(like_pattern("区"), "%区%");
        assert_eq!(like_pattern("50%_\\"), "%50\\%\\_\\\\%");
    }
}
