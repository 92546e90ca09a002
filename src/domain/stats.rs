//! Statistics of a period (四(二) 月度统计): computed from accepted participations and the
//! ledger, never typed in. One pass over the loaded rows, grouped by unit, activity or lead
//! department.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::Period;
use super::ledger::{IssueKind, IssueStatus};
use super::participation::{ParticipantKind, Satisfaction};
use super::unit::Activity;

crate::text_enum! {
    /// How the figures are grouped.
    pub enum GroupBy {
        /// Per unit.
        Unit => "unit",
        /// Per activity.
        Activity => "activity",
        /// Per lead department (the lead of each activity).
        Lead => "lead",
    }
}

/// What the statistics need of an accepted participation.
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
    /// People received.
    pub people_received: u32,
    /// Matters experienced.
    pub matter_ids: Vec<String>,
    /// Summary (the content of an enforcement participation).
    pub summary: String,
    /// The ratings of its valid follow-up calls (staff, process, overall).
    pub ratings: Vec<[Satisfaction; 3]>,
}

/// What the statistics need of a ledger issue.
#[derive(Clone, Debug)]
pub struct IssueFacts {
    /// Unit.
    pub unit_id: String,
    /// Activity, if any.
    pub activity: Option<Activity>,
    /// Problem or demand.
    pub kind: IssueKind,
    /// Local date found.
    pub found_on: NaiveDate,
    /// Its status at the end of the period (from its history).
    pub status_at_end: IssueStatus,
    /// Its deadline.
    pub deadline: Option<NaiveDate>,
    /// The lifecycle steps taken in the period (`resolve`, `close`, `pass_recheck`, `relapse`…).
    pub steps_in_period: Vec<String>,
}

/// Counts on the five-level scale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Levels {
    /// 非常满意.
    pub very_satisfied: u32,
    /// 满意.
    pub satisfied: u32,
    /// 基本满意.
    pub fairly_satisfied: u32,
    /// 不满意.
    pub dissatisfied: u32,
    /// 非常不满意.
    pub very_dissatisfied: u32,
}

impl Levels {
    fn add(&mut self, s: Satisfaction) {
        match s {
            Satisfaction::VerySatisfied => self.very_satisfied += 1,
            Satisfaction::Satisfied => self.satisfied += 1,
            Satisfaction::FairlySatisfied => self.fairly_satisfied += 1,
            Satisfaction::Dissatisfied => self.dissatisfied += 1,
            Satisfaction::VeryDissatisfied => self.very_dissatisfied += 1,
        }
    }
}

/// The follow-up calls' ratings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct CallFigures {
    /// Valid calls (reached and answered).
    pub valid_calls: u32,
    /// Staff attitude and ability.
    pub staff: Levels,
    /// Process and complaint channels.
    pub process: Levels,
    /// Overall.
    pub overall: Levels,
}

/// One enforcement participation (its content, 参与执法的内容).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnforcementItem {
    /// The participation.
    pub participation_id: String,
    /// The unit.
    pub unit_id: String,
    /// Local date.
    pub activity_on: NaiveDate,
    /// What was done.
    pub summary: String,
}

/// The figures of one group (or of all). Stored in reports: a field added later reads as its
/// default from older snapshots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Figures {
    /// Accepted participations (参与人次).
    pub participations: u32,
    /// Of which by the head in person.
    pub by_head: u32,
    /// Of which by a deputy.
    pub by_deputy: u32,
    /// Enterprises and citizens received (接待企业群众数量).
    pub people_received: u64,
    /// Distinct matters experienced.
    pub matters_experienced: u32,
    /// Their ids (names in `matter_names`).
    pub matter_ids: Vec<String>,
    /// Enforcement participations (参与执法数量).
    pub enforcement_participations: u32,
    /// Their content.
    pub enforcement_content: Vec<EnforcementItem>,
    /// Problems found in the period.
    pub problems_found: u32,
    /// Demands heard in the period.
    pub demands_found: u32,
    /// Issues the units reported resolved in the period (整改完成).
    pub resolved: u32,
    /// Issues closed (销号) in the period, verified by a lead or the coordinator.
    pub closed: u32,
    /// Issues overdue as of the end of the judged day (the period's last day, or today while it
    /// runs): a deadline on or before that day has passed.
    pub overdue: u32,
    /// Re-checks (回头看) made in the period.
    pub rechecked: u32,
    /// Of which found relapsed.
    pub relapsed: u32,
    /// The follow-up calls' ratings.
    pub calls: CallFigures,
}

crate::text_enum! {
    /// Why a unit is named in a quarter's bulletin (通报).
    pub enum ListedReason {
        /// No counted participation at all in the quarter (严重敷衍、无故不执行).
        NoParticipation => "no_participation",
        /// Issues repeatedly past their deadline at the quarter's end (问题整改不彻底).
        RepeatedlyOverdue => "repeatedly_overdue",
        /// The head never took part in person in the quarter (R7, 一(三)).
        HeadNeverInPerson => "head_never_in_person",
    }
}

/// Why a participating unit is named in a quarter's bulletin (DOMAIN.md "Scores"): it took no
/// part at all, or at least `min_overdue` of its issues were overdue at the quarter's end.
pub fn listed_reasons(took_part: bool, overdue: u32, min_overdue: u32) -> Vec<ListedReason> {
    let mut reasons = Vec::new();
    if !took_part {
        reasons.push(ListedReason::NoParticipation);
    }
    if overdue >= min_overdue {
        reasons.push(ListedReason::RepeatedlyOverdue);
    }
    reasons
}

/// Statistics grouped by `group_by` and for all; `lead_of` names each activity's lead unit.
/// `end` is the date the period is judged at: its last day, or today while it runs.
pub fn compute(
    period: Period,
    end: NaiveDate,
    group_by: GroupBy,
    lead_of: &BTreeMap<Activity, String>,
    participations: &[ParticipationFacts],
    issues: &[IssueFacts],
) -> (BTreeMap<String, Figures>, Figures) {
    let key = |unit: &str, activity: Option<Activity>| -> String {
        match group_by {
            GroupBy::Unit => unit.to_owned(),
            GroupBy::Activity => activity.map_or("none", |a| a.as_str()).to_owned(),
            GroupBy::Lead => activity
                .and_then(|a| lead_of.get(&a).cloned())
                .unwrap_or_else(|| "none".into()),
        }
    };
    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    let mut matters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut all_matters: BTreeSet<String> = BTreeSet::new();
    for p in participations
        .iter()
        .filter(|p| period.contains(p.activity_on))
    {
        let k = key(&p.unit_id, Some(p.activity));
        for f in [groups.entry(k.clone()).or_default(), &mut total] {
            f.participations += 1;
            match p.participant {
                ParticipantKind::Head => f.by_head += 1,
                ParticipantKind::Deputy => f.by_deputy += 1,
            }
            f.people_received += u64::from(p.people_received);
            if p.activity == Activity::Enforcement {
                f.enforcement_participations += 1;
                f.enforcement_content.push(EnforcementItem {
                    participation_id: p.id.clone(),
                    unit_id: p.unit_id.clone(),
                    activity_on: p.activity_on,
                    summary: p.summary.clone(),
                });
            }
            for [staff, process, overall] in &p.ratings {
                f.calls.valid_calls += 1;
                f.calls.staff.add(*staff);
                f.calls.process.add(*process);
                f.calls.overall.add(*overall);
            }
        }
        matters
            .entry(k)
            .or_default()
            .extend(p.matter_ids.iter().cloned());
        all_matters.extend(p.matter_ids.iter().cloned());
    }
    // Judged as of the end of `end`: a deadline on `end` itself has passed (DOMAIN.md).
    let after_end = end.succ_opt().unwrap_or(end);
    for i in issues {
        // A withdrawn issue was entered by mistake: it counts for nothing.
        let found = period.contains(i.found_on) && i.status_at_end != IssueStatus::Withdrawn;
        let overdue = super::ledger::overdue(i.status_at_end, i.deadline, after_end);
        if !found && !overdue && i.steps_in_period.is_empty() {
            continue;
        }
        let k = key(&i.unit_id, i.activity);
        for f in [groups.entry(k.clone()).or_default(), &mut total] {
            if found {
                match i.kind {
                    IssueKind::Problem => f.problems_found += 1,
                    IssueKind::Demand => f.demands_found += 1,
                }
            }
            if overdue {
                f.overdue += 1;
            }
            for s in &i.steps_in_period {
                match s.as_str() {
                    "resolve" => f.resolved += 1,
                    "close" => f.closed += 1,
                    "pass_recheck" => f.rechecked += 1,
                    "relapse" => {
                        f.rechecked += 1;
                        f.relapsed += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    for (k, set) in matters {
        if let Some(f) = groups.get_mut(&k) {
            f.matters_experienced = set.len() as u32;
            f.matter_ids = set.into_iter().collect();
        }
    }
    total.matters_experienced = all_matters.len() as u32;
    total.matter_ids = all_matters.into_iter().collect();
    (groups, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn part(
        unit: &str,
        activity: Activity,
        on: NaiveDate,
        deputy: bool,
        matters: &[&str],
    ) -> ParticipationFacts {
        ParticipationFacts {
            id: format!("{unit}-{on}"),
            unit_id: unit.into(),
            activity,
            participant: if deputy {
                ParticipantKind::Deputy
            } else {
                ParticipantKind::Head
            },
            activity_on: on,
            people_received: 5,
            matter_ids: matters.iter().map(|m| (*m).to_owned()).collect(),
            summary: "s".into(),
            ratings: vec![[
                Satisfaction::Satisfied,
                Satisfaction::VerySatisfied,
                Satisfaction::Dissatisfied,
            ]],
        }
    }

    fn issue(
        unit: &str,
        activity: Option<Activity>,
        found: NaiveDate,
        status: IssueStatus,
        deadline: Option<NaiveDate>,
        steps: &[&str],
    ) -> IssueFacts {
        IssueFacts {
            unit_id: unit.into(),
            activity,
            kind: IssueKind::Problem,
            found_on: found,
            status_at_end: status,
            deadline,
            steps_in_period: steps.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_unit_is_named_for_taking_no_part_or_for_repeatedly_overdue_issues() {
        assert!(listed_reasons(true, 1, 2).is_empty());
        assert_eq!(
            listed_reasons(true, 2, 2),
            vec![ListedReason::RepeatedlyOverdue]
        );
        assert_eq!(
            listed_reasons(false, 0, 2),
            vec![ListedReason::NoParticipation]
        );
        assert_eq!(listed_reasons(false, 5, 2).len(), 2);
    }

    #[test]
    fn figures_count_the_period_only_and_group_by_unit_activity_and_lead() {
        let july: Period = "2026-07".parse().unwrap();
        let parts = vec![
            part("a", Activity::Window, d(2026, 7, 1), false, &["m1", "m2"]),
            part("a", Activity::Window, d(2026, 7, 31), true, &["m2", "m3"]),
            part("b", Activity::Enforcement, d(2026, 7, 15), false, &[]),
            part("b", Activity::Window, d(2026, 8, 1), false, &["m9"]),
        ];
        let issues = vec![
            issue(
                "a",
                Some(Activity::Window),
                d(2026, 7, 2),
                IssueStatus::Rectifying,
                Some(d(2026, 7, 30)),
                &[],
            ),
            issue(
                "a",
                Some(Activity::Window),
                d(2026, 6, 2),
                IssueStatus::Closed,
                None,
                &["resolve", "close"],
            ),
            issue("b", None, d(2026, 7, 3), IssueStatus::Open, None, &[]),
            issue(
                "b",
                Some(Activity::Enforcement),
                d(2026, 5, 1),
                IssueStatus::Rectifying,
                Some(d(2026, 7, 31)),
                &["relapse"],
            ),
        ];
        let leads: BTreeMap<Activity, String> = [
            (Activity::Window, "L1".to_owned()),
            (Activity::Enforcement, "L2".to_owned()),
        ]
        .into();
        let (by_unit, total) =
            compute(july, d(2026, 7, 31), GroupBy::Unit, &leads, &parts, &issues);
        assert_eq!(total.participations, 3, "August is outside");
        assert_eq!((total.by_head, total.by_deputy), (2, 1));
        assert_eq!(total.people_received, 15);
        assert_eq!(total.matter_ids, vec!["m1", "m2", "m3"]);
        assert_eq!(total.enforcement_participations, 1);
        assert_eq!(total.problems_found, 2);
        assert_eq!(
            (
                total.resolved,
                total.closed,
                total.rechecked,
                total.relapsed
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            total.overdue, 2,
            "judged at the end of 07-31: deadlines 07-30 and 07-31 have passed"
        );
        assert_eq!(total.calls.valid_calls, 3);
        assert_eq!(
            (
                total.calls.staff.satisfied,
                total.calls.process.very_satisfied,
                total.calls.overall.dissatisfied
            ),
            (3, 3, 3)
        );
        assert_eq!(by_unit["a"].matters_experienced, 3);
        assert_eq!(by_unit["b"].participations, 1);
        assert_eq!(by_unit["b"].problems_found, 1);
        let (by_activity, _) = compute(
            july,
            d(2026, 7, 31),
            GroupBy::Activity,
            &leads,
            &parts,
            &issues,
        );
        assert_eq!(by_activity["window"].participations, 2);
        assert_eq!(
            by_activity["none"].problems_found, 1,
            "an issue without activity"
        );
        let (by_lead, _) = compute(july, d(2026, 7, 31), GroupBy::Lead, &leads, &parts, &issues);
        assert_eq!(by_lead["L2"].enforcement_participations, 1);
        assert_eq!(by_lead["L2"].relapsed, 1);
        assert_eq!(by_lead["L1"].overdue, 1);
        let withdrawn = vec![issue(
            "a",
            None,
            d(2026, 7, 2),
            IssueStatus::Withdrawn,
            None,
            &[],
        )];
        let (_, t) = compute(july, d(2026, 7, 31), GroupBy::Unit, &leads, &[], &withdrawn);
        assert_eq!(t.problems_found, 0, "a withdrawn issue counts for nothing");
        let (_, t) = compute(july, d(2026, 7, 29), GroupBy::Unit, &leads, &[], &issues);
        assert_eq!(
            t.overdue, 0,
            "judged at the end of 07-29 no deadline has passed"
        );
    }
}
