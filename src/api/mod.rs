//! HTTP handlers, one module per resource, with their request and response types.
//! [`configure`] is THE route table: the server and the OpenAPI spec are both built from it,
//! so no route can be missing from the spec.

pub mod audit;
pub mod auth;
pub mod context;
pub mod extract;
pub mod health;
pub mod import;
pub mod meta;
pub mod pagination;
pub mod problems;
pub mod query;
pub mod units;
pub mod users;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the service.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            scope("/api/v1")
                .service(meta::openapi_json)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(users::create_user)
                .service(users::list_users)
                .service(users::get_user)
                .service(users::update_user)
                .service(units::list_units)
                .service(units::write::create_unit)
                .service(units::lookup_units)
                .service(units::get_unit)
                .service(units::write::update_unit)
                .service(audit::list_audit),
        );
}
