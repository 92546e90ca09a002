//! Importing past records (a district adopting mid-year): the shapes of imported records with
//! the historical times the server normally sets itself, and the checks that those times are
//! not in the future and follow each other (found before opened, resolved before closed…).
//! Each imported issue becomes the lifecycle it went through, step by step, so that what reads
//! histories (compliance checks as of a date, re-checks) treats it like one kept here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::local_date;
use super::ledger::{IssueKind, IssueStatus};
use super::unit::Activity;
use super::Problem;

crate::text_enum! {
    /// What an import brings in.
    pub enum ImportKind {
        /// Ledger issues (问题台账) with their lifecycle.
        Issues => "issues",
        /// Immediate-experience triggers (R8).
        Triggers => "triggers",
        /// Participations with their segments, filed, accepted or returned.
        Participations => "participations",
        /// Leads' monthly statistics and quarterly summaries (R12).
        Reports => "reports",
        /// Units' quarterly issue lists (R9).
        IssueLists => "issue_lists",
        /// Published plans (活动计划) with their entries and workflow.
        Schedules => "schedules",
        /// Random draws (随机选取) that participations' W2, W3 and E1 segments name.
        Draws => "draws",
        /// Matters of units' catalogues, listed since a past date (R2, R6).
        Matters => "matters",
        /// People served (服务记录) whom follow-up calls name (R5).
        ServiceRecords => "service_records",
    }
}

/// A past issue.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SCJG-2026-Q1-003", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "activity": "window", "kind": "problem", "description": "窗口材料清单未更新", "measures": "更新清单", "deadline": "2026-03-31", "effect": "已更新", "found_on": "2026-02-10", "status": "closed", "resolved_at": "2026-03-20T02:00:00Z", "closed_at": "2026-03-25T02:00:00Z"}))]
pub struct IssueRecord {
    /// The record's id in the source (the office's file, the old system): a re-import with the
    /// same reference changes nothing. 1–200 characters.
    pub external_ref: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// The activity (its lead reviews it).
    pub activity: Option<Activity>,
    /// Problem or demand.
    pub kind: IssueKind,
    /// The problem or demand, 1–1000 characters.
    pub description: String,
    /// 参与活动地点.
    pub place: Option<String>,
    /// 体验内容.
    pub content: Option<String>,
    /// 体验方式.
    pub method: Option<String>,
    /// 拟采取的解决措施.
    pub measures: Option<String>,
    /// 完成时限.
    pub deadline: Option<NaiveDate>,
    /// 整改效果.
    pub effect: Option<String>,
    /// 备注.
    pub remarks: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// 立行立改.
    #[serde(default)]
    pub immediate: bool,
    /// When it was found (local date).
    pub found_on: NaiveDate,
    /// The state it reached.
    pub status: IssueStatus,
    /// When it went on the ledger (default: 09:00 Beijing time on `found_on`).
    pub opened_at: Option<DateTime<Utc>>,
    /// When measures and the deadline were set (default: when opened).
    pub planned_at: Option<DateTime<Utc>>,
    /// When the unit reported it resolved (`resolved`, `closed`, `passed`).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed (销号; `closed`, `passed`).
    pub closed_at: Option<DateTime<Utc>>,
    /// When the re-check (回头看) passed (`passed`).
    pub rechecked_at: Option<DateTime<Utc>>,
    /// When it was withdrawn (`withdrawn`), with `remarks` saying why.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A past trigger.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "TRG-2026-007", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "reason": "important_date", "description": "开学季办件高峰", "raised_on": "2026-02-20", "due_on": "2026-02-27"}))]
pub struct TriggerRecord {
    /// The record's id in the source.
    pub external_ref: String,
    /// The unit.
    #[schema(format = Uuid)]
    pub unit_id: String,
    /// Why.
    pub reason: super::trigger::TriggerReason,
    /// What happened, 1–1000 characters.
    pub description: String,
    /// When it was raised (local date).
    pub raised_on: NaiveDate,
    /// When it had to be answered (default: by the rule in force, R8).
    pub due_on: Option<NaiveDate>,
}

/// One step of an imported issue's life: the action, the state it led to, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `open`, `plan`, `resolve`, `close`, `pass_recheck`, `withdraw`.
    pub action: &'static str,
    /// The state before.
    pub from: Option<IssueStatus>,
    /// The state after.
    pub to: IssueStatus,
    /// When.
    pub at: DateTime<Utc>,
}

fn problem(i: usize, field: &str, code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(format!("records[{i}].{field}"), code, zh, en)
}

/// An external reference of 1–200 characters, or why not.
pub fn reference_problem(i: usize, reference: &str) -> Option<Problem> {
    (reference.trim().is_empty() || reference.chars().count() > 200).then(|| {
        problem(
            i,
            "external_ref",
            "length",
            "须为 1 到 200 个字符".into(),
            "must be 1–200 characters".into(),
        )
    })
}

fn description_problem(i: usize, text: &str) -> Option<Problem> {
    let n = text.trim().chars().count();
    (n == 0 || n > 1000).then(|| {
        problem(
            i,
            "description",
            "length",
            "须为 1 到 1000 个字符".into(),
            "must be 1–1000 characters".into(),
        )
    })
}

/// A time or field a state needs and lacks, or has and must not.
fn presence(i: usize, status: &str, field: &str, present: bool, needed: bool) -> Option<Problem> {
    if needed && !present {
        Some(problem(
            i,
            field,
            "required",
            format!("状态为 {status} 时必填"),
            format!("required when the status is {status}"),
        ))
    } else if !needed && present {
        Some(problem(
            i,
            field,
            "not_allowed",
            format!("状态为 {status} 时不应填写"),
            format!("not allowed when the status is {status}"),
        ))
    } else {
        None
    }
}

/// Checks an issue record (`i`th of the import) at `now` and gives the steps it went
/// through, or every problem, each naming the record and the field.
pub fn issue_steps(
    i: usize,
    r: &IssueRecord,
    now: DateTime<Utc>,
) -> Result<Vec<Step>, Vec<Problem>> {
    use IssueStatus as S;
    let mut out = Vec::new();
    let today = local_date(now);
    let text_len =
        |v: &Option<String>, max: usize| v.as_deref().is_some_and(|s| s.chars().count() > max);
    out.extend(reference_problem(i, &r.external_ref));
    out.extend(description_problem(i, &r.description));
    for (field, v, max) in [
        ("place", &r.place, 200),
        ("content", &r.content, 500),
        ("method", &r.method, 200),
        ("measures", &r.measures, 1000),
        ("effect", &r.effect, 1000),
        ("remarks", &r.remarks, 1000),
        ("owner", &r.owner, 100),
    ] {
        if text_len(v, max) {
            out.push(problem(
                i,
                field,
                "too_long",
                format!("至多 {max} 个字符"),
                format!("at most {max} characters"),
            ));
        }
    }
    if r.found_on > today {
        out.push(problem(
            i,
            "found_on",
            "future",
            "不能晚于今天".into(),
            "must not be in the future".into(),
        ));
    }
    let in_years = |d: NaiveDate| (2000..=2099).contains(&chrono::Datelike::year(&d));
    if !in_years(r.found_on) {
        out.push(problem(
            i,
            "found_on",
            "out_of_range",
            "年份须在 2000 到 2099 之间".into(),
            "the year must be from 2000 to 2099".into(),
        ));
        return Err(out);
    }
    if r.deadline.is_some_and(|d| !in_years(d)) {
        out.push(problem(
            i,
            "deadline",
            "out_of_range",
            "年份须在 2000 到 2099 之间".into(),
            "the year must be from 2000 to 2099".into(),
        ));
    }
    // Default: 09:00 Beijing time on the day found, or now if that is still to come.
    let opened = r.opened_at.unwrap_or_else(|| {
        (super::calendar::start_of_day(r.found_on) + chrono::Duration::hours(9)).min(now)
    });
    let planned = r.planned_at.unwrap_or(opened);
    let times = [
        ("opened_at", Some(opened)),
        ("planned_at", r.planned_at),
        ("resolved_at", r.resolved_at),
        ("closed_at", r.closed_at),
        ("rechecked_at", r.rechecked_at),
        ("withdrawn_at", r.withdrawn_at),
    ];
    for (field, t) in times {
        if t.is_some_and(|t| t > now) {
            out.push(problem(
                i,
                field,
                "future",
                "不能晚于当前时间".into(),
                "must not be in the future".into(),
            ));
        }
    }
    if local_date(opened) < r.found_on {
        out.push(problem(
            i,
            "opened_at",
            "before_found",
            "不能早于发现日期".into(),
            "must not be before found_on".into(),
        ));
    }
    // The times each state needs, and none it does not.
    let reached = |s: S| -> bool {
        let order = |x: S| match x {
            S::Open => 0,
            S::Rectifying => 1,
            S::Resolved => 2,
            S::Closed => 3,
            S::Passed => 4,
            S::Withdrawn => 0,
        };
        r.status != S::Withdrawn && order(r.status) >= order(s)
    };
    let planned_step = !r.immediate || r.measures.is_some() || r.deadline.is_some();
    let need = |field: &str, present: bool, needed: bool, out: &mut Vec<Problem>| {
        out.extend(presence(i, r.status.as_str(), field, present, needed));
    };
    // A rectifying issue was planned, whatever else; a resolved immediate one may skip it.
    let rectified = reached(S::Rectifying) && (planned_step || r.status == S::Rectifying);
    if rectified {
        need(
            "measures",
            r.measures.as_deref().is_some_and(|m| !m.trim().is_empty()),
            true,
            &mut out,
        );
        need("deadline", r.deadline.is_some(), true, &mut out);
    } else {
        // A deadline is set by planning: without that step the history could not carry it.
        need("deadline", r.deadline.is_some(), false, &mut out);
    }
    need(
        "planned_at",
        r.planned_at.is_some(),
        r.planned_at.is_some() && rectified,
        &mut out,
    );
    need(
        "resolved_at",
        r.resolved_at.is_some(),
        reached(S::Resolved),
        &mut out,
    );
    if reached(S::Resolved) {
        need(
            "effect",
            r.effect.as_deref().is_some_and(|m| !m.trim().is_empty()),
            true,
            &mut out,
        );
    }
    need(
        "closed_at",
        r.closed_at.is_some(),
        reached(S::Closed),
        &mut out,
    );
    need(
        "rechecked_at",
        r.rechecked_at.is_some(),
        reached(S::Passed),
        &mut out,
    );
    need(
        "withdrawn_at",
        r.withdrawn_at.is_some(),
        r.status == S::Withdrawn,
        &mut out,
    );
    if r.deadline.is_some_and(|d| d < r.found_on) {
        out.push(problem(
            i,
            "deadline",
            "before_found",
            "不能早于发现日期".into(),
            "must not be before found_on".into(),
        ));
    }
    // Each step after the one before.
    let mut chain: Vec<(&str, DateTime<Utc>)> = vec![("opened_at", opened)];
    if rectified {
        chain.push(("planned_at", planned));
    }
    for (field, t) in [
        ("resolved_at", r.resolved_at),
        ("closed_at", r.closed_at),
        ("rechecked_at", r.rechecked_at),
        ("withdrawn_at", r.withdrawn_at),
    ] {
        if let Some(t) = t {
            chain.push((field, t));
        }
    }
    for w in chain.windows(2) {
        if w[1].1 < w[0].1 {
            out.push(problem(
                i,
                w[1].0,
                "out_of_order",
                format!("不能早于 {}", w[0].0),
                format!("must not be before {}", w[0].0),
            ));
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    let mut steps = vec![Step {
        action: "open",
        from: None,
        to: S::Open,
        at: opened,
    }];
    let mut state = S::Open;
    let mut go = |action: &'static str, to: S, at: DateTime<Utc>, steps: &mut Vec<Step>| {
        steps.push(Step {
            action,
            from: Some(state),
            to,
            at,
        });
        state = to;
    };
    if rectified {
        go("plan", S::Rectifying, planned, &mut steps);
    }
    if let Some(t) = r.resolved_at {
        go("resolve", S::Resolved, t, &mut steps);
    }
    if let Some(t) = r.closed_at {
        go("close", S::Closed, t, &mut steps);
    }
    if let Some(t) = r.rechecked_at {
        go("pass_recheck", S::Passed, t, &mut steps);
    }
    if let Some(t) = r.withdrawn_at {
        go("withdraw", S::Withdrawn, t, &mut steps);
    }
    Ok(steps)
}

/// Checks the times of a past participation that reached `status`: filed (`filed_at`),
/// accepted (and `accepted_at`) or returned (and `returned_at`, `return_reason`); none in the
/// future, each after the one before. The filing date against the activity date, and the
/// record itself, are checked as the API checks them.
#[allow(clippy::too_many_arguments)]
pub fn check_participation_times(
    i: usize,
    status: super::participation::Status,
    filed_at: Option<DateTime<Utc>>,
    accepted_at: Option<DateTime<Utc>>,
    returned_at: Option<DateTime<Utc>>,
    return_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<Problem> {
    use super::participation::Status as S;
    let mut out = Vec::new();
    let need = |field: &str, present: bool, needed: bool, out: &mut Vec<Problem>| {
        out.extend(presence(i, status.as_str(), field, present, needed));
    };
    need("filed_at", filed_at.is_some(), status != S::Draft, &mut out);
    need(
        "accepted_at",
        accepted_at.is_some(),
        status == S::Accepted,
        &mut out,
    );
    need(
        "returned_at",
        returned_at.is_some(),
        status == S::Returned,
        &mut out,
    );
    need(
        "return_reason",
        return_reason.is_some_and(|r| !r.trim().is_empty()),
        status == S::Returned,
        &mut out,
    );
    for (field, t) in [
        ("filed_at", filed_at),
        ("accepted_at", accepted_at),
        ("returned_at", returned_at),
    ] {
        if t.is_some_and(|t| t > now) {
            out.push(problem(
                i,
                field,
                "future",
                "不能晚于当前时间".into(),
                "must not be in the future".into(),
            ));
        }
        if field != "filed_at" && t.zip(filed_at).is_some_and(|(t, f)| t < f) {
            out.push(problem(
                i,
                field,
                "out_of_order",
                "不能早于 filed_at".into(),
                "must not be before filed_at".into(),
            ));
        }
    }
    out
}

/// Checks a trigger record.
pub fn check_trigger(i: usize, r: &TriggerRecord, now: DateTime<Utc>) -> Vec<Problem> {
    let mut out = Vec::new();
    out.extend(reference_problem(i, &r.external_ref));
    out.extend(description_problem(i, &r.description));
    for (field, d) in [("raised_on", Some(r.raised_on)), ("due_on", r.due_on)] {
        if d.is_some_and(|d| !(2000..=2099).contains(&chrono::Datelike::year(&d))) {
            out.push(problem(
                i,
                field,
                "out_of_range",
                "年份须在 2000 到 2099 之间".into(),
                "the year must be from 2000 to 2099".into(),
            ));
        }
    }
    if !out.is_empty() {
        return out;
    }
    if r.raised_on > local_date(now) {
        out.push(problem(
            i,
            "raised_on",
            "future",
            "不能晚于今天".into(),
            "must not be in the future".into(),
        ));
    }
    if r.due_on.is_some_and(|d| d < r.raised_on) {
        out.push(problem(
            i,
            "due_on",
            "before_raised",
            "不能早于提出日期".into(),
            "must not be before raised_on".into(),
        ));
    }
    out
}

/// A past random draw (随机选取), as recorded when it was made. Only a draw that anyone can
/// re-run is taken: made with this service's algorithm, whose result its population and seed
/// give again (一公开). A participation of the same or a later import names it by its
/// `external_ref` in place of a `draw_id`.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_ref": "SCJG-CQ-2026-02", "purpose": "inspection_matters", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "population": ["0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6b", "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6c", "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6d"], "seed": "2026-02-10 区营商办", "result": ["0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6d", "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6b"], "drawn_at": "2026-02-10T01:30:00Z"}))]
pub struct DrawRecord {
    /// The record's id in the source: a re-import with the same reference changes nothing.
    pub external_ref: String,
    /// What it was for.
    pub purpose: super::draw::DrawPurpose,
    /// The unit (required for `inspection_matters` and `follow_up_contacts`).
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    /// For `follow_up_contacts`: people served in the 3 months before this local date.
    pub reference_date: Option<NaiveDate>,
    /// The ids drawn from (1–10000, each once; 1–200 characters each).
    pub population: Vec<String>,
    /// The seed, 1–128 characters.
    pub seed: String,
    /// The algorithm (default and only one taken: `sha256-ctr-fisher-yates-v1`).
    #[serde(default)]
    pub algorithm: Option<String>,
    /// The drawn ids in draw order: `inspection_matters` 2–3, `follow_up_contacts` at least 3,
    /// `inspection_targets` at least 1.
    pub result: Vec<String>,
    /// When it was drawn.
    pub drawn_at: DateTime<Utc>,
}

/// Checks a draw record: its reference, its time, its unit and reference date as its purpose
/// needs, its population and result, and that re-running it gives its result.
pub fn check_draw(i: usize, r: &DrawRecord, now: DateTime<Utc>) -> Vec<Problem> {
    use super::draw::{DrawPurpose, Population, ALGORITHM, FOLLOW_UP_MIN, INSPECTION_MATTERS};
    let mut out = Vec::new();
    out.extend(reference_problem(i, &r.external_ref));
    if r.drawn_at > now {
        out.push(problem(
            i,
            "drawn_at",
            "future",
            "不能晚于当前时间".into(),
            "must not be in the future".into(),
        ));
    }
    let needs_unit = r.purpose != DrawPurpose::InspectionTargets;
    if needs_unit && r.unit_id.is_none() {
        out.push(problem(
            i,
            "unit_id",
            "required",
            "该用途须指明单位".into(),
            "this purpose needs a unit".into(),
        ));
    }
    match (r.purpose, r.reference_date) {
        (DrawPurpose::FollowUpContacts, None) => out.push(problem(
            i,
            "reference_date",
            "required",
            "回访抽取须给出参照日期".into(),
            "a follow-up draw needs its reference date".into(),
        )),
        (DrawPurpose::FollowUpContacts, Some(d)) if d > local_date(r.drawn_at) => {
            out.push(problem(
                i,
                "reference_date",
                "out_of_order",
                "不能晚于抽取日期".into(),
                "must not be after the day of the draw".into(),
            ))
        }
        (DrawPurpose::FollowUpContacts, Some(_)) | (_, None) => {}
        (_, Some(_)) => out.push(problem(
            i,
            "reference_date",
            "not_allowed",
            "只有 follow_up_contacts 需要参照日期".into(),
            "only follow_up_contacts takes a reference date".into(),
        )),
    }
    if r.seed.is_empty() || r.seed.chars().count() > 128 {
        out.push(problem(
            i,
            "seed",
            "length",
            "须为 1 到 128 个字符".into(),
            "must be 1–128 characters".into(),
        ));
    }
    if r.algorithm.as_deref().is_some_and(|a| a != ALGORITHM) {
        out.push(problem(i, "algorithm", "not_reproducible", format!("只能导入可复核的抽取（{ALGORITHM}）：其他方式的抽取无法由他人重新运行"), format!("only draws anyone can re-run ({ALGORITHM}) are taken: a draw made otherwise cannot be checked")));
    }
    if r.population.is_empty() || r.population.len() > 10_000 {
        out.push(problem(
            i,
            "population",
            "count",
            "须为 1 到 10000 项".into(),
            "1–10000 ids".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, id) in r.population.iter().enumerate() {
        if id.is_empty() || id.chars().count() > 200 || id.trim() != id {
            out.push(problem(
                i,
                &format!("population[{k}]"),
                "length",
                "须为 1 到 200 个字符，前后无空格".into(),
                "1–200 characters, no surrounding spaces".into(),
            ));
        } else if !seen.insert(id.as_str()) {
            out.push(problem(
                i,
                &format!("population[{k}]"),
                "duplicate",
                "重复".into(),
                "appears twice".into(),
            ));
        }
    }
    let n = r.result.len() as u32;
    let count_ok = match r.purpose {
        DrawPurpose::InspectionMatters => INSPECTION_MATTERS.contains(&n),
        DrawPurpose::FollowUpContacts => n >= FOLLOW_UP_MIN,
        DrawPurpose::InspectionTargets => n >= 1,
    };
    if !count_ok {
        out.push(problem(
            i,
            "result",
            "count",
            "抽取数量不符合实施方案：业务检查 2 至 3 项，回访不少于 3 个，执法对象至少 1 个".into(),
            "the count breaks the plan: 2 to 3 matters, at least 3 contacts, at least 1 target"
                .into(),
        ));
    }
    let mut drawn = std::collections::HashSet::new();
    for (k, id) in r.result.iter().enumerate() {
        if !seen.contains(id.as_str()) || !drawn.insert(id.as_str()) {
            out.push(problem(
                i,
                &format!("result[{k}]"),
                "not_in_population",
                "须为总体中的一项，且不重复".into(),
                "must be an id of the population, once".into(),
            ));
        }
    }
    if out.is_empty() {
        let population = Population::new(r.population.clone());
        if super::draw::draw(&population, &r.seed, r.result.len()) != r.result {
            out.push(problem(
                i,
                "result",
                "not_reproducible",
                "用该总体和种子重新抽取，结果不同".into(),
                "re-running the draw from its population and seed gives another result".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn closed() -> IssueRecord {
        serde_json::from_value(serde_json::json!({"external_ref": "R1", "unit_id": "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "kind": "problem", "description": "窗口材料清单未更新", "measures": "更新清单", "deadline": "2026-03-31", "effect": "已更新", "found_on": "2026-02-10", "status": "closed", "resolved_at": "2026-03-20T02:00:00Z", "closed_at": "2026-03-25T02:00:00Z"})).unwrap()
    }

    const NOW: &str = "2026-07-01T04:00:00Z";

    #[test]
    fn a_closed_issue_becomes_its_four_steps() {
        let steps = issue_steps(0, &closed(), at(NOW)).unwrap();
        let names: Vec<_> = steps.iter().map(|s| (s.action, s.to)).collect();
        assert_eq!(
            names,
            vec![
                ("open", IssueStatus::Open),
                ("plan", IssueStatus::Rectifying),
                ("resolve", IssueStatus::Resolved),
                ("close", IssueStatus::Closed)
            ]
        );
        // Opened at 09:00 Beijing time on the day found.
        assert_eq!(steps[0].at, at("2026-02-10T01:00:00Z"));
        assert_eq!(steps[3].at, at("2026-03-25T02:00:00Z"));
    }

    #[test]
    fn times_in_the_future_or_out_of_order_name_the_record_and_field() {
        let mut r = closed();
        r.closed_at = Some(at("2026-03-19T00:00:00Z"));
        let e = issue_steps(3, &r, at(NOW)).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("records[3].closed_at", "out_of_order")
        );
        let mut r = closed();
        r.closed_at = Some(at("2026-07-01T04:00:01Z"));
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("records[0].closed_at", "future")
        );
        let mut r = closed();
        r.found_on = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert!(e
            .iter()
            .any(|p| p.field == "records[0].found_on" && p.code == "future"));
        // Exactly now is allowed; a second later is not.
        let mut r = closed();
        r.closed_at = Some(at(NOW));
        assert!(issue_steps(0, &r, at(NOW)).is_ok());
    }

    #[test]
    fn each_state_needs_its_times_and_no_others() {
        let mut r = closed();
        r.status = IssueStatus::Rectifying;
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        let fields: Vec<_> = e.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert!(
            fields.contains(&("records[0].resolved_at", "not_allowed"))
                && fields.contains(&("records[0].closed_at", "not_allowed")),
            "{fields:?}"
        );
        let mut r = closed();
        r.status = IssueStatus::Passed;
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("records[0].rechecked_at", "required")
        );
        let mut r = closed();
        r.measures = None;
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert_eq!(e[0].field, "records[0].measures");
        // An immediate issue may go from open to resolved without a plan.
        let mut r = closed();
        r.immediate = true;
        r.measures = None;
        r.deadline = None;
        let steps = issue_steps(0, &r, at(NOW)).unwrap();
        assert_eq!(
            steps.iter().map(|s| s.action).collect::<Vec<_>>(),
            vec!["open", "resolve", "close"]
        );
        // Open: nothing but the opening, and no deadline (only planning sets one).
        let mut r = closed();
        r.status = IssueStatus::Open;
        r.resolved_at = None;
        r.closed_at = None;
        r.effect = None;
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("records[0].deadline", "not_allowed")
        );
        r.deadline = None;
        assert_eq!(issue_steps(0, &r, at(NOW)).unwrap().len(), 1);
        // Rectifying means planned, immediate or not.
        let mut r = closed();
        r.status = IssueStatus::Rectifying;
        r.resolved_at = None;
        r.closed_at = None;
        r.effect = None;
        r.immediate = true;
        r.measures = None;
        r.deadline = None;
        let e = issue_steps(0, &r, at(NOW)).unwrap_err();
        assert!(e.iter().any(|p| p.field == "records[0].measures"), "{e:?}");
        // Dates out of this century are refused, not overflowed.
        let mut r = closed();
        r.found_on = NaiveDate::MIN;
        assert_eq!(
            issue_steps(0, &r, at(NOW)).unwrap_err()[0].code,
            "out_of_range"
        );
    }

    fn draw_record() -> DrawRecord {
        use crate::domain::draw::{draw, Population};
        let population: Vec<String> = ["m-a", "m-b", "m-c", "m-d"].map(String::from).to_vec();
        let result = draw(&Population::new(population.clone()), "seed-1", 2);
        DrawRecord {
            external_ref: "D-1".into(),
            purpose: crate::domain::draw::DrawPurpose::InspectionMatters,
            unit_id: Some("0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a".into()),
            reference_date: None,
            population,
            seed: "seed-1".into(),
            algorithm: None,
            result,
            drawn_at: at("2026-02-10T01:30:00Z"),
        }
    }

    fn codes(p: Vec<Problem>) -> Vec<(String, &'static str)> {
        p.into_iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn a_draw_is_taken_only_when_rerunning_it_gives_its_result() {
        let now = at(NOW);
        assert!(check_draw(0, &draw_record(), now).is_empty());
        // Its result in another order, or another seed: not what re-running gives.
        let mut r = draw_record();
        r.result.reverse();
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].result".into(), "not_reproducible")]
        );
        let mut r = draw_record();
        r.seed = "seed-2".into();
        let rerun = crate::domain::draw::draw(
            &crate::domain::draw::Population::new(r.population.clone()),
            "seed-2",
            2,
        );
        assert_eq!(check_draw(0, &r, now).is_empty(), rerun == r.result);
        // Another algorithm cannot be re-run here.
        let mut r = draw_record();
        r.algorithm = Some("抽签".into());
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].algorithm".into(), "not_reproducible")]
        );
        // The plan's counts: 2 to 3 matters (one or four are refused), at least 3 contacts.
        for n in [1, 4] {
            let mut r = draw_record();
            r.result = crate::domain::draw::draw(
                &crate::domain::draw::Population::new(r.population.clone()),
                "seed-1",
                n,
            );
            assert!(
                codes(check_draw(0, &r, now)).contains(&("records[0].result".into(), "count")),
                "{n}"
            );
        }
        let mut r = draw_record();
        r.result.push("m-z".into());
        assert!(codes(check_draw(0, &r, now))
            .contains(&("records[0].result[2]".into(), "not_in_population")));
        let mut r = draw_record();
        r.population.push("m-a".into());
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].population[4]".into(), "duplicate")]
        );
        // Times: not in the future; a follow-up draw needs a reference date not after its day.
        let mut r = draw_record();
        r.drawn_at = now + chrono::Duration::seconds(1);
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].drawn_at".into(), "future")]
        );
        let mut r = draw_record();
        r.reference_date = NaiveDate::from_ymd_opt(2026, 2, 10);
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].reference_date".into(), "not_allowed")]
        );
        let mut r = draw_record();
        r.purpose = crate::domain::draw::DrawPurpose::FollowUpContacts;
        r.result = crate::domain::draw::draw(
            &crate::domain::draw::Population::new(r.population.clone()),
            "seed-1",
            3,
        );
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].reference_date".into(), "required")]
        );
        // 2026-02-10T01:30Z is 09:30 on 02-10 in Shanghai: that day is the latest reference.
        r.reference_date = NaiveDate::from_ymd_opt(2026, 2, 10);
        assert!(check_draw(0, &r, now).is_empty());
        r.reference_date = NaiveDate::from_ymd_opt(2026, 2, 11);
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].reference_date".into(), "out_of_order")]
        );
        r.reference_date = NaiveDate::from_ymd_opt(2026, 2, 10);
        r.unit_id = None;
        assert_eq!(
            codes(check_draw(0, &r, now)),
            vec![("records[0].unit_id".into(), "required")]
        );
    }
}
