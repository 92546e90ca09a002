//! Immediate triggers (即时体验, 一(四)2) and tracking subjects (跟踪体验, 一(四)3): their kinds,
//! a trigger's due date and its state (R8).

use chrono::NaiveDate;

crate::text_enum! {
    /// Why an immediate experience is due (实施方案 一(四)2).
    pub enum TriggerReason {
        /// 审批流程发生变化.
        ProcessChange => "process_change",
        /// 审批服务重要时间节点.
        ImportantDate => "important_date",
        /// 群众投诉集中.
        ComplaintSpike => "complaint_spike",
    }
}

crate::text_enum! {
    /// What is tracked (实施方案 一(四)3).
    pub enum TrackingKind {
        /// 重大决策实施.
        MajorDecision => "major_decision",
        /// 重要改革措施出台.
        Reform => "reform",
        /// 重点项目审批.
        KeyProject => "key_project",
        /// 事权承接.
        DevolvedPower => "devolved_power",
    }
}

crate::text_enum! {
    /// A trigger's state, computed from participations and the date.
    pub enum TriggerState {
        /// Not answered; not yet due.
        Open => "open",
        /// Not answered; past its due date (R8).
        Overdue => "overdue",
        /// Answered by a participation.
        Answered => "answered",
    }
}

/// The date by which a trigger raised on `raised_on` must be answered (R8): the starting day
/// is day 0, so `raised_on + days`, until the end of that local day.
pub fn due_on(raised_on: NaiveDate, days: u32) -> NaiveDate {
    raised_on + chrono::Duration::days(i64::from(days))
}

/// A trigger's state on `today`: answered by a participation, or open until its due date has
/// passed, then overdue.
pub fn state(due_on: NaiveDate, answered: bool, today: NaiveDate) -> TriggerState {
    match (answered, today > due_on) {
        (true, _) => TriggerState::Answered,
        (false, true) => TriggerState::Overdue,
        (false, false) => TriggerState::Open,
    }
}

/// Whether a counted participation of the trigger's unit dated `activity_on` answers a
/// trigger raised on `raised_on` and due on `due_on` (R8): dated from the raised date to the
/// deadline, both included.
pub fn answers(raised_on: NaiveDate, due_on: NaiveDate, activity_on: NaiveDate) -> bool {
    raised_on <= activity_on && activity_on <= due_on
}

/// Whether a trigger of `unit_id`, raised on `raised_on` and due on `due_on`, is answered by one
/// of `participations` (trigger id, unit id, activity date of the counted participations that
/// name a trigger): one of the same unit naming it, dated in its window (R8).
pub fn answered(
    trigger_id: &str,
    unit_id: &str,
    raised_on: NaiveDate,
    due_on: NaiveDate,
    participations: &[(String, String, NaiveDate)],
) -> bool {
    participations
        .iter()
        .any(|(t, u, on)| t == trigger_id && u == unit_id && answers(raised_on, due_on, *on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_is_due_seven_days_on_and_overdue_the_day_after() {
        let raised = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let due = due_on(raised, 7);
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert_eq!(state(due, false, due), TriggerState::Open);
        assert_eq!(
            state(due, false, due.succ_opt().unwrap()),
            TriggerState::Overdue
        );
        assert_eq!(
            state(due, true, due.succ_opt().unwrap()),
            TriggerState::Answered
        );
        assert!(answers(raised, due, raised));
        assert!(answers(raised, due, due));
        assert!(!answers(raised, due, due.succ_opt().unwrap()));
        assert!(!answers(raised, due, raised.pred_opt().unwrap()));
        let named = vec![("t".to_owned(), "u".to_owned(), due)];
        assert!(answered("t", "u", raised, due, &named));
        assert!(
            !answered("t", "v", raised, due, &named),
            "another unit's record"
        );
        assert!(
            !answered("s", "u", raised, due, &named),
            "naming another trigger"
        );
    }
}
