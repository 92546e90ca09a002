//! Units (参与单位), read side: the filtered, paginated list; one unit with its `ETag`; and a
//! lookup of units by exact name (for imports and front ends that hold names, not ids).

pub mod write;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::extract::JsonBody;
use crate::api::pagination::{encode_cursor, next_link};
use crate::api::problems::{BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::config::Config;
use crate::db::DbPool;
use crate::domain::unit::{Category, Unit, UnitId, UnitKind};
use crate::error::{AppError, FieldIssue};
use crate::store::units::UnitFilter;

/// Query parameters of `GET /api/v1/units`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUnitsParams {
    /// Only units with this participation category.
    #[param(value_type = Option<Category>, example = "law_enforcement")]
    pub category: Option<String>,
    /// Only units of this kind.
    #[param(value_type = Option<UnitKind>, example = "subdistrict_office")]
    pub kind: Option<String>,
    /// Only active (`true`) or inactive (`false`) units.
    #[param(value_type = Option<bool>, example = true)]
    pub active: Option<String>,
    /// Only units whose name contains this text (1–100 characters).
    #[param(min_length = 1, max_length = 100, example = "街道")]
    pub q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated list request.
struct ListUnits {
    filter: UnitFilter,
    after: Option<String>,
    limit: i64,
}

impl ListUnits {
    /// The request, or the 400 naming every parameter at fault; `max_limit` is the largest
    /// page.
    fn parse(p: ListUnitsParams, max_limit: i64) -> Result<Self, AppError> {
        let mut params = Params::default();
        let category = params.enumeration::<Category>("category", p.category.as_deref());
        let kind = params.enumeration::<UnitKind>("kind", p.kind.as_deref());
        let active = params.boolean("active", p.active.as_deref());
        let q = p.q.map(|q| q.trim().to_owned());
        if q.as_ref()
            .is_some_and(|q| q.is_empty() || q.chars().count() > 100)
        {
            params.refuse(FieldIssue::new(
                "q",
                "length",
                "长度须在 1 到 100 之间",
                "length must be from 1 to 100",
            ));
        }
        let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), max_limit);
        params.finish()?;
        Ok(ListUnits {
            filter: UnitFilter {
                category,
                kind,
                active,
                name_contains: q,
            },
            after,
            limit,
        })
    }
}

/// One page of units.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "name": "区司法局", "short_code": "justice",
    "kind": "district_department", "categories": ["approval_service", "law_enforcement", "policy_making"],
    "head": null, "deputies": [], "delegation_allowed": false, "active": true,
    "programme_role": "lead", "lead_activity": "enforcement",
    "created_at": "2026-11-28T05:00:00Z", "updated_at": "2026-11-28T05:00:00Z", "version": 1
}], "next_cursor": "eyJ2IjoxLCJhZnRlciI6IjAxOTBiN2UyLThjMWEtN2NjMy05YTUxLTFmMmUzZDRjNWI2YSJ9"}))]
pub struct UnitList {
    /// The units, in creation order (Annex 1 order for the seeded ones).
    pub items: Vec<Unit>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Lists units, filtered and paginated.
#[utoipa::path(
    tag = "units",
    operation_id = "list_units",
    params(ListUnitsParams),
    responses(
        (status = 200, description = "One page of units; `Link: <…>; rel=\"next\"` when more follow", body = UnitList,
            headers(("Link" = String, description = "The next page: `<…>; rel=\"next\"`"))),
        ParameterErrors,
        CommonErrors,
    ),
    security(())
)]
#[get("/units")]
pub async fn list_units(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListUnitsParams>,
) -> Result<HttpResponse, AppError> {
    let request = ListUnits::parse(params.into_inner(), config.limits.list)?;
    let limit = request.limit;
    let filter = request.filter.clone();
    let page = crate::db::run(&pool, move |conn| {
        crate::store::units::list(
            conn,
            &request.filter,
            request.after.as_deref(),
            request.limit,
        )
    })
    .await?;
    let next_cursor = page
        .has_more
        .then(|| page.items.last().map(|u| encode_cursor(&u.id.to_string())))
        .flatten();
    let mut res = HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(c) = filter.category {
            params.push(("category", c.as_str().into()));
        }
        if let Some(k) = filter.kind {
            params.push(("kind", k.as_str().into()));
        }
        if let Some(a) = filter.active {
            params.push(("active", a.to_string()));
        }
        if let Some(q) = &filter.name_contains {
            params.push(("q", q.clone()));
        }
        params.push(("limit", limit.to_string()));
        res.insert_header((header::LINK, next_link(req.path(), &params, cursor)));
    }
    Ok(res.json(UnitList {
        items: page.items,
        next_cursor,
    }))
}

/// Parses a path id as a UUID; anything else is 400 naming the parameter.
pub fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw).map_err(|_| {
        AppError::invalid_parameter(
            "id",
            "invalid_uuid",
            "须为 UUID，例如 0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
            "must be a UUID, e.g. 0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
        )
    })
}

/// 404 unless the unit exists (for routes under `/units/{id}/…`).
pub async fn must_exist(pool: &DbPool, unit: UnitId) -> Result<(), AppError> {
    let found = crate::db::run(pool, move |conn| crate::store::units::get(conn, unit)).await?;
    found.map(|_| ()).ok_or(AppError::NotFound {
        resource: "unit",
        id: unit.to_string(),
    })
}

/// The strong `ETag` of a versioned resource.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, `*` matches anything).
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// Reads one unit. Answers 304 when `If-None-Match` holds its current `ETag`.
#[utoipa::path(
    tag = "units",
    operation_id = "get_unit",
    params(
        ("id" = String, Path, format = Uuid, description = "The unit's id", example = "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` held by the client; 304 when it is current", example = "\"1\""),
    ),
    responses(
        (status = 200, description = "The unit", body = Unit, headers(("ETag" = String, description = "The unit's version, for `If-None-Match` and `If-Match`"))),
        (status = 304, description = "The client's copy (`If-None-Match`) is current", headers(("ETag" = String, description = "The unit's version"))),
        ParameterErrors,
        NotFoundError,
        CommonErrors,
    ),
    security(())
)]
#[get("/units/{id}")]
pub async fn get_unit(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let raw = id.into_inner();
    let id = UnitId(parse_id(&raw)?);
    let unit = crate::db::run(&pool, move |conn| crate::store::units::get(conn, id))
        .await?
        .ok_or(AppError::NotFound {
            resource: "unit",
            id: id.to_string(),
        })?;
    let tag = etag(unit.version);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, &tag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    Ok(if fresh { res.finish() } else { res.json(unit) })
}

/// Names to look up.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"names": ["区司法局", "区不存在局"]}))]
pub struct LookupUnits {
    /// Unit names, exactly as registered (surrounding spaces are ignored); 1–200 of them.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_items = 1, max_items = 200)]
    pub names: Vec<String>,
}

/// The result of a lookup: the units found, in the order asked, and the names not found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"found": [{
    "id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "name": "区司法局", "short_code": "justice",
    "kind": "district_department", "categories": ["approval_service", "law_enforcement", "policy_making"],
    "head": null, "deputies": [], "delegation_allowed": false, "active": true,
    "programme_role": "lead", "lead_activity": "enforcement",
    "created_at": "2026-11-28T05:00:00Z", "updated_at": "2026-11-28T05:00:00Z", "version": 1
}], "missing": ["区不存在局"]}))]
pub struct UnitLookup {
    /// Units whose name was asked, in the order of the request (each once).
    pub found: Vec<Unit>,
    /// Names asked that no unit has, in the order of the request (each once).
    pub missing: Vec<String>,
}

fn lookup_names(body: LookupUnits) -> Result<Vec<String>, AppError> {
    let mut issues = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, name) in body.names.iter().enumerate() {
        let name = name.trim();
        let n = name.chars().count();
        if n == 0 {
            issues.push(FieldIssue::new(
                format!("names[{i}]"),
                "blank",
                "不能为空",
                "must not be blank",
            ));
        } else if n > 100 {
            issues.push(FieldIssue::new(
                format!("names[{i}]"),
                "length",
                "长度不得超过 100",
                "length must be at most 100",
            ));
        } else if !names.iter().any(|x| x == name) {
            names.push(name.to_owned());
        }
    }
    if issues.is_empty() {
        Ok(names)
    } else {
        Err(AppError::Validation(issues))
    }
}

/// Looks units up by exact name. Reads only: nothing is written.
#[utoipa::path(
    tag = "units",
    operation_id = "lookup_units",
    request_body(content = LookupUnits, content_type = "application/json"),
    responses(
        (status = 200, description = "The units found and the names not found", body = UnitLookup),
        BodyErrors,
        CommonErrors,
    ),
    security(())
)]
#[post("/units/lookup")]
pub async fn lookup_units(
    pool: web::Data<DbPool>,
    body: JsonBody<LookupUnits>,
) -> Result<HttpResponse, AppError> {
    let names = lookup_names(body.into_inner()?)?;
    let asked = names.clone();
    let units = crate::db::run(&pool, move |conn| {
        crate::store::units::find_by_names(conn, &names)
    })
    .await?;
    let mut found = Vec::with_capacity(units.len());
    let mut missing = Vec::new();
    for name in asked {
        match units.iter().find(|u| u.name == name) {
            Some(u) => found.push(u.clone()),
            None => missing.push(name),
        }
    }
    Ok(HttpResponse::Ok().json(UnitLookup { found, missing }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        assert!(none_match("\"3\"", "\"3\""));
        assert!(none_match("W/\"3\"", "\"3\""));
        assert!(none_match("\"1\", \"3\"", "\"3\""));
        assert!(none_match("*", "\"3\""));
        assert!(!none_match("\"2\"", "\"3\""));
        assert!(!none_match("3", "\"3\""));
    }

    #[test]
    fn every_bad_list_parameter_is_reported_at_once() {
        let err = ListUnits::parse(
            ListUnitsParams {
                category: Some("nope".into()),
                kind: Some("bureau".into()),
                active: Some("yes".into()),
                q: Some("  ".into()),
                limit: Some("500".into()),
                cursor: Some("zzz".into()),
            },
            200,
        )
        .err()
        .unwrap();
        let AppError::InvalidParameters(issues) = err else {
            panic!("expected invalid parameters")
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            ["category", "kind", "active", "q", "limit", "cursor"]
        );
    }

    #[test]
    fn lookup_names_are_trimmed_deduplicated_and_checked() {
        let names = lookup_names(LookupUnits {
            names: vec![" 区司法局".into(), "区司法局".into(), "区档案馆".into()],
        })
        .unwrap();
        assert_eq!(names, ["区司法局", "区档案馆"]);
        let err = lookup_names(LookupUnits {
            names: vec!["ok".into(), " ".into(), "长".repeat(101)],
        })
        .unwrap_err();
        let AppError::Validation(issues) = err else {
            panic!()
        };
        assert_eq!(issues[0].field, "names[1]");
        assert_eq!(issues[1].field, "names[2]");
    }
}
