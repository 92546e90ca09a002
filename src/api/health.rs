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
