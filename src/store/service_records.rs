//! Queries for service records. Phone numbers leave this module as stored; masking is the API
//! layer's, by the caller's rights.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::service_records;
use crate::db::AnyConnection;
use crate::domain::service_record::ServiceKind;
use crate::error::AppError;

/// A stored service record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRecordRow {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Matter, if known.
    pub matter_id: Option<String>,
    /// Local date served.
    pub served_on: NaiveDate,
    /// Consultation or application.
    pub kind: ServiceKind,
    /// Contact name (gone after the retention period).
    pub contact_name: Option<String>,
    /// Phone, digits only (gone after the retention period).
    pub phone: Option<String>,
    /// When the personal data was purged.
    pub purged_at: Option<NaiveDateTime>,
    /// Created.
    pub created_at: NaiveDateTime,
}

type Raw = (
    String,
    String,
    Option<String>,
    NaiveDate,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

fn from_raw(r: Raw) -> Result<ServiceRecordRow, AppError> {
    Ok(ServiceRecordRow {
        kind: ServiceKind::from_str(&r.4)
            .map_err(|e| AppError::internal(format!("service record {}: kind {e}", r.0)))?,
        id: r.0,
        unit_id: r.1,
        matter_id: r.2,
        served_on: r.3,
        contact_name: r.5,
        phone: r.6,
        purged_at: r.7,
        created_at: r.8,
    })
}

/// A record to insert.
#[derive(Clone, Debug)]
pub struct NewServiceRecord {
    /// Matter.
    pub matter_id: Option<String>,
    /// Date served.
    pub served_on: NaiveDate,
    /// Kind.
    pub kind: ServiceKind,
    /// Contact name.
    pub contact_name: Option<String>,
    /// Normalized phone.
    pub phone: Option<String>,
}

/// Inserts records of a unit (inside a transaction); their ids, in order.
pub fn insert(
    conn: &mut AnyConnection,
    unit_id: &str,
    records: &[NewServiceRecord],
) -> Result<Vec<String>, AppError> {
    insert_at(conn, unit_id, records, crate::store::now())
}

/// Inserts records of a unit recorded at `now` (an import of records kept elsewhere).
pub fn insert_at(
    conn: &mut AnyConnection,
    unit_id: &str,
    records: &[NewServiceRecord],
    now: NaiveDateTime,
) -> Result<Vec<String>, AppError> {
    let mut ids = Vec::with_capacity(records.len());
    for r in records {
        let id = uuid::Uuid::now_v7().to_string();
        diesel::insert_into(service_records::table)
            .values((
                service_records::id.eq(&id),
                service_records::unit_id.eq(unit_id),
                service_records::matter_id.eq(&r.matter_id),
                service_records::served_on.eq(r.served_on),
                service_records::kind.eq(r.kind.as_str()),
                service_records::contact_name.eq(&r.contact_name),
                service_records::phone.eq(&r.phone),
                service_records::created_at.eq(now),
            ))
            .execute(conn)?;
        ids.push(id);
    }
    Ok(ids)
}

/// Records of a unit served from `from` to `to` (inclusive), in id order after `after`.
pub fn list(
    conn: &mut AnyConnection,
    unit_id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<ServiceRecordRow>, bool), AppError> {
    let mut q = service_records::table
        .filter(service_records::unit_id.eq(unit_id.to_owned()))
        .select(service_records::all_columns)
        .order(service_records::id.asc())
        .into_boxed();
    if let Some(f) = from {
        q = q.filter(service_records::served_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(service_records::served_on.le(t));
    }
    if let Some(a) = after {
        q = q.filter(service_records::id.gt(a.to_owned()));
    }
    let raw: Vec<Raw> = q.limit(limit + 1).load(conn)?;
    let more = raw.len() as i64 > limit;
    let mut out = raw
        .into_iter()
        .map(from_raw)
        .collect::<Result<Vec<_>, _>>()?;
    out.truncate(limit as usize);
    Ok((out, more))
}

/// Ids of a unit's records served from `from` to `to` that still have a phone to call.
pub fn callable_ids(
    conn: &mut AnyConnection,
    unit_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, AppError> {
    Ok(service_records::table
        .filter(service_records::unit_id.eq(unit_id))
        .filter(service_records::served_on.ge(from))
        .filter(service_records::served_on.le(to))
        .filter(service_records::phone.is_not_null())
        .select(service_records::id)
        .load(conn)?)
}

/// A unit's records served from `from` to `to`: (id, still has a phone, when recorded).
pub fn in_window(
    conn: &mut AnyConnection,
    unit_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, bool, NaiveDateTime)>, AppError> {
    let rows: Vec<(String, Option<String>, NaiveDateTime)> = service_records::table
        .filter(service_records::unit_id.eq(unit_id))
        .filter(service_records::served_on.ge(from))
        .filter(service_records::served_on.le(to))
        .select((
            service_records::id,
            service_records::phone,
            service_records::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, phone, at)| (id, phone.is_some(), at))
        .collect())
}

/// Removes the contact name and phone of records served before `cutoff`; how many.
pub fn purge_before(conn: &mut AnyConnection, cutoff: NaiveDate) -> Result<usize, AppError> {
    Ok(diesel::update(
        service_records::table
            .filter(service_records::served_on.lt(cutoff))
            .filter(service_records::purged_at.is_null()),
    )
    .set((
        service_records::phone.eq(None::<String>),
        service_records::contact_name.eq(None::<String>),
        service_records::purged_at.eq(Some(crate::store::now())),
    ))
    .execute(conn)?)
}

/// The record with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<ServiceRecordRow>, AppError> {
    let raw: Option<Raw> = service_records::table
        .find(id)
        .select(service_records::all_columns)
        .first(conn)
        .optional()?;
    raw.map(from_raw).transpose()
}

/// The (unit, service date) of the records with these ids, in one query; no personal data.
pub fn facts(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, NaiveDate)>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String, NaiveDate)> = service_records::table
        .filter(service_records::id.eq_any(ids))
        .select((
            service_records::id,
            service_records::unit_id,
            service_records::served_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, unit, on)| (id, (unit, on)))
        .collect())
}
