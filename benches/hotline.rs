//! Importing a generated year of 100,000 12345 work orders over the 43 units of Annex 1: time
//! and peak memory (VmHWM) of the first import and of a second import of the same file, which
//! must change nothing. SQLite by default, PostgreSQL when `FRONTLINE_BENCH_POSTGRES_URL` names
//! a server (a scratch database is created and dropped).
//!
//! Run with `cargo bench --bench hotline` (`-- 20000` for another count). The CSV is written to
//! a temporary file first and read row by row exactly as `POST /api/v1/hotline/work-orders:import`
//! reads its spooled body, in batches of 1,000 inside one transaction.

use std::io::{BufWriter, Write};
use std::time::Instant;

mod support;

use frontline::api::hotline_import::{for_each_row, Importer};
use frontline::db::{write_transaction, AnyConnection};
use frontline::i18n::Lang;
use support::{peak_kib, Scratch};

/// A deterministic year of orders over `units`, ending yesterday, as the hotline exports them (GB18030-free
/// UTF-8 CSV with the Chinese titles and the citizen's columns, which are dropped).
fn write_year(units: &[String], count: usize) -> std::fs::File {
    let mut file = tempfile::tempfile().expect("tempfile");
    {
        let mut w = BufWriter::new(&mut file);
        writeln!(w, "工单编号,受理时间,承办单位,诉求类别,渠道,诉求内容,办理状态,办结时间,是否按时办结,满意度,姓名,联系电话").unwrap();
        let categories = [
            "噪音",
            "物业",
            "占道经营",
            "油烟",
            "市容环境",
            "劳动保障",
            "食品安全",
            "交通",
        ];
        let levels = ["非常满意", "满意", "基本满意", "不满意", ""];
        // The year up to yesterday: an order received in the future is refused.
        let start = frontline::domain::calendar::local_date(chrono::Utc::now())
            - chrono::Duration::days(366);
        let mut x: u64 = 7;
        for i in 0..count {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) as usize;
            // Complaints concentrate: the first units get far more.
            let unit = &units[(r % 1000) * (r % 1000) / 1000 * units.len() / 1000];
            let on = start + chrono::Duration::days((r % 365) as i64);
            let closed = r % 4 != 0;
            writeln!(
                w,
                "GD2026{i:07},{on} {:02}:{:02}:00,{unit},{},电话,市民反映{}附近{}问题，请尽快处理,{},{},{},{},张三,13912345678",
                8 + r % 10,
                r % 60,
                categories[r % categories.len()],
                i % 97,
                categories[r % categories.len()],
                if closed { "已办结" } else { "办理中" },
                if closed { format!("{} 17:00:00", on + chrono::Duration::days((r % 9) as i64 + 1)) } else { String::new() },
                if closed { if r % 7 == 0 { "否" } else { "是" } } else { "" },
                levels[r % levels.len()],
            )
            .unwrap();
        }
        w.flush().unwrap();
    }
    file
}

fn import(
    conn: &mut AnyConnection,
    file: &mut std::fs::File,
) -> frontline::api::hotline_import::WorkOrderImport {
    write_transaction(conn, |conn| {
        let mut importer = Importer::new(conn, "12345", Lang::Zh, 15)?;
        for_each_row(file, true, None, 32, &mut |row| importer.row(row))?;
        importer.finish()
    })
    .expect("import")
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut db = Scratch::new();
    let (conn, target) = (&mut db.conn, db.target.clone());
    let seed = frontline::domain::annex1::seed_units();
    let units: Vec<String> = seed
        .iter()
        .filter(|u| !u.categories.is_empty())
        .map(|u| u.name.to_owned())
        .collect();
    let mut file = write_year(&units, count);
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    println!(
        "backend {}; {count} work orders over {} units, CSV {} KiB; peak RSS before import {} KiB",
        target.backend_name(),
        units.len(),
        size / 1024,
        peak_kib()
    );
    for pass in ["first import", "second import"] {
        let started = Instant::now();
        let r = import(conn, &mut file);
        println!(
            "{pass}: {:.2?}: created {}, updated {}, unchanged {}, rejected {}; peak RSS {} KiB",
            started.elapsed(),
            r.created,
            r.updated,
            r.unchanged,
            r.rejected,
            peak_kib()
        );
        assert_eq!(r.rejected, 0);
        if pass == "second import" {
            assert_eq!(
                (r.created, r.updated, r.unchanged as usize),
                (0, 0, count),
                "a re-import changes nothing"
            );
        }
    }
}
