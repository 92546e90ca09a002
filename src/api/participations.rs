//! Participations (参与活动记录): the record of each front-line experience, its mandatory
//! segments, filing (备案) with the lead department, acceptance or return, and notes. Filing
//! checks R4–R6 and opens one ledger issue per finding, in one transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::context::RequestCtx;
use crate::api::extract::JsonBody;
use crate::api::problems::{
    AuthErrors, BodyErrors, CommonErrors, NotFoundError, ParameterErrors, WriteErrors,
};
use crate::api::query::Params;
use crate::api::service_records::parse_date;
use crate::api::units::{etag, parse_id};
use crate::auth::{policy, AuthUser};
use crate::config::{Config, Limits};
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::calendar::{local_date, Quarter};
use crate::domain::participation::{
    self as rules, parse_segment_types, segment_heads, Action, ContactFacts, DrawFacts, FilingRule,
    Finding, ParticipantKind, Segment, SegmentType, Status,
};
use crate::domain::schedule::Mode;
use crate::domain::unit::{Activity, Unit, UnitId};
use crate::domain::Problem;
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::issues::{self as ledger, IssueRow};
use crate::store::participations::{
    self as store, IdempotencyRow, NoteRow, ParticipationRow, SummaryRow, TransitionRow,
};

/// Who took part, as given.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "head"}))]
pub struct ParticipantInput {
    /// The head in person or a deputy.
    pub kind: ParticipantKind,
    /// The name: for the head it defaults to the unit's recorded head and must match it; a
    /// deputy must be one of the unit's deputies.
    #[serde(default)]
    pub name: Option<String>,
    /// The title (defaults to the recorded one).
    #[serde(default)]
    pub title: Option<String>,
}

/// Who took part, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Participant {
    /// The head in person or a deputy.
    pub kind: ParticipantKind,
    /// The name.
    pub name: String,
    /// The title, when known.
    pub title: Option<String>,
}

/// A participation to record (as a draft).
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a",
    "activity": "complaint",
    "mode": "regular",
    "activity_on": "2026-11-20",
    "place": "区12345市民热线服务中心",
    "participant": {"kind": "head"},
    "people_received": 3,
    "summary": "局长到12345热线中心体验工单流转并现场处理一件群众投诉",
    "segments": [{"type": "dispatch_experience", "work_order": "12345-20261120-0012", "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"}, {"step": "callback", "rating": "problem", "note": "回访未核实办理结果"}], "findings": [{"kind": "problem", "description": "回访未核实办理结果", "measure": "回访话术增加结果核实", "immediate": true}]}]
}))]
pub struct CreateParticipation {
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// WINDOW, ENFORCEMENT or COMPLAINT.
    pub activity: Activity,
    /// Regular, immediate or tracking.
    pub mode: Mode,
    /// The local date of the activity (not in the future).
    #[schema(value_type = String, format = Date)]
    pub activity_on: String,
    /// Where, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub place: String,
    /// Who took part.
    pub participant: ParticipantInput,
    /// The schedule entry it carries out (same unit, activity and mode).
    #[schema(format = Uuid)]
    #[serde(default)]
    pub schedule_entry_id: Option<String>,
    /// The immediate trigger it answers (mode `immediate`, same unit).
    #[schema(format = Uuid)]
    #[serde(default)]
    pub trigger_id: Option<String>,
    /// The tracking subject it follows (mode `tracking`, a unit of the subject).
    #[schema(format = Uuid)]
    #[serde(default)]
    pub tracking_subject_id: Option<String>,
    /// Enterprises and citizens received (接待企业群众数量), 0–100000.
    #[serde(default)]
    #[validate(range(max = 100_000))]
    pub people_received: u32,
    /// Matters experienced (the unit's catalogue ids, at most 200); the matters the W1 and W2
    /// segments name are added.
    #[serde(default)]
    #[validate(length(max = 200))]
    pub matter_ids: Vec<String>,
    /// Summary, up to 5000 characters.
    #[serde(default)]
    #[validate(length(max = 5000))]
    pub summary: String,
    /// The segments (at most 20, `FRONTLINE_SEGMENTS_MAX`), each of the activity.
    #[serde(default)]
    pub segments: Vec<Segment>,
}

/// Changes to a draft or returned participation; fields left out keep their value. The unit
/// and the activity never change.
#[derive(Debug, Default, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"people_received": 5, "summary": "补充座谈记录"}))]
pub struct UpdateParticipation {
    /// Mode.
    pub mode: Option<Mode>,
    /// Local activity date.
    #[schema(value_type = Option<String>, format = Date)]
    pub activity_on: Option<String>,
    /// Place, 1–200 characters.
    #[validate(length(min = 1, max = 200))]
    pub place: Option<String>,
    /// Who took part.
    pub participant: Option<ParticipantInput>,
    /// Schedule entry (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub schedule_entry_id: Option<Option<String>>,
    /// Trigger (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub trigger_id: Option<Option<String>>,
    /// Tracking subject (`null` clears it).
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub tracking_subject_id: Option<Option<String>>,
    /// People received, 0–100000.
    #[validate(range(max = 100_000))]
    pub people_received: Option<u32>,
    /// Matters experienced (replaces the list).
    #[validate(length(max = 200))]
    pub matter_ids: Option<Vec<String>>,
    /// Summary.
    #[validate(length(max = 5000))]
    pub summary: Option<String>,
    /// Segments (replaces the list; send findings back with their ids to keep them; at most
    /// 20, `FRONTLINE_SEGMENTS_MAX`).
    pub segments: Option<Vec<Segment>>,
}

/// One step of a participation's workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    /// The action.
    pub action: Action,
    /// From.
    pub from: Status,
    /// To.
    pub to: Status,
    /// The reason of a return.
    pub reason: Option<String>,
    /// For a filing: days late (0 on time).
    pub late_days: Option<i32>,
    /// Who (account id).
    pub actor_id: Option<String>,
    /// When (UTC).
    #[serde(serialize_with = "crate::api::wire::utc")]
    pub at: DateTime<Utc>,
}

/// A note appended to a participation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    /// Id.
    pub id: String,
    /// Text.
    pub body: String,
    /// Author's account id.
    pub author_id: Option<String>,
    /// Author's username.
    pub author: String,
    /// When (UTC).
    #[serde(serialize_with = "crate::api::wire::utc")]
    pub at: DateTime<Utc>,
}

/// A recorded participation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Participation {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Activity.
    pub activity: Activity,
    /// Mode.
    pub mode: Mode,
    /// Local activity date.
    #[serde(serialize_with = "crate::api::wire::date")]
    pub activity_on: NaiveDate,
    /// Place.
    pub place: String,
    /// Who took part.
    pub participant: Participant,
    /// Schedule entry.
    pub schedule_entry_id: Option<String>,
    /// Trigger.
    pub trigger_id: Option<String>,
    /// Tracking subject.
    pub tracking_subject_id: Option<String>,
    /// People received.
    pub people_received: u32,
    /// Matters experienced.
    pub matter_ids: Vec<String>,
    /// Summary.
    pub summary: String,
    /// Segments, findings with their ids and, once filed, their ledger issues.
    pub segments: Vec<Segment>,
    /// Status.
    pub status: Status,
    /// The steps allowed now.
    pub allowed_actions: Vec<Action>,
    /// Filed on time until the end of this local date (R3).
    #[serde(serialize_with = "crate::api::wire::date")]
    pub filing_due_on: NaiveDate,
    /// First filing (UTC); lateness is judged on it.
    #[serde(serialize_with = "crate::api::wire::opt_utc")]
    pub filed_at: Option<DateTime<Utc>>,
    /// Latest filing (after a return).
    #[serde(serialize_with = "crate::api::wire::opt_utc")]
    pub last_filed_at: Option<DateTime<Utc>>,
    /// Days the first filing was late (0 on time; `null` until filed).
    pub late_days: Option<i32>,
    /// The reason of the latest return, while returned.
    pub return_reason: Option<String>,
    /// The workflow's steps, oldest first.
    pub history: Vec<Step>,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
    /// Author's account id.
    pub created_by: Option<String>,
    /// Created (UTC).
    #[serde(serialize_with = "crate::api::wire::utc")]
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    #[serde(serialize_with = "crate::api::wire::utc")]
    pub updated_at: DateTime<Utc>,
    /// Version: the `ETag`.
    pub version: i64,
}

/// A participation in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ParticipationSummary {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Activity.
    pub activity: Activity,
    /// Mode.
    pub mode: Mode,
    /// Local activity date.
    #[serde(serialize_with = "crate::api::wire::date")]
    pub activity_on: NaiveDate,
    /// Place.
    pub place: String,
    /// Who took part.
    pub participant: Participant,
    /// Status.
    pub status: Status,
    /// The types of its segments, in order.
    pub segment_types: Vec<SegmentType>,
    /// How many findings it records.
    pub findings: u32,
    /// People received.
    pub people_received: u32,
    /// Matters experienced.
    pub matter_ids: Vec<String>,
    /// Filed on time until the end of this local date.
    #[serde(serialize_with = "crate::api::wire::date")]
    pub filing_due_on: NaiveDate,
    /// First filing (UTC).
    #[serde(serialize_with = "crate::api::wire::opt_utc")]
    pub filed_at: Option<DateTime<Utc>>,
    /// Days late (`null` until filed).
    pub late_days: Option<i32>,
    /// Last changed (UTC).
    #[serde(serialize_with = "crate::api::wire::utc")]
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// One page of participations.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ParticipationList {
    /// Participations, oldest first.
    pub items: Vec<ParticipationSummary>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A workflow step to take.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "return", "reason": "W3 回访记录未写明服务事项，请补充"}))]
pub struct ParticipationTransition {
    /// `file` (the unit), `accept` or `return` (the activity's lead).
    pub action: Action,
    /// Why it is returned (required for `return`), up to 1000 characters.
    #[validate(length(max = 1000))]
    pub reason: Option<String>,
}

/// A note to append.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "更正：座谈参加企业代表为 6 人"}))]
pub struct CreateNote {
    /// Text, 1–2000 characters.
    #[validate(length(min = 1, max = 2000))]
    pub body: String,
}

fn bad(what: &str) -> AppError {
    AppError::internal(format!("unreadable participation {what}"))
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    crate::store::utc(at)
}

/// The participation as the API shows it, with its history, notes and ledger issues.
fn participation_of(
    conn: &mut AnyConnection,
    row: ParticipationRow,
    filing: &FilingRule,
) -> Result<Participation, AppError> {
    let (history, notes, issues) = history_of(conn, &row.id)?;
    shown(row, history, notes, &issues, filing)
}

/// A participation's steps, notes and its findings' ledger issues (by finding id).
type History = (Vec<Step>, Vec<Note>, HashMap<String, String>);

/// What [`History`] a participation has.
fn history_of(conn: &mut AnyConnection, id: &str) -> Result<History, AppError> {
    let history: Vec<Step> = store::transitions(conn, id)?
        .into_iter()
        .map(|t| {
            Ok(Step {
                action: t.action.parse().map_err(|_| bad("action"))?,
                from: t.from_status.parse().map_err(|_| bad("status"))?,
                to: t.to_status.parse().map_err(|_| bad("status"))?,
                reason: t.reason,
                late_days: t.late_days,
                actor_id: t.actor_id,
                at: utc(t.at),
            })
        })
        .collect::<Result<_, AppError>>()?;
    let notes = store::notes(conn, id)?
        .into_iter()
        .map(|n| Note {
            id: n.id,
            body: n.body,
            author_id: n.author_id,
            author: n.author_username,
            at: utc(n.at),
        })
        .collect();
    let issues: HashMap<String, String> = ledger::finding_issues(conn, id)?.into_iter().collect();
    Ok((history, notes, issues))
}

/// The participation as the API shows it, from its row and what [`history_of`] read.
fn shown(
    row: ParticipationRow,
    history: Vec<Step>,
    notes: Vec<Note>,
    issues: &HashMap<String, String>,
    filing: &FilingRule,
) -> Result<Participation, AppError> {
    let mut segments: Vec<Segment> =
        serde_json::from_str(&row.segments).map_err(|_| bad("segments"))?;
    for s in &mut segments {
        for f in s.findings_mut() {
            f.issue_id = f.id.as_ref().and_then(|id| issues.get(id)).cloned();
        }
    }
    let status: Status = row.status.parse().map_err(|_| bad("status"))?;
    let return_reason = (status == Status::Returned)
        .then(|| history.last().and_then(|s| s.reason.clone()))
        .flatten();
    Ok(Participation {
        activity: row.activity.parse().map_err(|_| bad("activity"))?,
        mode: row.mode.parse().map_err(|_| bad("mode"))?,
        participant: serde_json::from_str(&row.participant).map_err(|_| bad("participant"))?,
        matter_ids: serde_json::from_str(&row.matter_ids).map_err(|_| bad("matters"))?,
        people_received: u32::try_from(row.people_received).unwrap_or(0),
        allowed_actions: rules::allowed(status),
        filing_due_on: filing.due(row.activity_on),
        filed_at: row.filed_at.map(utc),
        last_filed_at: row.last_filed_at.map(utc),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        status,
        return_reason,
        history,
        notes,
        segments,
        id: row.id,
        unit_id: row.unit_id,
        activity_on: row.activity_on,
        place: row.place,
        schedule_entry_id: row.schedule_entry_id,
        trigger_id: row.trigger_id,
        tracking_subject_id: row.tracking_subject_id,
        summary: row.summary,
        late_days: row.late_days,
        created_by: row.created_by,
        version: row.version,
    })
}

fn summary_of(row: SummaryRow, filing: &FilingRule) -> Result<ParticipationSummary, AppError> {
    Ok(ParticipationSummary {
        activity: row.activity.parse().map_err(|_| bad("activity"))?,
        mode: row.mode.parse().map_err(|_| bad("mode"))?,
        participant: serde_json::from_str(&row.participant).map_err(|_| bad("participant"))?,
        status: row.status.parse().map_err(|_| bad("status"))?,
        matter_ids: serde_json::from_str(&row.matter_ids).map_err(|_| bad("matters"))?,
        segment_types: parse_segment_types(&row.segment_types).ok_or_else(|| bad("segments"))?,
        findings: u32::try_from(row.finding_count).map_err(|_| bad("segments"))?,
        people_received: u32::try_from(row.people_received).unwrap_or(0),
        filing_due_on: filing.due(row.activity_on),
        filed_at: row.filed_at.map(|at| utc(at.0)),
        updated_at: utc(row.updated_at.0),
        id: row.id,
        unit_id: row.unit_id,
        activity_on: row.activity_on,
        place: row.place,
        late_days: row.late_days,
        version: row.version,
    })
}

/// The filing deadline's rule, with the working calendar when it counts working days.
pub fn filing_rule(
    conn: &mut AnyConnection,
    days: u32,
    count: crate::domain::calendar::DayCount,
) -> Result<FilingRule, AppError> {
    let calendar = crate::store::reports::calendar_for(conn, count)?;
    Ok(FilingRule {
        days,
        count,
        calendar,
    })
}

fn respond(status: StatusCode, p: &Participation) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(p.version)))
        .json(p)
}

/// The whole of a participation's editable state, merged from a request and what is stored.
#[derive(Clone, Debug)]
struct Draft {
    mode: Mode,
    activity_on: Option<NaiveDate>,
    place: String,
    participant: ParticipantInput,
    schedule_entry_id: Option<String>,
    trigger_id: Option<String>,
    tracking_subject_id: Option<String>,
    people_received: u32,
    matter_ids: Vec<String>,
    summary: String,
    segments: Vec<Segment>,
}

fn date_issue(field: &str) -> FieldIssue {
    FieldIssue::new(
        field,
        "invalid_date",
        "须为不晚于今天的日期 YYYY-MM-DD",
        "a date YYYY-MM-DD, not in the future",
    )
}

fn uuid_or_issue(raw: &str, field: &str, issues: &mut Vec<FieldIssue>) -> Option<String> {
    match parse_id(raw) {
        Ok(id) => Some(id.to_string()),
        Err(_) => {
            issues.push(FieldIssue::new(
                field,
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            ));
            None
        }
    }
}

/// Checks a draft against the unit, the catalogue and the records it names, and normalizes it
/// (participant filled in from the unit, matter ids canonical and completed from the segments,
/// new findings given ids). `known_findings` are the finding ids the record already holds.
fn check_draft(
    conn: &mut AnyConnection,
    unit: &Unit,
    activity: Activity,
    d: &mut Draft,
    known_findings: &HashSet<String>,
    on_ledger: &HashMap<String, (SegmentType, Finding)>,
    limits: &Limits,
) -> Result<(), AppError> {
    let mut issues = Vec::new();
    if d.segments.len() > limits.segments {
        issues.push(FieldIssue::new(
            "segments",
            "too_many",
            format!("至多 {} 项", limits.segments),
            format!("at most {} items", limits.segments),
        ));
    }
    let now = Utc::now();
    let today = local_date(now);
    match d.activity_on {
        Some(on) if on <= today => {}
        _ => issues.push(date_issue("activity_on")),
    }
    d.place = d.place.trim().to_owned();
    if d.place.is_empty() {
        issues.push(FieldIssue::new(
            "place",
            "blank",
            "不能为空",
            "must not be blank",
        ));
    }
    d.summary = d.summary.trim().to_owned();
    // The participant: the recorded head, or one of the unit's deputies where it allows them.
    let p = &mut d.participant;
    p.name = p
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    match p.kind {
        ParticipantKind::Head => match (&unit.head, &p.name) {
            (Some(head), None) => {
                p.name = Some(head.name.clone());
                p.title = p.title.clone().or_else(|| head.title.clone());
            }
            (Some(head), Some(name)) if *name != head.name => issues.push(FieldIssue::new(
                "participant.name",
                "not_the_head",
                format!("本单位登记的一把手是 {}", head.name),
                format!("the unit's recorded head is {}", head.name),
            )),
            (Some(head), Some(_)) => p.title = p.title.clone().or_else(|| head.title.clone()),
            (None, None) => issues.push(FieldIssue::new(
                "participant.name",
                "required",
                "本单位未登记一把手，须写明姓名",
                "the unit has no recorded head: give the name",
            )),
            (None, Some(_)) => {}
        },
        ParticipantKind::Deputy => {
            if !unit.delegation_allowed {
                issues.push(FieldIssue::new(
                    "participant.kind",
                    "delegation_not_allowed",
                    "本单位未获准由分管负责同志代为参加",
                    "the unit is not allowed to delegate to a deputy",
                ));
            } else {
                match p
                    .name
                    .as_ref()
                    .and_then(|n| unit.deputies.iter().find(|x| &x.name == n))
                {
                    Some(deputy) => p.title = p.title.clone().or_else(|| deputy.title.clone()),
                    None => issues.push(FieldIssue::new(
                        "participant.name",
                        "unknown_deputy",
                        "须为本单位登记的分管负责同志",
                        "must be one of the unit's recorded deputies",
                    )),
                }
            }
        }
    }
    if p.title.as_deref().is_some_and(|t| t.chars().count() > 100) {
        issues.push(FieldIssue::new(
            "participant.title",
            "length",
            "不超过 100 个字符",
            "at most 100 characters",
        ));
    }
    let unit_id = unit.id.to_string();
    // What it answers.
    if let Some(raw) = d.schedule_entry_id.clone() {
        d.schedule_entry_id = uuid_or_issue(&raw, "schedule_entry_id", &mut issues);
        if let Some(id) = &d.schedule_entry_id {
            match crate::store::schedules::get_entry(conn, id)? {
                None => issues.push(FieldIssue::new(
                    "schedule_entry_id",
                    "unknown",
                    "没有该计划条目",
                    "no such schedule entry",
                )),
                Some((_, _, status)) if status != "published" => issues.push(FieldIssue::new(
                    "schedule_entry_id",
                    "not_published",
                    "计划条目须属于已公布的活动计划",
                    "the entry must be of a published schedule",
                )),
                Some((e, entry_activity, _)) => {
                    if e.unit_id != unit_id
                        || entry_activity != activity.as_str()
                        || e.mode != d.mode.as_str()
                    {
                        issues.push(FieldIssue::new(
                            "schedule_entry_id",
                            "mismatch",
                            "计划条目须为本单位、本活动、同一体验方式的条目",
                            "the entry must be of the same unit, activity and mode",
                        ));
                    }
                }
            }
        }
    }
    if let Some(raw) = d.trigger_id.clone() {
        d.trigger_id = uuid_or_issue(&raw, "trigger_id", &mut issues);
        if let Some(id) = &d.trigger_id {
            if d.mode != Mode::Immediate {
                issues.push(FieldIssue::new(
                    "trigger_id",
                    "mode_mismatch",
                    "只有即时体验回应触发事项",
                    "only an immediate participation answers a trigger",
                ));
            }
            match crate::store::schedules::get_trigger(conn, id)? {
                None => issues.push(FieldIssue::new(
                    "trigger_id",
                    "unknown",
                    "没有该触发事项",
                    "no such trigger",
                )),
                Some(t) if t.unit_id != unit_id => issues.push(FieldIssue::new(
                    "trigger_id",
                    "other_unit",
                    "触发事项属于其他单位",
                    "the trigger is another unit's",
                )),
                Some(t) if d.activity_on.is_some_and(|on| on < t.raised_on) => {
                    issues.push(FieldIssue::new(
                        "activity_on",
                        "before_trigger",
                        "活动日期早于触发日期",
                        "the activity is dated before the trigger arose",
                    ))
                }
                Some(_) => {}
            }
        }
    }
    if let Some(raw) = d.tracking_subject_id.clone() {
        d.tracking_subject_id = uuid_or_issue(&raw, "tracking_subject_id", &mut issues);
        if let Some(id) = &d.tracking_subject_id {
            if d.mode != Mode::Tracking {
                issues.push(FieldIssue::new(
                    "tracking_subject_id",
                    "mode_mismatch",
                    "只有跟踪体验跟踪事项",
                    "only a tracking participation follows a tracking subject",
                ));
            }
            match crate::store::schedules::get_tracking(conn, id)? {
                None => issues.push(FieldIssue::new(
                    "tracking_subject_id",
                    "unknown",
                    "没有该跟踪事项",
                    "no such tracking subject",
                )),
                Some(t) => {
                    let units: Vec<String> = serde_json::from_str(&t.unit_ids).unwrap_or_default();
                    if !units.contains(&unit_id) {
                        issues.push(FieldIssue::new(
                            "tracking_subject_id",
                            "other_unit",
                            "本单位不跟踪该事项",
                            "the unit does not follow this subject",
                        ));
                    }
                    if d.activity_on
                        .is_some_and(|on| on < t.active_from || on > t.active_to)
                    {
                        issues.push(FieldIssue::new(
                            "activity_on",
                            "outside_tracking",
                            "活动日期不在跟踪期内",
                            "the activity is outside the subject's active period",
                        ));
                    }
                }
            }
        }
    }
    // Segments: of this activity, well formed.
    for (i, s) in d.segments.iter().enumerate() {
        if s.kind().activity() != activity {
            issues.push(FieldIssue::new(
                format!("segments[{i}].type"),
                "segment_activity_mismatch",
                format!("{} 不是{}活动的环节", s.kind(), activity),
                format!("{} is not a segment of {}", s.kind(), activity),
            ));
        }
        issues.extend(rules::shape_problems(i, s, now, limits.calls));
    }
    // Matters: canonical ids of the unit; the segments' matters count as experienced.
    let mut matters: BTreeSet<String> = BTreeSet::new();
    for (i, m) in d.matter_ids.iter().enumerate() {
        if let Some(id) = uuid_or_issue(m, &format!("matter_ids[{i}]"), &mut issues) {
            matters.insert(id);
        }
    }
    let mut named: Vec<(String, String)> = matters
        .iter()
        .map(|m| (m.clone(), "matter_ids".to_owned()))
        .collect();
    for (i, s) in d.segments.iter().enumerate() {
        for m in s.matter_ids() {
            let field = format!("segments[{i}].matter");
            if let Some(id) = uuid_or_issue(m, &field, &mut issues) {
                named.push((id, field));
            }
        }
    }
    let ids: Vec<String> = named.iter().map(|(m, _)| m.clone()).collect();
    let known = crate::store::matters::by_ids(conn, &ids)?;
    for (m, field) in &named {
        if known.get(m).is_none_or(|(u, _)| *u != unit_id) {
            issues.push(FieldIssue::new(
                field.clone(),
                "matter_not_of_unit",
                "事项须为本单位目录中的事项",
                "must be a matter of the unit's catalogue",
            ));
        }
    }
    for (id, _) in named {
        matters.insert(id);
    }
    d.matter_ids = matters.into_iter().collect();
    // Draws and contacts named by segments.
    for (i, s) in d.segments.iter().enumerate() {
        if let Some((draw_id, purpose)) = s.draw() {
            let draw = match parse_id(draw_id) {
                Ok(id) => crate::store::draws::get(conn, &id.to_string())?,
                Err(_) => None,
            };
            let fits = draw.as_ref().is_some_and(|x| {
                x.purpose == purpose
                    && (x.unit_id.as_deref() == Some(&unit_id) || x.unit_id.is_none())
            });
            if !fits {
                issues.push(FieldIssue::new(
                    format!("segments[{i}].draw_id"),
                    "unknown_draw",
                    format!("须为本单位用途为 {purpose} 的随机抽取记录"),
                    format!("must be a {purpose} draw of the unit"),
                ));
            }
        }
        let contacts: Vec<String> = s.contacts().into_iter().map(str::to_owned).collect();
        let facts = crate::store::service_records::facts(conn, &contacts)?;
        for (j, c) in contacts.iter().enumerate() {
            let field = format!("segments[{i}].calls[{j}].service_record_id");
            match facts.get(c) {
                Some((u, _)) if *u == unit_id => {}
                Some(_) => issues.push(FieldIssue::new(
                    field,
                    "contact_other_unit",
                    "回访对象须为本单位的服务记录",
                    "the person called must be a service record of the unit",
                )),
                None => issues.push(FieldIssue::new(
                    field,
                    "unknown_contact",
                    "没有该服务记录",
                    "no such service record",
                )),
            }
        }
    }
    // Findings: known ids kept, new ones given ids; the ledger link is computed, never taken.
    let mut seen = HashSet::new();
    let mut placed: HashMap<String, (usize, usize, SegmentType, Finding)> = HashMap::new();
    for (i, s) in d.segments.iter_mut().enumerate() {
        let kind = s.kind();
        for (j, f) in s.findings_mut().iter_mut().enumerate() {
            f.issue_id = None;
            f.description = f.description.trim().to_owned();
            f.measure = f
                .measure
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned);
            let id = match f.id.as_deref().map(parse_id) {
                None => uuid::Uuid::now_v7().to_string(),
                Some(Ok(id)) if known_findings.contains(&id.to_string()) => id.to_string(),
                Some(_) => {
                    issues.push(FieldIssue::new(
                        format!("segments[{i}].findings[{j}].id"),
                        "unknown_finding",
                        "不是本记录已有的发现；新的发现不带 id",
                        "not a finding of this record; a new finding has no id",
                    ));
                    continue;
                }
            };
            if !seen.insert(id.clone()) {
                issues.push(FieldIssue::new(
                    format!("segments[{i}].findings[{j}].id"),
                    "duplicate",
                    "同一发现出现两次",
                    "the same finding appears twice",
                ));
            }
            f.id = Some(id.clone());
            placed.insert(id, (i, j, kind, f.clone()));
        }
    }
    // A finding on the ledger is followed there: the record keeps it as it was filed.
    for (id, (kind, was)) in on_ledger {
        match placed.get(id) {
            None => issues.push(FieldIssue::new(
                "segments",
                "finding_on_ledger",
                format!("发现 {id} 已记入问题台账，不能删除；请在台账中跟进"),
                format!(
                    "finding {id} is on the issue ledger and cannot be removed; follow it there"
                ),
            )),
            Some((i, j, k, now)) => {
                let same = k == kind
                    && now.kind == was.kind
                    && now.description == was.description
                    && now.measure == was.measure
                    && now.immediate == was.immediate;
                if !same {
                    issues.push(FieldIssue::new(
                        format!("segments[{i}].findings[{j}]"),
                        "finding_on_ledger",
                        "该发现已记入问题台账，不能修改；请在台账中跟进",
                        "this finding is on the issue ledger and cannot be changed; follow it there",
                    ));
                }
            }
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(issues))
    }
}

/// The finding ids a stored record holds.
fn finding_ids(segments: &[Segment]) -> HashSet<String> {
    segments
        .iter()
        .flat_map(|s| s.findings().iter().filter_map(|f| f.id.clone()))
        .collect()
}

fn load_unit(conn: &mut AnyConnection, unit_id: &str) -> Result<Unit, AppError> {
    let id = UnitId(parse_id(unit_id).map_err(|_| bad("unit"))?);
    crate::store::units::get(conn, id)?.ok_or_else(|| bad("unit"))
}

fn get_row(conn: &mut AnyConnection, id: &str) -> Result<ParticipationRow, AppError> {
    store::get(conn, id)?.ok_or(AppError::NotFound {
        resource: "participation",
        id: id.to_owned(),
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal(e.to_string()))
}

/// Writes a checked draft into a row.
impl Draft {
    /// The draft a creation body holds.
    fn of(b: &CreateParticipation) -> Draft {
        Draft {
            mode: b.mode,
            activity_on: parse_date(&b.activity_on),
            place: b.place.clone(),
            participant: b.participant.clone(),
            schedule_entry_id: b.schedule_entry_id.clone(),
            trigger_id: b.trigger_id.clone(),
            tracking_subject_id: b.tracking_subject_id.clone(),
            people_received: b.people_received,
            matter_ids: b.matter_ids.clone(),
            summary: b.summary.clone(),
            segments: b.segments.clone(),
        }
    }
}

/// A new draft row of `activity` for `unit_id`, its content to be set by [`apply`].
fn new_row(
    id: String,
    unit_id: String,
    activity: Activity,
    created_by: &str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
) -> ParticipationRow {
    ParticipationRow {
        id,
        unit_id,
        activity: activity.as_str().into(),
        mode: String::new(),
        activity_on: NaiveDate::MIN,
        place: String::new(),
        participant_kind: String::new(),
        participant: String::new(),
        schedule_entry_id: None,
        trigger_id: None,
        tracking_subject_id: None,
        people_received: 0,
        matter_ids: String::new(),
        summary: String::new(),
        segments: String::new(),
        status: Status::Draft.as_str().into(),
        filed_at: None,
        last_filed_at: None,
        late_days: None,
        created_by: Some(created_by.to_owned()),
        created_at,
        updated_at,
        version: 1,
        segment_types: String::new(),
        finding_count: 0,
    }
}

fn apply(row: &mut ParticipationRow, d: Draft) -> Result<(), AppError> {
    let participant = Participant {
        kind: d.participant.kind,
        name: d.participant.name.unwrap_or_default(),
        title: d.participant.title,
    };
    row.mode = d.mode.as_str().into();
    row.activity_on = d.activity_on.ok_or_else(|| bad("date"))?;
    row.place = d.place;
    row.participant_kind = participant.kind.as_str().into();
    row.participant = to_json(&participant)?;
    row.schedule_entry_id = d.schedule_entry_id;
    row.trigger_id = d.trigger_id;
    row.tracking_subject_id = d.tracking_subject_id;
    row.people_received = i32::try_from(d.people_received).unwrap_or(i32::MAX);
    row.matter_ids = to_json(&d.matter_ids)?;
    row.summary = d.summary;
    row.segments = to_json(&d.segments)?;
    let (types, findings) = segment_heads(&d.segments);
    row.segment_types = types;
    row.finding_count = i32::try_from(findings).unwrap_or(i32::MAX);
    Ok(())
}

/// What the audit log keeps of a participation (no segment contents: they may quote people).
fn audit_view(row: &ParticipationRow) -> serde_json::Value {
    serde_json::json!({
        "mode": row.mode,
        "activity_on": row.activity_on,
        "place": row.place,
        "participant_kind": row.participant_kind,
        "schedule_entry_id": row.schedule_entry_id,
        "trigger_id": row.trigger_id,
        "tracking_subject_id": row.tracking_subject_id,
        "people_received": row.people_received,
        "matter_ids": row.matter_ids,
        "segments_sha256": hex(&Sha256::digest(row.segments.as_bytes())),
        "status": row.status,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Idempotency-Key` header: 1–200 visible ASCII characters.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if (1..=200).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)) => {
            Ok(Some(k.to_owned()))
        }
        _ => Err(AppError::invalid_parameter(
            "Idempotency-Key",
            "invalid",
            "须为 1 到 200 个可见 ASCII 字符",
            "1 to 200 visible ASCII characters",
        )),
    }
}

enum Outcome {
    Created(Box<Participation>),
    Replayed(IdempotencyRow),
}

fn replay(stored: IdempotencyRow, request_hash: &str) -> Result<Outcome, AppError> {
    if stored.request_hash != request_hash {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "Idempotency-Key",
            "key_reused",
            "该幂等键已用于另一请求体",
            "this Idempotency-Key was used with another body",
        )]));
    }
    Ok(Outcome::Replayed(stored))
}

/// Records a participation as a draft (the unit's own accounts). With an `Idempotency-Key`,
/// a retry with the same key and body returns the first answer (`Idempotent-Replayed: true`);
/// the same key with another body is 422.
#[utoipa::path(
    tag = "participations",
    operation_id = "create_participation",
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional: 1–200 visible ASCII characters; a retry with the same key and body returns the first answer")),
    request_body(content = CreateParticipation, content_type = "application/json"),
    responses((status = 201, description = "Recorded as a draft", body = Participation), ParameterErrors, BodyErrors, AuthErrors, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/participations")]
pub async fn create_participation(
    req: HttpRequest,
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    body: JsonBody<CreateParticipation>,
) -> Result<HttpResponse, AppError> {
    // Only a unit's own accounts write participations: anyone else is refused before the body
    // is looked at. The body names the unit, so for them a malformed body is answered first.
    policy::act_as_unit(&user, user.unit_id.as_deref().unwrap_or_default())?;
    let b = body.into_inner()?;
    let unit_id = parse_id(&b.unit_id)
        .map_err(|_| {
            AppError::Validation(vec![FieldIssue::new(
                "unit_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )])
        })?
        .to_string();
    policy::act_as_unit(&user, &unit_id)?;
    let key = idempotency_key(&req)?;
    let request_hash = hex(&Sha256::digest(to_json(&b)?.as_bytes()));
    let scope_key = key.map(|k| {
        hex(&Sha256::digest(
            format!("{}\nPOST /api/v1/participations\n{k}", user.id).as_bytes(),
        ))
    });
    let cutoff = crate::store::now() - chrono::Duration::hours(i64::from(config.idempotency_hours));
    let (filing_days, filing_count) = (config.filing_days, config.day_count("filing"));
    let limits = config.limits;
    let actx = ctx.audit(Some(&user));
    let outcome = crate::db::run(&pool, move |conn| {
        let filing = filing_rule(conn, filing_days, filing_count)?;
        let fresh =
            |conn: &mut AnyConnection, key: &str| -> Result<Option<IdempotencyRow>, AppError> {
                Ok(store::idempotency(conn, key)?.filter(|r| r.created_at >= cutoff))
            };
        let written = write_transaction(conn, |conn| {
            // One request per key at a time; a stored answer is replayed, an expired one forgotten.
            if let Some(key) = &scope_key {
                crate::db::lock_key(conn, key)?;
                match store::idempotency(conn, key)? {
                    Some(stored) if stored.created_at >= cutoff => {
                        return replay(stored, &request_hash)
                    }
                    Some(_) => store::delete_idempotency(conn, key)?,
                    None => {}
                }
            }
            let unit = match crate::store::units::get(conn, UnitId(parse_id(&unit_id)?))? {
                Some(u) if u.active && !u.categories.is_empty() => u,
                Some(_) => {
                    return Err(AppError::Validation(vec![FieldIssue::new(
                        "unit_id",
                        "not_participating",
                        "该单位未参加本活动（已停用或无参与类别）",
                        "the unit takes no part (inactive or without a participation category)",
                    )]))
                }
                None => {
                    return Err(AppError::Validation(vec![FieldIssue::new(
                        "unit_id",
                        "unknown_unit",
                        "没有该单位",
                        "no such unit",
                    )]))
                }
            };
            let mut d = Draft::of(&b);
            let id = uuid::Uuid::now_v7().to_string();
            check_draft(
                conn,
                &unit,
                b.activity,
                &mut d,
                &HashSet::new(),
                &HashMap::new(),
                &limits,
            )?;
            let now = crate::store::now();
            let mut row = new_row(id.clone(), unit_id.clone(), b.activity, &user.id, now, now);
            apply(&mut row, d)?;
            store::insert(conn, &row)?;
            let changes = crate::domain::audit::diff(&serde_json::Value::Null, &audit_view(&row));
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "participation.create",
                    target_type: Some("participation"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            // Just written: no steps, notes or ledger issues yet, so none are read.
            let p = shown(row, Vec::new(), Vec::new(), &HashMap::new(), &filing)?;
            if let Some(key) = &scope_key {
                store::insert_idempotency(
                    conn,
                    &IdempotencyRow {
                        scope_key: key.clone(),
                        request_hash: request_hash.clone(),
                        status: 201,
                        response: to_json(&p)?,
                        created_at: now,
                    },
                )?;
            }
            Ok(Outcome::Created(Box::new(p)))
        });
        match (written, &scope_key) {
            // Another instance's request with the same key committed first: answer as it did.
            (Err(AppError::Conflict { constraint }), Some(key))
                if constraint == "idempotency_keys_scope_key_key" =>
            {
                let stored = fresh(conn, key)?
                    .ok_or_else(|| AppError::Unavailable("idempotency race".into()))?;
                replay(stored, &request_hash)
            }
            (other, _) => other,
        }
    })
    .await?;
    match outcome {
        Outcome::Created(p) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/participations/{}", p.id)))
            .insert_header((header::ETAG, etag(p.version)))
            .json(p)),
        Outcome::Replayed(stored) => {
            let p: Participation =
                serde_json::from_str(&stored.response).map_err(|_| bad("stored answer"))?;
            Ok(HttpResponse::build(
                StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::CREATED),
            )
            .insert_header((header::LOCATION, format!("/api/v1/participations/{}", p.id)))
            .insert_header(("Idempotent-Replayed", "true"))
            .content_type("application/json")
            .body(stored.response))
        }
    }
}

/// How a past participation ended up (an import): its state, and when it was filed and
/// accepted or returned.
pub(crate) struct PastSteps {
    /// The state reached.
    pub status: Status,
    /// When it was (last) filed.
    pub filed_at: Option<NaiveDateTime>,
    /// When it was accepted or returned.
    pub decided_at: Option<NaiveDateTime>,
    /// Why it was returned.
    pub reason: Option<String>,
}

/// Writes a past participation (an import), as if made through the API at its times: checked
/// and normalized like a draft, and, when filed, held to the filing checks (R4–R6), its
/// lateness judged on the filing date, its findings opened on the ledger when filed, and each
/// step recorded (with the filed snapshot) at its time. Problems name fields as the API does.
pub(crate) fn write_past(
    conn: &mut AnyConnection,
    actor: &str,
    b: &CreateParticipation,
    past: &PastSteps,
    filing: &FilingRule,
    limits: &Limits,
) -> Result<String, AppError> {
    let unit_id = parse_id(&b.unit_id)
        .map_err(|_| {
            AppError::Validation(vec![FieldIssue::new(
                "unit_id",
                "invalid_uuid",
                "须为 UUID",
                "must be a UUID",
            )])
        })?
        .to_string();
    let unit = match crate::store::units::get(conn, UnitId(parse_id(&unit_id)?))? {
        Some(u) if !u.categories.is_empty() => u,
        _ => {
            return Err(AppError::Validation(vec![FieldIssue::new(
                "unit_id",
                "unknown_unit",
                "没有该单位或其不参加本活动",
                "no such unit, or it takes no part",
            )]))
        }
    };
    let mut d = Draft::of(b);
    check_draft(
        conn,
        &unit,
        b.activity,
        &mut d,
        &HashSet::new(),
        &HashMap::new(),
        limits,
    )?;
    let created = past.filed_at.unwrap_or_else(crate::store::now);
    let updated = past.decided_at.or(past.filed_at).unwrap_or(created);
    let mut row = new_row(
        uuid::Uuid::now_v7().to_string(),
        unit_id,
        b.activity,
        actor,
        created,
        updated,
    );
    apply(&mut row, d)?;
    let Some(filed_at) = past.filed_at else {
        store::insert(conn, &row)?;
        return Ok(row.id);
    };
    if local_date(utc(filed_at)) < row.activity_on {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "filed_at",
            "before_activity",
            "不能早于活动日期",
            "must not be before activity_on",
        )]));
    }
    let segments: Vec<Segment> =
        serde_json::from_str(&row.segments).map_err(|_| bad("segments"))?;
    let problems = filing_problems(conn, &row, b.activity, &segments)?;
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    row.filed_at = Some(filed_at);
    row.last_filed_at = Some(filed_at);
    let late = filing.late_days(row.activity_on, local_date(utc(filed_at)));
    row.late_days = Some(late);
    row.status = Status::Filed.as_str().into();
    let snapshot = store::FiledSnapshot::of(&row)?;
    row.status = past.status.as_str().into();
    store::insert(conn, &row)?;
    open_issues(conn, &row, b.activity, &segments, actor, filed_at)?;
    store::insert_transition(
        conn,
        &TransitionRow {
            id: uuid::Uuid::now_v7().to_string(),
            participation_id: row.id.clone(),
            action: Action::File.as_str().into(),
            from_status: Status::Draft.as_str().into(),
            to_status: Status::Filed.as_str().into(),
            reason: None,
            late_days: Some(late),
            actor_id: Some(actor.to_owned()),
            at: filed_at,
            snapshot: Some(snapshot),
        },
    )?;
    if let (Some(at), Some(action)) = (
        past.decided_at,
        match past.status {
            Status::Accepted => Some(Action::Accept),
            Status::Returned => Some(Action::Return),
            _ => None,
        },
    ) {
        store::insert_transition(
            conn,
            &TransitionRow {
                id: uuid::Uuid::now_v7().to_string(),
                participation_id: row.id.clone(),
                action: action.as_str().into(),
                from_status: Status::Filed.as_str().into(),
                to_status: past.status.as_str().into(),
                reason: past.reason.clone(),
                late_days: None,
                actor_id: Some(actor.to_owned()),
                at,
                snapshot: None,
            },
        )?;
    }
    Ok(row.id)
}

/// Query parameters of the participation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParticipationsParams {
    /// Only this unit's (a unit account sees only its own).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
    /// `window`, `enforcement` or `complaint`.
    pub activity: Option<String>,
    /// `regular`, `immediate` or `tracking`.
    pub mode: Option<String>,
    /// Activity dated in this quarter, like `2026-Q3`.
    pub quarter: Option<String>,
    /// `draft`, `filed`, `accepted` or `returned`.
    pub status: Option<String>,
    /// `head` or `deputy`.
    pub participant: Option<String>,
    /// `true`: filed late; `false`: filed on time (unfiled records match neither).
    #[param(value_type = Option<bool>)]
    pub late: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists participations: a unit account its unit's, a lead those of its activity (and of its
/// own unit), the coordinator, leaders and admins all.
#[utoipa::path(
    tag = "participations",
    operation_id = "list_participations",
    params(ListParticipationsParams),
    responses((status = 200, description = "One page of participations", body = ParticipationList), ParameterErrors, AuthErrors, CommonErrors),
    security(("bearer" = []))
)]
#[get("/participations")]
pub async fn list_participations(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListParticipationsParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let activity = params.enumeration::<Activity>("activity", p.activity.as_deref());
    let mode = params.enumeration::<Mode>("mode", p.mode.as_deref());
    let status = params.enumeration::<Status>("status", p.status.as_deref());
    let kind = params.enumeration::<ParticipantKind>("participant", p.participant.as_deref());
    let late = params.boolean("late", p.late.as_deref());
    let quarter = params.quarter("quarter", p.quarter.as_deref());
    let unit_id = params.uuid("unit_id", p.unit_id.as_deref());
    let (limit, after) = params.page(p.limit.as_deref(), p.cursor.as_deref(), config.limits.list);
    params.finish()?;
    let scope = policy::participation_scope(&user);
    if let (Some((None, own)), Some(asked)) = (&scope, &unit_id) {
        if own.as_ref() != Some(asked) {
            return Err(AppError::Forbidden { code: "unit" });
        }
    }
    let filter = store::Filter {
        unit_id,
        activity: activity.map(|a| a.as_str().to_owned()),
        mode: mode.map(|m| m.as_str().to_owned()),
        from: quarter.map(Quarter::first_day),
        to: quarter.map(Quarter::last_day),
        status: status.map(|s| s.as_str().to_owned()),
        participant_kind: kind.map(|k| k.as_str().to_owned()),
        late,
        scope,
    };
    let (filing_days, filing_count) = (config.filing_days, config.day_count("filing"));
    let (rows, more, filing) = crate::db::run(&pool, move |conn| {
        crate::db::read_snapshot(conn, |conn| {
            let (rows, more) = store::list(conn, &filter, after.as_deref(), limit)?;
            Ok((rows, more, filing_rule(conn, filing_days, filing_count)?))
        })
    })
    .await?;
    let next_cursor = crate::api::pagination::next_cursor(&rows, more, |x| &x.id);
    let items = rows
        .into_iter()
        .map(|r| summary_of(r, &filing))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(ParticipationList { items, next_cursor }))
}

/// Reads one participation with its history, notes and ledger issues (`ETag`).
#[utoipa::path(
    tag = "participations",
    operation_id = "get_participation",
    params(("id" = String, Path, format = Uuid, description = "The participation's id")),
    responses((status = 200, description = "The participation", body = Participation), ParameterErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[get("/participations/{id}")]
pub async fn get_participation(
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let (filing_days, filing_count) = (config.filing_days, config.day_count("filing"));
    let p = crate::db::run(&pool, move |conn| {
        crate::db::read_snapshot(conn, |conn| {
            let filing = filing_rule(conn, filing_days, filing_count)?;
            let row = get_row(conn, &id)?;
            let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
            policy::read_unit_record(&user, &row.unit_id, Some(activity))?;
            participation_of(conn, row, &filing)
        })
    })
    .await?;
    Ok(respond(StatusCode::OK, &p))
}

/// Changes a draft or returned participation (the unit; `If-Match`). Filed and accepted
/// records are not edited: an accepted one takes notes.
#[utoipa::path(
    tag = "participations",
    operation_id = "update_participation",
    params(("id" = String, Path, format = Uuid, description = "The participation's id"), ("If-Match" = String, Header, description = "The `ETag` read")),
    request_body(content = UpdateParticipation, content_type = "application/json"),
    responses((status = 200, description = "The participation", body = Participation), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[patch("/participations/{id}")]
pub async fn update_participation(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    body: JsonBody<UpdateParticipation>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner();
    let (filing_days, filing_count) = (config.filing_days, config.day_count("filing"));
    let limits = config.limits;
    let actx = ctx.audit(Some(&user));
    let p = crate::db::run(&pool, move |conn| {
        let filing = filing_rule(conn, filing_days, filing_count)?;
        write_transaction(conn, |conn| {
            let mut row = get_row(conn, &id)?;
            policy::act_as_unit(&user, &row.unit_id)?;
            let version = ctx.expect_version(row.version)?;
            let status: Status = row.status.parse().map_err(|_| bad("status"))?;
            if !rules::editable(status) {
                return Err(AppError::Conflict {
                    constraint: "participation_not_editable".into(),
                });
            }
            let b = b?;
            let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
            let before = audit_view(&row);
            let stored: Participation = participation_of(conn, row.clone(), &filing)?;
            let known = finding_ids(&stored.segments);
            let on_ledger: HashMap<String, (SegmentType, Finding)> = stored
                .segments
                .iter()
                .flat_map(|s| s.findings().iter().map(move |f| (s.kind(), f)))
                .filter(|(_, f)| f.issue_id.is_some())
                .filter_map(|(k, f)| {
                    f.id.clone().map(|id| {
                        (
                            id,
                            (
                                k,
                                Finding {
                                    issue_id: None,
                                    ..f.clone()
                                },
                            ),
                        )
                    })
                })
                .collect();
            // The counts bind what is sent: a record kept from before a lower limit stays
            // editable in its other fields.
            let limits = if b.segments.is_some() {
                limits
            } else {
                Limits {
                    segments: usize::MAX,
                    calls: usize::MAX,
                    ..limits
                }
            };
            let mut d = Draft {
                mode: b.mode.unwrap_or(stored.mode),
                activity_on: match &b.activity_on {
                    Some(raw) => parse_date(raw),
                    None => Some(stored.activity_on),
                },
                place: b.place.unwrap_or(stored.place),
                participant: b.participant.unwrap_or(ParticipantInput {
                    kind: stored.participant.kind,
                    name: Some(stored.participant.name),
                    title: stored.participant.title,
                }),
                schedule_entry_id: b.schedule_entry_id.unwrap_or(stored.schedule_entry_id),
                trigger_id: b.trigger_id.unwrap_or(stored.trigger_id),
                tracking_subject_id: b.tracking_subject_id.unwrap_or(stored.tracking_subject_id),
                people_received: b.people_received.unwrap_or(stored.people_received),
                matter_ids: b.matter_ids.unwrap_or(stored.matter_ids),
                summary: b.summary.unwrap_or(stored.summary),
                segments: b.segments.unwrap_or(stored.segments),
            };
            let unit = load_unit(conn, &row.unit_id)?;
            check_draft(conn, &unit, activity, &mut d, &known, &on_ledger, &limits)?;
            apply(&mut row, d)?;
            if !store::update(conn, &row, version)? {
                return Err(AppError::PreconditionFailed {
                    current: etag(version + 1),
                });
            }
            let changes = crate::domain::audit::diff(&before, &audit_view(&row));
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "participation.update",
                    target_type: Some("participation"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            let fresh = get_row(conn, &id)?;
            participation_of(conn, fresh, &filing)
        })
    })
    .await?;
    Ok(respond(StatusCode::OK, &p))
}

/// Every reason a participation cannot be filed: the mandatory segments (R4), the W3 calls
/// (R5), the W2 matters and draw (R6), and a deputy where the unit no longer allows one.
fn filing_problems(
    conn: &mut AnyConnection,
    row: &ParticipationRow,
    activity: Activity,
    segments: &[Segment],
) -> Result<Vec<Problem>, AppError> {
    let mut out = rules::r4_problems(activity, segments);
    let unit = load_unit(conn, &row.unit_id)?;
    if row.participant_kind == ParticipantKind::Deputy.as_str() && !unit.delegation_allowed {
        out.push(Problem::new(
            "participant.kind",
            "delegation_not_allowed",
            "本单位未获准由分管负责同志代为参加",
            "the unit is not allowed to delegate to a deputy",
        ));
    }
    let unit_matters: HashSet<String> = crate::store::matters::of_unit(conn, &row.unit_id)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    for (i, s) in segments.iter().enumerate() {
        match s {
            Segment::FollowUpCalls(w3) => {
                let ids: Vec<String> = s.contacts().into_iter().map(str::to_owned).collect();
                let contacts: HashMap<String, ContactFacts> =
                    crate::store::service_records::facts(conn, &ids)?
                        .into_iter()
                        .map(|(id, (unit_id, served_on))| (id, ContactFacts { unit_id, served_on }))
                        .collect();
                out.extend(rules::r5_problems(i, w3, &contacts, &row.unit_id));
            }
            Segment::BusinessInspection(w2) => {
                let draw = match w2.draw_id.as_deref() {
                    Some(d) => crate::store::draws::get(conn, d)?
                        .map(|r| {
                            Ok::<_, AppError>(DrawFacts {
                                result: serde_json::from_str(&r.result).map_err(|_| bad("draw"))?,
                                purpose: r.purpose,
                                unit_id: r.unit_id,
                            })
                        })
                        .transpose()?,
                    None => None,
                };
                out.extend(rules::r6_problems(
                    i,
                    w2,
                    draw.as_ref(),
                    &unit_matters,
                    &row.unit_id,
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The Annex 2 "体验方式" of a participation: the activity, the mode and who took part.
fn method_of(activity: Activity, mode: &str, participant: &Participant) -> String {
    let a = match activity {
        Activity::Window => "走流程、坐窗口",
        Activity::Enforcement => "跟执法",
        Activity::Complaint => "处投诉",
    };
    let m = match mode {
        "immediate" => "即时体验",
        "tracking" => "跟踪体验",
        _ => "定期体验",
    };
    let who = match participant.kind {
        ParticipantKind::Head => "一把手",
        ParticipantKind::Deputy => "分管负责同志",
    };
    format!("{a} · {m} · {who}{}", participant.name)
}

/// Opens a ledger issue for every finding not yet on it; how many.
fn open_issues(
    conn: &mut AnyConnection,
    row: &ParticipationRow,
    activity: Activity,
    segments: &[Segment],
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let on_ledger: HashSet<String> = ledger::finding_issues(conn, &row.id)?
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let participant: Participant =
        serde_json::from_str(&row.participant).map_err(|_| bad("participant"))?;
    let method = method_of(activity, &row.mode, &participant);
    let mut opened = 0;
    for s in segments {
        let (code, zh, _) = s.kind().label();
        for f in s.findings() {
            let Some(finding_id) = f.id.clone() else {
                continue;
            };
            if on_ledger.contains(&finding_id) {
                continue;
            }
            let issue = IssueRow {
                id: uuid::Uuid::now_v7().to_string(),
                unit_id: row.unit_id.clone(),
                seq: 0,
                source: crate::domain::ledger::IssueSource::Participation
                    .as_str()
                    .into(),
                source_reason: None,
                participation_id: Some(row.id.clone()),
                segment_type: Some(s.kind().as_str().into()),
                finding_id: Some(finding_id),
                activity: Some(activity.as_str().into()),
                found_on: row.activity_on,
                kind: f.kind.as_str().into(),
                place: Some(row.place.clone()),
                content: Some(format!("{code} {zh}")),
                method: Some(method.clone()),
                description: f.description.clone(),
                measures: f.measure.clone(),
                immediate: f.immediate,
                deadline: None,
                effect: None,
                remarks: None,
                owner: None,
                status: crate::domain::ledger::IssueStatus::Open.as_str().into(),
                resolved_at: None,
                closed_at: None,
                created_by: Some(actor.to_owned()),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            ledger::open(conn, issue, None)?;
            opened += 1;
        }
    }
    Ok(opened)
}

/// Takes a step: `file` (the unit; checks R4–R6, records lateness, opens a ledger issue per
/// finding), `accept` or `return` with a reason (the lead of the activity). An illegal step is
/// 409 naming the allowed ones.
#[utoipa::path(
    tag = "participations",
    operation_id = "create_participation_transition",
    params(
        ("id" = String, Path, format = Uuid, description = "The participation's id"),
        ("If-Match" = Option<String>, Header, description = "Optional: the `ETag` the step was decided on; 412 when the record changed since"),
    ),
    request_body(content = ParticipationTransition, content_type = "application/json"),
    responses((status = 200, description = "The participation after the step", body = Participation), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, WriteErrors, CommonErrors),
    security(("bearer" = []))
)]
#[post("/participations/{id}/transitions")]
pub async fn create_participation_transition(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    id: web::Path<String>,
    body: JsonBody<ParticipationTransition>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner();
    let (filing_days, filing_count) = (config.filing_days, config.day_count("filing"));
    let actx = ctx.audit(Some(&user));
    let p = crate::db::run(&pool, move |conn| {
        let filing = filing_rule(conn, filing_days, filing_count)?;
        write_transaction(conn, |conn| {
            let mut row = get_row(conn, &id)?;
            let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
            let b = match b {
                Ok(b) => b,
                Err(e) => {
                    // Who may not act on the record learns nothing of the body's faults.
                    policy::read_unit_record(&user, &row.unit_id, Some(activity))?;
                    return Err(e);
                }
            };
            match b.action {
                Action::File => policy::act_as_unit(&user, &row.unit_id)?,
                Action::Accept | Action::Return => {
                    let unit = load_unit(conn, &row.unit_id)?;
                    policy::review_participation(&user, &row.unit_id, activity, unit.lead_activity == Some(activity))?
                }
            }
            if ctx.if_match.is_some() {
                ctx.expect_version(row.version)?;
            }
            let reason = b.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
            if b.action == Action::Return && reason.is_none() {
                return Err(AppError::Validation(vec![FieldIssue::new("reason", "required", "退回须说明理由", "a return needs a reason")]));
            }
            if b.action != Action::Return && reason.is_some() {
                return Err(AppError::Validation(vec![FieldIssue::new("reason", "not_allowed", "只有退回时填写理由", "only a return takes a reason")]));
            }
            let from: Status = row.status.parse().map_err(|_| bad("status"))?;
            let to = rules::transition(from, b.action).map_err(|allowed| AppError::IllegalTransition {
                from: from.as_str().into(),
                action: b.action.as_str().into(),
                allowed: allowed.iter().map(|a| a.as_str().to_owned()).collect(),
            })?;
            let now = crate::store::now();
            let mut late = None;
            let mut opened = 0;
            if b.action == Action::File {
                let segments: Vec<Segment> = serde_json::from_str(&row.segments).map_err(|_| bad("segments"))?;
                let problems = filing_problems(conn, &row, activity, &segments)?;
                if !problems.is_empty() {
                    return Err(AppError::Validation(problems));
                }
                // Lateness is judged on the first filing (R3), against the activity date as it
                // stands now: a date corrected after a return is judged anew.
                let first = *row.filed_at.get_or_insert(now);
                let days = filing.late_days(row.activity_on, local_date(crate::store::utc(first)));
                row.late_days = Some(days);
                late = Some(days);
                row.last_filed_at = Some(now);
                opened = open_issues(conn, &row, activity, &segments, &user.id, now)?;
            }
            row.status = to.as_str().into();
            let version = row.version;
            if !store::update(conn, &row, version)? {
                return Err(AppError::Conflict { constraint: "participation_moved".into() });
            }
            store::insert_transition(conn, &TransitionRow {
                id: uuid::Uuid::now_v7().to_string(),
                participation_id: id.clone(),
                action: b.action.as_str().into(),
                from_status: from.as_str().into(),
                to_status: to.as_str().into(),
                reason: reason.clone(),
                late_days: late,
                actor_id: Some(user.id.clone()),
                at: now,
                snapshot: if b.action == Action::File { Some(store::FiledSnapshot::of(&row)?) } else { None },
            })?;
            let changes = serde_json::json!({"status": {"before": from, "after": to}, "reason": {"before": null, "after": reason}, "late_days": {"before": null, "after": late}, "issues_opened": {"before": null, "after": opened}});
            audit::record(conn, &actx, AuditEntry { action: "participation.transition", target_type: Some("participation"), target_id: Some(&id), changes: Some(changes), outcome: "success" })?;
            let event = match b.action {
                Action::File => crate::domain::webhook::EventType::ParticipationFiled,
                Action::Accept => crate::domain::webhook::EventType::ParticipationAccepted,
                Action::Return => crate::domain::webhook::EventType::ParticipationReturned,
            };
            crate::store::webhooks::emit(conn, event, serde_json::json!({"participation_id": id, "unit_id": row.unit_id, "activity": row.activity, "activity_on": row.activity_on, "status": to, "late_days": row.late_days}))?;
            let fresh = get_row(conn, &id)?;
            participation_of(conn, fresh, &filing)
        })
    })
    .await?;
    Ok(respond(StatusCode::OK, &p))
}

/// Appends a note (a correction of an accepted record, or any remark): the unit's own
/// accounts, the activity's lead, the coordinator. Notes are never changed or removed.
#[utoipa::path(
    tag = "participations",
    operation_id = "create_participation_note",
    params(("id" = String, Path, format = Uuid, description = "The participation's id")),
    request_body(content = CreateNote, content_type = "application/json"),
    responses((status = 201, description = "The note", body = Note), ParameterErrors, BodyErrors, AuthErrors, NotFoundError, CommonErrors),
    security(("bearer" = []))
)]
#[post("/participations/{id}/notes")]
pub async fn create_participation_note(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: JsonBody<CreateNote>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let b = body.into_inner();
    let actx = ctx.audit(Some(&user));
    let note = crate::db::run(&pool, move |conn| {
        write_transaction(conn, |conn| {
            let row = get_row(conn, &id)?;
            let activity: Activity = row.activity.parse().map_err(|_| bad("activity"))?;
            policy::annotate_participation(&user, &row.unit_id, activity)?;
            let text = b?.body.trim().to_owned();
            if text.is_empty() {
                return Err(AppError::Validation(vec![FieldIssue::new(
                    "body",
                    "blank",
                    "不能为空",
                    "must not be blank",
                )]));
            }
            let note = NoteRow {
                id: uuid::Uuid::now_v7().to_string(),
                participation_id: id.clone(),
                body: text,
                author_id: Some(user.id.clone()),
                author_username: user.username.clone(),
                at: crate::store::now(),
            };
            store::insert_note(conn, &note)?;
            let changes = serde_json::json!({"note": {"before": null, "after": note.id}});
            audit::record(
                conn,
                &actx,
                AuditEntry {
                    action: "participation.note",
                    target_type: Some("participation"),
                    target_id: Some(&id),
                    changes: Some(changes),
                    outcome: "success",
                },
            )?;
            Ok(Note {
                at: utc(note.at),
                id: note.id,
                body: note.body,
                author_id: note.author_id,
                author: note.author_username,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(note))
}
