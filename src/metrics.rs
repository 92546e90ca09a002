//! Prometheus metrics of one instance: requests by method, route template and status, their
//! latency, the connection pool (size, in use, idle, check-out waits and time-outs) and build
//! information, rendered in the Prometheus text format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram.
#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when rendered).
    counts: [u64; BUCKETS.len()],
    /// All observations.
    count: u64,
    /// Their sum, in seconds.
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in BUCKETS.iter().zip(self.counts.iter()) {
            cumulative += c;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// The instance's metrics; shared by the workers and the pool's event handler.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    pool_wait: Mutex<Histogram>,
    pool_timeouts: AtomicU64,
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// A request answered: its method, route template (`unmatched` when no route matched),
    /// status and duration.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        // Clients may send any method name: only the standard ones get their own series.
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
            _ => "OTHER",
        };
        {
            let mut r = self
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *r.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        {
            let mut l = self
                .latency
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            l.entry((method.to_owned(), route.to_owned()))
                .or_default()
                .observe(elapsed.as_secs_f64());
        }
    }

    /// The metrics in the Prometheus text format, with the pool's current state
    /// (connections, idle, maximum).
    pub fn render(&self, pool: (u32, u32, u32)) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP frontline_build_info The running build.");
        let _ = writeln!(out, "# TYPE frontline_build_info gauge");
        let _ = writeln!(
            out,
            "frontline_build_info{{version=\"{}\"}} 1",
            label(env!("CARGO_PKG_VERSION"))
        );
        let _ = writeln!(out, "# HELP frontline_http_requests_total Requests answered, by method, route template and status.");
        let _ = writeln!(out, "# TYPE frontline_http_requests_total counter");
        {
            let r = self
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for ((method, route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "frontline_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(method),
                    label(route)
                );
            }
        }
        let _ = writeln!(out, "# HELP frontline_http_request_duration_seconds Time to answer, by method and route template.");
        let _ = writeln!(
            out,
            "# TYPE frontline_http_request_duration_seconds histogram"
        );
        {
            let l = self
                .latency
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for ((method, route), h) in l.iter() {
                let labels = format!("method=\"{}\",route=\"{}\"", label(method), label(route));
                h.render(&mut out, "frontline_http_request_duration_seconds", &labels);
            }
        }
        let (connections, idle, max) = pool;
        for (name, help, v) in [
            (
                "frontline_db_pool_max_connections",
                "The pool's maximum size.",
                max,
            ),
            (
                "frontline_db_pool_connections",
                "Connections open.",
                connections,
            ),
            (
                "frontline_db_pool_idle_connections",
                "Connections open and idle.",
                idle,
            ),
            (
                "frontline_db_pool_in_use_connections",
                "Connections checked out.",
                connections.saturating_sub(idle),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {v}");
        }
        let _ = writeln!(
            out,
            "# HELP frontline_db_pool_wait_seconds Time waited to check a connection out."
        );
        let _ = writeln!(out, "# TYPE frontline_db_pool_wait_seconds histogram");
        {
            let h = self
                .pool_wait
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            h.render(&mut out, "frontline_db_pool_wait_seconds", "");
        }
        let _ = writeln!(
            out,
            "# HELP frontline_db_pool_timeouts_total Check-outs that timed out."
        );
        let _ = writeln!(out, "# TYPE frontline_db_pool_timeouts_total counter");
        let _ = writeln!(
            out,
            "frontline_db_pool_timeouts_total {}",
            self.pool_timeouts.load(Ordering::Relaxed)
        );
        out
    }
}

/// The webhook outbox's backlog in the Prometheus text format.
pub fn outbox_lines(pending: i64) -> String {
    format!(
        "# HELP frontline_webhook_outbox_pending Webhook deliveries waiting to be sent (shared by all instances).\n\
         # TYPE frontline_webhook_outbox_pending gauge\n\
         frontline_webhook_outbox_pending {pending}\n"
    )
}

/// Feeds the pool's check-outs and time-outs into [`Metrics`].
#[derive(Debug, Clone)]
pub struct PoolEvents(pub Arc<Metrics>);

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        {
            let mut h = self
                .0
                .pool_wait
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            h.observe(event.duration().as_secs_f64());
        }
    }

    fn handle_timeout(&self, _event: r2d2::event::TimeoutEvent) {
        self.0.pool_timeouts.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.observe_request("GET", "/api/v1/units/{id}", 200, Duration::from_millis(3));
        m.observe_request("GET", "/api/v1/units/{id}", 200, Duration::from_millis(300));
        m.observe_request("GET", "a\"b", 404, Duration::from_secs(20));
        m.observe_request("BREW", "unmatched", 405, Duration::from_millis(1));
        m.observe_request("COFFEE", "unmatched", 405, Duration::from_millis(1));
        let text = m.render((4, 3, 8));
        assert!(text.contains("frontline_http_requests_total{method=\"GET\",route=\"/api/v1/units/{id}\",status=\"200\"} 2"));
        assert!(text.contains("route=\"a\\\"b\""));
        assert!(text.contains("frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\",le=\"0.005\"} 1"));
        assert!(text.contains("frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\",le=\"0.5\"} 2"));
        assert!(text.contains("frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"a\\\"b\",le=\"10\"} 0"));
        assert!(text.contains("frontline_http_request_duration_seconds_bucket{method=\"GET\",route=\"a\\\"b\",le=\"+Inf\"} 1"));
        assert!(text.contains("frontline_db_pool_in_use_connections 1"));
        assert!(text.contains(
            "frontline_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"405\"} 2"
        ));
    }
}
