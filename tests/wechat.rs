//! WeChat mini-program sign-in against a fake WeChat started by the test on loopback: bound
//! sign-in, unbound → bind → sign-in, tickets used twice, expired or for an openid bound
//! meanwhile, WeChat's errors mapped (invalid code, rate limit, busy, down, slower than the
//! time limit, anything else), unbinding, deactivation; and neither the AppSecret nor a
//! session_key in any answer or any log line.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::{Backend, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const APPID: &str = "wx5f2c9e4b7a1d3c08";
const SECRET: &str = "appsecret-0f3a9c7e5b1d2486ace0";

/// The queries the fake WeChat got.
type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;

struct FakeWechat {
    base: String,
    seen: Seen,
    handle: actix_web::dev::ServerHandle,
}

fn session_key_of(code: &str) -> String {
    format!("SESSIONKEY{}", code.replace('-', ""))
}

async fn jscode2session(req: HttpRequest, seen: web::Data<Seen>) -> HttpResponse {
    let q: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap();
    seen.lock().unwrap().push(q.clone());
    let get = |k: &str| {
        q.iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if get("appid") != APPID || get("secret") != SECRET || get("grant_type") != "authorization_code"
    {
        return HttpResponse::Ok().json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    let code = get("js_code");
    let err = |c: i64, m: &str| HttpResponse::Ok().json(json!({"errcode": c, "errmsg": m}));
    match code.as_str() {
        "bad" => err(40029, "invalid code"),
        "used" => err(40163, "code been used"),
        "limited" => err(45011, "api minute-quota reach limit"),
        "busy" => err(-1, "system error"),
        "weird" => err(40226, "high risk user"),
        "down" => HttpResponse::InternalServerError().body("upstream down"),
        _ if code.starts_with("slow") => {
            actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
            HttpResponse::Ok()
                .json(json!({"openid": "oSlow", "session_key": session_key_of(&code)}))
        }
        // code "<openid>-<n>": that person, each code once.
        _ => {
            let openid = code.split('-').next().unwrap_or_default().to_owned();
            HttpResponse::Ok().json(
                json!({"openid": openid, "session_key": session_key_of(&code), "unionid": "uX"}),
            )
        }
    }
}

impl FakeWechat {
    async fn start() -> FakeWechat {
        let seen: Seen = Arc::default();
        let data = web::Data::new(seen.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/sns/jscode2session", web::get().to(jscode2session))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        FakeWechat {
            base: format!("http://127.0.0.1:{port}"),
            seen,
            handle,
        }
    }

    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FRONTLINE_WECHAT_APPID", APPID.to_owned()),
            ("FRONTLINE_WECHAT_SECRET", SECRET.to_owned()),
            ("FRONTLINE_WECHAT_API_BASE", self.base.clone()),
            ("FRONTLINE_WECHAT_TIMEOUT_MS", "500".to_owned()),
        ]
    }
}

/// Every answer the test saw, to check none carries a secret.
#[derive(Default)]
struct Answers(Mutex<Vec<String>>);

impl Answers {
    fn keep(&self, r: &common::Resp) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{:?} {}", r.headers, r.text()));
    }

    fn assert_clean(&self) {
        for a in self.0.lock().unwrap().iter() {
            assert!(!a.contains(SECRET), "the AppSecret leaked: {a}");
            assert!(!a.contains("SESSIONKEY"), "a session_key leaked: {a}");
        }
    }
}

async fn wechat(app: &TestApp, answers: &Answers, code: &str) -> common::Resp {
    let r = app
        .post_json("/api/v1/auth/wechat", &json!({"code": code}))
        .await;
    answers.keep(&r);
    r
}

async fn bind(
    app: &TestApp,
    answers: &Answers,
    ticket: &str,
    username: &str,
    password: &str,
) -> common::Resp {
    let r = app
        .post_json(
            "/api/v1/auth/wechat/bind",
            &json!({"ticket": ticket, "username": username, "password": password}),
        )
        .await;
    answers.keep(&r);
    r
}

fn ticket_of(r: &common::Resp) -> String {
    assert_eq!(r.status, 403, "{}", r.text());
    let p: Value = r.json();
    assert_eq!(p["type"], "urn:frontline:problem:wechat-unbound");
    let expires =
        chrono::DateTime::parse_from_rfc3339(p["ticket_expires_at"].as_str().unwrap()).unwrap();
    assert!(expires > chrono::Utc::now() + chrono::Duration::seconds(200));
    assert!(expires <= chrono::Utc::now() + chrono::Duration::seconds(301));
    p["binding_ticket"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> String {
    let r = app.call(Method::GET, "/api/v1/auth/me", token, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json::<Value>()["username"].as_str().unwrap().to_owned()
}

async fn sign_in_with_wechat(backend: Backend) {
    let fake = FakeWechat::start().await;
    let settings = fake.settings();
    let overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let Some(app) = common::spawn_app_with(backend, &overrides).await else {
        return;
    };
    let answers = Answers::default();
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let (clerk, clerk_token) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    let (other, _) = app
        .user_with_token(&admin, "scjg.head", "unit", Some(&unit), None)
        .await;

    // Unbound: 403 with a ticket; the call to WeChat carried the appid, secret and code.
    let r = wechat(&app, &answers, "oAlice-1").await;
    let ticket = ticket_of(&r);
    r.problem();
    let q = fake.seen.lock().unwrap().last().unwrap().clone();
    assert!(
        q.contains(&("js_code".into(), "oAlice-1".into()))
            && q.contains(&("grant_type".into(), "authorization_code".into()))
    );
    assert_eq!(app.last_audit().outcome, "unbound");

    // A wrong password keeps the ticket usable (and counts towards the lockout); the right
    // one binds and signs in; the ticket then works no more.
    let r = bind(&app, &answers, &ticket, "scjg.clerk", "wrong-password-1").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(
        r.problem().type_uri,
        "urn:frontline:problem:invalid-credentials"
    );
    let r = bind(&app, &answers, &ticket, "scjg.clerk", USER_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let token = r.json::<Value>()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &token).await, "scjg.clerk");
    let audit = format!("{:?}", app.last_audit());
    assert!(
        audit.contains("auth.login") || audit.contains("wechat.bind"),
        "{audit}"
    );
    let r = bind(&app, &answers, &ticket, "scjg.clerk", USER_PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.problem().type_uri,
        "urn:frontline:problem:wechat-ticket-invalid",
        "a ticket works once"
    );

    // Bound: one tap signs in, audited with method wechat.
    let r = wechat(&app, &answers, "oAlice-2").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let pair: Value = r.json();
    assert!(pair["refresh_token"].as_str().is_some());
    assert_eq!(
        me(&app, pair["access_token"].as_str().unwrap()).await,
        "scjg.clerk"
    );
    let last = app.last_audit();
    assert_eq!(
        (last.action.as_str(), last.outcome.as_str()),
        ("auth.login", "success")
    );
    assert!(format!("{:?}", last.changes).contains("wechat"));
    assert!(
        !format!("{:?}", last).contains("oAlice"),
        "the audit log keeps a reference, not the openid"
    );

    // WeChat's errors, mapped.
    for (code, status, kind) in [
        ("bad", 401, "wechat-code-invalid"),
        ("used", 401, "wechat-code-invalid"),
        ("limited", 429, "wechat-rate-limited"),
        ("busy", 503, "wechat-unavailable"),
        ("down", 503, "wechat-unavailable"),
        ("slow-1", 503, "wechat-unavailable"),
        ("weird", 502, "wechat-error"),
    ] {
        let started = std::time::Instant::now();
        let r = wechat(&app, &answers, code).await;
        assert_eq!(r.status, status, "{code}: {}", r.text());
        let p: Value = r.json();
        assert_eq!(p["type"], format!("urn:frontline:problem:{kind}"), "{code}");
        assert!(p.get("binding_ticket").is_none());
        if code == "limited" {
            assert_eq!(r.header("retry-after").as_deref(), Some("60"));
        }
        if code == "weird" {
            assert_eq!(p["errcode"], 40226, "the errcode as an extension member");
        }
        if code.starts_with("slow") {
            assert!(
                started.elapsed() < Duration::from_millis(1400),
                "the time limit holds"
            );
        }
    }
    let r = app
        .post_json("/api/v1/auth/wechat", &json!({"code": ""}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.problem().errors.unwrap()[0].field, "code");
    let r = app
        .post_json(
            "/api/v1/auth/wechat",
            &json!({"code": "x", "openid": "oAlice"}),
        )
        .await;
    assert_eq!(r.status, 422, "no field but the code: {}", r.text());
    assert_eq!(r.problem().errors.unwrap()[0].field, "openid");

    // A ticket past its lifetime is refused.
    let ticket = ticket_of(&wechat(&app, &answers, "oBob-1").await);
    {
        use diesel::prelude::*;
        use frontline::db::schema::wechat_tickets;
        diesel::update(wechat_tickets::table.filter(wechat_tickets::openid.eq("oBob")))
            .set(
                wechat_tickets::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
            )
            .execute(&mut app.db())
            .unwrap();
    }
    let r = bind(&app, &answers, &ticket, "scjg.head", USER_PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.problem().type_uri,
        "urn:frontline:problem:wechat-ticket-invalid"
    );

    // Two tickets for one openid: the first binds it to one account; the second, to another
    // account, is refused (an openid binds to one account only).
    let first = ticket_of(&wechat(&app, &answers, "oCarol-1").await);
    let second = ticket_of(&wechat(&app, &answers, "oCarol-2").await);
    assert_eq!(
        bind(&app, &answers, &first, "scjg.head", USER_PASSWORD)
            .await
            .status,
        200
    );
    let r = bind(&app, &answers, &second, "scjg.clerk", USER_PASSWORD).await;
    assert_eq!(r.status, 409, "{}", r.text());
    r.problem();
    let r = wechat(&app, &answers, "oCarol-3").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        me(&app, r.json::<Value>()["access_token"].as_str().unwrap()).await,
        "scjg.head"
    );

    // Re-binding an account replaces its binding: Alice's WeChat no longer signs the clerk in.
    let dave = ticket_of(&wechat(&app, &answers, "oDave-1").await);
    assert_eq!(
        bind(&app, &answers, &dave, "scjg.clerk", USER_PASSWORD)
            .await
            .status,
        200
    );
    ticket_of(&wechat(&app, &answers, "oAlice-3").await);
    assert_eq!(wechat(&app, &answers, "oDave-2").await.status, 200);

    // Unbinding: one's own; another's only as admin.
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/wechat/binding?user_id={}", other.id),
            &clerk_token,
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/auth/wechat/binding",
            &clerk_token,
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.last_audit().action, "wechat.unbind");
    ticket_of(&wechat(&app, &answers, "oDave-3").await);
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/auth/wechat/binding",
            &clerk_token,
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    r.problem();
    assert_eq!(
        app.call(Method::DELETE, "/api/v1/auth/wechat/binding", "", None)
            .await
            .status,
        401
    );

    // An admin ends another account's binding.
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/wechat/binding?user_id={}", other.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let carol = ticket_of(&wechat(&app, &answers, "oCarol-4").await);

    // Deactivating an account ends its binding at once.
    assert_eq!(
        bind(&app, &answers, &carol, "scjg.head", USER_PASSWORD)
            .await
            .status,
        200
    );
    let current = app
        .call(
            Method::GET,
            &format!("/api/v1/users/{}", other.id),
            &admin,
            None,
        )
        .await;
    let etag = current.header("etag").unwrap();
    let r = app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/users/{}", other.id),
            &admin,
            &[("if-match", &etag)],
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(format!("{:?}", app.last_audit().changes).contains("wechat_binding"));
    ticket_of(&wechat(&app, &answers, "oCarol-5").await);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/wechat/binding?user_id={}", other.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let _ = clerk;

    // A password change ends the account's binding: a WeChat bound by whoever knew the old
    // password signs in no more.
    let gina = ticket_of(&wechat(&app, &answers, "oGina-1").await);
    assert_eq!(
        bind(&app, &answers, &gina, "scjg.clerk", USER_PASSWORD)
            .await
            .status,
        200
    );
    assert_eq!(wechat(&app, &answers, "oGina-2").await.status, 200);
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/password",
            &clerk_token,
            Some(json!({"current_password": USER_PASSWORD, "new_password": "Xian-Window-2027!"})),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    ticket_of(&wechat(&app, &answers, "oGina-3").await);

    answers.assert_clean();
    // Nothing stored holds the secret or a session key.
    let stored = format!("{:?}", {
        use diesel::prelude::*;
        use frontline::db::schema::{audit_log, wechat_bindings, wechat_tickets};
        let mut conn = app.db();
        let a: Vec<frontline::store::audit::AuditRecord> = audit_log::table
            .select(audit_log::all_columns)
            .load(&mut conn)
            .unwrap();
        let b: Vec<(String, String, chrono::NaiveDateTime)> =
            wechat_bindings::table.load(&mut conn).unwrap();
        let t: Vec<(
            String,
            String,
            chrono::NaiveDateTime,
            Option<chrono::NaiveDateTime>,
        )> = wechat_tickets::table.load(&mut conn).unwrap();
        (a, b, t)
    });
    assert!(!stored.contains(SECRET) && !stored.contains("SESSIONKEY"));
    assert!(!stored.contains("wxt_"), "tickets are stored as digests");
    app.stop().await;
    fake.handle.stop(true).await;
}

mod wechat_sign_in {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        sign_in_with_wechat(Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        sign_in_with_wechat(Backend::Postgres).await;
    }
}

/// Without an appid and a secret, WeChat sign-in says it is off.
#[actix_web::test]
async fn wechat_sign_in_is_off_without_credentials() {
    let app = common::spawn_app(Backend::Sqlite).await.unwrap();
    let r = app
        .post_json("/api/v1/auth/wechat", &json!({"code": "oAlice-1"}))
        .await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.problem().type_uri,
        "urn:frontline:problem:wechat-not-configured"
    );
    app.stop().await;
}

/// The real binary at debug log level: no log line carries the secret, a session_key or a
/// ticket, whatever WeChat answers.
#[actix_web::test]
async fn no_log_line_carries_a_secret() {
    let fake = FakeWechat::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let secret_file = dir.path().join("wechat-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .env(
            "FRONTLINE_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("f.db").display()),
        )
        .env("FRONTLINE_BIND", "127.0.0.1:0")
        .env("FRONTLINE_LOG", "debug")
        .env("FRONTLINE_JWT_SECRET", common::TEST_JWT_SECRET)
        .env("FRONTLINE_ARGON2_MEMORY_KIB", "1024")
        .env("FRONTLINE_ARGON2_ITERATIONS", "1")
        .env("FRONTLINE_WECHAT_APPID", APPID)
        .env("FRONTLINE_WECHAT_SECRET_FILE", &secret_file)
        .env("FRONTLINE_WECHAT_API_BASE", &fake.base)
        .env("FRONTLINE_WECHAT_TIMEOUT_MS", "300")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path().join("server.err")).unwrap())
        .spawn()
        .unwrap();
    let mut base = None;
    for _ in 0..200 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find_map(|l| l.strip_prefix("frontline is serving on "))
        {
            base = Some(line.trim().to_owned());
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let base = base.expect("the server starts");
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut tickets = Vec::new();
    for code in [
        "oErin-1", "bad", "limited", "busy", "down", "slow-2", "weird", "oErin-2",
    ] {
        let mut res = client
            .post(format!("{base}/api/v1/auth/wechat"))
            .send_json(&json!({"code": code}))
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        if let Some(t) = body["binding_ticket"].as_str() {
            tickets.push(t.to_owned());
        }
    }
    assert_eq!(tickets.len(), 2);
    let mut res = client
        .post(format!("{base}/api/v1/auth/wechat/bind"))
        .send_json(&json!({"ticket": tickets[0], "username": "admin", "password": "wrong"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let _ = res.body().await;
    let _ = child.kill();
    let _ = child.wait();
    let out = std::fs::read_to_string(&log).unwrap()
        + &std::fs::read_to_string(dir.path().join("server.err")).unwrap();
    assert!(
        out.contains("jscode2session"),
        "the log speaks of the calls: {out}"
    );
    assert!(!out.contains(SECRET), "the secret is never logged:\n{out}");
    assert!(
        !out.contains("SESSIONKEY"),
        "no session_key is logged:\n{out}"
    );
    for t in &tickets {
        assert!(!out.contains(t.as_str()), "no ticket is logged");
    }
    fake.handle.stop(true).await;
}
