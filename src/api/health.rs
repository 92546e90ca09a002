//! Liveness and readiness probes.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problems::CommonErrors;
use crate::db::DbPool;
use crate::error::AppError;

/// A probe's answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` (alive) or `ready` (the database answers).
    pub status: String,
}

/// Liveness: the process answers. Does not touch the database.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_healthz",
    responses((status = 200, description = "The process is alive", body = Health)),
    security(())
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Whether this listener serves `/metrics` (false on the main address when
/// `FRONTLINE_METRICS_BIND` gives it an address of its own).
#[derive(Clone, Copy, Debug)]
pub struct MetricsHere(pub bool);

/// The instance's metrics in the Prometheus text format: requests by method, route template and
/// status with their latency, the connection pool, build information. With
/// `FRONTLINE_METRICS_TOKEN` set, only `Authorization: Bearer <that token>` reads them.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_metrics",
    responses(
        (status = 200, description = "The metrics (`text/plain; version=0.0.4`)", content_type = "text/plain", body = String),
        (status = 401, description = "`FRONTLINE_METRICS_TOKEN` is set and the request does not carry it", content_type = "application/problem+json", body = crate::error::Problem),
        CommonErrors
    ),
    security((), ("metrics_token" = []))
)]
#[get("/metrics")]
pub async fn metrics(
    req: actix_web::HttpRequest,
    here: Option<web::Data<MetricsHere>>,
    metrics: web::Data<crate::metrics::Metrics>,
    pool: web::Data<DbPool>,
    config: web::Data<crate::config::Config>,
) -> Result<HttpResponse, AppError> {
    if here.is_some_and(|h| !h.0) {
        // Served on FRONTLINE_METRICS_BIND instead.
        return Err(AppError::RouteNotFound);
    }
    if let Some(token) = &config.metrics_token {
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or("", |(_, t)| t.trim());
        use sha2::Digest;
        // Compared as digests, so the time taken says nothing of the token.
        if sha2::Sha256::digest(given.as_bytes()) != sha2::Sha256::digest(token.0.as_bytes()) {
            return Err(AppError::Unauthorized("metrics token".into()));
        }
    }
    let state = pool.state();
    let mut text = metrics.render((state.connections, state.idle_connections, pool.max_size()));
    // The outbox is shared by every instance: each reports the same figure.
    // Only with an idle connection at hand: a scrape never waits for a busy pool.
    let p = pool.get_ref().clone();
    let pending = web::block(move || {
        p.try_get()
            .and_then(|mut conn| crate::store::webhooks::backlog(conn.conn()).ok())
    })
    .await
    .ok()
    .flatten();
    if let Some(pending) = pending {
        text.push_str(&crate::metrics::outbox_lines(pending));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Readiness: the database answers and accepts a write transaction (on SQLite: takes and
/// releases the write lock within the busy timeout). 503 otherwise.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_readyz",
    responses((status = 200, description = "The database answers", body = Health, example = json!({"status": "ready"})), CommonErrors),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(pool: web::Data<DbPool>) -> Result<HttpResponse, AppError> {
    crate::db::run(&pool, crate::store::health::check)
        .await
        .map_err(|e| match e {
            AppError::Internal(cause) => AppError::Unavailable(cause),
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready".into(),
    }))
}
