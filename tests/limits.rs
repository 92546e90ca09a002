//! The limits that protect the service from slow and greedy clients (issue 13, item 3), each a
//! setting: the request time-out (`FRONTLINE_REQUEST_TIMEOUT_SECS`) and the open connections
//! per worker (`FRONTLINE_MAX_CONNECTIONS`). The body, list, string and rate limits have their
//! cases in `tests/owasp.rs` (API4, API6), `tests/errors.rs` and `tests/auth.rs`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{spawn_app_with, Backend};

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
