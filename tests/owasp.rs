//! The OWASP API Security Top 10 (2023), one section per risk, each with real cases against
//! the running server on both backends. The exhaustive matrices live beside: every route ×
//! role × own/other unit in `tests/access.rs` (API1, API5), the JWT cases in `tests/auth.rs`
//! (API2), the limits' edges in `tests/errors.rs` (API4).

mod common;

use std::collections::BTreeSet;

use actix_web::http::Method;
use common::{TestApp, USER_PASSWORD};
use serde_json::{json, Value};

struct Cast {
    admin: String,
    coord: String,
    clerk: String,
    other_clerk: String,
    unit: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let other = app.unit_named("区司法局").await.id.to_string();
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    let (_, other_clerk) = app
        .user_with_token(&admin, "sfj.clerk", "unit", Some(&other), None)
        .await;
    let (_, coord) = app
        .user_with_token(&admin, "yyb.coord", "coordinator", Some(&office), None)
        .await;
    Cast {
        admin,
        coord,
        clerk,
        other_clerk,
        unit,
    }
}

async fn new_issue(app: &TestApp, c: &Cast) -> String {
    let res = app
        .call(Method::POST, "/api/v1/issues", &c.clerk, Some(json!({"unit_id": c.unit, "activity": "window",
            "kind": "problem", "description": "服务指南未列明容缺受理材料", "source_reason": "窗口意见簿"})))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json::<Value>()["id"].as_str().unwrap().to_owned()
}

/// Every key of a JSON value, at any depth.
fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

both_backends! {
    /// API1: broken object-level authorization. Another unit's record is refused for reading,
    /// editing and moving, and an id that does not exist answers 404.
    async fn api1_another_units_record_is_refused(app: TestApp) {
        let c = cast(app).await;
        let id = new_issue(app, &c).await;
        let path = format!("/api/v1/issues/{id}");
        let res = app.call(Method::GET, &path, &c.other_clerk, None).await;
        assert_eq!(res.status, 403, "{}", res.text());
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:forbidden");
        let res = app.call_with(Method::PATCH, &path, &c.other_clerk, &[("if-match", "*")], Some(json!({"remarks": "x"}))).await;
        assert_eq!(res.status, 403);
        let res = app.call(Method::POST, &format!("{path}/transitions"), &c.other_clerk, Some(json!({"action": "withdraw", "reason": "x"}))).await;
        assert_eq!(res.status, 403);
        // A unit's list is its own, whatever unit it asks for.
        let res = app.call(Method::GET, &format!("/api/v1/issues?unit_id={}", c.unit), &c.other_clerk, None).await;
        assert_eq!(res.status, 403, "{}", res.text());
        let res = app.call(Method::GET, "/api/v1/issues/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", &c.clerk, None).await;
        assert_eq!(res.status, 404);
        // Nothing changed.
        let res = app.call(Method::GET, &path, &c.clerk, None).await;
        assert_eq!((res.json::<Value>()["version"].as_i64(), res.json::<Value>()["remarks"].is_null()), (Some(1), true));
    }

    /// API2: broken authentication. No token, a malformed one, one whose payload was altered,
    /// a refresh token used as an access token, and an account's old password are refused.
    async fn api2_forged_and_misused_credentials_are_refused(app: TestApp) {
        let c = cast(app).await;
        let res = app.get("/api/v1/issues").await;
        assert_eq!(res.status, 401);
        assert!(res.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
        for token in ["garbage", "a.b.c", ""] {
            let res = app.call(Method::GET, "/api/v1/issues", token, None).await;
            assert_eq!(res.status, 401, "{token:?}");
        }
        // The payload re-encoded with the admin's role: the signature no longer matches.
        let parts: Vec<&str> = c.clerk.split('.').collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = json!("admin");
        let forged = format!("{}.{}.{}", parts[0], engine.encode(claims.to_string()), parts[2]);
        assert_eq!(app.call(Method::GET, "/api/v1/users", &forged, None).await.status, 401);
        let pair = app.login_ok("scjg.clerk", USER_PASSWORD).await;
        assert_eq!(app.call(Method::GET, "/api/v1/issues", &pair.refresh_token, None).await.status, 401);
        let res = app.login("scjg.clerk", "Not-the-password-9").await;
        assert_eq!(res.status, 401);
        assert!(res.json::<Value>().get("access_token").is_none());
    }

    /// API3: broken object property-level authorization. Fields the server sets cannot be
    /// sent (mass assignment), a role cannot be raised by its holder, and no response carries
    /// a hash, a secret or a key.
    async fn api3_server_fields_cannot_be_assigned_and_none_leak(app: TestApp) {
        let c = cast(app).await;
        let base = json!({"unit_id": c.unit, "activity": "window", "kind": "problem", "description": "x", "source_reason": "y"});
        for (field, value) in [("status", json!("closed")), ("version", json!(9)), ("id", json!("0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a")), ("created_at", json!("2020-01-01T00:00:00Z"))] {
            let mut b = base.clone();
            b[field] = value;
            let res = app.call(Method::POST, "/api/v1/issues", &c.clerk, Some(b)).await;
            assert_eq!(res.status, 422, "{field}: {}", res.text());
            let e = &res.problem().errors.unwrap()[0];
            assert_eq!((e.field.as_str(), e.code.as_str()), (field, "read_only"));
        }
        let res = app.call(Method::POST, "/api/v1/users", &c.admin, Some(json!({"username": "x.y", "role": "unit", "unit_id": c.unit, "password_hash": "$argon2id$..."}))).await;
        assert_eq!(res.status, 422);
        // The clerk cannot make itself an admin; the coordinator cannot either.
        let me: Value = app.call(Method::GET, "/api/v1/auth/me", &c.clerk, None).await.json();
        let path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
        for token in [&c.clerk, &c.coord] {
            let res = app.call_with(Method::PATCH, &path, token, &[("if-match", "*")], Some(json!({"role": "admin"}))).await;
            assert_eq!(res.status, 403, "{}", res.text());
        }
        let me: Value = app.call(Method::GET, "/api/v1/auth/me", &c.clerk, None).await.json();
        assert_eq!(me["role"], "unit");
        // No hidden field: the responses that describe accounts, sessions and keys.
        let mut seen = BTreeSet::new();
        for path in ["/api/v1/auth/me", "/api/v1/users", &path, "/api/v1/api-keys", "/api/v1/audit?limit=100"] {
            let res = app.call(Method::GET, path, &c.admin, None).await;
            assert_eq!(res.status, 200, "{path}: {}", res.text());
            keys(&res.json(), &mut seen);
        }
        for hidden in ["password_hash", "password", "token_hash", "key_hash", "secret", "refresh_token"] {
            assert!(!seen.contains(hidden), "{hidden} in a response");
        }
    }

    /// API4: unrestricted resource consumption. Each limit answers its 4xx problem at once.
    async fn api4_limits_answer_problems_not_slow_deaths(app: TestApp) {
        let c = cast(app).await;
        let big = json!({"unit_id": c.unit, "activity": "window", "kind": "problem", "source_reason": "y", "description": "字".repeat(20_000)});
        let res = app.call(Method::POST, "/api/v1/issues", &c.clerk, Some(big)).await;
        assert_eq!(res.status, 413, "over FRONTLINE_BODY_LIMIT");
        res.problem();
        let res = app.call(Method::GET, "/api/v1/issues?limit=100000", &c.clerk, None).await;
        assert_eq!(res.status, 400, "a query parameter out of its range");
        assert_eq!(res.problem().errors.unwrap()[0].field, "limit");
        let long = json!({"unit_id": c.unit, "activity": "window", "kind": "problem", "source_reason": "y", "description": "字".repeat(3_000)});
        let res = app.call(Method::POST, "/api/v1/issues", &c.clerk, Some(long)).await;
        assert_eq!(res.status, 422, "a string over its length");
        assert_eq!(res.problem().errors.unwrap()[0].field, "description");
        // Deep nesting is refused by the parser, not by a stack overflow.
        let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
        let res = app.send(Method::POST, "/api/v1/issues", &[("authorization", &format!("Bearer {}", c.clerk)), ("content-type", "application/json")], Some(deep.into_bytes())).await;
        assert_eq!(res.status, 422, "{}", res.text());
        res.problem();
    }

    /// API5: broken function-level authorization. A unit's account cannot reach the
    /// administrator's, the coordinator's or the leader's functions.
    async fn api5_a_unit_cannot_call_other_roles_functions(app: TestApp) {
        let c = cast(app).await;
        for (method, path, body) in [
            (Method::GET, "/api/v1/users", None),
            (Method::POST, "/api/v1/users", Some(json!({"username": "a.b", "role": "admin"}))),
            (Method::GET, "/api/v1/audit", None),
            (Method::POST, "/api/v1/compliance-checks", Some(json!({"period": "2026-Q1"}))),
            (Method::POST, "/api/v1/webhooks", Some(json!({"name": "x", "url": "https://portal.example/h", "events": ["ping"]}))),
            (Method::POST, "/api/v1/imports", Some(json!({"kind": "issues", "records": []}))),
        ] {
            let res = app.call(method.clone(), path, &c.clerk, body).await;
            assert_eq!(res.status, 403, "{method} {path}: {}", res.text());
        }
    }

    /// API7: server-side request forgery. A webhook may not point inside the network, and
    /// links in records are text, never fetched.
    async fn api7_no_request_is_made_to_an_address_a_caller_names(app: TestApp) {
        let c = cast(app).await;
        for url in ["http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://localhost/", "http://10.0.0.8/hook"] {
            let res = app.call(Method::POST, "/api/v1/webhooks", &c.admin, Some(json!({"name": "内部", "url": url, "events": ["ping"]}))).await;
            assert_eq!(res.status, 422, "{url}");
            assert_eq!(res.problem().errors.unwrap()[0].code, "private_address", "{url}");
        }
        // A record holding a URL is stored as text: a listener at that address hears nothing.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/probe", listener.local_addr().unwrap());
        let res = app.call(Method::POST, "/api/v1/issues", &c.clerk, Some(json!({"unit_id": c.unit, "activity": "window", "kind": "problem", "description": url, "source_reason": url}))).await;
        assert_eq!(res.status, 201);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(listener.accept().is_err(), "nothing connected to the named address");
    }

    /// API8: security misconfiguration. Hardening headers on every answer, no cache of what
    /// credentials read, no CORS for any origin by default, no banner, no TRACE, no debug routes.
    async fn api8_headers_cors_methods_and_no_debug_routes(app: TestApp) {
        let c = cast(app).await;
        let anonymous = app.get("/healthz").await;
        let signed_in = app.call(Method::GET, "/api/v1/issues", &c.clerk, None).await;
        let refused = app.get("/api/v1/issues").await;
        for (name, res) in [("healthz", &anonymous), ("list", &signed_in), ("401", &refused)] {
            assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"), "{name}");
            assert_eq!(res.header("x-frame-options").as_deref(), Some("DENY"), "{name}");
            assert_eq!(res.header("referrer-policy").as_deref(), Some("no-referrer"), "{name}");
            assert!(res.header("content-security-policy").is_some_and(|v| v.starts_with("default-src 'none'")), "{name}");
            assert!(res.header("server").is_none(), "{name}: no server banner");
        }
        assert_eq!(signed_in.header("cache-control").as_deref(), Some("no-store"));
        let docs = app.get("/docs/").await;
        assert_eq!(docs.status, 200);
        assert!(docs.header("content-security-policy").is_some_and(|v| v.starts_with("default-src 'self'")));
        // No origin is allowed by default: no CORS header, and a preflight is not answered.
        let res = app.get_with("/api/v1/units", &[("origin", "https://evil.example")]).await;
        assert!(res.header("access-control-allow-origin").is_none());
        let res = app.send(Method::OPTIONS, "/api/v1/units", &[("origin", "https://evil.example"), ("access-control-request-method", "GET")], None).await;
        assert_eq!(res.status, 405);
        assert!(res.header("access-control-allow-origin").is_none());
        // TRACE and other methods: 405 with Allow, as problem+json.
        for method in [Method::TRACE, Method::PUT, Method::DELETE] {
            let res = app.send(method.clone(), "/api/v1/issues", &[], None).await;
            assert_eq!(res.status, 405, "{method}");
            assert_eq!(res.header("allow").as_deref(), Some("GET, POST"), "{method}");
            res.problem();
        }
        for path in ["/debug", "/actuator/env", "/.env", "/admin", "/api/v1/debug/vars", "/server-status"] {
            let res = app.get(path).await;
            assert_eq!(res.status, 404, "{path}");
        }
    }

    /// API9: improper inventory management. Every method of every path in the spec is served,
    /// and every method the spec does not list on a path answers 405: the API served is the
    /// API documented.
    async fn api9_the_routes_served_are_the_specs(app: TestApp) {
        let spec: Value = app.get("/api/v1/openapi.json").await.json();
        let paths = spec["paths"].as_object().unwrap();
        let all = ["get", "post", "put", "patch", "delete"];
        let mut checked = 0;
        for template in paths.keys() {
            let path = fill(&template.replace("{year}", "2026"));
            for m in all {
                        let documented = match paths.get(&path) {
                    // A route without parameters answers its own methods only.
                    Some(item) => item.get(m).is_some(),
                    None => paths
                        .iter()
                        .any(|(t, item)| matches_template(t, &path) && item.get(m).is_some()),
                };
                let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
                let res = app.send(method, &path, &[], None).await;
                if documented {
                    assert!(res.status != 405 && !(res.status == 404 && res.problem().type_uri.ends_with("route-not-found")),
                        "{m} {template} is in the spec but not served: {}", res.status);
                } else {
                    assert_eq!(res.status, 405, "{m} {template} is served but not in the spec");
                }
                checked += 1;
            }
        }
        assert!(checked > 200, "{checked} path × method pairs checked");
    }

    /// API10: unsafe consumption of APIs. Imported records are validated like any write: one
    /// bad record refuses the whole batch, names its place, and writes nothing.
    async fn api10_imported_records_are_validated_all_or_nothing(app: TestApp) {
        let c = cast(app).await;
        let good = json!({"external_ref": "H-1", "unit_id": c.unit, "activity": "window", "kind": "problem", "description": "历史问题", "found_on": "2026-02-10"});
        let mut bad = good.clone();
        bad["external_ref"] = json!("H-2");
        bad["found_on"] = json!("2026-02-30");
        let before = app.call(Method::GET, "/api/v1/issues", &c.coord, None).await.json::<Value>()["items"].as_array().unwrap().len();
        let res = app.call(Method::POST, "/api/v1/imports", &c.coord, Some(json!({"kind": "issues", "records": [good, bad]}))).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.problem().errors.unwrap().iter().any(|e| e.field.starts_with("records[1]")));
        let after = app.call(Method::GET, "/api/v1/issues", &c.coord, None).await.json::<Value>()["items"].as_array().unwrap().len();
        assert_eq!(before, after, "nothing of the batch was written");
    }
}

/// Whether a concrete path matches a spec template (`{param}` is one segment).
fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

/// Fills every `{param}` of a path template with an id no record has.
fn fill(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str("0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// API6: unrestricted access to sensitive business flows. The ledger export has a quota per
/// account and hour, counted across instances from the audit log.
async fn api6_case(app: &TestApp) {
    let c = cast(app).await;
    let other = app
        .second_instance(&[("FRONTLINE_EXPORT_RATE_PER_HOUR", "2")])
        .await;
    for on in [app, &other] {
        let res = on
            .call(
                Method::GET,
                "/api/v1/issues/export?format=csv",
                &c.coord,
                None,
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let res = other
        .call(
            Method::GET,
            "/api/v1/issues/export?format=csv",
            &c.coord,
            None,
        )
        .await;
    assert_eq!(res.status, 429, "{}", res.text());
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3_600).contains(&wait));
    assert_eq!(
        res.problem().type_uri,
        "urn:frontline:problem:too-many-requests"
    );
    // Another account has its own quota.
    let res = other
        .call(
            Method::GET,
            "/api/v1/issues/export?format=csv",
            &c.admin,
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    other.stop().await;
}

on_both!(
    api6_export_quota,
    &[("FRONTLINE_EXPORT_RATE_PER_HOUR", "2")],
    api6_case
);

/// API8 continued: with an allow-list, its origins (only) get CORS answers.
async fn api8_cors_case(app: &TestApp) {
    let res = app
        .send(
            Method::OPTIONS,
            "/api/v1/issues",
            &[
                ("origin", "https://portal.beilin.gov.cn"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some("https://portal.beilin.gov.cn")
    );
    assert_eq!(
        res.header("access-control-allow-methods").as_deref(),
        Some("GET, POST")
    );
    assert!(res
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    let res = app
        .get_with(
            "/api/v1/units",
            &[("origin", "https://portal.beilin.gov.cn")],
        )
        .await;
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some("https://portal.beilin.gov.cn")
    );
    assert!(res
        .header("access-control-expose-headers")
        .unwrap()
        .contains("ETag"));
    assert!(res.header("vary").is_some_and(|v| v.contains("Origin")));
    let res = app
        .get_with(
            "/api/v1/units",
            &[("origin", "https://portal.beilin.gov.cn.evil.example")],
        )
        .await;
    assert!(res.header("access-control-allow-origin").is_none());
}

on_both!(
    api8_cors_allow_list,
    &[("FRONTLINE_CORS_ORIGINS", "https://portal.beilin.gov.cn")],
    api8_cors_case
);
