//! API keys: made by an admin and shown once, stored as a digest, sent as `ApiKey` or
//! `X-Api-Key`, limited to their scopes and addresses, refused once expired or revoked, every
//! use audited with the last-used time.

mod common;

use actix_web::http::Method;
use common::TestApp;
use serde_json::{json, Value};

async fn make(app: &TestApp, admin: &str, body: Value) -> (String, String) {
    let res = app
        .call(Method::POST, "/api/v1/api-keys", admin, Some(body))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let v: Value = res.json();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["key"].as_str().unwrap().to_owned(),
    )
}

async fn with_key(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Vec<u8>>,
    content_type: Option<&str>,
) -> common::Resp {
    let auth = format!("ApiKey {key}");
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(ct) = content_type {
        headers.push(("content-type", ct));
    }
    app.send(method, path, &headers, body).await
}

both_backends! {
    async fn keys_are_scoped_audited_and_revoked_at_once(app: TestApp) {
        let admin = app.admin_token().await;
        let (id, key) = make(app, &admin, json!({"name": "区政府门户网站", "scopes": ["public:read", "stats:read"]})).await;
        assert!(key.starts_with("fk_") && key.len() > 50);
        // Only a digest is stored, and the list never shows the secret.
        let listed = app.call(Method::GET, "/api/v1/api-keys", &admin, None).await;
        assert!(!listed.text().contains(&key));
        assert_eq!(listed.json::<Value>()["items"][0]["last_used_at"], Value::Null);
        let stored = format!("{:?}", frontline::store::api_keys::get(&mut app.db(), &id).unwrap());
        assert!(!stored.contains(&key[20..]));
        // stats:read reads every unit's statistics, by either header.
        let res = with_key(app, Method::GET, "/api/v1/stats?period=2026-Q3", &key, None, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app.send(Method::GET, "/api/v1/stats?period=2026-Q3", &[("x-api-key", key.as_str())], None).await;
        assert_eq!(res.status, 200);
        let audits = app.audit_count();
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters?limit=1", &key, None, None).await.status, 200);
        assert_eq!(app.audit_count(), audits + 1, "every use is audited");
        let last = app.last_audit();
        assert_eq!(last.action, "api_key.use");
        assert_eq!(last.actor_role.as_deref(), Some("api_key"));
        let listed: Value = app.call(Method::GET, "/api/v1/api-keys", &admin, None).await.json();
        assert!(listed["items"][0]["last_used_at"].is_string());
        // Nothing beyond: no writes, no sessions, no import without its scope, no key admin.
        let archive = app.unit_named("区档案馆").await.id.to_string();
        let body = serde_json::to_vec(&json!({"unit_id": archive, "activity": "window", "mode": "regular", "activity_on": "2026-11-20", "place": "x", "participant": {"kind": "head"}})).unwrap();
        assert_eq!(with_key(app, Method::POST, "/api/v1/participations", &key, Some(body), Some("application/json")).await.status, 403);
        assert_eq!(with_key(app, Method::GET, "/api/v1/auth/me", &key, None, None).await.status, 403);
        assert_eq!(with_key(app, Method::GET, "/api/v1/api-keys", &key, None, None).await.status, 403);
        let orders = b"[{\"external_id\": \"K1\", \"received_at\": \"2026-11-20 09:30:00\", \"unit\": \"\xe5\x8c\xba\xe6\xa1\xa3\xe6\xa1\x88\xe9\xa6\x86\", \"category\": \"x\", \"status\": \"open\"}]".to_vec();
        assert_eq!(with_key(app, Method::POST, "/api/v1/hotline/work-orders:import", &key, Some(orders.clone()), Some("application/json")).await.status, 403);
        // hotline:import imports; the work is audited to the key, authored by no account.
        let (_, importer) = make(app, &admin, json!({"name": "12345 热线对接", "scopes": ["hotline:import"], "allowed_addresses": ["127.0.0.1", "::1"]})).await;
        let res = with_key(app, Method::POST, "/api/v1/hotline/work-orders:import", &importer, Some(orders), Some("application/json")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json::<Value>()["created"], 1);
        // A scope opens its routes only: this key reads nothing and freezes nothing.
        let res = with_key(app, Method::GET, "/api/v1/matters", &importer, None, None).await;
        assert_eq!(res.status, 403);
        assert!(res.problem().detail.contains("API"), "{}", res.text());
        let list = serde_json::to_vec(&json!({"quarter": "2099-Q1"})).unwrap();
        assert_eq!(with_key(app, Method::POST, "/api/v1/hotline/concentration-lists", &importer, Some(list), Some("application/json")).await.status, 403);
        let alias = serde_json::to_vec(&json!({"alias": "档案馆"})).unwrap();
        assert_eq!(with_key(app, Method::POST, &format!("/api/v1/units/{archive}/aliases"), &importer, Some(alias), Some("application/json")).await.status, 403);
        // One credential per request.
        let res = app.send(Method::GET, "/api/v1/stats?period=2026-Q3", &[("x-api-key", key.as_str()), ("authorization", &format!("Bearer {admin}"))], None).await;
        assert_eq!(res.status, 401);
        // Addresses, expiry, revocation, forgery.
        let (_, elsewhere) = make(app, &admin, json!({"name": "外网", "scopes": ["public:read"], "allowed_addresses": ["10.0.0.0/8"]})).await;
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters", &elsewhere, None, None).await.status, 401);
        let refused = app.last_audit();
        assert_eq!((refused.action.as_str(), refused.outcome.as_str()), ("api_key.use", "failure"), "a refused use is audited too");
        let (expiring, soon) = make(app, &admin, json!({"name": "临时", "scopes": ["public:read"], "expires_at": "2099-01-01T00:00:00Z"})).await;
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters", &soon, None, None).await.status, 200);
        {
            use diesel::prelude::*;
            use frontline::db::schema::api_keys;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
            diesel::update(api_keys::table.find(&expiring)).set(api_keys::expires_at.eq(Some(past))).execute(&mut app.db()).unwrap();
        }
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters", &soon, None, None).await.status, 401);
        assert_eq!(app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), &admin, None).await.status, 204);
        let res = with_key(app, Method::GET, "/api/v1/matters", &key, None, None).await;
        assert_eq!(res.status, 401);
        res.problem();
        assert_eq!(app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), &admin, None).await.status, 204, "again: nothing changes");
        assert_eq!(app.call(Method::DELETE, &format!("/api/v1/api-keys/{}", uuid::Uuid::now_v7()), &admin, None).await.status, 404);
        let forged = format!("{}{}", &importer[..importer.len() - 4], "AAAA");
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters", &forged, None, None).await.status, 401);
        assert_eq!(with_key(app, Method::GET, "/api/v1/matters", "fk_nope", None, None).await.status, 401);
        // Bad requests for a key.
        for (body, field) in [
            (json!({"name": "x", "scopes": []}), "scopes"),
            (json!({"name": "x", "scopes": ["public:read"], "expires_at": "2000-01-01T00:00:00Z"}), "expires_at"),
            (json!({"name": "x", "scopes": ["public:read"], "allowed_addresses": ["10.0.0.0/40"]}), "allowed_addresses[0]"),
        ] {
            let res = app.call(Method::POST, "/api/v1/api-keys", &admin, Some(body.clone())).await;
            assert_eq!(res.status, 422, "{body}");
            assert!(res.problem().errors.unwrap().iter().any(|e| e.field == field), "{body}");
        }
        let res = app.call(Method::POST, "/api/v1/api-keys", &admin, Some(json!({"name": "x", "scopes": ["root"]}))).await;
        assert_eq!(res.status, 422, "{}", res.text());
    }
}
