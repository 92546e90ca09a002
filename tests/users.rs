//! Accounts: created by admins with a one-time password (also from the command line), read by
//! coordinators, changed with `If-Match`, deactivated rather than deleted.

mod common;

use actix_web::http::Method;
use common::{TestApp, USER_PASSWORD};
use frontline::api::users::{CreatedUser, UpdatedUser, UserList};
use frontline::domain::account::{Role, User};

fn db_url(app: &TestApp) -> String {
    match &app.database {
        frontline::db::DatabaseTarget::Sqlite { path } => format!("sqlite://{path}"),
        frontline::db::DatabaseTarget::Postgres { url } => url.clone(),
    }
}

both_backends! {
    async fn an_admin_creates_reads_lists_and_changes_accounts(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区司法局").await;
        let res = app.call(Method::POST, "/api/v1/users", &admin, Some(serde_json::json!({
            "username": "sfj.lead", "display_name": "司法局 李四", "role": "lead", "unit_id": unit.id.to_string(), "lead_activity": "enforcement"
        }))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let created: CreatedUser = res.json();
        assert_eq!(res.header("location"), Some(format!("/api/v1/users/{}", created.user.id)));
        assert!(created.user.must_change_password);
        assert_eq!(created.one_time_password.chars().count(), 16);
        assert_eq!(created.user.role, Role::Lead);

        let got: User = app.call(Method::GET, &format!("/api/v1/users/{}", created.user.id), &admin, None).await.json();
        assert_eq!(got, created.user);
        let list: UserList = app.call(Method::GET, "/api/v1/users?role=lead", &admin, None).await.json();
        assert_eq!(list.items.len(), 1);
        let list: UserList = app.call(Method::GET, &format!("/api/v1/users?unit_id={}", unit.id), &admin, None).await.json();
        assert_eq!(list.items, vec![created.user.clone()]);
        let all: UserList = app.call(Method::GET, "/api/v1/users?limit=1", &admin, None).await.json();
        assert_eq!(all.items.len(), 1);
        assert!(all.next_cursor.is_some());

        // Reset the password: a new one-time password, the old one and every session end.
        let token = app.activate("sfj.lead", &created.one_time_password, USER_PASSWORD).await;
        let res = app.call_with(Method::PATCH, &format!("/api/v1/users/{}", created.user.id), &admin, &[("if-match", "\"2\"")],
            Some(serde_json::json!({"reset_password": true, "display_name": "司法局 李四四"}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let updated: UpdatedUser = res.json();
        let otp = updated.one_time_password.expect("a new one-time password");
        assert!(updated.user.must_change_password);
        assert_eq!(updated.user.display_name, "司法局 李四四");
        assert_eq!(app.call(Method::GET, "/api/v1/auth/me", &token, None).await.status, 401);
        assert_eq!(app.login("sfj.lead", USER_PASSWORD).await.status, 401);
        assert_eq!(app.login("sfj.lead", &otp).await.status, 200);

        // Deactivate: refused at sign-in; kept, readable, reactivable.
        let res = app.call_with(Method::PATCH, &format!("/api/v1/users/{}", created.user.id), &admin, &[("if-match", "\"3\"")],
            Some(serde_json::json!({"active": false}))).await;
        assert_eq!(res.status, 200);
        assert_eq!(app.login("sfj.lead", &otp).await.status, 401);
        let inactive: UserList = app.call(Method::GET, "/api/v1/users?active=false", &admin, None).await.json();
        assert_eq!(inactive.items.len(), 1);
    }

    async fn account_shapes_and_conflicts_are_refused(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        let cases = [
            (serde_json::json!({"username": "Bad Name", "display_name": "x", "role": "admin"}), 422, "username"),
            (serde_json::json!({"username": "u.unit", "display_name": "x", "role": "unit"}), 422, "unit_id"),
            (serde_json::json!({"username": "u.lead", "display_name": "x", "role": "lead", "unit_id": unit}), 422, "lead_activity"),
            (serde_json::json!({"username": "u.adm", "display_name": "x", "role": "admin", "lead_activity": "window"}), 422, "lead_activity"),
            (serde_json::json!({"username": "u.x", "display_name": "x", "role": "unit", "unit_id": uuid::Uuid::now_v7().to_string()}), 422, "unit_id"),
            (serde_json::json!({"username": "u.y", "display_name": "x", "role": "root"}), 422, "role"),
            (serde_json::json!({"username": "u.z", "display_name": "x", "role": "unit", "unit_id": unit, "password_hash": "x"}), 422, "password_hash"),
            (serde_json::json!({"username": "admin", "display_name": "x", "role": "admin"}), 409, ""),
        ];
        let before: UserList = app.call(Method::GET, "/api/v1/users", &admin, None).await.json();
        for (body, status, field) in cases {
            let res = app.call(Method::POST, "/api/v1/users", &admin, Some(body.clone())).await;
            assert_eq!(res.status, status, "{body}: {}", res.text());
            let p = res.problem();
            if status == 422 {
                assert_eq!(p.errors.unwrap()[0].field, field, "{body}");
            }
        }
        let after: UserList = app.call(Method::GET, "/api/v1/users", &admin, None).await.json();
        assert_eq!(before.items, after.items, "nothing stored");
        // A caller without the right learns nothing from the body: 403 before 400/415/422.
        let (_, clerk) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&unit), None).await;
        for (ct, body) in [("application/json", b"{broken".to_vec()), ("text/plain", b"x".to_vec()), ("application/json", br#"{"username": 5}"#.to_vec())] {
            let auth = format!("Bearer {clerk}");
            let res = app.send(Method::POST, "/api/v1/users", &[("authorization", &auth), ("content-type", ct)], Some(body)).await;
            assert_eq!(res.status, 403, "{ct}");
        }
        // The last active admin stays.
        let me: User = app.call(Method::GET, "/api/v1/auth/me", &admin, None).await.json();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/users/{}", me.id), &admin, &[("if-match", "*")],
            Some(serde_json::json!({"active": false}))).await;
        assert_eq!(res.status, 409);
        let res = app.call_with(Method::PATCH, &format!("/api/v1/users/{}", me.id), &admin, &[("if-match", "*")],
            Some(serde_json::json!({"role": "leader"}))).await;
        assert_eq!(res.status, 409);
        let res = app.call(Method::PATCH, &format!("/api/v1/users/{}", me.id), &admin, Some(serde_json::json!({"display_name": "x"}))).await;
        assert_eq!(res.status, 428);
    }

    async fn the_command_line_adds_an_account_with_a_one_time_password(app: TestApp) {
        let run = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
                .args(args)
                .env("FRONTLINE_DATABASE_URL", db_url(app))
                .env("FRONTLINE_ARGON2_MEMORY_KIB", "1024")
                .env("FRONTLINE_ARGON2_ITERATIONS", "1")
                .env("FRONTLINE_LOG", "warn")
                .output()
                .expect("run frontline")
        };
        let out = run(&["user", "add", "--username", "sfj.admin", "--role", "lead", "--unit", "justice", "--activity", "enforcement"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
        let otp = stdout.split_whitespace().nth(7).expect("the password in the output").to_owned();
        let pair = app.login_ok("sfj.admin", &otp).await;
        assert!(pair.must_change_password);
        let me: User = app.call(Method::GET, "/api/v1/auth/me", &pair.access_token, None).await.json();
        assert_eq!(me.unit_id, Some(app.unit_named("区司法局").await.id.to_string()));
        let again = run(&["user", "add", "--username", "sfj.admin", "--role", "unit", "--unit", "区司法局"]);
        assert!(!again.status.success(), "a taken username");
        let bad = run(&["user", "add", "--username", "x.y", "--role", "unit", "--unit", "no-such-unit"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("no unit"));
        let seed = run(&["seed"]);
        assert!(seed.status.success());
        assert!(String::from_utf8_lossy(&seed.stdout).contains("0 units inserted, 46 already present"));
    }
}
