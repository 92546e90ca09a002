//! The audit log: every write leaves exactly one record, in the same transaction, with who,
//! what, before and after, the request id and the client; it is append-only.

mod common;

use actix_web::http::Method;
use common::{TestApp, USER_PASSWORD};
use diesel::connection::SimpleConnection;
use frontline::store::audit::AuditRecord;

/// Runs `write`, then checks that it left exactly one audit record, and returns it.
async fn one_record(app: &TestApp, before: i64, res: &common::Resp, action: &str) -> AuditRecord {
    assert!(res.status < 300, "{action}: {} {}", res.status, res.text());
    assert_eq!(
        app.audit_count(),
        before + 1,
        "{action} leaves exactly one audit record"
    );
    let r = app.last_audit();
    assert_eq!(r.action, action);
    assert_eq!(r.outcome, "success");
    assert_eq!(
        r.request_id,
        res.header("x-request-id"),
        "{action}: the request id"
    );
    assert_eq!(
        r.client_addr.as_deref(),
        Some("127.0.0.1"),
        "{action}: the client"
    );
    r
}

both_backends! {
    async fn every_write_leaves_exactly_one_audit_record(app: TestApp) {
        let admin = app.admin_token().await;
        let admin_me: frontline::domain::account::User = app.call(Method::GET, "/api/v1/auth/me", &admin, None).await.json();

        // Creating a unit: every field, from null.
        let n = app.audit_count();
        let res = app.call(Method::POST, "/api/v1/units", &admin, Some(serde_json::json!({
            "name": "区数据局", "short_code": "data-bureau", "kind": "district_department", "categories": ["approval_service"]
        }))).await;
        let unit: frontline::domain::unit::Unit = res.json();
        let r = one_record(app, n, &res, "unit.create").await;
        assert_eq!(r.actor_id.as_deref(), Some(admin_me.id.as_str()));
        assert_eq!((r.actor_username.as_deref(), r.actor_role.as_deref()), (Some("admin"), Some("admin")));
        assert_eq!((r.target_type.as_deref(), r.target_id.clone()), (Some("unit"), Some(unit.id.to_string())));
        let changes: serde_json::Value = serde_json::from_str(r.changes.as_deref().unwrap()).unwrap();
        assert_eq!(changes["name"], serde_json::json!({"before": null, "after": "区数据局"}));

        // Changing it: only what changed, before and after.
        let n = app.audit_count();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{}", unit.id), &admin, &[("if-match", "\"1\"")],
            Some(serde_json::json!({"active": false, "head": {"name": "王五", "title": "局长"}}))).await;
        let r = one_record(app, n, &res, "unit.update").await;
        let changes: serde_json::Value = serde_json::from_str(r.changes.as_deref().unwrap()).unwrap();
        assert_eq!(changes["active"], serde_json::json!({"before": true, "after": false}));
        assert_eq!(changes["head"]["after"]["name"], "王五");
        assert_eq!(changes.as_object().unwrap().len(), 2, "{changes}");

        // Accounts: create, change.
        let n = app.audit_count();
        let res = app.call(Method::POST, "/api/v1/users", &admin, Some(serde_json::json!({
            "username": "sjj.clerk", "display_name": "数据局 赵六", "role": "unit", "unit_id": unit.id.to_string()
        }))).await;
        let created: frontline::api::users::CreatedUser = res.json();
        let r = one_record(app, n, &res, "user.create").await;
        let text = r.changes.clone().unwrap();
        assert!(text.contains("sjj.clerk"));
        assert!(!text.contains(&created.one_time_password), "no password in the audit log");
        assert!(!text.contains("argon2"));
        let n = app.audit_count();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/users/{}", created.user.id), &admin, &[("if-match", "\"1\"")],
            Some(serde_json::json!({"display_name": "数据局 赵六六"}))).await;
        one_record(app, n, &res, "user.update").await;

        // Sessions: sign-in, password change, refresh, sign-out; a failed sign-in too.
        let n = app.audit_count();
        let res = app.login("sjj.clerk", &created.one_time_password).await;
        let r = one_record(app, n, &res, "auth.login").await;
        assert_eq!(r.actor_username.as_deref(), Some("sjj.clerk"));
        let pair: frontline::api::auth::TokenPair = res.json();
        let n = app.audit_count();
        let res = app.call(Method::POST, "/api/v1/auth/password", &pair.access_token,
            Some(serde_json::json!({"current_password": created.one_time_password, "new_password": USER_PASSWORD}))).await;
        let r = one_record(app, n, &res, "auth.password_change").await;
        assert!(!r.changes.clone().unwrap_or_default().contains(USER_PASSWORD));
        let n = app.audit_count();
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": pair.refresh_token})).await;
        one_record(app, n, &res, "auth.refresh").await;
        let fresh: frontline::api::auth::TokenPair = res.json();
        let n = app.audit_count();
        let res = app.call(Method::POST, "/api/v1/auth/logout", &fresh.access_token, None).await;
        one_record(app, n, &res, "auth.logout").await;
        let n = app.audit_count();
        let res = app.login("sjj.clerk", "Wrong-password-9").await;
        assert_eq!(res.status, 401);
        assert_eq!(app.audit_count(), n + 1, "a failed sign-in is recorded too");
        assert_eq!(app.last_audit().outcome, "failure");

        // A refused write writes nothing, not even half.
        let n = app.audit_count();
        let res = app.call(Method::POST, "/api/v1/units", &admin, Some(serde_json::json!({
            "name": "区数据局", "short_code": "data-bureau-2", "kind": "district_department"
        }))).await;
        assert_eq!(res.status, 409);
        assert_eq!(app.audit_count(), n, "no record for a write that did not happen");
        assert_eq!(app.all_units("q=%E6%95%B0%E6%8D%AE%E5%B1%80").await.len(), 1);
    }

    async fn the_audit_log_is_read_newest_first_with_filters(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await;
        for flag in [true, false, true] {
            let etag = app.call(Method::GET, &format!("/api/v1/units/{}", unit.id), &admin, None).await.header("etag").unwrap();
            let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{}", unit.id), &admin, &[("if-match", &etag)],
                Some(serde_json::json!({"delegation_allowed": flag}))).await;
            assert_eq!(res.status, 200);
        }
        let res = app.call(Method::GET, &format!("/api/v1/audit?target_type=unit&target_id={}&limit=2", unit.id), &admin, None).await;
        assert_eq!(res.status, 200);
        let page: frontline::api::audit::AuditList = res.json();
        assert_eq!(page.items.len(), 2);
        assert!(page.items[0].id > page.items[1].id, "newest first");
        let next = page.next_cursor.expect("a third record");
        let res = app.call(Method::GET, &format!("/api/v1/audit?target_type=unit&target_id={}&limit=2&cursor={next}", unit.id), &admin, None).await;
        let rest: frontline::api::audit::AuditList = res.json();
        assert_eq!(rest.items.len(), 1);
        assert!(rest.next_cursor.is_none());
        let logins: frontline::api::audit::AuditList = app.call(Method::GET, "/api/v1/audit?action=auth.login", &admin, None).await.json();
        assert!(!logins.items.is_empty() && logins.items.iter().all(|r| r.action == "auth.login"));
        let future: frontline::api::audit::AuditList = app.call(Method::GET, "/api/v1/audit?from=2999-01-01T00:00:00%2B08:00", &admin, None).await.json();
        assert!(future.items.is_empty());
        let res = app.call(Method::GET, "/api/v1/audit?from=yesterday", &admin, None).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.problem().errors.unwrap()[0].field, "from");
    }

    async fn nobody_rewrites_the_audit_log(app: TestApp) {
        app.admin_token().await;
        assert!(app.audit_count() > 0);
        let mut conn = app.db();
        let update = conn.batch_execute("UPDATE audit_log SET outcome = 'success' WHERE outcome = 'failure' OR outcome = 'success'");
        assert!(update.is_err(), "UPDATE on audit_log must fail");
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = conn.batch_execute("DELETE FROM audit_log");
        assert!(delete.is_err(), "DELETE on audit_log must fail");
        if app.backend == common::Backend::Postgres {
            assert!(conn.batch_execute("TRUNCATE audit_log").is_err(), "TRUNCATE on audit_log must fail");
        }
        assert!(app.audit_count() > 0);
    }
}
