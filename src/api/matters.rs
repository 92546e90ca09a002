//! Matters (事项): each unit's catalogue, read by every signed-in account, managed by the unit
//! itself and the coordinator; bulk import from CSV or JSON (all or nothing, with a dry run);
//! and a unit's coverage of its catalogue within a year (R2).

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::import::{flag, ImportParams, ImportReport, ImportedRow, Row};
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::units::{etag, parse_id};
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::audit::diff;
use crate::domain::coverage::Coverage;
use crate::domain::matter::{Matter, MatterKind};
use crate::domain::unit::UnitId;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::matters::{self as store, MatterFilter, MatterWrite};

/// A new matter.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "approval", "name": "律师事务所设立许可", "code": "610103-XK-001", "online": true}))]
pub struct CreateMatter {
    /// Kind.
    pub kind: MatterKind,
    /// Name, unique within the unit, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Official code, up to 64 characters.
    #[validate(length(max = 64))]
    pub code: Option<String>,
    /// Whether it can be done online.
    #[serde(default)]
    pub online: bool,
}

/// Changes to a matter; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateMatter {
    /// New kind.
    pub kind: Option<MatterKind>,
    /// New name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// New code (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub code: Option<Option<String>>,
    /// Online-capable.
    pub online: Option<bool>,
    /// `false` retires the matter (kept for history).
    pub active: Option<bool>,
}

/// One page of matters.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct MatterList {
    /// The matters, oldest first.
    pub items: Vec<Matter>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Query parameters of the matter lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMattersParams {
    /// Only matters of this unit (`GET /api/v1/matters` only).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Only matters of this kind.
    #[param(value_type = Option<MatterKind>)]
    pub kind: Option<String>,
    /// Only active (`true`) or retired (`false`) matters.
    #[param(value_type = Option<bool>)]
    pub active: Option<String>,
    /// Only matters whose name contains this text.
    pub q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn checked(mut w: MatterWrite) -> Result<MatterWrite, AppError> {
    w.name = w.name.trim().to_owned();
    w.code = w
        .code
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if w.name.is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "name",
            "blank",
            "不能为空",
            "must not be blank",
        )]));
    }
    Ok(w)
}

/// A matter of a unit's catalogue as it was (an import): listed since `listed_on`, so that
/// checks of past quarters count it (R2, R6).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SCJG-SX-001", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "kind": "approval", "name": "食品经营许可", "listed_on": "2025-12-01"}))]
pub struct MatterRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// Kind.
    pub kind: MatterKind,
    /// Name, unique within the unit, 1–200 characters.
    pub name: String,
    /// Official code, up to 64 characters.
    pub code: Option<String>,
    /// Whether it can be done online.
    #[serde(default)]
    pub online: bool,
    /// The local date it entered the catalogue (not in the future).
    pub listed_on: chrono::NaiveDate,
}

/// Writes a past matter (an import) listed since 00:00 Beijing time on `listed_on`. Problems
/// name fields.
pub(crate) fn write_past(conn: &mut AnyConnection, r: &MatterRecord) -> Result<String, AppError> {
    let refuse = |field: &str, code: &'static str, zh: &str, en: &str| {
        AppError::Validation(vec![FieldIssue::new(field, code, zh, en)])
    };
    if r.name.trim().chars().count() > 200 {
        return Err(refuse(
            "name",
            "length",
            "不超过 200 个字符",
            "at most 200 characters",
        ));
    }
    if r.code
        .as_deref()
        .is_some_and(|c| c.trim().chars().count() > 64)
    {
        return Err(refuse(
            "code",
            "length",
            "不超过 64 个字符",
            "at most 64 characters",
        ));
    }
    let today = crate::domain::calendar::local_date(chrono::Utc::now());
    if r.listed_on > today || chrono::Datelike::year(&r.listed_on) < 2000 {
        return Err(refuse(
            "listed_on",
            "out_of_range",
            "须为 2000 年以后、不晚于今天的日期",
            "a date from 2000 on, not in the future",
        ));
    }
    let w = checked(MatterWrite {
        kind: r.kind,
        name: r.name.clone(),
        code: r.code.clone(),
        online: r.online,
        active: true,
    })?;
    if store::of_unit(conn, &r.unit_id)?
        .iter()
        .any(|m| m.name == w.name)
    {
        return Err(refuse(
            "name",
            "duplicate",
            "该单位已有同名事项",
            "the unit already has a matter of this name",
        ));
    }
    let at = crate::domain::calendar::start_of_day_naive(r.listed_on);
    Ok(store::insert_at(conn, &r.unit_id, &w, at)?.id)
}

async fn list(
    pool: &DbPool,
    p: ListMattersParams,
    unit: Option<String>,
    max_limit: i64,
) -> Result<HttpResponse, AppError> {
    let mut params = Params::default();
    let kind = params.enumeration::<MatterKind>("kind", p.kind.as_deref());
    let active = params.boolean("active", p.active.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), max_limit);
    let asked = params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    let filter = MatterFilter {
        unit_id: unit.or(asked),
        kind,
        active,
        name_contains: p.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
    };
    let (items, more) = crate::db::run(pool, move |conn| {
        store::list(conn, &filter, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&items, more, |x| &x.id);
    Ok(HttpResponse::Ok().json(MatterList { items, next_cursor }))
}

/// Lists matters across units (every signed-in account).
#[utoipa::path(
    tag = "matters",
    operation_id = "list_matters",
    params(ListMattersParams),
    responses((status = 200, description = "One page of matters", body = MatterList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/matters")]
pub async fn list_matters(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListMattersParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    list(&pool, params.into_inner(), None, config.limits.list).await
}

/// Lists a unit's matters (every signed-in account).
#[utoipa::path(
    tag = "matters",
    operation_id = "list_unit_matters",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), ListMattersParams),
    responses((status = 200, description = "One page of the unit's matters", body = MatterList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/units/{id}/matters")]
pub async fn list_unit_matters(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    params: web::Query<ListMattersParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    let unit = UnitId(parse_id(&id)?);
    crate::api::units::must_exist(&pool, unit).await?;
    list(
        &pool,
        params.into_inner(),
        Some(unit.to_string()),
        config.limits.list,
    )
    .await
}

/// Adds a matter to a unit's catalogue (the unit's own accounts, the coordinator).
#[utoipa::path(
    tag = "matters",
    operation_id = "create_matter",
    params(("id" = String, Path, format = Uuid, description = "The unit's id")),
    request_body(content = CreateMatter, content_type = "application/json"),
    responses(
        (status = 201, description = "Added", body = Matter, headers(("Location" = String, description = "The matter's URL"), ("ETag" = String, description = "Its version"))),
        ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/units/{id}/matters")]
pub async fn create_matter(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<CreateMatter>,
) -> Result<HttpResponse, AppError> {
    let unit = UnitId(parse_id(&id)?);
    policy::manage_unit_data(&user, &unit.to_string())?;
    crate::api::units::must_exist(&pool, unit).await?;
    let b = body.into_inner()?;
    let w = checked(MatterWrite {
        kind: b.kind,
        name: b.name,
        code: b.code,
        online: b.online,
        active: true,
    })?;
    let actx = ctx.audit(Some(&user));
    let matter = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let m = store::insert(conn, &unit.to_string(), &w)?;
            let changes = diff(
                &serde_json::Value::Null,
                &serde_json::to_value(&m).unwrap_or_default(),
            );
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "matter.create",
                    target_type: Some("matter"),
                    target_id: Some(&m.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(m)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/units/{unit}/matters/{}", matter.id),
        ))
        .insert_header((header::ETAG, etag(matter.version)))
        .json(matter))
}

async fn matter_of(pool: &DbPool, unit: UnitId, matter_id: &str) -> Result<Matter, AppError> {
    let id = parse_id(matter_id)?.to_string();
    let lookup = id.clone();
    let found = crate::db::run(pool, move |conn| store::get(conn, &lookup)).await?;
    found
        .filter(|m| m.unit_id == unit.to_string())
        .ok_or(AppError::NotFound {
            resource: "matter",
            id,
        })
}

/// Reads one matter of a unit (every signed-in account).
#[utoipa::path(
    tag = "matters",
    operation_id = "get_matter",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), ("matter_id" = String, Path, format = Uuid, description = "The matter's id")),
    responses((status = 200, description = "The matter", body = Matter, headers(("ETag" = String, description = "Its version"))), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/units/{id}/matters/{matter_id}")]
pub async fn get_matter(
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    let (unit, matter_id) = path.into_inner();
    let matter = matter_of(&pool, UnitId(parse_id(&unit)?), &matter_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(matter.version)))
        .json(matter))
}

/// Changes a matter (the unit's own accounts, the coordinator); `If-Match` is required.
#[utoipa::path(
    tag = "matters",
    operation_id = "update_matter",
    params(
        ("id" = String, Path, format = Uuid, description = "The unit's id"),
        ("matter_id" = String, Path, format = Uuid, description = "The matter's id"),
        ("If-Match" = String, Header, description = "The `ETag` read", example = "\"1\""),
    ),
    request_body(content = UpdateMatter, content_type = "application/json"),
    responses((status = 200, description = "The changed matter", body = Matter, headers(("ETag" = String, description = "The new version"))), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/units/{id}/matters/{matter_id}")]
pub async fn update_matter(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    path: web::Path<(String, String)>,
    body: JsonBody<UpdateMatter>,
) -> Result<HttpResponse, AppError> {
    let (unit, matter_id) = path.into_inner();
    let unit = UnitId(parse_id(&unit)?);
    policy::manage_unit_data(&user, &unit.to_string())?;
    let before = matter_of(&pool, unit, &matter_id).await?;
    let b = body.into_inner()?;
    let mut w = MatterWrite::of(&before);
    if let Some(v) = b.kind {
        w.kind = v;
    }
    if let Some(v) = b.name {
        w.name = v;
    }
    if let Some(v) = b.code {
        w.code = v;
    }
    if let Some(v) = b.online {
        w.online = v;
    }
    if let Some(v) = b.active {
        w.active = v;
    }
    let w = checked(w)?;
    let actx = ctx.audit(Some(&user));
    let after = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let current = store::get(conn, &before.id)?.ok_or(AppError::NotFound {
                resource: "matter",
                id: before.id.clone(),
            })?;
            let version = ctx.expect_version(current.version)?;
            let after = store::update(conn, &current.id, version, &w)?.ok_or(
                AppError::PreconditionFailed {
                    current: etag(current.version + 1),
                },
            )?;
            let changes = diff(
                &serde_json::to_value(&current).unwrap_or_default(),
                &serde_json::to_value(&after).unwrap_or_default(),
            );
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "matter.update",
                    target_type: Some("matter"),
                    target_id: Some(&after.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(after)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(after.version)))
        .json(after))
}

/// Reads one import row as a matter.
fn matter_row(row: &Row, issues: &mut Vec<FieldIssue>) -> Option<MatterWrite> {
    let before = issues.len();
    let name = row.get("name").map(str::to_owned);
    if name.is_none() {
        issues.push(FieldIssue::new(
            row.at("name"),
            "required",
            "必填",
            "required",
        ));
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        issues.push(FieldIssue::new(
            row.at("name"),
            "length",
            "不得超过 200 个字符",
            "at most 200 characters",
        ));
    }
    let kind = match row.get("kind").map(MatterKind::from_str) {
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            issues.push(FieldIssue::new(
                row.at("kind"),
                "invalid_enum",
                format!("须为以下之一：{}", e.expected),
                format!("must be one of: {}", e.expected),
            ));
            None
        }
        None => {
            issues.push(FieldIssue::new(
                row.at("kind"),
                "required",
                "必填",
                "required",
            ));
            None
        }
    };
    let code = row.get("code").map(str::to_owned);
    if code.as_ref().is_some_and(|c| c.chars().count() > 64) {
        issues.push(FieldIssue::new(
            row.at("code"),
            "length",
            "不得超过 64 个字符",
            "at most 64 characters",
        ));
    }
    let online = flag(row, "online", false, issues);
    let active = flag(row, "active", true, issues);
    if issues.len() > before {
        return None;
    }
    Some(MatterWrite {
        kind: kind?,
        name: name?,
        code,
        online,
        active,
    })
}

/// Checks every row, then (unless a dry run) creates new matters and updates changed ones by
/// name, in one transaction.
fn import_matters(
    conn: &mut AnyConnection,
    unit: &str,
    rows: &[Row],
    dry_run: bool,
    actx: &crate::store::audit::AuditCtx,
) -> Result<ImportReport, AppError> {
    let mut issues = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(w) = matter_row(row, &mut issues) {
            if let Some(first) = seen.insert(w.name.clone(), row.line) {
                issues.push(FieldIssue::new(
                    row.at("name"),
                    "duplicate",
                    format!("与第 {first} 行重名"),
                    format!("the same name as line {first}"),
                ));
                continue;
            }
            parsed.push((row.line, w));
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let run = |conn: &mut AnyConnection, write: bool| -> Result<Vec<ImportedRow>, AppError> {
        let existing: HashMap<String, Matter> = store::of_unit(conn, unit)?
            .into_iter()
            .map(|m| (m.name.clone(), m))
            .collect();
        let mut out = Vec::with_capacity(parsed.len());
        for (line, w) in &parsed {
            let (action, id) = match existing.get(&w.name) {
                Some(m) if MatterWrite::of(m) == *w => ("unchanged", Some(m.id.clone())),
                Some(m) => {
                    if write {
                        store::update(conn, &m.id, m.version, w)?.ok_or(AppError::Conflict {
                            constraint: "version".into(),
                        })?;
                    }
                    ("updated", Some(m.id.clone()))
                }
                None => {
                    let id = if write {
                        Some(store::insert(conn, unit, w)?.id)
                    } else {
                        None
                    };
                    ("created", id)
                }
            };
            out.push(ImportedRow {
                line: *line,
                action: action.into(),
                id,
            });
        }
        Ok(out)
    };
    if dry_run {
        return Ok(ImportReport::new(true, run(conn, false)?));
    }
    write_transaction(conn, |conn| {
        let report = ImportReport::new(false, run(conn, true)?);
        let changes = serde_json::json!({"created": report.created, "updated": report.updated, "unchanged": report.unchanged});
        audit::record(
            conn,
            actx,
            AuditEntry {
                action: "matter.import",
                target_type: Some("unit"),
                target_id: Some(unit),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
        Ok(report)
    })
}

/// Imports a unit's matters from CSV (`name,kind,code,online,active`; UTF-8 with or without
/// BOM, or GB18030) or a JSON array of objects with those fields. New names are created, known
/// names updated. All or nothing: any bad row refuses the whole file with a 422 naming every
/// bad row (`rows[LINE].COLUMN`). `dry_run=true` reports without writing.
#[utoipa::path(
    tag = "matters",
    operation_id = "create_matter_import",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), ImportParams),
    request_body(description = "CSV with a header row, or a JSON array of objects", content(
        (String = "text/csv", example = "name,kind,code,online\n律师事务所设立许可,approval,610103-XK-001,是\n"),
        (Vec<Object> = "application/json", example = json!([{"name": "律师事务所设立许可", "kind": "approval", "online": true}])),
    )),
    responses(
        (status = 200, description = "Imported (or, in a dry run, checked): what each row did", body = ImportReport),
        ParameterErrors, BodyErrors, AuthErrors, NotFoundError, (status = 409, description = "A concurrent import or edit stored a record these rows would duplicate: read the list again and import what is missing", body = crate::error::Problem, content_type = "application/problem+json"), CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/units/{id}/matters:import")]
pub async fn import_unit_matters(
    req: HttpRequest,
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let report = crate::api::import::into_unit(
        &req,
        ctx,
        &user,
        &pool,
        &id,
        &params,
        payload,
        import_matters,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// `?year=2026` (default: the current year in Asia/Shanghai).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// The year, 2000–2099.
    #[param(value_type = Option<i32>, example = 2026)]
    pub year: Option<String>,
}

/// A unit's coverage of its active matters within a year: which were experienced, when, and the
/// share (R2). Every signed-in account.
#[utoipa::path(
    tag = "matters",
    operation_id = "get_unit_coverage",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), CoverageParams),
    responses((status = 200, description = "The unit's coverage", body = Coverage), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/units/{id}/coverage")]
pub async fn get_unit_coverage(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    params: web::Query<CoverageParams>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    let unit = UnitId(parse_id(&id)?);
    let this_year = crate::domain::calendar::local_date(chrono::Utc::now()).year();
    let year = match params.year.as_deref() {
        None => this_year,
        Some(raw) => crate::api::query::parse_year(raw)?,
    };
    crate::api::units::must_exist(&pool, unit).await?;
    let coverage = crate::db::run(&pool, move |conn| {
        let matters: Vec<(String, String)> = store::of_unit(conn, &unit.to_string())?
            .into_iter()
            .filter(|m| m.active)
            .map(|m| (m.id, m.name))
            .collect();
        let experiences =
            crate::store::participations::experienced_matters(conn, &unit.to_string(), year)?;
        Ok(crate::domain::coverage::coverage(
            year,
            &matters,
            &experiences,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(coverage))
}
