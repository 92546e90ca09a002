//! Service records (办件/咨询记录): the people a unit served, from whom follow-up calls are
//! drawn. Phone numbers are shown in full only to the unit's own accounts and masked
//! (`138****1234`) to everyone else; they never enter the log or the audit log, and are purged
//! after the retention period.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::import::{ImportParams, ImportReport, ImportedRow, Row};
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::api::units::parse_id;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::service_record::{
    mask_phone, normalize_phone, plausible_service_date, ServiceKind,
};
use crate::domain::unit::{Activity, UnitId};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::service_records::{self as store, NewServiceRecord, ServiceRecordRow};

/// A service record as shown to the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0190b7e2-8c1a-7cc3-9a51-5f2e3d4c5b6a", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "matter_id": "0190b7e2-8c1a-7cc3-9a51-4f2e3d4c5b6a", "served_on": "2026-10-12", "kind": "application",
    "contact_name": "张先生", "phone": "138****8000", "phone_masked": true, "purged": false
}))]
pub struct ServiceRecord {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The unit that served the person.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The matter, if known.
    #[schema(format = Uuid)]
    pub matter_id: Option<String>,
    /// The local date served.
    pub served_on: NaiveDate,
    /// Consultation or application.
    pub kind: ServiceKind,
    /// The person's name (none once purged).
    pub contact_name: Option<String>,
    /// The phone: in full for the unit's own accounts, masked for everyone else; none once purged.
    pub phone: Option<String>,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    /// Whether the personal data was purged after the retention period.
    pub purged: bool,
}

impl ServiceRecord {
    /// The record as `user` may see it.
    pub fn shown_to(row: ServiceRecordRow, user: &AuthUser) -> Self {
        let full = policy::sees_phones(user, &row.unit_id);
        ServiceRecord {
            phone: row.phone.map(|p| if full { p } else { mask_phone(&p) }),
            phone_masked: !full,
            purged: row.purged_at.is_some(),
            id: row.id,
            unit_id: row.unit_id,
            matter_id: row.matter_id,
            served_on: row.served_on,
            kind: row.kind,
            contact_name: row.contact_name,
        }
    }
}

/// A new service record.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"served_on": "2026-10-12", "kind": "application", "matter": "律师事务所设立许可", "contact_name": "张先生", "phone": "138 0013 8000"}))]
pub struct CreateServiceRecord {
    /// The local date served (YYYY-MM-DD), not in the future.
    pub served_on: String,
    /// Consultation or application.
    pub kind: ServiceKind,
    /// The matter's exact name in the unit's catalogue, if known.
    pub matter: Option<String>,
    /// The person's name, up to 50 characters.
    #[validate(length(max = 50))]
    pub contact_name: Option<String>,
    /// A mainland mobile or fixed-line number.
    pub phone: Option<String>,
}

/// One page of service records.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ServiceRecordList {
    /// The records, oldest first.
    pub items: Vec<ServiceRecord>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Query parameters of the record list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRecordsParams {
    /// Served on or after (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Served on or before (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Parses a local date: exactly `YYYY-MM-DD` or `YYYY/MM/DD` (as spreadsheets write it), with
/// a year from 2000 to 2099; anything else is refused, never passed to the database.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && (b[4] == b'-' && b[7] == b'-' || b[4] == b'/' && b[7] == b'/')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let normalized = raw.replace('/', "-");
    NaiveDate::parse_from_str(&normalized, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2099).contains(&chrono::Datelike::year(d)))
}

fn today() -> NaiveDate {
    crate::domain::calendar::local_date(chrono::Utc::now())
}

/// One record's fields as given (by a request body or an import row).
struct RecordInput<'a> {
    served_on: Option<&'a str>,
    kind: Option<Result<ServiceKind, String>>,
    matter: Option<&'a str>,
    contact_name: Option<&'a str>,
    phone: Option<&'a str>,
}

/// A service record kept elsewhere (an import), recorded when it was: a follow-up call of a
/// past participation names it (R5), and a check of a past quarter counts it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SCJG-FW-2026-0311", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "served_on": "2026-03-11", "kind": "application", "matter": "食品经营许可", "contact_name": "张先生", "phone": "138 0013 8000"}))]
pub struct ServiceRecordRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The local date served (YYYY-MM-DD), not in the future.
    pub served_on: String,
    /// Consultation or application.
    pub kind: ServiceKind,
    /// The matter's exact name in the unit's catalogue, if known.
    pub matter: Option<String>,
    /// The person's name, up to 50 characters.
    pub contact_name: Option<String>,
    /// A mainland mobile or fixed-line number.
    pub phone: Option<String>,
    /// When it was recorded (default: 18:00 Beijing time on `served_on`); not before that
    /// day, not in the future.
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Writes a past service record (an import). Problems name fields.
pub(crate) fn write_past(
    conn: &mut AnyConnection,
    r: &ServiceRecordRecord,
) -> Result<String, AppError> {
    let matters = matter_names(conn, &r.unit_id)?;
    let mut issues = Vec::new();
    let input = RecordInput {
        served_on: Some(&r.served_on),
        kind: Some(Ok(r.kind)),
        matter: r.matter.as_deref(),
        contact_name: r.contact_name.as_deref(),
        phone: r.phone.as_deref(),
    };
    let record = record_fields(input, &matters, &|f: &str| f.to_owned(), &mut issues);
    let Some(record) = record.filter(|_| issues.is_empty()) else {
        return Err(AppError::Validation(issues));
    };
    let day_start = crate::domain::calendar::start_of_day(record.served_on);
    let at = r
        .recorded_at
        .unwrap_or(day_start + chrono::Duration::hours(18))
        .min(chrono::Utc::now());
    if r.recorded_at
        .is_some_and(|t| t < day_start || t > chrono::Utc::now())
    {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "recorded_at",
            "out_of_order",
            "须在服务当日之后、不晚于当前时间",
            "must be on or after the day served and not in the future",
        )]));
    }
    use chrono::SubsecRound;
    let ids = store::insert_at(conn, &r.unit_id, &[record], at.trunc_subsecs(6).naive_utc())?;
    ids.into_iter()
        .next()
        .ok_or_else(|| AppError::internal("no record inserted"))
}

/// Checks one record's fields against the unit's matters (name → id); `at` names a field.
fn record_fields(
    input: RecordInput<'_>,
    matters: &HashMap<String, String>,
    at: &dyn Fn(&str) -> String,
    issues: &mut Vec<FieldIssue>,
) -> Option<NewServiceRecord> {
    let RecordInput {
        served_on,
        kind,
        matter,
        contact_name,
        phone,
    } = input;
    let before = issues.len();
    let served_on = match served_on.map(parse_date) {
        Some(Some(d)) if plausible_service_date(d, today()) => Some(d),
        Some(_) => {
            issues.push(FieldIssue::new(
                at("served_on"),
                "invalid_date",
                "须为不晚于今天的日期 YYYY-MM-DD",
                "a date YYYY-MM-DD, not in the future",
            ));
            None
        }
        None => {
            issues.push(FieldIssue::new(
                at("served_on"),
                "required",
                "必填",
                "required",
            ));
            None
        }
    };
    let kind = match kind {
        Some(Ok(k)) => Some(k),
        Some(Err(expected)) => {
            issues.push(FieldIssue::new(
                at("kind"),
                "invalid_enum",
                format!("须为以下之一：{expected}"),
                format!("must be one of: {expected}"),
            ));
            None
        }
        None => {
            issues.push(FieldIssue::new(at("kind"), "required", "必填", "required"));
            None
        }
    };
    let matter_id = match matter.map(str::trim).filter(|m| !m.is_empty()) {
        None => None,
        Some(name) => match matters.get(name) {
            Some(id) => Some(id.clone()),
            None => {
                issues.push(FieldIssue::new(
                    at("matter"),
                    "unknown_matter",
                    "本单位事项目录中没有该事项",
                    "no matter of this name in the unit's catalogue",
                ));
                None
            }
        },
    };
    let contact_name = contact_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if contact_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 50)
    {
        issues.push(FieldIssue::new(
            at("contact_name"),
            "length",
            "不得超过 50 个字符",
            "at most 50 characters",
        ));
    }
    let phone = match phone.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        // The number itself is never echoed in the error: it is personal data.
        Some(p) => match normalize_phone(p) {
            Some(n) => Some(n),
            None => {
                issues.push(FieldIssue::new(
                    at("phone"),
                    "invalid_phone",
                    "须为手机号或固定电话号码",
                    "a mobile or fixed-line number",
                ));
                None
            }
        },
    };
    if issues.len() > before {
        return None;
    }
    Some(NewServiceRecord {
        matter_id,
        served_on: served_on?,
        kind: kind?,
        contact_name,
        phone,
    })
}

fn matter_names(conn: &mut AnyConnection, unit: &str) -> Result<HashMap<String, String>, AppError> {
    Ok(crate::store::matters::of_unit(conn, unit)?
        .into_iter()
        .map(|m| (m.name, m.id))
        .collect())
}

/// Stores records with one audit record that counts them (phones never enter the audit log).
fn store_records(
    conn: &mut AnyConnection,
    unit: &str,
    records: &[NewServiceRecord],
    action: &str,
    actx: &AuditCtx,
) -> Result<Vec<String>, AppError> {
    write_transaction(conn, |conn| {
        let ids = store::insert(conn, unit, records)?;
        let target = if ids.len() == 1 {
            ("service_record", ids[0].as_str())
        } else {
            ("unit", unit)
        };
        let changes = serde_json::json!({"records": {"before": null, "after": ids.len()}});
        audit::record(
            conn,
            actx,
            AuditEntry {
                action,
                target_type: Some(target.0),
                target_id: Some(target.1),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
        Ok(ids)
    })
}

/// Lists a unit's service records: its own accounts see phones in full; the coordinator,
/// leaders, admins and the WINDOW lead see them masked.
#[utoipa::path(
    tag = "service-records",
    operation_id = "list_service_records",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), ListRecordsParams),
    responses((status = 200, description = "One page of records", body = ServiceRecordList), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/units/{id}/service-records")]
pub async fn list_service_records(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    params: web::Query<ListRecordsParams>,
) -> Result<HttpResponse, AppError> {
    let unit = UnitId(parse_id(&id)?);
    policy::read_unit_record(&user, &unit.to_string(), Some(Activity::Window))?;
    let p = params.into_inner();
    let mut params = Params::default();
    let mut date = |field: &str, raw: Option<&str>| {
        raw.and_then(|r| {
            parse_date(r).or_else(|| {
                params.refuse(FieldIssue::new(
                    field,
                    "invalid_date",
                    "须为 YYYY-MM-DD",
                    "a date YYYY-MM-DD",
                ));
                None
            })
        })
    };
    let (from, to) = (date("from", p.from.as_deref()), date("to", p.to.as_deref()));
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    crate::api::units::must_exist(&pool, unit).await?;
    let (rows, more) = crate::db::run(&pool, move |conn| {
        store::list(conn, &unit.to_string(), from, to, after.as_deref(), limit)
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| ServiceRecord::shown_to(r, &user))
        .collect();
    Ok(HttpResponse::Ok().json(ServiceRecordList { items, next_cursor }))
}

/// Records a person the unit served (the unit's own accounts, the coordinator).
#[utoipa::path(
    tag = "service-records",
    operation_id = "create_service_record",
    params(("id" = String, Path, format = Uuid, description = "The unit's id")),
    request_body(content = CreateServiceRecord, content_type = "application/json"),
    responses((status = 201, description = "Recorded", body = ServiceRecord), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[post("/units/{id}/service-records")]
pub async fn create_service_record(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<CreateServiceRecord>,
) -> Result<HttpResponse, AppError> {
    let unit = UnitId(parse_id(&id)?);
    policy::manage_unit_data(&user, &unit.to_string())?;
    crate::api::units::must_exist(&pool, unit).await?;
    let b = body.into_inner()?;
    let actx = ctx.audit(Some(&user));
    let row = crate::db::run(&pool, move |conn| {
        let unit = unit.to_string();
        let matters = matter_names(conn, &unit)?;
        let mut issues = Vec::new();
        let input = RecordInput {
            served_on: Some(&b.served_on),
            kind: Some(Ok(b.kind)),
            matter: b.matter.as_deref(),
            contact_name: b.contact_name.as_deref(),
            phone: b.phone.as_deref(),
        };
        let record = record_fields(input, &matters, &|f: &str| f.to_owned(), &mut issues);
        let Some(record) = record.filter(|_| issues.is_empty()) else {
            return Err(AppError::Validation(issues));
        };
        let ids = store_records(conn, &unit, &[record], "service_record.create", &actx)?;
        let id = ids
            .first()
            .ok_or_else(|| AppError::internal("no record inserted"))?;
        store::get(conn, id)?.ok_or_else(|| AppError::internal("inserted record not found"))
    })
    .await?;
    Ok(HttpResponse::Created().json(ServiceRecord::shown_to(row, &user)))
}

fn import_records(
    conn: &mut AnyConnection,
    unit: &str,
    rows: &[Row],
    dry_run: bool,
    actx: &AuditCtx,
) -> Result<ImportReport, AppError> {
    let matters = matter_names(conn, unit)?;
    let mut issues = Vec::new();
    let mut records = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let kind = row
            .get("kind")
            .map(|k| ServiceKind::from_str(k).map_err(|e| e.expected));
        let at = |c: &str| row.at(c);
        let input = RecordInput {
            served_on: row.get("served_on"),
            kind,
            matter: row.get("matter"),
            contact_name: row.get("contact_name"),
            phone: row.get("phone"),
        };
        if let Some(r) = record_fields(input, &matters, &at, &mut issues) {
            records.push(r);
            lines.push(row.line);
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    let ids: Vec<Option<String>> = if dry_run {
        vec![None; records.len()]
    } else {
        store_records(conn, unit, &records, "service_record.import", actx)?
            .into_iter()
            .map(Some)
            .collect()
    };
    let rows = lines
        .into_iter()
        .zip(ids)
        .map(|(line, id)| ImportedRow {
            line,
            action: "created".into(),
            id,
        })
        .collect();
    Ok(ImportReport::new(dry_run, rows))
}

/// Imports a unit's service records from CSV (`served_on,kind,matter,contact_name,phone`;
/// UTF-8 with or without BOM, or GB18030) or a JSON array of objects. All or nothing: any bad
/// row refuses the whole file with a 422 naming every bad row. `dry_run=true` only checks.
#[utoipa::path(
    tag = "service-records",
    operation_id = "create_service_record_import",
    params(("id" = String, Path, format = Uuid, description = "The unit's id"), ImportParams),
    request_body(description = "CSV with a header row, or a JSON array of objects", content(
        (String = "text/csv", example = "served_on,kind,matter,contact_name,phone\n2026-10-12,application,律师事务所设立许可,张先生,029-87654321\n"),
        (Vec<Object> = "application/json", example = json!([{"served_on": "2026-10-12", "kind": "consultation", "phone": "029-87654321"}])),
    )),
    responses((status = 200, description = "Imported (or checked): what each row did", body = ImportReport), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, (status = 409, description = "A concurrent import or edit stored a record these rows would duplicate: read the list again and import what is missing", body = crate::error::Problem, content_type = "application/problem+json"), CommonErrors),
    security(("bearer" = []))
)]
#[post("/units/{id}/service-records:import")]
pub async fn import_service_records(
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
        import_records,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Removes the names and phones of records served before the retention period; returns how many.
/// Used by `frontline purge` and by the server once a day, which also drops sign-in bookkeeping
/// past its use (login attempts after a day, refresh tokens a week after they expired).
pub fn purge(conn: &mut AnyConnection, retention_days: u32) -> Result<usize, AppError> {
    let cutoff = crate::domain::service_record::retention_cutoff(today(), retention_days);
    let now = crate::store::now();
    crate::store::sessions::prune(
        conn,
        now - chrono::Duration::days(1),
        now - chrono::Duration::days(7),
    )?;
    write_transaction(conn, |conn| {
        let n = store::purge_before(conn, cutoff)?;
        if n > 0 {
            let ctx = AuditCtx {
                actor_username: Some("frontline purge".into()),
                ..Default::default()
            };
            let changes = serde_json::json!({"purged_records": {"before": null, "after": n}, "served_before": {"before": null, "after": cutoff}});
            audit::record(
                conn,
                &ctx,
                AuditEntry {
                    action: "service_record.purge",
                    target_type: None,
                    target_id: None,
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
        }
        Ok(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2026-10-12"),
            NaiveDate::from_ymd_opt(2026, 10, 12)
        );
        assert_eq!(
            parse_date("2026/10/12"),
            NaiveDate::from_ymd_opt(2026, 10, 12)
        );
        for bad in [
            "-9999-01-01",
            "+2026-10-12",
            "2026-1-12",
            "1999-12-31",
            "2100-01-01",
            "2026-02-30",
            "2026-10/12",
            "",
            "20261012",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
