//! The audit log: appended in the same transaction as the write it records; never updated or
//! deleted (triggers refuse it on both backends).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::audit_log;
use crate::db::AnyConnection;
use crate::error::AppError;

/// Who acted and from where; built by the API layer for each request.
#[derive(Clone, Debug, Default)]
pub struct AuditCtx {
    /// The account, if signed in (or the account a sign-in was for).
    pub actor_id: Option<String>,
    /// Its username (or the username tried at sign-in).
    pub actor_username: Option<String>,
    /// Its role.
    pub actor_role: Option<String>,
    /// Its unit.
    pub actor_unit_id: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
}

/// One audit record to append.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    /// e.g. `unit.create`, `user.update`, `auth.login`.
    pub action: &'a str,
    /// e.g. `unit`, `user`, `session`.
    pub target_type: Option<&'a str>,
    /// The target's id.
    pub target_id: Option<&'a str>,
    /// The changed fields, before and after (see [`crate::domain::audit::diff`]).
    pub changes: Option<serde_json::Value>,
    /// `success`, `failure` or `denied`.
    pub outcome: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    id: String,
    at: NaiveDateTime,
    actor_id: Option<&'a str>,
    actor_username: Option<&'a str>,
    actor_role: Option<&'a str>,
    actor_unit_id: Option<&'a str>,
    action: &'a str,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    changes: Option<String>,
    request_id: Option<&'a str>,
    client_addr: Option<&'a str>,
    outcome: &'a str,
}

/// Appends one record. Call it inside the write's transaction.
pub fn record(
    conn: &mut AnyConnection,
    ctx: &AuditCtx,
    entry: AuditEntry<'_>,
) -> Result<(), AppError> {
    let row = NewAuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        at: crate::store::now(),
        actor_id: ctx.actor_id.as_deref(),
        actor_username: ctx.actor_username.as_deref(),
        actor_role: ctx.actor_role.as_deref(),
        actor_unit_id: ctx.actor_unit_id.as_deref(),
        action: entry.action,
        target_type: entry.target_type,
        target_id: entry.target_id,
        changes: entry.changes.map(|c| c.to_string()),
        request_id: ctx.request_id.as_deref(),
        client_addr: ctx.client_addr.as_deref(),
        outcome: entry.outcome,
    };
    crate::db::direct!(conn, |c| diesel::insert_into(audit_log::table)
        .values(&row)
        .execute(c))?;
    Ok(())
}

/// An audit record as shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({
    "id": "0190b7e2-8c1a-7cc3-9a51-3f2e3d4c5b6a", "at": "2026-11-28T05:00:00Z",
    "actor_id": "0190b7e2-8c1a-7cc3-9a51-2f2e3d4c5b6a", "actor_username": "admin", "actor_role": "admin",
    "actor_unit_id": null, "action": "unit.update", "target_type": "unit",
    "target_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "changes": {"active": {"before": true, "after": false}},
    "request_id": "0190b7e2-8c1a-7cc3-9a51-000000000001", "client_addr": "10.0.0.8", "outcome": "success"
}))]
pub struct AuditRecord {
    /// Its id (UUIDv7, time-ordered).
    pub id: String,
    /// When (UTC).
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    #[serde(with = "utc_naive")]
    pub at: NaiveDateTime,
    /// The acting account.
    pub actor_id: Option<String>,
    /// Its username (for a failed sign-in: the username tried).
    pub actor_username: Option<String>,
    /// Its role.
    pub actor_role: Option<String>,
    /// Its unit.
    pub actor_unit_id: Option<String>,
    /// What was done.
    pub action: String,
    /// The kind of record acted on.
    pub target_type: Option<String>,
    /// The record's id.
    pub target_id: Option<String>,
    /// The changed fields: `{field: {before, after}}`.
    #[schema(value_type = Option<Object>)]
    #[serde(with = "json_text")]
    pub changes: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
}

mod utc_naive {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(
            &at.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|t| t.naive_utc())
            .map_err(serde::de::Error::custom)
    }
}

mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        let value: Option<serde_json::Value> =
            text.as_deref().and_then(|t| serde_json::from_str(t).ok());
        value.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<serde_json::Value>::deserialize(d)?.map(|v| v.to_string()))
    }
}

/// Filters of the audit list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// By acting account.
    pub actor_id: Option<String>,
    /// By kind of target.
    pub target_type: Option<String>,
    /// By target id.
    pub target_id: Option<String>,
    /// By action.
    pub action: Option<String>,
    /// From this time (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this time (exclusive).
    pub to: Option<NaiveDateTime>,
}

/// Whose records a quota counts.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// An account's.
    Actor(&'a str),
    /// A client's, whatever the accounts: its address, or for IPv6 its /64 network (the key
    /// of [`crate::domain::account::client_key`]).
    Client(&'a str),
}

/// How many `action` records `source` left since `since`, and the oldest of them: the quota of
/// a costly action (exports), shared by every instance since it is read from the audit log
/// each one writes to.
pub fn recent(
    conn: &mut AnyConnection,
    source: Source<'_>,
    action: &str,
    since: chrono::NaiveDateTime,
) -> Result<(i64, Option<chrono::NaiveDateTime>), AppError> {
    let q = audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::at.ge(since))
        .into_boxed();
    match source {
        Source::Actor(id) => {
            let (count, oldest): (i64, Option<chrono::NaiveDateTime>) = q
                .filter(audit_log::actor_id.eq(id))
                .select((diesel::dsl::count_star(), diesel::dsl::min(audit_log::at)))
                .first(conn)?;
            Ok((count, oldest))
        }
        Source::Client(key) => {
            // The hour's records of the action (few: an index on action and time finds them),
            // grouped by client key here, since an IPv6 client's addresses differ within its
            // network.
            let rows: Vec<(Option<String>, chrono::NaiveDateTime)> = q
                .select((audit_log::client_addr, audit_log::at))
                .load(conn)?;
            let times: Vec<chrono::NaiveDateTime> = rows
                .into_iter()
                .filter(|(addr, _)| crate::domain::account::client_key(addr.as_deref()) == key)
                .map(|(_, at)| at)
                .collect();
            Ok((times.len() as i64, times.iter().min().copied()))
        }
    }
}

/// Records matching `filter`, newest first, older than the record `before`; at most `limit`,
/// and whether more follow.
pub fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    before: Option<&str>,
    limit: i64,
) -> Result<(Vec<AuditRecord>, bool), AppError> {
    let mut q = audit_log::table
        .select(audit_log::all_columns)
        .order(audit_log::id.desc())
        .into_boxed();
    if let Some(v) = &filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &filter.target_type {
        q = q.filter(audit_log::target_type.eq(v.clone()));
    }
    if let Some(v) = &filter.target_id {
        q = q.filter(audit_log::target_id.eq(v.clone()));
    }
    if let Some(v) = &filter.action {
        q = q.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = filter.from {
        q = q.filter(audit_log::at.ge(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(audit_log::at.lt(v));
    }
    if let Some(b) = before {
        q = q.filter(audit_log::id.lt(b.to_owned()));
    }
    let mut rows: Vec<AuditRecord> = q.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
