//! Queries for webhooks: subscriptions, the delivery outbox (written in the event's own
//! transaction by [`emit`]), claims by the delivery worker, attempts, worker leases and the
//! once-only notices of scanned events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    event_notices, issues, webhook_attempts, webhook_deliveries, webhooks, worker_leases,
};
use crate::db::AnyConnection;
use crate::domain::webhook::{envelope, EventType};
use crate::error::AppError;

/// A stored webhook.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    /// Id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Where deliveries go.
    pub url: String,
    /// JSON array of event types.
    pub events: String,
    /// The signing secret.
    pub secret: String,
    /// Whether deliveries are made.
    pub active: bool,
    /// Who made it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Optimistic-lock version.
    pub version: i64,
}

impl WebhookRow {
    /// The event types it subscribes to (unknown names, which cannot be stored, are skipped).
    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str::<Vec<String>>(&self.events)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.parse().ok())
            .collect()
    }
}

/// One delivery of one event to one webhook.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    /// Id.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event's id (the same for every webhook and every redelivery).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: NaiveDateTime,
    /// The worker sending it now.
    pub claimed_by: Option<String>,
    /// Until when that worker holds it.
    pub claimed_until: Option<NaiveDateTime>,
    /// The last response's status code.
    pub last_status_code: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it succeeded.
    pub delivered_at: Option<NaiveDateTime>,
    /// The delivery this one repeats, on demand.
    pub redelivery_of: Option<String>,
    /// When it was queued.
    pub created_at: NaiveDateTime,
}

/// One attempt to send a delivery.
#[derive(Queryable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    /// Id.
    pub id: String,
    /// The delivery.
    pub delivery_id: String,
    /// 1, 2, …
    pub attempt: i32,
    /// When it started.
    pub started_at: NaiveDateTime,
    /// How long it took.
    pub duration_ms: i64,
    /// The response's status code.
    pub status_code: Option<i32>,
    /// Why no response came (time-out, refused connection, refused address…).
    pub error: Option<String>,
    /// The start of the response body (at most 2 KiB, as text).
    pub response_body: Option<String>,
}

/// Stores a webhook.
pub fn insert(conn: &mut AnyConnection, row: &WebhookRow) -> Result<(), AppError> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The webhook with `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<WebhookRow>, AppError> {
    Ok(webhooks::table
        .find(id)
        .select(webhooks::all_columns)
        .first(conn)
        .optional()?)
}

/// Every webhook, oldest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<WebhookRow>, AppError> {
    Ok(webhooks::table
        .select(webhooks::all_columns)
        .order(webhooks::id.asc())
        .load(conn)?)
}

/// Saves a changed webhook if it is still at `version`; whether it was.
pub fn update(conn: &mut AnyConnection, row: &WebhookRow, version: i64) -> Result<bool, AppError> {
    let n = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(&row.id))
            .filter(webhooks::version.eq(version)),
    )
    .set((
        webhooks::name.eq(&row.name),
        webhooks::url.eq(&row.url),
        webhooks::events.eq(&row.events),
        webhooks::secret.eq(&row.secret),
        webhooks::active.eq(row.active),
        webhooks::updated_at.eq(row.updated_at),
        webhooks::version.eq(version + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes a webhook with its deliveries and their attempts; whether it existed.
pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, AppError> {
    let deliveries = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .select(webhook_deliveries::id);
    diesel::delete(
        webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
    )
    .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? == 1)
}

/// Queues `event` for every active webhook subscribed to it: call it inside the transaction
/// that makes the event happen, so that the event and its deliveries commit or vanish
/// together. Returns the event's id and the number of deliveries queued.
pub fn emit(
    conn: &mut AnyConnection,
    event: EventType,
    data: serde_json::Value,
) -> Result<(String, usize), AppError> {
    let hooks: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(webhooks::all_columns)
        .load(conn)?;
    let targets: Vec<&WebhookRow> = hooks
        .iter()
        .filter(|h| h.event_types().contains(&event))
        .collect();
    let (event_id, rows) = queue(conn, &targets, event, data)?;
    Ok((event_id, rows.len()))
}

/// Queues a `ping` to `hook` alone, whatever it subscribes to.
pub fn ping(conn: &mut AnyConnection, hook: &WebhookRow) -> Result<DeliveryRow, AppError> {
    let data = serde_json::json!({"webhook_id": hook.id, "name": hook.name});
    let (_, mut rows) = queue(conn, &[hook], EventType::Ping, data)?;
    rows.pop()
        .ok_or_else(|| AppError::internal("a ping queued no delivery"))
}

fn queue(
    conn: &mut AnyConnection,
    targets: &[&WebhookRow],
    event: EventType,
    data: serde_json::Value,
) -> Result<(String, Vec<DeliveryRow>), AppError> {
    let event_id = uuid::Uuid::now_v7().to_string();
    if targets.is_empty() {
        return Ok((event_id, Vec::new()));
    }
    let now = crate::store::now();
    let payload = envelope(&event_id, event, crate::store::utc(now), data).to_string();
    let mut rows = Vec::new();
    for hook in targets {
        let row = DeliveryRow {
            id: uuid::Uuid::now_v7().to_string(),
            webhook_id: hook.id.clone(),
            event_id: event_id.clone(),
            event_type: event.as_str().into(),
            payload: payload.clone(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_by: None,
            claimed_until: None,
            last_status_code: None,
            last_error: None,
            delivered_at: None,
            redelivery_of: None,
            created_at: now,
        };
        diesel::insert_into(webhook_deliveries::table)
            .values(&row)
            .execute(conn)?;
        rows.push(row);
    }
    Ok((event_id, rows))
}

/// Queues a copy of `source` to be sent now (a redelivery on demand): same event id and body.
pub fn redeliver(conn: &mut AnyConnection, source: &DeliveryRow) -> Result<DeliveryRow, AppError> {
    let now = crate::store::now();
    let row = DeliveryRow {
        id: uuid::Uuid::now_v7().to_string(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        claimed_by: None,
        claimed_until: None,
        last_status_code: None,
        last_error: None,
        delivered_at: None,
        redelivery_of: Some(source.id.clone()),
        created_at: now,
        ..source.clone()
    };
    diesel::insert_into(webhook_deliveries::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// The delivery `id` of webhook `webhook_id`.
pub fn get_delivery(
    conn: &mut AnyConnection,
    webhook_id: &str,
    id: &str,
) -> Result<Option<DeliveryRow>, AppError> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(webhook_deliveries::all_columns)
        .first(conn)
        .optional()?)
}

/// One page of a webhook's deliveries, newest first, optionally of one status; whether more
/// follow.
pub fn list_deliveries(
    conn: &mut AnyConnection,
    webhook_id: &str,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<(Vec<DeliveryRow>, bool), AppError> {
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(webhook_deliveries::all_columns)
        .order(webhook_deliveries::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(webhook_deliveries::status.eq(s));
    }
    if let Some(b) = before {
        q = q.filter(webhook_deliveries::id.lt(b));
    }
    let mut rows: Vec<DeliveryRow> = q.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The attempts of a delivery, first first.
pub fn attempts(conn: &mut AnyConnection, delivery_id: &str) -> Result<Vec<AttemptRow>, AppError> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .select(webhook_attempts::all_columns)
        .order(webhook_attempts::attempt.asc())
        .load(conn)?)
}

/// Deliveries of active webhooks waiting to be sent (for `/metrics`).
pub fn backlog(conn: &mut AnyConnection) -> Result<i64, AppError> {
    let active = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(webhooks::id);
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::webhook_id.eq_any(active))
        .count()
        .get_result(conn)?)
}

/// Whether any delivery of an active webhook is due and unclaimed at `now` (a cheap read the
/// worker makes before taking any lock).
pub fn any_due(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<bool, AppError> {
    let active = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(webhooks::id);
    let n: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::claimed_until
                .is_null()
                .or(webhook_deliveries::claimed_until.lt(now)),
        )
        .filter(webhook_deliveries::webhook_id.eq_any(active))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A claimed delivery with what sending it needs.
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The delivery.
    pub delivery: DeliveryRow,
    /// The webhook's URL.
    pub url: String,
    /// The webhook's secret.
    pub secret: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Claims up to `batch` due deliveries of active webhooks for `holder` until `until`: no other
/// worker takes them before then. On PostgreSQL the rows are picked with `FOR UPDATE SKIP
/// LOCKED`, so concurrent workers on several instances each get different rows without
/// waiting; on SQLite the write transaction (`BEGIN IMMEDIATE`) serialises claims.
pub fn claim(
    conn: &mut AnyConnection,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    batch: i64,
) -> Result<Vec<Claimed>, AppError> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let ids: Vec<String> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 \
             WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND w.active \
                 AND (d.claimed_until IS NULL OR d.claimed_until < $3) \
               ORDER BY d.next_attempt_at, d.id LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
             RETURNING id",
        )
        .bind::<Text, _>(holder)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(batch)
        .load::<IdRow>(pg)?
        .into_iter()
        .map(|r| r.id)
        .collect(),
        AnyConnection::Sqlite(_) => {
            let active = webhooks::table
                .filter(webhooks::active.eq(true))
                .select(webhooks::id);
            let ids: Vec<String> = webhook_deliveries::table
                .filter(webhook_deliveries::status.eq("pending"))
                .filter(webhook_deliveries::next_attempt_at.le(now))
                .filter(
                    webhook_deliveries::claimed_until
                        .is_null()
                        .or(webhook_deliveries::claimed_until.lt(now)),
                )
                .filter(webhook_deliveries::webhook_id.eq_any(active))
                .select(webhook_deliveries::id)
                .order((
                    webhook_deliveries::next_attempt_at.asc(),
                    webhook_deliveries::id.asc(),
                ))
                .limit(batch)
                .load(conn)?;
            if !ids.is_empty() {
                diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
                    .set((
                        webhook_deliveries::claimed_by.eq(holder),
                        webhook_deliveries::claimed_until.eq(until),
                    ))
                    .execute(conn)?;
            }
            ids
        }
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DeliveryRow, String, String)> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .filter(webhook_deliveries::id.eq_any(&ids))
        .select((
            webhook_deliveries::all_columns,
            webhooks::url,
            webhooks::secret,
        ))
        .order(webhook_deliveries::id.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, url, secret)| Claimed {
            delivery,
            url,
            secret,
        })
        .collect())
}

/// What became of one attempt.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The attempt.
    pub attempt: AttemptRow,
    /// Whether it succeeded (a 2xx answer).
    pub succeeded: bool,
    /// When to try again, if it failed and attempts remain; `None`: give up.
    pub retry_at: Option<NaiveDateTime>,
}

/// Records an attempt of a delivery `holder` claimed, and releases the claim: succeeded,
/// pending again at `retry_at`, or failed. Nothing is written if the claim was lost (the
/// worker was too slow and another took the delivery over).
pub fn finish(conn: &mut AnyConnection, holder: &str, o: &Outcome) -> Result<bool, AppError> {
    let a = &o.attempt;
    let status = if o.succeeded {
        "succeeded"
    } else if o.retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    let n = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(&a.delivery_id))
            .filter(webhook_deliveries::claimed_by.eq(holder))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq(status),
        webhook_deliveries::attempts.eq(a.attempt),
        webhook_deliveries::next_attempt_at.eq(o.retry_at.unwrap_or(a.started_at)),
        webhook_deliveries::claimed_by.eq(None::<String>),
        webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
        webhook_deliveries::last_status_code.eq(a.status_code),
        webhook_deliveries::last_error.eq(&a.error),
        webhook_deliveries::delivered_at.eq(o.succeeded.then_some(a.started_at)),
    ))
    .execute(conn)?;
    if n == 1 {
        diesel::insert_into(webhook_attempts::table)
            .values(a)
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// Takes or renews the lease `name` for `holder` until `until`, if it is free, expired or
/// already `holder`'s; whether `holder` holds it now. Call inside a write transaction.
pub fn take_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::db::lock_key(conn, &format!("lease:{name}"))?;
    let current: Option<(String, NaiveDateTime)> = worker_leases::table
        .find(name)
        .select((worker_leases::holder, worker_leases::expires_at))
        .first(conn)
        .optional()?;
    match current {
        None => {
            diesel::insert_into(worker_leases::table)
                .values((
                    worker_leases::name.eq(name),
                    worker_leases::holder.eq(holder),
                    worker_leases::expires_at.eq(until),
                ))
                .execute(conn)?;
            Ok(true)
        }
        Some((h, expires)) if h == holder || expires < now => {
            diesel::update(worker_leases::table.find(name))
                .set((
                    worker_leases::holder.eq(holder),
                    worker_leases::expires_at.eq(until),
                ))
                .execute(conn)?;
            Ok(true)
        }
        Some(_) => Ok(false),
    }
}

/// Open or rectifying issues whose deadline is before `today` and for which no
/// `issue.overdue` was raised for that deadline yet: `(id, unit, number, deadline)`, at most
/// `limit`.
pub fn newly_overdue(
    conn: &mut AnyConnection,
    today: chrono::NaiveDate,
    limit: i64,
) -> Result<Vec<(String, String, i32, chrono::NaiveDate)>, AppError> {
    let rows: Vec<(String, String, i32, Option<chrono::NaiveDate>)> = issues::table
        .filter(issues::status.eq_any(["open", "rectifying"]))
        .filter(issues::deadline.lt(today))
        .select((issues::id, issues::unit_id, issues::seq, issues::deadline))
        .order(issues::id.asc())
        .load(conn)?;
    let mut out = Vec::new();
    for chunk in rows.chunks(500) {
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|(id, _, _, d)| d.map(|d| overdue_key(id, d)))
            .collect();
        let seen: std::collections::HashSet<String> = event_notices::table
            .filter(event_notices::notice_key.eq_any(&keys))
            .select(event_notices::notice_key)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        for (id, unit, seq, d) in chunk {
            if let Some(d) = d {
                if !seen.contains(&overdue_key(id, *d)) {
                    out.push((id.clone(), unit.clone(), *seq, *d));
                    if out.len() as i64 >= limit {
                        return Ok(out);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The notice key of an issue passing `deadline`: a deadline moved by an extension is a new
/// event when it passes too.
pub fn overdue_key(issue_id: &str, deadline: chrono::NaiveDate) -> String {
    format!("issue.overdue:{issue_id}:{deadline}")
}

/// Records the notice `key` unless it exists; whether this call recorded it. Call inside a
/// write transaction holding the scan's lock.
pub fn notice_once(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let exists = event_notices::table
        .find(key)
        .select(event_notices::notice_key)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if exists {
        return Ok(false);
    }
    diesel::insert_into(event_notices::table)
        .values((
            event_notices::notice_key.eq(key),
            event_notices::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Whether an active webhook subscribes to `event`.
pub fn subscribed(conn: &mut AnyConnection, event: EventType) -> Result<bool, AppError> {
    let hooks: Vec<String> = webhooks::table
        .filter(webhooks::active.eq(true))
        .select(webhooks::events)
        .load(conn)?;
    Ok(hooks.iter().any(|e| {
        serde_json::from_str::<Vec<String>>(e)
            .unwrap_or_default()
            .iter()
            .any(|x| x == event.as_str())
    }))
}
