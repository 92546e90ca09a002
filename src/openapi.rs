//! The OpenAPI 3.1 document: the root ([`ApiDoc`]: info, tags, shared schemas) and the paths
//! collected from [`crate::api::configure`] by `utoipa_actix_web`, so that the document and
//! the server are built from the same route table.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

/// The root of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "frontline API",
        description = "The service behind the district programme 一把手走流程、坐窗口、跟执法、处投诉: \
units, plans, participations, the issue ledger, compliance checks and reports.\n\n\
Errors are `application/problem+json` (RFC 9457), in Chinese by default and in English with \
`Accept-Language: en`. Every response carries `X-Request-Id`. Lists are cursor-paginated: \
pass `next_cursor` back as `cursor`, or follow the `Link: <…>; rel=\"next\"` header.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "units", description = "参与单位: the units of Annex 1 and the programme's offices"),
        (name = "auth", description = "Sign-in sessions: login, refresh, logout, password"),
        (name = "users", description = "Accounts and their roles"),
        (name = "matters", description = "事项: each unit's catalogue, its import and its coverage"),
        (name = "service-records", description = "办件/咨询记录: people served, for follow-up calls; phones masked"),
        (name = "draws", description = "随机选取: reproducible random draws"),
        (name = "schedules", description = "活动计划: quarterly schedules, their entries, workflow and revisions"),
        (name = "public", description = "What the public sees: published schedules and their iCalendar feed"),
        (name = "triggers", description = "即时体验的起因 and 跟踪体验的对象"),
        (name = "issues", description = "问题台账: the issue ledger (挂账销号), its history, the Annex 2 lists and their quarterly submission"),
        (name = "reports", description = "统计与报告: statistics computed from the records"),
        (name = "participations", description = "参与活动记录: each experience, its mandatory segments, filing (备案) and acceptance"),
        (name = "compliance", description = "专项考核: compliance checks of rules R1–R13, explainable findings, scores and the bulletin list"),
        (name = "hotline", description = "12345 热线: work orders, where complaints concentrate (H1), spikes that call for an immediate experience (H2)"),
        (name = "api-keys", description = "API keys for integrations: scopes, expiry, allowed addresses; every use audited"),
        (name = "imports", description = "Imports of past records (a district adopting mid-year): JSON batches with historical times, and the offices' Annex 2 spreadsheets; all or nothing, dry runs, idempotent"),
        (name = "webhooks", description = "Webhooks: events POSTed to an integration, signed `X-Frontline-Signature: v1=<hex HMAC-SHA256 of \"{X-Frontline-Timestamp}.{body}\">`, retried with exponential backoff; deliveries and their answers listed"),
        (name = "audit", description = "The append-only audit log"),
        (name = "operations", description = "Probes and the API description"),
    ),
    components(schemas(
        Problem,
        FieldError,
        crate::domain::import::IssueRecord,
        crate::domain::import::TriggerRecord,
        crate::domain::import::DrawRecord,
        crate::api::matters::MatterRecord,
        crate::api::service_records::ServiceRecordRecord,
        crate::api::imports::ImportPart,
        crate::api::imports::ParticipationRecord,
        crate::api::reports::ReportRecord,
        crate::api::issues::IssueListRecord,
        crate::api::schedules::ScheduleRecord
    )),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme: the access token of `POST /api/v1/auth/login`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "X-Api-Key",
                    "An integration's key from `POST /api/v1/api-keys` (or `Authorization: ApiKey <key>`). Every route that takes a bearer token takes a key too, within its scopes: `public:read` reads (GET) what any signed-in account reads; `stats:read` the statistics and hotline figures of every unit; `hotline:import` work-order imports and spike scans only.",
                ),
            )),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`FRONTLINE_METRICS_TOKEN`, when the operator sets one (`GET /metrics` only)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `access_token` of `POST /api/v1/auth/login` (15 minutes by default)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document, as the server serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure)
        .split_for_parts();
    // Every route that takes a bearer token takes an API key too (within its scopes), except
    // the sign-in routes, which are people's.
    for (path, item) in api.paths.paths.iter_mut() {
        if path.starts_with("/api/v1/auth/") {
            continue;
        }
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            if let Some(security) = op.security.as_mut() {
                let bearer =
                    serde_json::to_string(&security).is_ok_and(|s| s.contains("\"bearer\""));
                if bearer {
                    security.push(utoipa::openapi::security::SecurityRequirement::new(
                        "api_key",
                        Vec::<String>::new(),
                    ));
                }
            }
        }
    }
    name_union_variants(&mut api, "Segment", "type");
    api
}

/// Gives each variant of a tagged union (`Segment`: `allOf` of the variant's schema and its
/// `type` tag) a component of its own, `<Variant>Segment`, and the union a discriminator on
/// `type`: the same document for validators, and one that client generators (which cannot
/// name an inline `allOf` inside a `oneOf`) turn into a class per variant.
fn name_union_variants(api: &mut utoipa::openapi::OpenApi, union: &str, property: &str) {
    use utoipa::openapi::schema::{Discriminator, Schema};
    use utoipa::openapi::RefOr;
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get(union).cloned() else {
        return;
    };
    let mut variants = Vec::new();
    let mut mapping = Vec::new();
    for item in one_of.items.iter() {
        let RefOr::T(Schema::AllOf(all_of)) = item else {
            return;
        };
        let json = serde_json::to_value(all_of).unwrap_or_default();
        let base = json["allOf"][0]["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_owned);
        let tag = json["allOf"][1]["properties"][property]["enum"][0]
            .as_str()
            .map(str::to_owned);
        let (Some(base), Some(tag)) = (base, tag) else {
            return;
        };
        variants.push((format!("{base}{union}"), tag, all_of.clone()));
    }
    let mut named = one_of.clone();
    named.items.clear();
    for (name, tag, schema) in variants {
        let reference = format!("#/components/schemas/{name}");
        components
            .schemas
            .insert(name.clone(), RefOr::T(Schema::AllOf(schema)));
        named
            .items
            .push(RefOr::Ref(utoipa::openapi::Ref::new(reference.clone())));
        mapping.push((tag, reference));
    }
    named.discriminator = Some(Discriminator::with_mapping(property, mapping));
    components
        .schemas
        .insert(union.to_owned(), RefOr::T(Schema::OneOf(named)));
}

/// The document as served: compact JSON stating the configured limits (the largest `limit` of
/// every list), so that a client generated from it asks for no page the server refuses.
pub fn served_json(spec: &utoipa::openapi::OpenApi, limits: &crate::config::Limits) -> String {
    let mut doc = serde_json::to_value(spec).unwrap_or_default();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let params = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|op| op.get_mut("parameters").and_then(|p| p.as_array_mut()))
            .flatten();
        for param in params {
            let is_limit = param.get("name").and_then(|n| n.as_str()) == Some("limit")
                && param.get("in").and_then(|n| n.as_str()) == Some("query");
            let Some(param) = param.as_object_mut().filter(|_| is_limit) else {
                continue;
            };
            if let Some(schema) = param.get_mut("schema").and_then(|s| s.as_object_mut()) {
                schema.insert("maximum".into(), serde_json::json!(limits.list));
            }
            if let Some(text) = param.get("description").and_then(|d| d.as_str()) {
                let text = text.replace(
                    &format!("1–{}", crate::config::DEFAULT_LIST_LIMIT_MAX),
                    &format!("1–{}", limits.list),
                );
                param.insert("description".into(), serde_json::json!(text));
            }
            if param
                .get("example")
                .and_then(|e| e.as_i64())
                .is_some_and(|e| e > limits.list)
            {
                param.insert("example".into(), serde_json::json!(limits.list));
            }
        }
    }
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The document as pretty JSON with a final newline: what `frontline openapi` prints and
/// `openapi/openapi.json` holds.
pub fn spec_json() -> String {
    let mut s =
        serde_json::to_string_pretty(&spec()).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
