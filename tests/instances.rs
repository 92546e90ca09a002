//! Several instances on one database behave as one (issue 13, item 6): a session ended on one
//! is refused by the other at once, a lockout earned on one holds on the other, and concurrent
//! edits through both with `If-Match` lose no update. On PostgreSQL, the engine the service
//! scales out on; on SQLite, two servers on one file.

mod common;

use actix_web::http::Method;
use common::ADMIN_PASSWORD;
use serde_json::{json, Value};

both_backends! {
    async fn a_session_ended_on_one_instance_is_refused_by_the_other(app: TestApp) {
        app.admin_token().await;
        let other = app.second_instance(&[]).await;
        let pair = app.login_ok("admin", ADMIN_PASSWORD).await;
        assert_eq!(other.call(Method::GET, "/api/v1/auth/me", &pair.access_token, None).await.status, 200);
        assert_eq!(app.call(Method::POST, "/api/v1/auth/logout", &pair.access_token, None).await.status, 204);
        // No cache on the other instance lets the token through, not even once.
        let res = other.call(Method::GET, "/api/v1/auth/me", &pair.access_token, None).await;
        assert_eq!(res.status, 401, "{}", res.text());
        let res = other.post_json("/api/v1/auth/refresh", &json!({"refresh_token": pair.refresh_token})).await;
        assert_eq!(res.status, 401);
        other.stop().await;
    }

    async fn a_lockout_earned_on_one_instance_holds_on_the_other(app: TestApp) {
        app.admin_token().await;
        let other = app.second_instance(&[]).await;
        // Failures spread over both instances add up to one count.
        for i in 0..5 {
            let on = if i % 2 == 0 { app } else { &other };
            assert_eq!(on.login("admin", "Wrong-password-1").await.status, 401);
        }
        for on in [app, &other] {
            let res = on.login("admin", ADMIN_PASSWORD).await;
            assert_eq!(res.status, 401, "locked on both, even with the right password");
        }
        other.stop().await;
    }

    async fn concurrent_edits_through_both_instances_lose_no_update(app: TestApp) {
        let admin = app.admin_token().await;
        let other = app.second_instance(&[]).await;
        let unit = app.unit_named("区市场监管局").await.id.to_string();
        let (_, clerk) = app.user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None).await;
        let res = app
            .call(Method::POST, "/api/v1/issues", &clerk, Some(json!({"unit_id": unit, "activity": "window",
                "kind": "problem", "description": "材料清单不清", "source_reason": "窗口意见簿"})))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/issues/{id}");

        // Eight writers, half through each instance, each adding its own line to the remarks:
        // read, write with If-Match, and on 412 read again.
        let writers = (0..8).map(|n| {
            let (on, path, clerk) = (if n % 2 == 0 { app } else { &other }, path.clone(), clerk.clone());
            async move {
                let mut conflicts = 0;
                loop {
                    let current = on.call(Method::GET, &path, &clerk, None).await;
                    assert_eq!(current.status, 200);
                    let etag = current.header("etag").unwrap();
                    let remarks = current.json::<Value>()["remarks"].as_str().unwrap_or("").to_owned();
                    let res = on
                        .call_with(Method::PATCH, &path, &clerk, &[("if-match", etag.as_str())],
                            Some(json!({"remarks": format!("{remarks}[{n}]")})))
                        .await;
                    match res.status {
                        200 => return conflicts,
                        412 => conflicts += 1,
                        other => panic!("PATCH answered {other}: {}", res.text()),
                    }
                }
            }
        });
        let conflicts: usize = futures_util::future::join_all(writers).await.into_iter().sum();
        let last = app.call(Method::GET, &path, &clerk, None).await.json::<Value>();
        let remarks = last["remarks"].as_str().unwrap();
        for n in 0..8 {
            assert_eq!(remarks.matches(&format!("[{n}]")).count(), 1, "writer {n} in {remarks}");
        }
        assert_eq!(last["version"], 1 + 8, "one version per write, {conflicts} conflicts retried");
        other.stop().await;
    }
}
