//! Random draws (随机选取): the server snapshots the population, takes a seed (given, or from
//! the operating system), runs the documented algorithm (`domain::draw`) and stores it all, so
//! that anyone can re-run it (一公开). Draws are never changed or replaced: a second draw for
//! the same purpose is stored beside the first.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::api::service_records::parse_date;
use crate::api::units::parse_id;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, DbPool};
use crate::domain::draw::{
    self, DrawPurpose, Population, ALGORITHM, FOLLOW_UP_MIN, INSPECTION_MATTERS,
};
use crate::domain::service_record::three_months_before;
use crate::domain::unit::UnitId;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::draws::{self as store, DrawRow};

/// A draw to make.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"purpose": "inspection_matters", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "count": 3}))]
pub struct CreateDraw {
    /// What the draw is for.
    pub purpose: DrawPurpose,
    /// The unit (required for `inspection_matters` and `follow_up_contacts`).
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    /// For `follow_up_contacts`: people served in the 3 months before this local date
    /// (default today).
    #[schema(value_type = Option<String>, format = Date)]
    pub reference_date: Option<String>,
    /// How many to draw: `inspection_matters` 2–3 (default 2); `follow_up_contacts` at least 3
    /// (default 6); `inspection_targets` 1 or more (default 1).
    pub count: Option<u32>,
    /// A seed, 1–128 characters; without one, 32 random bytes from the operating system.
    #[validate(length(min = 1, max = 128))]
    pub seed: Option<String>,
    /// For `inspection_targets`: the list to draw from (1–10,000 entries of 1–200 characters).
    #[validate(length(min = 1, max = 10000))]
    pub targets: Option<Vec<String>>,
}

/// A stored draw: everything needed to re-run it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Draw {
    /// Its id.
    pub id: String,
    /// What it was for.
    pub purpose: DrawPurpose,
    /// The unit.
    pub unit_id: Option<String>,
    /// The reference date (`follow_up_contacts`).
    pub reference_date: Option<NaiveDate>,
    /// How many were drawn.
    pub count: u32,
    /// The population's ids in canonical order (sorted by their UTF-8 bytes).
    pub population: Vec<String>,
    /// SHA-256 of the ids joined by `\n`, hex.
    pub population_hash: String,
    /// The seed.
    pub seed: String,
    /// `given` or `os`.
    pub seed_source: String,
    /// The algorithm (see README, "Random draws").
    pub algorithm: String,
    /// The drawn ids, in draw order.
    pub result: Vec<String>,
    /// When (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Who drew.
    pub created_by: Option<String>,
}

impl Draw {
    fn from_row(r: DrawRow) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::internal(format!("draw {}: unreadable {what}", r.id));
        Ok(Draw {
            purpose: r.purpose.parse().map_err(|_| bad("purpose"))?,
            population: serde_json::from_str(&r.population).map_err(|_| bad("population"))?,
            result: serde_json::from_str(&r.result).map_err(|_| bad("result"))?,
            count: u32::try_from(r.draw_count).map_err(|_| bad("count"))?,
            unit_id: r.unit_id,
            reference_date: r.reference_date,
            population_hash: r.population_hash,
            seed: r.seed,
            seed_source: r.seed_source,
            algorithm: r.algorithm,
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
            id: r.id,
        })
    }
}

/// The outcome of re-running a draw from its stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DrawVerification {
    /// The draw.
    pub id: String,
    /// The stored population hashes to the stored hash.
    pub population_hash_matches: bool,
    /// Re-running gives the stored result.
    pub result_matches: bool,
    /// Both.
    pub verified: bool,
    /// The result of the re-run.
    pub recomputed: Vec<String>,
}

fn refuse(field: &str, code: &'static str, zh: String, en: String) -> AppError {
    AppError::Validation(vec![FieldIssue::new(field, code, zh, en)])
}

/// Makes a draw. The unit's own accounts draw for their unit; the lead of the activity and the
/// coordinator for any.
#[utoipa::path(
    tag = "draws",
    operation_id = "create_draw",
    request_body(content = CreateDraw, content_type = "application/json"),
    responses(
        (status = 201, description = "Drawn and stored", body = Draw, headers(("Location" = String, description = "The draw's URL"))),
        BodyErrors, AuthErrors, NotFoundError, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/draws")]
pub async fn create_draw(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateDraw>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner()?;
    let unit = b
        .unit_id
        .as_deref()
        .map(parse_id)
        .transpose()
        .map_err(|_| {
            refuse(
                "unit_id",
                "invalid_uuid",
                "须为 UUID".into(),
                "must be a UUID".into(),
            )
        })?
        .map(UnitId);
    let unit_key = unit.map(|u| u.to_string());
    let needs_unit = matches!(
        b.purpose,
        DrawPurpose::InspectionMatters | DrawPurpose::FollowUpContacts
    );
    if needs_unit && unit.is_none() {
        return Err(refuse(
            "unit_id",
            "required",
            "该用途须指明单位".into(),
            "this purpose needs a unit".into(),
        ));
    }
    policy::make_draw(&user, unit_key.as_deref(), b.purpose.activity())?;
    if b.purpose != DrawPurpose::InspectionTargets && b.targets.is_some() {
        return Err(refuse(
            "targets",
            "not_allowed",
            "只有 inspection_targets 给出名单".into(),
            "only inspection_targets takes a list".into(),
        ));
    }
    let today = crate::domain::calendar::local_date(chrono::Utc::now());
    let reference_date = match (b.purpose, b.reference_date.as_deref()) {
        (DrawPurpose::FollowUpContacts, None) => Some(today),
        (DrawPurpose::FollowUpContacts, Some(raw)) => {
            Some(parse_date(raw).filter(|d| *d <= today).ok_or_else(|| {
                refuse(
                    "reference_date",
                    "invalid_date",
                    "须为不晚于今天的日期 YYYY-MM-DD".into(),
                    "a date YYYY-MM-DD, not in the future".into(),
                )
            })?)
        }
        (_, Some(_)) => {
            return Err(refuse(
                "reference_date",
                "not_allowed",
                "只有 follow_up_contacts 需要参照日期".into(),
                "only follow_up_contacts takes a reference date".into(),
            ))
        }
        (_, None) => None,
    };
    let count = match b.purpose {
        DrawPurpose::InspectionMatters => {
            let c = b.count.unwrap_or(*INSPECTION_MATTERS.start());
            if !INSPECTION_MATTERS.contains(&c) {
                return Err(refuse(
                    "count",
                    "out_of_range",
                    "业务检查须随机选取 2 至 3 项事项（实施方案 二(一)2）".into(),
                    "a business inspection draws 2 to 3 matters (plan 二(一)2)".into(),
                ));
            }
            c
        }
        DrawPurpose::FollowUpContacts => {
            let c = b.count.unwrap_or(config.follow_up_draw_default);
            if c < FOLLOW_UP_MIN || c > config.follow_up_draw_max {
                let max = config.follow_up_draw_max;
                return Err(refuse("count", "out_of_range", format!("须为 {FOLLOW_UP_MIN} 到 {max}：有效回访不少于 3 个（实施方案 二(一)3）"), format!("from {FOLLOW_UP_MIN} to {max}: at least 3 valid calls are needed (plan 二(一)3)")));
            }
            c
        }
        DrawPurpose::InspectionTargets => {
            let c = b.count.unwrap_or(1);
            if c == 0 {
                return Err(refuse(
                    "count",
                    "out_of_range",
                    "至少 1".into(),
                    "at least 1".into(),
                ));
            }
            c
        }
    };
    let targets = match (b.purpose, b.targets) {
        (DrawPurpose::InspectionTargets, None) => {
            return Err(refuse(
                "targets",
                "required",
                "须给出名单".into(),
                "the list is required".into(),
            ))
        }
        (_, Some(t)) => {
            let t: Vec<String> = t.into_iter().map(|x| x.trim().to_owned()).collect();
            if let Some(i) = t
                .iter()
                .position(|x| x.is_empty() || x.chars().count() > 200)
            {
                return Err(refuse(
                    &format!("targets[{i}]"),
                    "length",
                    "须为 1 到 200 个字符".into(),
                    "1 to 200 characters".into(),
                ));
            }
            Some(t)
        }
        (_, None) => None,
    };
    // The drawn party must not pick the seed: it could search for the result it wants.
    if b.seed.is_some()
        && !matches!(
            user.role,
            crate::domain::account::Role::Coordinator | crate::domain::account::Role::Lead
        )
    {
        return Err(refuse(
            "seed",
            "not_allowed",
            "只有区营商办和牵头部门可以指定随机种子".into(),
            "only the coordinator and the leads may give a seed".into(),
        ));
    }
    let (seed, seed_source) = match b.seed {
        Some(s) => (s, "given"),
        None => (draw::os_seed(), "os"),
    };
    let purpose = b.purpose;
    let actx = ctx.audit(Some(&user));
    let created_by = user.id.clone();
    let row = crate::db::run(&pool, move |conn| {
        if let Some(u) = unit {
            if crate::store::units::get(conn, u)?.is_none() {
                return Err(AppError::NotFound { resource: "unit", id: u.to_string() });
            }
        }
        write_transaction(conn, |conn| {
            let ids: Vec<String> = match purpose {
                DrawPurpose::InspectionMatters => crate::store::matters::of_unit(conn, &unit_key.clone().unwrap_or_default())?
                    .into_iter()
                    .filter(|m| m.active && m.kind.is_service())
                    .map(|m| m.id)
                    .collect(),
                DrawPurpose::FollowUpContacts => {
                    let to = reference_date.unwrap_or(today);
                    crate::store::service_records::callable_ids(conn, &unit_key.clone().unwrap_or_default(), three_months_before(to), to)?
                }
                DrawPurpose::InspectionTargets => targets.clone().unwrap_or_default(),
            };
            let population = Population::new(ids);
            if population.ids.len() < count as usize {
                let n = population.ids.len();
                return Err(refuse("count", "population_too_small", format!("可供抽取的只有 {n} 个，少于要求的 {count} 个"), format!("only {n} to draw from, fewer than the {count} asked for")));
            }
            let result = draw::draw(&population, &seed, count as usize);
            let row = DrawRow {
                id: uuid::Uuid::now_v7().to_string(),
                purpose: purpose.as_str().into(),
                unit_id: unit_key.clone(),
                reference_date,
                draw_count: count as i32,
                population: serde_json::to_string(&population.ids).unwrap_or_default(),
                population_hash: population.hash.clone(),
                seed: seed.clone(),
                seed_source: seed_source.into(),
                algorithm: ALGORITHM.into(),
                result: serde_json::to_string(&result).unwrap_or_default(),
                created_at: crate::store::now(),
                created_by: Some(created_by.clone()),
            };
            store::insert(conn, &row)?;
            let changes = serde_json::json!({"purpose": {"before": null, "after": row.purpose}, "result": {"before": null, "after": result}, "population_hash": {"before": null, "after": row.population_hash}});
            audit::record(conn, &actx, AuditEntry { action: "draw.create", target_type: Some("draw"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    let drawn = Draw::from_row(row)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/draws/{}", drawn.id)))
        .json(drawn))
}

async fn load(pool: &DbPool, user: &AuthUser, raw_id: &str) -> Result<Draw, AppError> {
    let id = parse_id(raw_id)?.to_string();
    let lookup = id.clone();
    let row = crate::db::run(pool, move |conn| store::get(conn, &lookup))
        .await?
        .ok_or(AppError::NotFound {
            resource: "draw",
            id,
        })?;
    let drawn = Draw::from_row(row)?;
    policy::read_draw(user, drawn.unit_id.as_deref(), drawn.purpose.activity())?;
    Ok(drawn)
}

/// Reads a draw with its population, seed and result.
#[utoipa::path(
    tag = "draws",
    operation_id = "get_draw",
    params(("id" = String, Path, format = Uuid, description = "The draw's id")),
    responses((status = 200, description = "The draw", body = Draw), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/draws/{id}")]
pub async fn get_draw(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(load(&pool, &user, &id).await?))
}

/// Re-runs a draw from its stored snapshot and says whether it gives the stored result. Later
/// changes to the catalogue or records do not matter: the snapshot is what was drawn from.
#[utoipa::path(
    tag = "draws",
    operation_id = "get_draw_verification",
    params(("id" = String, Path, format = Uuid, description = "The draw's id")),
    responses((status = 200, description = "The verification", body = DrawVerification), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/draws/{id}/verify")]
pub async fn verify_draw(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = load(&pool, &user, &id).await?;
    let population = Population::new(d.population.clone());
    let population_hash_matches =
        population.hash == d.population_hash && population.ids == d.population;
    let recomputed = if d.algorithm == ALGORITHM {
        draw::draw(&population, &d.seed, d.count as usize)
    } else {
        Vec::new()
    };
    let result_matches = recomputed == d.result;
    Ok(HttpResponse::Ok().json(DrawVerification {
        id: d.id,
        population_hash_matches,
        result_matches,
        verified: population_hash_matches && result_matches,
        recomputed,
    }))
}

/// Query parameters of the draw list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDrawsParams {
    /// Only draws for this unit (a unit's own accounts see only their unit's).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// Only draws for this purpose.
    #[param(value_type = Option<DrawPurpose>)]
    pub purpose: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of draws.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DrawList {
    /// Draws, oldest first; every draw for a purpose is listed, none replaced.
    pub items: Vec<Draw>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Lists draws.
#[utoipa::path(
    tag = "draws",
    operation_id = "list_draws",
    params(ListDrawsParams),
    responses((status = 200, description = "One page of draws", body = DrawList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/draws")]
pub async fn list_draws(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListDrawsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let purpose = params.enumeration::<DrawPurpose>("purpose", p.purpose.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    let asked = params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    // A unit account reads its own unit's draws only.
    let unit = match (user.role, asked) {
        (crate::domain::account::Role::Unit, None) => user.unit_id.clone(),
        (_, u) => u,
    };
    if let Some(u) = &unit {
        policy::read_unit_record(&user, u, purpose.map(DrawPurpose::activity))?;
    }
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(
            conn,
            unit.as_deref(),
            purpose.map(DrawPurpose::as_str),
            after.as_deref(),
            limit,
        )
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    // Only the draws the caller may read (a lead: those of its activity).
    let items = rows
        .into_iter()
        .map(Draw::from_row)
        .filter(|d| {
            d.as_ref().map_or(true, |d| {
                policy::read_draw(&user, d.unit_id.as_deref(), d.purpose.activity()).is_ok()
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(DrawList { items, next_cursor }))
}
