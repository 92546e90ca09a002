//! Units, write side (admin, coordinator): create, and change with `If-Match` — which is also
//! how a unit is deactivated (`{"active": false}`); units are never deleted.

use actix_web::http::header;
use actix_web::{patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{etag, parse_id};
use crate::api::context::RequestCtx;
use crate::api::extract::{double_option, JsonBody};
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::auth::{policy, AuthUser};
use crate::db::{write_transaction, DbPool};
use crate::domain::audit::diff;
use crate::domain::unit::{
    normalize_categories, role_fits_activity, Activity, Category, Person, ProgrammeRole, UnitId,
    UnitKind,
};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::units::{self as store, UnitWrite};

/// A new unit.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "区数据局", "short_code": "data-bureau", "kind": "district_department", "categories": ["approval_service"], "head": {"name": "王五", "title": "局长"}}))]
pub struct CreateUnit {
    /// Unique name, 1–100 characters.
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// Unique short code: 2–64 of a–z, 0–9 and `-`.
    #[validate(length(min = 2, max = 64))]
    pub short_code: String,
    /// Kind.
    pub kind: UnitKind,
    /// Participation categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The head (一把手).
    pub head: Option<Person>,
    /// Deputies who may be delegated.
    #[serde(default)]
    #[validate(length(max = 20))]
    pub deputies: Vec<Person>,
    /// Whether a deputy may take part in the head's place.
    #[serde(default)]
    pub delegation_allowed: bool,
    /// Its part in running the programme.
    pub programme_role: Option<ProgrammeRole>,
    /// With `programme_role` lead or organizer: the activity.
    pub lead_activity: Option<Activity>,
}

/// Changes to a unit; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUnit {
    /// New name.
    #[validate(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New short code.
    #[validate(length(min = 2, max = 64))]
    pub short_code: Option<String>,
    /// New kind.
    pub kind: Option<UnitKind>,
    /// New categories (the whole set).
    pub categories: Option<Vec<Category>>,
    /// New head (`null` clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Person>)]
    pub head: Option<Option<Person>>,
    /// New deputies (the whole list).
    #[validate(length(max = 20))]
    pub deputies: Option<Vec<Person>>,
    /// Delegation allowed.
    pub delegation_allowed: Option<bool>,
    /// `false` deactivates the unit.
    pub active: Option<bool>,
    /// New programme role (`null` clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<ProgrammeRole>)]
    pub programme_role: Option<Option<ProgrammeRole>>,
    /// New lead activity (`null` clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Activity>)]
    pub lead_activity: Option<Option<Activity>>,
}

/// Checks a unit's state: names trimmed and non-empty, short code's alphabet, people named,
/// role and activity fitting together.
fn checked(mut w: UnitWrite) -> Result<UnitWrite, AppError> {
    let mut issues = Vec::new();
    w.name = w.name.trim().to_owned();
    if w.name.is_empty() {
        issues.push(FieldIssue::new(
            "name",
            "blank",
            "不能为空",
            "must not be blank",
        ));
    }
    let code_ok = w.short_code.len() >= 2
        && w.short_code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !code_ok {
        issues.push(FieldIssue::new(
            "short_code",
            "invalid_short_code",
            "须为 2 到 64 个小写字母、数字或 -",
            "2 to 64 of a-z, 0-9 and -",
        ));
    }
    let bad_person = |p: &Person| {
        p.name.trim().is_empty()
            || p.name.chars().count() > 50
            || p.title.as_ref().is_some_and(|t| t.chars().count() > 50)
    };
    if w.head.as_ref().is_some_and(bad_person) {
        issues.push(FieldIssue::new(
            "head.name",
            "length",
            "姓名须为 1 到 50 个字符",
            "a name of 1 to 50 characters",
        ));
    }
    for (i, d) in w.deputies.iter().enumerate() {
        if bad_person(d) {
            issues.push(FieldIssue::new(
                format!("deputies[{i}].name"),
                "length",
                "姓名须为 1 到 50 个字符",
                "a name of 1 to 50 characters",
            ));
        }
    }
    if !role_fits_activity(w.programme_role, w.lead_activity) {
        issues.push(FieldIssue::new(
            "lead_activity",
            "role_mismatch",
            "牵头或组织单位须指明活动，其他单位不得指明",
            "a lead or organizer names its activity; no other unit does",
        ));
    }
    w.categories = normalize_categories(w.categories);
    if issues.is_empty() {
        Ok(w)
    } else {
        Err(AppError::Validation(issues))
    }
}

/// Creates a unit (admin, coordinator).
#[utoipa::path(
    tag = "units",
    operation_id = "create_unit",
    request_body(content = CreateUnit, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = crate::domain::unit::Unit,
            headers(("Location" = String, description = "The unit's URL"), ("ETag" = String, description = "Its version"))),
        BodyErrors, AuthErrors, WriteErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/units")]
pub async fn create_unit(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    body: JsonBody<CreateUnit>,
) -> Result<HttpResponse, AppError> {
    policy::write_units(&user)?;
    let b = body.into_inner()?;
    let w = checked(UnitWrite {
        name: b.name,
        short_code: b.short_code,
        kind: b.kind,
        categories: b.categories,
        head: b.head,
        deputies: b.deputies,
        delegation_allowed: b.delegation_allowed,
        active: true,
        programme_role: b.programme_role,
        lead_activity: b.lead_activity,
    })?;
    let actx = ctx.audit(Some(&user));
    let unit = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let unit = store::insert(conn, &w)?;
            let changes = diff(
                &serde_json::Value::Null,
                &serde_json::to_value(&unit).unwrap_or_default(),
            );
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "unit.create",
                    target_type: Some("unit"),
                    target_id: Some(&unit.id.to_string()),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(unit)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/units/{}", unit.id)))
        .insert_header((header::ETAG, etag(unit.version)))
        .json(unit))
}

/// Changes a unit (admin, coordinator); `If-Match` with its `ETag` is required.
#[utoipa::path(
    tag = "units",
    operation_id = "update_unit",
    params(
        ("id" = String, Path, format = Uuid, description = "The unit's id"),
        ("If-Match" = String, Header, description = "The `ETag` read", example = "\"1\""),
    ),
    request_body(content = UpdateUnit, content_type = "application/json"),
    responses(
        (status = 200, description = "The changed unit", body = crate::domain::unit::Unit, headers(("ETag" = String, description = "The new version"))),
        ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[patch("/units/{id}")]
pub async fn update_unit(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<UpdateUnit>,
) -> Result<HttpResponse, AppError> {
    policy::write_units(&user)?;
    let id = UnitId(parse_id(&id)?);
    let b = body.into_inner()?;
    let actx = ctx.audit(Some(&user));
    let unit = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = store::get(conn, id)?.ok_or(AppError::NotFound {
                resource: "unit",
                id: id.to_string(),
            })?;
            let version = ctx.expect_version(before.version)?;
            let mut w = UnitWrite::from_unit(&before);
            if let Some(v) = b.name {
                w.name = v;
            }
            if let Some(v) = b.short_code {
                w.short_code = v;
            }
            if let Some(v) = b.kind {
                w.kind = v;
            }
            if let Some(v) = b.categories {
                w.categories = v;
            }
            if let Some(v) = b.head {
                w.head = v;
            }
            if let Some(v) = b.deputies {
                w.deputies = v;
            }
            if let Some(v) = b.delegation_allowed {
                w.delegation_allowed = v;
            }
            if let Some(v) = b.active {
                w.active = v;
            }
            if let Some(v) = b.programme_role {
                w.programme_role = v;
            }
            if let Some(v) = b.lead_activity {
                w.lead_activity = v;
            }
            let w = checked(w)?;
            let after = store::update(conn, id, version, &w)?.ok_or_else(|| {
                AppError::PreconditionFailed {
                    current: etag(before.version + 1),
                }
            })?;
            let changes = diff(
                &serde_json::to_value(&before).unwrap_or_default(),
                &serde_json::to_value(&after).unwrap_or_default(),
            );
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "unit.update",
                    target_type: Some("unit"),
                    target_id: Some(&after.id.to_string()),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(after)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(unit.version)))
        .json(unit))
}
