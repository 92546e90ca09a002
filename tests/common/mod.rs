//! Test harness: [`spawn_app`] boots the real [`Application`] on port 0 with its own fresh
//! database — a temporary SQLite file, or a fresh PostgreSQL database when
//! `FRONTLINE_TEST_POSTGRES_URL` is set — and [`TestApp`] is a typed client for it.
//! [`both_backends!`] turns one test body into a test per backend.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use frontline::config::Config;
use frontline::db::{AnyConnection, DatabaseTarget};
use frontline::error::Problem;
use frontline::startup::Application;
use serde::de::DeserializeOwned;

/// The environment variable naming a PostgreSQL server (any database on it) for tests.
pub const POSTGRES_ENV: &str = "FRONTLINE_TEST_POSTGRES_URL";

/// The admin's password after [`TestApp::admin_token`].
pub const ADMIN_PASSWORD: &str = "Beilin-Root-2026!";
/// The password of accounts made by [`TestApp::user_with_token`].
pub const USER_PASSWORD: &str = "Xian-Window-2026!";

/// A backend to run a test on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running application with its own database.
pub struct TestApp {
    pub address: String,
    pub backend: Backend,
    pub database: DatabaseTarget,
    /// Where `/metrics` is served when `FRONTLINE_METRICS_BIND` gives it its own address.
    pub metrics_address: Option<String>,
    /// The database URL the app was started with.
    pub database_url: String,
    pub config: Config,
    client: awc::Client,
    pg_admin: Option<(String, String)>,
    /// The first admin's one-time password.
    pub admin_password: String,
    /// The running server, stopped by [`TestApp::shutdown`].
    server: Option<actix_web::dev::ServerHandle>,
    /// Tokens of accounts that may see phone numbers in full (a unit's own accounts).
    phone_owners: std::sync::Mutex<std::collections::HashSet<String>>,
    _dir: Option<tempfile::TempDir>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as `T`; panics with the body when it does not parse.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not the expected JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as a problem, after checking the media type and that `status` matches.
    pub fn problem(&self) -> Problem {
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{}",
            self.text()
        );
        let p: Problem = self.json();
        assert_eq!(p.status, self.status, "problem status equals HTTP status");
        assert!(p.type_uri.starts_with("urn:frontline:problem:"));
        assert!(!p.title.is_empty() && !p.detail.is_empty());
        assert_eq!(
            p.request_id,
            self.header("x-request-id"),
            "the problem carries the request id"
        );
        p
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn postgres_url_with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// The JWT secret of test applications (tests forge tokens with it).
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Settings of a test application: small pool, short time-outs, a 16 KiB body limit, cheap
/// argon2, a known JWT secret; `overrides` replace any of them.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<&str, String> = HashMap::new();
    env.insert("FRONTLINE_JWT_SECRET", TEST_JWT_SECRET.into());
    env.insert("FRONTLINE_ARGON2_MEMORY_KIB", "1024".into());
    env.insert("FRONTLINE_ARGON2_ITERATIONS", "1".into());
    env.insert("FRONTLINE_LOGIN_RATE_PER_MINUTE", "10000".into());
    env.insert("FRONTLINE_DATABASE_URL", database_url.to_owned());
    env.insert("FRONTLINE_BIND", "127.0.0.1:0".into());
    env.insert("FRONTLINE_POOL_SIZE", "4".into());
    env.insert("FRONTLINE_POOL_TIMEOUT_SECS", "2".into());
    env.insert("FRONTLINE_BODY_LIMIT", "16384".into());
    env.insert("FRONTLINE_WORKERS", "1".into());
    env.insert("FRONTLINE_SQLITE_BUSY_TIMEOUT_MS", "300".into());
    for (k, v) in overrides {
        env.insert(k, (*v).to_owned());
    }
    Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration is valid")
}

/// Boots the application on `backend` with a fresh database; `None` for PostgreSQL when
/// `FRONTLINE_TEST_POSTGRES_URL` is not set.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

/// [`spawn_app`] with some settings overridden.
pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
    if std::env::var("FRONTLINE_TEST_LOG").is_ok() {
        frontline::telemetry::init_logging("info");
    }
    let (url, pg_admin, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let path = dir.path().join("frontline.db");
            (format!("sqlite://{}", path.display()), None, Some(dir))
        }
        Backend::Postgres => {
            let admin = match std::env::var(POSTGRES_ENV) {
                Ok(u) if !u.trim().is_empty() => u,
                _ => {
                    assert!(
                        std::env::var("FRONTLINE_TEST_REQUIRE_POSTGRES").is_err(),
                        "FRONTLINE_TEST_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not"
                    );
                    eprintln!("skipped: {POSTGRES_ENV} is not set");
                    return None;
                }
            };
            let name = format!("frontline_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin)
                .expect("connect to the PostgreSQL test server");
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create the test database");
            // Tests talk to a local server in clear: no TLS library state to tear down at exit.
            let url = postgres_url_with_database(&admin, &name);
            let url = if url.contains("sslmode=") {
                url
            } else if url.contains('?') {
                format!("{url}&sslmode=disable")
            } else {
                format!("{url}?sslmode=disable")
            };
            (url, Some((admin, name)), None)
        }
    };
    let config = test_config(&url, overrides);
    let app = Application::build(config.clone())
        .await
        .expect("the application starts");
    let admin_password = app
        .first_admin
        .clone()
        .map(|(_, p)| p)
        .expect("the first start creates an admin");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    let server = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = http_client();
    Some(TestApp {
        address,
        backend,
        database: config.database.clone(),
        database_url: url,
        metrics_address,
        config,
        client,
        pg_admin,
        admin_password,
        phone_owners: Default::default(),
        server: Some(server),
        _dir: dir,
    })
}

/// The client tests call the app with: no redirects followed, a generous time-out.
fn http_client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .disable_redirects()
        .finish()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The 11-digit mainland mobile numbers standing alone (not inside a longer run of letters and
/// digits, as in a hash) in a response body.
pub fn mobile_numbers(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            w.len() == 11
                && w.bytes().all(|b| b.is_ascii_digit())
                && w.starts_with('1')
                && matches!(w.as_bytes()[1], b'3'..=b'9')
        })
        .map(str::to_owned)
        .collect()
}

impl TestApp {
    /// Stops the server and waits for its workers; then the app (and its database) is dropped.
    pub async fn stop(self) {
        if let Some(server) = &self.server {
            server.stop(true).await;
        }
    }

    /// Lets the account of `token` see phone numbers in full (it belongs to the unit that
    /// served those people).
    pub fn allow_phones_for(&self, token: &str) {
        self.phone_owners.lock().unwrap().insert(token.to_owned());
    }

    /// A direct connection to the application's database (for arranging and checking).
    pub fn db(&self) -> AnyConnection {
        frontline::db::connect(&self.database, 1_000).expect("direct database connection")
    }

    /// Runs SQL on the PostgreSQL server as the administrator (PostgreSQL only).
    pub fn pg_admin_execute(&self, sql: &str) {
        let (admin, _) = self.pg_admin.as_ref().expect("a PostgreSQL test app");
        let mut conn = diesel::PgConnection::establish(admin).expect("admin connection");
        conn.batch_execute(sql).expect("admin SQL");
    }

    /// The PostgreSQL database's name (PostgreSQL only).
    pub fn pg_database(&self) -> &str {
        &self.pg_admin.as_ref().expect("a PostgreSQL test app").1
    }

    /// Sends a request with headers and an optional raw body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.address, path)
        };
        let build = || {
            let mut req = self.client.request(method.clone(), url.clone());
            for (k, v) in headers {
                req = req.insert_header((*k, *v));
            }
            req
        };
        let first = match body.clone() {
            Some(b) => build().send_body(b).await,
            None => build().send().await,
        };
        // A pooled keep-alive connection the server closed just as it was reused never carried
        // the request: send it again, once, on a new connection.
        let mut res = match first {
            Err(awc::error::SendRequestError::Connect(awc::error::ConnectError::Disconnected)) => {
                match body {
                    Some(b) => build().send_body(b).await,
                    None => build().send().await,
                }
            }
            other => other,
        }
        .expect("the request is answered");
        let body = res.body().limit(8 << 20).await.expect("the body is read");
        // Personal data: an unmasked mobile number may reach only the owning unit's accounts.
        let phones = mobile_numbers(&body);
        if !phones.is_empty() {
            let token = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.trim_start_matches("Bearer ").to_owned());
            let allowed = token.is_some_and(|t| self.phone_owners.lock().unwrap().contains(&t));
            assert!(
                allowed,
                "an unmasked phone number reached a caller who may not see it: {path}"
            );
        }
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: body.to_vec(),
        }
    }

    /// Sends a request with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        self.call_with(method, path, token, &[], body).await
    }

    /// [`TestApp::call`] with more headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Resp {
        let auth = format!("Bearer {token}");
        let mut all: Vec<(&str, &str)> = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        let bytes = body.map(|b| {
            all.push(("content-type", "application/json"));
            serde_json::to_vec(&b).expect("json")
        });
        self.send(method, path, &all, bytes).await
    }

    /// Signs in; the raw answer.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"username": username, "password": password}),
        )
        .await
    }

    /// Signs in, expecting success; the token pair.
    pub async fn login_ok(
        &self,
        username: &str,
        password: &str,
    ) -> frontline::api::auth::TokenPair {
        let res = self.login(username, password).await;
        assert_eq!(res.status, 200, "login {username}: {}", res.text());
        res.json()
    }

    /// Signs in with a one-time password, changes it to `new_password`, and returns a fresh
    /// access token.
    pub async fn activate(&self, username: &str, otp: &str, new_password: &str) -> String {
        let first = self.login_ok(username, otp).await;
        assert!(first.must_change_password);
        let res = self
            .call(
                Method::POST,
                "/api/v1/auth/password",
                &first.access_token,
                Some(serde_json::json!({"current_password": otp, "new_password": new_password})),
            )
            .await;
        assert_eq!(res.status, 204, "{}", res.text());
        first.access_token
    }

    /// An access token of the first admin (its password changed to [`ADMIN_PASSWORD`]).
    pub async fn admin_token(&self) -> String {
        self.activate("admin", &self.admin_password.clone(), ADMIN_PASSWORD)
            .await
    }

    /// Creates an account through the API and signs it in; its record and an access token.
    pub async fn user_with_token(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        unit_id: Option<&str>,
        activity: Option<&str>,
    ) -> (frontline::domain::account::User, String) {
        let res = self
            .call(
                Method::POST,
                "/api/v1/users",
                admin,
                Some(serde_json::json!({"username": username, "display_name": username, "role": role, "unit_id": unit_id, "lead_activity": activity})),
            )
            .await;
        assert_eq!(res.status, 201, "create {username}: {}", res.text());
        let created: frontline::api::users::CreatedUser = res.json();
        let token = self
            .activate(username, &created.one_time_password, USER_PASSWORD)
            .await;
        (created.user, token)
    }

    /// How many audit records are stored.
    pub fn audit_count(&self) -> i64 {
        use diesel::prelude::*;
        use frontline::db::schema::audit_log;
        audit_log::table
            .count()
            .get_result(&mut self.db())
            .expect("count audit records")
    }

    /// The newest audit record.
    pub fn last_audit(&self) -> frontline::store::audit::AuditRecord {
        use diesel::prelude::*;
        use frontline::db::schema::audit_log;
        audit_log::table
            .select(audit_log::all_columns)
            .order(audit_log::id.desc())
            .first(&mut self.db())
            .expect("an audit record")
    }

    /// A second instance of the service on this app's own database (as several instances
    /// behind a load balancer), with some settings overridden. It shares the database, so it
    /// does not drop it; stop it before this app.
    pub async fn second_instance(&self, overrides: &[(&str, &str)]) -> TestApp {
        let config = test_config(&self.database_url, overrides);
        let app = Application::build(config.clone())
            .await
            .expect("the second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = http_client();
        TestApp {
            address,
            backend: self.backend,
            database: config.database.clone(),
            database_url: self.database_url.clone(),
            metrics_address: None,
            config,
            client,
            pg_admin: None,
            admin_password: self.admin_password.clone(),
            phone_owners: Default::default(),
            server: Some(server),
            _dir: None,
        }
    }

    /// Another application on the same backend (its own database) with some settings overridden.
    pub async fn spawn_like(&self, overrides: &[(&str, &str)]) -> TestApp {
        spawn_app_with(self.backend, overrides)
            .await
            .expect("an app on the same backend")
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, path, headers, None).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Resp {
        self.send(
            Method::POST,
            path,
            &[("content-type", "application/json")],
            Some(serde_json::to_vec(body).expect("json")),
        )
        .await
    }

    /// `GET /api/v1/units?{query}`, expecting 200.
    pub async fn list_units(&self, query: &str) -> (frontline::api::units::UnitList, Resp) {
        let res = self.get(&format!("/api/v1/units?{query}")).await;
        assert_eq!(res.status, 200, "{}", res.text());
        (res.json(), res)
    }

    /// Every unit matching `query`, following `next_cursor` to the end.
    pub async fn all_units(&self, query: &str) -> Vec<frontline::domain::unit::Unit> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("{query}&limit=200&cursor={c}"),
                None => format!("{query}&limit=200"),
            };
            let (page, _) = self.list_units(&q).await;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    /// The unit with this exact name.
    pub async fn unit_named(&self, name: &str) -> frontline::domain::unit::Unit {
        self.all_units("")
            .await
            .into_iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("no unit named {name}"))
    }
}

/// Declares each `async fn name(app: TestApp) { … }` as a module `name` with two tests,
/// `name::sqlite` and `name::postgres` (which skips when PostgreSQL is not configured). The body
/// gets `app` by reference; when it ends, the server is stopped and its workers waited for,
/// then the database is dropped, so that no worker is inside a database call at process exit.
#[macro_export]
macro_rules! both_backends {
    ($($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn case($app: &$crate::common::TestApp) $body

                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Sqlite).await.expect("SQLite app");
                    case(&app).await;
                    app.stop().await;
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = $crate::common::spawn_app($crate::common::Backend::Postgres).await {
                        case(&app).await;
                        app.stop().await;
                    }
                }
            }
        )*
    };
}

/// Declares `mod $name` with the tests `sqlite` and `postgres` (skipped when PostgreSQL is not
/// configured) that run `$case(&app)` on an app started with the settings `$overrides`.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $overrides:expr, $case:ident) => {
        mod $name {
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let app =
                    $crate::common::spawn_app_with($crate::common::Backend::Sqlite, $overrides)
                        .await
                        .expect("SQLite app");
                $case(&app).await;
                app.stop().await;
            }
            #[actix_web::test]
            async fn postgres() {
                if let Some(app) =
                    $crate::common::spawn_app_with($crate::common::Backend::Postgres, $overrides)
                        .await
                {
                    $case(&app).await;
                    app.stop().await;
                }
            }
        }
    };
}

/// Runs a district-wide compliance check of `period` as of `on`: the run and every finding,
/// read page by page.
#[allow(dead_code)]
pub async fn run_check(
    app: &TestApp,
    token: &str,
    period: &str,
    on: chrono::NaiveDate,
) -> (serde_json::Value, Vec<serde_json::Value>) {
    use actix_web::http::Method;
    let res = app
        .call(
            Method::POST,
            "/api/v1/compliance-checks",
            token,
            Some(serde_json::json!({"period": period, "evaluated_on": on.to_string()})),
        )
        .await;
    assert_eq!(res.status, 201, "compliance check: {}", res.text());
    let run: serde_json::Value = res.json();
    let check = run["id"].as_str().unwrap().to_owned();
    assert_eq!(run["period"], serde_json::json!(period));
    assert_eq!(run["evaluated_on"], serde_json::json!(on.to_string()));
    let mut findings: Vec<serde_json::Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => {
                format!("/api/v1/compliance-checks/{check}/findings?limit=200&cursor={cur}")
            }
            None => format!("/api/v1/compliance-checks/{check}/findings?limit=200"),
        };
        let res = app.call(Method::GET, &path, token, None).await;
        assert_eq!(res.status, 200, "findings: {}", res.text());
        let page: serde_json::Value = res.json();
        findings.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        findings.len() as u64,
        run["finding_count"].as_u64().unwrap(),
        "every page read"
    );
    (run, findings)
}

/// A finding as (rule, unit, key).
pub type FindingKey = (String, Option<String>, String);

/// The findings as (rule, unit, key); none may appear twice.
#[allow(dead_code)]
pub fn finding_keys(findings: &[serde_json::Value]) -> std::collections::BTreeSet<FindingKey> {
    let keys: std::collections::BTreeSet<FindingKey> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["unit_id"].as_str().map(str::to_owned),
                f["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(keys.len(), findings.len(), "no finding twice");
    keys
}

/// The four WINDOW segments (二(一)): W1 on the first drawn matter, W2 on the drawn matters
/// with their draw, W3 with `calls` (each to a distinct contact), W4.
#[allow(dead_code)]
pub fn window_segments(
    drawn: &[String],
    draw_id: &str,
    calls: Vec<serde_json::Value>,
) -> Vec<serde_json::Value> {
    frontline::demo::window_segments(drawn, draw_id, calls)
}

/// A reached and answered follow-up call to `contact` at `called_at` (RFC 3339).
#[allow(dead_code)]
pub fn good_call(contact: &str, called_at: &str) -> serde_json::Value {
    serde_json::json!({"service_record_id": contact, "called_at": called_at, "reached": true, "answered": true, "remarks": "办事顺利",
        "ratings": {"staff": "very_satisfied", "process": "satisfied", "overall": "satisfied"}})
}

/// The three ENFORCEMENT segments (二(二)).
pub fn enforcement_segments() -> Vec<serde_json::Value> {
    frontline::demo::enforcement_segments(12)
}

/// The three COMPLAINT segments (二(三)).
pub fn complaint_segments() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!({"type": "dispatch_experience", "work_order": "12345-20261120-0012",
            "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"}, {"step": "callback", "rating": "ok"}]}),
        serde_json::json!({"type": "complaint_analysis", "period": "2026-Q3", "counts": [{"category": "食品安全", "count": 42}, {"category": "价格", "count": 17}],
            "typical_cases": ["某小区周边餐馆油烟扰民"], "causes": ["夜间巡查力量不足"], "measures": ["增设夜间巡查班次"], "mechanism": "每月投诉分析例会"}),
        serde_json::json!({"type": "complaint_handling", "work_order": "12345-20261118-0231", "approaches": ["direct_coordination", "direct_feedback", "direct_hearing"],
            "outcome": "协调商户加装油烟净化设备", "satisfaction": "satisfied", "follow_up_needed": true,
            "findings": [{"kind": "problem", "description": "油烟净化设备尚未验收", "measure": "一个月内复查"}]}),
    ]
}
