//! What the database benchmarks share: a scratch database (SQLite in a temporary folder, or a
//! PostgreSQL database created on `FRONTLINE_BENCH_POSTGRES_URL` and dropped afterwards) with
//! the migrations applied and Annex 1 seeded, and the process's peak memory.

use diesel::prelude::*;
use frontline::db::{connect, run_migrations, AnyConnection, DatabaseTarget};

/// The process's peak resident memory (VmHWM), in KiB.
pub fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A migrated, seeded scratch database; dropped (on PostgreSQL) with the value.
pub struct Scratch {
    /// A connection to it.
    pub conn: AnyConnection,
    /// Which backend.
    pub target: DatabaseTarget,
    pg: Option<(PgConnection, String)>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    /// Makes one.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (target, pg) = match std::env::var("FRONTLINE_BENCH_POSTGRES_URL") {
            Ok(url) => {
                let name = format!("frontline_bench_{}", std::process::id());
                let mut admin = PgConnection::establish(&url).expect("postgres");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create database");
                let base = url.split('?').next().unwrap_or(&url);
                let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
                (
                    DatabaseTarget::parse(&format!("{base}/{name}?sslmode=disable")).unwrap(),
                    Some((admin, name)),
                )
            }
            Err(_) => (
                DatabaseTarget::parse(dir.path().join("bench.db").to_str().unwrap()).unwrap(),
                None,
            ),
        };
        let mut conn = connect(&target, 5_000).expect("connect");
        run_migrations(&mut conn).expect("migrate");
        frontline::store::units::seed(&mut conn, &frontline::domain::annex1::seed_units())
            .expect("seed");
        Scratch {
            conn,
            target,
            pg,
            _dir: dir,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &mut self.pg {
            let _ = diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(admin);
        }
    }
}
