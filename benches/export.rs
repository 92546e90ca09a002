//! The Annex 2 export of a 50,000-issue ledger: time, file size and peak memory (VmHWM) of the
//! CSV and the XLSX export, on SQLite (default) or on PostgreSQL when
//! `FRONTLINE_BENCH_POSTGRES_URL` names a server (a scratch database is created and dropped).
//!
//! Run with `cargo bench --bench export` (`-- 5000` for another count). The ledger is written
//! in chunks first; each export then reads it a page at a time. Peak memory is read from
//! /proc/self/status after each step: an export that held the ledger in memory would raise it
//! far above the level the seeding left.

use std::time::Instant;

use diesel::prelude::*;
use frontline::api::issues_export::{write_export, ExportFormat};
use frontline::db::schema::issues;
use frontline::db::{connect, run_migrations, AnyConnection, DatabaseTarget};
use frontline::store::issues::{Filter, IssueRow};

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn seed(conn: &mut AnyConnection, unit: &str, count: usize) {
    let now = frontline::store::now();
    let today = frontline::domain::calendar::local_date(chrono::Utc::now());
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<IssueRow> = chunk
            .iter()
            .map(|i| IssueRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: unit.to_owned(),
                seq: *i as i32 + 1,
                source: "manual".into(),
                source_reason: Some("基准测试".into()),
                participation_id: None,
                segment_type: None,
                finding_id: None,
                activity: Some("window".into()),
                found_on: today,
                kind: if i % 3 == 0 { "demand" } else { "problem" }.into(),
                place: Some("区政务服务中心一楼综合窗口".into()),
                content: Some("W1 参与一次审批服务：食品经营许可".into()),
                method: Some("走流程、坐窗口 · 定期体验 · 一把手".into()),
                description: format!("第{i}号：服务指南未列明容缺受理材料，企业需往返两次补交材料"),
                measures: Some("修订服务指南并上墙公示，窗口人员培训一次性告知".into()),
                immediate: i % 5 == 0,
                deadline: Some(today + chrono::Duration::days((i % 60) as i64)),
                effect: None,
                remarks: None,
                owner: Some("张科长".into()),
                status: "rectifying".into(),
                resolved_at: None,
                closed_at: None,
                created_by: None,
                created_at: now,
                updated_at: now,
                version: 1,
            })
            .collect();
        // MultiConnection has no multi-row INSERT: one statement per row, a transaction per chunk.
        frontline::db::write_transaction(conn, |conn| {
            for r in &rows {
                diesel::insert_into(issues::table).values(r).execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("insert");
    }
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50_000);
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
    let unit = frontline::store::units::find_by_key(&mut conn, "区市场监管局")
        .expect("unit")
        .expect("seeded")
        .id
        .to_string();
    let started = Instant::now();
    seed(&mut conn, &unit, count);
    println!(
        "backend {}; seeded {count} issues in {:.2?}; peak RSS so far {} KiB",
        target.backend_name(),
        started.elapsed(),
        peak_kib()
    );
    let filter = Filter {
        unit_id: Some(unit),
        ..Default::default()
    };
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let started = Instant::now();
        let (file, n) = write_export(&mut conn, &filter, format, None).expect("export");
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        println!(
            "export {format}: {n} issues, {} KiB, {:.2?}; peak RSS {} KiB",
            size / 1024,
            started.elapsed(),
            peak_kib()
        );
        assert_eq!(n, count);
    }
    drop(conn);
    if let Some((mut admin, name)) = pg {
        let _ = diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin);
    }
}
