//! Schedules (活动计划, "plans" in DOMAIN.md): the workflow `draft → submitted → reviewed →
//! approved → published` with `return` to draft, who may take each step, and the checks a
//! schedule must pass before it is submitted (四(一), R1).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::account::Role;
use super::calendar::Quarter;
use super::unit::{Activity, Category, Person};

crate::text_enum! {
    /// Where a schedule revision stands.
    #[schema(as = ScheduleStatus)]
    pub enum Status {
        /// Being drafted by the lead; the only state in which it can be edited.
        Draft => "draft",
        /// Sent by the lead for review.
        Submitted => "submitted",
        /// Reviewed by the coordinator (审核).
        Reviewed => "reviewed",
        /// Approved by a district leader (审定).
        Approved => "approved",
        /// Published to the public (向社会公布).
        Published => "published",
    }
}

crate::text_enum! {
    /// A step of the workflow.
    #[schema(as = ScheduleAction)]
    pub enum Action {
        /// draft → submitted, by the lead of the activity.
        Submit => "submit",
        /// submitted → reviewed, by the coordinator.
        Review => "review",
        /// reviewed → approved, by a leader.
        Approve => "approve",
        /// approved → published, by the lead of the activity.
        Publish => "publish",
        /// submitted, reviewed or approved → draft, with a reason, by whoever acts next.
        Return => "return",
    }
}

crate::text_enum! {
    /// How an entry's experience is arranged (活动安排).
    pub enum Mode {
        /// 定期体验.
        Regular => "regular",
        /// 即时体验.
        Immediate => "immediate",
        /// 跟踪体验.
        Tracking => "tracking",
    }
}

/// The state a step leads to from `from`, or the steps allowed from `from`.
pub fn transition(from: Status, action: Action) -> Result<Status, Vec<Action>> {
    match (from, action) {
        (Status::Draft, Action::Submit) => Ok(Status::Submitted),
        (Status::Submitted, Action::Review) => Ok(Status::Reviewed),
        (Status::Reviewed, Action::Approve) => Ok(Status::Approved),
        (Status::Approved, Action::Publish) => Ok(Status::Published),
        (Status::Submitted | Status::Reviewed | Status::Approved, Action::Return) => {
            Ok(Status::Draft)
        }
        _ => Err(allowed(from)),
    }
}

/// The steps allowed from a state.
pub fn allowed(from: Status) -> Vec<Action> {
    match from {
        Status::Draft => vec![Action::Submit],
        Status::Submitted => vec![Action::Review, Action::Return],
        Status::Reviewed => vec![Action::Approve, Action::Return],
        Status::Approved => vec![Action::Publish, Action::Return],
        Status::Published => vec![],
    }
}

/// Whether an account may take `action` on a schedule of `activity` now in `from`: the lead of
/// the activity drafts, submits and publishes; the coordinator reviews; a leader approves; a
/// schedule is returned by whoever would act next (coordinator, leader, or the lead before it
/// publishes).
pub fn may_act(
    role: Role,
    lead_activity: Option<Activity>,
    activity: Activity,
    from: Status,
    action: Action,
) -> bool {
    let lead = role == Role::Lead && lead_activity == Some(activity);
    match (action, from) {
        (Action::Submit | Action::Publish, _) => lead,
        (Action::Review, _) | (Action::Return, Status::Submitted) => role == Role::Coordinator,
        (Action::Approve, _) | (Action::Return, Status::Reviewed) => role == Role::Leader,
        (Action::Return, Status::Approved) => lead || role == Role::Leader,
        (Action::Return, _) => false,
    }
}

/// Who takes part in an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schema(as = PlannedParticipant)]
pub enum Participant {
    /// The unit's head (一把手) in person.
    Head,
    /// A named deputy (分管负责同志), where the unit allows delegation.
    Deputy {
        /// The deputy's name, as in the unit's list of deputies.
        name: String,
    },
}

/// What the submission check needs to know of a unit.
#[derive(Clone, Debug)]
pub struct UnitFacts {
    /// Its name.
    pub name: String,
    /// Whether it is active.
    pub active: bool,
    /// Its categories.
    pub categories: Vec<Category>,
    /// Whether deputies may stand in.
    pub delegation_allowed: bool,
    /// Its deputies.
    pub deputies: Vec<Person>,
}

/// An entry as the submission check sees it.
#[derive(Clone, Debug)]
pub struct EntryFacts {
    /// Where it is (for the report: its position in the schedule, from 0).
    pub index: usize,
    /// The unit.
    pub unit_id: String,
    /// The planned date.
    pub planned_on: NaiveDate,
    /// The participant.
    pub participant: Participant,
    /// The mode.
    pub mode: Mode,
    /// The matters named.
    pub matter_ids: Vec<String>,
}

pub use super::Problem;

/// Every problem that stops a schedule of `activity` for `quarter` from being submitted:
/// entries for inactive or unknown units, participants who are neither the head nor an allowed
/// deputy, matters not of the unit, dates outside the quarter, and every active unit whose
/// categories require this activity (R1) without a regular entry and without an exemption:
/// the quarter's one schedule carries the regular obligation, whatever else it holds.
pub fn submission_problems(
    activity: Activity,
    quarter: Quarter,
    entries: &[EntryFacts],
    units: &HashMap<String, UnitFacts>,
    matter_units: &HashMap<String, String>,
    exempted: &BTreeSet<String>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |i: usize, f: &str| format!("entries[{i}].{f}");
    for e in entries {
        let Some(unit) = units.get(&e.unit_id) else {
            out.push(Problem {
                field: at(e.index, "unit_id"),
                code: "unknown_unit",
                zh: "没有该单位".into(),
                en: "no such unit".into(),
            });
            continue;
        };
        if !unit.active {
            out.push(Problem {
                field: at(e.index, "unit_id"),
                code: "inactive_unit",
                zh: format!("{}已停用", unit.name),
                en: format!("{} is inactive", unit.name),
            });
        }
        if let Participant::Deputy { name } = &e.participant {
            if !unit.delegation_allowed {
                out.push(Problem {
                    field: at(e.index, "participant"),
                    code: "delegation_not_allowed",
                    zh: format!("{}不允许委托分管负责同志代为体验", unit.name),
                    en: format!("{} does not allow delegation", unit.name),
                });
            } else if !unit.deputies.iter().any(|d| d.name == *name) {
                out.push(Problem {
                    field: at(e.index, "participant"),
                    code: "unknown_deputy",
                    zh: format!("{name} 不在{}的分管负责同志名单中", unit.name),
                    en: format!("{name} is not a deputy of {}", unit.name),
                });
            }
        }
        for (k, m) in e.matter_ids.iter().enumerate() {
            if matter_units.get(m) != Some(&e.unit_id) {
                out.push(Problem {
                    field: at(e.index, &format!("matter_ids[{k}]")),
                    code: "foreign_matter",
                    zh: "该事项不属于本单位".into(),
                    en: "the matter is not the unit's".into(),
                });
            }
        }
        if !quarter.contains(e.planned_on) {
            out.push(Problem {
                field: at(e.index, "planned_on"),
                code: "outside_quarter",
                zh: format!("日期须在 {quarter} 之内"),
                en: format!("the date must fall in {quarter}"),
            });
        }
    }
    {
        let covered: BTreeSet<&str> = entries
            .iter()
            .filter(|e| e.mode == Mode::Regular)
            .map(|e| e.unit_id.as_str())
            .collect();
        let mut missing: Vec<(&String, &UnitFacts)> = units
            .iter()
            .filter(|(id, u)| {
                u.active
                    && u.categories
                        .iter()
                        .any(|c| c.required_activity() == Some(activity))
                    && !covered.contains(id.as_str())
                    && !exempted.contains(id.as_str())
            })
            .collect();
        missing.sort_by(|a, b| a.0.cmp(b.0));
        for (id, u) in missing {
            out.push(Problem {
                field: format!("missing_units.{id}"),
                code: "required_unit_missing",
                zh: format!("{}须参加本季度活动（R1），或在提交时说明免于参加的理由", u.name),
                en: format!("{} must take part this quarter (R1), or be exempted with a reason at submission", u.name),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_goes_one_way_and_back_to_draft() {
        let mut s = Status::Draft;
        for a in [
            Action::Submit,
            Action::Review,
            Action::Approve,
            Action::Publish,
        ] {
            s = transition(s, a).unwrap();
        }
        assert_eq!(s, Status::Published);
        assert_eq!(transition(Status::Published, Action::Return), Err(vec![]));
        assert_eq!(
            transition(Status::Draft, Action::Approve),
            Err(vec![Action::Submit])
        );
        assert_eq!(
            transition(Status::Reviewed, Action::Publish),
            Err(vec![Action::Approve, Action::Return])
        );
        for from in [Status::Submitted, Status::Reviewed, Status::Approved] {
            assert_eq!(transition(from, Action::Return), Ok(Status::Draft));
        }
        assert!(transition(Status::Draft, Action::Return).is_err());
    }

    #[test]
    fn exactly_seven_steps_are_legal() {
        let legal = [
            (Status::Draft, Action::Submit),
            (Status::Submitted, Action::Review),
            (Status::Submitted, Action::Return),
            (Status::Reviewed, Action::Approve),
            (Status::Reviewed, Action::Return),
            (Status::Approved, Action::Publish),
            (Status::Approved, Action::Return),
        ];
        for from in Status::ALL {
            for action in Action::ALL {
                let ok = legal.contains(&(*from, *action));
                assert_eq!(transition(*from, *action).is_ok(), ok, "{from} {action}");
                if !ok {
                    assert_eq!(transition(*from, *action), Err(allowed(*from)));
                }
            }
        }
    }

    #[test]
    fn each_step_has_its_actor() {
        let w = Activity::Window;
        assert!(may_act(
            Role::Lead,
            Some(w),
            w,
            Status::Draft,
            Action::Submit
        ));
        assert!(!may_act(
            Role::Lead,
            Some(Activity::Enforcement),
            w,
            Status::Draft,
            Action::Submit
        ));
        assert!(!may_act(
            Role::Coordinator,
            None,
            w,
            Status::Draft,
            Action::Submit
        ));
        assert!(may_act(
            Role::Coordinator,
            None,
            w,
            Status::Submitted,
            Action::Review
        ));
        assert!(may_act(
            Role::Coordinator,
            None,
            w,
            Status::Submitted,
            Action::Return
        ));
        assert!(!may_act(
            Role::Leader,
            None,
            w,
            Status::Submitted,
            Action::Return
        ));
        assert!(may_act(
            Role::Leader,
            None,
            w,
            Status::Reviewed,
            Action::Approve
        ));
        assert!(may_act(
            Role::Leader,
            None,
            w,
            Status::Reviewed,
            Action::Return
        ));
        assert!(!may_act(
            Role::Coordinator,
            None,
            w,
            Status::Reviewed,
            Action::Approve
        ));
        assert!(may_act(
            Role::Lead,
            Some(w),
            w,
            Status::Approved,
            Action::Publish
        ));
        assert!(may_act(
            Role::Lead,
            Some(w),
            w,
            Status::Approved,
            Action::Return
        ));
        for role in [Role::Admin, Role::Unit] {
            for a in Action::ALL {
                assert!(!may_act(role, None, w, Status::Submitted, *a), "{role} {a}");
            }
        }
    }

    fn unit(name: &str, categories: Vec<Category>) -> UnitFacts {
        UnitFacts {
            name: name.into(),
            active: true,
            categories,
            delegation_allowed: false,
            deputies: vec![],
        }
    }

    #[test]
    fn the_check_lists_every_problem() {
        let q: Quarter = "2026-Q4".parse().unwrap();
        let mut units = HashMap::new();
        units.insert("a".to_string(), unit("甲", vec![Category::ApprovalService]));
        units.insert("b".to_string(), unit("乙", vec![Category::LawEnforcement]));
        units.insert(
            "c".to_string(),
            unit(
                "丙",
                vec![Category::PublicUtility, Category::ApprovalService],
            ),
        );
        units.insert(
            "d".to_string(),
            UnitFacts {
                active: false,
                ..unit("丁", vec![Category::ApprovalService])
            },
        );
        let matters: HashMap<String, String> = [("m1".to_string(), "a".to_string())].into();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let entries = vec![
            EntryFacts {
                index: 0,
                unit_id: "a".into(),
                planned_on: d(10, 1),
                participant: Participant::Deputy { name: "王".into() },
                mode: Mode::Regular,
                matter_ids: vec!["m1".into(), "m9".into()],
            },
            EntryFacts {
                index: 1,
                unit_id: "d".into(),
                planned_on: d(9, 30),
                participant: Participant::Head,
                mode: Mode::Regular,
                matter_ids: vec![],
            },
        ];
        let problems = submission_problems(
            Activity::Window,
            q,
            &entries,
            &units,
            &matters,
            &BTreeSet::new(),
        );
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "entries[0].participant",
                "entries[0].matter_ids[1]",
                "entries[1].unit_id",
                "entries[1].planned_on",
                "missing_units.c"
            ]
        );
        let exempt: BTreeSet<String> = ["c".to_string()].into();
        let ok = vec![EntryFacts {
            index: 0,
            unit_id: "a".into(),
            planned_on: d(12, 31),
            participant: Participant::Head,
            mode: Mode::Regular,
            matter_ids: vec!["m1".into()],
        }];
        assert!(
            submission_problems(Activity::Window, q, &ok, &units, &matters, &exempt).is_empty()
        );
        // Immediate entries do not stand in for the regular ones.
        let immediate = vec![EntryFacts {
            mode: Mode::Immediate,
            ..ok[0].clone()
        }];
        let missing = submission_problems(
            Activity::Window,
            q,
            &immediate,
            &units,
            &matters,
            &BTreeSet::new(),
        );
        let fields: Vec<&str> = missing.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["missing_units.a", "missing_units.c"]);
        // An empty schedule lists everyone required.
        assert_eq!(
            submission_problems(
                Activity::Enforcement,
                q,
                &[],
                &units,
                &matters,
                &BTreeSet::new()
            )
            .len(),
            1
        );
    }
}
