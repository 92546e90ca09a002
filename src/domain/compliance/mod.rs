//! Compliance checks (专项考核, plan 五(三)): the rules R1–R13 of DOMAIN.md as pure functions of
//! a period's loaded records, the configuration and an evaluation date. No rule reads the
//! database or the clock, so a check of a past quarter gives the same answer tomorrow.
//!
//! A check is made as of the end of its evaluation date: a deadline D has passed when D is on or
//! before that date, nothing is reported before a deadline passes, and a missing record and a
//! late one give the same finding. R1, R2 and R7 are judged once a quarter has ended; while it
//! runs the check reports progress instead ([`Progress`]).

mod rules;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::{DayCount, Quarter, WorkCalendar};
use super::ledger::{IssueAction, IssueStatus, RecheckRule};
use super::participation::{ContactFacts, DrawFacts, FilingRule, ParticipantKind, Segment, Status};
use super::stats::ListedReason;
use super::unit::{Activity, Category};

pub use rules::{progress, r1, r10, r11, r12, r13, r2, r3, r4, r5, r6, r7, r8, r9};

crate::text_enum! {
    /// A compliance rule of DOMAIN.md.
    pub enum Rule {
        /// Each unit takes part each quarter in each activity its categories require.
        R1 => "R1",
        /// Every matter of the unit experienced within the year; on track by quarter.
        R2 => "R2",
        /// Filed within `filing_days` of the activity.
        R3 => "R3",
        /// Every mandatory segment present and complete.
        R4 => "R4",
        /// W3 has at least 3 valid calls.
        R5 => "R5",
        /// W2 covers 2 to 3 matters chosen by a recorded draw.
        R6 => "R6",
        /// The head took part in person at least once in the quarter.
        R7 => "R7",
        /// Every immediate trigger answered in time.
        R8 => "R8",
        /// The quarter's issue lists sent on time.
        R9 => "R9",
        /// No issue overdue.
        R10 => "R10",
        /// Every closed issue re-checked in time.
        R11 => "R11",
        /// Lead departments' monthly statistics and quarterly summaries on time.
        R12 => "R12",
        /// Each quarter's plans published before the quarter starts.
        R13 => "R13",
    }
}

crate::text_enum! {
    /// How grave a finding is.
    pub enum Severity {
        /// A lapse of form or timing.
        Minor => "minor",
        /// A duty not done or done badly.
        Major => "major",
        /// Not taking part (严重敷衍、无故不执行): a matter for the bulletin.
        Serious => "serious",
    }
}

impl Rule {
    /// The clause of the plan the rule enforces.
    pub fn clause(self) -> &'static str {
        match self {
            Rule::R1 | Rule::R2 => "一(四)1",
            Rule::R3 => "四(二)",
            Rule::R4 => "二",
            Rule::R5 => "二(一)3",
            Rule::R6 => "二(一)2",
            Rule::R7 => "一(三)",
            Rule::R8 => "一(四)2",
            Rule::R9 => "五(二)",
            Rule::R10 => "四(四), 五(二)",
            Rule::R11 => "四(四)",
            Rule::R12 => "四(二), 四(三)",
            Rule::R13 => "四(一)",
        }
    }

    /// Its severity: not taking part is serious; a duty not done is major; a lapse of timing
    /// or form is minor.
    pub fn severity(self) -> Severity {
        match self {
            Rule::R1 | Rule::R7 => Severity::Serious,
            Rule::R2 | Rule::R4 | Rule::R5 | Rule::R6 | Rule::R8 | Rule::R10 | Rule::R13 => {
                Severity::Major
            }
            Rule::R3 | Rule::R9 | Rule::R11 | Rule::R12 => Severity::Minor,
        }
    }

    /// The points a finding deducts by default (`FRONTLINE_COMPLIANCE_POINTS` overrides).
    pub fn default_points(self) -> u32 {
        match self {
            Rule::R1 => 10,
            Rule::R2 => 5,
            Rule::R3 => 1,
            Rule::R4 | Rule::R5 | Rule::R6 => 3,
            Rule::R7 => 5,
            Rule::R8 => 3,
            Rule::R9 => 2,
            Rule::R10 => 2,
            Rule::R11 => 2,
            Rule::R12 => 2,
            Rule::R13 => 3,
        }
    }
}

/// The deduction table: the points each rule's finding deducts from a unit's 100.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(value_type = BTreeMap<String, u32>, example = json!({"R1": 10, "R2": 5, "R3": 1}))]
pub struct Deductions(pub BTreeMap<Rule, u32>);

impl Default for Deductions {
    fn default() -> Self {
        Deductions(Rule::ALL.iter().map(|r| (*r, r.default_points())).collect())
    }
}

/// Why a deduction table was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadDeductions(pub String);

impl Deductions {
    /// The points of `rule`.
    pub fn points(&self, rule: Rule) -> u32 {
        self.0
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_points())
    }

    /// The defaults with overrides `R1=10,R3=1` (each 0–100).
    pub fn parse(overrides: &str) -> Result<Self, BadDeductions> {
        let mut table = Deductions::default();
        for pair in overrides
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (rule, points) = pair
                .split_once('=')
                .ok_or_else(|| BadDeductions(format!("expected RULE=POINTS, got {pair:?}")))?;
            let rule: Rule = rule.trim().parse().map_err(|_| {
                BadDeductions(format!("unknown rule {:?}; expected R1–R13", rule.trim()))
            })?;
            let points: u32 = points
                .trim()
                .parse()
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| BadDeductions(format!("{rule}: points must be 0–100")))?;
            table.0.insert(rule, points);
        }
        Ok(table)
    }
}

/// The period a check evaluates: a quarter or a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckPeriod {
    /// `2026-Q3`.
    Quarter(Quarter),
    /// `2026`.
    Year(i32),
}

/// Why a period was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a quarter like 2026-Q3 or a year like 2026 (2000–2099)")]
pub struct BadCheckPeriod;

impl FromStr for CheckPeriod {
    type Err = BadCheckPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(q) = s.parse::<Quarter>() {
            return Ok(CheckPeriod::Quarter(q));
        }
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            let y: i32 = s.parse().map_err(|_| BadCheckPeriod)?;
            if (2000..=2099).contains(&y) {
                return Ok(CheckPeriod::Year(y));
            }
        }
        Err(BadCheckPeriod)
    }
}

impl fmt::Display for CheckPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckPeriod::Quarter(q) => q.fmt(f),
            CheckPeriod::Year(y) => write!(f, "{y}"),
        }
    }
}

impl CheckPeriod {
    /// Its quarters, in order.
    pub fn quarters(self) -> Vec<Quarter> {
        match self {
            CheckPeriod::Quarter(q) => vec![q],
            CheckPeriod::Year(y) => (1..=4).filter_map(|n| Quarter::new(y, n).ok()).collect(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        self.quarters()
            .first()
            .map_or(NaiveDate::MIN, |q| q.first_day())
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.quarters()
            .last()
            .map_or(NaiveDate::MAX, |q| q.last_day())
    }

    /// Whether `d` falls in it.
    pub fn contains(self, d: NaiveDate) -> bool {
        self.first_day() <= d && d <= self.last_day()
    }

    /// The first day of each of its months.
    pub fn months(self) -> Vec<NaiveDate> {
        self.quarters()
            .into_iter()
            .flat_map(|q| {
                let first = q.first_day();
                (0..3).filter_map(move |i| first.checked_add_months(chrono::Months::new(i)))
            })
            .collect()
    }

    /// The period before (the previous quarter or year).
    pub fn prev(self) -> Self {
        match self {
            CheckPeriod::Quarter(q) => CheckPeriod::Quarter(q.prev()),
            CheckPeriod::Year(y) => CheckPeriod::Year(y - 1),
        }
    }
}

/// The ids of the records a finding rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Evidence {
    /// Participations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participations: Vec<String>,
    /// Ledger issues.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
    /// Reports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<String>,
    /// Schedules (plans).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<String>,
    /// Triggers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    /// Submitted issue lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issue_lists: Vec<String>,
    /// Draws.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub draws: Vec<String>,
    /// Matters (those not yet experienced, for R2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matters: Vec<String>,
}

/// One finding of a check: what rule, whom, why, on which records, and what it costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ComplianceFinding)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// A stable identity within the rule (`R3:<participation>`, `R1:<unit>:2026-Q3:window`):
    /// the same failure has the same key in every run, which is how runs are compared.
    pub key: String,
    /// The unit, or the lead department for R12 and R13 (`null` when the activity has none).
    pub unit_id: Option<String>,
    /// The activity the finding is about, where it is about one.
    pub activity: Option<Activity>,
    /// The quarter (or month, for a monthly report) it is about.
    pub subject_period: Option<String>,
    /// Its severity.
    pub severity: Severity,
    /// A stable code (`no_participation`, `filed_late`, `not_filed`, `issue_overdue`…).
    pub code: String,
    /// Chinese.
    pub message_zh: String,
    /// English.
    pub message_en: String,
    /// The records it rests on.
    pub evidence: Evidence,
    /// The clause of the plan.
    pub clause: String,
    /// The deadline judged, where there is one.
    pub due_on: Option<NaiveDate>,
    /// Points deducted.
    pub points: u32,
}

/// What a check needs of a unit.
#[derive(Clone, Debug)]
pub struct UnitFacts {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Participation categories; a unit with none (the programme's offices) is not judged by
    /// the unit rules.
    pub categories: Vec<Category>,
    /// Whether a deputy may stand in (R1, R2, R8).
    pub delegation_allowed: bool,
    /// The activity it leads, if it is a lead department (R12, R13).
    pub lead_activity: Option<Activity>,
    /// Active units only are judged.
    pub active: bool,
}

impl UnitFacts {
    /// Whether the unit rules apply to it.
    pub fn judged(&self) -> bool {
        self.active && !self.categories.is_empty()
    }

    /// The activities R1 requires of it each quarter; empty when any activity will do
    /// (`policy_making` alone).
    pub fn required_activities(&self) -> BTreeSet<Activity> {
        self.categories
            .iter()
            .filter_map(|c| c.required_activity())
            .collect()
    }
}

/// What a check needs of a participation, as it stood at the end of the evaluation date.
#[derive(Clone, Debug)]
pub struct ParticipationFacts {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Activity.
    pub activity: Activity,
    /// Head or deputy.
    pub participant: ParticipantKind,
    /// Local activity date.
    pub activity_on: NaiveDate,
    /// Its status at the end of the evaluation date.
    pub status: Status,
    /// The local date of its first filing, if filed by the end of the evaluation date.
    pub first_filed_on: Option<NaiveDate>,
    /// The trigger it answers.
    pub trigger_id: Option<String>,
    /// The matters it experienced.
    pub matter_ids: Vec<String>,
    /// Its segments.
    pub segments: Vec<Segment>,
}

impl ParticipationFacts {
    /// Only filed and accepted participations count.
    pub fn counted(&self) -> bool {
        matches!(self.status, Status::Filed | Status::Accepted)
    }
}

/// What a check needs of a matter.
#[derive(Clone, Debug)]
pub struct MatterFacts {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Whether it is in the catalogue (R2 counts active matters).
    pub active: bool,
    /// The local date it was added to the catalogue: R2 judged at the end of a quarter counts
    /// the matters there by then.
    pub created_on: NaiveDate,
}

/// What a check needs of a trigger.
#[derive(Clone, Debug)]
pub struct TriggerFacts {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// Local date raised.
    pub raised_on: NaiveDate,
    /// The last local date of its answer.
    pub due_on: NaiveDate,
}

/// What a check needs of a ledger issue, as it stood at the end of the evaluation date.
#[derive(Clone, Debug)]
pub struct IssueFacts {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// 序号.
    pub seq: i32,
    /// Activity, if any.
    pub activity: Option<Activity>,
    /// Status.
    pub status: IssueStatus,
    /// Deadline.
    pub deadline: Option<NaiveDate>,
    /// Its lifecycle steps with their local dates, oldest first.
    pub steps: Vec<(IssueAction, NaiveDate)>,
}

/// What a check needs of a submitted issue list.
#[derive(Clone, Debug)]
pub struct IssueListFacts {
    /// Id.
    pub id: String,
    /// Unit.
    pub unit_id: String,
    /// The quarter.
    pub quarter: Quarter,
    /// Local date submitted.
    pub submitted_on: NaiveDate,
}

crate::text_enum! {
    /// A lead department's report kinds that R12 judges.
    #[schema(as = DueReportKind)]
    pub enum ReportKind {
        /// Monthly statistics (四(二)).
        Monthly => "monthly",
        /// Quarterly summary (四(三)).
        Quarterly => "quarterly",
    }
}

/// What a check needs of a report.
#[derive(Clone, Debug)]
pub struct ReportFacts {
    /// Id.
    pub id: String,
    /// Monthly or quarterly.
    pub kind: ReportKind,
    /// `2026-07` or `2026-Q3`.
    pub period: String,
    /// The lead's activity.
    pub activity: Activity,
    /// Local date submitted.
    pub submitted_on: NaiveDate,
}

/// What a check needs of a plan revision.
#[derive(Clone, Debug)]
pub struct ScheduleFacts {
    /// Id.
    pub id: String,
    /// Activity.
    pub activity: Activity,
    /// Quarter.
    pub quarter: Quarter,
    /// Revision.
    pub revision: i32,
    /// Local date published, if it was by the end of the evaluation date.
    pub published_on: Option<NaiveDate>,
}

/// Everything a check reads: the records as they stood at the end of `evaluated_on`.
#[derive(Clone, Debug)]
pub struct Input {
    /// The period judged.
    pub period: CheckPeriod,
    /// The evaluation date.
    pub evaluated_on: NaiveDate,
    /// Units.
    pub units: Vec<UnitFacts>,
    /// Participations dated from 1 January of the period's year.
    pub participations: Vec<ParticipationFacts>,
    /// Matters.
    pub matters: Vec<MatterFacts>,
    /// Triggers raised in the period.
    pub triggers: Vec<TriggerFacts>,
    /// Ledger issues.
    pub issues: Vec<IssueFacts>,
    /// Issue lists of the period's quarters.
    pub issue_lists: Vec<IssueListFacts>,
    /// Monthly and quarterly reports of the period.
    pub reports: Vec<ReportFacts>,
    /// Plan revisions of the period's quarters.
    pub schedules: Vec<ScheduleFacts>,
    /// Service records named by follow-up calls, by id (R5).
    pub contacts: HashMap<String, ContactFacts>,
    /// Draws, by id (R6).
    pub draws: HashMap<String, DrawFacts>,
    /// The frozen `complaint_concentrated` list of each quarter (H1): R1 requires COMPLAINT of
    /// these units in that quarter.
    pub concentrated: HashMap<Quarter, HashSet<String>>,
}

impl Input {
    /// An empty input for `period` judged on `evaluated_on`.
    pub fn new(period: CheckPeriod, evaluated_on: NaiveDate) -> Self {
        Input {
            period,
            evaluated_on,
            units: Vec::new(),
            participations: Vec::new(),
            matters: Vec::new(),
            triggers: Vec::new(),
            issues: Vec::new(),
            issue_lists: Vec::new(),
            reports: Vec::new(),
            schedules: Vec::new(),
            contacts: HashMap::new(),
            draws: HashMap::new(),
            concentrated: HashMap::new(),
        }
    }

    /// The period's quarters that have ended by the end of the evaluation date.
    pub fn ended_quarters(&self) -> Vec<Quarter> {
        self.period
            .quarters()
            .into_iter()
            .filter(|q| q.last_day() <= self.evaluated_on)
            .collect()
    }

    /// The period's quarter running on the evaluation date, if any.
    pub fn running_quarter(&self) -> Option<Quarter> {
        self.period
            .quarters()
            .into_iter()
            .find(|q| q.first_day() <= self.evaluated_on && self.evaluated_on < q.last_day())
    }

    /// Whether a counted participation also counts for R1, R2 and R8: the head's always, a
    /// deputy's where the unit allows delegation.
    fn counts_for_unit(&self, p: &ParticipationFacts, delegation: &HashMap<&str, bool>) -> bool {
        p.counted()
            && (p.participant == ParticipantKind::Head
                || delegation.get(p.unit_id.as_str()).copied().unwrap_or(false))
    }

    fn delegation(&self) -> HashMap<&str, bool> {
        self.units
            .iter()
            .map(|u| (u.id.as_str(), u.delegation_allowed))
            .collect()
    }

    /// The activities R1 requires of `unit` in `q`: those of its categories, and COMPLAINT
    /// when the quarter's frozen concentration list names it.
    pub fn required_in(&self, unit: &UnitFacts, q: Quarter) -> BTreeSet<Activity> {
        let mut out = unit.required_activities();
        if self
            .concentrated
            .get(&q)
            .is_some_and(|s| s.contains(&unit.id))
        {
            out.insert(Activity::Complaint);
        }
        out
    }

    /// The lead department of each activity.
    pub fn leads(&self) -> BTreeMap<Activity, String> {
        let mut out = BTreeMap::new();
        for u in self.units.iter().filter(|u| u.active) {
            if let Some(a) = u.lead_activity {
                out.entry(a).or_insert_with(|| u.id.clone());
            }
        }
        out
    }
}

/// The configuration a check uses (stored with each run).
#[derive(Clone, Debug)]
pub struct Settings {
    /// R3's deadline.
    pub filing: FilingRule,
    /// R11's window.
    pub recheck: RecheckRule,
    /// The working calendar for R9 and R12.
    pub calendar: WorkCalendar,
    /// R9: by day N of the quarter's last month.
    pub issue_list_day: u32,
    /// R9: calendar or working days.
    pub issue_list_count: DayCount,
    /// R12: monthly statistics by day N of the next month.
    pub monthly_report_day: u32,
    /// R12: calendar or working days.
    pub monthly_report_count: DayCount,
    /// R12: quarterly summary by day N of the quarter's last month.
    pub quarterly_summary_day: u32,
    /// R12: calendar or working days.
    pub quarterly_summary_count: DayCount,
    /// The points each finding deducts.
    pub deductions: Deductions,
}

impl Settings {
    /// The defaults of DOMAIN.md (calendar days, no holidays).
    pub fn defaults() -> Self {
        Settings {
            filing: FilingRule::calendar_days(3),
            recheck: RecheckRule::calendar_days(90),
            calendar: WorkCalendar::default(),
            issue_list_day: 20,
            issue_list_count: DayCount::Calendar,
            monthly_report_day: 20,
            monthly_report_count: DayCount::Calendar,
            quarterly_summary_day: 22,
            quarterly_summary_count: DayCount::Calendar,
            deductions: Deductions::default(),
        }
    }
}

/// A unit's progress in a running quarter ("on track?").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// The unit.
    pub unit_id: String,
    /// The running quarter.
    pub quarter: String,
    /// Days left in the quarter after the evaluation date.
    pub days_left: u32,
    /// R1: the activities still without a counted participation this quarter (`any` when the
    /// unit may take part in any activity and has none yet).
    pub r1_missing: Vec<String>,
    /// R7: whether the head took part in person this quarter.
    pub r7_head_in_person: bool,
    /// R2: matters experienced since 1 January.
    pub r2_covered: u32,
    /// R2: active matters.
    pub r2_total: u32,
    /// R2: matters to cover by the quarter's end (⌈q × total / 4⌉).
    pub r2_expected: u32,
    /// R2: whether 4 × covered ≥ q × total already.
    pub r2_on_track: bool,
}

/// A unit's score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    /// Rank: 1 is best; equal scores share a rank (1, 2, 2, 4).
    pub rank: u32,
    /// The unit.
    pub unit_id: String,
    /// Its name.
    pub unit_name: String,
    /// 100 minus the points deducted, never below 0.
    pub score: u32,
    /// Points deducted (before the floor at 0).
    pub deducted: u32,
    /// Its findings.
    pub findings: u32,
}

/// A unit named for the bulletin (通报), with why and the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Listing {
    /// The unit.
    pub unit_id: String,
    /// Why.
    pub reason: ListedReason,
    /// The quarter it is about (for a year's check).
    pub quarter: Option<String>,
    /// The records: the deputies' participations (R7), the issues overdue in this check and
    /// the previous one.
    pub evidence: Evidence,
    /// The previous check the repeated overdue issues were found in.
    pub previous_check_id: Option<String>,
}

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Findings, by rule then key.
    pub findings: Vec<Finding>,
    /// Progress of the running quarter, by unit.
    pub progress: Vec<Progress>,
}

/// What a run is limited to: one unit, one activity (a lead's run), or neither.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The one unit.
    pub unit_id: Option<String>,
    /// The one activity.
    pub activity: Option<Activity>,
}

impl Scope {
    /// Whether a unit is scored in the run: the unit asked for; for an activity, its lead
    /// department and the judged units that activity is required of (or that may take part in
    /// any).
    pub fn has_unit(&self, u: &UnitFacts) -> bool {
        self.unit_id.as_ref().is_none_or(|x| *x == u.id)
            && self.activity.is_none_or(|a| {
                u.lead_activity == Some(a)
                    || (u.judged() && {
                        let req = u.required_activities();
                        req.is_empty() || req.contains(&a)
                    })
            })
    }

    /// Whether a finding belongs to the run: of the unit asked for, and of the activity asked
    /// for (findings without an activity are left out of an activity's run).
    pub fn has_finding(&self, f: &Finding) -> bool {
        (self.unit_id.is_none() || f.unit_id == self.unit_id)
            && (self.activity.is_none() || f.activity == self.activity)
    }
}

/// Runs every rule.
pub fn evaluate(input: &Input, settings: &Settings) -> Outcome {
    let mut findings = Vec::new();
    findings.extend(r1(input, settings));
    findings.extend(r2(input, settings));
    findings.extend(r3(input, settings));
    findings.extend(r4(input, settings));
    findings.extend(r5(input, settings));
    findings.extend(r6(input, settings));
    findings.extend(r7(input, settings));
    findings.extend(r8(input, settings));
    findings.extend(r9(input, settings));
    findings.extend(r10(input, settings));
    findings.extend(r11(input, settings));
    findings.extend(r12(input, settings));
    findings.extend(r13(input, settings));
    findings.sort_by(|a, b| (a.rule, &a.key).cmp(&(b.rule, &b.key)));
    Outcome {
        findings,
        progress: progress(input),
    }
}

/// The scores of the units judged (and the lead departments): 100 minus their findings'
/// points, never below 0, ranked best first (equal scores share a rank, then by name).
pub fn scores(units: &[UnitFacts], findings: &[Finding]) -> Vec<Score> {
    let mut by_unit: HashMap<&str, (u32, u32)> = HashMap::new();
    for f in findings {
        if let Some(u) = f.unit_id.as_deref() {
            let e = by_unit.entry(u).or_default();
            e.0 = e.0.saturating_add(f.points);
            e.1 += 1;
        }
    }
    let mut out: Vec<Score> = units
        .iter()
        .filter(|u| u.judged() || (u.active && u.lead_activity.is_some()))
        .map(|u| {
            let (deducted, n) = by_unit.get(u.id.as_str()).copied().unwrap_or_default();
            Score {
                rank: 0,
                unit_id: u.id.clone(),
                unit_name: u.name.clone(),
                score: 100u32.saturating_sub(deducted),
                deducted,
                findings: n,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.unit_name.cmp(&b.unit_name))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    let ranks = super::competition_ranks(&out, |s| s.score);
    for (s, rank) in out.iter_mut().zip(ranks) {
        s.rank = rank;
    }
    out
}

/// The previous check's overdue issues (R10 findings), by unit: what "repeatedly overdue"
/// compares with.
#[derive(Clone, Debug, Default)]
pub struct PreviousCheck {
    /// Its id.
    pub id: String,
    /// The issues it found overdue, by unit.
    pub overdue: BTreeMap<String, Vec<String>>,
}

/// The bulletin list (DOMAIN.md "Scores", 五(三)): units with no counted participation at all
/// in an ended quarter; units with issues overdue in this check and in the previous one; units
/// whose head never took part in person (R7).
pub fn bulletin_list(
    input: &Input,
    findings: &[Finding],
    previous: Option<&PreviousCheck>,
) -> Vec<Listing> {
    let mut out = Vec::new();
    for q in input.ended_quarters() {
        let took_part: HashSet<&str> = input
            .participations
            .iter()
            .filter(|p| p.counted() && q.contains(p.activity_on))
            .map(|p| p.unit_id.as_str())
            .collect();
        for u in input.units.iter().filter(|u| u.judged()) {
            if !took_part.contains(u.id.as_str()) {
                out.push(Listing {
                    unit_id: u.id.clone(),
                    reason: ListedReason::NoParticipation,
                    quarter: Some(q.to_string()),
                    evidence: Evidence::default(),
                    previous_check_id: None,
                });
            }
        }
    }
    if let Some(prev) = previous {
        let mut now: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.rule == Rule::R10) {
            if let Some(u) = f.unit_id.as_deref() {
                now.entry(u)
                    .or_default()
                    .extend(f.evidence.issues.iter().cloned());
            }
        }
        for (unit, issues) in now {
            if let Some(before) = prev.overdue.get(unit).filter(|b| !b.is_empty()) {
                let mut all: BTreeSet<String> = issues.into_iter().collect();
                all.extend(before.iter().cloned());
                out.push(Listing {
                    unit_id: unit.to_owned(),
                    reason: ListedReason::RepeatedlyOverdue,
                    quarter: None,
                    evidence: Evidence {
                        issues: all.into_iter().collect(),
                        ..Evidence::default()
                    },
                    previous_check_id: Some(prev.id.clone()),
                });
            }
        }
    }
    for f in findings.iter().filter(|f| f.rule == Rule::R7) {
        if let Some(u) = &f.unit_id {
            out.push(Listing {
                unit_id: u.clone(),
                reason: ListedReason::HeadNeverInPerson,
                quarter: f.subject_period.clone(),
                evidence: f.evidence.clone(),
                previous_check_id: None,
            });
        }
    }
    out.sort_by(|a, b| (&a.unit_id, a.reason, &a.quarter).cmp(&(&b.unit_id, b.reason, &b.quarter)));
    out
}

/// A finding present in both runs but different.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Changed {
    /// The finding in this run.
    pub now: Finding,
    /// The finding in the other run.
    pub before: Finding,
}

/// How two runs differ, finding by finding (matched by `key`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Diff {
    /// In this run, not in the other.
    pub added: Vec<Finding>,
    /// In the other run, not in this one.
    pub gone: Vec<Finding>,
    /// In both, with different points, severity, message, deadline or evidence.
    pub changed: Vec<Changed>,
    /// In both and the same.
    pub unchanged: u32,
}

/// Compares the findings of a run (`now`) with another's (`before`).
pub fn diff(now: &[Finding], before: &[Finding]) -> Diff {
    let old: BTreeMap<&str, &Finding> = before.iter().map(|f| (f.key.as_str(), f)).collect();
    let new: BTreeMap<&str, &Finding> = now.iter().map(|f| (f.key.as_str(), f)).collect();
    let mut out = Diff::default();
    for (k, f) in &new {
        match old.get(k) {
            None => out.added.push((*f).clone()),
            Some(b) if *b != *f => out.changed.push(Changed {
                now: (*f).clone(),
                before: (*b).clone(),
            }),
            Some(_) => out.unchanged += 1,
        }
    }
    for (k, f) in &old {
        if !new.contains_key(k) {
            out.gone.push((*f).clone());
        }
    }
    out
}

/// The number of days from `a` to `b` (0 when `b` is not after `a`).
fn days_between(a: NaiveDate, b: NaiveDate) -> u32 {
    u32::try_from((b - a).num_days().max(0)).unwrap_or(u32::MAX)
}

/// `YYYY-MM` of a month's first day.
fn month_name(first: NaiveDate) -> String {
    format!("{:04}-{:02}", first.year(), first.month())
}
