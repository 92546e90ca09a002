//! `frontline backup` (issue 13, item 7): a copy of the SQLite database taken while clients
//! write passes SQLite's integrity check and holds every write acknowledged before the copy
//! began. (PostgreSQL is backed up with pg_dump, as README.md says.)

mod common;

use std::sync::{Arc, Mutex};

use actix_web::http::Method;
use common::{spawn_app, Backend};
use diesel::prelude::*;
use serde_json::{json, Value};

#[actix_web::test]
async fn a_backup_taken_under_write_load_holds_every_write_acknowledged_before_it() {
    let app = spawn_app(Backend::Sqlite).await.expect("SQLite app");
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Four writers open issues until told to stop; an issue counts once its 201 is read.
    let writers = (0..4).map(|n| {
        let (app, clerk, unit, acked, stop) = (&app, clerk.clone(), unit.clone(), acked.clone(), stop.clone());
        async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let res = app
                    .call(Method::POST, "/api/v1/issues", &clerk, Some(json!({"unit_id": unit, "activity": "window",
                        "kind": "problem", "description": format!("备份测试 {n}-{i}"), "source_reason": "备份测试"})))
                    .await;
                assert_eq!(res.status, 201, "{}", res.text());
                acked.lock().unwrap().push(res.json::<Value>()["id"].as_str().unwrap().to_owned());
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("frontline-backup.db");
    let backup = {
        let (acked, stop, database, file) = (
            acked.clone(),
            stop.clone(),
            app.database.clone(),
            file.clone(),
        );
        async move {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(400)).await;
            let before: Vec<String> = acked.lock().unwrap().clone();
            let result = actix_web::web::block(move || {
                let mut conn = frontline::db::connect(&database, 5_000).unwrap();
                frontline::db::backup_sqlite(&mut conn, &file)
            })
            .await
            .unwrap();
            // Writers go on a little after the copy, then stop.
            actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            (before, result)
        }
    };
    let (_, (before, result)) =
        futures_util::future::join(futures_util::future::join_all(writers), backup).await;
    let bytes = result.expect("the backup is written and checked");
    assert!(bytes > 0);
    assert!(
        !before.is_empty(),
        "writes were acknowledged before the backup began"
    );
    let all = acked.lock().unwrap().len();
    assert!(
        all > before.len(),
        "writes went on during and after the backup"
    );

    // The copy opens as a database of its own, holding every write acknowledged before it.
    let mut copy = SqliteConnection::establish(file.to_str().unwrap()).unwrap();
    use frontline::db::schema::issues;
    let held: Vec<String> = issues::table.select(issues::id).load(&mut copy).unwrap();
    for id in &before {
        assert!(
            held.contains(id),
            "issue {id}, acknowledged before the backup, is in the copy"
        );
    }
    // A second backup to the same file is refused rather than overwriting it.
    let database = app.database.clone();
    let again = actix_web::web::block(move || {
        let mut conn = frontline::db::connect(&database, 5_000).unwrap();
        frontline::db::backup_sqlite(&mut conn, &file)
    })
    .await
    .unwrap();
    assert!(again.unwrap_err().contains("exists"));
    app.stop().await;
}
