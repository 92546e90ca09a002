//! Imports of past records, for a district adopting the programme mid-year: `POST
//! /api/v1/imports` takes records of one kind as JSON with the historical times the server
//! normally sets itself; `POST /api/v1/imports/annex2` takes an Annex 2 spreadsheet (XLSX or
//! CSV) as a unit filled it in by hand. Either is all or nothing, can be a dry run, answers a
//! report per record, and is idempotent on each record's external reference. Every record is
//! written with its whole history (an issue's steps from opening to closing), marked with its
//! batch and audited as imported, so that statistics, reports and compliance checks treat it
//! like a record made through the API.

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::{IntoParams, ToSchema};

use crate::api::context::RequestCtx;
use crate::api::problems::{AuthErrors, BodyErrors, CommonErrors, ParameterErrors};
use crate::api::query::Params;
use crate::auth::{policy, AuthUser};
use crate::config::Config;
use crate::db::schema::{import_batches, import_refs, issues};
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::annex2::{self, Cell};
use crate::domain::import::{
    check_draw, check_trigger, issue_steps, DrawRecord, ImportKind, IssueRecord, Step,
    TriggerRecord,
};
use crate::domain::unit::Activity;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditCtx, AuditEntry};
use crate::store::issues::{IssueEventRow, IssueRow};

/// Records of one kind within a batch of several.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPart {
    /// What the records are.
    pub kind: ImportKind,
    /// The records (schemas as for `CreateImport.records`).
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
}

/// A batch of past records: of one kind (`kind` and `records`), or of several (`parts`).
#[derive(Debug, Deserialize, Serialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "issues", "dry_run": true, "records": [{"external_ref": "SCJG-2026-Q1-003", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "activity": "window", "kind": "problem", "description": "窗口材料清单未更新", "measures": "更新清单", "deadline": "2026-03-31", "effect": "已更新", "found_on": "2026-02-10", "status": "closed", "resolved_at": "2026-03-20T02:00:00Z", "closed_at": "2026-03-25T02:00:00Z"}]}))]
pub struct CreateImport {
    /// What the records are (with `records`).
    pub kind: Option<ImportKind>,
    /// Check and report without writing anything.
    #[serde(default)]
    pub dry_run: bool,
    /// The records, 1–5000 (`FRONTLINE_IMPORT_MAX_RECORDS`, within the body limit): `IssueRecord` for `issues`,
    /// `TriggerRecord` for `triggers`, `ParticipationRecord` for `participations`,
    /// `ReportRecord` for `reports`, `IssueListRecord` for `issue_lists`, `ScheduleRecord` for
    /// `schedules`, `DrawRecord` for `draws`, `MatterRecord` for `matters`,
    /// `ServiceRecordRecord` for `service_records` (schemas in the components).
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<Vec<serde_json::Value>>,
    /// Instead of `kind` and `records`: records of several kinds, imported in one batch, all
    /// or nothing, part after part in the order given, so that a later part may name a record
    /// of an earlier one by its `external_ref` (a participation's `draw_id` or `trigger_id`).
    /// Problems are named `parts[1].records[3].closed_at`. At most 5000 records in all.
    pub parts: Option<Vec<ImportPart>>,
}

crate::text_enum! {
    /// What became of a record.
    pub enum RecordOutcome {
        /// Written (or, in a dry run, would be).
        Created => "created",
        /// Imported before with the same content: nothing changes.
        Unchanged => "unchanged",
    }
}

/// What became of one record.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct RecordReport {
    /// Its part's position in `parts` (0-based; absent for a batch of one kind).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub part: Option<usize>,
    /// Its kind.
    pub kind: ImportKind,
    /// Its position in its `records` (0-based).
    pub index: usize,
    /// Its external reference.
    pub external_ref: String,
    /// Created or unchanged.
    pub outcome: RecordOutcome,
    /// The record's id here (in a dry run, of those already imported only).
    pub id: Option<String>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ImportReport {
    /// The batch (none in a dry run or when nothing was new).
    pub batch_id: Option<String>,
    /// The kind (absent for a batch of several parts).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<ImportKind>,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Records created.
    pub created: usize,
    /// Records already imported, unchanged.
    pub unchanged: usize,
    /// Each record, in the order sent.
    pub records: Vec<RecordReport>,
    /// What was kept as written rather than read (Annex 2 deadlines that could not be read).
    pub warnings: Vec<crate::error::FieldError>,
}

/// The fingerprint of a record's content: a re-import with the same reference and another
/// content is refused, not silently ignored.
fn fingerprint(v: &impl Serialize) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

enum Tx {
    App(AppError),
    DryRun(ImportReport),
}

impl From<diesel::result::Error> for Tx {
    fn from(e: diesel::result::Error) -> Self {
        Tx::App(e.into())
    }
}

impl From<AppError> for Tx {
    fn from(e: AppError) -> Self {
        Tx::App(e)
    }
}

/// A past participation: the API's own shape, its reference, the state it reached and when.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// The state it reached.
    pub status: crate::domain::participation::Status,
    /// When it was filed (filed, accepted, returned).
    pub filed_at: Option<DateTime<Utc>>,
    /// When the lead accepted it (accepted).
    pub accepted_at: Option<DateTime<Utc>>,
    /// When the lead returned it (returned).
    pub returned_at: Option<DateTime<Utc>>,
    /// Why it was returned (returned).
    pub return_reason: Option<String>,
    /// The record, as `POST /api/v1/participations` takes it.
    pub participation: crate::api::participations::CreateParticipation,
}

/// A record ready to write.
enum Ready {
    Issue(Box<IssueRecord>, Vec<Step>),
    Trigger(TriggerRecord),
    Participation(Box<ParticipationRecord>),
    Report(Box<crate::api::reports::ReportRecord>),
    IssueList(crate::api::issues::IssueListRecord),
    Schedule(Box<crate::api::schedules::ScheduleRecord>),
    Draw(Box<DrawRecord>),
    Matter(Box<crate::api::matters::MatterRecord>),
    ServiceRecord(Box<crate::api::service_records::ServiceRecordRecord>),
}

impl Ready {
    /// The unit the record is of (a lead's report is of none).
    fn unit_id(&mut self) -> Option<&mut String> {
        match self {
            Ready::Issue(x, _) => Some(&mut x.unit_id),
            Ready::Trigger(x) => Some(&mut x.unit_id),
            Ready::Participation(x) => Some(&mut x.participation.unit_id),
            Ready::Report(_) | Ready::Schedule(_) => None,
            Ready::IssueList(x) => Some(&mut x.unit_id),
            Ready::Draw(x) => x.unit_id.as_mut(),
            Ready::Matter(x) => Some(&mut x.unit_id),
            Ready::ServiceRecord(x) => Some(&mut x.unit_id),
        }
    }
}

/// What writing a record needs from the settings.
struct Rules {
    trigger_days: u32,
    trigger_count: crate::domain::calendar::DayCount,
    calendar: crate::domain::calendar::WorkCalendar,
    filing: crate::domain::participation::FilingRule,
    recheck: crate::domain::ledger::RecheckRule,
    config: Config,
}

/// A checked record: its reference, the fingerprint of its content, and what to write.
type Parsed = (String, String, Ready);

/// The reference's length and a sending time not in the future.
fn plain_checks(
    i: usize,
    reference: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<FieldIssue> {
    let mut p: Vec<FieldIssue> = crate::domain::import::reference_problem(i, reference)
        .into_iter()
        .collect();
    if at > now {
        p.push(FieldIssue::new(
            format!("records[{i}].submitted_at"),
            "future",
            "不能晚于当前时间",
            "must not be in the future",
        ));
    }
    p
}

/// A record read: its reference, the fingerprint of its content (canonical: field order,
/// UTC times, defaults), and what to write or why not.
type Read = (String, String, Result<Ready, Vec<FieldIssue>>);

/// Reads one record of type `T` from `v` and builds what to write from it.
fn read<T: serde::de::DeserializeOwned + Serialize>(
    v: &serde_json::Value,
    reference: impl FnOnce(&T) -> String,
    build: impl FnOnce(T) -> Result<Ready, Vec<FieldIssue>>,
) -> Result<Read, serde_path_to_error::Error<serde_json::Error>> {
    let r: T = serde_path_to_error::deserialize(v)?;
    Ok((reference(&r), fingerprint(&r), build(r)))
}

/// `ready` unless `problems` says why not.
fn unless(
    problems: Vec<FieldIssue>,
    ready: impl FnOnce() -> Ready,
) -> Result<Ready, Vec<FieldIssue>> {
    if problems.is_empty() {
        Ok(ready())
    } else {
        Err(problems)
    }
}

/// Reads a part's records; `seen` holds the (kind, reference) pairs of the batch so far, so
/// that a reference twice, in one part or two, is refused.
fn parse_records(
    kind: ImportKind,
    records: &[serde_json::Value],
    now: DateTime<Utc>,
    seen: &mut std::collections::HashSet<(ImportKind, String)>,
) -> Result<Vec<Parsed>, AppError> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, v) in records.iter().enumerate() {
        // The fingerprint is of the record as read (canonical: field order, UTC times,
        // defaults), so that the same record written differently is still the same.
        let parsed = match kind {
            ImportKind::Issues => read(
                v,
                |r: &IssueRecord| r.external_ref.clone(),
                |r| issue_steps(i, &r, now).map(|s| Ready::Issue(Box::new(r), s)),
            ),
            ImportKind::Triggers => read(
                v,
                |r: &TriggerRecord| r.external_ref.clone(),
                |r| unless(check_trigger(i, &r, now), || Ready::Trigger(r)),
            ),
            ImportKind::Reports => read(
                v,
                |r: &crate::api::reports::ReportRecord| r.external_ref.clone(),
                |r| {
                    unless(
                        plain_checks(i, &r.external_ref, r.submitted_at, now),
                        || Ready::Report(Box::new(r)),
                    )
                },
            ),
            ImportKind::IssueLists => read(
                v,
                |r: &crate::api::issues::IssueListRecord| r.external_ref.clone(),
                |r| {
                    unless(
                        plain_checks(i, &r.external_ref, r.submitted_at, now),
                        || Ready::IssueList(r),
                    )
                },
            ),
            ImportKind::Schedules => read(
                v,
                |r: &crate::api::schedules::ScheduleRecord| r.external_ref.clone(),
                |r| {
                    unless(
                        plain_checks(i, &r.external_ref, r.submitted_at, now),
                        || Ready::Schedule(Box::new(r)),
                    )
                },
            ),
            ImportKind::Draws => read(
                v,
                |r: &DrawRecord| r.external_ref.clone(),
                |r| unless(check_draw(i, &r, now), || Ready::Draw(Box::new(r))),
            ),
            ImportKind::Matters => read(
                v,
                |r: &crate::api::matters::MatterRecord| r.external_ref.clone(),
                |r| {
                    let p = crate::domain::import::reference_problem(i, &r.external_ref);
                    unless(p.into_iter().collect(), || Ready::Matter(Box::new(r)))
                },
            ),
            ImportKind::ServiceRecords => read(
                v,
                |r: &crate::api::service_records::ServiceRecordRecord| r.external_ref.clone(),
                |r| {
                    let p = crate::domain::import::reference_problem(i, &r.external_ref);
                    unless(p.into_iter().collect(), || {
                        Ready::ServiceRecord(Box::new(r))
                    })
                },
            ),
            ImportKind::Participations => read(
                v,
                |r: &ParticipationRecord| r.external_ref.clone(),
                |r| {
                    let mut p = crate::domain::import::check_participation_times(
                        i,
                        r.status,
                        r.filed_at,
                        r.accepted_at,
                        r.returned_at,
                        r.return_reason.as_deref(),
                        now,
                    );
                    p.extend(crate::domain::import::reference_problem(i, &r.external_ref));
                    unless(p, || Ready::Participation(Box::new(r)))
                },
            ),
        };
        match parsed {
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." {
                    format!("records[{i}]")
                } else {
                    format!("records[{i}].{path}")
                };
                let (zh, en) = crate::api::extract::shape_message(e.inner());
                problems.push(FieldIssue::new(
                    field,
                    "invalid",
                    format!("无法读取：{zh}"),
                    format!("cannot be read: {en}"),
                ));
            }
            Ok((_, _, Err(p))) => problems.extend(p),
            Ok((reference, print, Ok(ready))) => {
                let reference = reference.trim().to_owned();
                if !seen.insert((kind, reference.clone())) {
                    problems.push(FieldIssue::new(
                        format!("records[{i}].external_ref"),
                        "duplicate",
                        "同一批次中重复",
                        "appears twice in the batch",
                    ));
                }
                out.push((reference, print, ready));
            }
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(out)
}

/// Records of one kind, checked, with their part's position in `parts` (if any).
struct ParsedPart {
    part: Option<usize>,
    kind: ImportKind,
    records: Vec<Parsed>,
}

/// A field of a record, named within its part.
fn in_part(part: Option<usize>, field: String) -> String {
    match part {
        Some(p) => format!("parts[{p}].{field}"),
        None => field,
    }
}

/// Problems of a part's records, named within the part.
fn named(part: Option<usize>, problems: Vec<FieldIssue>) -> impl Iterator<Item = FieldIssue> {
    problems.into_iter().map(move |mut p| {
        p.field = in_part(part, std::mem::take(&mut p.field));
        p
    })
}

/// Checks what needs the database (units exist), then writes every record, part after part,
/// or nothing.
#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut AnyConnection,
    actx: &AuditCtx,
    user_id: &str,
    single: Option<ImportKind>,
    source: &str,
    parts: Vec<ParsedPart>,
    rules: &Rules,
    dry_run: bool,
    warnings: Vec<crate::error::FieldError>,
) -> Result<ImportReport, Tx> {
    // Every kind's lock, always in the same order, so that two batches wait for each other
    // in turn and never deadlock.
    let mut kinds: Vec<&'static str> = parts.iter().map(|p| p.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for k in &kinds {
        crate::db::lock_key(conn, &format!("import:{k}"))?;
    }
    let now = crate::store::now();
    let mut problems = Vec::new();
    let mut reports = Vec::new();
    let mut to_write = Vec::new();
    for ParsedPart {
        part,
        kind,
        records,
    } in parts
    {
        let mut mine = Vec::new();
        for (i, (reference, print, mut r)) in records.into_iter().enumerate() {
            // The unit, by its canonical id (any spelling of a UUID names the same unit).
            if let Some(unit) = r.unit_id() {
                match crate::api::units::parse_id(unit).ok() {
                    Some(id)
                        if crate::store::units::get(conn, crate::domain::unit::UnitId(id))?
                            .is_some() =>
                    {
                        *unit = id.to_string();
                    }
                    _ => mine.push(FieldIssue::new(
                        format!("records[{i}].unit_id"),
                        "unknown_unit",
                        "没有该单位",
                        "no such unit",
                    )),
                }
            }
            let before: Option<(String, String)> = import_refs::table
                .find((kind.as_str(), &reference))
                .select((import_refs::target_id, import_refs::fingerprint))
                .first(conn)
                .optional()?;
            match before {
                // An Annex 2 reference is the digest of the row itself: known means unchanged.
                Some((target, f)) if f == print || source == "annex2" => {
                    reports.push(RecordReport {
                        part,
                        kind,
                        index: i,
                        external_ref: reference,
                        outcome: RecordOutcome::Unchanged,
                        id: Some(target),
                    })
                }
                Some(_) => mine.push(FieldIssue::new(
                    format!("records[{i}].external_ref"),
                    "ref_changed",
                    "该外部编号已导入过，内容不同：导入不修改已有记录",
                    "this reference was imported before with other content: imports change no record",
                )),
                None => to_write.push((part, kind, i, reference, print, r)),
            }
        }
        problems.extend(named(part, mine));
    }
    if !problems.is_empty() {
        return Err(Tx::App(AppError::Validation(problems)));
    }
    let batch = uuid::Uuid::now_v7().to_string();
    if !to_write.is_empty() {
        diesel::insert_into(import_batches::table)
            .values((
                import_batches::id.eq(&batch),
                import_batches::kind.eq(kinds.join(",")),
                import_batches::source.eq(source),
                import_batches::record_count.eq(to_write.len() as i32),
                import_batches::created_by.eq(Some(user_id)),
                import_batches::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let created = to_write.len();
    let mut refused = Vec::new();
    for (part, kind, i, reference, print, r) in to_write {
        // What the record became, or why the API would have refused it (fields named within
        // the record; collected, then all refused).
        let written: Result<(String, &str, &str), AppError> = match r {
            Ready::Issue(rec, steps) => {
                write_issue(conn, user_id, &rec, &steps).map(|id| (id, "issue.import", "issue"))
            }
            Ready::Trigger(rec) => write_trigger(conn, user_id, &rec, rules)
                .map(|id| (id, "trigger.import", "trigger")),
            Ready::Matter(rec) => crate::api::matters::write_past(conn, &rec)
                .map(|id| (id, "matter.import", "matter")),
            Ready::ServiceRecord(rec) => crate::api::service_records::write_past(conn, &rec)
                .map(|id| (id, "service_record.import", "service_record")),
            Ready::Draw(rec) => write_draw(conn, user_id, &rec, rules.config.follow_up_draw_max)
                .map(|id| (id, "draw.import", "draw")),
            Ready::Participation(mut rec) => {
                resolve_references(conn, &mut rec.participation)?;
                let past = crate::api::participations::PastSteps {
                    status: rec.status,
                    filed_at: rec.filed_at.map(naive),
                    decided_at: rec.accepted_at.or(rec.returned_at).map(naive),
                    reason: rec
                        .return_reason
                        .as_deref()
                        .map(str::trim)
                        .map(str::to_owned),
                };
                crate::api::participations::write_past(
                    conn,
                    user_id,
                    &rec.participation,
                    &past,
                    &rules.filing,
                    &rules.config.limits,
                )
                .map(|id| (id, "participation.import", "participation"))
                .map_err(|e| match e {
                    // The API's body sits under `participation`; `filed_at` is the record's.
                    AppError::Validation(problems) => AppError::Validation(
                        problems
                            .into_iter()
                            .map(|mut p| {
                                if p.field != "filed_at" {
                                    p.field = format!("participation.{}", p.field);
                                }
                                p
                            })
                            .collect(),
                    ),
                    e => e,
                })
            }
            Ready::Report(rec) => {
                crate::api::reports::write_past(conn, user_id, &rec, &rules.config)
                    .map(|id| (id, "report.import", "report"))
            }
            Ready::Schedule(rec) => crate::api::schedules::write_past(conn, user_id, &rec)
                .map(|id| (id, "schedule.import", "schedule")),
            Ready::IssueList(rec) => {
                crate::api::issues::write_past_list(conn, user_id, &rec, &rules.recheck)
                    .map(|id| (id, "issue_list.import", "issue_list"))
            }
        };
        let (target, action, target_type) = match written {
            Ok(w) => w,
            Err(AppError::Validation(problems)) => {
                refused.extend(named(part, prefixed(i, problems).collect()));
                continue;
            }
            Err(e) => return Err(Tx::App(e)),
        };
        diesel::insert_into(import_refs::table)
            .values((
                import_refs::kind.eq(kind.as_str()),
                import_refs::external_ref.eq(&reference),
                import_refs::batch_id.eq(&batch),
                import_refs::target_id.eq(&target),
                import_refs::fingerprint.eq(&print),
            ))
            .execute(conn)?;
        let changes = serde_json::json!({"import_batch": {"before": null, "after": batch}, "external_ref": {"before": null, "after": reference}});
        audit::record(
            conn,
            actx,
            AuditEntry {
                action,
                target_type: Some(target_type),
                target_id: Some(&target),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
        reports.push(RecordReport {
            part,
            kind,
            index: i,
            external_ref: reference,
            outcome: RecordOutcome::Created,
            id: (!dry_run).then_some(target),
        });
    }
    if !refused.is_empty() {
        return Err(Tx::App(AppError::Validation(refused)));
    }
    reports.sort_by_key(|r| (r.part, r.index));
    let unchanged = reports.len() - created;
    if created > 0 {
        let changes = serde_json::json!({"kind": {"before": null, "after": kinds.join(",")}, "source": {"before": null, "after": source}, "created": {"before": null, "after": created}, "unchanged": {"before": null, "after": unchanged}});
        audit::record(
            conn,
            actx,
            AuditEntry {
                action: "import.create",
                target_type: Some("import_batch"),
                target_id: Some(&batch),
                changes: Some(changes),
                outcome: "success",
            },
        )?;
    }
    let report = ImportReport {
        batch_id: (created > 0 && !dry_run).then_some(batch),
        kind: single,
        dry_run,
        created,
        unchanged,
        records: reports,
        warnings,
    };
    if dry_run {
        // Everything above is rolled back: the report says what would happen.
        return Err(Tx::DryRun(report));
    }
    Ok(report)
}

/// Problems of the `i`th record, named as its fields.
fn prefixed(i: usize, problems: Vec<FieldIssue>) -> impl Iterator<Item = FieldIssue> {
    problems.into_iter().map(move |mut p| {
        p.field = format!("records[{i}].{}", p.field);
        p
    })
}

fn naive(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    t.trunc_subsecs(6).naive_utc()
}

fn write_issue(
    conn: &mut AnyConnection,
    user_id: &str,
    r: &IssueRecord,
    steps: &[Step],
) -> Result<String, AppError> {
    crate::db::lock_key(conn, &format!("issues-seq:{}", r.unit_id))?;
    let last: Option<i32> = issues::table
        .filter(issues::unit_id.eq(&r.unit_id))
        .select(diesel::dsl::max(issues::seq))
        .first(conn)?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let opened = steps.first().map(|s| s.at).unwrap_or_else(Utc::now);
    let last_at = steps.last().map(|s| s.at).unwrap_or(opened);
    let at_of = |action: &str| {
        steps
            .iter()
            .find(|s| s.action == action)
            .map(|s| naive(s.at))
    };
    let row = IssueRow {
        id: uuid::Uuid::now_v7().to_string(),
        unit_id: r.unit_id.clone(),
        seq: last.unwrap_or(0) + 1,
        source: crate::domain::ledger::IssueSource::Manual.as_str().into(),
        source_reason: Some("导入的历史记录".into()),
        participation_id: None,
        segment_type: None,
        finding_id: None,
        activity: r.activity.map(|a| a.as_str().into()),
        found_on: r.found_on,
        kind: r.kind.as_str().into(),
        place: text(&r.place),
        content: text(&r.content),
        method: text(&r.method),
        description: r.description.trim().to_owned(),
        measures: text(&r.measures),
        immediate: r.immediate,
        deadline: r.deadline,
        effect: text(&r.effect),
        remarks: text(&r.remarks),
        owner: text(&r.owner),
        status: r.status.as_str().into(),
        resolved_at: at_of("resolve"),
        closed_at: at_of("close"),
        created_by: Some(user_id.to_owned()),
        created_at: naive(opened),
        updated_at: naive(last_at),
        version: 1,
    };
    diesel::insert_into(issues::table)
        .values(&row)
        .execute(conn)?;
    for s in steps {
        let changes = match s.action {
            "open" => None,
            "plan" => Some(
                serde_json::json!({"status": {"before": s.from, "after": s.to}, "measures": {"before": null, "after": row.measures}, "deadline": {"before": null, "after": row.deadline}}),
            ),
            "resolve" => Some(
                serde_json::json!({"status": {"before": s.from, "after": s.to}, "effect": {"before": null, "after": row.effect}}),
            ),
            _ => Some(serde_json::json!({"status": {"before": s.from, "after": s.to}})),
        };
        crate::store::issues::insert_event(
            conn,
            &IssueEventRow {
                id: uuid::Uuid::now_v7().to_string(),
                issue_id: row.id.clone(),
                action: s.action.into(),
                from_status: s.from.map(|f| f.as_str().into()),
                to_status: s.to.as_str().into(),
                reason: (s.action == "open" || s.action == "withdraw")
                    .then(|| "导入的历史记录".to_owned()),
                changes: changes.map(|c| c.to_string()),
                actor_id: Some(user_id.to_owned()),
                at: naive(s.at),
            },
        )?;
    }
    Ok(row.id)
}

/// Values that are the external references of imported records (a trigger, a draw, a matter or
/// a service record imported in this or an earlier batch) become the records' ids; any other
/// value (an id) is left for the participation's own checks to judge.
fn resolve_references(
    conn: &mut AnyConnection,
    p: &mut crate::api::participations::CreateParticipation,
) -> Result<(), AppError> {
    let mut lookup = |kind: ImportKind, v: &mut String| -> Result<(), AppError> {
        let target: Option<String> = import_refs::table
            .find((kind.as_str(), v.trim()))
            .select(import_refs::target_id)
            .first(conn)
            .optional()?;
        if let Some(t) = target {
            *v = t;
        }
        Ok(())
    };
    if let Some(t) = p.trigger_id.as_mut() {
        lookup(ImportKind::Triggers, t)?;
    }
    for m in &mut p.matter_ids {
        lookup(ImportKind::Matters, m)?;
    }
    for s in &mut p.segments {
        if let Some(d) = s.draw_id_mut() {
            lookup(ImportKind::Draws, d)?;
        }
        for m in s.matter_ids_mut() {
            lookup(ImportKind::Matters, m)?;
        }
        for c in s.contacts_mut() {
            lookup(ImportKind::ServiceRecords, c)?;
        }
    }
    Ok(())
}

/// Writes a past draw, once its population is checked against the unit's records as they were
/// when it was drawn, as `POST /api/v1/draws` would have drawn from them: for an inspection, the
/// unit's service matters listed by then (every one still active among them, none other); for
/// follow-up calls, the people the unit served in the 3 months before the reference date and
/// recorded by then (every one still with a phone, none other). A population picked to give a
/// wanted result is refused.
fn write_draw(
    conn: &mut AnyConnection,
    user_id: &str,
    r: &DrawRecord,
    max_contacts: u32,
) -> Result<String, AppError> {
    use crate::domain::draw::{DrawPurpose, Population, ALGORITHM};
    use std::collections::HashSet;
    let unit = r.unit_id.clone().unwrap_or_default();
    let drawn_at = naive(r.drawn_at);
    // (may be in it, must be in it)
    let known: Option<(HashSet<String>, HashSet<String>)> = match r.purpose {
        DrawPurpose::InspectionMatters => {
            let listed: Vec<crate::domain::matter::Matter> =
                crate::store::matters::of_unit(conn, &unit)?
                    .into_iter()
                    .filter(|m| m.kind.is_service() && m.created_at.naive_utc() <= drawn_at)
                    .collect();
            Some((
                listed.iter().map(|m| m.id.clone()).collect(),
                listed
                    .iter()
                    .filter(|m| m.active)
                    .map(|m| m.id.clone())
                    .collect(),
            ))
        }
        DrawPurpose::FollowUpContacts => {
            let to = r.reference_date.unwrap_or_default();
            let from = crate::domain::service_record::three_months_before(to);
            let served: Vec<(String, bool, chrono::NaiveDateTime)> =
                crate::store::service_records::in_window(conn, &unit, from, to)?
                    .into_iter()
                    .filter(|(_, _, at)| *at <= drawn_at)
                    .collect();
            Some((
                served.iter().map(|(id, _, _)| id.clone()).collect(),
                served
                    .iter()
                    .filter(|(_, phone, _)| *phone)
                    .map(|(id, _, _)| id.clone())
                    .collect(),
            ))
        }
        DrawPurpose::InspectionTargets => None,
    };
    let mut problems = Vec::new();
    if let Some((may, must)) = known {
        let given: HashSet<&String> = r.population.iter().collect();
        for (k, id) in r.population.iter().enumerate() {
            if !may.contains(id) {
                problems.push(FieldIssue::new(format!("population[{k}]"), "not_drawable", "抽取时该单位没有这一项可供抽取（事项须为当时已列入目录的审批或服务事项；回访对象须为参照日期前 3 个月内服务过的群众）", "the unit had no such id to draw from then (a matter listed by then, of approval or service; a person served in the 3 months before the reference date)"));
            }
        }
        let mut left_out: Vec<&String> = must.iter().filter(|id| !given.contains(id)).collect();
        left_out.sort();
        if let Some(first) = left_out.first() {
            problems.push(FieldIssue::new("population", "incomplete", format!("缺少当时可供抽取的 {} 项（如 {first}）：总体须为全部可抽取项", left_out.len()), format!("{} ids that could be drawn then are missing (such as {first}): the population is all of them", left_out.len())));
        }
    }
    if r.purpose == DrawPurpose::FollowUpContacts && r.result.len() > max_contacts as usize {
        problems.push(FieldIssue::new(
            "result",
            "count",
            format!("回访抽取不超过 {max_contacts} 个"),
            format!("at most {max_contacts} contacts are drawn"),
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let population = Population::new(r.population.clone());
    let row = crate::store::draws::DrawRow {
        id: uuid::Uuid::now_v7().to_string(),
        purpose: r.purpose.as_str().into(),
        unit_id: r.unit_id.clone(),
        reference_date: r.reference_date,
        draw_count: r.result.len() as i32,
        population: serde_json::to_string(&population.ids).unwrap_or_default(),
        population_hash: population.hash,
        seed: r.seed.clone(),
        seed_source: "given".into(),
        algorithm: ALGORITHM.into(),
        result: serde_json::to_string(&r.result).unwrap_or_default(),
        created_at: naive(r.drawn_at),
        created_by: Some(user_id.to_owned()),
    };
    crate::store::draws::insert(conn, &row)?;
    Ok(row.id)
}

fn write_trigger(
    conn: &mut AnyConnection,
    user_id: &str,
    r: &TriggerRecord,
    rules: &Rules,
) -> Result<String, AppError> {
    // R8: due by the rule in force, unless the record says when it was due.
    let due_on = r.due_on.unwrap_or_else(|| {
        rules
            .calendar
            .add(r.raised_on, rules.trigger_days, rules.trigger_count)
    });
    let row = crate::store::schedules::TriggerRow {
        id: uuid::Uuid::now_v7().to_string(),
        unit_id: r.unit_id.clone(),
        reason: r.reason.as_str().into(),
        description: r.description.trim().to_owned(),
        raised_on: r.raised_on,
        due_on,
        created_by: Some(user_id.to_owned()),
        created_at: crate::domain::calendar::start_of_day_naive(r.raised_on)
            + chrono::Duration::hours(9),
    };
    crate::store::schedules::insert_trigger(conn, &row)?;
    Ok(row.id)
}

/// Records of one kind to import, with their part's position in `parts` (if any).
struct Part {
    index: Option<usize>,
    kind: ImportKind,
    records: Vec<serde_json::Value>,
}

/// A batch to import.
struct Batch {
    parts: Vec<Part>,
    source: &'static str,
    dry_run: bool,
    warnings: Vec<crate::error::FieldError>,
}

async fn run_import(
    pool: &DbPool,
    config: &Config,
    actx: AuditCtx,
    user_id: String,
    batch: Batch,
) -> Result<ImportReport, AppError> {
    let config = config.clone();
    // Reading thousands of records is work for a blocking thread, not for the worker.
    crate::db::run(pool, move |conn| {
        import_on(conn, &config, &actx, &user_id, batch)
    })
    .await
}

/// Imports a batch of several parts on `conn`, as `POST /api/v1/imports` with `parts` does
/// (the demo-data generator's way in, so that its records are checked like any import).
pub fn import_parts(
    conn: &mut AnyConnection,
    config: &Config,
    actx: &AuditCtx,
    user_id: &str,
    parts: Vec<ImportPart>,
) -> Result<ImportReport, AppError> {
    let batch = Batch {
        parts: numbered(parts),
        source: "json",
        dry_run: false,
        warnings: Vec::new(),
    };
    import_on(conn, config, actx, user_id, batch)
}

/// The parts of a batch, numbered as they were sent.
fn numbered(parts: Vec<ImportPart>) -> Vec<Part> {
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| Part {
            index: Some(i),
            kind: p.kind,
            records: p.records,
        })
        .collect()
}

/// Checks, reads and writes a batch on `conn`, all or nothing.
fn import_on(
    conn: &mut AnyConnection,
    config: &Config,
    actx: &AuditCtx,
    user_id: &str,
    batch: Batch,
) -> Result<ImportReport, AppError> {
    let Batch {
        parts,
        source,
        dry_run,
        warnings,
    } = batch;
    let single = match parts.as_slice() {
        [p] if p.index.is_none() => Some(p.kind),
        _ => None,
    };
    let total: usize = parts.iter().map(|p| p.records.len()).sum();
    let mut problems = Vec::new();
    for p in parts.iter().filter(|p| p.records.is_empty()) {
        problems.push(FieldIssue::new(
            in_part(p.index, "records".into()),
            "count",
            "至少 1 条",
            "at least 1 record",
        ));
    }
    let max = config.limits.import_records;
    if parts.is_empty() || total > max {
        problems.push(FieldIssue::new(
            if single.is_some() { "records" } else { "parts" },
            "count",
            format!("须为 1 到 {max} 条"),
            format!("1–{max} records in all"),
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let now = Utc::now();
    let mut ready = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in parts {
        match parse_records(p.kind, &p.records, now, &mut seen) {
            Ok(records) => ready.push(ParsedPart {
                part: p.index,
                kind: p.kind,
                records,
            }),
            Err(AppError::Validation(v)) => problems.extend(named(p.index, v)),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let count = config.day_count("immediate_response");
    let rules = Rules {
        trigger_days: config.immediate_response_days,
        trigger_count: count,
        calendar: crate::store::reports::calendar_for(conn, count)?,
        filing: crate::api::participations::filing_rule(
            conn,
            config.filing_days,
            config.day_count("filing"),
        )?,
        recheck: crate::api::issues::recheck_rule_on(conn, config)?,
        config: config.clone(),
    };
    match write_transaction(conn, |conn| {
        apply(
            conn, actx, user_id, single, source, ready, &rules, dry_run, warnings,
        )
    }) {
        Ok(report) => Ok(report),
        Err(Tx::DryRun(report)) => Ok(report),
        Err(Tx::App(e)) => Err(e),
    }
}

/// Imports past records, of one kind or of several in `parts`, all or nothing (coordinator,
/// admin). A record whose `external_ref` was imported before with the same content is reported
/// `unchanged`; with other content it is refused. Any refused record refuses the whole batch
/// with a 422 naming each record and field (`records[3].closed_at`,
/// `parts[2].records[0].participation.segments[1].draw_id`). `dry_run` checks and reports
/// without writing.
#[utoipa::path(
    tag = "imports",
    operation_id = "create_import",
    request_body(content = CreateImport, content_type = "application/json"),
    responses(
        (status = 200, description = "A dry run (what would happen), or every record already imported (unchanged)", body = ImportReport),
        (status = 201, description = "Imported: what each record became", body = ImportReport),
        BodyErrors, AuthErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/imports")]
pub async fn create_import(
    req: HttpRequest,
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    policy::import_records(&user)?;
    let b = read_body(&req, payload, config.import_body_limit).await?;
    let parts = match (b.kind, b.records, b.parts) {
        (Some(kind), Some(records), None) => vec![Part {
            index: None,
            kind,
            records,
        }],
        (None, None, Some(parts)) => numbered(parts),
        (kind, records, parts) => {
            let field = match (kind.is_some(), records.is_some(), parts.is_some()) {
                (_, _, true) => "parts",
                (true, false, false) => "records",
                _ => "kind",
            };
            return Err(AppError::Validation(vec![FieldIssue::new(
                field,
                "one_of",
                "须给出 kind 和 records，或者给出 parts（二者取一）",
                "give kind and records, or parts (one or the other)",
            )]));
        }
    };
    let actx = ctx.audit(Some(&user));
    let batch = Batch {
        parts,
        source: "json",
        dry_run: b.dry_run,
        warnings: Vec::new(),
    };
    let report = run_import(&pool, &config, actx, user.id.clone(), batch).await?;
    Ok(respond(report))
}

/// The batch, read up to its own limit (`FRONTLINE_IMPORT_BODY_LIMIT`, larger than other
/// bodies), parsed off the worker thread, refused as any JSON body is (415, 413, 400, 422).
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<CreateImport, AppError> {
    use actix_web::HttpMessage;
    use futures_util::StreamExt;
    let is_json = matches!(req.mime_type(), Ok(Some(m)) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    let depth = crate::api::extract::json_depth(req);
    web::block(move || {
        let b: CreateImport = crate::api::extract::parse_json(&bytes, depth)?;
        validator::Validate::validate(&b)
            .map_err(|e| AppError::Validation(crate::api::extract::validation_issues(&e)))?;
        Ok(b)
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
}

fn respond(report: ImportReport) -> HttpResponse {
    if report.dry_run || report.created == 0 {
        HttpResponse::Ok().json(report)
    } else {
        HttpResponse::Created().json(report)
    }
}

/// Query parameters of an Annex 2 import.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Annex2Params {
    /// The unit whose lists these are.
    #[param(value_type = String, format = Uuid)]
    pub unit_id: Option<String>,
    /// The activity (default: read from 参与活动名称).
    #[param(value_type = Option<Activity>)]
    pub activity: Option<String>,
    /// Check and report without writing.
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

fn strip_csv_guard(s: &str) -> String {
    // The export writes `'=…` for cells that look like formulas; read them back as written.
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_owned(),
        _ => s.to_owned(),
    }
}

/// The refusal of a sheet beyond `max_rows` rows or [`MAX_COLUMNS`] columns.
fn sheet_too_large(max_rows: usize) -> AppError {
    AppError::Validation(vec![FieldIssue::new(
        "file",
        "too_large",
        format!("表格超出 {max_rows} 行或 {MAX_COLUMNS} 列"),
        format!("the sheet goes beyond {max_rows} rows or {MAX_COLUMNS} columns"),
    )])
}

fn csv_grid(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<Cell>>, AppError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(AppError::MalformedBody("neither UTF-8 nor GB18030".into()));
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| AppError::MalformedBody(format!("CSV: {e}")))?;
        if grid.len() >= max_rows || rec.len() > MAX_COLUMNS as usize {
            return Err(sheet_too_large(max_rows));
        }
        grid.push(
            rec.iter()
                .map(|c| {
                    if c.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(strip_csv_guard(c))
                    }
                })
                .collect(),
        );
    }
    Ok(grid)
}

/// The most columns an Annex 2 sheet may span (its rows: `FRONTLINE_IMPORT_MAX_ROWS`).
const MAX_COLUMNS: u32 = 64;

fn xlsx_grid(bytes: Vec<u8>, max_rows: usize) -> Result<Vec<Vec<Cell>>, AppError> {
    use calamine::{DataRef, Reader};
    let bad = |e: String| AppError::MalformedBody(format!("XLSX: {e}"));
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| bad("no worksheet".into()))?;
    // Cell by cell, with bounds: a sheet declaring a huge range allocates nothing here.
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| bad(e.to_string()))?;
    let mut grid: Vec<Vec<Cell>> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| bad(e.to_string()))? {
        let (r, c) = cell.get_position();
        let value = match cell.get_value() {
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            // An Excel serial day number, in the workbook's date system (1900, or 1904 as
            // older Mac workbooks keep it); the time of day is dropped, and a number far
            // outside any plausible date is no date.
            DataRef::DateTime(dt) => Some(dt)
                .filter(|dt| (-1e6..=1e6).contains(&dt.as_f64()))
                .and_then(|dt| dt.as_datetime())
                .map(|t| t.date())
                .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
                .map(Cell::Date)
                .unwrap_or(Cell::Empty),
            DataRef::DateTimeIso(s) => {
                NaiveDate::parse_from_str(s.get(..10).unwrap_or(""), "%Y-%m-%d")
                    .map(Cell::Date)
                    .unwrap_or_else(|_| Cell::Text(s.clone()))
            }
            DataRef::Bool(b) => Cell::Text(b.to_string()),
            _ => Cell::Empty,
        };
        if value == Cell::Empty {
            continue;
        }
        if r as usize >= max_rows || c >= MAX_COLUMNS {
            return Err(sheet_too_large(max_rows));
        }
        let (r, c) = (r as usize, c as usize);
        if grid.len() <= r {
            grid.resize(r + 1, Vec::new());
        }
        if grid[r].len() <= c {
            grid[r].resize(c + 1, Cell::Empty);
        }
        grid[r][c] = value;
    }
    Ok(grid)
}

/// Imports a unit's Annex 2 lists (问题清单、需求清单和解决措施清单) as the office filled them in
/// (coordinator, admin): XLSX, or CSV in UTF-8 (with or without BOM) or GB18030; sent as
/// `application/octet-stream`, the file's first bytes tell which. Merged header
/// cells, blank rows, dates typed as text and full-width digits are read; a row without a
/// problem or a demand refuses the file with its row number; a deadline that cannot be read is
/// kept in 备注 as written and reported in `warnings`. Each row becomes an issue of the unit
/// (two when it holds both a problem and a demand): open, rectifying (measures and a deadline)
/// or resolved (and an effect). Re-importing the same file changes nothing.
#[utoipa::path(
    tag = "imports",
    operation_id = "create_annex2_import",
    params(Annex2Params),
    request_body(description = "The spreadsheet", content(
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (Vec<u8> = "application/octet-stream"),
        (String = "text/csv", example = "填报单位：区市场监管局,,,,,负责人姓名：王建国\n序号,参与活动地点,体验内容,体验方式,发现问题,企业群众或一线工作人员反映的需求,拟采取的解决措施,完成时限,整改效果,备注\n1,区政务服务中心,办理营业执照,现场体验,窗口材料清单未更新,,更新清单,2022年6月底,已更新,\n"),
    )),
    responses(
        (status = 200, description = "A dry run, or nothing new: what each row became", body = ImportReport),
        (status = 201, description = "Imported", body = ImportReport),
        ParameterErrors, BodyErrors, AuthErrors, CommonErrors,
    ),
    security(("bearer" = []))
)]
#[post("/imports/annex2")]
pub async fn create_annex2_import(
    req: HttpRequest,
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<Annex2Params>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    policy::import_records(&user)?;
    let p = params.into_inner();
    let mut q = Params::default();
    let unit = q.uuid("unit_id", p.unit_id.as_deref());
    let activity: Option<Activity> = q.enumeration("activity", p.activity.as_deref());
    let dry_run = q.boolean("dry_run", p.dry_run.as_deref()).unwrap_or(false);
    if p.unit_id.is_none() {
        q.refuse(FieldIssue::new("unit_id", "required", "必填", "required"));
    }
    q.finish()?;
    let unit =
        unit.ok_or_else(|| AppError::invalid_parameter("unit_id", "required", "必填", "required"))?;
    let media = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let declared_xlsx =
        media.starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let octets = media.starts_with("application/octet-stream");
    if !declared_xlsx && !octets && !media.starts_with("text/csv") {
        return Err(AppError::UnsupportedMediaType);
    }
    let max_bytes = crate::api::extract::import_body_limit(&req);
    let max_rows = crate::api::extract::limits(&req).import_rows;
    let file = crate::api::hotline_import::spool(payload, max_bytes).await?;
    let bytes = web::block(move || {
        use std::io::{Read, Seek};
        let mut f = file;
        let mut buf = Vec::new();
        f.rewind()
            .and_then(|_| f.read_to_end(&mut buf))
            .map(|_| buf)
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(|e| AppError::internal(e.to_string()))?;
    // A file sent as plain octets is told apart by its first bytes (an XLSX is a ZIP).
    let is_xlsx = declared_xlsx || (octets && bytes.starts_with(b"PK\x03\x04"));
    let grid = web::block(move || {
        if is_xlsx {
            xlsx_grid(bytes, max_rows)
        } else {
            csv_grid(&bytes, max_rows)
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))??;
    let sheet = annex2::read(&grid).map_err(AppError::Validation)?;
    let activity = activity.or_else(|| annex2::activity_of(&sheet.heading.activity));
    let today = crate::domain::calendar::local_date(Utc::now());
    let start = annex2::period_start(&sheet.heading.period)
        .filter(|d| *d <= today)
        .unwrap_or(today);
    let records =
        annex2::issue_records(&sheet.rows, &unit.to_string(), activity, start, Utc::now())
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::internal(e.to_string()))?;
    let lang = crate::i18n::Lang::of(&req);
    let warnings = sheet
        .warnings
        .iter()
        .map(|w| crate::error::FieldError {
            field: w.field.clone(),
            code: w.code.to_owned(),
            message: lang.pick(&w.zh, &w.en).to_owned(),
        })
        .collect();
    let actx = ctx.audit(Some(&user));
    let batch = Batch {
        parts: vec![Part {
            index: None,
            kind: ImportKind::Issues,
            records,
        }],
        source: "annex2",
        dry_run,
        warnings,
    };
    let report = run_import(&pool, &config, actx, user.id.clone(), batch).await?;
    Ok(respond(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An XLSX whose cell A1 holds `serial` formatted as a date, in the 1904 date system when
    /// `mac` (rust_xlsxwriter writes 1900 only: the flag is set in workbook.xml afterwards).
    fn workbook(serial: f64, mac: bool) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut book = rust_xlsxwriter::Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        book.add_worksheet()
            .write_number_with_format(0, 0, serial, &date)
            .unwrap();
        let bytes = book.save_to_buffer().unwrap();
        if !mac {
            return bytes;
        }
        let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().to_owned();
            let mut text = Vec::new();
            f.read_to_end(&mut text).unwrap();
            if name == "xl/workbook.xml" {
                let xml = String::from_utf8(text).unwrap();
                assert!(xml.contains("<workbookPr"), "{xml}");
                text = xml
                    .replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
                    .into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&text).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn excel_dates_are_read_in_the_workbooks_date_system() {
        let june_15 = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        // 46188 days after 1899-12-30; the 1904 system counts 1462 days fewer.
        assert_eq!(
            xlsx_grid(workbook(46188.0, false), 10).unwrap()[0][0],
            Cell::Date(june_15)
        );
        assert_eq!(
            xlsx_grid(workbook(44726.0, true), 10).unwrap()[0][0],
            Cell::Date(june_15)
        );
        // A number no date can be is no date.
        for serial in [1e15, -1e300, 1e300] {
            let grid = xlsx_grid(workbook(serial, false), 10).unwrap();
            assert!(grid.iter().flatten().all(|c| *c == Cell::Empty), "{grid:?}");
        }
    }
}
