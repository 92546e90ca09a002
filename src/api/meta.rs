//! The service's own description: the OpenAPI document.

use actix_web::{get, web, HttpResponse};

use crate::api::problems::CommonErrors;

/// The OpenAPI document as served, serialized once at start.
pub struct SpecJson(pub String);

/// The OpenAPI 3.1 document of this API (the docs UI at `/docs` reads it).
#[utoipa::path(
    tag = "operations",
    operation_id = "get_openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object), CommonErrors),
    security(())
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-cache"))
        .body(spec.0.clone())
}
