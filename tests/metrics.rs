//! `GET /metrics`: the Prometheus text format, parsed here line by line and, where Python's
//! prometheus_client is at hand (CI installs it), by its parser; requests counted by route
//! template, latency histograms, the pool; and the optional token.

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use actix_web::http::Method;

/// The samples of a Prometheus text body: (name with labels) → value; panics on a bad line.
fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut typed = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.insert(name.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains(*f)))
            .unwrap_or(name);
        assert!(typed.contains(family), "{name} has no TYPE line before it");
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            }
        }
        out.insert(
            series.to_owned(),
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}")),
        );
    }
    out
}

fn python_parses(text: &str) -> Option<bool> {
    let python = std::env::var("FRONTLINE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .output()
        .ok()?
        .status
        .success();
    if !ok {
        assert!(
            std::env::var("FRONTLINE_TEST_PYTHON").is_err(),
            "FRONTLINE_TEST_PYTHON has no prometheus_client"
        );
        return None;
    }
    let mut child = std::process::Command::new(&python)
        .args([
            "-c",
            "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\nfams = list(p(sys.stdin.read()))\nassert any(f.name == 'frontline_http_request_duration_seconds' for f in fams), [f.name for f in fams]\nprint(len(fams))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    Some(child.wait_with_output().ok()?.status.success())
}

both_backends! {
    async fn metrics_count_requests_by_route_template_and_show_the_pool(app: TestApp) {
        let token = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        for _ in 0..3 {
            assert_eq!(app.call(Method::GET, &format!("/api/v1/units/{unit}"), &token, None).await.status, 200);
        }
        assert_eq!(app.get("/no/such/path").await.status, 404);
        let res = app.get("/metrics").await;
        assert_eq!(res.status, 200);
        assert!(res.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
        let text = res.text();
        let s = samples(&text);
        let key = "frontline_http_requests_total{method=\"GET\",route=\"/api/v1/units/{id}\",status=\"200\"}";
        assert!(s.get(key).is_some_and(|v| *v >= 3.0), "{text}");
        assert!(s.contains_key("frontline_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"), "{text}");
        let count = s["frontline_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/units/{id}\"}"];
        let inf = s["frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\",le=\"+Inf\"}"];
        assert_eq!(count, inf);
        let buckets: Vec<f64> = s
            .iter()
            .filter(|(k, _)| k.starts_with("frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\""))
            .map(|(_, v)| *v)
            .collect();
        assert!(buckets.len() > 5);
        assert!(s["frontline_db_pool_max_connections"] >= 1.0);
        assert!(s["frontline_db_pool_wait_seconds_count"] >= 1.0, "check-outs are timed");
        assert_eq!(s["frontline_build_info{version=\"0.1.0\"}"], 1.0);
        assert!(!text.contains(&token), "no secret in the metrics");
        if let Some(ok) = python_parses(&text) {
            assert!(ok, "prometheus_client refused the metrics:\n{text}");
        }
        // With a token set, only its bearer reads them.
        let secret = "metrics-token-0123456789abcdef0123456789";
        let locked = app.spawn_like(&[("FRONTLINE_METRICS_TOKEN", secret)]).await;
        let res = locked.get("/metrics").await;
        assert_eq!(res.status, 401);
        res.problem();
        assert_eq!(locked.get_with("/metrics", &[("authorization", "Bearer wrong")]).await.status, 401);
        assert_eq!(locked.get_with("/metrics", &[("authorization", &format!("Bearer {secret}"))]).await.status, 200);
        locked.stop().await;
        assert!(s.contains_key("frontline_webhook_outbox_pending"), "{text}");

        // With an address of its own, /metrics is served there and not on the main address.
        let apart = app.spawn_like(&[("FRONTLINE_METRICS_BIND", "127.0.0.1:0")]).await;
        let res = apart.get("/metrics").await;
        assert_eq!(res.status, 404);
        res.problem();
        let there = apart.metrics_address.clone().expect("a metrics address");
        let mut res = awc::Client::default().get(format!("{there}/metrics")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let body = res.body().await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("frontline_build_info"));
        let res = awc::Client::default().get(format!("{there}/api/v1/units")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "only /metrics is served there");
        apart.stop().await;
    }
}
