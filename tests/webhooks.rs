//! Webhooks: made by an admin, events queued in the same transaction as the change, sent by the
//! delivery worker to a receiver this test starts on loopback, signed, retried with backoff,
//! listed with their answers, redelivered on demand; two instances on one database never send
//! one event twice.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::TestApp;
use serde_json::{json, Value};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    answered: u16,
}

#[derive(Default)]
struct ReceiverState {
    got: Mutex<Vec<Received>>,
    /// How many requests to answer 500 before answering 204.
    fail_first: Mutex<usize>,
    /// How long to take over each answer.
    delay_ms: u64,
}

/// A webhook receiver on loopback; its URL and what it got.
struct Receiver {
    url: String,
    state: Arc<ReceiverState>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(fail_first: usize, delay_ms: u64) -> Receiver {
        let state = Arc::new(ReceiverState {
            got: Mutex::new(Vec::new()),
            fail_first: Mutex::new(fail_first),
            delay_ms,
        });
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks/frontline?team=portal"),
            state,
            handle,
        }
    }

    fn got(&self) -> Vec<Received> {
        self.state.got.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    if state.delay_ms > 0 {
        actix_web::rt::time::sleep(Duration::from_millis(state.delay_ms)).await;
    }
    let fail = {
        let mut left = state.fail_first.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            true
        } else {
            false
        }
    };
    let answered = if fail { 500 } else { 204 };
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    state.got.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
        answered,
    });
    if fail {
        HttpResponse::InternalServerError().body("receiver busy, try later")
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// Settings of an app whose worker is quick: loopback allowed (the receiver is there).
const FAST: &[(&str, &str)] = &[
    ("FRONTLINE_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("FRONTLINE_WEBHOOK_POLL_MS", "40"),
    ("FRONTLINE_WEBHOOK_BACKOFF_MS", "150"),
    ("FRONTLINE_WEBHOOK_MAX_ATTEMPTS", "4"),
    ("FRONTLINE_WEBHOOK_TIMEOUT_SECS", "5"),
    ("FRONTLINE_WEBHOOK_OVERDUE_SCAN_SECS", "1"),
];

async fn make_webhook(app: &TestApp, admin: &str, body: Value) -> Value {
    let res = app
        .call(Method::POST, "/api/v1/webhooks", admin, Some(body))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    res.json()
}

async fn coordinator_and_unit(app: &TestApp, admin: &str) -> (String, String) {
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coord) = app
        .user_with_token(admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    let unit = app.all_units("").await[0].id.to_string();
    (coord, unit)
}

async fn raise_trigger(app: &TestApp, coord: &str, unit: &str, n: usize) -> String {
    let res = app
        .call(
            Method::POST,
            "/api/v1/triggers",
            coord,
            Some(json!({"unit_id": unit, "reason": "important_date", "description": format!("年底办件高峰 {n}")})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json::<Value>()["id"].as_str().unwrap().to_owned()
}

/// Polls the deliveries of `hook` until `done` holds of them (at most 15 s).
async fn wait_deliveries(
    app: &TestApp,
    admin: &str,
    hook: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..300 {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/webhooks/{hook}/deliveries?limit=200"),
                admin,
                None,
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let items = res.json::<Value>()["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the deliveries did not reach the expected state in time");
}

fn all_succeeded(n: usize) -> impl Fn(&[Value]) -> bool {
    move |items: &[Value]| items.len() == n && items.iter().all(|d| d["status"] == "succeeded")
}

/// The signature a receiver computes for a request it got.
fn signature_valid(r: &Received, secret: &str) -> bool {
    let ts: i64 = r.headers["x-frontline-timestamp"].parse().unwrap();
    let age = (chrono::Utc::now().timestamp() - ts).abs();
    age < 300
        && r.headers["x-frontline-signature"]
            == frontline::domain::webhook::signature(secret, ts, &r.body)
}

async fn fails_twice_then_one_signed_delivery(app: &TestApp) {
    let receiver = Receiver::start(2, 0).await;
    let admin = app.admin_token().await;
    let secret = "portal-shared-secret-2026";
    let hook = make_webhook(app, &admin, json!({"name": "区政府门户网站", "url": receiver.url, "events": ["trigger.created"], "secret": secret})).await;
    assert_eq!(hook["secret"], secret);
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    // The audit log (read by coordinators too) keeps the URL without its query.
    let audit = format!("{:?}", app.last_audit());
    assert!(
        audit.contains("webhook.create") && !audit.contains("team=portal"),
        "{audit}"
    );
    let (coord, unit) = coordinator_and_unit(app, &admin).await;
    let trigger = raise_trigger(app, &coord, &unit, 1).await;

    let items = wait_deliveries(app, &admin, &hook_id, all_succeeded(1)).await;
    let d = &items[0];
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status_code"], 204);
    assert_eq!(d["event_type"], "trigger.created");
    let got = receiver.got();
    assert_eq!(got.len(), 3, "two failures, then one success");
    assert_eq!(
        got.iter().filter(|r| r.answered == 204).count(),
        1,
        "exactly one successful delivery"
    );
    for r in &got {
        assert!(signature_valid(r, secret), "every attempt is signed: {r:?}");
        assert!(!signature_valid(r, "another-secret-entirely"));
        assert_eq!(r.headers["x-frontline-event"], "trigger.created");
        assert_eq!(
            r.headers["x-frontline-event-id"],
            d["event_id"].as_str().unwrap()
        );
        assert_eq!(r.headers["x-frontline-delivery"], d["id"].as_str().unwrap());
        assert_eq!(r.headers["content-type"], "application/json");
        // The secret never travels.
        assert!(!String::from_utf8_lossy(&r.body).contains(secret));
    }
    let body: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(body["type"], "trigger.created");
    assert_eq!(body["id"], d["event_id"]);
    assert_eq!(body["data"]["trigger_id"], trigger);
    assert_eq!(body["data"]["unit_id"], unit);
    // The same body on every attempt.
    assert!(got.iter().all(|r| r.body == got[0].body));

    // The delivery lists every attempt's answer.
    let detail = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/webhooks/{hook_id}/deliveries/{}",
                d["id"].as_str().unwrap()
            ),
            &admin,
            None,
        )
        .await;
    assert_eq!(detail.status, 200, "{}", detail.text());
    let detail: Value = detail.json();
    let log = detail["attempt_log"].as_array().unwrap();
    assert_eq!(
        log.iter()
            .map(|a| a["status_code"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![500, 500, 204]
    );
    assert_eq!(log[0]["response_body"], "receiver busy, try later");
    assert_eq!(detail["payload"], body);
    // Backoff: the second wait is longer than the first.
    let at = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(log[i]["started_at"].as_str().unwrap()).unwrap()
    };
    assert!(at(1) - at(0) >= chrono::Duration::milliseconds(150));
    assert!(at(2) - at(1) >= chrono::Duration::milliseconds(300));

    // Redelivery on demand: a new delivery, the same event id and body.
    let res = app
        .call(
            Method::POST,
            &format!(
                "/api/v1/webhooks/{hook_id}/deliveries/{}/redeliveries",
                d["id"].as_str().unwrap()
            ),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    let again: Value = res.json();
    assert_eq!(again["redelivery_of"], d["id"]);
    wait_deliveries(app, &admin, &hook_id, all_succeeded(2)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[3].headers["x-frontline-event-id"],
        d["event_id"].as_str().unwrap()
    );
    assert_eq!(got[3].body, got[0].body);
    assert_eq!(app.last_audit().action, "webhook.redeliver");

    // Filtering by status; a page of one has a cursor to the next.
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{hook_id}/deliveries?status=failed"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.json::<Value>()["items"], json!([]));
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{hook_id}/deliveries?limit=1"),
            &admin,
            None,
        )
        .await;
    let page: Value = res.json();
    assert_eq!(page["items"][0]["id"], again["id"], "newest first");
    let next = page["next_cursor"].as_str().unwrap();
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{hook_id}/deliveries?limit=1&cursor={next}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.json::<Value>()["items"][0]["id"], d["id"]);
    receiver.stop().await;
}
on_both!(
    a_receiver_failing_twice_gets_one_signed_delivery,
    FAST,
    fails_twice_then_one_signed_delivery
);

async fn gives_up_after_the_last_attempt(app: &TestApp) {
    let receiver = Receiver::start(usize::MAX, 0).await;
    let admin = app.admin_token().await;
    let hook = make_webhook(
        app,
        &admin,
        json!({"name": "总是失败", "url": receiver.url, "events": ["ping"]}),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap();
    let secret = hook["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "a generated secret"
    );
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook_id}/pings"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    let items = wait_deliveries(app, &admin, hook_id, |items| {
        items.len() == 1 && items[0]["status"] == "failed"
    })
    .await;
    assert_eq!(items[0]["attempts"], 4, "FRONTLINE_WEBHOOK_MAX_ATTEMPTS");
    assert_eq!(items[0]["next_attempt_at"], Value::Null);
    assert_eq!(receiver.got().len(), 4);
    assert!(receiver.got().iter().all(|r| signature_valid(r, secret)));
    receiver.stop().await;

    // A receiver that is gone: the attempt records why, without the URL's query.
    let gone = make_webhook(
        app,
        &admin,
        json!({"name": "已下线", "url": "http://127.0.0.1:9/hooks?token=abc", "events": ["ping"]}),
    )
    .await;
    let gone_id = gone["id"].as_str().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/webhooks/{gone_id}/pings"),
        &admin,
        None,
    )
    .await;
    let items = wait_deliveries(app, &admin, gone_id, |items| {
        items.len() == 1 && items[0]["attempts"].as_i64().unwrap() >= 1
    })
    .await;
    let err = items[0]["last_error"].as_str().unwrap();
    assert!(err.contains("connect"), "{err}");
    assert!(!err.contains("token=abc"), "{err}");
}
on_both!(
    a_delivery_is_marked_failed_after_its_last_attempt,
    FAST,
    gives_up_after_the_last_attempt
);

async fn two_instances_deliver_each_event_once(app: &TestApp) {
    // A slow receiver, so that both workers are busy at once.
    let receiver = Receiver::start(0, 30).await;
    let admin = app.admin_token().await;
    let mut settings = FAST.to_vec();
    settings.push(("FRONTLINE_WEBHOOK_BATCH", "3"));
    let other = app.second_instance(&settings).await;
    let secret = "two-instance-secret-0001";
    let hook = make_webhook(app, &admin, json!({"name": "门户", "url": receiver.url, "events": ["trigger.created", "ping"], "secret": secret})).await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let (coord, unit) = coordinator_and_unit(app, &admin).await;
    let n = 24;
    for i in 0..n {
        // Through both instances.
        let via = if i % 2 == 0 { app } else { &other };
        raise_trigger(via, &coord, &unit, i).await;
    }
    wait_deliveries(app, &admin, &hook_id, all_succeeded(n)).await;
    // Give a would-be duplicate time to arrive.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for r in &got {
        assert!(signature_valid(r, secret));
        *per_event
            .entry(r.headers["x-frontline-event-id"].clone())
            .or_default() += 1;
    }
    assert_eq!(per_event.len(), n, "every event arrived");
    assert!(
        per_event.values().all(|c| *c == 1),
        "no event arrived twice: {per_event:?}"
    );
    other.stop().await;
    receiver.stop().await;
}
on_both!(
    two_instances_never_deliver_an_event_twice,
    FAST,
    two_instances_deliver_each_event_once
);

async fn admin_only_checked_and_never_shows_the_secret(app: &TestApp) {
    let admin = app.admin_token().await;
    let (coord, unit) = coordinator_and_unit(app, &admin).await;
    let body = json!({"name": "门户", "url": "https://portal.beilin.gov.cn/hooks", "events": ["schedule.published"], "secret": "a-long-enough-secret-1"});
    // Only an admin, signed in: not the coordinator, not an API key.
    let res = app
        .call(Method::POST, "/api/v1/webhooks", &coord, Some(body.clone()))
        .await;
    assert_eq!(res.status, 403);
    res.problem();
    let key = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            &admin,
            Some(json!({"name": "门户", "scopes": ["public:read"]})),
        )
        .await
        .json::<Value>()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .send(
            Method::GET,
            "/api/v1/webhooks",
            &[("x-api-key", key.as_str())],
            None,
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.text());

    // The URL: http(s) only, no credentials, no internal address (the default).
    for (url, code) in [
        ("ftp://portal.example/hooks", "scheme"),
        ("https://user:pw@portal.example/hooks", "credentials"),
        ("http://127.0.0.1:8080/hooks", "private_address"),
        ("http://169.254.169.254/latest/meta-data", "private_address"),
        ("http://[::1]/hooks", "private_address"),
        ("http://localhost/hooks", "private_address"),
        ("portal.example/hooks", "invalid_url"),
    ] {
        let mut b = body.clone();
        b["url"] = json!(url);
        let res = app
            .call(Method::POST, "/api/v1/webhooks", &admin, Some(b))
            .await;
        assert_eq!(res.status, 422, "{url}: {}", res.text());
        let p = res.problem();
        let e = &p.errors.as_ref().unwrap()[0];
        assert_eq!((e.field.as_str(), e.code.as_str()), ("url", code), "{url}");
    }
    for (patch, field) in [
        (json!({"events": []}), "events"),
        (json!({"secret": "short"}), "secret"),
        (json!({"name": "  "}), "name"),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let res = app
            .call(Method::POST, "/api/v1/webhooks", &admin, Some(b))
            .await;
        assert_eq!(res.status, 422, "{field}: {}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].field, field);
    }
    let mut b = body.clone();
    b["events"] = json!(["schedule.deleted"]);
    let res = app
        .call(Method::POST, "/api/v1/webhooks", &admin, Some(b))
        .await;
    assert!(matches!(res.status, 400 | 422), "{}", res.text());
    res.problem();

    // Made; read and listed without the secret; the audit log has no secret either.
    let hook = make_webhook(app, &admin, body.clone()).await;
    let id = hook["id"].as_str().unwrap();
    let listed = app
        .call(Method::GET, "/api/v1/webhooks", &admin, None)
        .await;
    assert!(!listed.text().contains("a-long-enough-secret-1"));
    let one = app
        .call(Method::GET, &format!("/api/v1/webhooks/{id}"), &admin, None)
        .await;
    assert_eq!(one.status, 200);
    assert!(!one.text().contains("a-long-enough-secret-1"));
    assert_eq!(one.header("etag").as_deref(), Some("\"1\""));
    assert!(!format!("{:?}", app.last_audit()).contains("a-long-enough-secret-1"));

    // A change needs If-Match; a stale one is refused.
    let path = format!("/api/v1/webhooks/{id}");
    let res = app
        .call(Method::PATCH, &path, &admin, Some(json!({"active": false})))
        .await;
    assert_eq!(res.status, 428);
    let res = app
        .call_with(
            Method::PATCH,
            &path,
            &admin,
            &[("if-match", "\"1\"")],
            Some(json!({"active": false, "secret": "rotated-secret-0123456"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["active"], false);
    // An inactive webhook takes no ping.
    let res = app
        .call(Method::POST, &format!("{path}/pings"), &admin, None)
        .await;
    assert_eq!(res.status, 409, "{}", res.text());
    let audit = format!("{:?}", app.last_audit());
    assert!(audit.contains("webhook.update") && !audit.contains("rotated-secret-0123456"));
    let res = app
        .call_with(
            Method::PATCH,
            &path,
            &admin,
            &[("if-match", "\"1\"")],
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(res.status, 412);

    // An inactive webhook queues nothing: a trigger raised now is not delivered.
    let hook2 = make_webhook(app, &admin, json!({"name": "停用", "url": "https://portal.beilin.gov.cn/x", "events": ["trigger.created"], "active": false})).await;
    raise_trigger(app, &coord, &unit, 1).await;
    let res = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/webhooks/{}/deliveries",
                hook2["id"].as_str().unwrap()
            ),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.json::<Value>()["items"], json!([]));

    // Bad ids and parameters.
    let res = app
        .call(Method::GET, "/api/v1/webhooks/not-a-uuid", &admin, None)
        .await;
    assert_eq!(res.status, 400);
    let res = app
        .call(
            Method::GET,
            &format!("{path}/deliveries?status=lost"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    let res = app
        .call(
            Method::GET,
            &format!("{path}/deliveries/0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.status, 404);

    // Removed with its deliveries.
    let res = app.call(Method::DELETE, &path, &admin, None).await;
    assert_eq!(res.status, 204);
    assert_eq!(app.last_audit().action, "webhook.delete");
    let res = app.call(Method::GET, &path, &admin, None).await;
    assert_eq!(res.status, 404);
    res.problem();
}
on_both!(
    webhooks_are_for_admins_checked_and_never_show_their_secret,
    &[],
    admin_only_checked_and_never_shows_the_secret
);

async fn events_are_queued_with_the_change_and_overdue_issues_announced_once(app: &TestApp) {
    let receiver = Receiver::start(0, 0).await;
    let admin = app.admin_token().await;
    let hook = make_webhook(app, &admin, json!({"name": "门户", "url": receiver.url, "events": ["issue.overdue", "trigger.created"]})).await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let (coord, unit) = coordinator_and_unit(app, &admin).await;

    // A trigger refused (unknown unit) queues nothing: the outbox row shares its transaction.
    let res = app
        .call(Method::POST, "/api/v1/triggers", &coord, Some(json!({"unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "reason": "important_date", "description": "x"})))
        .await;
    assert_eq!(res.status, 422, "{}", res.text());

    // An issue past its deadline: raised once, whatever the number of scans.
    let res = app
        .call(Method::POST, "/api/v1/issues", &coord, Some(json!({"unit_id": unit, "activity": "window", "kind": "problem", "source_reason": "区领导暗访", "found_on": "2026-10-09", "description": "窗口人员离岗未挂牌"})))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let issue: Value = res.json();
    let issue_id = issue["id"].as_str().unwrap();
    {
        use diesel::prelude::*;
        use frontline::db::schema::issues;
        diesel::update(issues::table.find(issue_id))
            .set(issues::deadline.eq(chrono::NaiveDate::from_ymd_opt(2026, 10, 31)))
            .execute(&mut app.db())
            .unwrap();
    }
    let items = wait_deliveries(app, &admin, &hook_id, all_succeeded(1)).await;
    assert_eq!(items[0]["event_type"], "issue.overdue");
    // Several more scans pass.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "announced once");
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["data"]["issue_id"], issue_id);
    assert_eq!(body["data"]["deadline"], "2026-10-31");
    // The metrics show the outbox (empty now).
    let metrics = app.get("/metrics").await;
    assert!(
        metrics
            .text()
            .contains("frontline_webhook_outbox_pending 0"),
        "{}",
        metrics.text()
    );
    receiver.stop().await;
}
on_both!(
    events_ride_their_transaction_and_overdue_is_raised_once,
    FAST,
    events_are_queued_with_the_change_and_overdue_issues_announced_once
);
