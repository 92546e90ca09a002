//! The compliance engine on a generated city-scale year: 13 districts' worth of units (≈ 600),
//! 20,000 participations and 60,000 ledger issues, with their matters, triggers, issue lists,
//! reports, plans, follow-up contacts and draws; then half and double that, to show how the
//! cost grows. Pure computation: no database. Run with `cargo bench --bench compliance`.

use std::hint::black_box;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use frontline::domain::calendar::Quarter;
use frontline::domain::compliance::{
    bulletin_list, evaluate, scores, CheckPeriod, Input, IssueFacts, IssueListFacts, MatterFacts,
    ParticipationFacts, ReportFacts, ReportKind, ScheduleFacts, Settings, TriggerFacts, UnitFacts,
};
use frontline::domain::ledger::{IssueAction, IssueStatus};
use frontline::domain::participation::{ContactFacts, DrawFacts, ParticipantKind, Segment, Status};
use frontline::domain::unit::{Activity, Category};
use serde_json::json;

/// A small deterministic generator (no dependency, same data on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

fn enforcement_segments() -> Vec<Segment> {
    frontline::demo::enforcement_segments(12)
        .into_iter()
        .map(|v| serde_json::from_value(v).expect("a valid segment"))
        .collect()
}

fn day(year_day: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date") + Duration::days(year_day as i64)
}

/// A year of a city: `units` units, `parts` participations, `issues` issues.
fn city(units: usize, parts: usize, issues: usize) -> Input {
    let mut rng = Lcg(42);
    let mut input = Input::new(
        CheckPeriod::Year(2026),
        NaiveDate::from_ymd_opt(2027, 1, 31).expect("a date"),
    );
    let categories = [
        vec![Category::ApprovalService],
        vec![Category::ApprovalService, Category::LawEnforcement],
        vec![Category::LawEnforcement, Category::PolicyMaking],
        vec![Category::PolicyMaking],
        vec![Category::PublicUtility],
        vec![Category::ComplaintConcentrated, Category::ApprovalService],
    ];
    for u in 0..units {
        input.units.push(UnitFacts {
            id: format!("u{u:04}"),
            name: format!("单位{u}"),
            categories: categories[u % categories.len()].clone(),
            delegation_allowed: u % 3 == 0,
            lead_activity: match u {
                0 => Some(Activity::Window),
                1 => Some(Activity::Enforcement),
                2 => Some(Activity::Complaint),
                _ => None,
            },
            active: true,
        });
        for m in 0..20 {
            input.matters.push(MatterFacts {
                id: format!("u{u:04}-m{m}"),
                unit_id: format!("u{u:04}"),
                active: m % 10 != 9,
                created_on: NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date"),
            });
        }
    }
    for c in 0..(parts * 3 / 2) {
        let u = rng.next(units as u64);
        input.contacts.insert(
            format!("c{c}"),
            ContactFacts {
                unit_id: format!("u{u:04}"),
                served_on: day(rng.next(365)),
            },
        );
    }
    let enforcement = enforcement_segments();
    for p in 0..parts {
        let u = rng.next(units as u64);
        let on = day(rng.next(365));
        let window = p % 3 == 0;
        let matters: Vec<String> = (0..3)
            .map(|_| format!("u{u:04}-m{}", rng.next(20)))
            .collect();
        let segments = if window {
            let draw = format!("d{p}");
            input.draws.insert(
                draw.clone(),
                DrawFacts {
                    purpose: "inspection_matters".into(),
                    unit_id: Some(format!("u{u:04}")),
                    result: matters[..2].to_vec(),
                },
            );
            let at = Utc
                .from_utc_datetime(&on.and_hms_opt(2, 0, 0).expect("a time"))
                .to_rfc3339();
            let calls: Vec<serde_json::Value> = (0..4)
                .map(|_| json!({"service_record_id": format!("c{}", rng.next((parts * 3 / 2) as u64)), "called_at": at, "reached": true, "answered": true,
                    "ratings": {"staff": "satisfied", "process": "satisfied", "overall": "satisfied"}}))
                .collect();
            vec![
                serde_json::from_value(json!({"type": "business_inspection", "draw_id": draw, "matter_ids": matters[..2],
                    "checks": [{"aspect": "acceptance_conditions", "rating": "ok"}]}))
                .expect("W2"),
                serde_json::from_value(json!({"type": "follow_up_calls", "calls": calls})).expect("W3"),
            ]
        } else {
            enforcement.clone()
        };
        input.participations.push(ParticipationFacts {
            id: format!("p{p}"),
            unit_id: format!("u{u:04}"),
            activity: if window {
                Activity::Window
            } else {
                Activity::Enforcement
            },
            participant: if p % 5 == 0 {
                ParticipantKind::Deputy
            } else {
                ParticipantKind::Head
            },
            activity_on: on,
            status: match p % 10 {
                0 => Status::Draft,
                1 => Status::Returned,
                2 | 3 => Status::Filed,
                _ => Status::Accepted,
            },
            first_filed_on: (p % 10 != 0).then(|| on + Duration::days(rng.next(6) as i64)),
            trigger_id: (p % 17 == 0).then(|| format!("t{}", p / 17)),
            matter_ids: matters,
            segments,
        });
    }
    for t in 0..(parts / 17) {
        let raised = day(rng.next(360));
        input.triggers.push(TriggerFacts {
            id: format!("t{t}"),
            unit_id: format!("u{:04}", rng.next(units as u64)),
            raised_on: raised,
            due_on: raised + Duration::days(7),
        });
    }
    let statuses = [
        IssueStatus::Open,
        IssueStatus::Rectifying,
        IssueStatus::Resolved,
        IssueStatus::Closed,
        IssueStatus::Passed,
    ];
    for i in 0..issues {
        let found = day(rng.next(330));
        let status = statuses[i % statuses.len()];
        let closed = found + Duration::days(10 + rng.next(20) as i64);
        let steps = match status {
            IssueStatus::Closed => vec![(IssueAction::Close, closed)],
            IssueStatus::Passed => vec![
                (IssueAction::Close, closed),
                (
                    IssueAction::PassRecheck,
                    closed + Duration::days(rng.next(120) as i64),
                ),
            ],
            _ => Vec::new(),
        };
        input.issues.push(IssueFacts {
            id: format!("i{i}"),
            unit_id: format!("u{:04}", rng.next(units as u64)),
            seq: i as i32,
            activity: Some(Activity::Window),
            status,
            deadline: Some(found + Duration::days(30)),
            steps,
        });
    }
    for q in 1..=4u8 {
        let quarter = Quarter::new(2026, q).expect("a quarter");
        for u in 0..units {
            if u % 7 != 0 {
                input.issue_lists.push(IssueListFacts {
                    id: format!("l{u}-{q}"),
                    unit_id: format!("u{u:04}"),
                    quarter,
                    submitted_on: quarter.last_day() - Duration::days(rng.next(20) as i64),
                });
            }
        }
        for (n, a) in Activity::ALL.iter().enumerate() {
            input.schedules.push(ScheduleFacts {
                id: format!("s{q}-{n}"),
                activity: *a,
                quarter,
                revision: 1,
                published_on: Some(quarter.first_day() - Duration::days(rng.next(4) as i64)),
            });
            input.reports.push(ReportFacts {
                id: format!("r{q}-{n}"),
                kind: ReportKind::Quarterly,
                period: quarter.to_string(),
                activity: *a,
                submitted_on: quarter.last_day() - Duration::days(8),
            });
        }
    }
    input
}

fn benches(c: &mut Criterion) {
    let settings = Settings::defaults();
    let mut group = c.benchmark_group("compliance_year");
    group.sample_size(10);
    for (label, units, parts, issues) in [
        ("half_city", 300, 10_000, 30_000),
        ("city", 600, 20_000, 60_000),
        ("double_city", 1_200, 40_000, 120_000),
    ] {
        let input = city(units, parts, issues);
        let out = evaluate(&input, &settings);
        eprintln!(
            "{label}: {units} units, {parts} participations, {issues} issues → {} findings",
            out.findings.len()
        );
        group.throughput(Throughput::Elements((parts + issues) as u64));
        group.bench_with_input(
            BenchmarkId::new("evaluate_score_list", label),
            &input,
            |b, input| {
                b.iter(|| {
                    let out = evaluate(black_box(input), &settings);
                    let s = scores(&input.units, &out.findings);
                    let l = bulletin_list(input, &out.findings, None);
                    (out.findings.len(), s.len(), l.len())
                })
            },
        );
    }
    group.finish();
}

criterion_group!(compliance, benches);
criterion_main!(compliance);
