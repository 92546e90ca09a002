//! Each rule: a passing case, a failing case and its edges. Tests are named after their rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::domain::calendar::DayCount;
use crate::domain::participation::{
    ContactFacts, DrawFacts, ParticipantKind as Who, Segment, Status,
};
use crate::domain::unit::{Activity, Category};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn unit(id: &str, categories: &[Category], delegation: bool) -> UnitFacts {
    UnitFacts {
        id: id.into(),
        name: format!("单位{id}"),
        categories: categories.to_vec(),
        delegation_allowed: delegation,
        lead_activity: None,
        active: true,
    }
}

fn lead(id: &str, activity: Activity) -> UnitFacts {
    UnitFacts {
        lead_activity: Some(activity),
        categories: Vec::new(),
        ..unit(id, &[], false)
    }
}

fn part(id: &str, unit: &str, activity: Activity, on: NaiveDate, who: Who) -> ParticipationFacts {
    ParticipationFacts {
        id: id.into(),
        unit_id: unit.into(),
        activity,
        participant: who,
        activity_on: on,
        status: Status::Accepted,
        first_filed_on: Some(on),
        trigger_id: None,
        matter_ids: Vec::new(),
        segments: Vec::new(),
    }
}

fn with_status(mut p: ParticipationFacts, status: Status) -> ParticipationFacts {
    p.status = status;
    if status == Status::Draft {
        p.first_filed_on = None;
    }
    p
}

fn input(period: &str, evaluated_on: NaiveDate) -> Input {
    Input::new(period.parse().unwrap(), evaluated_on)
}

fn keys(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(|f| f.key.clone()).collect()
}

fn s() -> Settings {
    Settings::defaults()
}

fn segments(values: Vec<serde_json::Value>) -> Vec<Segment> {
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn enforcement_segments() -> Vec<serde_json::Value> {
    let stages: Vec<serde_json::Value> = [
        "case_filing",
        "investigation",
        "rectification_order",
        "notice_hearing",
        "review_decision",
        "service_execution",
        "archiving",
    ]
    .iter()
    .map(|s| json!({"stage": s, "compliant": true, "basis": "符合评查标准"}))
    .collect();
    let aspects = [
        "publicity",
        "full_recording",
        "legal_review",
        "random_targets",
        "random_inspectors",
        "results_public",
        "manner",
        "attitude",
        "fairness",
        "discretion",
    ];
    let checks: Vec<serde_json::Value> = aspects
        .iter()
        .map(|a| json!({"aspect": a, "rating": "ok"}))
        .collect();
    vec![
        json!({"type": "inspection", "target": "某企业", "checks": checks}),
        json!({"type": "case_handling", "case_reference": "碑罚〔2026〕12号", "steps": ["intake", "investigation", "record", "notice", "decision"], "penalty_decided": true, "outcome": "罚款"}),
        json!({"type": "case_file_review", "files": [{"reference": "碑罚〔2026〕3号", "stages": stages, "score": 92}]}),
    ]
}

// ---------------------------------------------------------------- R1

#[test]
fn r1_each_required_activity_once_per_ended_quarter() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    i.units = vec![
        unit(
            "a",
            &[Category::ApprovalService, Category::LawEnforcement],
            false,
        ),
        unit("b", &[Category::PublicUtility], false),
        unit("office", &[], false),
    ];
    i.participations = vec![
        part("p1", "a", Activity::Window, d(2026, 7, 1), Who::Head),
        part("p2", "b", Activity::Window, d(2026, 9, 30), Who::Head),
        part("p3", "b", Activity::Window, d(2026, 6, 30), Who::Head),
    ];
    let f = r1(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R1:a:2026-Q3:enforcement"],
        "a lacks enforcement; b's last-day participation counts; the office is not judged"
    );
    assert_eq!(f[0].activity, Some(Activity::Enforcement));
    assert_eq!(f[0].severity, Severity::Serious);
    assert_eq!(f[0].points, 10);
    assert_eq!(f[0].clause, "一(四)1");
}

#[test]
fn r1_is_not_judged_before_the_quarter_ends_but_on_its_last_day() {
    let mut i = input("2026-Q3", d(2026, 9, 29));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    assert!(
        r1(&i, &s()).is_empty(),
        "the quarter runs until the end of 09-30"
    );
    let p = progress(&i);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].r1_missing, vec!["window"]);
    assert_eq!(p[0].days_left, 1);
    i.evaluated_on = d(2026, 9, 30);
    assert_eq!(keys(&r1(&i, &s())), vec!["R1:a:2026-Q3:window"]);
    assert!(
        progress(&i).is_empty(),
        "no quarter runs after its last day"
    );
}

#[test]
fn r1_a_unit_on_the_quarters_frozen_concentration_list_must_take_part_in_complaint() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    i.participations = vec![part("p", "a", Activity::Window, d(2026, 8, 1), Who::Head)];
    assert!(r1(&i, &s()).is_empty());
    i.concentrated.insert(
        "2026-Q3".parse().unwrap(),
        ["a".to_owned()].into_iter().collect(),
    );
    assert_eq!(keys(&r1(&i, &s())), vec!["R1:a:2026-Q3:complaint"]);
    i.concentrated.clear();
    i.concentrated.insert(
        "2026-Q2".parse().unwrap(),
        ["a".to_owned()].into_iter().collect(),
    );
    assert!(
        r1(&i, &s()).is_empty(),
        "another quarter's list does not count"
    );
}

#[test]
fn r1_policy_making_alone_needs_one_activity_of_any_type() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![
        unit("p", &[Category::PolicyMaking], false),
        unit("q", &[Category::PolicyMaking], false),
        unit(
            "r",
            &[Category::PolicyMaking, Category::LawEnforcement],
            false,
        ),
    ];
    i.participations = vec![
        part("x", "p", Activity::Complaint, d(2026, 8, 1), Who::Head),
        part("y", "r", Activity::Window, d(2026, 8, 1), Who::Head),
    ];
    assert_eq!(
        keys(&r1(&i, &s())),
        vec!["R1:q:2026-Q3:any", "R1:r:2026-Q3:enforcement"],
        "with another required activity, policy_making adds nothing and any other does not stand in"
    );
}

#[test]
fn r1_a_deputy_only_quarter_counts_only_where_delegation_is_allowed() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![
        unit("yes", &[Category::LawEnforcement], true),
        unit("no", &[Category::LawEnforcement], false),
    ];
    i.participations = vec![
        part(
            "p1",
            "yes",
            Activity::Enforcement,
            d(2026, 8, 1),
            Who::Deputy,
        ),
        part(
            "p2",
            "no",
            Activity::Enforcement,
            d(2026, 8, 1),
            Who::Deputy,
        ),
    ];
    let f = r1(&i, &s());
    assert_eq!(keys(&f), vec!["R1:no:2026-Q3:enforcement"]);
    assert_eq!(
        f[0].evidence.participations,
        vec!["p2"],
        "the record that did not count"
    );
}

#[test]
fn r1_drafts_and_returned_participations_count_for_nothing() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![unit("a", &[Category::LawEnforcement], false)];
    i.participations = vec![
        with_status(
            part("p1", "a", Activity::Enforcement, d(2026, 8, 1), Who::Head),
            Status::Draft,
        ),
        with_status(
            part("p2", "a", Activity::Enforcement, d(2026, 8, 2), Who::Head),
            Status::Returned,
        ),
    ];
    assert_eq!(keys(&r1(&i, &s())), vec!["R1:a:2026-Q3:enforcement"]);
    i.participations.push(with_status(
        part("p3", "a", Activity::Enforcement, d(2026, 8, 3), Who::Head),
        Status::Filed,
    ));
    assert!(
        r1(&i, &s()).is_empty(),
        "a filed one counts before acceptance"
    );
}

#[test]
fn r1_a_year_check_judges_each_ended_quarter() {
    let mut i = input("2026", d(2026, 7, 15));
    i.units = vec![unit("a", &[Category::ComplaintConcentrated], false)];
    i.participations = vec![part(
        "p",
        "a",
        Activity::Complaint,
        d(2026, 2, 1),
        Who::Head,
    )];
    assert_eq!(keys(&r1(&i, &s())), vec!["R1:a:2026-Q2:complaint"]);
    assert_eq!(progress(&i)[0].quarter, "2026-Q3");
}

// ---------------------------------------------------------------- R2

fn matters(i: &mut Input, unit: &str, n: usize) {
    for k in 0..n {
        i.matters.push(MatterFacts {
            id: format!("{unit}-m{k}"),
            unit_id: unit.into(),
            active: true,
            created_on: d(2025, 12, 1),
        });
    }
}

fn covering(id: &str, unit: &str, on: NaiveDate, who: Who, ms: &[usize]) -> ParticipationFacts {
    let mut p = part(id, unit, Activity::Window, on, who);
    p.matter_ids = ms.iter().map(|k| format!("{unit}-m{k}")).collect();
    p
}

#[test]
fn r2_by_the_end_of_quarter_q_exactly_q_quarters_of_the_matters_suffice() {
    let mut i = input("2026-Q2", d(2026, 6, 30));
    i.units = vec![
        unit("a", &[Category::ApprovalService], false),
        unit("b", &[Category::ApprovalService], false),
    ];
    matters(&mut i, "a", 8);
    matters(&mut i, "b", 8);
    i.participations = vec![
        covering("p1", "a", d(2026, 1, 5), Who::Head, &[0, 1]),
        covering("p2", "a", d(2026, 6, 30), Who::Head, &[1, 2, 3]),
        covering("p3", "b", d(2026, 4, 5), Who::Head, &[0, 1, 2]),
        covering("p4", "b", d(2026, 7, 1), Who::Head, &[3]),
        covering("p5", "b", d(2025, 12, 31), Who::Head, &[4]),
    ];
    let f = r2(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R2:b:2026-Q2"],
        "a: 4 of 8 at Q2 is exactly 2/4"
    );
    assert_eq!(f[0].code, "behind_schedule");
    assert_eq!(
        f[0].evidence.matters,
        vec!["b-m3", "b-m4", "b-m5", "b-m6", "b-m7"],
        "July and last year do not count"
    );
    assert!(f[0].message_en.contains("3 of 8") && f[0].message_en.contains("at least 4"));
}

#[test]
fn r2_counts_the_matters_in_the_catalogue_by_the_end_of_the_quarter_judged() {
    let mut i = input("2026-Q1", d(2026, 5, 1));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    matters(&mut i, "a", 8);
    i.participations = vec![covering("p", "a", d(2026, 2, 1), Who::Head, &[0])];
    assert_eq!(keys(&r2(&i, &s())), vec!["R2:a:2026-Q1"], "1 of 8 at Q1");
    for m in i.matters.iter_mut().skip(1) {
        m.created_on = d(2026, 4, 1);
    }
    assert!(
        r2(&i, &s()).is_empty(),
        "the seven matters added in April are not due at the end of Q1"
    );
    for m in i.matters.iter_mut().skip(1).take(4) {
        m.created_on = d(2026, 3, 31);
    }
    let f = r2(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R2:a:2026-Q1"],
        "1 of 5: a matter added on the last day counts"
    );
    assert_eq!(f[0].evidence.matters.len(), 4);
}

#[test]
fn r2_at_the_end_of_the_year_every_matter_is_due() {
    let mut i = input("2026-Q4", d(2026, 12, 31));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    matters(&mut i, "a", 3);
    i.matters.push(MatterFacts {
        id: "retired".into(),
        unit_id: "a".into(),
        active: false,
        created_on: d(2026, 1, 1),
    });
    i.participations = vec![covering("p", "a", d(2026, 3, 1), Who::Head, &[0, 1])];
    let f = r2(&i, &s());
    assert_eq!(f[0].code, "matters_not_all_experienced");
    assert_eq!(
        f[0].evidence.matters,
        vec!["a-m2"],
        "an inactive matter is not due"
    );
    i.participations
        .push(covering("p2", "a", d(2026, 12, 31), Who::Head, &[2]));
    assert!(r2(&i, &s()).is_empty());
}

#[test]
fn r2_a_deputy_covers_matters_only_where_delegation_is_allowed_and_a_unit_without_matters_passes() {
    let mut i = input("2026-Q1", d(2026, 4, 1));
    i.units = vec![
        unit("no", &[Category::ApprovalService], false),
        unit("yes", &[Category::ApprovalService], true),
        unit("empty", &[Category::ApprovalService], false),
    ];
    matters(&mut i, "no", 4);
    matters(&mut i, "yes", 4);
    i.participations = vec![
        covering("p1", "no", d(2026, 2, 1), Who::Deputy, &[0]),
        covering("p2", "yes", d(2026, 2, 1), Who::Deputy, &[0]),
    ];
    assert_eq!(keys(&r2(&i, &s())), vec!["R2:no:2026-Q1"]);
}

#[test]
fn r2_progress_says_whether_a_running_quarter_is_on_track() {
    let mut i = input("2026-Q3", d(2026, 8, 15));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    matters(&mut i, "a", 10);
    i.participations = vec![covering(
        "p",
        "a",
        d(2026, 8, 1),
        Who::Head,
        &[0, 1, 2, 3, 4, 5, 6],
    )];
    assert!(r2(&i, &s()).is_empty(), "Q3 is not judged while it runs");
    let p = &progress(&i)[0];
    assert_eq!((p.r2_covered, p.r2_total, p.r2_expected), (7, 10, 8));
    assert!(!p.r2_on_track, "4 × 7 < 3 × 10");
    assert!(p.r1_missing.is_empty() && p.r7_head_in_person);
    assert_eq!(p.days_left, 46);
}

// ---------------------------------------------------------------- R3

#[test]
fn r3_a_filing_on_the_deadline_day_is_on_time_and_the_day_after_is_late() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    let mut on_time = part("ok", "a", Activity::Window, d(2026, 7, 10), Who::Head);
    on_time.first_filed_on = Some(d(2026, 7, 13));
    let mut late = part("late", "a", Activity::Window, d(2026, 7, 10), Who::Head);
    late.first_filed_on = Some(d(2026, 7, 14));
    let never = with_status(
        part("never", "a", Activity::Window, d(2026, 7, 10), Who::Head),
        Status::Draft,
    );
    i.participations = vec![on_time, late, never];
    let f = r3(&i, &s());
    assert_eq!(keys(&f), vec!["R3:late", "R3:never"]);
    assert_eq!(f[0].code, "filed_late");
    assert_eq!(f[0].due_on, Some(d(2026, 7, 13)));
    assert!(f[0].message_en.contains("1 days after"));
    assert_eq!(
        f[1].code, "not_filed",
        "a missing filing and a late one give the same finding"
    );
}

#[test]
fn r3_nothing_is_reported_before_the_deadline_passes() {
    let mut i = input("2026-Q3", d(2026, 9, 29));
    i.participations = vec![with_status(
        part("p", "a", Activity::Window, d(2026, 9, 27), Who::Head),
        Status::Draft,
    )];
    assert!(r3(&i, &s()).is_empty(), "due 09-30, not passed on 09-29");
    i.evaluated_on = d(2026, 9, 30);
    assert_eq!(
        keys(&r3(&i, &s())),
        vec!["R3:p"],
        "passed at the end of 09-30"
    );
}

#[test]
fn r3_counts_working_days_when_configured() {
    let mut settings = s();
    settings.filing.count = DayCount::Working;
    let mut i = input("2026-Q4", d(2026, 12, 31));
    // Friday 11-20 + 3 working days = Wednesday 11-25.
    let mut p = part("p", "a", Activity::Window, d(2026, 11, 20), Who::Head);
    p.first_filed_on = Some(d(2026, 11, 25));
    i.participations = vec![p.clone()];
    assert!(r3(&i, &settings).is_empty());
    p.first_filed_on = Some(d(2026, 11, 26));
    i.participations = vec![p];
    assert_eq!(r3(&i, &settings)[0].due_on, Some(d(2026, 11, 25)));
}

// ---------------------------------------------------------------- R4

#[test]
fn r4_every_mandatory_segment_of_the_activity_is_present() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    let mut full = part("full", "a", Activity::Enforcement, d(2026, 8, 1), Who::Head);
    full.segments = segments(enforcement_segments());
    let mut short = full.clone();
    short.id = "short".into();
    short.segments.pop();
    let mut draft = short.clone();
    draft.id = "draft".into();
    draft.status = Status::Draft;
    i.participations = vec![full, short, draft];
    let f = r4(&i, &s());
    assert_eq!(keys(&f), vec!["R4:short"], "a draft is not judged");
    assert!(f[0].message_zh.contains("E3"), "{}", f[0].message_zh);
}

#[test]
fn r4_a_segment_of_another_activity_does_not_stand_in() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    let mut p = part("p", "a", Activity::Window, d(2026, 8, 1), Who::Head);
    p.segments = segments(enforcement_segments());
    i.participations = vec![p];
    assert_eq!(keys(&r4(&i, &s())), vec!["R4:p"]);
}

// ---------------------------------------------------------------- R5

fn call(record: &str, at: &str, reached: bool) -> serde_json::Value {
    json!({"service_record_id": record, "called_at": at, "reached": reached, "answered": reached,
           "ratings": if reached { json!({"staff": "satisfied", "process": "satisfied", "overall": "satisfied"}) } else { json!(null) }})
}

fn w3(calls: Vec<serde_json::Value>) -> Segment {
    serde_json::from_value(json!({"type": "follow_up_calls", "calls": calls})).unwrap()
}

fn contacts(i: &mut Input, list: &[(&str, &str, NaiveDate)]) {
    for (id, unit, served) in list {
        i.contacts.insert(
            (*id).into(),
            ContactFacts {
                unit_id: (*unit).into(),
                served_on: *served,
            },
        );
    }
}

#[test]
fn r5_exactly_three_valid_calls_pass_and_two_fail() {
    let mut i = input("2026-Q2", d(2026, 6, 30));
    contacts(
        &mut i,
        &[
            ("c1", "a", d(2026, 5, 1)),
            ("c2", "a", d(2026, 5, 2)),
            ("c3", "a", d(2026, 5, 3)),
            ("c4", "a", d(2026, 5, 4)),
        ],
    );
    // 02:00Z is 10:00 on 05-31 in Shanghai.
    let mut three = part("three", "a", Activity::Window, d(2026, 5, 31), Who::Head);
    three.segments = vec![w3(vec![
        call("c1", "2026-05-31T02:00:00Z", true),
        call("c2", "2026-05-31T02:00:00Z", true),
        call("c3", "2026-05-31T02:00:00Z", true),
        call("c4", "2026-05-31T02:00:00Z", false),
    ])];
    let mut two = part("two", "a", Activity::Window, d(2026, 5, 31), Who::Head);
    two.segments = vec![w3(vec![
        call("c1", "2026-05-31T02:00:00Z", true),
        call("c2", "2026-05-31T02:00:00Z", true),
        call("c2", "2026-05-31T03:00:00Z", true),
        call("c4", "2026-05-31T02:00:00Z", false),
    ])];
    i.participations = vec![three, two];
    let f = r5(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R5:two:0"],
        "two calls to c2 count once; an unreached one not at all"
    );
    assert_eq!(f[0].code, "too_few_valid_calls");
}

#[test]
fn r5_the_three_months_before_a_call_are_clamped_to_the_months_end() {
    let mut i = input("2026-Q2", d(2026, 6, 30));
    contacts(
        &mut i,
        &[
            ("edge", "a", d(2026, 2, 28)),
            ("c2", "a", d(2026, 5, 2)),
            ("c3", "a", d(2026, 5, 3)),
            ("old", "a", d(2026, 2, 27)),
            ("other", "b", d(2026, 5, 3)),
        ],
    );
    let at = "2026-05-31T02:00:00Z";
    let mut ok = part("ok", "a", Activity::Window, d(2026, 5, 31), Who::Head);
    ok.segments = vec![w3(vec![
        call("edge", at, true),
        call("c2", at, true),
        call("c3", at, true),
    ])];
    let mut old = part("old", "a", Activity::Window, d(2026, 5, 31), Who::Head);
    old.segments = vec![w3(vec![
        call("old", at, true),
        call("c2", at, true),
        call("c3", at, true),
    ])];
    let mut foreign = part("foreign", "a", Activity::Window, d(2026, 5, 31), Who::Head);
    foreign.segments = vec![w3(vec![
        call("other", at, true),
        call("c2", at, true),
        call("c3", at, true),
    ])];
    i.participations = vec![ok, old, foreign];
    assert_eq!(keys(&r5(&i, &s())), vec!["R5:foreign:0", "R5:old:0"]);
}

// ---------------------------------------------------------------- R6

fn w2(draw: Option<&str>, ms: &[&str]) -> Segment {
    serde_json::from_value(
        json!({"type": "business_inspection", "draw_id": draw, "matter_ids": ms,
        "checks": [{"aspect": "acceptance_conditions", "rating": "ok"}]}),
    )
    .unwrap()
}

fn draw(i: &mut Input, id: &str, unit: &str, result: &[&str]) {
    i.draws.insert(
        id.into(),
        DrawFacts {
            purpose: "inspection_matters".into(),
            unit_id: Some(unit.into()),
            result: result.iter().map(|m| (*m).to_owned()).collect(),
        },
    );
}

#[test]
fn r6_exactly_two_or_three_drawn_matters_pass_one_and_four_fail() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    matters(&mut i, "a", 5);
    draw(&mut i, "d2", "a", &["a-m0", "a-m1"]);
    draw(&mut i, "d3", "a", &["a-m0", "a-m1", "a-m2"]);
    draw(&mut i, "d4", "a", &["a-m0", "a-m1", "a-m2", "a-m3"]);
    draw(&mut i, "d1", "a", &["a-m0"]);
    let mut ps = Vec::new();
    for (id, dr, ms) in [
        ("two", "d2", vec!["a-m0", "a-m1"]),
        ("three", "d3", vec!["a-m2", "a-m1", "a-m0"]),
        ("four", "d4", vec!["a-m0", "a-m1", "a-m2", "a-m3"]),
        ("one", "d1", vec!["a-m0"]),
    ] {
        let mut p = part(id, "a", Activity::Window, d(2026, 8, 1), Who::Head);
        p.segments = vec![w2(Some(dr), &ms)];
        ps.push(p);
    }
    i.participations = ps;
    let f = r6(&i, &s());
    assert_eq!(keys(&f), vec!["R6:four:0", "R6:one:0"]);
    assert!(f.iter().all(|f| f.code == "matter_count"));
    assert_eq!(f[0].evidence.draws, vec!["d4"]);
}

#[test]
fn r6_the_matters_are_exactly_a_recorded_draw_of_the_unit() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    matters(&mut i, "a", 4);
    matters(&mut i, "b", 4);
    draw(&mut i, "da", "a", &["a-m0", "a-m1"]);
    draw(&mut i, "db", "b", &["b-m0", "b-m1"]);
    let cases = [
        ("mismatch", Some("da"), vec!["a-m0", "a-m2"]),
        ("nodraw", None, vec!["a-m0", "a-m1"]),
        ("foreign", Some("db"), vec!["a-m0", "a-m1"]),
        ("ok", Some("da"), vec!["a-m1", "a-m0"]),
    ];
    for (id, dr, ms) in cases {
        let mut p = part(id, "a", Activity::Window, d(2026, 8, 1), Who::Head);
        p.segments = vec![w2(dr, &ms)];
        i.participations.push(p);
    }
    let f = r6(&i, &s());
    let got: Vec<(String, String)> = f.iter().map(|f| (f.key.clone(), f.code.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("R6:foreign:0".into(), "draw_mismatch".into()),
            ("R6:mismatch:0".into(), "draw_result_mismatch".into()),
            ("R6:nodraw:0".into(), "draw_required".into()),
        ]
    );
}

// ---------------------------------------------------------------- R7

#[test]
fn r7_a_deputy_only_quarter_is_a_finding_even_where_delegation_is_allowed() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    i.units = vec![
        unit("deputies", &[Category::ApprovalService], true),
        unit("head", &[Category::ApprovalService], true),
        unit("draft", &[Category::ApprovalService], false),
    ];
    i.participations = vec![
        part(
            "d1",
            "deputies",
            Activity::Window,
            d(2026, 7, 1),
            Who::Deputy,
        ),
        part(
            "d2",
            "deputies",
            Activity::Window,
            d(2026, 9, 1),
            Who::Deputy,
        ),
        part("h", "head", Activity::Complaint, d(2026, 9, 30), Who::Head),
        with_status(
            part("x", "draft", Activity::Window, d(2026, 8, 1), Who::Head),
            Status::Draft,
        ),
    ];
    let f = r7(&i, &s());
    assert_eq!(keys(&f), vec!["R7:deputies:2026-Q3", "R7:draft:2026-Q3"]);
    assert_eq!(f[0].evidence.participations, vec!["d1", "d2"]);
    i.evaluated_on = d(2026, 9, 29);
    assert!(r7(&i, &s()).is_empty(), "judged once the quarter has ended");
    assert!(
        !progress(&i)
            .iter()
            .find(|p| p.unit_id == "deputies")
            .unwrap()
            .r7_head_in_person
    );
}

// ---------------------------------------------------------------- R8

fn trigger(id: &str, unit: &str, raised: NaiveDate) -> TriggerFacts {
    TriggerFacts {
        id: id.into(),
        unit_id: unit.into(),
        raised_on: raised,
        due_on: raised + chrono::Duration::days(7),
    }
}

fn answering(id: &str, unit: &str, t: &str, on: NaiveDate, who: Who) -> ParticipationFacts {
    let mut p = part(id, unit, Activity::Window, on, who);
    p.trigger_id = Some(t.into());
    p
}

#[test]
fn r8_a_trigger_answered_on_its_last_day_passes_and_the_day_after_fails() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    i.triggers = vec![
        trigger("last", "a", d(2026, 8, 1)),
        trigger("after", "a", d(2026, 8, 1)),
        trigger("none", "a", d(2026, 8, 1)),
        trigger("before", "a", d(2026, 8, 10)),
    ];
    i.participations = vec![
        answering("p1", "a", "last", d(2026, 8, 8), Who::Head),
        answering("p2", "a", "after", d(2026, 8, 9), Who::Head),
        answering("p3", "a", "before", d(2026, 8, 9), Who::Head),
    ];
    let f = r8(&i, &s());
    assert_eq!(keys(&f), vec!["R8:after", "R8:before", "R8:none"]);
    assert_eq!(f[0].evidence.participations, vec!["p2"]);
    assert_eq!(f[0].evidence.triggers, vec!["after"]);
    assert_eq!(f[0].due_on, Some(d(2026, 8, 8)));
}

#[test]
fn r8_is_judged_once_the_deadline_passes_and_needs_a_counted_answer_of_the_same_unit() {
    let mut i = input("2026-Q3", d(2026, 9, 29));
    i.units = vec![
        unit("a", &[Category::ApprovalService], false),
        unit("b", &[Category::ApprovalService], true),
    ];
    i.triggers = vec![
        trigger("open", "a", d(2026, 9, 22)),
        trigger("deputy", "a", d(2026, 9, 1)),
        trigger("delegated", "b", d(2026, 9, 1)),
        trigger("other_unit", "a", d(2026, 9, 1)),
        trigger("draft", "a", d(2026, 9, 1)),
        trigger("last_quarter", "a", d(2026, 6, 30)),
    ];
    i.participations = vec![
        answering("p1", "a", "deputy", d(2026, 9, 2), Who::Deputy),
        answering("p2", "b", "delegated", d(2026, 9, 2), Who::Deputy),
        answering("p3", "b", "other_unit", d(2026, 9, 2), Who::Head),
        with_status(
            answering("p4", "a", "draft", d(2026, 9, 2), Who::Head),
            Status::Draft,
        ),
    ];
    assert_eq!(
        keys(&r8(&i, &s())),
        vec!["R8:deputy", "R8:draft", "R8:open", "R8:other_unit"],
        "'open' is due 09-29, the evaluation date, so its deadline has passed; last quarter's is outside"
    );
    i.triggers[0] = trigger("open", "a", d(2026, 9, 23));
    assert_eq!(
        keys(&r8(&i, &s())),
        vec!["R8:deputy", "R8:draft", "R8:other_unit"],
        "due 09-30: not judged on 09-29"
    );
}

// ---------------------------------------------------------------- R9

fn list(id: &str, unit: &str, q: &str, on: NaiveDate) -> IssueListFacts {
    IssueListFacts {
        id: id.into(),
        unit_id: unit.into(),
        quarter: q.parse().unwrap(),
        submitted_on: on,
    }
}

#[test]
fn r9_lists_sent_on_day_20_of_the_last_month_are_on_time() {
    let mut i = input("2026-Q3", d(2026, 9, 20));
    i.units = vec![
        unit("ok", &[Category::ApprovalService], false),
        unit("late", &[Category::ApprovalService], false),
        unit("twice", &[Category::ApprovalService], false),
        unit("none", &[Category::ApprovalService], false),
        unit("office", &[], false),
    ];
    i.issue_lists = vec![
        list("l1", "ok", "2026-Q3", d(2026, 9, 20)),
        list("l2", "late", "2026-Q3", d(2026, 9, 21)),
        list("l3", "twice", "2026-Q3", d(2026, 9, 1)),
        list("l4", "twice", "2026-Q3", d(2026, 9, 25)),
        list("l5", "none", "2026-Q2", d(2026, 6, 1)),
    ];
    let f = r9(&i, &s());
    assert_eq!(keys(&f), vec!["R9:late:2026-Q3", "R9:none:2026-Q3"]);
    assert_eq!(f[0].code, "lists_late");
    assert_eq!(f[0].evidence.issue_lists, vec!["l2"]);
    assert_eq!(f[1].code, "lists_not_sent");
    i.evaluated_on = d(2026, 9, 19);
    assert!(
        r9(&i, &s()).is_empty(),
        "not judged before day 20 has passed"
    );
}

#[test]
fn r9_in_working_days_a_deadline_on_a_day_off_moves_to_the_next_working_day() {
    let mut settings = s();
    settings.issue_list_count = DayCount::Working;
    // 2026-12-20 is a Sunday: due Monday 12-21.
    let mut i = input("2026-Q4", d(2026, 12, 21));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    i.issue_lists = vec![list("l", "a", "2026-Q4", d(2026, 12, 21))];
    assert!(r9(&i, &settings).is_empty());
    assert_eq!(r9(&i, &s()).len(), 1, "in calendar days 12-21 is late");
}

// ---------------------------------------------------------------- R10

fn issue(id: &str, status: IssueStatus, deadline: Option<NaiveDate>) -> IssueFacts {
    IssueFacts {
        id: id.into(),
        unit_id: "a".into(),
        seq: 1,
        activity: Some(Activity::Window),
        status,
        deadline,
        steps: Vec::new(),
    }
}

#[test]
fn r10_an_issue_is_overdue_at_the_end_of_its_deadline_day() {
    let mut i = input("2026-Q3", d(2026, 9, 10));
    i.issues = vec![
        issue("today", IssueStatus::Rectifying, Some(d(2026, 9, 10))),
        issue("tomorrow", IssueStatus::Rectifying, Some(d(2026, 9, 11))),
        issue("open", IssueStatus::Open, Some(d(2026, 7, 1))),
        issue("resolved", IssueStatus::Resolved, Some(d(2026, 7, 1))),
        issue("closed", IssueStatus::Closed, Some(d(2026, 7, 1))),
        issue("withdrawn", IssueStatus::Withdrawn, Some(d(2026, 7, 1))),
        issue("no_deadline", IssueStatus::Open, None),
        issue(
            "last_quarter",
            IssueStatus::Rectifying,
            Some(d(2026, 6, 30)),
        ),
    ];
    let f = r10(&i, &s());
    assert_eq!(keys(&f), vec!["R10:open", "R10:today"]);
    assert_eq!(f[0].activity, Some(Activity::Window));
    assert_eq!(f[0].evidence.issues, vec!["open"]);
}

// ---------------------------------------------------------------- R11

fn closed(id: &str, closed_on: NaiveDate, recheck: Option<(IssueAction, NaiveDate)>) -> IssueFacts {
    let mut i = issue(id, IssueStatus::Closed, None);
    i.steps = vec![
        (IssueAction::Resolve, closed_on),
        (IssueAction::Close, closed_on),
    ];
    if let Some(r) = recheck {
        i.steps.push(r);
    }
    i
}

#[test]
fn r11_a_recheck_on_closing_day_plus_90_is_in_time() {
    // Closed 2026-05-01: the window ends 07-30, in Q3.
    let mut i = input("2026-Q3", d(2026, 9, 30));
    let closing = d(2026, 5, 1);
    i.issues = vec![
        closed(
            "last_day",
            closing,
            Some((IssueAction::PassRecheck, d(2026, 7, 30))),
        ),
        closed(
            "late",
            closing,
            Some((IssueAction::Relapse, d(2026, 7, 31))),
        ),
        closed("never", closing, None),
        closed("q4", d(2026, 7, 10), None),
    ];
    let f = r11(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R11:late:2026-05-01", "R11:never:2026-05-01"]
    );
    assert_eq!(f[0].code, "rechecked_late");
    assert_eq!(f[0].due_on, Some(d(2026, 7, 30)));
    i.evaluated_on = d(2026, 7, 29);
    assert!(
        r11(&i, &s()).is_empty(),
        "not judged before the window ends"
    );
}

#[test]
fn r11_each_closing_is_judged_and_a_relapse_then_a_new_closing_starts_a_new_window() {
    let mut i = input("2026", d(2026, 12, 31));
    let mut x = issue("x", IssueStatus::Closed, None);
    x.steps = vec![
        (IssueAction::Close, d(2026, 1, 10)),
        (IssueAction::Relapse, d(2026, 3, 1)),
        (IssueAction::Resolve, d(2026, 3, 5)),
        (IssueAction::Close, d(2026, 3, 6)),
    ];
    i.issues = vec![x];
    assert_eq!(keys(&r11(&i, &s())), vec!["R11:x:2026-03-06"]);
}

// ---------------------------------------------------------------- R12

fn report(id: &str, kind: ReportKind, period: &str, on: NaiveDate) -> ReportFacts {
    ReportFacts {
        id: id.into(),
        kind,
        period: period.into(),
        activity: Activity::Window,
        submitted_on: on,
    }
}

#[test]
fn r12_monthly_statistics_by_day_20_and_the_summary_by_day_22() {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    i.units = vec![
        lead("lw", Activity::Window),
        lead("le", Activity::Enforcement),
        lead("lc", Activity::Complaint),
    ];
    i.reports = vec![
        report("r7", ReportKind::Monthly, "2026-07", d(2026, 8, 20)),
        report("r8", ReportKind::Monthly, "2026-08", d(2026, 9, 21)),
        report("q3", ReportKind::Quarterly, "2026-Q3", d(2026, 9, 22)),
    ];
    let f: Vec<Finding> = r12(&i, &s())
        .into_iter()
        .filter(|f| f.activity == Some(Activity::Window))
        .collect();
    assert_eq!(
        keys(&f),
        vec!["R12:window:monthly:2026-08"],
        "September's is due 10-20"
    );
    assert_eq!(f[0].unit_id.as_deref(), Some("lw"));
    assert_eq!(f[0].code, "report_late");
    assert_eq!(f[0].evidence.reports, vec!["r8"]);
    let all = r12(&i, &s());
    assert_eq!(all.len(), 1 + 2 * 3, "the other leads submitted nothing");
    i.evaluated_on = d(2026, 10, 20);
    assert!(keys(&r12(&i, &s())).contains(&"R12:window:monthly:2026-09".to_owned()));
}

// ---------------------------------------------------------------- R13

fn plan(
    id: &str,
    activity: Activity,
    q: &str,
    revision: i32,
    on: Option<NaiveDate>,
) -> ScheduleFacts {
    ScheduleFacts {
        id: id.into(),
        activity,
        quarter: q.parse().unwrap(),
        revision,
        published_on: on,
    }
}

#[test]
fn r13_a_plan_published_the_day_before_the_quarter_is_on_time_and_the_first_revision_is_judged() {
    let mut i = input("2026-Q3", d(2026, 6, 30));
    i.units = vec![
        lead("lw", Activity::Window),
        lead("le", Activity::Enforcement),
    ];
    i.schedules = vec![
        plan("w1", Activity::Window, "2026-Q3", 1, Some(d(2026, 6, 30))),
        plan("w2", Activity::Window, "2026-Q3", 2, Some(d(2026, 8, 1))),
        plan(
            "e1",
            Activity::Enforcement,
            "2026-Q3",
            1,
            Some(d(2026, 7, 1)),
        ),
        plan("c1", Activity::Complaint, "2026-Q3", 1, None),
    ];
    i.evaluated_on = d(2026, 6, 29);
    assert!(r13(&i, &s()).is_empty(), "due at the end of 06-30");
    i.evaluated_on = d(2026, 9, 30);
    let f = r13(&i, &s());
    assert_eq!(
        keys(&f),
        vec!["R13:complaint:2026-Q3", "R13:enforcement:2026-Q3"]
    );
    assert_eq!(f[1].code, "plan_late");
    assert_eq!(f[1].unit_id.as_deref(), Some("le"));
    assert_eq!(f[0].code, "plan_not_published");
    assert_eq!(
        f[0].unit_id, None,
        "no lead department recorded for complaints"
    );
}

// ---------------------------------------------------------------- scores, bulletin, diff

fn with_points(unit: &str, points: u32) -> Finding {
    let mut f = r10_sample(unit);
    f.points = points;
    f.key = format!("k{unit}{points}");
    f
}

fn r10_sample(unit: &str) -> Finding {
    let mut i = input("2026-Q3", d(2026, 9, 30));
    let mut x = issue(&format!("{unit}-i"), IssueStatus::Open, Some(d(2026, 9, 1)));
    x.unit_id = unit.into();
    i.issues = vec![x];
    r10(&i, &s()).remove(0)
}

#[test]
fn scores_start_at_100_never_fall_below_0_and_equal_scores_share_a_rank() {
    let units = vec![
        unit("a", &[Category::ApprovalService], false),
        unit("b", &[Category::ApprovalService], false),
        unit("c", &[Category::ApprovalService], false),
        unit("d", &[Category::ApprovalService], false),
        unit("office", &[], false),
        lead("lead", Activity::Window),
    ];
    let findings = vec![
        with_points("b", 10),
        with_points("c", 10),
        with_points("d", 60),
        with_points("d", 60),
    ];
    let s = scores(&units, &findings);
    let got: Vec<(&str, u32, u32, u32)> = s
        .iter()
        .map(|s| (s.unit_id.as_str(), s.rank, s.score, s.deducted))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a", 1, 100, 0),
            ("lead", 1, 100, 0),
            ("b", 3, 90, 10),
            ("c", 3, 90, 10),
            ("d", 5, 0, 120)
        ]
    );
}

#[test]
fn deductions_are_configurable_per_rule() {
    let t = Deductions::parse("R1=20, R10=0").unwrap();
    assert_eq!(
        (t.points(Rule::R1), t.points(Rule::R10), t.points(Rule::R3)),
        (20, 0, 1)
    );
    assert!(Deductions::parse("R14=1").is_err());
    assert!(Deductions::parse("R1=101").is_err());
    assert!(Deductions::parse("R1").is_err());
    assert_eq!(Deductions::parse("").unwrap(), Deductions::default());
    let mut settings = s();
    settings.deductions = t;
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![unit("a", &[Category::ApprovalService], false)];
    assert_eq!(r1(&i, &settings)[0].points, 20);
}

#[test]
fn the_bulletin_lists_no_participation_repeated_overdue_and_no_head_in_person() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![
        unit("idle", &[Category::ApprovalService], false),
        unit("deputy", &[Category::ApprovalService], true),
        unit("late", &[Category::ApprovalService], false),
    ];
    i.participations = vec![
        part("p1", "deputy", Activity::Window, d(2026, 8, 1), Who::Deputy),
        part("p2", "late", Activity::Window, d(2026, 8, 1), Who::Head),
    ];
    let mut overdue = issue("i1", IssueStatus::Rectifying, Some(d(2026, 9, 1)));
    overdue.unit_id = "late".into();
    i.issues = vec![overdue];
    let out = evaluate(&i, &s());
    let prev = PreviousCheck {
        id: "q2".into(),
        overdue: BTreeMap::from([("late".to_owned(), vec!["i0".to_owned()])]),
    };
    let list = bulletin_list(&i, &out.findings, Some(&prev));
    let got: Vec<(&str, ListedReason)> = list
        .iter()
        .map(|l| (l.unit_id.as_str(), l.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            ("deputy", ListedReason::HeadNeverInPerson),
            ("idle", ListedReason::NoParticipation),
            ("idle", ListedReason::HeadNeverInPerson),
            ("late", ListedReason::RepeatedlyOverdue),
        ]
    );
    assert_eq!(list[0].evidence.participations, vec!["p1"]);
    assert_eq!(list[3].evidence.issues, vec!["i0", "i1"]);
    assert_eq!(list[3].previous_check_id.as_deref(), Some("q2"));
    let without = bulletin_list(&i, &out.findings, None);
    assert!(
        without
            .iter()
            .all(|l| l.reason != ListedReason::RepeatedlyOverdue),
        "one check is not two"
    );
}

#[test]
fn two_runs_compare_finding_by_finding() {
    let a = with_points("a", 2);
    let b = with_points("b", 2);
    let mut b2 = b.clone();
    b2.points = 5;
    let c = with_points("c", 2);
    let d = diff(&[a.clone(), b2.clone()], &[b.clone(), c.clone()]);
    assert_eq!(keys(&d.added), vec![a.key]);
    assert_eq!(keys(&d.gone), vec![c.key]);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(
        (d.changed[0].now.points, d.changed[0].before.points),
        (5, 2)
    );
    assert_eq!(d.unchanged, 0);
    let same = std::slice::from_ref(&b);
    assert_eq!(diff(same, same).unchanged, 1);
}

#[test]
fn a_check_is_the_same_whenever_it_runs_and_sorted_by_rule_then_key() {
    let mut i = input("2026-Q3", d(2026, 10, 1));
    i.units = vec![
        unit("a", &[Category::ApprovalService], false),
        lead("l", Activity::Window),
    ];
    let once = evaluate(&i, &s());
    assert_eq!(once, evaluate(&i, &s()));
    let rules: Vec<Rule> = once.findings.iter().map(|f| f.rule).collect();
    let mut sorted = rules.clone();
    sorted.sort();
    assert_eq!(rules, sorted);
    assert!(rules.contains(&Rule::R1) && rules.contains(&Rule::R7) && rules.contains(&Rule::R13));
}

#[test]
fn periods_are_quarters_or_years() {
    let q: CheckPeriod = "2026-Q3".parse().unwrap();
    assert_eq!(
        (q.first_day(), q.last_day()),
        (d(2026, 7, 1), d(2026, 9, 30))
    );
    assert_eq!(q.months().len(), 3);
    assert_eq!(q.prev().to_string(), "2026-Q2");
    let y: CheckPeriod = "2026".parse().unwrap();
    assert_eq!(
        (y.first_day(), y.last_day()),
        (d(2026, 1, 1), d(2026, 12, 31))
    );
    assert_eq!(y.months().len(), 12);
    assert_eq!(y.prev().to_string(), "2025");
    for bad in ["2026-07", "1999", "2026-Q5", "", "２０２６"] {
        assert!(bad.parse::<CheckPeriod>().is_err(), "{bad}");
    }
}

#[test]
fn a_leads_run_scores_the_units_its_activity_is_required_of_and_keeps_its_findings() {
    let scope = Scope {
        unit_id: None,
        activity: Some(Activity::Enforcement),
    };
    assert!(scope.has_unit(&unit("e", &[Category::LawEnforcement], false)));
    assert!(
        scope.has_unit(&unit("p", &[Category::PolicyMaking], false)),
        "any activity will do"
    );
    assert!(!scope.has_unit(&unit("w", &[Category::ApprovalService], false)));
    assert!(scope.has_unit(&lead("l", Activity::Enforcement)));
    assert!(!scope.has_unit(&unit("office", &[], false)));
    let mut f = r10_sample("e");
    assert!(!scope.has_finding(&f), "a WINDOW issue");
    f.activity = Some(Activity::Enforcement);
    assert!(scope.has_finding(&f));
    let one = Scope {
        unit_id: Some("e".into()),
        activity: None,
    };
    assert!(one.has_finding(&f) && !one.has_unit(&unit("w", &[Category::ApprovalService], false)));
}
