//! The webhook delivery worker: one background task per instance that claims due deliveries
//! from the outbox, sends each signed, records the attempt and schedules the next one with
//! exponential backoff; and that raises `issue.overdue` when an issue passes its deadline.
//!
//! Several instances on one PostgreSQL each run it: claims use `FOR UPDATE SKIP LOCKED` and a
//! claim lasts longer than one attempt can, so no delivery is sent by two workers at once. On
//! SQLite one instance at a time holds the worker lease.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;

use crate::config::WebhookSettings;
use crate::db::{self, write_transaction, AnyConnection, DbPool};
use crate::domain::webhook::{self as rules, EventType};
use crate::error::AppError;
use crate::store::webhooks::{self as store, AttemptRow, Claimed, Outcome};

/// The lease name of the SQLite worker.
const LEASE: &str = "webhook-worker";
/// The most of a response body kept with an attempt.
const RESPONSE_KEEP: usize = 2048;

/// A DNS resolver that drops internal addresses unless they are allowed, so that a public name
/// pointing (or re-pointed) at an internal address cannot be used to reach it.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|i| i.collect::<Vec<SocketAddr>>())
            })
            .await??;
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow || !rules::private_address(a.ip()))
                .collect();
            if usable.is_empty() {
                return Err("the name resolves to no address a webhook may be sent to".into());
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries are sent with: the attempt's time limit, no redirects followed,
/// no proxy from the environment, and the guarded resolver.
pub fn client(settings: &WebhookSettings) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("frontline-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .build()
        .map_err(|e| e.to_string())
}

/// Sends one claimed delivery and says what became of it.
pub async fn send(client: &reqwest::Client, c: &Claimed, settings: &WebhookSettings) -> Outcome {
    let started = Instant::now();
    let started_at = crate::store::now();
    let attempt = c.delivery.attempts + 1;
    let (status_code, error, body) = match rules::check_url(&c.url, settings.allow_private) {
        Err(_) => (
            None,
            Some("the URL is not allowed (internal address)".to_owned()),
            None,
        ),
        Ok(url) => {
            let timestamp = Utc::now().timestamp();
            let payload = c.delivery.payload.as_bytes();
            let request = client
                .post(url)
                .header("Content-Type", "application/json")
                .header(rules::EVENT_HEADER, &c.delivery.event_type)
                .header(rules::EVENT_ID_HEADER, &c.delivery.event_id)
                .header(rules::DELIVERY_HEADER, &c.delivery.id)
                .header(rules::TIMESTAMP_HEADER, timestamp.to_string())
                .header(
                    rules::SIGNATURE_HEADER,
                    rules::signature(&c.secret, timestamp, payload),
                )
                .body(c.delivery.payload.clone());
            match request.send().await {
                Ok(mut resp) => {
                    let code = resp.status().as_u16();
                    let mut kept = Vec::new();
                    // Only the start of the answer is kept; the rest is not read.
                    while kept.len() < RESPONSE_KEEP {
                        match resp.chunk().await {
                            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                            _ => break,
                        }
                    }
                    kept.truncate(RESPONSE_KEEP);
                    // Kept as text: PostgreSQL refuses NUL in TEXT, so binary answers lose them.
                    let text = String::from_utf8_lossy(&kept).replace('\0', "");
                    (Some(i32::from(code)), None, Some(text))
                }
                Err(e) => (None, Some(describe(&e).replace('\0', "")), None),
            }
        }
    };
    let succeeded = status_code.is_some_and(|s| (200..300).contains(&s));
    let retry_at = (!succeeded && (attempt as u32) < settings.max_attempts).then(|| {
        let wait = rules::backoff(attempt as u32, settings.backoff, settings.backoff_max);
        crate::store::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    });
    Outcome {
        attempt: AttemptRow {
            id: uuid::Uuid::now_v7().to_string(),
            delivery_id: c.delivery.id.clone(),
            attempt,
            started_at,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            status_code,
            error,
            response_body: body,
        },
        succeeded,
        retry_at,
    }
}

/// A failure in words, without the URL (it may carry a token the receiver put in its query).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Raises `issue.overdue` for issues that passed their deadline since the last scan, once per
/// issue and deadline whichever instance scans. The notices are recorded whether or not a
/// webhook subscribes, so that one subscribing later hears of new deadlines only. Returns how
/// many were raised.
pub fn scan_overdue(conn: &mut AnyConnection, today: chrono::NaiveDate) -> Result<usize, AppError> {
    if store::newly_overdue(conn, today, 1)?.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        db::lock_key(conn, "webhook-overdue-scan")?;
        let now = crate::store::now();
        let mut raised = 0;
        for (id, unit, seq, deadline) in store::newly_overdue(conn, today, 500)? {
            if store::notice_once(conn, &store::overdue_key(&id, deadline), now)? {
                store::emit(
                    conn,
                    EventType::IssueOverdue,
                    serde_json::json!({"issue_id": id, "unit_id": unit, "seq": seq, "deadline": deadline}),
                )?;
                raised += 1;
            }
        }
        Ok(raised)
    })
}

/// Starts the worker on the current runtime (unless `FRONTLINE_WEBHOOK_WORKER=false`); abort
/// the handle to stop it.
pub fn spawn(
    pool: DbPool,
    settings: WebhookSettings,
) -> Option<actix_web::rt::task::JoinHandle<()>> {
    if !settings.worker {
        return None;
    }
    let client = match client(&settings) {
        Ok(c) => c,
        Err(e) => {
            log::error!("webhook deliveries are off: cannot build the HTTP client: {e}");
            return None;
        }
    };
    let holder = uuid::Uuid::now_v7().to_string();
    Some(actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(settings.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_scan = Instant::now();
        loop {
            tick.tick().await;
            if let Err(e) = round(&pool, &client, &settings, &holder, &mut last_scan).await {
                log::warn!("webhook worker: {e}");
            }
        }
    }))
}

/// One round: the overdue scan when due, then one batch of deliveries.
async fn round(
    pool: &DbPool,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    holder: &str,
    last_scan: &mut Instant,
) -> Result<(), AppError> {
    if last_scan.elapsed() >= settings.overdue_scan {
        *last_scan = Instant::now();
        let today = crate::domain::calendar::local_date(Utc::now());
        let n = db::run(pool, move |conn| scan_overdue(conn, today)).await?;
        if n > 0 {
            log::info!("raised issue.overdue for {n} issues");
        }
    }
    let now = crate::store::now();
    if !db::run(pool, move |conn| store::any_due(conn, now)).await? {
        return Ok(());
    }
    // A claim outlives the longest attempt, so no other worker can take a delivery while it is
    // being sent.
    let hold = chrono::Duration::from_std(settings.timeout * 2 + Duration::from_secs(30))
        .unwrap_or(chrono::Duration::minutes(5));
    let (h, batch) = (holder.to_owned(), i64::from(settings.batch));
    let claimed = db::run(pool, move |conn| {
        write_transaction(conn, |conn| {
            let now = crate::store::now();
            if matches!(conn, AnyConnection::Sqlite(_))
                && !store::take_lease(conn, LEASE, &h, now, now + hold)?
            {
                return Ok(Vec::new());
            }
            store::claim(conn, &h, now, now + hold, batch)
        })
    })
    .await?;
    if claimed.is_empty() {
        return Ok(());
    }
    let outcomes = join_all(claimed.iter().map(|c| send(client, c, settings))).await;
    let h = holder.to_owned();
    db::run(pool, move |conn| {
        // Each outcome on its own, so that one that cannot be stored holds up no other.
        for o in &outcomes {
            match write_transaction(conn, |conn| store::finish(conn, &h, o)) {
                Ok(true) => {}
                Ok(false) => log::warn!(
                    "webhook delivery {} was taken over before its attempt was recorded",
                    o.attempt.delivery_id
                ),
                Err(e) => log::warn!(
                    "the attempt of webhook delivery {} could not be recorded: {e}",
                    o.attempt.delivery_id
                ),
            }
        }
        Ok(())
    })
    .await
}
