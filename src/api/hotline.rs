//! The 12345 hotline (DOMAIN.md "12345 hotline data"; plan 一(四)2, 三(四)): work orders
//! imported from the hotline, the units they concentrate on (H1) and frozen as a quarter's
//! `complaint_concentrated` list, spikes that record immediate triggers (H2), and the figures a
//! head studies before the complaint analysis (C2). Unit aliases match the hotline's names.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::hotline_import::{for_each_row, spool, Importer, WorkOrderImport};
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::calendar::{local_date, Period, Quarter};
use crate::domain::hotline::{self as rules, OrderStatus, Spike, UnitRank};
use crate::error::{AppError, FieldIssue};
use crate::i18n::Lang;
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::hotline::{self as store, AliasRow, ConcentrationRow, SpikeRow};
use crate::store::schedules::TriggerRow;

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable hotline {what}"))
}

/// Query parameters of an import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The source system, one of `FRONTLINE_HOTLINE_SOURCES` (default: the first, `12345`):
    /// external ids are unique per source.
    pub source: Option<String>,
}

/// A spike found, with the trigger it recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpikeView {
    /// The numbers.
    #[serde(flatten)]
    pub spike: Spike,
    /// The immediate trigger recorded (R8).
    #[schema(format = Uuid)]
    pub trigger_id: String,
}

/// Imports 12345 work orders (the coordinator or the COMPLAINT lead): a CSV (UTF-8, with or
/// without BOM, or GB18030; columns by English or Chinese title) or a JSON array. A re-import
/// updates by source and external id and never duplicates; each bad row is reported and the
/// rest stored, all in one transaction; unmatched unit names are reported, not guessed. The
/// citizen's name and phone are not read, and mobile numbers in summaries are masked. Spikes are
/// scanned after the import.
#[utoipa::path(
    tag = "hotline",
    operation_id = "create_work_order_import",
    params(ImportParams),
    request_body(description = "CSV (`text/csv`, `charset=gb18030` for GB18030) or a JSON array (`application/json`) of work orders: external_id/工单编号, received_at/受理时间, unit/承办单位, category/诉求类别, channel/渠道, summary/诉求内容, status/办理状态, closed_at/办结时间, due_on/办理时限, on_time/是否按时办结, satisfaction/满意度", content(
        (String = "text/csv", example = "工单编号,受理时间,承办单位,诉求类别,办理状态\nBL2026110001,2026-11-20 09:30:00,区市场监管局,噪音,open\n"),
        (Vec<Object> = "application/json", example = json!([{"external_id": "BL2026110001", "received_at": "2026-11-20 09:30:00", "unit": "区市场监管局", "category": "噪音", "status": "open"}])),
    )),
    responses((status = 200, description = "What the import did", body = WorkOrderImport), ParameterErrors, BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/hotline/work-orders:import")]
pub async fn import_work_orders(
    req: HttpRequest,
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    policy::import_hotline(&user)?;
    let sources = &config.hotline.sources;
    let source = params
        .source
        .as_deref()
        .map(str::trim)
        .unwrap_or(sources.first().map_or("12345", String::as_str))
        .to_owned();
    if !sources.contains(&source) {
        return Err(AppError::invalid_parameter(
            "source",
            "unknown_source",
            format!("来源须为以下之一：{}", sources.join("、")),
            format!("the source is one of: {}", sources.join(", ")),
        ));
    }
    let mime = req
        .mime_type()
        .ok()
        .flatten()
        .ok_or(AppError::UnsupportedMediaType)?;
    let csv = mime.type_() == mime::TEXT && mime.subtype() == mime::CSV;
    let json = mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON);
    if !csv && !json {
        return Err(AppError::UnsupportedMediaType);
    }
    let charset = mime
        .get_param(mime::CHARSET)
        .map(|c| c.as_str().to_ascii_lowercase());
    let limit = config.hotline.import_max_bytes;
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let mut file = spool(payload, limit).await?;
    let lang = Lang::of(&req);
    let actx = ctx.audit(Some(&user));
    let config = config.into_inner();
    let by = user.account_id().map(str::to_owned);
    let report = crate::db::run(&pool, move |conn| {
        let mut report = write_transaction(conn, |conn| {
            // Imports of one source take turns, so that two never insert the same order.
            crate::db::lock_key(conn, &format!("work_orders:{source}"))?;
            let mut importer = Importer::new(conn, &source, lang, config.hotline.due_days)?;
            let max_rows = config.limits.hotline_rows;
            let mut seen = 0u32;
            let depth = config.limits.json_depth;
            let n = for_each_row(&mut file, csv, charset.as_deref(), depth, &mut |row| {
                // Past the limit the whole file is refused: its transaction writes nothing.
                seen += 1;
                if seen > max_rows {
                    return Err(AppError::Validation(vec![FieldIssue::new(
                        "rows",
                        "too_many",
                        format!("一个文件至多 {max_rows} 行"),
                        format!("at most {max_rows} rows in one file"),
                    )]));
                }
                importer.row(row)
            })?;
            if n == 0 {
                return Err(AppError::Validation(vec![FieldIssue::new("rows", "empty", "没有数据行", "no data rows")]));
            }
            let report = importer.finish()?;
            let changes = serde_json::json!({"source": {"before": null, "after": report.source}, "rows": {"before": null, "after": report.rows}, "created": {"before": null, "after": report.created}, "updated": {"before": null, "after": report.updated}, "rejected": {"before": null, "after": report.rejected}});
            audit::record(conn, &actx, AuditEntry { action: "work_order.import", target_type: Some("work_order"), target_id: None, changes: Some(changes), outcome: "success" })?;
            Ok(report)
        })?;
        // The import stands whatever the scan does; a failed scan is logged and reported.
        match scan(conn, &config, &actx, by.as_deref()) {
            Ok(spikes) => report.spikes = spikes,
            Err(e) => {
                log::warn!("spike scan after an import failed: {e}");
                report.spike_scan_failed = true;
            }
        }
        Ok(report)
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Finds the spikes of the window ending today (H2) and records a trigger for each new one: a
/// unit and category whose window overlaps one already recorded records nothing again.
pub fn scan(
    conn: &mut AnyConnection,
    config: &Config,
    actx: &AuditCtx,
    by: Option<&str>,
) -> Result<Vec<SpikeView>, AppError> {
    let rule = config.hotline.spike;
    let today = local_date(Utc::now());
    let span = i64::from(rule.window_days) * (i64::from(rule.baseline_windows) + 1);
    let orders = store::received_since(conn, today - chrono::Duration::days(span - 1))?;
    let found = rules::spikes(&orders, today, rule);
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let count = config.day_count("immediate_response");
    let calendar = crate::store::reports::calendar_for(conn, count)?;
    let days = config.immediate_response_days;
    write_transaction(conn, |conn| {
        crate::db::lock_key(conn, "hotline_spikes")?;
        let recorded = store::recent_spikes(conn, rules::window_from(today, rule))?;
        let mut out = Vec::new();
        for s in found {
            if recorded.contains(&(s.unit_id.clone(), s.category.clone())) {
                continue;
            }
            let now = crate::store::now();
            let trigger = TriggerRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: s.unit_id.clone(),
                reason: crate::domain::trigger::TriggerReason::ComplaintSpike
                    .as_str()
                    .into(),
                description: format!(
                    "12345 热线“{}”类投诉 {} 至 {} 共 {} 件，前 {} 个周期平均 {:.1} 件",
                    s.category,
                    s.window_from,
                    s.window_to,
                    s.count,
                    s.baseline.len(),
                    s.baseline_mean
                ),
                raised_on: today,
                due_on: calendar.add(today, days, count),
                created_by: by.map(str::to_owned),
                created_at: now,
            };
            crate::store::schedules::insert_trigger(conn, &trigger)?;
            store::insert_spike(
                conn,
                &SpikeRow {
                    spike_key: format!("{}:{}:{}", s.unit_id, s.category, s.window_to),
                    unit_id: s.unit_id.clone(),
                    category: s.category.clone(),
                    window_from: s.window_from,
                    window_to: s.window_to,
                    order_count: s.count as i32,
                    baseline: serde_json::to_string(&s.baseline)
                        .map_err(|e| AppError::internal(e.to_string()))?,
                    trigger_id: trigger.id.clone(),
                    created_at: now,
                },
            )?;
            let changes = serde_json::json!({"reason": {"before": null, "after": trigger.reason}, "due_on": {"before": null, "after": trigger.due_on}, "category": {"before": null, "after": s.category}, "count": {"before": null, "after": s.count}, "baseline_mean": {"before": null, "after": s.baseline_mean}});
            audit::record(
                conn,
                actx,
                AuditEntry {
                    action: "trigger.create",
                    target_type: Some("trigger"),
                    target_id: Some(&trigger.id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            crate::store::webhooks::emit(
                conn,
                crate::domain::webhook::EventType::TriggerCreated,
                serde_json::json!({"trigger_id": trigger.id, "unit_id": trigger.unit_id, "reason": trigger.reason, "raised_on": trigger.raised_on, "due_on": trigger.due_on, "category": s.category}),
            )?;
            out.push(SpikeView {
                spike: s,
                trigger_id: trigger.id,
            });
        }
        Ok(out)
    })
}

/// The spikes a scan recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpikeScan {
    /// The last day of the window scanned (today).
    pub window_to: NaiveDate,
    /// New spikes, each with its trigger.
    pub spikes: Vec<SpikeView>,
}

/// Scans for spikes now (the coordinator or the COMPLAINT lead): per unit and category, the
/// orders of the last `FRONTLINE_HOTLINE_SPIKE_WINDOW_DAYS` days against the mean of the windows
/// before; each new spike records one immediate trigger, never twice for one window.
#[utoipa::path(
    tag = "hotline",
    operation_id = "create_spike_scan",
    responses((status = 200, description = "The new spikes", body = SpikeScan), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/hotline/spike-scan")]
pub async fn create_spike_scan(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    policy::import_hotline(&user)?;
    let actx = ctx.audit(Some(&user));
    let config = config.into_inner();
    let spikes = crate::db::run(&pool, move |conn| {
        scan(conn, &config, &actx, user.account_id())
    })
    .await?;
    Ok(HttpResponse::Ok().json(SpikeScan {
        window_to: local_date(Utc::now()),
        spikes,
    }))
}

/// The spikes recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpikeList {
    /// The latest first (at most 200).
    pub items: Vec<SpikeView>,
}

/// Lists the spikes recorded, with the numbers that caused each and its trigger: the
/// coordinator, leaders, admins and the COMPLAINT lead see all; any other account its unit's.
#[utoipa::path(
    tag = "hotline",
    operation_id = "list_hotline_spikes",
    responses((status = 200, description = "The spikes", body = SpikeList), AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/hotline/spikes")]
pub async fn list_hotline_spikes(
    user: AuthUser,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let only = policy::hotline_scope(&user);
    let rows = crate::db::run(&pool, move |conn| store::spikes(conn, only.as_deref(), 200)).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let baseline: Vec<u32> = serde_json::from_str(&r.baseline).map_err(|_| bad("spike"))?;
            let mean = if baseline.is_empty() {
                0.0
            } else {
                f64::from(baseline.iter().sum::<u32>()) / baseline.len() as f64
            };
            Ok(SpikeView {
                spike: Spike {
                    unit_id: r.unit_id,
                    category: r.category,
                    window_from: r.window_from,
                    window_to: r.window_to,
                    count: u32::try_from(r.order_count).unwrap_or(0),
                    baseline,
                    baseline_mean: mean,
                },
                trigger_id: r.trigger_id,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(HttpResponse::Ok().json(SpikeList { items }))
}

/// A unit's other name.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Alias {
    /// The name as imported data writes it.
    pub alias: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// When it was added (UTC).
    pub created_at: DateTime<Utc>,
}

/// An alias to add.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"alias": "碑林区城管局"}))]
pub struct CreateAlias {
    /// The name, 1–200 characters, not another unit's name or alias.
    #[validate(length(min = 1, max = 200))]
    pub alias: String,
}

/// The aliases of a unit.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AliasList {
    /// By name.
    pub items: Vec<Alias>,
}

fn alias_of(r: AliasRow) -> Alias {
    Alias {
        alias: r.alias,
        unit_id: r.unit_id,
        created_at: crate::store::utc(r.created_at),
    }
}

/// Adds another name a unit goes by in imported data (admin, coordinator, COMPLAINT lead); a
/// unit's name or short code cannot be another unit's alias.
#[utoipa::path(
    tag = "hotline",
    operation_id = "create_unit_alias",
    params(("id" = String, Path, format = Uuid, description = "The unit's id")),
    request_body(content = CreateAlias, content_type = "application/json"),
    responses((status = 201, description = "Added", body = Alias), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/units/{id}/aliases")]
pub async fn create_unit_alias(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<CreateAlias>,
) -> Result<HttpResponse, AppError> {
    policy::write_units(&user).or_else(|_| policy::manage_hotline(&user))?;
    let unit = crate::domain::unit::UnitId(crate::api::units::parse_id(&id)?);
    let b = body.into_inner()?;
    let alias = b.alias.trim().to_owned();
    if alias.is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "alias",
            "blank",
            "不能为空",
            "must not be blank",
        )]));
    }
    crate::api::units::must_exist(&pool, unit).await?;
    let actx = ctx.audit(Some(&user));
    let row = AliasRow {
        alias,
        unit_id: unit.to_string(),
        created_by: user.account_id().map(str::to_owned),
        created_at: crate::store::now(),
    };
    let row = crate::db::run(&pool, move |conn| {
        if crate::store::units::find_by_key(conn, &row.alias)?.is_some() {
            return Err(AppError::Conflict {
                constraint: "unit_aliases_pkey".into(),
            });
        }
        write_transaction(conn, |conn| {
            store::insert_alias(conn, &row)?;
            let changes = serde_json::json!({"alias": {"before": null, "after": row.alias}});
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "unit.alias",
                    target_type: Some("unit"),
                    target_id: Some(&row.unit_id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(alias_of(row)))
}

/// Lists a unit's aliases (every signed-in account).
#[utoipa::path(
    tag = "hotline",
    operation_id = "list_unit_aliases",
    params(("id" = String, Path, format = Uuid, description = "The unit's id")),
    responses((status = 200, description = "The aliases", body = AliasList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/units/{id}/aliases")]
pub async fn list_unit_aliases(
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    policy::read_catalogue(&user)?;
    let unit = crate::domain::unit::UnitId(crate::api::units::parse_id(&id)?);
    crate::api::units::must_exist(&pool, unit).await?;
    let rows = crate::db::run(&pool, move |conn| {
        store::aliases_of(conn, &unit.to_string())
    })
    .await?;
    Ok(HttpResponse::Ok().json(AliasList {
        items: rows.into_iter().map(alias_of).collect(),
    }))
}

/// Query parameters of the ranking.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// A quarter `2026-Q3`, a month `2026-07`, a year `2026` or `2026-07-01..2026-09-30`.
    pub period: Option<String>,
}

/// The ranking of a period (H1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ranking {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The day open orders are judged overdue at: today (their status is today's).
    pub as_of: NaiveDate,
    /// All the period's orders.
    pub total: u32,
    /// The rule that cuts the concentration list.
    pub rule: rules::ConcentrationRule,
    /// Units with orders, most first (a unit account: its own line only).
    pub units: Vec<UnitRank>,
    /// The units on the `complaint_concentrated` list (a unit account: itself, if listed).
    pub concentrated: Vec<String>,
}

/// The whole ranking of `period` (H1), judged at `as_of`.
pub fn compute_ranking(
    conn: &mut AnyConnection,
    period: Period,
    as_of: NaiveDate,
    rule: rules::ConcentrationRule,
) -> Result<Ranking, AppError> {
    let rows = store::facts_between(conn, period.from, period.to)?;
    let units: Vec<(String, String)> =
        crate::store::units::list(conn, &Default::default(), None, 100_000)?
            .items
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect();
    let ranks = rules::ranking(&units, &rows, as_of, rule);
    Ok(Ranking {
        from: period.from,
        to: period.to,
        as_of,
        total: rows.len() as u32,
        rule,
        concentrated: ranks
            .iter()
            .filter(|r| r.concentrated)
            .map(|r| r.unit_id.clone())
            .collect(),
        units: ranks,
    })
}

/// Where the period's complaints concentrate (H1): per unit the count, share, count per
/// category, the on-time rate (closed on time ÷ (closed + open and overdue)) and the
/// satisfaction rate; the units at or above `FRONTLINE_HOTLINE_CONCENTRATION_SHARE` of all orders
/// or ranked within `FRONTLINE_HOTLINE_CONCENTRATION_TOP` form the `complaint_concentrated` list.
/// A unit account sees its own line only.
#[utoipa::path(
    tag = "hotline",
    operation_id = "get_hotline_ranking",
    params(RankingParams),
    responses((status = 200, description = "The ranking", body = Ranking), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/hotline/ranking")]
pub async fn get_hotline_ranking(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<RankingParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let period = p.period("period", params.period.as_deref());
    p.finish()?;
    let period = period.ok_or_else(|| bad("period"))?;
    // Statuses are today's, so open orders are judged overdue as of today.
    let as_of = local_date(Utc::now());
    let rule = config.hotline.concentration;
    let only = policy::hotline_scope(&user);
    let mut ranking = crate::db::run(&pool, move |conn| {
        compute_ranking(conn, period, as_of, rule)
    })
    .await?;
    if let Some(u) = only {
        ranking.units.retain(|r| r.unit_id == u);
        ranking.concentrated.retain(|c| *c == u);
    }
    Ok(HttpResponse::Ok().json(ranking))
}

/// A quarter's list to freeze.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quarter": "2026-Q4", "period": "2026-Q3"}))]
pub struct CreateConcentrationList {
    /// The quarter whose COMPLAINT plan and R1 use the list, like `2026-Q4`.
    pub quarter: String,
    /// The period whose orders are ranked (default: the quarter before).
    pub period: Option<String>,
}

/// A frozen `complaint_concentrated` list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConcentrationList {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The quarter it is for.
    pub quarter: String,
    /// The period ranked.
    pub period: String,
    /// The units listed.
    pub unit_ids: Vec<String>,
    /// The ranking it was cut from.
    pub ranking: Ranking,
    /// When it was frozen (UTC).
    pub created_at: DateTime<Utc>,
}

fn list_of(r: ConcentrationRow) -> Result<ConcentrationList, AppError> {
    Ok(ConcentrationList {
        unit_ids: serde_json::from_str(&r.unit_ids).map_err(|_| bad("list"))?,
        ranking: serde_json::from_str(&r.ranking).map_err(|_| bad("ranking"))?,
        created_at: crate::store::utc(r.created_at),
        id: r.id,
        quarter: r.quarter,
        period: r.period,
    })
}

/// Freezes a quarter's `complaint_concentrated` list from the ranking of an ended period (the
/// coordinator or the COMPLAINT lead), before that quarter ends: the quarter's COMPLAINT plan
/// must then cover these units, and R1 requires COMPLAINT of them. A later list for the same
/// quarter replaces it; every list stays readable.
#[utoipa::path(
    tag = "hotline",
    operation_id = "create_concentration_list",
    request_body(content = CreateConcentrationList, content_type = "application/json"),
    responses((status = 201, description = "Frozen", body = ConcentrationList), BodyErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/hotline/concentration-lists")]
pub async fn create_concentration_list(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateConcentrationList>,
) -> Result<HttpResponse, AppError> {
    policy::manage_hotline(&user)?;
    let b = body.into_inner()?;
    let mut issues = Vec::new();
    let quarter = b
        .quarter
        .parse::<Quarter>()
        .map_err(|_| issues.push(crate::api::query::quarter_issue("quarter")))
        .ok();
    let today = local_date(Utc::now());
    let period = match (b.period.as_deref(), quarter) {
        (Some(p), _) => match p.parse::<Period>() {
            Ok(p) => Some((p, b.period.clone().unwrap_or_default())),
            Err(_) => {
                issues.push(FieldIssue::new(
                    "period",
                    "invalid_period",
                    "须为已结束的月份、季度、年份或日期区间",
                    "a period that has ended: a month, quarter, year or date range",
                ));
                None
            }
        },
        (None, Some(q)) => Some((
            Period {
                from: q.prev().first_day(),
                to: q.prev().last_day(),
            },
            q.prev().to_string(),
        )),
        (None, None) => None,
    };
    if let Some(q) = quarter {
        issues.extend(rules::freeze_problems(
            q,
            period.as_ref().map(|(p, _)| p.to),
            today,
        ));
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let (quarter, (period, period_name)) = quarter.zip(period).ok_or_else(|| bad("list"))?;
    let as_of = today;
    let rule = config.hotline.concentration;
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        let ranking = compute_ranking(conn, period, as_of, rule)?;
        let row = ConcentrationRow {
            id: uuid::Uuid::now_v7().to_string(),
            quarter: quarter.to_string(),
            period: period_name,
            unit_ids: serde_json::to_string(&ranking.concentrated).map_err(|e| AppError::internal(e.to_string()))?,
            ranking: serde_json::to_string(&ranking).map_err(|e| AppError::internal(e.to_string()))?,
            rule: serde_json::to_string(&rule).map_err(|e| AppError::internal(e.to_string()))?,
            created_by: user.account_id().map(str::to_owned),
            created_at: crate::store::now(),
        };
        write_transaction(conn, |conn| {
            store::insert_list(conn, &row)?;
            let changes = serde_json::json!({"quarter": {"before": null, "after": row.quarter}, "units": {"before": null, "after": ranking.concentrated}});
            audit::record(conn, &actx, AuditEntry { action: "concentration_list.create", target_type: Some("concentration_list"), target_id: Some(&row.id), changes: Some(changes), outcome: "success" })?;
            Ok(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(list_of(row)?))
}

/// Query parameters of the frozen lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListConcentrationParams {
    /// Only this quarter's, like `2026-Q4`.
    pub quarter: Option<String>,
}

/// The frozen lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConcentrationLists {
    /// Oldest first; the last of a quarter is the one in force.
    pub items: Vec<ConcentrationList>,
}

/// Lists the frozen `complaint_concentrated` lists (every signed-in account: the list is the
/// programme's, the ranking behind it is shown whole only to those who read every unit's).
#[utoipa::path(
    tag = "hotline",
    operation_id = "list_concentration_lists",
    params(ListConcentrationParams),
    responses((status = 200, description = "The lists", body = ConcentrationLists), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/hotline/concentration-lists")]
pub async fn list_concentration_lists(
    user: AuthUser,
    pool: web::Data<DbPool>,
    params: web::Query<ListConcentrationParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let quarter = p.quarter("quarter", params.quarter.as_deref());
    p.finish()?;
    let rows = crate::db::run(&pool, move |conn| {
        store::lists(conn, quarter.map(|q| q.to_string()).as_deref())
    })
    .await?;
    let only = policy::hotline_scope(&user);
    let mut items = rows
        .into_iter()
        .map(list_of)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(u) = only {
        for l in &mut items {
            l.ranking.units.retain(|r| r.unit_id == u);
            l.ranking.concentrated.retain(|c| *c == u);
        }
    }
    Ok(HttpResponse::Ok().json(ConcentrationLists { items }))
}

/// Query parameters of a unit's hotline figures.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HotlineStatsParams {
    /// The unit.
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// A quarter `2026-Q3`, a month, a year or `2026-07-01..2026-09-30`.
    pub period: Option<String>,
}

/// A typical case: one of the latest orders of a top category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TypicalCase {
    /// The source's id.
    pub external_id: String,
    /// Category.
    pub category: String,
    /// When received (UTC).
    pub received_at: DateTime<Utc>,
    /// What it is about (mobile numbers masked).
    pub summary: Option<String>,
    /// `open` or `closed`.
    pub status: OrderStatus,
}

/// A unit's hotline figures for the complaint analysis (C2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HotlineStats {
    /// The unit.
    pub unit_id: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Orders in the period.
    pub total: u32,
    /// Orders per category, most first.
    pub by_category: Vec<CategoryCount>,
    /// Orders per month (`2026-07`) and category.
    pub by_month: BTreeMap<String, BTreeMap<String, u32>>,
    /// The latest orders of the three top categories (`FRONTLINE_HOTLINE_TYPICAL_CASES` each).
    pub typical_cases: Vec<TypicalCase>,
}

/// A category's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryCount {
    /// Category.
    pub category: String,
    /// Orders.
    pub count: u32,
}

/// What a head studies before the complaint analysis (C2): the unit's orders by category and by
/// month, and the typical cases (the latest orders of its top three categories). The
/// coordinator, leaders, admins and the COMPLAINT lead read any unit's; an account its own.
#[utoipa::path(
    tag = "hotline",
    operation_id = "get_hotline_stats",
    params(HotlineStatsParams),
    responses((status = 200, description = "The figures", body = HotlineStats), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/hotline/stats")]
pub async fn get_hotline_stats(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<HotlineStatsParams>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let unit = p.uuid("unit_id", params.unit_id.as_deref());
    if params.unit_id.is_none() {
        p.refuse(FieldIssue::new(
            "unit_id",
            "required",
            "须指定单位",
            "the unit is required",
        ));
    }
    let period = p.period("period", params.period.as_deref());
    p.finish()?;
    let (unit, period) = unit.zip(period).ok_or_else(|| bad("parameters"))?;
    if policy::hotline_scope(&user).is_some_and(|own| own != unit) {
        return Err(AppError::Forbidden { code: "unit" });
    }
    let unit_id = crate::domain::unit::UnitId(crate::api::units::parse_id(&unit)?);
    crate::api::units::must_exist(&pool, unit_id).await?;
    let n = config.hotline.typical_cases as usize;
    let rows = {
        let unit = unit.clone();
        crate::db::run(&pool, move |conn| {
            store::between(conn, period.from, period.to, Some(&unit))
        })
        .await?
    };
    let mut counts: HashMap<String, u32> = HashMap::new();
    let mut by_month: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for r in &rows {
        *counts.entry(r.category.clone()).or_default() += 1;
        *by_month
            .entry(r.received_on.format("%Y-%m").to_string())
            .or_default()
            .entry(r.category.clone())
            .or_default() += 1;
    }
    let mut by_category: Vec<CategoryCount> = counts
        .into_iter()
        .map(|(category, count)| CategoryCount { category, count })
        .collect();
    by_category.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    let mut typical_cases = Vec::new();
    for c in by_category.iter().take(3) {
        for r in rows
            .iter()
            .rev()
            .filter(|r| r.category == c.category)
            .take(n)
        {
            typical_cases.push(TypicalCase {
                external_id: r.external_id.clone(),
                category: r.category.clone(),
                received_at: crate::store::utc(r.received_at),
                summary: r.summary.clone(),
                status: r.status.parse().map_err(|_| bad("status"))?,
            });
        }
    }
    Ok(HttpResponse::Ok().json(HotlineStats {
        unit_id: unit,
        from: period.from,
        to: period.to,
        total: rows.len() as u32,
        by_category,
        by_month,
        typical_cases,
    }))
}
