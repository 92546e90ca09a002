//! The caller's to-do list (what a mini-program's home screen shows): what is due and overdue for
//! them, soonest first.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// What is to be done.
    pub enum TodoKind {
        /// A draft participation to file with the lead department (R3).
        FileParticipation => "file_participation",
        /// A participation returned by the lead department, to correct and file again.
        CorrectParticipation => "correct_participation",
        /// A filed participation to accept or return (the lead, or the coordinator for a lead
        /// department's own).
        ReviewParticipation => "review_participation",
        /// An issue of the unit past or near its deadline (R10).
        IssueDeadline => "issue_deadline",
        /// A resolved issue to verify and close (销号).
        CloseIssue => "close_issue",
        /// A closed issue whose re-check (回头看) window is open (R11).
        RecheckIssue => "recheck_issue",
        /// The quarter's issue lists to send (R9).
        SendIssueList => "send_issue_list",
        /// An immediate trigger not yet answered by a filed participation (R8).
        AnswerTrigger => "answer_trigger",
        /// A report to submit (R12).
        SubmitReport => "submit_report",
        /// A schedule waiting for the coordinator's review.
        ReviewSchedule => "review_schedule",
        /// A schedule waiting for a leader's approval.
        ApproveSchedule => "approve_schedule",
        /// An approved schedule for its lead to publish (R13).
        PublishSchedule => "publish_schedule",
    }
}

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TodoItem {
    /// What.
    pub kind: TodoKind,
    /// A line to show, in Chinese.
    pub title: String,
    /// The record's API path, when there is one.
    pub href: Option<String>,
    /// Due by the end of this local date, when there is a deadline.
    pub due_on: Option<NaiveDate>,
    /// Days left until `due_on` (0 on the day, negative when overdue).
    pub days_left: Option<i64>,
}

impl TodoItem {
    /// An item due on `due_on`, judged on `today`.
    pub fn new(
        kind: TodoKind,
        title: impl Into<String>,
        href: Option<String>,
        due_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Self {
        TodoItem {
            kind,
            title: title.into(),
            href,
            days_left: due_on.map(|d| (d - today).num_days()),
            due_on,
        }
    }
}

/// Orders a list: dated items soonest (most overdue) first, then undated ones, each by kind and
/// title, so that the same records always give the same list.
pub fn sort(items: &mut [TodoItem]) {
    items.sort_by(|a, b| {
        (a.due_on.is_none(), a.due_on, a.kind, &a.title).cmp(&(
            b.due_on.is_none(),
            b.due_on,
            b.kind,
            &b.title,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_overdue_comes_first_and_undated_items_last() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let at = |n: i64| Some(today + chrono::Duration::days(n));
        let mut items = vec![
            TodoItem::new(TodoKind::ReviewSchedule, "审核计划", None, None, today),
            TodoItem::new(TodoKind::FileParticipation, "备案", None, at(2), today),
            TodoItem::new(TodoKind::IssueDeadline, "逾期问题", None, at(-3), today),
        ];
        sort(&mut items);
        assert_eq!(
            items.iter().map(|i| i.days_left).collect::<Vec<_>>(),
            vec![Some(-3), Some(2), None]
        );
    }
}
