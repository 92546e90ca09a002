//! The issue ledger (问题台账, 挂账销号): the kinds, sources and states of an issue, its
//! lifecycle as a state machine, and what is computed from dates (overdue R10, re-check R11)
//! (DOMAIN.md "The issue ledger"; plan 四(四), 五(二)).

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{DayCount, WorkCalendar};

crate::text_enum! {
    /// What an issue is (Annex 2: 发现问题 or 企业群众或一线工作人员反映的需求).
    pub enum IssueKind {
        /// A problem found (发现问题).
        Problem => "problem",
        /// A demand heard from enterprises, citizens or front-line staff (反映的需求).
        Demand => "demand",
    }
}

crate::text_enum! {
    /// Where an issue came from.
    pub enum IssueSource {
        /// A finding of a filed participation.
        Participation => "participation",
        /// Entered by hand, with a reason.
        Manual => "manual",
        /// A finding of a compliance check.
        Compliance => "compliance",
    }
}

crate::text_enum! {
    /// Where an issue stands.
    pub enum IssueStatus {
        /// On the ledger (挂账), no measures yet.
        Open => "open",
        /// Measures and a deadline set (整改中).
        Rectifying => "rectifying",
        /// The unit reported the effect; not yet verified.
        Resolved => "resolved",
        /// Verified and closed (销号) by the lead department or the coordinator; re-check due.
        Closed => "closed",
        /// Re-checked (回头看) and found to hold: final.
        Passed => "passed",
        /// Entered by mistake and withdrawn by the coordinator, with a reason: final.
        Withdrawn => "withdrawn",
    }
}

crate::text_enum! {
    /// A step of an issue's lifecycle.
    pub enum IssueAction {
        /// open → rectifying: the unit sets measures and a deadline.
        Plan => "plan",
        /// rectifying → rectifying: the unit moves the deadline later, with a reason.
        Extend => "extend",
        /// rectifying → resolved (or open → resolved when it can be fixed at once): the unit
        /// reports the effect.
        Resolve => "resolve",
        /// resolved → rectifying: the reviewer finds the fix not done, with a reason.
        Reject => "reject",
        /// resolved → closed (销号): the reviewer verifies the fix.
        Close => "close",
        /// closed → passed: the re-check (回头看) finds it holds.
        PassRecheck => "pass_recheck",
        /// closed → rectifying: the re-check finds it came back, with a reason.
        Relapse => "relapse",
        /// open, rectifying or resolved → withdrawn: the coordinator, with a reason.
        Withdraw => "withdraw",
    }
}

/// Who may take a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The unit's own accounts: plan, extend, resolve.
    Unit,
    /// The lead department of the issue's activity, or the coordinator: reject, close and the
    /// re-check.
    Reviewer,
    /// The coordinator only: withdraw.
    Coordinator,
}

impl IssueAction {
    /// Who takes this step.
    pub fn actor(self) -> Actor {
        match self {
            IssueAction::Plan | IssueAction::Extend | IssueAction::Resolve => Actor::Unit,
            IssueAction::Reject
            | IssueAction::Close
            | IssueAction::PassRecheck
            | IssueAction::Relapse => Actor::Reviewer,
            IssueAction::Withdraw => Actor::Coordinator,
        }
    }

    /// Whether the step needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            IssueAction::Extend
                | IssueAction::Reject
                | IssueAction::Relapse
                | IssueAction::Withdraw
        )
    }
}

/// The state `action` leads to from `from`, or the steps allowed from `from`. An issue that can
/// be fixed at once (立行立改) may be resolved straight from `open`.
pub fn transition(
    from: IssueStatus,
    action: IssueAction,
    immediate: bool,
) -> Result<IssueStatus, Vec<IssueAction>> {
    use IssueAction as A;
    use IssueStatus as S;
    match (from, action) {
        (S::Open, A::Plan) => Ok(S::Rectifying),
        (S::Open, A::Resolve) if immediate => Ok(S::Resolved),
        (S::Rectifying, A::Extend) => Ok(S::Rectifying),
        (S::Rectifying, A::Resolve) => Ok(S::Resolved),
        (S::Resolved, A::Reject) => Ok(S::Rectifying),
        (S::Resolved, A::Close) => Ok(S::Closed),
        (S::Closed, A::PassRecheck) => Ok(S::Passed),
        (S::Closed, A::Relapse) => Ok(S::Rectifying),
        (S::Open | S::Rectifying | S::Resolved, A::Withdraw) => Ok(S::Withdrawn),
        _ => Err(allowed(from, immediate)),
    }
}

/// The steps allowed from a state.
pub fn allowed(from: IssueStatus, immediate: bool) -> Vec<IssueAction> {
    IssueAction::ALL
        .iter()
        .copied()
        .filter(|a| {
            use IssueAction as A;
            use IssueStatus as S;
            matches!(
                (from, a),
                (S::Open, A::Plan)
                    | (S::Rectifying, A::Extend | A::Resolve)
                    | (S::Resolved, A::Reject | A::Close)
                    | (S::Closed, A::PassRecheck | A::Relapse)
                    | (S::Open | S::Rectifying | S::Resolved, A::Withdraw)
            ) || (immediate && from == S::Open && *a == A::Resolve)
        })
        .collect()
}

/// Whether an issue is overdue on the local date `today` (R10): not yet resolved, with a
/// deadline that has passed (the deadline day itself is still in time). An issue without a
/// deadline is never overdue. Computed on every read, never stored.
pub fn overdue(status: IssueStatus, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    matches!(status, IssueStatus::Open | IssueStatus::Rectifying)
        && deadline.is_some_and(|d| today > d)
}

/// [`overdue`] at the instant `now`, judged on its Asia/Shanghai date.
pub fn overdue_at(status: IssueStatus, deadline: Option<NaiveDate>, now: DateTime<Utc>) -> bool {
    overdue(status, deadline, super::calendar::local_date(now))
}

/// How the re-check window is counted (R11): `days` after the closing date, which is day 0,
/// in calendar days or in working days of `calendar`.
#[derive(Clone, Debug)]
pub struct RecheckRule {
    /// `FRONTLINE_RECHECK_DAYS`.
    pub days: u32,
    /// Calendar or working days.
    pub count: DayCount,
    /// The working calendar.
    pub calendar: WorkCalendar,
}

impl RecheckRule {
    /// `days` calendar days, the default.
    pub fn calendar_days(days: u32) -> Self {
        RecheckRule {
            days,
            count: DayCount::Calendar,
            calendar: WorkCalendar::default(),
        }
    }

    /// The last local date of the re-check window of an issue closed on `closed_on`.
    pub fn due_on(&self, closed_on: NaiveDate) -> NaiveDate {
        self.calendar.add(closed_on, self.days, self.count)
    }

    /// The first closing date whose window is still open on `today`.
    pub fn window_start(&self, today: NaiveDate) -> NaiveDate {
        match self.count {
            DayCount::Calendar => today - chrono::Duration::days(i64::from(self.days)),
            DayCount::Working => {
                // Step back while the day before still has its window open today.
                let mut start = today;
                while let Some(prev) = start.pred_opt() {
                    if self.due_on(prev) < today {
                        break;
                    }
                    start = prev;
                }
                start
            }
        }
    }
}

/// The Annex 2 column titles, in the form's order.
pub const ANNEX2_COLUMNS: [&str; 10] = [
    "序号",
    "参与活动地点",
    "体验内容",
    "体验方式",
    "发现问题",
    "企业群众或一线工作人员反映的需求",
    "拟采取的解决措施",
    "完成时限",
    "整改效果",
    "备注",
];

/// Neutralises a CSV cell against formula injection: a cell starting with `=`, `+`, `-`, `@`
/// (or a tab or carriage return) gets a leading apostrophe, so that Excel and WPS show it as
/// text.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IssueAction as A;
    use IssueStatus as S;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_lifecycle_runs_through_rectification_closing_and_the_recheck() {
        assert_eq!(transition(S::Open, A::Plan, false), Ok(S::Rectifying));
        assert_eq!(
            transition(S::Rectifying, A::Extend, false),
            Ok(S::Rectifying)
        );
        assert_eq!(
            transition(S::Rectifying, A::Resolve, false),
            Ok(S::Resolved)
        );
        assert_eq!(transition(S::Resolved, A::Reject, false), Ok(S::Rectifying));
        assert_eq!(transition(S::Resolved, A::Close, false), Ok(S::Closed));
        assert_eq!(transition(S::Closed, A::Relapse, false), Ok(S::Rectifying));
        assert_eq!(transition(S::Closed, A::PassRecheck, false), Ok(S::Passed));
        assert_eq!(
            transition(S::Resolved, A::Withdraw, false),
            Ok(S::Withdrawn)
        );
    }

    #[test]
    fn only_an_immediate_issue_skips_to_resolved_and_final_states_allow_nothing() {
        assert_eq!(
            transition(S::Open, A::Resolve, false),
            Err(vec![A::Plan, A::Withdraw])
        );
        assert_eq!(transition(S::Open, A::Resolve, true), Ok(S::Resolved));
        assert_eq!(
            allowed(S::Open, true),
            vec![A::Plan, A::Resolve, A::Withdraw]
        );
        assert!(allowed(S::Passed, false).is_empty());
        assert!(allowed(S::Withdrawn, true).is_empty());
        assert_eq!(
            transition(S::Closed, A::Withdraw, false),
            Err(vec![A::PassRecheck, A::Relapse])
        );
        // Every allowed step is a legal transition and nothing else is.
        for from in S::ALL {
            for imm in [false, true] {
                for a in A::ALL {
                    assert_eq!(
                        transition(*from, *a, imm).is_ok(),
                        allowed(*from, imm).contains(a),
                        "{from} {a} {imm}"
                    );
                }
            }
        }
    }

    #[test]
    fn overdue_starts_at_shanghai_midnight_after_the_deadline() {
        let deadline = Some(d(2026, 11, 20));
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!overdue_at(
            S::Rectifying,
            deadline,
            at("2026-11-20T23:59:59+08:00")
        ));
        assert!(overdue_at(
            S::Rectifying,
            deadline,
            at("2026-11-21T00:00:00+08:00")
        ));
        // 2026-11-20T16:00:00Z is already the 21st in Shanghai.
        assert!(overdue_at(
            S::Rectifying,
            deadline,
            at("2026-11-20T16:00:00Z")
        ));
        assert!(!overdue_at(
            S::Rectifying,
            deadline,
            at("2026-11-20T15:59:59Z")
        ));
        assert!(overdue(S::Open, deadline, d(2026, 11, 21)));
        assert!(
            !overdue(S::Resolved, deadline, d(2027, 1, 1)),
            "a resolved issue is not overdue"
        );
        assert!(
            !overdue(S::Rectifying, None, d(2030, 1, 1)),
            "no deadline, never overdue"
        );
    }

    #[test]
    fn the_recheck_window_counts_the_closing_day_as_day_zero() {
        let rule = RecheckRule::calendar_days(90);
        assert_eq!(rule.due_on(d(2026, 9, 1)), d(2026, 11, 30));
        assert_eq!(rule.window_start(d(2026, 11, 30)), d(2026, 9, 1));
        // In working days (weekends only here): closed Friday 11-20, 3 working days → Wed 11-25;
        // on Wed 11-25 the window of an issue closed Fri 11-20 is still open, of Thu 11-19 not.
        let working = RecheckRule {
            days: 3,
            count: DayCount::Working,
            calendar: WorkCalendar::default(),
        };
        assert_eq!(working.due_on(d(2026, 11, 20)), d(2026, 11, 25));
        assert_eq!(working.due_on(d(2026, 11, 19)), d(2026, 11, 24));
        assert_eq!(working.window_start(d(2026, 11, 25)), d(2026, 11, 20));
    }

    #[test]
    fn csv_cells_that_could_be_formulas_are_neutralised() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for s in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(csv_safe(s).starts_with('\''), "{s}");
        }
        assert_eq!(csv_safe("服务指南未更新"), "服务指南未更新");
        assert_eq!(csv_safe(""), "");
    }
}
