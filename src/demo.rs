//! `frontline demo-data --scale N`: a deterministic, realistic district (N = 1) or city of N
//! districts (up to 13), for benchmarks and demonstrations. District 1 is Annex 1's units;
//! each further district copies its participating units under its own names. A year of the
//! programme is then imported through the import pipeline (`POST /api/v1/imports` with
//! `parts`), so that every record is checked and written as an imported one would be: the
//! catalogue (matters), plans, people served, draws, participations of the three activities
//! with their segments, triggers, issues in every state, issue lists and the leads' reports;
//! and 12345 work orders through the hotline importer. The same seed gives the same records,
//! and running it again changes nothing (every record has an external reference).

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::api::imports::{import_parts, ImportPart};
use crate::config::Config;
use crate::db::AnyConnection;
use crate::domain::calendar::Quarter;
use crate::domain::draw::{draw, Population};
use crate::domain::import::ImportKind;
use crate::domain::unit::{Person, Unit};
use crate::error::AppError;
use crate::store::audit::AuditCtx;
use crate::store::units::UnitWrite;

/// The most districts generated (a city of 13 districts).
pub const MAX_SCALE: u32 = 13;

/// What was generated.
#[derive(Debug, Default)]
pub struct DemoReport {
    /// Units taking part (all districts).
    pub units: usize,
    /// Records imported now.
    pub created: usize,
    /// Records already there from an earlier run.
    pub unchanged: usize,
    /// Work orders imported now.
    pub work_orders: usize,
}

/// SplitMix64: a small deterministic generator (the data must be the same on every machine).
struct Rng(u64);

impl Rng {
    /// The stream of one part of the data, the same whatever else is generated (a district's
    /// quarter does not change when the city grows).
    fn of(seed: u64, part: &str) -> Rng {
        let mut r = Rng(seed);
        for b in part.bytes() {
            r.0 ^= u64::from(b);
            r.next();
        }
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The activities a unit's categories require; `complaint` for a unit of `policy_making` only
/// (any activity counts).
fn activities(u: &Unit) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = u
        .categories
        .iter()
        .filter_map(|c| c.required_activity().map(|a| a.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        out.push("complaint");
    }
    out
}

/// RFC 3339 (UTC) of `h` o'clock Beijing time on `d`.
fn beijing(d: NaiveDate, h: u32) -> String {
    (crate::domain::calendar::start_of_day(d) + Duration::hours(i64::from(h)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The three ENFORCEMENT segments (二(二)) of a sample participation numbered `n`.
pub fn enforcement_segments(n: u64) -> Vec<Value> {
    let stages: Vec<Value> = [
        "case_filing",
        "investigation",
        "rectification_order",
        "notice_hearing",
        "review_decision",
        "service_execution",
        "archiving",
    ]
    .iter()
    .map(|s| json!({"stage": s, "compliant": true, "basis": "符合西安市行政处罚案卷评查标准"}))
    .collect();
    let checks: Vec<Value> = [
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
    ]
    .iter()
    .map(|a| json!({"aspect": a, "rating": "ok"}))
    .collect();
    vec![
        json!({"type": "inspection", "target": format!("检查对象{n}"), "checks": checks}),
        json!({"type": "case_handling", "case_reference": format!("碑执罚〔2025〕{n}号"), "steps": ["intake", "investigation", "record", "notice", "decision"], "penalty_decided": true, "outcome": "罚款并责令改正"}),
        json!({"type": "case_file_review", "files": [{"reference": format!("碑执罚〔2025〕{}号", n + 1), "stages": stages, "score": 80 + n % 20}]}),
    ]
}

/// The three COMPLAINT segments (二(三)) of a sample participation numbered `n`.
pub fn complaint_segments(n: u64, period: &str) -> Vec<Value> {
    vec![
        json!({"type": "dispatch_experience", "work_order": format!("12345-{n:08}"),
            "steps": [{"step": "dispatch", "rating": "ok"}, {"step": "feedback", "rating": "ok"}, {"step": "callback", "rating": "ok"}]}),
        json!({"type": "complaint_analysis", "period": period, "counts": [{"category": "市容环境", "count": 20 + n % 30}, {"category": "噪声扰民", "count": 5 + n % 10}],
            "typical_cases": ["小区周边餐馆油烟扰民"], "causes": ["夜间巡查力量不足"], "measures": ["增设夜间巡查班次"], "mechanism": "每月投诉分析例会"}),
        json!({"type": "complaint_handling", "work_order": format!("12345-{:08}", n + 1), "approaches": ["direct_coordination", "direct_feedback", "direct_hearing"],
            "outcome": "协调商户整改", "satisfaction": "satisfied", "follow_up_needed": false, "findings": []}),
    ]
}

/// The four WINDOW segments (二(一)): W1 on the first drawn matter, W2 on the drawn matters
/// with their draw, W3 with `calls`, W4.
pub fn window_segments(drawn: &[String], draw_ref: &str, calls: Vec<Value>) -> Vec<Value> {
    let aspects: Vec<Value> = [
        "acceptance_conditions",
        "procedure",
        "service_guide",
        "smart_service",
        "policy_service",
        "consultation_online",
        "consultation_phone",
        "consultation_on_site",
    ]
    .iter()
    .map(|a| json!({"aspect": a, "rating": "ok"}))
    .collect();
    vec![
        json!({"type": "approval_service", "role": "applicant", "method": "in_person", "channel": "offline", "matter_id": drawn.first(),
            "checks": [{"element": "consultation_guidance", "rating": "ok"}, {"element": "completion", "rating": "ok"}]}),
        json!({"type": "business_inspection", "draw_id": draw_ref, "matter_ids": drawn, "checks": aspects}),
        json!({"type": "follow_up_calls", "calls": calls}),
        json!({"type": "forum", "attendees": [{"group": "approval_staff", "count": 3}, {"group": "enterprise", "count": 5}],
            "topics": ["reform_tasks", "one_network"], "problems": ["跨部门材料重复提交"], "measures": ["建立材料共享清单"]}),
    ]
}

/// The district's units: Annex 1's for district 1, copies under their own names for the
/// others (made once), each with a head.
fn district_units(
    conn: &mut AnyConnection,
    annex1: &[Unit],
    d: u32,
) -> Result<Vec<Unit>, AppError> {
    let mut out = Vec::new();
    for (n, u) in annex1.iter().enumerate() {
        let head = Some(Person {
            name: format!("一把手{d}-{n}"),
            title: Some("局长".into()),
        });
        if d == 1 {
            if u.head.is_some() {
                out.push(u.clone());
                continue;
            }
            let w = UnitWrite {
                head,
                ..UnitWrite::from_unit(u)
            };
            out.push(
                crate::store::units::update(conn, u.id, u.version, &w)?
                    .ok_or_else(|| AppError::internal("a unit changed during demo-data"))?,
            );
            continue;
        }
        let name = format!("{}（第{d}区）", u.name);
        if let Some(existing) = crate::store::units::find_by_key(conn, &name)? {
            out.push(existing);
            continue;
        }
        let w = UnitWrite {
            name,
            short_code: format!("{}-D{d}", u.short_code),
            head,
            deputies: Vec::new(),
            delegation_allowed: false,
            programme_role: None,
            lead_activity: None,
            ..UnitWrite::from_unit(u)
        };
        out.push(crate::store::units::insert(conn, &w)?);
    }
    Ok(out)
}

/// A district's records of one quarter, as import parts.
struct QuarterParts {
    service_records: Vec<Value>,
    triggers: Vec<Value>,
    draws: Vec<Value>,
    participations: Vec<Value>,
    issues: Vec<Value>,
    issue_lists: Vec<Value>,
}

/// A district's records of quarter `q`: nothing dated from `today` on (a record of the
/// latest quarter whose next step would be in the future stops at the step before).
fn quarter_parts(
    rng: &mut Rng,
    units: &[Unit],
    matters: &std::collections::HashMap<String, Vec<String>>,
    q: Quarter,
    today: NaiveDate,
) -> QuarterParts {
    let qs = q.to_string();
    let start = q.first_day();
    let mut p = QuarterParts {
        service_records: Vec::new(),
        triggers: Vec::new(),
        draws: Vec::new(),
        participations: Vec::new(),
        issues: Vec::new(),
        issue_lists: Vec::new(),
    };
    for (n, u) in units.iter().enumerate() {
        let uid = u.id.to_string();
        let code = &u.short_code;
        let acts = activities(u);
        let main_activity = acts.first().copied().unwrap_or("complaint");
        // The unit's trigger of the quarter, if any: answered in time mostly.
        let trigger = (acts.contains(&"enforcement") && rng.chance(15)).then(|| {
            let raised = start + Duration::days(20 + rng.below(40) as i64);
            let reference = format!("demo:T:{qs}:{code}");
            p.triggers.push(json!({"external_ref": reference, "unit_id": uid, "reason": "important_date", "description": "重要时间节点办件高峰", "raised_on": raised.to_string()}));
            (reference, raised)
        });
        for a in acts {
            // A few units skip an activity in a quarter.
            if rng.chance(4) {
                continue;
            }
            let on = start + Duration::days(10 + rng.below(70) as i64);
            let reference = format!("demo:P:{qs}:{a}:{code}");
            let seq = rng.next() % 1_000_000;
            let segments = match a {
                "window" => {
                    let population = matters.get(&uid).cloned().unwrap_or_default();
                    let seed = format!("{qs}-{code}");
                    let result = draw(&Population::new(population.clone()), &seed, 2);
                    let draw_ref = format!("demo:D:{qs}:{code}");
                    p.draws.push(json!({"external_ref": draw_ref, "purpose": "inspection_matters", "unit_id": uid, "population": population,
                        "seed": seed, "result": result, "drawn_at": beijing(on, 9)}));
                    let mut calls = Vec::new();
                    for k in 0..3 {
                        let sr = format!("demo:S:{qs}:{code}:{k}");
                        let served = on - Duration::days(1 + rng.below(60) as i64);
                        p.service_records.push(json!({"external_ref": sr, "unit_id": uid, "served_on": served.to_string(), "kind": "application",
                            "contact_name": format!("群众{n}-{k}"), "phone": format!("138{:08}", rng.below(100_000_000))}));
                        calls.push(json!({"service_record_id": sr, "called_at": beijing(on, 15), "reached": true, "answered": true, "remarks": "办事顺利",
                            "ratings": {"staff": "very_satisfied", "process": "satisfied", "overall": "satisfied"}}));
                    }
                    window_segments(&result, &draw_ref, calls)
                }
                "enforcement" => enforcement_segments(seq),
                _ => complaint_segments(seq, &qs),
            };
            let late = rng.chance(5);
            let filed = on
                + Duration::days(if late {
                    5 + rng.below(10) as i64
                } else {
                    rng.below(3) as i64
                });
            if filed >= today {
                continue;
            }
            let mut record = json!({"external_ref": reference, "filed_at": beijing(filed, 17),
                "participation": {"unit_id": uid, "activity": a, "mode": "regular", "activity_on": on.to_string(), "place": u.name,
                    "participant": {"kind": "head"}, "people_received": 1 + rng.below(20), "summary": format!("{qs} {}参与活动", u.name), "segments": segments}});
            if filed + Duration::days(1) >= today {
                record["status"] = json!("filed");
            } else if rng.chance(3) {
                record["status"] = json!("returned");
                record["returned_at"] = json!(beijing(filed + Duration::days(1), 10));
                record["return_reason"] = json!("请补充材料");
            } else {
                record["status"] = json!("accepted");
                record["accepted_at"] = json!(beijing(filed + Duration::days(1), 10));
            }
            p.participations.push(record);
        }
        if let Some((reference, raised)) = &trigger {
            let on = *raised + Duration::days(rng.below(6) as i64);
            if rng.chance(80) && on + Duration::days(1) < today {
                p.participations.push(json!({"external_ref": format!("demo:PT:{qs}:{code}"), "status": "accepted", "filed_at": beijing(on, 18), "accepted_at": beijing(on + Duration::days(1), 10),
                    "participation": {"unit_id": uid, "activity": "enforcement", "mode": "immediate", "trigger_id": reference, "activity_on": on.to_string(), "place": u.name,
                        "participant": {"kind": "head"}, "people_received": 1, "summary": "即时体验", "segments": enforcement_segments(rng.next() % 1_000_000)}}));
            }
        }
        // Two ledger issues a quarter, in every state.
        for k in 0..2 {
            let found = start + Duration::days(5 + rng.below(60) as i64);
            let deadline = found + Duration::days(20 + rng.below(40) as i64);
            let resolved = found + Duration::days(10 + rng.below(30) as i64);
            let closed = resolved + Duration::days(3);
            let mut r = json!({"external_ref": format!("demo:I:{qs}:{code}:{k}"), "unit_id": uid, "activity": main_activity, "kind": if k == 0 { "problem" } else { "demand" },
                "description": format!("{}发现的问题{k}", u.name), "found_on": found.to_string()});
            let planned = [
                ("measures", json!("制定整改措施")),
                ("deadline", json!(deadline.to_string())),
            ];
            let resolve = [
                ("effect", json!("已整改")),
                ("resolved_at", json!(beijing(resolved, 16))),
            ];
            let (status, last, steps): (&str, NaiveDate, Vec<(&str, Value)>) = match rng.below(6) {
                0 => ("open", found, Vec::new()),
                1 => ("rectifying", found, planned.to_vec()),
                2 => ("resolved", resolved, [&planned[..], &resolve[..]].concat()),
                3 => (
                    "closed",
                    closed,
                    [
                        &planned[..],
                        &resolve[..],
                        &[("closed_at", json!(beijing(closed, 10)))],
                    ]
                    .concat(),
                ),
                4 => {
                    let rechecked = closed + Duration::days(60);
                    (
                        "passed",
                        rechecked,
                        [
                            &planned[..],
                            &resolve[..],
                            &[
                                ("closed_at", json!(beijing(closed, 10))),
                                ("rechecked_at", json!(beijing(rechecked, 10))),
                            ],
                        ]
                        .concat(),
                    )
                }
                _ => (
                    "withdrawn",
                    found + Duration::days(2),
                    vec![
                        ("remarks", json!("重复登记")),
                        (
                            "withdrawn_at",
                            json!(beijing(found + Duration::days(2), 10)),
                        ),
                    ],
                ),
            };
            // A state reached only after today stays open.
            let (status, steps) = if last >= today {
                ("open", Vec::new())
            } else {
                (status, steps)
            };
            r["status"] = json!(status);
            for (key, v) in steps {
                r[key] = v;
            }
            p.issues.push(r);
        }
        if !rng.chance(5) {
            let due = q
                .last_day()
                .with_day(15 + rng.below(10) as u32)
                .unwrap_or(q.last_day());
            p.issue_lists.push(json!({"external_ref": format!("demo:L:{qs}:{code}"), "unit_id": uid, "quarter": qs, "submitted_at": beijing(due, 10)}));
        }
    }
    p
}

/// The quarter's three published plans, covering every unit an activity requires.
fn plans(rng: &mut Rng, units: &[Unit], q: Quarter) -> Vec<Value> {
    let qs = q.to_string();
    let mut out = Vec::new();
    for a in ["window", "enforcement", "complaint"] {
        let entries: Vec<Value> = units
            .iter()
            .filter(|u| {
                u.categories
                    .iter()
                    .any(|c| c.required_activity().map(|x| x.as_str()) == Some(a))
            })
            .map(|u| json!({"unit_id": u.id.to_string(), "planned_on": (q.first_day() + Duration::days(20 + rng.below(60) as i64)).to_string(),
                "participant": {"kind": "head"}, "mode": "regular", "place": u.name}))
            .collect();
        let published = q.first_day() - Duration::days(if rng.chance(10) { 0 } else { 5 });
        out.push(json!({"external_ref": format!("demo:PLAN:{qs}:{a}"), "activity": a, "quarter": qs, "title": format!("{qs} {a} 活动计划"), "entries": entries,
            "submitted_at": beijing(published - Duration::days(8), 10), "reviewed_at": beijing(published - Duration::days(6), 10),
            "approved_at": beijing(published - Duration::days(3), 10), "published_at": beijing(published, 10)}));
    }
    out
}

/// The leads' reports of a quarter: three monthly statistics and the summary.
fn reports(rng: &mut Rng, q: Quarter, today: NaiveDate) -> Vec<Value> {
    let qs = q.to_string();
    let mut out = Vec::new();
    for a in ["window", "enforcement", "complaint"] {
        for m in 0..3u32 {
            let month = q
                .first_day()
                .checked_add_months(chrono::Months::new(m))
                .unwrap_or(q.first_day());
            let name = format!("{:04}-{:02}", month.year(), month.month());
            let next = month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(month);
            let sent = next.with_day(5 + rng.below(20) as u32).unwrap_or(next);
            if sent >= today {
                continue;
            }
            out.push(json!({"external_ref": format!("demo:R:{a}:{name}"), "kind": "monthly", "period": name, "activity": a, "submitted_at": beijing(sent, 10)}));
        }
        let sent = q
            .last_day()
            .with_day(10 + rng.below(15) as u32)
            .unwrap_or(q.last_day());
        out.push(json!({"external_ref": format!("demo:RS:{a}:{qs}"), "kind": "quarterly", "period": qs, "activity": a,
            "narrative": {"done": "开展情况", "results": "取得成效", "problems": "存在问题", "next_plan": "下季度计划"}, "submitted_at": beijing(sent, 10)}));
    }
    out
}

/// 12345 work orders of a district's quarter, imported as the hotline's file would be.
fn work_orders(
    conn: &mut AnyConnection,
    config: &Config,
    rng: &mut Rng,
    units: &[Unit],
    q: Quarter,
    d: u32,
    today: NaiveDate,
) -> Result<usize, AppError> {
    let categories = ["市容环境", "噪声扰民", "物业管理", "食品安全", "交通出行"];
    let levels = ["非常满意", "满意", "基本满意", "不满意"];
    crate::db::write_transaction(conn, |conn| {
        let source = format!("demo-{d}");
        let mut importer = crate::api::hotline_import::Importer::new(
            conn,
            &source,
            crate::i18n::Lang::Zh,
            config.hotline.due_days,
        )?;
        let mut line = 1;
        // Every unit gets complaints; a few get many (the concentration H1 finds).
        for u in units {
            let many = rng.chance(15);
            for k in 0..(if many {
                40 + rng.below(40)
            } else {
                rng.below(12)
            }) {
                line += 1;
                let received = q.first_day() + Duration::days(rng.below(88) as i64);
                let done = received + Duration::days(1 + rng.below(20) as i64);
                let closed = rng.chance(85) && done < today;
                let mut fields = std::collections::HashMap::new();
                fields.insert("external_id".into(), format!("{q}-{}-{k}", u.short_code));
                fields.insert("received_at".into(), beijing(received, 9 + (k % 8) as u32));
                fields.insert("unit".into(), u.name.clone());
                fields.insert("category".into(), categories[rng.below(5) as usize].into());
                fields.insert("summary".into(), "群众反映的问题".into());
                fields.insert(
                    "status".into(),
                    if closed { "closed" } else { "open" }.into(),
                );
                if closed {
                    fields.insert("closed_at".into(), beijing(done, 16));
                    fields.insert("satisfaction".into(), levels[rng.below(4) as usize].into());
                }
                importer.row(crate::api::import::Row { line, fields })?;
            }
        }
        Ok(importer.finish()?.created as usize)
    })
}

/// Imports records of one kind (nothing when there are none).
fn one_kind(
    conn: &mut AnyConnection,
    config: &Config,
    actx: &AuditCtx,
    user_id: &str,
    kind: ImportKind,
    records: Vec<Value>,
) -> Result<crate::api::imports::ImportReport, AppError> {
    if records.is_empty() {
        return Ok(crate::api::imports::ImportReport {
            batch_id: None,
            kind: Some(kind),
            dry_run: false,
            created: 0,
            unchanged: 0,
            records: Vec::new(),
            warnings: Vec::new(),
        });
    }
    import_parts(
        conn,
        config,
        actx,
        user_id,
        vec![ImportPart { kind, records }],
    )
}

/// Generates `scale` districts' programme of `year` (every quarter of it that has ended) on
/// `conn`, as `user_id`; the same `seed` gives the same data, and a second run adds nothing.
pub fn generate(
    conn: &mut AnyConnection,
    config: &Config,
    user_id: &str,
    scale: u32,
    seed: u64,
    year: i32,
) -> Result<DemoReport, AppError> {
    let annex1: Vec<Unit> = crate::store::units::list(conn, &Default::default(), None, 100_000)?
        .items
        .into_iter()
        .filter(|u| u.active && !u.categories.is_empty() && !u.name.contains("（第"))
        .collect();
    let mut districts = Vec::new();
    for d in 1..=scale.clamp(1, MAX_SCALE) {
        districts.push(crate::db::write_transaction(conn, |conn| {
            district_units(conn, &annex1, d)
        })?);
    }
    let all: Vec<Unit> = districts.iter().flatten().cloned().collect();
    let actx = AuditCtx {
        actor_id: Some(user_id.to_owned()),
        actor_username: Some("frontline demo-data".into()),
        ..Default::default()
    };
    let mut report = DemoReport {
        units: all.len(),
        ..Default::default()
    };
    fn add(report: &mut DemoReport, r: crate::api::imports::ImportReport) {
        report.created += r.created;
        report.unchanged += r.unchanged;
    }
    let today = crate::domain::calendar::local_date(Utc::now());
    let quarters: Vec<Quarter> = (1..=4)
        .filter_map(|n| format!("{year}-Q{n}").parse::<Quarter>().ok())
        .filter(|q| q.last_day() < today)
        .collect();
    // Four matters of each unit of WINDOW, in the catalogue since before the year.
    let mut matters: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, q) in quarters.iter().enumerate() {
        let records = plans(&mut Rng::of(seed, &format!("plans {q}")), &all, *q);
        add(
            &mut report,
            one_kind(conn, config, &actx, user_id, ImportKind::Schedules, records)?,
        );
        for (d, units) in districts.iter().enumerate() {
            if k == 0 {
                // The matters first: a draw names their ids.
                let mut records = Vec::new();
                for u in units.iter().filter(|u| activities(u).contains(&"window")) {
                    for i in 0..4 {
                        records.push(json!({"external_ref": format!("demo:M:{}:{i}", u.short_code), "unit_id": u.id.to_string(),
                            "kind": if i == 3 { "public_service" } else { "approval" }, "name": format!("事项{i}"), "online": i % 2 == 0,
                            "listed_on": (q.first_day() - Duration::days(31)).to_string()}));
                    }
                }
                let r = one_kind(
                    conn,
                    config,
                    &actx,
                    user_id,
                    ImportKind::Matters,
                    records.clone(),
                )?;
                for (rec, sent) in r.records.iter().zip(&records) {
                    let unit = sent["unit_id"].as_str().unwrap_or_default().to_owned();
                    matters.entry(unit).or_default().extend(rec.id.clone());
                }
                add(&mut report, r);
            }
            let mut rng = Rng::of(seed, &format!("district {} {q}", d + 1));
            let p = quarter_parts(&mut rng, units, &matters, *q, today);
            let parts: Vec<ImportPart> = [
                (ImportKind::ServiceRecords, p.service_records),
                (ImportKind::Triggers, p.triggers),
                (ImportKind::Draws, p.draws),
                (ImportKind::Participations, p.participations),
                (ImportKind::Issues, p.issues),
                (ImportKind::IssueLists, p.issue_lists),
            ]
            .into_iter()
            .filter(|(_, r)| !r.is_empty())
            .map(|(kind, records)| ImportPart { kind, records })
            .collect();
            add(
                &mut report,
                import_parts(conn, config, &actx, user_id, parts)?,
            );
            report.work_orders +=
                work_orders(conn, config, &mut rng, units, *q, d as u32 + 1, today)?;
        }
        let records = reports(&mut Rng::of(seed, &format!("reports {q}")), *q, today);
        add(
            &mut report,
            one_kind(conn, config, &actx, user_id, ImportKind::Reports, records)?,
        );
    }
    Ok(report)
}
