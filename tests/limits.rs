//! The limits that protect the service from slow and greedy clients (issue 13, item 3), each a
//! setting, each shown here moved from its default and holding: the request time-out
//! (`FRONTLINE_REQUEST_TIMEOUT_SECS`), the open connections per worker
//! (`FRONTLINE_MAX_CONNECTIONS`), JSON nesting, list pages, records and rows of imports,
//! segments and calls of a record, and ledger exports per client address. The body, string and
//! sign-in limits at their defaults have their cases in `tests/owasp.rs` (API4, API6),
//! `tests/errors.rs` and `tests/auth.rs`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use common::{spawn_app_with, Backend, TestApp};
use serde_json::{json, Value};

/// The (field, code) pairs of a 422 or 400 problem.
fn refusals(res: &common::Resp) -> Vec<(String, String)> {
    res.problem()
        .errors
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

fn has(res: &common::Resp, field: &str, code: &str) -> bool {
    refusals(res).iter().any(|(f, c)| f == field && c == code)
}

/// A unit's account of 区市场监管局 (and the unit's id), and the administrator's token.
async fn clerk(app: &TestApp) -> (String, String, String) {
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    (admin, clerk, unit)
}

/// `FRONTLINE_JSON_MAX_DEPTH=4`: a body nested five deep is refused before it is parsed, with
/// the field and the limit named; four deep goes on to the usual checks.
async fn json_depth_case(app: &TestApp) {
    let (admin, clerk, unit) = clerk(app).await;
    let issue = |extra: Value| json!({"unit_id": unit, "activity": "window", "kind": "problem", "source_reason": "y", "description": "x", "extra": extra});
    let res = app
        .call(
            Method::POST,
            "/api/v1/issues",
            &clerk,
            Some(issue(json!([[[[1]]]]))),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(
        refusals(&res),
        [("body".to_owned(), "max_depth".to_owned())]
    );
    assert!(res.problem().errors.unwrap()[0].message.contains('4'));
    let english = [("accept-language", "en")];
    let res = app
        .call_with(
            Method::POST,
            "/api/v1/issues",
            &clerk,
            &english,
            Some(json!([[[[[1]]]]])),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.problem().errors.unwrap()[0]
        .message
        .contains("at most 4 levels"));
    // Four levels: the depth passes, and the unknown field is what is refused.
    let res = app
        .call(
            Method::POST,
            "/api/v1/issues",
            &clerk,
            Some(issue(json!([[[1]]]))),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(has(&res, "extra", "unknown_field"), "{}", res.text());
    // A work-order file is read as it streams, and held to the same depth.
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coord) = app
        .user_with_token(&admin, "yyb.coord", "coordinator", Some(&office), None)
        .await;
    let auth = format!("Bearer {coord}");
    let orders = br#"[{"external_id": "D1", "received_at": "2026-11-20 09:30:00", "unit": "[[[[[", "category": [[[[1]]]]}]"#;
    let res = app
        .send(
            Method::POST,
            "/api/v1/hotline/work-orders:import",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(orders.to_vec()),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(
        refusals(&res),
        [("body".to_owned(), "max_depth".to_owned())]
    );
    // Brackets inside strings are text, not nesting.
    let text = json!({"unit_id": unit, "activity": "window", "kind": "problem", "source_reason": "y", "description": "[[[[[[[[ {{{{{{"});
    let res = app
        .call(Method::POST, "/api/v1/issues", &clerk, Some(text))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}
on_both!(
    json_depth,
    &[("FRONTLINE_JSON_MAX_DEPTH", "4")],
    json_depth_case
);

/// `FRONTLINE_LIST_LIMIT_MAX=20`: a page of 21 is refused, 20 is served, the default page is
/// cut to 20, and the served OpenAPI document states 20 for every list.
async fn list_limit_case(app: &TestApp) {
    let admin = app.admin_token().await;
    let res = app
        .call(Method::GET, "/api/v1/units?limit=21", &admin, None)
        .await;
    assert_eq!(res.status, 400);
    assert!(has(&res, "limit", "out_of_range"));
    assert!(res.problem().errors.unwrap()[0].message.contains("20"));
    for query in ["?limit=20", ""] {
        let res = app
            .call(Method::GET, &format!("/api/v1/units{query}"), &admin, None)
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body: Value = res.json();
        assert_eq!(body["items"].as_array().unwrap().len(), 20, "{query}");
        assert!(body["next_cursor"].is_string());
    }
    let res = app
        .call(Method::GET, "/api/v1/issues?limit=200", &admin, None)
        .await;
    assert_eq!(res.status, 400);
    let spec: Value = app.get("/api/v1/openapi.json").await.json();
    let mut lists = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" && p["in"] == "query" {
                    assert_eq!(p["schema"]["maximum"], 20, "{method} {path}");
                    let text = p["description"].as_str().unwrap_or_default();
                    assert!(!text.contains("200"), "{method} {path}: {text}");
                    assert!(
                        p["example"].as_i64().is_none_or(|e| e <= 20),
                        "{method} {path}"
                    );
                    lists += 1;
                }
            }
        }
    }
    assert!(lists >= 15, "{lists} lists");
}
on_both!(
    list_limit,
    &[("FRONTLINE_LIST_LIMIT_MAX", "20")],
    list_limit_case
);

/// `FRONTLINE_IMPORT_MAX_RECORDS=2`, `FRONTLINE_IMPORT_MAX_ROWS=2`,
/// `FRONTLINE_HOTLINE_IMPORT_MAX_ROWS=2`: a batch, a catalogue file and a work-order file one
/// over are refused whole, and nothing of them is kept.
async fn import_size_case(app: &TestApp) {
    let admin = app.admin_token().await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coord) = app
        .user_with_token(&admin, "yyb.coord", "coordinator", Some(&office), None)
        .await;
    let three = json!({"kind": "issues", "dry_run": true, "records": [{}, {}, {}]});
    let res = app
        .call(Method::POST, "/api/v1/imports", &coord, Some(three))
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(refusals(&res), [("records".to_owned(), "count".to_owned())]);
    let parts = json!({"parts": [{"kind": "issues", "records": [{}]}, {"kind": "triggers", "records": [{}, {}]}]});
    let res = app
        .call(Method::POST, "/api/v1/imports", &coord, Some(parts))
        .await;
    assert_eq!(res.status, 422);
    assert!(has(&res, "parts", "count"), "{}", res.text());

    let unit = app.unit_named("区档案馆").await.id.to_string();
    let auth = format!("Bearer {coord}");
    let csv =
        "name,kind\n档案查询,public_service\n档案证明,public_service\n档案寄送,public_service\n";
    let path = format!("/api/v1/units/{unit}/matters:import");
    let res = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some(csv.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(has(&res, "rows", "too_many"), "{}", res.text());
    let two = "name,kind\n档案查询,public_service\n档案证明,public_service\n";
    let res = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some(two.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let orders = |ids: &[&str]| -> Vec<u8> {
        let rows: Vec<Value> = ids
            .iter()
            .map(|id| json!({"external_id": id, "received_at": "2026-11-20 09:30:00", "unit": "区档案馆", "category": "噪音", "status": "open"}))
            .collect();
        serde_json::to_vec(&rows).unwrap()
    };
    let auth = format!("Bearer {coord}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let path = "/api/v1/hotline/work-orders:import";
    let res = app
        .send(
            Method::POST,
            path,
            &headers,
            Some(orders(&["L1", "L2", "L3"])),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(has(&res, "rows", "too_many"), "{}", res.text());
    // Nothing of the refused file was kept: its first two orders are new now.
    let res = app
        .send(Method::POST, path, &headers, Some(orders(&["L1", "L2"])))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let report: Value = res.json();
    assert_eq!(
        (report["rows"].as_u64(), report["created"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
}
on_both!(
    import_size,
    &[
        ("FRONTLINE_IMPORT_MAX_RECORDS", "2"),
        ("FRONTLINE_IMPORT_MAX_ROWS", "2"),
        ("FRONTLINE_HOTLINE_IMPORT_MAX_ROWS", "2")
    ],
    import_size_case
);

/// `FRONTLINE_SEGMENTS_MAX=3`, `FRONTLINE_CALLS_MAX=1`: a record of four segments, or a segment
/// of two calls, is refused with the field named, on create and on update.
async fn record_size_case(app: &TestApp) {
    let (_, clerk, unit) = clerk(app).await;
    let day = frontline::domain::calendar::local_date(chrono::Utc::now()).to_string();
    let body = |segments: Vec<Value>| {
        json!({"unit_id": unit, "activity": "window", "mode": "regular", "activity_on": day, "place": "区政务服务中心",
            "participant": {"kind": "head", "name": "王局长"}, "summary": "局长坐窗口", "segments": segments})
    };
    let four = common::window_segments(&[], "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", vec![]);
    assert_eq!(four.len(), 4);
    let res = app
        .call(
            Method::POST,
            "/api/v1/participations",
            &clerk,
            Some(body(four.clone())),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(has(&res, "segments", "too_many"), "{}", res.text());
    let calls = vec![
        common::good_call(
            "0190b7e2-8c1a-7cc3-9a51-000000000001",
            "2026-11-20T02:00:00Z",
        ),
        common::good_call(
            "0190b7e2-8c1a-7cc3-9a51-000000000002",
            "2026-11-20T02:10:00Z",
        ),
    ];
    let two_calls = vec![json!({"type": "follow_up_calls", "calls": calls})];
    let res = app
        .call(
            Method::POST,
            "/api/v1/participations",
            &clerk,
            Some(body(two_calls.clone())),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(has(&res, "segments[0].calls", "too_many"), "{}", res.text());
    // Within the limits the draft is written, and an update over them is refused.
    let res = app
        .call(
            Method::POST,
            "/api/v1/participations",
            &clerk,
            Some(body(vec![])),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json::<Value>()["id"].as_str().unwrap().to_owned();
    let etag = res.header("etag").unwrap();
    let path = format!("/api/v1/participations/{id}");
    let res = app
        .call_with(
            Method::PATCH,
            &path,
            &clerk,
            &[("if-match", &etag)],
            Some(json!({"segments": four})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(has(&res, "segments", "too_many"));
    let stored: Value = app.call(Method::GET, &path, &clerk, None).await.json();
    assert_eq!(
        stored["segments"],
        json!([]),
        "nothing of the refused update is kept"
    );
}
on_both!(
    record_size,
    &[
        ("FRONTLINE_SEGMENTS_MAX", "3"),
        ("FRONTLINE_CALLS_MAX", "1")
    ],
    record_size_case
);

/// `FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR=2`: a third ledger export from one address is
/// refused whatever account makes it, while each account is far from its own quota.
async fn export_per_address_case(app: &TestApp) {
    let admin = app.admin_token().await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let mut tokens = vec![admin.clone()];
    for name in ["yyb.coord1", "yyb.coord2"] {
        let (_, t) = app
            .user_with_token(&admin, name, "coordinator", Some(&office), None)
            .await;
        tokens.push(t);
    }
    let export = "/api/v1/issues/export?format=csv";
    for t in &tokens[..2] {
        let res = app.call(Method::GET, export, t, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let res = app.call(Method::GET, export, &tokens[2], None).await;
    assert_eq!(res.status, 429, "{}", res.text());
    let wait: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((3_000..=3_600).contains(&wait), "{wait}");
    assert_eq!(
        res.problem().type_uri,
        "urn:frontline:problem:too-many-requests"
    );
}
on_both!(
    export_per_address,
    &[
        ("FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR", "2"),
        ("FRONTLINE_EXPORT_RATE_PER_HOUR", "30")
    ],
    export_per_address_case
);

fn host_port(address: &str) -> String {
    address.trim_start_matches("http://").to_owned()
}

/// Sends raw bytes and reads the answer until the server closes or `wait` passes.
fn exchange(stream: &mut TcpStream, bytes: &[u8], wait: Duration) -> String {
    stream.write_all(bytes).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let until = Instant::now() + wait;
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[actix_web::test]
async fn a_request_whose_body_trickles_past_the_time_out_gets_503_not_a_held_worker() {
    let app = spawn_app_with(Backend::Sqlite, &[("FRONTLINE_REQUEST_TIMEOUT_SECS", "1")])
        .await
        .unwrap();
    let addr = host_port(&app.address);
    let answer = actix_web::web::block(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        // Headers promise 200 bytes; 10 come, then nothing.
        let started = Instant::now();
        let head = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"usernam"
        );
        let answer = exchange(&mut s, head.as_bytes(), Duration::from_secs(5));
        (answer, started.elapsed())
    })
    .await
    .unwrap();
    let (answer, took) = answer;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "{answer}"
    );
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    // The service goes on answering others.
    assert_eq!(app.get("/healthz").await.status, 200);
    app.stop().await;
}

#[actix_web::test]
async fn connections_over_the_limit_wait_in_the_queue_until_one_closes() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("FRONTLINE_MAX_CONNECTIONS", "2"),
            ("FRONTLINE_WORKERS", "1"),
        ],
    )
    .await
    .unwrap();
    let addr = host_port(&app.address);
    let result = actix_web::web::block(move || {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        // Two keep-alive connections, each answered once and kept open.
        let mut held: Vec<TcpStream> = (0..2)
            .map(|_| {
                let mut s = TcpStream::connect(&addr).unwrap();
                let a = exchange(&mut s, request.as_bytes(), Duration::from_secs(2));
                assert!(a.starts_with("HTTP/1.1 200"), "{a}");
                s
            })
            .collect();
        // A third is accepted by the kernel but not served while the two are open.
        let mut third = TcpStream::connect(&addr).unwrap();
        let waiting = exchange(&mut third, request.as_bytes(), Duration::from_millis(700));
        // Closing one lets the third in.
        drop(held.pop());
        let mut buf = Vec::new();
        third
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut chunk = [0u8; 1024];
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match third.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        (waiting, String::from_utf8_lossy(&buf).into_owned())
    })
    .await
    .unwrap();
    let (waiting, served) = result;
    assert!(
        waiting.is_empty(),
        "not served while the limit is reached: {waiting}"
    );
    assert!(
        served.starts_with("HTTP/1.1 200"),
        "served once a connection closed: {served}"
    );
    app.stop().await;
}
