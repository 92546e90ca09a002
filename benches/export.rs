//! The Annex 2 export of a 50,000-issue ledger: time, file size and peak memory (VmHWM) of the
//! CSV and the XLSX export, on SQLite (default) or on PostgreSQL when
//! `FRONTLINE_BENCH_POSTGRES_URL` names a server (a scratch database is created and dropped).
//!
//! Run with `cargo bench --bench export` (`-- 5000` for another count). The ledger is written
//! in chunks first; each export then reads it a page at a time. Peak memory is read from
//! /proc/self/status after each step: an export that held the ledger in memory would raise it
//! far above the level the seeding left.

use std::time::Instant;

mod support;

use diesel::prelude::*;
use frontline::api::issues_export::{write_export, ExportFormat};
use frontline::db::schema::issues;
use frontline::db::AnyConnection;
use frontline::store::issues::{Filter, IssueRow};
use support::{peak_kib, Scratch};

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
    let mut db = Scratch::new();
    let target = db.target.clone();
    let conn = &mut db.conn;
    let unit = frontline::store::units::find_by_key(conn, "区市场监管局")
        .expect("unit")
        .expect("seeded")
        .id
        .to_string();
    let started = Instant::now();
    seed(conn, &unit, count);
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
        let (file, n) = write_export(conn, &filter, format, None).expect("export");
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        println!(
            "export {format}: {n} issues, {} KiB, {:.2?}; peak RSS {} KiB",
            size / 1024,
            started.elapsed(),
            peak_kib()
        );
        assert_eq!(n, count);
    }
}
