//! Storage plumbing: one [`AnyConnection`] over SQLite and PostgreSQL, the r2d2 pool, SQLite
//! pragmas, embedded migrations, transactions, and [`run`], which takes every diesel call off
//! the actix workers.

pub mod schema;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while one instance migrates and seeds, so that
/// several instances starting together on one database do the work once.
const STARTUP_LOCK_KEY: i64 = 0x6672_6f6e_746c_696e; // "frontlin"

/// One connection to either backend; every query is written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL, for deployments that scale out.
    Postgresql(PgConnection),
    /// Embedded SQLite, the default.
    Sqlite(SqliteConnection),
}

/// Runs a query on the connection inside an [`AnyConnection`], typed for that backend: the
/// body is compiled once per backend and must be diesel that both accept.
///
/// For the queries every request makes. diesel's `MultiConnection` hands each query to the
/// inner connection wrapped in a `SerializedQuery`, whose `walk_ast` builds the whole SQL text
/// on every pass over it: once to ask whether the statement may be cached, again to collect
/// its binds, on every execution. On the inner connection a query of static shape is found in
/// the statement cache by its type and no SQL is built (a quarter of an authenticated GET's
/// CPU; benches/RESULTS.md). Transactions begun on the `AnyConnection` are those of the inner
/// connection, so the body runs inside them.
macro_rules! direct {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use direct;

/// Which database the service talks to, parsed from `FRONTLINE_DATABASE_URL` by its scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres {
        /// The URL as given (it may hold a password: never print it, use [`DatabaseTarget::redacted`]).
        url: String,
    },
    /// An SQLite database file (or `:memory:`).
    Sqlite {
        /// The file path.
        path: String,
    },
}

impl std::fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseTarget {
    /// Picks the backend from the URL's scheme: `postgres://`/`postgresql://` is PostgreSQL;
    /// `sqlite://PATH`, `sqlite:PATH`, `:memory:` or a plain path is SQLite.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres {
                url: url.to_owned(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err("the SQLite path is empty".into());
        }
        if path.contains("://") {
            return Err("unsupported scheme: use sqlite://PATH or postgres://…".into());
        }
        Ok(Self::Sqlite {
            path: path.to_owned(),
        })
    }

    /// The backend's name as shown to operators.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres { .. } => "postgresql",
            Self::Sqlite { .. } => "sqlite",
        }
    }

    /// The URL with any password replaced by `***`, safe for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{path}"),
            Self::Postgres { url } => {
                let Some((scheme, rest)) = url.split_once("://") else {
                    return "postgres://***".into();
                };
                let (authority, tail) = match rest.find('/') {
                    Some(i) => rest.split_at(i),
                    None => (rest, ""),
                };
                let authority = match authority.rsplit_once('@') {
                    Some((userinfo, host)) => match userinfo.split_once(':') {
                        Some((user, _)) => format!("{user}:***@{host}"),
                        None => format!("{userinfo}@{host}"),
                    },
                    None => authority.to_owned(),
                };
                let tail = tail.split('?').next().unwrap_or("");
                format!("{scheme}://{authority}{tail}")
            }
        }
    }

    /// The folder holding the SQLite file, if any.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        match self {
            Self::Sqlite { path } if path != ":memory:" && !path.starts_with("file:") => {
                let p = PathBuf::from(path);
                Some(p.parent().map(PathBuf::from).unwrap_or_default())
            }
            _ => None,
        }
    }
}

/// Opens one connection to `target`, with the real error of that backend on failure.
/// SQLite connections get the pragmas the service relies on.
pub fn connect(
    target: &DatabaseTarget,
    busy_timeout_ms: u32,
) -> Result<AnyConnection, diesel::ConnectionError> {
    match target {
        DatabaseTarget::Postgres { url } => {
            PgConnection::establish(url).map(AnyConnection::Postgresql)
        }
        DatabaseTarget::Sqlite { path } => {
            if let Some(dir) = target.sqlite_dir().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    diesel::ConnectionError::BadConnection(format!(
                        "cannot create {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            let mut conn = SqliteConnection::establish(path)?;
            // busy_timeout first, so that switching to WAL waits for a concurrent opener.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {busy_timeout_ms}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
            ))
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

/// r2d2 manager that opens connections with [`connect`].
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    target: DatabaseTarget,
    busy_timeout_ms: u32,
    /// The queue of the SQLite file's writers in this process ([`WriterGate`]).
    gate: Option<&'static WriterGate>,
}

/// A pooled connection, when it last proved alive (a check, or a request that used it), and
/// whether its last use failed (then it is checked before it is lent again).
pub struct Pooled {
    conn: AnyConnection,
    alive_at: std::time::Instant,
    /// [`FAILURES`] when it last answered: a failure since then anywhere makes it suspect.
    failures_seen: u64,
    /// The SQLite file's [`WriterGate`] and how long to wait at it (the busy time-out).
    gate: Option<(&'static WriterGate, Duration)>,
}

/// Failed uses of any pooled connection: one that was cut (a database restart) cuts the
/// others too, so after a failure every connection is checked once before it is lent again.
static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Pooled {
    /// The connection.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Runs `f` on the connection with its writers' gate in force on this thread.
    pub fn with_gate<T>(&mut self, f: impl FnOnce(&mut AnyConnection) -> T) -> T {
        GATE.with(|g| g.set(self.gate));
        let out = f(&mut self.conn);
        GATE.with(|g| g.set(None));
        out
    }

    /// Records that the connection just answered.
    pub fn answered(&mut self) {
        self.alive_at = std::time::Instant::now();
        self.failures_seen = FAILURES.load(std::sync::atomic::Ordering::Acquire);
    }

    /// Records that a use of the connection failed: it, and so any other, may have been cut.
    pub fn failed(&mut self) {
        FAILURES.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// How long a connection that answered is trusted without a check on check-out. A busy
/// server then runs no `SELECT 1` before its requests (measured: benches/RESULTS.md), while a
/// connection idle for longer, which a database restart may have cut, is checked first.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let conn = connect(&self.target, self.busy_timeout_ms)
            .map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(Pooled {
            conn,
            alive_at: std::time::Instant::now(),
            failures_seen: FAILURES.load(std::sync::atomic::Ordering::Acquire),
            gate: self
                .gate
                .map(|g| (g, Duration::from_millis(u64::from(self.busy_timeout_ms)))),
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), Self::Error> {
        // An SQLite connection is a file handle: nothing between it and the file can go away.
        let trusted = conn.failures_seen == FAILURES.load(std::sync::atomic::Ordering::Acquire)
            && conn.alive_at.elapsed() < TRUSTED_FOR;
        if matches!(conn.conn, AnyConnection::Sqlite(_)) || trusted {
            return Ok(());
        }
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)?;
        conn.answered();
        Ok(())
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// The connection pool shared by all workers.
pub type DbPool = r2d2::Pool<ConnectionManager>;

/// Builds the pool. Call [`connect`] once before, so that an unreachable database is reported
/// with its real error rather than r2d2's time-out.
pub fn build_pool(
    target: &DatabaseTarget,
    size: u32,
    timeout: Duration,
    busy_timeout_ms: u32,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
) -> Result<DbPool, r2d2::Error> {
    let size = match target {
        DatabaseTarget::Sqlite { path } if path == ":memory:" => 1,
        _ => size,
    };
    let mut builder = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .test_on_check_out(true);
    if let Some(m) = metrics {
        builder = builder.event_handler(Box::new(crate::metrics::PoolEvents(m)));
    }
    builder.build(ConnectionManager {
        target: target.clone(),
        busy_timeout_ms,
        gate: WriterGate::of(target),
    })
}

/// Applies the pending embedded migrations of the connection's backend; returns their names.
/// On PostgreSQL an advisory lock makes concurrent starts wait for each other.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        AnyConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| e.to_string())
}

/// Writes a consistent copy of the SQLite database behind `conn` to `file` (which must not
/// exist) with `VACUUM INTO`: one read transaction, so writers go on meanwhile and the copy
/// holds exactly what was committed when it began. Then opens the copy and runs `PRAGMA
/// integrity_check`. Returns the copy's size in bytes.
pub fn backup_sqlite(conn: &mut AnyConnection, file: &std::path::Path) -> Result<u64, String> {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    use diesel::RunQueryDsl;
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return Err("not an SQLite database".into());
    }
    if file.exists() {
        return Err(format!("{} exists already", file.display()));
    }
    let path = file
        .to_str()
        .ok_or_else(|| "the file name is not UTF-8".to_owned())?;
    if path.contains('\0') {
        return Err("the file name holds NUL".into());
    }
    conn.batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
        .map_err(|e| e.to_string())?;
    let mut copy = SqliteConnection::establish(path).map_err(|e| e.to_string())?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut copy)
        .map_err(|e| e.to_string())?;
    let verdict: Vec<String> = rows.into_iter().map(|r| r.integrity_check).collect();
    if verdict != ["ok"] {
        return Err(format!(
            "the copy fails its integrity check: {}",
            verdict.join("; ")
        ));
    }
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// Runs `f` while holding the start-up lock (PostgreSQL: a session advisory lock; SQLite: the
/// file's write lock is enough, since each step is its own transaction).
pub fn with_startup_lock<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, String>,
) -> Result<T, String> {
    let is_pg = matches!(conn, AnyConnection::Postgresql(_));
    if is_pg {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
            .map_err(|e| e.to_string())?;
    }
    let out = f(conn);
    if is_pg {
        let unlocked =
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"));
        if let (Ok(_), Err(e)) = (&out, unlocked) {
            return Err(e.to_string());
        }
    }
    out
}

/// The SQLite writers of this process, one at a time, in a queue that wakes the next as soon
/// as the last commits. SQLite lets one connection write; the others, refused the lock, sleep
/// in its busy handler for 1, 2, 5 … 100 ms steps and are not woken when it frees, so under
/// a burst of writes most of the time went to sleeping: POST p99 387 ms at 64 connections
/// (benches/RESULTS.md). The gate is a queue in front of the lock, not a replacement for it:
/// a writer that waited the whole busy time-out (another process writing, or a transaction
/// within a transaction) goes on to `BEGIN IMMEDIATE` and SQLite's own waiting. One gate per
/// database file, reached by the pool's jobs ([`run`]) through [`GATE`].
#[derive(Debug)]
struct WriterGate {
    busy: std::sync::Mutex<bool>,
    freed: std::sync::Condvar,
}

thread_local! {
    /// The gate of the database the thread's current [`run`] job writes to, with the time to
    /// wait at it (the busy time-out); none outside such a job.
    static GATE: std::cell::Cell<Option<(&'static WriterGate, Duration)>> =
        const { std::cell::Cell::new(None) };
}

/// A place at the gate, given back when dropped.
struct Passage(&'static WriterGate);

impl WriterGate {
    const fn new() -> WriterGate {
        WriterGate {
            busy: std::sync::Mutex::new(false),
            freed: std::sync::Condvar::new(),
        }
    }

    /// The gate of a SQLite file: one per path for the life of the process.
    fn of(target: &DatabaseTarget) -> Option<&'static WriterGate> {
        static GATES: std::sync::Mutex<std::collections::BTreeMap<String, &'static WriterGate>> =
            std::sync::Mutex::new(std::collections::BTreeMap::new());
        let DatabaseTarget::Sqlite { path } = target else {
            return None;
        };
        if path == ":memory:" {
            return None;
        }
        let mut gates = GATES.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            *gates
                .entry(path.clone())
                .or_insert_with(|| Box::leak(Box::new(WriterGate::new()))),
        )
    }

    /// Waits up to `wait` for the gate; `None` when it stayed taken that long.
    fn enter(&'static self, wait: Duration) -> Option<Passage> {
        let deadline = std::time::Instant::now() + wait;
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            busy = self
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *busy = true;
        Some(Passage(self))
    }
}

impl Drop for Passage {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.0.freed.notify_one();
    }
}

/// Runs `f` in one transaction that will write: `BEGIN IMMEDIATE` on SQLite (takes the write
/// lock up front, so a read-then-write never fails on lock upgrade; the process's writers
/// queue at [`WriterGate`] first), `BEGIN` on PostgreSQL. Commits when `f` returns `Ok`,
/// rolls back otherwise.
pub fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let _passage;
    match conn {
        AnyConnection::Sqlite(c) => {
            _passage = GATE
                .with(std::cell::Cell::get)
                .and_then(|(gate, wait)| gate.enter(wait));
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            match <AnyConnection as Connection>::TransactionManager::commit_transaction(conn) {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e.into())
                }
            }
        }
        Err(e) => {
            <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Runs `f`, a request's reads, on one snapshot of the database where that costs nothing more:
/// on SQLite in one deferred transaction (`BEGIN` … `COMMIT`), so its several statements take
/// the WAL read lock once instead of once each (taking and dropping it was 10 % of a
/// `GET /participations/{id}`: benches/RESULTS.md, fifth pass) and see one state of the file.
/// On PostgreSQL `f` runs as it is, each statement on its own snapshot: a transaction there
/// would add two round trips to every read. `f` must not write.
pub fn read_snapshot<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if !matches!(conn, AnyConnection::Sqlite(_)) {
        return f(conn);
    }
    <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)?;
    let out = f(conn);
    // A read-only transaction has nothing to keep: it ends the same way whatever `f` returned.
    match <AnyConnection as Connection>::TransactionManager::commit_transaction(conn) {
        Ok(()) => out,
        Err(e) => {
            let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
            out.and(Err(e.into()))
        }
    }
}

/// Serializes transactions on `key` until the current transaction ends: PostgreSQL takes a
/// transaction-scoped advisory lock on its hash; SQLite's `BEGIN IMMEDIATE` (see
/// [`write_transaction`]) already serializes every writer.
pub fn lock_key(conn: &mut AnyConnection, key: &str) -> Result<(), diesel::result::Error> {
    use diesel::RunQueryDsl;
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// Runs `f` with a pooled connection on the blocking thread pool, never on an actix worker.
/// The request id of the caller follows into the blocking thread's log lines.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let request_id = crate::telemetry::current_request_id();
    actix_web::web::block(move || {
        crate::telemetry::with_request_id(request_id, || {
            let mut pooled = pool.get().map_err(AppError::pool)?;
            let out = pooled.with_gate(f);
            // A success proves the connection alive; after a fault (not a refusal of the
            // request, which the database answered) every connection is checked before use.
            match &out {
                Ok(_) => pooled.answered(),
                Err(AppError::Internal(_) | AppError::Unavailable(_)) => pooled.failed(),
                Err(_) => {}
            }
            out
        })
    })
    .await
    .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_gate_lets_one_in_wakes_the_next_and_gives_up_after_the_wait() {
        let gate: &'static WriterGate = Box::leak(Box::new(WriterGate::new()));
        let first = gate.enter(Duration::from_millis(10)).expect("a free gate");
        assert!(
            gate.enter(Duration::from_millis(30)).is_none(),
            "taken: the wait runs out"
        );
        let waiter = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let got = gate.enter(Duration::from_secs(10)).is_some();
            (got, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        let (got, waited) = waiter.join().expect("the waiter");
        assert!(got, "the next writer gets the gate once it is given back");
        assert!(
            waited < Duration::from_secs(5),
            "woken, not timed out: {waited:?}"
        );
        assert!(
            gate.enter(Duration::from_millis(10)).is_some(),
            "the waiter's passage was given back"
        );
    }

    #[test]
    fn the_bundled_sqlite_keeps_its_plans_whatever_the_bound_values() {
        // .cargo/config.toml builds SQLite with SQLITE_ENABLE_QPSG: without it every cached
        // statement with a bound LIMIT is parsed again on each run.
        #[derive(diesel::QueryableByName)]
        struct Used {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            used: i32,
        }
        use diesel::RunQueryDsl;
        let target = DatabaseTarget::parse("sqlite://:memory:").unwrap();
        let mut conn = connect(&target, 1000).unwrap();
        let row: Used =
            diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used")
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(row.used, 1);
    }

    #[test]
    fn the_backend_is_chosen_by_scheme() {
        assert_eq!(
            DatabaseTarget::parse("postgres://u@h/db")
                .unwrap()
                .backend_name(),
            "postgresql"
        );
        assert_eq!(
            DatabaseTarget::parse("postgresql://u@h/db")
                .unwrap()
                .backend_name(),
            "postgresql"
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite://data/x.db").unwrap(),
            DatabaseTarget::Sqlite {
                path: "data/x.db".into()
            }
        );
        assert_eq!(
            DatabaseTarget::parse("/var/lib/f.db").unwrap(),
            DatabaseTarget::Sqlite {
                path: "/var/lib/f.db".into()
            }
        );
        assert!(DatabaseTarget::parse("mysql://h/db").is_err());
        assert!(DatabaseTarget::parse("sqlite://").is_err());
    }

    #[test]
    fn a_password_never_shows_in_the_redacted_url() {
        let t =
            DatabaseTarget::parse("postgres://app:s3cret@db.local:5432/frontline?sslmode=require")
                .unwrap();
        let shown = t.redacted();
        assert!(!shown.contains("s3cret"));
        assert_eq!(shown, "postgres://app:***@db.local:5432/frontline");
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn an_sqlite_file_in_a_folder_names_that_folder() {
        let t = DatabaseTarget::parse("sqlite://data/frontline.db").unwrap();
        assert_eq!(t.sqlite_dir(), Some(PathBuf::from("data")));
        assert_eq!(
            DatabaseTarget::parse(":memory:").unwrap().sqlite_dir(),
            None
        );
    }
}
