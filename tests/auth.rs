//! Sessions and tokens: sign-in, the forced change of a one-time password, JWT negative
//! cases, lockout, the login rate, the password policy, refresh rotation and reuse, sign-out.

mod common;

use actix_web::http::Method;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use common::{ADMIN_PASSWORD, TEST_JWT_SECRET, USER_PASSWORD};
use frontline::auth::jwt::{JwtKeys, TokenType};

/// Keys like the test app's, with settings changed by `f`.
fn keys_with(
    app: &common::TestApp,
    f: impl FnOnce(&mut frontline::config::AuthSettings),
) -> JwtKeys {
    let mut s = app.config.auth.clone();
    f(&mut s);
    JwtKeys::load(&s, None).expect("keys")
}

/// The `sub` and `sid` claims of a token (read without checking it).
fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json")
}

async fn status_with(app: &common::TestApp, token: &str) -> u16 {
    app.call(Method::GET, "/api/v1/auth/me", token, None)
        .await
        .status
}

both_backends! {
    async fn a_one_time_password_must_be_changed_before_anything_else(app: TestApp) {
        let first = app.login_ok("admin", &app.admin_password.clone()).await;
        assert!(first.must_change_password);
        assert_eq!(first.token_type, "Bearer");
        assert_eq!(first.expires_in, 900);
        let res = app.call(Method::GET, "/api/v1/users", &first.access_token, None).await;
        assert_eq!(res.status, 403);
        assert!(res.problem().detail.contains("/api/v1/auth/password"));
        let me = app.call(Method::GET, "/api/v1/auth/me", &first.access_token, None).await;
        assert_eq!(me.status, 200);
        let user: frontline::domain::account::User = me.json();
        assert_eq!((user.username.as_str(), user.must_change_password), ("admin", true));
        let res = app
            .call(Method::POST, "/api/v1/auth/password", &first.access_token,
                Some(serde_json::json!({"current_password": app.admin_password.clone(), "new_password": ADMIN_PASSWORD})))
            .await;
        assert_eq!(res.status, 204, "{}", res.text());
        // The session that changed the password goes on, now with every right.
        assert_eq!(app.call(Method::GET, "/api/v1/users", &first.access_token, None).await.status, 200);
        assert_eq!(app.login(ADMIN_PASSWORD, "x").await.status, 401);
        let second = app.login_ok("admin", ADMIN_PASSWORD).await;
        assert!(!second.must_change_password);
        assert_eq!(app.login("admin", &app.admin_password.clone()).await.status, 401, "the one-time password is spent");
    }

    async fn every_bad_token_is_refused_with_401(app: TestApp) {
        let admin = app.admin_token().await;
        let claims = claims_of(&admin);
        let (sub, sid) = (claims["sub"].as_str().unwrap().to_owned(), claims["sid"].as_str().unwrap().to_owned());
        assert_eq!(status_with(app, &admin).await, 200);
        let now = Utc::now();
        let own = keys_with(app, |_| {});
        let mut cases: Vec<(&str, String)> = vec![
            ("malformed", "not-a-jwt".into()),
            ("three dots of nothing", "a.b.c".into()),
        ];
        let other = keys_with(app, |s| s.jwt_secret = Some(frontline::config::Secret("another-secret-another-secret-0123456".into())));
        cases.push(("bad signature", other.issue(TokenType::Access, &sub, &sid, "j", now, 600).unwrap()));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let body = admin.split('.').nth(1).unwrap();
        cases.push(("alg none", format!("{header}.{body}.")));
        let hs512 = {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512);
            h.kid = Some("k1".into());
            jsonwebtoken::encode(&h, &claims, &jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()).unwrap()).unwrap()
        };
        cases.push(("another algorithm", hs512));
        cases.push(("expired", own.issue(TokenType::Access, &sub, &sid, "j", now - Duration::hours(1), 600).unwrap()));
        cases.push(("not yet valid", own.issue(TokenType::Access, &sub, &sid, "j", now + Duration::hours(1), 7200).unwrap()));
        let iss = keys_with(app, |s| s.issuer = "somebody-else".into());
        cases.push(("wrong iss", iss.issue(TokenType::Access, &sub, &sid, "j", now, 600).unwrap()));
        let aud = keys_with(app, |s| s.audience = "another-api".into());
        cases.push(("wrong aud", aud.issue(TokenType::Access, &sub, &sid, "j", now, 600).unwrap()));
        let kid = keys_with(app, |s| s.jwt_kid = "k9".into());
        cases.push(("unknown kid", kid.issue(TokenType::Access, &sub, &sid, "j", now, 600).unwrap()));
        let pair = app.login_ok("admin", ADMIN_PASSWORD).await;
        cases.push(("a refresh token used as an access token", pair.refresh_token.clone()));
        cases.push(("a session that does not exist", own.issue(TokenType::Access, &sub, "no-such-session", "j", now, 600).unwrap()));
        for (what, token) in &cases {
            let res = app.call(Method::GET, "/api/v1/auth/me", token, None).await;
            assert_eq!(res.status, 401, "{what}");
            assert_eq!(res.header("www-authenticate").as_deref(), Some("Bearer realm=\"frontline\""), "{what}");
            assert_eq!(res.problem().type_uri, "urn:frontline:problem:unauthorized");
        }
        for header in ["", "Bearer", "Bearer ", "Basic YWRtaW46eA==", "Token abc"] {
            let res = app.send(Method::GET, "/api/v1/auth/me", &[("authorization", header)], None).await;
            assert_eq!(res.status, 401, "{header:?}");
        }
        assert_eq!(app.get("/api/v1/auth/me").await.status, 401, "no token");
        // The genuine token still works after all that.
        assert_eq!(status_with(app, &admin).await, 200);
    }

    async fn a_signed_out_session_reads_and_writes_nothing(app: TestApp) {
        // Not only /auth/me: every route refuses the session's token, before its body is looked
        // at, and nothing is written for it.
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        app.user_with_token(&admin, "dag.clerk2", "unit", Some(&unit), None).await;
        let pair = app.login_ok("dag.clerk2", USER_PASSWORD).await;
        let issue = serde_json::json!({"unit_id": unit, "activity": "window", "kind": "problem", "description": "窗口排队时间长", "source_reason": "窗口意见簿"});
        let res = app.call(Method::POST, "/api/v1/issues", &pair.access_token, Some(issue.clone())).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(app.call(Method::POST, "/api/v1/auth/logout", &pair.access_token, None).await.status, 204);
        let audited = app.audit_count();
        for (method, body) in [(Method::GET, None), (Method::POST, Some(issue)), (Method::POST, Some(serde_json::json!([])))] {
            let res = app.call(method.clone(), "/api/v1/issues", &pair.access_token, body).await;
            assert_eq!(res.status, 401, "{method}: {}", res.text());
            assert!(res.header("www-authenticate").is_some());
        }
        assert_eq!(app.audit_count(), audited, "nothing written for a signed-out session");
    }

    async fn a_deactivated_account_and_a_signed_out_session_are_refused(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await;
        let (user, token) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&unit.id.to_string()), None).await;
        assert_eq!(status_with(app, &token).await, 200);
        let res = app
            .call_with(Method::PATCH, &format!("/api/v1/users/{}", user.id), &admin, &[("if-match", "\"2\"")], Some(serde_json::json!({"active": false})))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(status_with(app, &token).await, 401, "token of a deactivated account");
        assert_eq!(app.login("dag.clerk", USER_PASSWORD).await.status, 401);

        let pair = app.login_ok("admin", ADMIN_PASSWORD).await;
        assert_eq!(status_with(app, &pair.access_token).await, 200);
        let res = app.call(Method::POST, "/api/v1/auth/logout", &pair.access_token, None).await;
        assert_eq!(res.status, 204);
        assert_eq!(status_with(app, &pair.access_token).await, 401, "access token after logout");
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": pair.refresh_token})).await;
        assert_eq!(res.status, 401, "refresh token after logout");
        assert_eq!(status_with(app, &admin).await, 200, "other sessions go on");
    }

    async fn refresh_rotates_and_a_reused_token_revokes_the_family(app: TestApp) {
        app.admin_token().await;
        let first = app.login_ok("admin", ADMIN_PASSWORD).await;
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": first.refresh_token})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let second: frontline::api::auth::TokenPair = res.json();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(claims_of(&second.access_token)["sid"], claims_of(&first.access_token)["sid"], "same session");
        assert_eq!(status_with(app, &second.access_token).await, 200);
        // The first refresh token is spent: presenting it again ends the whole session.
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": first.refresh_token})).await;
        assert_eq!(res.status, 401);
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": second.refresh_token})).await;
        assert_eq!(res.status, 401, "the family is revoked");
        assert_eq!(status_with(app, &second.access_token).await, 401);
        assert_eq!(status_with(app, &first.access_token).await, 401);
        // An access token is no refresh token.
        let other = app.login_ok("admin", ADMIN_PASSWORD).await;
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": other.access_token})).await;
        assert_eq!(res.status, 401);
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": "garbage"})).await;
        assert_eq!(res.status, 401);
    }

    async fn five_failures_lock_the_account_with_the_answer_of_an_unknown_user(app: TestApp) {
        app.admin_token().await;
        let unknown = app.login("nobody", "Whatever-123").await;
        assert_eq!(unknown.status, 401);
        let unknown = unknown.problem();
        for _ in 0..5 {
            let wrong = app.login("admin", "Wrong-password-1").await;
            assert_eq!(wrong.status, 401);
            let p = wrong.problem();
            assert_eq!((p.type_uri.as_str(), p.title.as_str(), p.detail.as_str()), (unknown.type_uri.as_str(), unknown.title.as_str(), unknown.detail.as_str()));
        }
        let locked = app.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(locked.status, 401, "locked, even with the right password");
        assert_eq!(locked.problem().detail, unknown.detail);
        let audit = app.last_audit();
        assert_eq!((audit.action.as_str(), audit.outcome.as_str()), ("auth.login", "failure"));
        // When the lock has passed, the right password works again.
        use diesel::prelude::*;
        use frontline::db::schema::users;
        diesel::update(users::table.filter(users::username.eq("admin")))
            .set(users::locked_until.eq(Some((Utc::now() - Duration::minutes(1)).naive_utc())))
            .execute(&mut app.db())
            .unwrap();
        assert_eq!(app.login("admin", ADMIN_PASSWORD).await.status, 200);
    }

    async fn a_client_past_the_login_rate_gets_429_with_retry_after(app: TestApp) {
        let limited = app.spawn_like(&[("FRONTLINE_LOGIN_RATE_PER_MINUTE", "3")]).await;
        for i in 0..3 {
            assert_eq!(limited.login(&format!("user{i}"), "Whatever-123").await.status, 401);
        }
        let res = limited.login("admin", &limited.admin_password.clone()).await;
        assert_eq!(res.status, 429);
        let retry: u64 = res.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:too-many-requests");
        limited.stop().await;
    }

    async fn the_password_policy_is_enforced(app: TestApp) {
        let first = app.login_ok("admin", &app.admin_password.clone()).await;
        let cases = [
            ("Short-1a", "too_short"),
            ("alllowercase123", "too_few_classes"),
            ("My-admin-Pass-1", "contains_username"),
        ];
        for (new, code) in cases {
            let res = app
                .call(Method::POST, "/api/v1/auth/password", &first.access_token,
                    Some(serde_json::json!({"current_password": app.admin_password.clone(), "new_password": new})))
                .await;
            assert_eq!(res.status, 422, "{new}");
            let e = &res.problem().errors.unwrap()[0];
            assert_eq!((e.field.as_str(), e.code.as_str()), ("new_password", code), "{new}");
        }
        let res = app
            .call(Method::POST, "/api/v1/auth/password", &first.access_token,
                Some(serde_json::json!({"current_password": "Not-the-password-1", "new_password": ADMIN_PASSWORD})))
            .await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].field, "current_password");
        let res = app
            .call(Method::POST, "/api/v1/auth/password", &first.access_token,
                Some(serde_json::json!({"current_password": app.admin_password.clone(), "new_password": app.admin_password.clone()})))
            .await;
        assert_eq!(res.status, 422);
    }

    async fn no_response_ever_carries_a_hash_or_the_secret(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区司法局").await;
        let (user, _) = app.user_with_token(&admin, "sfj.lead", "lead", Some(&unit.id.to_string()), Some("enforcement")).await;
        let pair = app.login_ok("sfj.lead", USER_PASSWORD).await;
        let mut bodies = vec![serde_json::to_string(&pair).unwrap()];
        for path in ["/api/v1/users".to_string(), format!("/api/v1/users/{}", user.id), "/api/v1/auth/me".into(), "/api/v1/audit?limit=200".into()] {
            let res = app.call(Method::GET, &path, &admin, None).await;
            assert_eq!(res.status, 200, "{path}");
            bodies.push(res.text());
        }
        use diesel::prelude::*;
        use frontline::db::schema::{refresh_tokens, users};
        let mut conn = app.db();
        let hashes: Vec<String> = users::table.select(users::password_hash).load(&mut conn).unwrap();
        let token_hashes: Vec<String> = refresh_tokens::table.select(refresh_tokens::token_hash).load(&mut conn).unwrap();
        assert!(!token_hashes.is_empty());
        for body in &bodies {
            assert!(!body.contains("$argon2"), "{body}");
            assert!(!body.contains("password_hash"));
            assert!(!body.contains(TEST_JWT_SECRET));
            for h in hashes.iter().chain(&token_hashes) {
                assert!(!body.contains(h.as_str()));
            }
        }
    }

    async fn a_success_resets_the_count_and_a_reset_lifts_the_lock(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        let (user, _) = app.user_with_token(&admin, "dag.a", "unit", Some(&unit), None).await;
        for _ in 0..4 {
            assert_eq!(app.login("dag.a", "Wrong-password-1").await.status, 401);
        }
        app.login_ok("dag.a", USER_PASSWORD).await;
        assert_eq!(app.login("dag.a", "Wrong-password-1").await.status, 401);
        app.login_ok("dag.a", USER_PASSWORD).await;
        // Wrong current passwords at /auth/password count like failed sign-ins.
        let token = app.login_ok("dag.a", USER_PASSWORD).await.access_token;
        for _ in 0..5 {
            let res = app
                .call(Method::POST, "/api/v1/auth/password", &token,
                    Some(serde_json::json!({"current_password": "Not-my-password-1", "new_password": "Another-pass-2026"})))
                .await;
            assert_eq!(res.status, 422);
        }
        assert_eq!(app.login("dag.a", USER_PASSWORD).await.status, 401, "locked by guesses at the current password");
        // An admin's reset lifts the lock: the new one-time password works at once.
        let res = app
            .call_with(Method::PATCH, &format!("/api/v1/users/{}", user.id), &admin, &[("if-match", "*")],
                Some(serde_json::json!({"reset_password": true})))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let otp = res.json::<frontline::api::users::UpdatedUser>().one_time_password.unwrap();
        assert_eq!(app.login("dag.a", &otp).await.status, 200);
    }

    async fn a_family_with_any_revoked_token_is_dead(app: TestApp) {
        // As after a refresh that raced a sign-out: a live token in a revoked family.
        app.admin_token().await;
        let pair = app.login_ok("admin", ADMIN_PASSWORD).await;
        assert_eq!(app.call(Method::POST, "/api/v1/auth/logout", &pair.access_token, None).await.status, 204);
        let claims = claims_of(&pair.access_token);
        let keys = keys_with(app, |_| {});
        let now = Utc::now();
        let late = keys.issue(TokenType::Refresh, claims["sub"].as_str().unwrap(), claims["sid"].as_str().unwrap(), "late", now, 600).unwrap();
        let mut conn = app.db();
        frontline::store::sessions::insert_refresh(&mut conn, &frontline::store::sessions::NewRefresh {
            id: "late",
            family_id: claims["sid"].as_str().unwrap(),
            user_id: claims["sub"].as_str().unwrap(),
            token_hash: &frontline::auth::password::token_hash(&late),
            issued_at: now.naive_utc(),
            family_started_at: now.naive_utc(),
            expires_at: (now + Duration::hours(1)).naive_utc(),
        }).unwrap();
        assert_eq!(status_with(app, &pair.access_token).await, 401);
        let res = app.post_json("/api/v1/auth/refresh", &serde_json::json!({"refresh_token": late})).await;
        assert_eq!(res.status, 401);
    }

    async fn a_nul_character_is_refused_not_a_500(app: TestApp) {
        let res = app.login("adm\u{0}in", "x").await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].code, "control_character");
        let admin = app.admin_token().await;
        for path in ["/api/v1/units?q=%00", "/api/v1/users?unit_id=a%00b", "/api/v1/audit?action=%00", "/api/v1/units/%00"] {
            let res = app.call(Method::GET, path, &admin, None).await;
            assert_eq!(res.status, 400, "{path}: {}", res.text());
            res.problem();
        }
    }
}
