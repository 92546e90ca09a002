//! Every setting of the service: its environment variable (`FRONTLINE_*`), its default, and the
//! checks made at start. README.md's configuration table lists the same variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::db::DatabaseTarget;

/// Default database: an embedded SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/frontline.db";
/// Default bind address: loopback only, so a first `cargo run` exposes nothing.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default number of pooled database connections on PostgreSQL.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// The pool size when `FRONTLINE_POOL_SIZE` is not set: [`DEFAULT_POOL_SIZE`] on PostgreSQL,
/// where a connection spends much of a request waiting on the server; on SQLite, whose queries
/// are the instance's own CPU work, one connection per core and two more (at most 16), for the
/// writer inside SQLite's lock and the next one waiting at the gate: more only switch threads
/// and keep more, colder page caches, fewer leave requests queueing for a connection (POST p99
/// 0.2–0.9 s with 2 connections on 2 cores; measured: benches/RESULTS.md, fifth pass).
pub fn default_pool_size(database: &DatabaseTarget, cores: usize) -> u32 {
    match database {
        DatabaseTarget::Postgres { .. } => DEFAULT_POOL_SIZE,
        DatabaseTarget::Sqlite { .. } => {
            u32::try_from(cores.saturating_add(2).min(16)).unwrap_or(16)
        }
    }
}
/// Default seconds to wait for a pooled connection before answering 503.
pub const DEFAULT_POOL_TIMEOUT_SECS: u64 = 5;
/// Default largest request body in bytes (256 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;
/// Default `FRONTLINE_IMPORT_BODY_LIMIT`: 8 MiB, a batch of 5000 records.
pub const DEFAULT_IMPORT_BODY_LIMIT: usize = 8 << 20;
/// Default log filter (env_logger syntax).
pub const DEFAULT_LOG: &str = "info";
/// Default SQLite busy timeout in milliseconds.
pub const DEFAULT_SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// The service's settings, read once at start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `FRONTLINE_DATABASE_URL`: `sqlite://path`, a plain file path, or `postgres://…`.
    pub database: DatabaseTarget,
    /// `FRONTLINE_BIND`: host:port to listen on (`0.0.0.0:8080` in the container image).
    pub bind: String,
    /// `FRONTLINE_POOL_SIZE`: pooled connections per instance.
    pub pool_size: u32,
    /// `FRONTLINE_POOL_TIMEOUT_SECS`: wait for a connection before answering 503.
    pub pool_timeout: Duration,
    /// `FRONTLINE_BODY_LIMIT`: largest accepted request body in bytes; larger answers 413.
    pub body_limit: usize,
    /// `FRONTLINE_IMPORT_BODY_LIMIT`: largest body of `POST /api/v1/imports` in bytes (a
    /// half-year of records is larger than any other request); larger answers 413.
    pub import_body_limit: usize,
    /// `FRONTLINE_CORS_ORIGINS`: the browser origins (`https://portal.example.gov.cn`,
    /// comma-separated) whose pages may call the API; none by default, so a page elsewhere
    /// cannot read a response.
    pub cors_origins: Vec<String>,
    /// `FRONTLINE_REQUEST_TIMEOUT_SECS`: the most a request may take once received (default
    /// 30); a slower one answers 503 with `Retry-After`.
    pub request_timeout: Duration,
    /// `FRONTLINE_MAX_CONNECTIONS`: open client connections per worker (default 1024); more
    /// wait in the listen queue.
    pub max_connections: usize,
    /// `FRONTLINE_EXPORT_RATE_PER_HOUR`: ledger exports (`GET /issues/export`) one account may
    /// make per hour, on all instances together (default 30); more answer 429.
    pub export_rate_per_hour: u32,
    /// `FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR`: ledger exports made from one client
    /// address per hour, whatever the accounts (default 60, an office's staff behind one
    /// gateway); more answer 429.
    pub export_rate_per_address_per_hour: u32,
    /// The sizes of what one request may hold.
    pub limits: Limits,
    /// `FRONTLINE_LOG`: log filter, e.g. `info` or `frontline=debug,actix_web=info`.
    pub log_filter: String,
    /// `FRONTLINE_WORKERS`: HTTP worker threads; default one per CPU.
    pub workers: Option<usize>,
    /// `FRONTLINE_SQLITE_BUSY_TIMEOUT_MS`: how long SQLite waits for a lock before giving up.
    pub sqlite_busy_timeout_ms: u32,
    /// Sign-in, tokens, lockout and password settings.
    pub auth: AuthSettings,
    /// `FRONTLINE_AUDIT_RETENTION_DAYS`: the audit log is kept at least this long (≥ 180).
    pub audit_retention_days: u32,
    /// `FRONTLINE_SERVICE_RECORD_RETENTION_DAYS`: names and phones of service records are
    /// purged this many days after the service date (default 365).
    pub service_record_retention_days: u32,
    /// `FRONTLINE_FOLLOW_UP_DRAW_DEFAULT`: contacts drawn for follow-up calls when no count is
    /// given (default 6, enough for 3 valid calls).
    pub follow_up_draw_default: u32,
    /// `FRONTLINE_FOLLOW_UP_DRAW_MAX`: the most contacts one draw may take (default 30).
    pub follow_up_draw_max: u32,
    /// `FRONTLINE_IMMEDIATE_RESPONSE_DAYS`: an immediate trigger is due this many days after it
    /// is raised (R8; default 7).
    pub immediate_response_days: u32,
    /// `FRONTLINE_TRACKING_INTERVAL_DAYS`: default days between participations on a tracking
    /// subject (default 30).
    pub tracking_interval_days: u32,
    /// `FRONTLINE_FILING_DAYS`: a participation is filed on time until the end of this many
    /// days after its activity date (R3; default 3).
    pub filing_days: u32,
    /// `FRONTLINE_MONTHLY_REPORT_DAY`: a month's statistics are due by this day of the next
    /// month (四(二), R12; default 20).
    pub monthly_report_day: u32,
    /// `FRONTLINE_QUARTERLY_SUMMARY_DAY`: a quarter's summary is due by this day of its last
    /// month (四(三), R12; default 22).
    pub quarterly_summary_day: u32,
    /// `FRONTLINE_ISSUE_LIST_DAY`: a quarter's issue lists are due by this day of its last
    /// month (五(二), R9; default 20).
    pub issue_list_day: u32,
    /// `FRONTLINE_BULLETIN_OVERDUE_MIN`: a unit with at least this many issues overdue at a
    /// quarter's end is named in its bulletin (default 2).
    pub bulletin_overdue_min: u32,
    /// `FRONTLINE_WORKING_DAY_DEADLINES`: the deadlines counted in working days (comma-separated
    /// among [`WORKING_DAY_DEADLINES`]); the others count calendar days (default: none).
    pub working_day_deadlines: Vec<String>,
    /// `FRONTLINE_RECHECK_DAYS`: a closed issue is re-checked (回头看) within this many days
    /// (R11; default 90).
    pub recheck_days: u32,
    /// `FRONTLINE_IDEMPOTENCY_HOURS`: how long the first answer to an `Idempotency-Key` is
    /// kept (default 24).
    pub idempotency_hours: u32,
    /// `FRONTLINE_COMPLIANCE_POINTS`: overrides of the compliance deduction table, like
    /// `R1=10,R3=1` (each 0–100; defaults in README).
    pub compliance_points: crate::domain::compliance::Deductions,
    /// The 12345 hotline analysis settings.
    pub hotline: HotlineSettings,
    /// `FRONTLINE_METRICS_TOKEN`: when set (at least 32 bytes), `GET /metrics` needs it as a
    /// bearer token.
    pub metrics_token: Option<Secret>,
    /// `FRONTLINE_METRICS_BIND`: when set (host:port), `GET /metrics` is served only on this
    /// second address (say, an internal interface) and not on `FRONTLINE_BIND`.
    pub metrics_bind: Option<String>,
    /// Webhook delivery settings.
    pub webhooks: WebhookSettings,
    /// WeChat mini-program sign-in settings.
    pub wechat: WechatSettings,
}

/// The sizes of what one request may hold; over each, the request is refused with a 4xx
/// problem naming the field and the limit, before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `FRONTLINE_JSON_MAX_DEPTH`: the deepest nesting of arrays and objects in a JSON body
    /// (default 32, at most 127, under the parser's own bound); deeper answers 422.
    pub json_depth: usize,
    /// `FRONTLINE_LIST_LIMIT_MAX`: the largest `limit` of a list page (default 200); the
    /// served OpenAPI document states the configured value.
    pub list: i64,
    /// `FRONTLINE_IMPORT_MAX_RECORDS`: records of one `POST /api/v1/imports` batch (default
    /// 5 000); more answer 422.
    pub import_records: usize,
    /// `FRONTLINE_IMPORT_MAX_ROWS`: rows of one imported catalogue file (units, matters,
    /// an Annex 2 sheet; default 20 000); more answer 422.
    pub import_rows: usize,
    /// `FRONTLINE_HOTLINE_IMPORT_MAX_ROWS`: data rows of one work-order file (default
    /// 200 000); more answer 422 and nothing of the file is kept.
    pub hotline_rows: u32,
    /// `FRONTLINE_SEGMENTS_MAX`: segments of one participation (default 20); more answer 422.
    pub segments: usize,
    /// `FRONTLINE_CALLS_MAX`: follow-up calls of one segment (default 50); more answer 422.
    pub calls: usize,
}

/// Default `FRONTLINE_LIST_LIMIT_MAX`, the one `openapi/openapi.json` states.
pub const DEFAULT_LIST_LIMIT_MAX: i64 = 200;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            json_depth: 32,
            list: DEFAULT_LIST_LIMIT_MAX,
            import_records: 5_000,
            import_rows: 20_000,
            hotline_rows: 200_000,
            segments: 20,
            calls: 50,
        }
    }
}

/// WeChat mini-program sign-in (`POST /api/v1/auth/wechat`); off unless an appid and a secret
/// are set.
#[derive(Clone, Debug)]
pub struct WechatSettings {
    /// `FRONTLINE_WECHAT_APPID`: the mini-program's appid.
    pub appid: Option<String>,
    /// `FRONTLINE_WECHAT_SECRET`, or the first line of the file `FRONTLINE_WECHAT_SECRET_FILE`
    /// names: the mini-program's AppSecret. Never logged, never returned.
    pub secret: Option<Secret>,
    /// `FRONTLINE_WECHAT_API_BASE`: WeChat's API (default `https://api.weixin.qq.com`); point it
    /// at an intranet proxy, or at a fake in tests.
    pub api_base: String,
    /// `FRONTLINE_WECHAT_TIMEOUT_MS`: the time limit of a call to WeChat (default 5 000).
    pub timeout: Duration,
    /// `FRONTLINE_WECHAT_TICKET_SECS`: how long a binding ticket works (default 300).
    pub ticket_secs: u32,
}

impl WechatSettings {
    /// The appid and secret, when sign-in with WeChat is on.
    pub fn credentials(&self) -> Option<(&str, &Secret)> {
        Some((self.appid.as_deref()?, self.secret.as_ref()?))
    }
}

/// Webhook delivery settings (defaults in README).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// `FRONTLINE_WEBHOOK_WORKER`: whether this instance sends deliveries (default true; every
    /// instance may, they never send one delivery at the same time).
    pub worker: bool,
    /// `FRONTLINE_WEBHOOK_ALLOW_PRIVATE`: allow loopback, private and link-local targets
    /// (default false: such URLs are refused when made and when sent).
    pub allow_private: bool,
    /// `FRONTLINE_WEBHOOK_TIMEOUT_SECS`: one attempt's time limit (default 10).
    pub timeout: Duration,
    /// `FRONTLINE_WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is marked failed (default 8).
    pub max_attempts: u32,
    /// `FRONTLINE_WEBHOOK_BACKOFF_MS`: the wait after the first failure, doubled after each
    /// further one (default 10 000).
    pub backoff: Duration,
    /// `FRONTLINE_WEBHOOK_BACKOFF_MAX_SECS`: the longest wait between attempts (default 3 600).
    pub backoff_max: Duration,
    /// `FRONTLINE_WEBHOOK_POLL_MS`: how often the worker looks for due deliveries (default 1 000).
    pub poll: Duration,
    /// `FRONTLINE_WEBHOOK_BATCH`: deliveries one worker claims and sends at once (default 8).
    pub batch: u32,
    /// `FRONTLINE_WEBHOOK_OVERDUE_SCAN_SECS`: how often issues past their deadline are looked
    /// for to raise `issue.overdue` (default 300).
    pub overdue_scan: Duration,
}

/// The 12345 hotline settings (defaults in README).
#[derive(Clone, Debug)]
pub struct HotlineSettings {
    /// `FRONTLINE_HOTLINE_DUE_DAYS`: an order without a deadline of its own is due this many
    /// days after it is received.
    pub due_days: u32,
    /// `FRONTLINE_HOTLINE_CONCENTRATION_SHARE` and `FRONTLINE_HOTLINE_CONCENTRATION_TOP` (H1).
    pub concentration: crate::domain::hotline::ConcentrationRule,
    /// `FRONTLINE_HOTLINE_SPIKE_*` (H2).
    pub spike: crate::domain::hotline::SpikeRule,
    /// `FRONTLINE_HOTLINE_IMPORT_MAX_BYTES`: the largest work-order file.
    pub import_max_bytes: usize,
    /// `FRONTLINE_HOTLINE_TYPICAL_CASES`: typical cases shown per top category.
    pub typical_cases: u32,
    /// `FRONTLINE_HOTLINE_SOURCES`: the sources work orders may come from (comma-separated;
    /// external ids are unique per source, so a misspelt source would duplicate every order).
    pub sources: Vec<String>,
}

/// The deadlines `FRONTLINE_WORKING_DAY_DEADLINES` may switch to working days.
pub const WORKING_DAY_DEADLINES: [&str; 6] = [
    "filing",
    "immediate_response",
    "issue_list",
    "monthly_report",
    "quarterly_summary",
    "recheck",
];

impl Config {
    /// How the deadline `name` counts its days.
    pub fn day_count(&self, name: &str) -> crate::domain::calendar::DayCount {
        if self.working_day_deadlines.iter().any(|n| n == name) {
            crate::domain::calendar::DayCount::Working
        } else {
            crate::domain::calendar::DayCount::Calendar
        }
    }
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Sign-in, token, lockout and password settings.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `FRONTLINE_JWT_SECRET`: the HS256 signing secret, at least 32 bytes. Without it a random
    /// secret is generated once and kept in the data folder (SQLite only).
    pub jwt_secret: Option<Secret>,
    /// `FRONTLINE_JWT_KID`: the key id of `jwt_secret`, in each token's header.
    pub jwt_kid: String,
    /// `FRONTLINE_JWT_PREVIOUS_SECRET` and `FRONTLINE_JWT_PREVIOUS_KID`: a retired key still
    /// accepted (not used to sign), for rotation.
    pub jwt_previous: Option<(String, Secret)>,
    /// `FRONTLINE_JWT_ISSUER`: the `iss` claim.
    pub issuer: String,
    /// `FRONTLINE_JWT_AUDIENCE`: the `aud` claim.
    pub audience: String,
    /// `FRONTLINE_ACCESS_TOKEN_MINUTES`: access token lifetime.
    pub access_minutes: u32,
    /// `FRONTLINE_REFRESH_IDLE_HOURS`: a refresh token unused this long expires.
    pub refresh_idle_hours: u32,
    /// `FRONTLINE_REFRESH_ABSOLUTE_DAYS`: a login's refresh chain ends this long after login.
    pub refresh_absolute_days: u32,
    /// `FRONTLINE_LOGIN_MAX_FAILURES`: failures within the window that lock an account.
    pub login_max_failures: u32,
    /// `FRONTLINE_LOGIN_FAILURE_WINDOW_MINUTES`: the window in which failures count.
    pub login_failure_window_minutes: u32,
    /// `FRONTLINE_LOGIN_LOCK_MINUTES`: how long a locked account stays locked.
    pub login_lock_minutes: u32,
    /// `FRONTLINE_LOGIN_RATE_PER_MINUTE`: login requests per client address per minute; more
    /// answer 429.
    pub login_rate_per_minute: u32,
    /// `FRONTLINE_PASSWORD_MIN_LENGTH`: shortest password.
    pub password_min_length: u32,
    /// `FRONTLINE_PASSWORD_MIN_CLASSES`: fewest character classes (of lower, upper, digit, other).
    pub password_min_classes: u32,
    /// `FRONTLINE_ARGON2_MEMORY_KIB` and `FRONTLINE_ARGON2_ITERATIONS`: argon2id cost.
    pub argon2_memory_kib: u32,
    /// See `argon2_memory_kib`.
    pub argon2_iterations: u32,
}

/// A setting that could not be used; names the variable, never echoes a secret.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// Why its value was refused.
    pub reason: String,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let database_url =
            get("FRONTLINE_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let database = DatabaseTarget::parse(&database_url).map_err(|reason| ConfigError {
            var: "FRONTLINE_DATABASE_URL",
            reason,
        })?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pool_size = parse_num(
            &get,
            "FRONTLINE_POOL_SIZE",
            default_pool_size(&database, cores),
            1,
            1_000,
        )?;
        let pool_timeout = Duration::from_secs(parse_num(
            &get,
            "FRONTLINE_POOL_TIMEOUT_SECS",
            DEFAULT_POOL_TIMEOUT_SECS,
            1,
            300,
        )?);
        let body_limit = parse_num(
            &get,
            "FRONTLINE_BODY_LIMIT",
            DEFAULT_BODY_LIMIT,
            1_024,
            64 << 20,
        )?;
        let import_body_limit = parse_num(
            &get,
            "FRONTLINE_IMPORT_BODY_LIMIT",
            DEFAULT_IMPORT_BODY_LIMIT,
            1_024,
            64 << 20,
        )?;
        let cors_origins = cors_origins(get("FRONTLINE_CORS_ORIGINS").as_deref())?;
        let request_timeout = Duration::from_secs(parse_num(
            &get,
            "FRONTLINE_REQUEST_TIMEOUT_SECS",
            30u64,
            1,
            3_600,
        )?);
        let max_connections = parse_num(&get, "FRONTLINE_MAX_CONNECTIONS", 1_024usize, 1, 65_536)?;
        let export_rate_per_hour =
            parse_num(&get, "FRONTLINE_EXPORT_RATE_PER_HOUR", 30u32, 1, 100_000)?;
        let export_rate_per_address_per_hour = parse_num(
            &get,
            "FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR",
            60u32,
            1,
            100_000,
        )?;
        let d = Limits::default();
        let limits = Limits {
            json_depth: parse_num(&get, "FRONTLINE_JSON_MAX_DEPTH", d.json_depth, 2, 127)?,
            list: parse_num(&get, "FRONTLINE_LIST_LIMIT_MAX", d.list, 1, 1_000)?,
            import_records: parse_num(
                &get,
                "FRONTLINE_IMPORT_MAX_RECORDS",
                d.import_records,
                1,
                100_000,
            )?,
            import_rows: parse_num(
                &get,
                "FRONTLINE_IMPORT_MAX_ROWS",
                d.import_rows,
                1,
                1_000_000,
            )?,
            hotline_rows: parse_num(
                &get,
                "FRONTLINE_HOTLINE_IMPORT_MAX_ROWS",
                d.hotline_rows,
                1,
                10_000_000,
            )?,
            segments: parse_num(&get, "FRONTLINE_SEGMENTS_MAX", d.segments, 1, 100)?,
            calls: parse_num(&get, "FRONTLINE_CALLS_MAX", d.calls, 1, 500)?,
        };
        let workers = match get("FRONTLINE_WORKERS") {
            None => None,
            Some(_) => Some(parse_num(&get, "FRONTLINE_WORKERS", 1usize, 1, 256)?),
        };
        let sqlite_busy_timeout_ms = parse_num(
            &get,
            "FRONTLINE_SQLITE_BUSY_TIMEOUT_MS",
            DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
            0,
            600_000,
        )?;
        let secret = |var: &'static str| -> Result<Option<Secret>, ConfigError> {
            match lookup(var).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) if v.len() < 32 => Err(ConfigError {
                    var,
                    reason: "must be at least 32 bytes".into(),
                }),
                Some(v) => Ok(Some(Secret(v))),
            }
        };
        let jwt_previous = match secret("FRONTLINE_JWT_PREVIOUS_SECRET")? {
            None => None,
            Some(s) => Some((
                get("FRONTLINE_JWT_PREVIOUS_KID").ok_or(ConfigError {
                    var: "FRONTLINE_JWT_PREVIOUS_KID",
                    reason: "required with FRONTLINE_JWT_PREVIOUS_SECRET".into(),
                })?,
                s,
            )),
        };
        let jwt_kid = get("FRONTLINE_JWT_KID").unwrap_or_else(|| "k1".into());
        if jwt_previous
            .as_ref()
            .is_some_and(|(kid, _)| *kid == jwt_kid)
        {
            return Err(ConfigError {
                var: "FRONTLINE_JWT_PREVIOUS_KID",
                reason: "must differ from FRONTLINE_JWT_KID".into(),
            });
        }
        let auth = AuthSettings {
            jwt_secret: secret("FRONTLINE_JWT_SECRET")?,
            jwt_kid,
            jwt_previous,
            issuer: get("FRONTLINE_JWT_ISSUER").unwrap_or_else(|| "frontline".into()),
            audience: get("FRONTLINE_JWT_AUDIENCE").unwrap_or_else(|| "frontline-api".into()),
            access_minutes: parse_num(&get, "FRONTLINE_ACCESS_TOKEN_MINUTES", 15, 1, 1_440)?,
            refresh_idle_hours: parse_num(&get, "FRONTLINE_REFRESH_IDLE_HOURS", 12, 1, 720)?,
            refresh_absolute_days: parse_num(&get, "FRONTLINE_REFRESH_ABSOLUTE_DAYS", 7, 1, 365)?,
            login_max_failures: parse_num(&get, "FRONTLINE_LOGIN_MAX_FAILURES", 5, 1, 100)?,
            login_failure_window_minutes: parse_num(
                &get,
                "FRONTLINE_LOGIN_FAILURE_WINDOW_MINUTES",
                15,
                1,
                1_440,
            )?,
            login_lock_minutes: parse_num(&get, "FRONTLINE_LOGIN_LOCK_MINUTES", 15, 1, 1_440)?,
            login_rate_per_minute: parse_num(
                &get,
                "FRONTLINE_LOGIN_RATE_PER_MINUTE",
                20,
                1,
                10_000,
            )?,
            password_min_length: parse_num(&get, "FRONTLINE_PASSWORD_MIN_LENGTH", 10, 8, 128)?,
            password_min_classes: parse_num(&get, "FRONTLINE_PASSWORD_MIN_CLASSES", 3, 1, 4)?,
            argon2_memory_kib: parse_num(
                &get,
                "FRONTLINE_ARGON2_MEMORY_KIB",
                19_456,
                1_024,
                1 << 21,
            )?,
            argon2_iterations: parse_num(&get, "FRONTLINE_ARGON2_ITERATIONS", 2, 1, 20)?,
        };
        let audit_retention_days =
            parse_num(&get, "FRONTLINE_AUDIT_RETENTION_DAYS", 365, 180, 36_500)?;
        let service_record_retention_days = parse_num(
            &get,
            "FRONTLINE_SERVICE_RECORD_RETENTION_DAYS",
            365,
            90,
            3_650,
        )?;
        let immediate_response_days =
            parse_num(&get, "FRONTLINE_IMMEDIATE_RESPONSE_DAYS", 7, 1, 365)?;
        let tracking_interval_days =
            parse_num(&get, "FRONTLINE_TRACKING_INTERVAL_DAYS", 30, 1, 366)?;
        let filing_days = parse_num(&get, "FRONTLINE_FILING_DAYS", 3, 0, 365)?;
        let recheck_days = parse_num(&get, "FRONTLINE_RECHECK_DAYS", 90, 1, 3_650)?;
        let bulletin_overdue_min = parse_num(&get, "FRONTLINE_BULLETIN_OVERDUE_MIN", 2, 1, 1_000)?;
        let issue_list_day = parse_num(&get, "FRONTLINE_ISSUE_LIST_DAY", 20, 1, 28)?;
        let monthly_report_day = parse_num(&get, "FRONTLINE_MONTHLY_REPORT_DAY", 20, 1, 31)?;
        let quarterly_summary_day = parse_num(&get, "FRONTLINE_QUARTERLY_SUMMARY_DAY", 22, 1, 31)?;
        let working_day_deadlines: Vec<String> = get("FRONTLINE_WORKING_DAY_DEADLINES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = working_day_deadlines
            .iter()
            .find(|n| !WORKING_DAY_DEADLINES.contains(&n.as_str()))
        {
            return Err(ConfigError {
                var: "FRONTLINE_WORKING_DAY_DEADLINES",
                reason: format!(
                    "unknown deadline {bad:?}; expected some of {}",
                    WORKING_DAY_DEADLINES.join(", ")
                ),
            });
        }
        let idempotency_hours = parse_num(&get, "FRONTLINE_IDEMPOTENCY_HOURS", 24, 1, 24 * 30)?;
        let compliance_points = crate::domain::compliance::Deductions::parse(
            &get("FRONTLINE_COMPLIANCE_POINTS").unwrap_or_default(),
        )
        .map_err(|e| ConfigError {
            var: "FRONTLINE_COMPLIANCE_POINTS",
            reason: e.to_string(),
        })?;
        let follow_up_draw_max = parse_num(&get, "FRONTLINE_FOLLOW_UP_DRAW_MAX", 30, 3, 1_000)?;
        let follow_up_draw_default = parse_num(
            &get,
            "FRONTLINE_FOLLOW_UP_DRAW_DEFAULT",
            6,
            3,
            follow_up_draw_max,
        )?;
        let hotline = HotlineSettings {
            due_days: parse_num(&get, "FRONTLINE_HOTLINE_DUE_DAYS", 15, 1, 365)?,
            concentration: crate::domain::hotline::ConcentrationRule {
                min_share: parse_num(
                    &get,
                    "FRONTLINE_HOTLINE_CONCENTRATION_SHARE",
                    0.05,
                    0.0,
                    1.0,
                )?,
                top: parse_num(&get, "FRONTLINE_HOTLINE_CONCENTRATION_TOP", 5, 0, 1_000)?,
            },
            spike: crate::domain::hotline::SpikeRule {
                window_days: parse_num(&get, "FRONTLINE_HOTLINE_SPIKE_WINDOW_DAYS", 7, 1, 90)?,
                baseline_windows: parse_num(
                    &get,
                    "FRONTLINE_HOTLINE_SPIKE_BASELINE_WEEKS",
                    8,
                    1,
                    52,
                )?,
                ratio: parse_num(&get, "FRONTLINE_HOTLINE_SPIKE_RATIO", 2.0, 1.0, 100.0)?,
                min_count: parse_num(&get, "FRONTLINE_HOTLINE_SPIKE_MIN_COUNT", 10, 1, 100_000)?,
            },
            import_max_bytes: parse_num(
                &get,
                "FRONTLINE_HOTLINE_IMPORT_MAX_BYTES",
                64 << 20,
                1 << 20,
                1 << 30,
            )?,
            typical_cases: parse_num(&get, "FRONTLINE_HOTLINE_TYPICAL_CASES", 5, 1, 50)?,
            sources: get("FRONTLINE_HOTLINE_SOURCES")
                .unwrap_or_else(|| "12345".into())
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        if hotline.sources.is_empty() || hotline.sources.iter().any(|s| s.chars().count() > 40) {
            return Err(ConfigError {
                var: "FRONTLINE_HOTLINE_SOURCES",
                reason: "one or more source names of 1–40 characters, comma-separated".into(),
            });
        }
        let flag = |var: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(var).as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some("true" | "1" | "yes") => Ok(true),
                Some("false" | "0" | "no") => Ok(false),
                Some(other) => Err(ConfigError {
                    var,
                    reason: format!("expected true or false, got {other:?}"),
                }),
            }
        };
        let webhooks = WebhookSettings {
            worker: flag("FRONTLINE_WEBHOOK_WORKER", true)?,
            allow_private: flag("FRONTLINE_WEBHOOK_ALLOW_PRIVATE", false)?,
            timeout: Duration::from_secs(parse_num(
                &get,
                "FRONTLINE_WEBHOOK_TIMEOUT_SECS",
                10,
                1,
                120,
            )?),
            max_attempts: parse_num(&get, "FRONTLINE_WEBHOOK_MAX_ATTEMPTS", 8, 1, 50)?,
            backoff: Duration::from_millis(parse_num(
                &get,
                "FRONTLINE_WEBHOOK_BACKOFF_MS",
                10_000,
                10,
                3_600_000,
            )?),
            backoff_max: Duration::from_secs(parse_num(
                &get,
                "FRONTLINE_WEBHOOK_BACKOFF_MAX_SECS",
                3_600,
                1,
                7 * 86_400,
            )?),
            poll: Duration::from_millis(parse_num(
                &get,
                "FRONTLINE_WEBHOOK_POLL_MS",
                1_000,
                10,
                60_000,
            )?),
            batch: parse_num(&get, "FRONTLINE_WEBHOOK_BATCH", 8, 1, 100)?,
            overdue_scan: Duration::from_secs(parse_num(
                &get,
                "FRONTLINE_WEBHOOK_OVERDUE_SCAN_SECS",
                300,
                1,
                86_400,
            )?),
        };
        let wechat_secret = match (
            get("FRONTLINE_WECHAT_SECRET").filter(|v| !v.trim().is_empty()),
            get("FRONTLINE_WECHAT_SECRET_FILE").filter(|v| !v.trim().is_empty()),
        ) {
            (Some(v), _) => Some(Secret(v.trim().to_owned())),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path.trim()).map_err(|e| ConfigError {
                    var: "FRONTLINE_WECHAT_SECRET_FILE",
                    reason: format!("cannot read the file: {}", e.kind()),
                })?;
                let line = text.lines().next().unwrap_or("").trim().to_owned();
                if line.is_empty() {
                    return Err(ConfigError {
                        var: "FRONTLINE_WECHAT_SECRET_FILE",
                        reason: "the file is empty".into(),
                    });
                }
                Some(Secret(line))
            }
            (None, None) => None,
        };
        let wechat = WechatSettings {
            appid: get("FRONTLINE_WECHAT_APPID")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            secret: wechat_secret,
            api_base: get("FRONTLINE_WECHAT_API_BASE")
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "https://api.weixin.qq.com".into()),
            timeout: Duration::from_millis(parse_num(
                &get,
                "FRONTLINE_WECHAT_TIMEOUT_MS",
                5_000,
                50,
                60_000,
            )?),
            ticket_secs: parse_num(&get, "FRONTLINE_WECHAT_TICKET_SECS", 300, 10, 3_600)?,
        };
        if url::Url::parse(&wechat.api_base)
            .map(|u| !matches!(u.scheme(), "http" | "https"))
            .unwrap_or(true)
        {
            return Err(ConfigError {
                var: "FRONTLINE_WECHAT_API_BASE",
                reason: "expected an http(s) URL".into(),
            });
        }
        let metrics_bind = get("FRONTLINE_METRICS_BIND").filter(|v| !v.trim().is_empty());
        if metrics_bind
            .as_deref()
            .is_some_and(|m| m.parse::<std::net::SocketAddr>().is_err() && !m.contains(':'))
        {
            return Err(ConfigError {
                var: "FRONTLINE_METRICS_BIND",
                reason: "expected host:port".into(),
            });
        }
        Ok(Config {
            wechat,
            metrics_bind,
            webhooks,
            database,
            bind: get("FRONTLINE_BIND").unwrap_or_else(|| DEFAULT_BIND.into()),
            pool_size,
            pool_timeout,
            body_limit,
            import_body_limit,
            cors_origins,
            export_rate_per_hour,
            export_rate_per_address_per_hour,
            limits,
            request_timeout,
            max_connections,
            log_filter: get("FRONTLINE_LOG").unwrap_or_else(|| DEFAULT_LOG.into()),
            workers,
            sqlite_busy_timeout_ms,
            auth,
            audit_retention_days,
            service_record_retention_days,
            follow_up_draw_default,
            follow_up_draw_max,
            immediate_response_days,
            tracking_interval_days,
            filing_days,
            recheck_days,
            monthly_report_day,
            quarterly_summary_day,
            issue_list_day,
            bulletin_overdue_min,
            working_day_deadlines,
            idempotency_hours,
            compliance_points,
            hotline,
            metrics_token: match get("FRONTLINE_METRICS_TOKEN").filter(|v| !v.is_empty()) {
                None => None,
                Some(v) if v.len() < 32 => {
                    return Err(ConfigError {
                        var: "FRONTLINE_METRICS_TOKEN",
                        reason: "must be at least 32 bytes".into(),
                    })
                }
                Some(v) => Some(Secret(v)),
            },
        })
    }

    /// The folder that holds the SQLite file, when the database is SQLite on disk.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.database.sqlite_dir()
    }
}

/// The CORS allow-list: exact origins, `http(s)://host[:port]`, no path, no wildcard.
fn cors_origins(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for item in raw.unwrap_or("").split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let rest = item
            .strip_prefix("https://")
            .or_else(|| item.strip_prefix("http://"));
        let ok = rest.is_some_and(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !ok {
            return Err(ConfigError {
                var: "FRONTLINE_CORS_ORIGINS",
                reason: format!(
                    "{item:?} is not an origin: expected http(s)://host[:port], no path or wildcard"
                ),
            });
        }
        out.push(item.to_ascii_lowercase());
    }
    Ok(out)
}

fn parse_num<T>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(var) else {
        return Ok(default);
    };
    let value: T = raw.parse().map_err(|_| ConfigError {
        var,
        reason: format!("expected a whole number from {min} to {max}, got {raw:?}"),
    })?;
    // Written so that NaN, which compares false with everything, is refused too.
    if !(min <= value && value <= max) {
        return Err(ConfigError {
            var,
            reason: format!("must be from {min} to {max}, got {value}"),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_default_pool_is_per_core_on_sqlite_and_fixed_on_postgres() {
        let sqlite = DatabaseTarget::parse("sqlite://data/x.db").unwrap();
        let pg = DatabaseTarget::parse("postgres://u@h/db").unwrap();
        assert_eq!(default_pool_size(&sqlite, 1), 3);
        assert_eq!(default_pool_size(&sqlite, 2), 4);
        assert_eq!(default_pool_size(&sqlite, 6), 8);
        assert_eq!(default_pool_size(&sqlite, 14), 16);
        assert_eq!(default_pool_size(&sqlite, 64), 16);
        for cores in [1, 2, 64] {
            assert_eq!(default_pool_size(&pg, cores), DEFAULT_POOL_SIZE);
        }
        let set = config(&[("FRONTLINE_POOL_SIZE", "5")]).unwrap();
        assert_eq!(set.pool_size, 5);
        let on_pg = config(&[("FRONTLINE_DATABASE_URL", "postgres://u@h/db")]).unwrap();
        assert_eq!(on_pg.pool_size, DEFAULT_POOL_SIZE);
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.bind, "127.0.0.1:8080");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(c.pool_size, default_pool_size(&c.database, cores));
        assert_eq!(c.body_limit, DEFAULT_BODY_LIMIT);
        assert!(matches!(c.database, DatabaseTarget::Sqlite { .. }));
        assert_eq!(c.data_dir(), Some(PathBuf::from("data")));
    }

    #[test]
    fn compliance_points_override_the_default_table_and_bad_ones_are_named() {
        use crate::domain::compliance::Rule;
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.compliance_points.points(Rule::R1), 10);
        let c = config(&[("FRONTLINE_COMPLIANCE_POINTS", "R1=20,R10=0")]).expect("valid");
        assert_eq!(
            (
                c.compliance_points.points(Rule::R1),
                c.compliance_points.points(Rule::R10),
                c.compliance_points.points(Rule::R3)
            ),
            (20, 0, 1)
        );
        for bad in ["R0=1", "R1=101", "R1", "R1=x"] {
            let e = config(&[("FRONTLINE_COMPLIANCE_POINTS", bad)]).expect_err(bad);
            assert_eq!(e.var, "FRONTLINE_COMPLIANCE_POINTS", "{bad}");
        }
    }

    #[test]
    fn request_size_limits_are_settings_with_bounds() {
        let c = config(&[
            ("FRONTLINE_JSON_MAX_DEPTH", "8"),
            ("FRONTLINE_LIST_LIMIT_MAX", "500"),
            ("FRONTLINE_IMPORT_MAX_RECORDS", "10"),
            ("FRONTLINE_IMPORT_MAX_ROWS", "5"),
            ("FRONTLINE_HOTLINE_IMPORT_MAX_ROWS", "3"),
            ("FRONTLINE_SEGMENTS_MAX", "2"),
            ("FRONTLINE_CALLS_MAX", "4"),
        ])
        .expect("valid");
        assert_eq!(
            c.limits,
            Limits {
                json_depth: 8,
                list: 500,
                import_records: 10,
                import_rows: 5,
                hotline_rows: 3,
                segments: 2,
                calls: 4
            }
        );
        for (var, bad) in [
            ("FRONTLINE_JSON_MAX_DEPTH", "1"),
            ("FRONTLINE_JSON_MAX_DEPTH", "128"),
            ("FRONTLINE_LIST_LIMIT_MAX", "0"),
            ("FRONTLINE_LIST_LIMIT_MAX", "1001"),
            ("FRONTLINE_IMPORT_MAX_RECORDS", "0"),
            ("FRONTLINE_HOTLINE_IMPORT_MAX_ROWS", "-1"),
            ("FRONTLINE_IMPORT_MAX_ROWS", "1000001"),
            ("FRONTLINE_SEGMENTS_MAX", "101"),
            ("FRONTLINE_CALLS_MAX", "x"),
            ("FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR", "0"),
        ] {
            let e = config(&[(var, bad)]).expect_err(bad);
            assert_eq!(e.var, var, "{bad}");
        }
    }

    #[test]
    fn cors_origins_are_exact_origins_and_none_by_default() {
        let c = config(&[]).expect("defaults are valid");
        assert!(c.cors_origins.is_empty());
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!(c.max_connections, 1_024);
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.export_rate_per_address_per_hour, 60);
        let c = config(&[(
            "FRONTLINE_CORS_ORIGINS",
            " https://Portal.Beilin.gov.cn , http://127.0.0.1:5173,",
        )])
        .expect("valid");
        assert_eq!(
            c.cors_origins,
            ["https://portal.beilin.gov.cn", "http://127.0.0.1:5173"]
        );
        for bad in [
            "*",
            "portal.gov.cn",
            "https://a.gov.cn/path",
            "https://",
            "ftp://a.cn",
        ] {
            let e = config(&[("FRONTLINE_CORS_ORIGINS", bad)]).expect_err(bad);
            assert_eq!(e.var, "FRONTLINE_CORS_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn a_number_out_of_range_names_its_variable() {
        let e = config(&[("FRONTLINE_POOL_SIZE", "0")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_POOL_SIZE");
        let e = config(&[("FRONTLINE_BODY_LIMIT", "lots")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_BODY_LIMIT");
    }

    #[test]
    fn a_short_jwt_secret_is_refused_and_a_secret_never_prints() {
        let e = config(&[("FRONTLINE_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_JWT_SECRET");
        let c = config(&[("FRONTLINE_JWT_SECRET", "0123456789abcdef0123456789abcdef")]).unwrap();
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
        let e = config(&[("FRONTLINE_AUDIT_RETENTION_DAYS", "90")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_AUDIT_RETENTION_DAYS");
    }

    #[test]
    fn a_bad_database_url_is_refused_without_echoing_it() {
        let e = config(&[("FRONTLINE_DATABASE_URL", "mysql://u:secret@h/db")]).unwrap_err();
        assert_eq!(e.var, "FRONTLINE_DATABASE_URL");
        assert!(!e.to_string().contains("secret"));
    }
}
