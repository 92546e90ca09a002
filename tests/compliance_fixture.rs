//! Compliance checks (专项考核) against an independent expectation: a whole fixture quarter
//! (two quarters before today's) is made through the API, with server-side timestamps moved
//! back in the database where lateness matters; a district-wide check of that quarter is run,
//! and every finding (rule, unit, key) is compared with what DOMAIN.md's rules R1–R13 say,
//! computed here from the units list and the records as they were made.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use actix_web::http::Method;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, Utc};
use common::{complaint_segments, enforcement_segments, run_check, TestApp};
use diesel::prelude::*;
use frontline::db::schema::{
    issue_events, issue_lists, issues, participation_transitions, participations, reports,
    schedules,
};
use frontline::domain::calendar::{local_date, Quarter};
use frontline::domain::unit::Unit;
use serde_json::{json, Value};

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// The stored (naive UTC) instant of a Shanghai local time.
fn at(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_hms_opt(h, m, 0).unwrap() - Duration::hours(8)
}

fn days(d: NaiveDate, n: i64) -> NaiveDate {
    d + Duration::days(n)
}

fn month_name(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn day_of(month_start: NaiveDate, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(month_start.year(), month_start.month(), day).unwrap()
}

/// A participation as made here, for the expectation.
#[derive(Clone, Debug)]
struct Made {
    id: String,
    unit: String,
    activity: &'static str,
    on: NaiveDate,
    deputy: bool,
    /// Local date of the first filing.
    filed: Option<NaiveDate>,
    /// Filed or accepted now (not a draft, not returned).
    counted: bool,
    matters: Vec<String>,
    trigger: Option<String>,
}

struct Cast {
    admin: String,
    coordinator: String,
    leader: String,
    /// activity → (lead token, lead unit id)
    leads: HashMap<&'static str, (String, String)>,
    units: HashMap<String, Unit>,
    clerks: HashMap<String, String>,
}

impl Cast {
    fn unit(&self, name: &str) -> String {
        self.units
            .get(name)
            .unwrap_or_else(|| panic!("no unit {name}"))
            .id
            .to_string()
    }
    fn clerk(&self, name: &str) -> &str {
        self.clerks
            .get(name)
            .unwrap_or_else(|| panic!("no clerk of {name}"))
    }
    fn lead(&self, activity: &str) -> &str {
        &self.leads[activity].0
    }
}

async fn ok(res: common::Resp, status: u16, what: &str) -> Value {
    assert_eq!(res.status, status, "{what}: {}", res.text());
    if res.body.is_empty() {
        Value::Null
    } else {
        res.json()
    }
}

async fn patch_unit(app: &TestApp, admin: &str, unit: &str, body: Value) {
    let res = app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/units/{unit}"),
            admin,
            &[("if-match", "*")],
            Some(body),
        )
        .await;
    assert_eq!(res.status, 200, "patch unit: {}", res.text());
}

async fn add_matters(app: &TestApp, token: &str, unit: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let res = app
            .call(
                Method::POST,
                &format!("/api/v1/units/{unit}/matters"),
                token,
                Some(json!({"kind": "approval", "name": format!("事项{i}")})),
            )
            .await;
        out.push(id_of(&ok(res, 201, "matter").await));
    }
    out
}

/// The four WINDOW segments for a participation of `unit` on `on`: a fresh draw of two of its
/// matters (it must have exactly two), three people served in the three months before, called
/// on the day.
async fn window_segments(
    app: &TestApp,
    token: &str,
    unit: &str,
    on: NaiveDate,
) -> (Vec<Value>, Vec<String>) {
    let res = app
        .call(
            Method::POST,
            "/api/v1/draws",
            token,
            Some(json!({"purpose": "inspection_matters", "unit_id": unit, "count": 2})),
        )
        .await;
    let d = ok(res, 201, "draw").await;
    let drawn: Vec<String> = serde_json::from_value(d["result"].clone()).unwrap();
    let call_at = DateTime::<Utc>::from_naive_utc_and_offset(at(on, 10, 0), Utc).to_rfc3339();
    let mut calls = Vec::new();
    for back in [1, 30, 80] {
        let res = app
            .call(
                Method::POST,
                &format!("/api/v1/units/{unit}/service-records"),
                token,
                Some(json!({"served_on": days(on, -back).to_string(), "kind": "application"})),
            )
            .await;
        let contact = id_of(&ok(res, 201, "service record").await);
        calls.push(common::good_call(&contact, &call_at));
    }
    let segments = common::window_segments(&drawn, &id_of(&d), calls);
    (segments, drawn)
}

struct Spec {
    unit: String,
    activity: &'static str,
    on: NaiveDate,
    deputy: bool,
    segments: Vec<Value>,
    matters: Vec<String>,
    trigger: Option<String>,
}

impl Spec {
    fn new(unit: &str, activity: &'static str, on: NaiveDate) -> Spec {
        let segments = match activity {
            "enforcement" => enforcement_segments(),
            "complaint" => complaint_segments(),
            _ => Vec::new(),
        };
        Spec {
            unit: unit.to_owned(),
            activity,
            on,
            deputy: false,
            segments,
            matters: Vec::new(),
            trigger: None,
        }
    }
}

/// What happens to a participation after its creation.
enum Fate {
    Draft,
    /// Filed at this local time; then accepted, returned or left filed.
    Filed(NaiveDateTime, &'static str),
}

async fn participate(app: &TestApp, c: &Cast, clerk: &str, s: Spec, fate: Fate) -> Made {
    let mut body = json!({"unit_id": s.unit, "activity": s.activity, "mode": if s.trigger.is_some() { "immediate" } else { "regular" },
        "activity_on": s.on.to_string(), "place": "现场",
        "participant": if s.deputy { json!({"kind": "deputy", "name": "副职甲"}) } else { json!({"kind": "head"}) },
        "people_received": 3, "summary": "一把手参与活动", "segments": s.segments, "matter_ids": s.matters});
    if let Some(t) = &s.trigger {
        body["trigger_id"] = json!(t);
    }
    let res = app
        .call(Method::POST, "/api/v1/participations", clerk, Some(body))
        .await;
    let p = ok(res, 201, "participation").await;
    let id = id_of(&p);
    let matters: Vec<String> = serde_json::from_value(p["matter_ids"].clone()).unwrap_or_default();
    let mut made = Made {
        id: id.clone(),
        unit: s.unit.clone(),
        activity: s.activity,
        on: s.on,
        deputy: s.deputy,
        filed: None,
        counted: false,
        matters,
        trigger: s.trigger.clone(),
    };
    let path = format!("/api/v1/participations/{id}/transitions");
    if let Fate::Filed(when, then) = fate {
        ok(
            app.call(Method::POST, &path, clerk, Some(json!({"action": "file"})))
                .await,
            200,
            "file",
        )
        .await;
        match then {
            "accept" => {
                ok(
                    app.call(
                        Method::POST,
                        &path,
                        c.lead(s.activity),
                        Some(json!({"action": "accept"})),
                    )
                    .await,
                    200,
                    "accept",
                )
                .await;
            }
            "return" => {
                ok(
                    app.call(
                        Method::POST,
                        &path,
                        c.lead(s.activity),
                        Some(json!({"action": "return", "reason": "记录不完整"})),
                    )
                    .await,
                    200,
                    "return",
                )
                .await;
            }
            _ => {}
        }
        // The filing (and the lead's step an hour later) moved back to `when`.
        let mut conn = app.db();
        diesel::update(participations::table.find(&id))
            .set((
                participations::filed_at.eq(Some(when)),
                participations::last_filed_at.eq(Some(when)),
                participations::created_at.eq(when - Duration::hours(1)),
            ))
            .execute(&mut conn)
            .unwrap();
        let steps: Vec<String> = participation_transitions::table
            .filter(participation_transitions::participation_id.eq(&id))
            .order((
                participation_transitions::at.asc(),
                participation_transitions::id.asc(),
            ))
            .select(participation_transitions::id)
            .load(&mut conn)
            .unwrap();
        for (i, step) in steps.iter().enumerate() {
            diesel::update(participation_transitions::table.find(step))
                .set(participation_transitions::at.eq(when + Duration::hours(i as i64)))
                .execute(&mut conn)
                .unwrap();
        }
        made.filed = Some((when + Duration::hours(8)).date());
        made.counted = then != "return";
    }
    made
}

/// Sets the times of an issue's events, in their order, and rewrites deadlines set through
/// the API (which takes no past date) in its history: each `(placeholder, date)`.
fn rewrite_issue(
    app: &TestApp,
    issue: &str,
    times: &[NaiveDateTime],
    swaps: &[(NaiveDate, NaiveDate)],
) {
    let mut conn = app.db();
    let events: Vec<(String, Option<String>)> = issue_events::table
        .filter(issue_events::issue_id.eq(issue))
        .order((issue_events::at.asc(), issue_events::id.asc()))
        .select((issue_events::id, issue_events::changes))
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), times.len(), "events of {issue}");
    for ((event, changes), when) in events.iter().zip(times) {
        let changes = changes.as_ref().map(|ch| {
            swaps.iter().fold(ch.clone(), |ch, (from, to)| {
                ch.replace(&from.to_string(), &to.to_string())
            })
        });
        diesel::update(issue_events::table.find(event))
            .set((
                issue_events::at.eq(*when),
                issue_events::changes.eq(changes),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    if let Some((_, to)) = swaps.last().copied() {
        diesel::update(issues::table.find(issue))
            .set(issues::deadline.eq(Some(to)))
            .execute(&mut conn)
            .unwrap();
    }
}

async fn issue_step(app: &TestApp, token: &str, issue: &str, body: Value) {
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/issues/{issue}/transitions"),
            token,
            Some(body),
        )
        .await;
    assert_eq!(res.status, 200, "issue step: {}", res.text());
}

async fn open_issue(app: &TestApp, token: &str, unit: &str, found_on: NaiveDate) -> String {
    let res = app
        .call(Method::POST, "/api/v1/issues", token,
            Some(json!({"unit_id": unit, "activity": "window", "kind": "problem", "description": "窗口服务问题", "source_reason": "督查发现", "found_on": found_on.to_string()})))
        .await;
    id_of(&ok(res, 201, "issue").await)
}

async fn schedule_etag(app: &TestApp, token: &str, id: &str) -> String {
    app.call(Method::GET, &format!("/api/v1/schedules/{id}"), token, None)
        .await
        .header("etag")
        .unwrap()
}

/// Takes a plan revision through submit, review, approval and publication.
async fn publish_plan(app: &TestApp, c: &Cast, activity: &str, id: &str, exemptions: &Value) {
    let lead = c.lead(activity);
    let step = |token: &str, body: Value| {
        let path = format!("/api/v1/schedules/{id}/transitions");
        let token = token.to_owned();
        async move { app.call(Method::POST, &path, &token, Some(body)).await }
    };
    ok(
        step(lead, json!({"action": "submit", "exemptions": exemptions})).await,
        200,
        "submit plan",
    )
    .await;
    ok(
        step(&c.coordinator, json!({"action": "review"})).await,
        200,
        "review plan",
    )
    .await;
    ok(
        step(&c.leader, json!({"action": "approve"})).await,
        200,
        "approve plan",
    )
    .await;
    ok(
        step(lead, json!({"action": "publish"})).await,
        200,
        "publish plan",
    )
    .await;
}

/// The activities a unit's categories require (R1); empty for `policy_making` alone.
fn required(u: &Unit) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for c in &u.categories {
        match c.as_str() {
            "approval_service" | "public_utility" => {
                out.insert("window");
            }
            "law_enforcement" => {
                out.insert("enforcement");
            }
            "complaint_concentrated" => {
                out.insert("complaint");
            }
            _ => {}
        }
    }
    out
}

/// The findings as (rule, unit, key), compared with `expected` both ways.
fn compare(
    label: &str,
    expected: &BTreeSet<Key>,
    findings: &[Value],
    by_id: &HashMap<String, Unit>,
) -> BTreeSet<Key> {
    let got: BTreeSet<Key> = common::finding_keys(findings);
    let name_of = |u: &Option<String>| {
        u.as_ref()
            .and_then(|u| by_id.get(u))
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "-".into())
    };
    let missing: Vec<String> = expected
        .difference(&got)
        .map(|k| format!("{} {} {}", k.0, name_of(&k.1), k.2))
        .collect();
    let extra: Vec<String> = got
        .difference(expected)
        .map(|k| {
            let f = findings.iter().find(|f| f["key"] == json!(k.2)).unwrap();
            format!(
                "{} {} {} [{}] {}",
                k.0,
                name_of(&k.1),
                k.2,
                f["code"],
                f["message_en"]
            )
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{label}: {} expected findings missing:\n  {}\n{} unexpected findings:\n  {}",
        missing.len(),
        missing.join("\n  "),
        extra.len(),
        extra.join("\n  ")
    );
    got
}

/// Each finding costs its rule's points; each unit scores 100 less its findings' points, never
/// below 0; every judged unit is scored. The scores by unit id.
fn check_scores(run: &Value, findings: &[Value], judged: &[String]) -> HashMap<String, u64> {
    let deductions: HashMap<String, u64> =
        serde_json::from_value(run["settings"]["deductions"].clone()).unwrap();
    let mut deducted: HashMap<String, u64> = HashMap::new();
    for f in findings {
        let rule = f["rule"].as_str().unwrap();
        let points = deductions
            .get(rule)
            .copied()
            .unwrap_or_else(|| panic!("no points for {rule}: {deductions:?}"));
        assert_eq!(f["points"].as_u64(), Some(points), "{f}");
        if let Some(u) = f["unit_id"].as_str() {
            *deducted.entry(u.to_owned()).or_default() += points;
        }
    }
    let mut out = HashMap::new();
    for sc in run["scores"].as_array().unwrap() {
        let u = sc["unit_id"].as_str().unwrap();
        let d = deducted.get(u).copied().unwrap_or(0);
        assert_eq!(sc["deducted"].as_u64(), Some(d), "{sc}");
        assert_eq!(sc["score"].as_u64(), Some(100u64.saturating_sub(d)), "{sc}");
        out.insert(u.to_owned(), sc["score"].as_u64().unwrap());
    }
    for u in judged {
        assert!(out.contains_key(u), "unit {u} has a score");
    }
    out
}

type Key = (String, Option<String>, String);

both_backends! {
    async fn a_fixture_quarter_yields_exactly_the_findings_domain_md_predicts(app: TestApp) {
        let today = local_date(Utc::now());
        let q = Quarter::of(today).prev().prev();
        let qs = q.to_string();
        let s = q.first_day();
        let e = q.last_day();
        let m1 = s;
        let m2 = s.checked_add_months(Months::new(1)).unwrap();
        let m3 = s.checked_add_months(Months::new(2)).unwrap();
        let next_m1 = s.checked_add_months(Months::new(3)).unwrap();
        let year_start = NaiveDate::from_ymd_opt(s.year(), 1, 1).unwrap();
        let qn = i64::from(q.number());

        // ---- Accounts and units.
        let admin = app.admin_token().await;
        let all: Vec<Unit> = app.all_units("").await;
        let units: HashMap<String, Unit> = all.iter().map(|u| (u.name.clone(), u.clone())).collect();
        let office = units["区营商办"].id.to_string();
        let (_, coordinator) = app.user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None).await;
        let (_, leader) = app.user_with_token(&admin, "qz.leader", "leader", None, None).await;
        let mut leads = HashMap::new();
        for activity in ["window", "enforcement", "complaint"] {
            let lead_unit = all.iter().find(|u| u.lead_activity.map(|a| a.as_str()) == Some(activity))
                .unwrap_or_else(|| panic!("a lead department of {activity}"));
            let id = lead_unit.id.to_string();
            let (_, token) = app.user_with_token(&admin, &format!("lead.{activity}"), "lead", Some(&id), Some(activity)).await;
            leads.insert(activity, (token, id));
        }
        let mut c = Cast { admin: admin.clone(), coordinator, leader, leads, units, clerks: HashMap::new() };

        // The fixture's units, each with one story (the rest of Annex 1 has no records).
        const GOOD_MULTI: &str = "区发改委";
        const GOOD_POLICY: &str = "区投资合作局";
        const DEPUTY_POLICY: &str = "环大学创新产业带管委会";
        const DEPUTY_OK: &str = "区档案馆";
        const DEPUTY_NOT: &str = "区残联";
        const LATE: &str = "区教育局";
        const DRAFT: &str = "区科技局";
        const RETURNED: &str = "区经贸局";
        const FILED_ONLY: &str = "区民宗局";
        const TRIGGERS: &str = "区民政局";
        const OVERDUE: &str = "区卫健局";
        const RECHECK: &str = "区住建局";
        const COVERED: &str = "区人社局";
        const BEHIND: &str = "区财政局";
        const TAMPER_E: &str = "区城管执法局";
        const TAMPER_W: &str = "区文化和旅游体育局";
        const CONCENTRATED: &str = "区市场监管局";
        const INACTIVE: &str = "区统计局";
        const EARLIER: &str = "区医保局";
        const FILED_AFTER: &str = "区应急管理局";
        let fixture = [GOOD_MULTI, GOOD_POLICY, DEPUTY_POLICY, DEPUTY_OK, DEPUTY_NOT, LATE, DRAFT, RETURNED, FILED_ONLY,
            TRIGGERS, OVERDUE, RECHECK, COVERED, BEHIND, TAMPER_E, TAMPER_W, CONCENTRATED, EARLIER, FILED_AFTER];
        for (i, name) in fixture.iter().enumerate() {
            let id = c.unit(name);
            let delegates = [DEPUTY_POLICY, DEPUTY_OK, DEPUTY_NOT].contains(name);
            patch_unit(app, &admin, &id, json!({"head": {"name": format!("一把手{i}"), "title": "局长"},
                "deputies": [{"name": "副职甲", "title": "副局长"}], "delegation_allowed": delegates})).await;
            let (_, clerk) = app.user_with_token(&admin, &format!("clerk{i}"), "unit", Some(&id), None).await;
            c.clerks.insert((*name).to_owned(), clerk);
        }

        // ---- R13: the plans of the quarter. WINDOW published the evening before the quarter
        // (then revised, published late: only the first revision is judged); ENFORCEMENT ten
        // minutes into the quarter's first day; COMPLAINT never.
        let mut plan_ids: HashMap<&str, String> = HashMap::new();
        for (activity, categories) in [("window", vec!["approval_service", "public_utility"]), ("enforcement", vec!["law_enforcement"])] {
            let res = app.call(Method::POST, "/api/v1/schedules", c.lead(activity), Some(json!({"activity": activity, "quarter": qs, "title": format!("{qs} {activity} 活动计划")}))).await;
            let id = id_of(&ok(res, 201, "plan").await);
            let tag = schedule_etag(app, c.lead(activity), &id).await;
            let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{id}/entries"), c.lead(activity), &[("if-match", &tag)],
                Some(json!({"unit_id": c.unit(GOOD_MULTI), "planned_on": days(s, 5).to_string(), "participant": {"kind": "head"}, "mode": "regular"}))).await;
            ok(res, 201, "plan entry").await;
            let exemptions: Vec<Value> = all.iter()
                .filter(|u| u.name != GOOD_MULTI && u.active && u.categories.iter().any(|x| categories.contains(&x.as_str())))
                .map(|u| json!({"unit_id": u.id.to_string(), "reason": "本季度另行安排"}))
                .collect();
            let exemptions = Value::Array(exemptions);
            publish_plan(app, &c, activity, &id, &exemptions).await;
            let published = if activity == "window" { at(days(s, -1), 23, 0) } else { at(s, 0, 10) };
            diesel::update(schedules::table.find(&id)).set(schedules::published_at.eq(Some(published))).execute(&mut app.db()).unwrap();
            if activity == "window" {
                let res = app.call(Method::POST, &format!("/api/v1/schedules/{id}/revisions"), c.lead(activity), None).await;
                let r2 = id_of(&ok(res, 201, "revision").await);
                publish_plan(app, &c, activity, &r2, &exemptions).await;
            }
            plan_ids.insert(activity, id);
        }

        // ---- Participations.
        let mut made: Vec<Made> = Vec::new();
        let mut matters_of: HashMap<String, Vec<String>> = HashMap::new();
        let filed = |day: NaiveDate, then: &'static str| Fate::Filed(at(day, 10, 0), then);

        // All required activities in person: WINDOW and ENFORCEMENT, both accepted in time.
        let u = c.unit(GOOD_MULTI);
        let ms = add_matters(app, c.clerk(GOOD_MULTI), &u, 2).await;
        matters_of.insert(u.clone(), ms);
        let (segments, _) = window_segments(app, c.clerk(GOOD_MULTI), &u, days(s, 5)).await;
        let mut sp = Spec::new(&u, "window", days(s, 5));
        sp.segments = segments;
        made.push(participate(app, &c, c.clerk(GOOD_MULTI), sp, filed(days(s, 6), "accept")).await);
        made.push(participate(app, &c, c.clerk(GOOD_MULTI), Spec::new(&u, "enforcement", days(s, 6)), filed(days(s, 7), "accept")).await);
        // Policy-making alone, one COMPLAINT in person filed at 23:30 on the deadline day.
        let u = c.unit(GOOD_POLICY);
        made.push(participate(app, &c, c.clerk(GOOD_POLICY), Spec::new(&u, "complaint", days(s, 40)), Fate::Filed(at(days(s, 43), 23, 30), "accept")).await);
        // Policy-making alone, by a deputy (delegation allowed): R1 met, R7 not.
        let u = c.unit(DEPUTY_POLICY);
        let mut sp = Spec::new(&u, "complaint", days(s, 12));
        sp.deputy = true;
        made.push(participate(app, &c, c.clerk(DEPUTY_POLICY), sp, filed(days(s, 13), "accept")).await);
        // WINDOW by a deputy where delegation is allowed, and where it is withdrawn afterwards.
        for name in [DEPUTY_OK, DEPUTY_NOT] {
            let u = c.unit(name);
            let ms = add_matters(app, c.clerk(name), &u, 2).await;
            matters_of.insert(u.clone(), ms);
            let (segments, _) = window_segments(app, c.clerk(name), &u, days(s, 15)).await;
            let mut sp = Spec::new(&u, "window", days(s, 15));
            sp.segments = segments;
            sp.deputy = true;
            made.push(participate(app, &c, c.clerk(name), sp, filed(days(s, 16), "accept")).await);
        }
        patch_unit(app, &admin, &c.unit(DEPUTY_NOT), json!({"delegation_allowed": false})).await;
        // Filed one day late (00:30 local on activity date + 4 is still the day before in UTC).
        let u = c.unit(LATE);
        let late_p = participate(app, &c, c.clerk(LATE), Spec::new(&u, "enforcement", days(s, 20)), Fate::Filed(at(days(s, 24), 0, 30), "accept")).await;
        made.push(late_p.clone());
        // A draft never filed; and a draft of the next quarter (not this quarter's business).
        let u = c.unit(DRAFT);
        let draft_p = participate(app, &c, c.clerk(DRAFT), Spec::new(&u, "complaint", days(s, 25)), Fate::Draft).await;
        made.push(draft_p.clone());
        made.push(participate(app, &c, c.clerk(DRAFT), Spec::new(&u, "enforcement", days(e, 1)), Fate::Draft).await);
        // Filed in time and returned: counts for nothing, but was filed in time.
        let u = c.unit(RETURNED);
        made.push(participate(app, &c, c.clerk(RETURNED), Spec::new(&u, "enforcement", days(s, 30)), filed(days(s, 31), "return")).await);
        // Filed, not yet accepted: counts.
        let u = c.unit(FILED_ONLY);
        made.push(participate(app, &c, c.clerk(FILED_ONLY), Spec::new(&u, "enforcement", days(s, 30)), filed(days(s, 33), "none")).await);

        // A participation of the quarter before counts for nothing in this one.
        let u = c.unit(EARLIER);
        made.push(participate(app, &c, c.clerk(EARLIER), Spec::new(&u, "enforcement", days(s, -1)), filed(s, "accept")).await);
        // Dated the quarter's last day, filed (late) after the second check's evaluation date.
        let u = c.unit(FILED_AFTER);
        let filed_after = participate(app, &c, c.clerk(FILED_AFTER), Spec::new(&u, "enforcement", e), filed(days(e, 16), "accept")).await;
        made.push(filed_after.clone());

        // R8: triggers of one unit.
        let u = c.unit(TRIGGERS);
        let mut trigger = HashMap::new();
        for (name, raised) in [("before", days(s, -3)), ("answered", days(s, 10)), ("unanswered", days(s, 20)), ("too_late", days(s, 30)), ("draft_answer", days(s, 40)), ("last_days", days(e, -2))] {
            let res = app.call(Method::POST, "/api/v1/triggers", c.clerk(TRIGGERS), Some(json!({"unit_id": u, "reason": "complaint_spike", "description": format!("投诉集中 {name}"), "raised_on": raised.to_string()}))).await;
            let t = ok(res, 201, "trigger").await;
            assert_eq!(t["due_on"], json!(days(raised, 7).to_string()));
            trigger.insert(name, (id_of(&t), raised));
        }
        for (name, on) in [("answered", days(s, 17)), ("too_late", days(s, 38))] {
            let mut sp = Spec::new(&u, "enforcement", on);
            sp.trigger = Some(trigger[name].0.clone());
            made.push(participate(app, &c, c.clerk(TRIGGERS), sp, filed(days(on, 1), "accept")).await);
        }
        // Answered by a draft only: not answered (and the draft itself never filed).
        let mut sp = Spec::new(&u, "enforcement", days(s, 41));
        sp.trigger = Some(trigger["draft_answer"].0.clone());
        made.push(participate(app, &c, c.clerk(TRIGGERS), sp, Fate::Draft).await);

        // R2: four matters each; one unit covers q of them (exactly on track), the other q − 1,
        // and its next-quarter participation covering all four does not count.
        for (name, covered) in [(COVERED, qn), (BEHIND, qn - 1)] {
            let u = c.unit(name);
            let ms = add_matters(app, c.clerk(name), &u, 4).await;
            matters_of.insert(u.clone(), ms.clone());
            let mut sp = Spec::new(&u, "enforcement", days(s, 8));
            sp.matters = ms[..covered as usize].to_vec();
            made.push(participate(app, &c, c.clerk(name), sp, filed(days(s, 9), "accept")).await);
            if name == BEHIND {
                let mut sp = Spec::new(&u, "enforcement", days(e, 1));
                sp.matters = ms.clone();
                made.push(participate(app, &c, c.clerk(name), sp, filed(days(e, 2), "accept")).await);
            }
        }

        // R4: an accepted ENFORCEMENT record whose case-file review is gone (set in the database).
        let u = c.unit(TAMPER_E);
        let tampered_e = participate(app, &c, c.clerk(TAMPER_E), Spec::new(&u, "enforcement", days(s, 9)), filed(days(s, 10), "accept")).await;
        {
            let mut conn = app.db();
            let raw: String = participations::table.find(&tampered_e.id).select(participations::segments).first(&mut conn).unwrap();
            let mut segs: Vec<Value> = serde_json::from_str(&raw).unwrap();
            segs.retain(|x| x["type"] != "case_file_review");
            assert_eq!(segs.len(), 2);
            diesel::update(participations::table.find(&tampered_e.id)).set(participations::segments.eq(serde_json::to_string(&segs).unwrap())).execute(&mut conn).unwrap();
            // As if it had been filed so: no snapshot of another content.
            diesel::update(participation_transitions::table.filter(participation_transitions::participation_id.eq(&tampered_e.id)))
                .set(participation_transitions::snapshot.eq(None::<String>))
                .execute(&mut conn)
                .unwrap();
        }
        made.push(tampered_e.clone());
        // R5 and R6: an accepted WINDOW record whose third call went unanswered and whose
        // inspection names one matter only (set in the database).
        let u = c.unit(TAMPER_W);
        let ms = add_matters(app, c.clerk(TAMPER_W), &u, 2).await;
        matters_of.insert(u.clone(), ms);
        let (segments, drawn) = window_segments(app, c.clerk(TAMPER_W), &u, days(s, 11)).await;
        let mut sp = Spec::new(&u, "window", days(s, 11));
        sp.segments = segments;
        let mut tampered_w = participate(app, &c, c.clerk(TAMPER_W), sp, filed(days(s, 12), "accept")).await;
        {
            let mut conn = app.db();
            let raw: String = participations::table.find(&tampered_w.id).select(participations::segments).first(&mut conn).unwrap();
            let mut segs: Vec<Value> = serde_json::from_str(&raw).unwrap();
            assert_eq!(segs[1]["type"], "business_inspection");
            assert_eq!(segs[2]["type"], "follow_up_calls");
            segs[1]["matter_ids"] = json!([drawn[0]]);
            segs[2]["calls"][2]["answered"] = json!(false);
            segs[2]["calls"][2].as_object_mut().unwrap().remove("ratings");
            diesel::update(participations::table.find(&tampered_w.id))
                .set((participations::segments.eq(serde_json::to_string(&segs).unwrap()), participations::matter_ids.eq(serde_json::to_string(&vec![drawn[0].clone()]).unwrap())))
                .execute(&mut conn)
                .unwrap();
            diesel::update(participation_transitions::table.filter(participation_transitions::participation_id.eq(&tampered_w.id)))
                .set(participation_transitions::snapshot.eq(None::<String>))
                .execute(&mut conn)
                .unwrap();
        }
        tampered_w.matters = vec![drawn[0].clone()];
        made.push(tampered_w.clone());
        // A unit on which complaints concentrate: COMPLAINT is required too, and done.
        let u = c.unit(CONCENTRATED);
        let mut categories: Vec<String> = c.units[CONCENTRATED].categories.iter().map(|x| x.as_str().to_owned()).collect();
        categories.push("complaint_concentrated".into());
        patch_unit(app, &admin, &u, json!({"categories": categories})).await;
        made.push(participate(app, &c, c.clerk(CONCENTRATED), Spec::new(&u, "complaint", days(s, 50)), filed(days(s, 51), "accept")).await);
        // An inactive unit is not judged.
        patch_unit(app, &admin, &c.unit(INACTIVE), json!({"active": false})).await;

        // ---- R10: one unit's ledger. Deadlines are set through the API in the future, then
        // rewritten into the quarter with the histories.
        let u = c.unit(OVERDUE);
        let clerk = c.clerk(OVERDUE).to_owned();
        let window_lead = c.lead("window").to_owned();
        let mut overdue_expected = Vec::new();
        let mut r10_due: HashMap<String, NaiveDate> = HashMap::new();
        // (label, deadline, resolved on)
        let cases: [(&str, NaiveDate, Option<NaiveDate>); 6] = [
            ("overdue", days(s, 30), None),
            ("after_the_quarter", days(e, 20), None),
            ("resolved_in_time", days(s, 40), Some(days(s, 38))),
            ("resolved_late", days(s, 45), Some(days(s, 50))),
            ("due_on_the_last_day", e, None),
            ("resolved_after_second_eval", days(s, 35), Some(days(e, 20))),
        ];
        let mut overdue_second: Vec<String> = Vec::new();
        for (k, (label, deadline, resolved)) in cases.iter().enumerate() {
            let issue = open_issue(app, &clerk, &u, days(s, 5)).await;
            let placeholder = days(today, 31 + k as i64);
            issue_step(app, &clerk, &issue, json!({"action": "plan", "measures": "整改", "deadline": placeholder.to_string()})).await;
            let mut times = vec![at(days(s, 5), 10, 0), at(days(s, 6), 10, 0)];
            if let Some(r) = resolved {
                issue_step(app, &clerk, &issue, json!({"action": "resolve", "effect": "已整改"})).await;
                times.push(at(*r, 10, 0));
            }
            rewrite_issue(app, &issue, &times, &[(placeholder, *deadline)]);
            if *label == "resolved_after_second_eval" {
                overdue_second.push(issue.clone());
            }
            if ["overdue", "due_on_the_last_day"].contains(label) {
                overdue_expected.push(issue.clone());
                r10_due.insert(issue.clone(), *deadline);
            }
        }
        // Due inside the quarter, extended after the second evaluation date to after the quarter.
        let extended = open_issue(app, &clerk, &u, days(s, 5)).await;
        let (p1, p2) = (days(today, 50), days(today, 51));
        issue_step(app, &clerk, &extended, json!({"action": "plan", "measures": "整改", "deadline": p1.to_string()})).await;
        issue_step(app, &clerk, &extended, json!({"action": "extend", "deadline": p2.to_string(), "reason": "等待批复"})).await;
        rewrite_issue(app, &extended, &[at(days(s, 5), 10, 0), at(days(s, 6), 10, 0), at(days(e, 25), 10, 0)], &[(p1, days(s, 20)), (p2, days(e, 60))]);
        overdue_second.push(extended.clone());
        let no_deadline = open_issue(app, &clerk, &u, days(s, 5)).await;
        rewrite_issue(app, &no_deadline, &[at(days(s, 5), 10, 0)], &[]);

        // ---- R11: closed issues and their re-checks.
        let u = c.unit(RECHECK);
        let clerk = c.clerk(RECHECK).to_owned();
        let mut r11_expected = Vec::new();
        // (found, closed, re-checked on)
        for (k, (found, closed, recheck)) in [
            (days(s, -80), days(s, -60), None),
            (days(s, -80), days(s, -50), Some(days(days(s, -50), 90))),
            (days(s, 10), days(e, -5), None),
        ].into_iter().enumerate() {
            let issue = open_issue(app, &clerk, &u, found).await;
            issue_step(app, &clerk, &issue, json!({"action": "plan", "measures": "整改", "deadline": days(today, 40 + k as i64).to_string()})).await;
            issue_step(app, &clerk, &issue, json!({"action": "resolve", "effect": "已整改"})).await;
            issue_step(app, &window_lead, &issue, json!({"action": "close"})).await;
            let mut times = vec![at(found, 10, 0), at(days(found, 1), 10, 0), at(days(closed, -1), 10, 0), at(closed, 10, 0)];
            if let Some(recheck) = recheck {
                issue_step(app, &window_lead, &issue, json!({"action": "pass_recheck"})).await;
                times.push(at(recheck, 22, 0));
            }
            rewrite_issue(app, &issue, &times, &[]);
            diesel::update(issues::table.find(&issue)).set(issues::closed_at.eq(Some(at(closed, 10, 0)))).execute(&mut app.db()).unwrap();
            let due = days(closed, 90);
            if recheck.is_none() && q.contains(due) {
                r11_expected.push((issue, closed));
            }
        }

        // ---- R9: issue lists. On time (twice: 23:00 on the due day, and a unit that also sent
        // one late); late by half an hour past midnight.
        let list_due = day_of(m3, 20);
        let mut on_time_lists: BTreeSet<String> = BTreeSet::new();
        for (name, when) in [
            (GOOD_MULTI, at(day_of(m3, 15), 10, 0)),
            (GOOD_MULTI, at(day_of(m3, 25), 10, 0)),
            (GOOD_POLICY, at(list_due, 23, 0)),
            (DEPUTY_POLICY, at(day_of(m3, 1), 9, 0)),
            (LATE, at(day_of(m3, 21), 0, 30)),
        ] {
            let u = c.unit(name);
            let res = app.call(Method::POST, "/api/v1/issue-lists", c.clerk(name), Some(json!({"unit_id": u, "quarter": qs}))).await;
            let id = id_of(&ok(res, 201, "issue list").await);
            diesel::update(issue_lists::table.find(&id)).set(issue_lists::submitted_at.eq(when)).execute(&mut app.db()).unwrap();
            if (when + Duration::hours(8)).date() <= list_due {
                on_time_lists.insert(u);
            }
        }

        // A list of the quarter before is not this quarter's.
        let u = c.unit(DEPUTY_OK);
        let res = app.call(Method::POST, "/api/v1/issue-lists", c.clerk(DEPUTY_OK), Some(json!({"unit_id": u, "quarter": q.prev().to_string()}))).await;
        let id = id_of(&ok(res, 201, "issue list").await);
        diesel::update(issue_lists::table.find(&id)).set(issue_lists::submitted_at.eq(at(days(s, -20), 10, 0))).execute(&mut app.db()).unwrap();

        // ---- R12: the leads' monthly statistics and quarterly summaries.
        let narrative = json!({"done": "开展活动", "results": "压减材料", "problems": "参与不足", "next_plan": "全覆盖"});
        let monthly_due = |m: NaiveDate| day_of(m.checked_add_months(Months::new(1)).unwrap(), 20);
        let summary_due = day_of(m3, 22);
        let mut reports_made: Vec<(&str, String, NaiveDate, String)> = Vec::new(); // activity, period, submitted local date, id
        for (activity, kind, period, when) in [
            ("window", "monthly", month_name(m1), at(monthly_due(m1), 23, 59)),
            ("window", "monthly", month_name(m1), at(days(monthly_due(m1), 5), 10, 0)),
            ("window", "monthly", month_name(m2), at(days(monthly_due(m2), 1), 0, 30)),
            ("window", "monthly", month_name(m3), at(day_of(next_m1, 20), 10, 0)),
            ("window", "quarterly", qs.clone(), at(summary_due, 23, 0)),
            ("complaint", "monthly", month_name(m1), at(day_of(m2, 3), 10, 0)),
            ("complaint", "monthly", month_name(m2), at(day_of(m3, 3), 10, 0)),
            ("complaint", "monthly", month_name(m3), at(day_of(next_m1, 3), 10, 0)),
            ("complaint", "quarterly", qs.clone(), at(days(summary_due, 1), 0, 10)),
        ] {
            let mut body = json!({"kind": kind, "period": period});
            if kind == "quarterly" {
                body["narrative"] = narrative.clone();
            }
            let res = app.call(Method::POST, "/api/v1/reports", c.lead(activity), Some(body)).await;
            let id = id_of(&ok(res, 201, "report").await);
            diesel::update(reports::table.find(&id)).set(reports::submitted_at.eq(when)).execute(&mut app.db()).unwrap();
            reports_made.push((activity, period, (when + Duration::hours(8)).date(), id));
        }

        // The catalogue was there before the quarter: R2 judged at its end counts the matters
        // in the catalogue by then.
        diesel::update(frontline::db::schema::matters::table)
            .set(frontline::db::schema::matters::created_at.eq(at(days(s, -100), 9, 0)))
            .execute(&mut app.db())
            .unwrap();

        // ---- Run the check as of today.
        let (run, findings) = run_check(app, &c.coordinator, &qs, today).await;

        // ---- The expectation, from DOMAIN.md.
        let units_now: Vec<Unit> = app.all_units("").await;
        let by_id: HashMap<String, Unit> = units_now.iter().map(|u| (u.id.to_string(), u.clone())).collect();
        let in_q = |d: NaiveDate| s <= d && d <= e;
        let mut expected: BTreeSet<Key> = BTreeSet::new();
        let mut add = |rule: &str, unit: Option<&str>, key: String| {
            expected.insert((rule.to_owned(), unit.map(str::to_owned), key));
        };
        let counts = |p: &Made| {
            let u = &by_id[&p.unit];
            p.counted && (!p.deputy || u.delegation_allowed)
        };
        for u in &units_now {
            if u.categories.is_empty() || !u.active {
                continue;
            }
            let id = u.id.to_string();
            let mine: Vec<&Made> = made.iter().filter(|p| p.unit == id && in_q(p.on) && counts(p)).collect();
            let req = required(u);
            if req.is_empty() {
                if mine.is_empty() {
                    add("R1", Some(&id), format!("R1:{id}:{qs}:any"));
                }
            } else {
                for a in req {
                    if !mine.iter().any(|p| p.activity == a) {
                        add("R1", Some(&id), format!("R1:{id}:{qs}:{a}"));
                    }
                }
            }
            if !made.iter().any(|p| p.unit == id && in_q(p.on) && p.counted && !p.deputy) {
                add("R7", Some(&id), format!("R7:{id}:{qs}"));
            }
            if !on_time_lists.contains(&id) {
                add("R9", Some(&id), format!("R9:{id}:{qs}"));
            }
            if let Some(ms) = matters_of.get(&id) {
                let covered: BTreeSet<&String> = made.iter()
                    .filter(|p| p.unit == id && year_start <= p.on && p.on <= e && counts(p))
                    .flat_map(|p| p.matters.iter())
                    .filter(|m| ms.contains(m))
                    .collect();
                if 4 * (covered.len() as i64) < qn * ms.len() as i64 {
                    add("R2", Some(&id), format!("R2:{id}:{qs}"));
                }
            }
        }
        for p in made.iter().filter(|p| in_q(p.on)) {
            match p.filed {
                Some(f) if f <= days(p.on, 3) => {}
                _ => add("R3", Some(&p.unit), format!("R3:{}", p.id)),
            }
        }
        add("R4", Some(&tampered_e.unit), format!("R4:{}", tampered_e.id));
        add("R5", Some(&tampered_w.unit), format!("R5:{}:2", tampered_w.id));
        add("R6", Some(&tampered_w.unit), format!("R6:{}:1", tampered_w.id));
        for (id, raised) in trigger.values() {
            if !in_q(*raised) {
                continue;
            }
            let answered = made.iter().any(|p| p.trigger.as_deref() == Some(id.as_str()) && counts(p) && *raised <= p.on && p.on <= days(*raised, 7));
            if !answered {
                add("R8", Some(&c.unit(TRIGGERS)), format!("R8:{id}"));
            }
        }
        for issue in &overdue_expected {
            add("R10", Some(&c.unit(OVERDUE)), format!("R10:{issue}"));
        }
        for (issue, closed) in &r11_expected {
            add("R11", Some(&c.unit(RECHECK)), format!("R11:{issue}:{closed}"));
        }
        for activity in ["window", "enforcement", "complaint"] {
            let lead_unit = c.leads[activity].1.clone();
            for (m, due) in [(m1, monthly_due(m1)), (m2, monthly_due(m2)), (m3, monthly_due(m3))] {
                let name = month_name(m);
                if !reports_made.iter().any(|r| r.0 == activity && r.1 == name && r.2 <= due) {
                    add("R12", Some(&lead_unit), format!("R12:{activity}:monthly:{name}"));
                }
            }
            if !reports_made.iter().any(|r| r.0 == activity && r.1 == qs && r.2 <= summary_due) {
                add("R12", Some(&lead_unit), format!("R12:{activity}:quarterly:{qs}"));
            }
            if activity != "window" {
                add("R13", Some(&lead_unit), format!("R13:{activity}:{qs}"));
            }
        }

        // ---- Compare, both ways.
        let got = compare("as of today", &expected, &findings, &by_id);

        // ---- Spot checks: codes, evidence, deadlines, clauses, messages.
        let find = |key: &str| findings.iter().find(|f| f["key"] == json!(key)).unwrap_or_else(|| panic!("no finding {key}")).clone();
        let has = |f: &Value, kind: &str, id: &str| f["evidence"][kind].as_array().is_some_and(|a| a.contains(&json!(id)));
        let r3 = find(&format!("R3:{}", late_p.id));
        assert_eq!(r3["code"], "filed_late");
        assert!(has(&r3, "participations", &late_p.id), "{r3}");
        assert_eq!(r3["due_on"], json!(days(late_p.on, 3).to_string()));
        let r3 = find(&format!("R3:{}", draft_p.id));
        assert_eq!(r3["code"], "not_filed");
        assert!(has(&r3, "participations", &draft_p.id), "{r3}");
        let (t, raised) = &trigger["unanswered"];
        let r8 = find(&format!("R8:{t}"));
        assert!(has(&r8, "triggers", t), "{r8}");
        assert_eq!(r8["due_on"], json!(days(*raised, 7).to_string()));
        for issue in &overdue_expected {
            let r10 = find(&format!("R10:{issue}"));
            assert!(has(&r10, "issues", issue), "{r10}");
            assert_eq!(r10["due_on"], json!(r10_due[issue].to_string()));
        }
        for (issue, closed) in &r11_expected {
            let r11 = find(&format!("R11:{issue}:{closed}"));
            assert!(has(&r11, "issues", issue), "{r11}");
            assert_eq!(r11["due_on"], json!(days(*closed, 90).to_string()));
        }
        let r12 = find(&format!("R12:window:monthly:{}", month_name(m2)));
        assert_eq!(r12["due_on"], json!(monthly_due(m2).to_string()));
        assert_eq!(r12["subject_period"], json!(month_name(m2)));
        assert_eq!(r12["activity"], "window");
        let r12 = find(&format!("R12:complaint:quarterly:{qs}"));
        assert_eq!(r12["due_on"], json!(summary_due.to_string()));
        let r13 = find(&format!("R13:enforcement:{qs}"));
        assert_eq!(r13["due_on"], json!(days(s, -1).to_string()));
        let r9 = find(&format!("R9:{}:{qs}", c.unit(LATE)));
        assert_eq!(r9["due_on"], json!(list_due.to_string()));
        let r2_unit = c.unit(BEHIND);
        let r2 = find(&format!("R2:{r2_unit}:{qs}"));
        let unexperienced: BTreeSet<String> = matters_of[&r2_unit][(qn - 1) as usize..].iter().cloned().collect();
        let listed: BTreeSet<String> = serde_json::from_value(r2["evidence"]["matters"].clone()).unwrap();
        assert_eq!(listed, unexperienced, "R2 names the matters not yet experienced");
        let r1 = find(&format!("R1:{}:{qs}:window", c.unit(DEPUTY_NOT)));
        assert_eq!(r1["activity"], "window");
        assert_eq!(r1["subject_period"], json!(qs));
        let clauses = [("R1", "一(四)1"), ("R2", "一(四)1"), ("R3", "四(二)"), ("R4", "二"), ("R5", "二(一)3"), ("R6", "二(一)2"), ("R7", "一(三)"),
            ("R8", "一(四)2"), ("R9", "五(二)"), ("R10", "四(四)"), ("R11", "四(四)"), ("R12", "四(二)"), ("R13", "四(一)")];
        let clause_of: HashMap<&str, &str> = clauses.into_iter().collect();
        for f in &findings {
            let rule = f["rule"].as_str().unwrap();
            let clause = f["clause"].as_str().unwrap().replace('（', "(").replace('）', ")");
            assert!(clause.contains(clause_of[rule]), "{rule}: clause {clause}");
            assert!(!f["message_zh"].as_str().unwrap().trim().is_empty() && !f["message_en"].as_str().unwrap().trim().is_empty(), "{f}");
            assert_eq!(f["key"].as_str().unwrap().split(':').next(), Some(rule));
        }
        let by_rule: BTreeMap<String, u64> = serde_json::from_value(run["findings_by_rule"].clone()).unwrap();
        let mut counted_rules: BTreeMap<String, u64> = BTreeMap::new();
        for k in &got {
            *counted_rules.entry(k.0.clone()).or_default() += 1;
        }
        assert_eq!(by_rule, counted_rules);

        // ---- Scores: 100 less the points of the unit's findings, never below 0.
        let judged: Vec<String> = units_now.iter().filter(|u| !u.categories.is_empty() && u.active).map(|u| u.id.to_string()).collect();
        let scores = check_scores(&run, &findings, &judged);
        let score_of = |name: &str| scores.get(&c.unit(name)).copied();
        assert_eq!(score_of(GOOD_MULTI), Some(100));
        assert_eq!(score_of(GOOD_POLICY), Some(100));
        assert_eq!(score_of(INACTIVE), None, "an inactive unit is not scored");
        // The bulletin list: a unit with no counted participation is named; one that took part is not.
        let listed = run["listed"].as_array().unwrap();
        let reasons = |name: &str| -> Vec<String> {
            listed.iter().filter(|l| l["unit_id"] == json!(c.unit(name))).map(|l| l["reason"].as_str().unwrap().to_owned()).collect()
        };
        assert!(reasons(DRAFT).contains(&"no_participation".to_owned()), "{listed:?}");
        assert!(reasons(RETURNED).contains(&"no_participation".to_owned()));
        assert!(reasons("区司法局").contains(&"no_participation".to_owned()));
        assert!(reasons(GOOD_MULTI).is_empty());
        assert!(!reasons(FILED_ONLY).contains(&"no_participation".to_owned()));
        assert!(reasons(INACTIVE).is_empty());
        let _ = (&c.admin, &plan_ids);

        // ---- The same quarter as of 15 days after it ended. Every record is dated back to
        // when it was made in the story (the catalogue and people served before the quarter),
        // so that what differs is what happened after that date.
        let second = days(e, 15);
        {
            let mut conn = app.db();
            let before = at(days(s, -100), 9, 0);
            diesel::update(frontline::db::schema::matters::table).set(frontline::db::schema::matters::created_at.eq(before)).execute(&mut conn).unwrap();
            diesel::update(frontline::db::schema::service_records::table).set(frontline::db::schema::service_records::created_at.eq(before)).execute(&mut conn).unwrap();
            for p in &made {
                diesel::update(participations::table.find(&p.id)).set(participations::created_at.eq(at(p.on, 9, 0))).execute(&mut conn).unwrap();
            }
            for (id, raised) in trigger.values() {
                diesel::update(frontline::db::schema::triggers::table.find(id)).set(frontline::db::schema::triggers::created_at.eq(at(*raised, 9, 0))).execute(&mut conn).unwrap();
            }
            let found: Vec<(String, NaiveDate)> = issues::table.select((issues::id, issues::found_on)).load(&mut conn).unwrap();
            for (id, on) in found {
                diesel::update(issues::table.find(&id)).set(issues::created_at.eq(at(on, 0, 0))).execute(&mut conn).unwrap();
            }
        }
        let (run2, findings2) = run_check(app, &c.coordinator, &qs, second).await;
        let mut expected2 = expected.clone();
        // The last month's statistics are not due yet (day 20 of the next month).
        assert!(expected2.remove(&("R12".to_owned(), Some(c.leads["enforcement"].1.clone()), format!("R12:enforcement:monthly:{}", month_name(m3)))));
        // Not yet filed then: a draft, so not filed (same key), and the unit took no part.
        let u = c.unit(FILED_AFTER);
        assert!(expected2.contains(&("R3".to_owned(), Some(u.clone()), format!("R3:{}", filed_after.id))));
        expected2.insert(("R1".to_owned(), Some(u.clone()), format!("R1:{u}:{qs}:enforcement")));
        expected2.insert(("R7".to_owned(), Some(u.clone()), format!("R7:{u}:{qs}")));
        // Draws are never changed, not even their time: as of then, the draws the WINDOW
        // records name had not been made, so no recorded draw backs their inspections (R6).
        for p in made.iter().filter(|p| p.activity == "window" && p.counted && in_q(p.on)) {
            expected2.insert(("R6".to_owned(), Some(p.unit.clone()), format!("R6:{}:1", p.id)));
        }
        // Issues resolved, or whose deadline moved out of the quarter, only after that date.
        for issue in &overdue_second {
            expected2.insert(("R10".to_owned(), Some(c.unit(OVERDUE)), format!("R10:{issue}")));
        }
        compare("as of 15 days after the quarter", &expected2, &findings2, &by_id);
        let r3 = findings2.iter().find(|f| f["key"] == json!(format!("R3:{}", filed_after.id))).unwrap();
        assert_eq!(r3["code"], "not_filed", "as of then it was not filed");
        let r10 = findings2.iter().find(|f| f["key"] == json!(format!("R10:{extended}"))).unwrap();
        assert_eq!(r10["due_on"], json!(days(s, 20).to_string()), "the deadline as it stood then");
        check_scores(&run2, &findings2, &judged);
    }
}
