//! Participations: a full record per activity from the plan's own wording, filing with its
//! checks (R4–R6), lateness (R3), acceptance by the right lead, findings on the ledger exactly
//! once, idempotent creation, edits only while editable, and notes afterwards.

mod common;

use actix_web::http::Method;
use chrono::{Datelike, NaiveDate, Utc};
use common::{complaint_segments, enforcement_segments, TestApp};
use frontline::api::participations::{Participation, ParticipationList};
use serde_json::{json, Value};

struct World {
    admin: String,
    unit: String,
    clerk: String,
    window_lead: String,
    enforcement_lead: String,
    complaint_lead: String,
    /// The drawn matters (the W2 draw's result) and the draw.
    draw: String,
    drawn: Vec<String>,
    /// Three people served by the unit within the three months before `day`.
    contacts: Vec<String>,
    /// When the calls were made, and its local date (the activity date).
    call_at: String,
    day: NaiveDate,
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let res = app
        .call_with(Method::PATCH, &format!("/api/v1/units/{unit}"), &admin, &[("if-match", "*")],
            Some(json!({"head": {"name": "王建国", "title": "局长"}, "deputies": [{"name": "李明", "title": "副局长"}], "delegation_allowed": false})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    let mut leads = Vec::new();
    for (name, user, activity) in [
        ("区行政审批局", "xzsp.lead", "window"),
        ("区司法局", "sfj.lead", "enforcement"),
        ("区12345市民热线服务中心", "rx.lead", "complaint"),
    ] {
        let lead_unit = app.unit_named(name).await.id.to_string();
        leads.push(
            app.user_with_token(&admin, user, "lead", Some(&lead_unit), Some(activity))
                .await
                .1,
        );
    }
    for i in 0..4 {
        let res = app
            .call(
                Method::POST,
                &format!("/api/v1/units/{unit}/matters"),
                &clerk,
                Some(json!({"kind": "approval", "name": format!("食品经营许可{i}")})),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let res = app
        .call(
            Method::POST,
            "/api/v1/draws",
            &clerk,
            Some(json!({"purpose": "inspection_matters", "unit_id": unit, "count": 2})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let d: Value = res.json();
    let drawn: Vec<String> = serde_json::from_value(d["result"].clone()).unwrap();
    let at = Utc::now() - chrono::Duration::minutes(2);
    let day = frontline::domain::calendar::local_date(at);
    let mut contacts = Vec::new();
    for back in [1, 40, 85] {
        contacts.push(served(app, &clerk, &unit, day - chrono::Duration::days(back)).await);
    }
    World {
        admin,
        unit,
        clerk,
        window_lead: leads[0].clone(),
        enforcement_lead: leads[1].clone(),
        complaint_lead: leads[2].clone(),
        draw: id_of(&d),
        drawn,
        contacts,
        call_at: at.to_rfc3339(),
        day,
    }
}

/// A service record of `unit` served on `on`; its id.
async fn served(app: &TestApp, token: &str, unit: &str, on: NaiveDate) -> String {
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/units/{unit}/service-records"),
            token,
            Some(json!({"served_on": on.to_string(), "kind": "application"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    id_of(&res.json())
}

fn call(contact: &str, at: &str, reached: bool, answered: bool) -> Value {
    let mut c = json!({"service_record_id": contact, "called_at": at, "reached": reached, "answered": answered, "remarks": "办事顺利"});
    if answered {
        c["ratings"] =
            json!({"staff": "very_satisfied", "process": "satisfied", "overall": "satisfied"});
    }
    c
}

fn calls_segment(calls: Vec<Value>) -> Value {
    json!({"type": "follow_up_calls", "calls": calls})
}

/// The four WINDOW segments, in the plan's words (二(一)).
fn window_segments(w: &World) -> Vec<Value> {
    vec![
        json!({"type": "approval_service", "role": "applicant", "method": "in_person", "channel": "offline", "matter_id": w.drawn[0],
            "checks": [{"element": "consultation_guidance", "rating": "ok"}, {"element": "service_guide", "rating": "problem", "note": "服务指南未列明容缺受理材料"},
                       {"element": "one_time_notification", "rating": "ok"}, {"element": "completion", "rating": "ok"}],
            "findings": [{"kind": "problem", "description": "服务指南未列明容缺受理材料", "measure": "修订服务指南并上墙公示", "immediate": true}],
            "links": ["https://www.beilin.gov.cn/zwgk/guide/123"]}),
        json!({"type": "business_inspection", "draw_id": w.draw, "matter_ids": w.drawn,
            "checks": [{"aspect": "acceptance_conditions", "rating": "ok"}, {"aspect": "procedure", "rating": "ok"}, {"aspect": "service_guide", "rating": "ok"},
                       {"aspect": "smart_service", "rating": "ok"}, {"aspect": "policy_service", "rating": "ok"},
                       {"aspect": "consultation_online", "rating": "ok"}, {"aspect": "consultation_phone", "rating": "problem", "note": "电话咨询无人接听"}, {"aspect": "consultation_on_site", "rating": "ok"}]}),
        calls_segment(
            w.contacts
                .iter()
                .map(|c| call(c, &w.call_at, true, true))
                .collect(),
        ),
        json!({"type": "forum", "attendees": [{"group": "approval_staff", "count": 3}, {"group": "enterprise", "count": 5, "names": ["陕西某食品有限公司 张经理"]}],
            "topics": ["reform_tasks", "hall_entry", "two_reductions_one_immediate", "one_network", "cross_department", "guidance"],
            "problems": ["跨部门材料重复提交"], "measures": ["建立材料共享清单"],
            "findings": [{"kind": "demand", "description": "企业希望延长午间办理时间"}]}),
    ]
}

fn record(w: &World, activity: &str, segments: Vec<Value>) -> Value {
    json!({"unit_id": w.unit, "activity": activity, "mode": "regular", "activity_on": w.day.to_string(), "place": "区政务服务中心",
        "participant": {"kind": "head"}, "people_received": 6, "summary": "局长走流程、坐窗口", "segments": segments})
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Participation {
    let res = app
        .call(
            Method::POST,
            "/api/v1/participations",
            token,
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> common::Resp {
    app.call(
        Method::POST,
        &format!("/api/v1/participations/{id}/transitions"),
        token,
        Some(body),
    )
    .await
}

fn ledger_issues(app: &TestApp, participation: &str) -> Vec<(String, Option<String>)> {
    use diesel::prelude::*;
    use frontline::db::schema::issues;
    issues::table
        .filter(issues::participation_id.eq(participation))
        .select((issues::id, issues::finding_id))
        .order(issues::id.asc())
        .load(&mut app.db())
        .unwrap()
}

both_backends! {
    async fn a_full_record_of_each_activity_files_and_is_accepted_by_its_lead(app: TestApp) {
        let w = world(app).await;
        let cases = [
            ("window", window_segments(&w), &w.window_lead, 2),
            ("enforcement", enforcement_segments(), &w.enforcement_lead, 0),
            ("complaint", complaint_segments(), &w.complaint_lead, 1),
        ];
        for (activity, segments, lead, findings) in cases {
            let p = create(app, &w.clerk, &record(&w, activity, segments)).await;
            assert_eq!(p.status.as_str(), "draft");
            assert_eq!(p.participant.name, "王建国", "the head's name comes from the unit");
            assert_eq!(p.participant.title.as_deref(), Some("局长"));
            assert_eq!(p.filing_due_on, w.day + chrono::Duration::days(3));
            let all: Vec<_> = p.segments.iter().flat_map(|s| s.findings().to_vec()).collect();
            assert_eq!(all.len(), findings);
            assert!(all.iter().all(|f| f.id.is_some() && f.issue_id.is_none()), "ids given, not on the ledger yet");
            assert!(ledger_issues(app, &p.id).is_empty());

            let res = step(app, &w.clerk, &p.id, json!({"action": "file"})).await;
            assert_eq!(res.status, 200, "{activity}: {}", res.text());
            let filed: Participation = res.json();
            assert_eq!(filed.status.as_str(), "filed");
            assert_eq!(filed.late_days, Some(0));
            assert!(filed.filed_at.is_some());
            let on_ledger = ledger_issues(app, &p.id);
            assert_eq!(on_ledger.len(), findings, "one ledger issue per finding");
            for f in filed.segments.iter().flat_map(|s| s.findings().to_vec()) {
                assert!(on_ledger.iter().any(|(i, fid)| Some(i) == f.issue_id.as_ref() && fid == &f.id), "{f:?}");
            }
            if activity == "window" {
                let cov: Value = app.call(Method::GET, &format!("/api/v1/units/{}/coverage?year={}", w.unit, w.day.year()), &w.clerk, None).await.json();
                assert_eq!(cov["covered"], 2, "a filed record counts for coverage (R2: filed and accepted count)");
            }
            let res = step(app, lead, &p.id, json!({"action": "accept"})).await;
            assert_eq!(res.status, 200, "{activity}: {}", res.text());
            let accepted: Participation = res.json();
            assert_eq!(accepted.status.as_str(), "accepted");
            assert_eq!(accepted.history.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(), vec!["file", "accept"]);
            assert!(accepted.allowed_actions.is_empty());
            assert_eq!(app.last_audit().action, "participation.transition");
        }
        // Coverage now counts the matters of the accepted WINDOW record (the drawn ones).
        let res = app.call(Method::GET, &format!("/api/v1/units/{}/coverage?year={}", w.unit, w.day.year()), &w.clerk, None).await;
        let cov: Value = res.json();
        assert_eq!(cov["covered"], 2, "{cov}");
        for m in cov["matters"].as_array().unwrap() {
            let drawn = w.drawn.contains(&m["matter_id"].as_str().unwrap().to_owned());
            assert_eq!(m["experienced"].as_bool().unwrap(), drawn);
        }
        let list: ParticipationList = app.call(Method::GET, &format!("/api/v1/participations?unit_id={}&status=accepted&late=false", w.unit), &w.clerk, None).await.json();
        assert_eq!(list.items.len(), 3);
        let list: ParticipationList = app.call(Method::GET, "/api/v1/participations?activity=complaint", &w.complaint_lead, None).await.json();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.items[0].segment_types.len(), 3);
    }

    async fn removing_any_mandatory_segment_makes_filing_fail_naming_it(app: TestApp) {
        let w = world(app).await;
        for (activity, full) in [("window", window_segments(&w)), ("enforcement", enforcement_segments()), ("complaint", complaint_segments())] {
            for i in 0..full.len() {
                let mut segments = full.clone();
                let removed = segments.remove(i);
                let p = create(app, &w.clerk, &record(&w, activity, segments)).await;
                let res = app.call_with(Method::POST, &format!("/api/v1/participations/{}/transitions", p.id), &w.clerk, &[("accept-language", "en")], Some(json!({"action": "file"}))).await;
                assert_eq!(res.status, 422, "{}", res.text());
                let errors = res.problem().errors.unwrap();
                let kind = removed["type"].as_str().unwrap();
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("segments", "missing_segment"));
                assert!(errors[0].message.contains(kind) && errors[0].message.contains("R4"), "{}", errors[0].message);
                let still: Participation = app.call(Method::GET, &format!("/api/v1/participations/{}", p.id), &w.clerk, None).await.json();
                assert_eq!(still.status.as_str(), "draft", "a refused filing changes nothing");
            }
        }
        // An incomplete segment is pointed at, with every other failure in the same answer.
        let mut segments = complaint_segments();
        segments[0]["steps"] = json!([{"step": "dispatch", "rating": "ok"}]);
        segments[2]["findings"] = json!([]);
        let p = create(app, &w.clerk, &record(&w, "complaint", segments)).await;
        let res = step(app, &w.clerk, &p.id, json!({"action": "file"})).await;
        assert_eq!(res.status, 422);
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| format!("{} {}", e.field, e.code)).collect();
        assert_eq!(fields, vec![
            "segments[0].steps incomplete_segment", "segments[0].steps incomplete_segment", "segments[2].findings incomplete_segment",
        ]);
    }

    async fn follow_up_calls_count_only_valid_calls_to_people_served_in_the_three_months_before(app: TestApp) {
        let w = world(app).await;
        let file = |segments: Vec<Value>| {
            let w = &w;
            async move {
                let mut all = window_segments(w);
                all[2] = calls_segment(segments);
                let p = create(app, &w.clerk, &record(w, "window", all)).await;
                step(app, &w.clerk, &p.id, json!({"action": "file"})).await
            }
        };
        let c = &w.contacts;
        // Exactly three valid calls pass (covered by the full record); one unreached of three fails.
        let res = file(vec![call(&c[0], &w.call_at, true, true), call(&c[1], &w.call_at, true, true), call(&c[2], &w.call_at, false, false)]).await;
        assert_eq!(res.status, 422);
        let errors = res.problem().errors.unwrap();
        assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("segments[2].calls", "too_few_valid_calls"));
        // Reached but not answered does not count either; the same person twice counts once.
        let res = file(vec![call(&c[0], &w.call_at, true, true), call(&c[1], &w.call_at, true, true), call(&c[2], &w.call_at, true, false)]).await;
        assert_eq!(res.status, 422);
        let res = file(vec![call(&c[0], &w.call_at, true, true), call(&c[0], &w.call_at, true, true), call(&c[1], &w.call_at, true, true)]).await;
        assert_eq!(res.status, 422);
        // Served exactly three months before the call counts; three months and one day does not.
        let edge = frontline::domain::service_record::three_months_before(w.day);
        let on_edge = served(app, &w.clerk, &w.unit, edge).await;
        let past_edge = served(app, &w.clerk, &w.unit, edge - chrono::Duration::days(1)).await;
        let res = file(vec![call(&c[0], &w.call_at, true, true), call(&c[1], &w.call_at, true, true), call(&on_edge, &w.call_at, true, true)]).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = file(vec![call(&c[0], &w.call_at, true, true), call(&c[1], &w.call_at, true, true), call(&past_edge, &w.call_at, true, true)]).await;
        assert_eq!(res.status, 422, "{}", res.text());
        // A person served by another unit is refused when the record is saved.
        let admin = w.admin.clone();
        let other = app.unit_named("区档案馆").await.id.to_string();
        let (_, other_clerk) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&other), None).await;
        let stranger = served(app, &other_clerk, &other, w.day).await;
        let mut all = window_segments(&w);
        all[2] = calls_segment(vec![call(&stranger, &w.call_at, true, true)]);
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(record(&w, "window", all))).await;
        assert_eq!(res.status, 422);
        let errors = res.problem().errors.unwrap();
        assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("segments[2].calls[0].service_record_id", "contact_other_unit"));
        // An answered call without ratings, a future call and a bad link are refused as well.
        let mut bad = call(&c[0], &(Utc::now() + chrono::Duration::days(1)).to_rfc3339(), true, true);
        bad.as_object_mut().unwrap().remove("ratings");
        let mut all = window_segments(&w);
        all[2] = calls_segment(vec![bad]);
        all[0]["links"] = json!(["javascript:alert(1)"]);
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(record(&w, "window", all))).await;
        assert_eq!(res.status, 422);
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| format!("{} {}", e.field, e.code)).collect();
        assert!(fields.contains(&"segments[0].links[0] invalid_url".to_owned()), "{fields:?}");
        assert!(fields.contains(&"segments[2].calls[0].called_at in_future".to_owned()), "{fields:?}");
        assert!(fields.contains(&"segments[2].calls[0].ratings required".to_owned()), "{fields:?}");
    }

    async fn business_inspections_cover_exactly_the_drawn_matters(app: TestApp) {
        let w = world(app).await;
        let matters: Vec<Value> = app.call(Method::GET, &format!("/api/v1/units/{}/matters", w.unit), &w.clerk, None).await.json::<Value>()["items"].as_array().unwrap().clone();
        let undrawn = matters.iter().map(id_of).find(|m| !w.drawn.contains(m)).unwrap();
        let mut all = window_segments(&w);
        all[1]["matter_ids"] = json!([w.drawn[0], undrawn]);
        let p = create(app, &w.clerk, &record(&w, "window", all)).await;
        let res = step(app, &w.clerk, &p.id, json!({"action": "file"})).await;
        assert_eq!(res.status, 422);
        let errors = res.problem().errors.unwrap();
        assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("segments[1].matter_ids", "draw_result_mismatch"));
        let mut all = window_segments(&w);
        all[1].as_object_mut().unwrap().remove("draw_id");
        let p = create(app, &w.clerk, &record(&w, "window", all)).await;
        let res = step(app, &w.clerk, &p.id, json!({"action": "file"})).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "draw_required");
        // A draw of another purpose, or no draw at all, is refused on saving.
        let res = app.call(Method::POST, "/api/v1/draws", &w.enforcement_lead, Some(json!({"purpose": "inspection_targets", "targets": ["甲餐馆", "乙超市", "丙药店"], "count": 1}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let targets_draw = id_of(&res.json());
        for draw in [targets_draw, uuid::Uuid::now_v7().to_string()] {
            let mut all = window_segments(&w);
            all[1]["draw_id"] = json!(draw);
            let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(record(&w, "window", all))).await;
            assert_eq!(res.status, 422);
            let e = &res.problem().errors.unwrap()[0];
            assert_eq!((e.field.as_str(), e.code.as_str()), ("segments[1].draw_id", "unknown_draw"));
        }
        // A segment of another activity does not stand in for a missing one.
        let mut all = window_segments(&w);
        all[3] = enforcement_segments()[0].clone();
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(record(&w, "window", all))).await;
        assert_eq!(res.status, 422);
        let e = &res.problem().errors.unwrap()[0];
        assert_eq!((e.field.as_str(), e.code.as_str()), ("segments[3].type", "segment_activity_mismatch"));
    }

    async fn a_deputy_needs_delegation_and_a_late_filing_records_its_lateness(app: TestApp) {
        let w = world(app).await;
        let mut body = record(&w, "complaint", complaint_segments());
        body["participant"] = json!({"kind": "deputy", "name": "李明"});
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(body.clone())).await;
        assert_eq!(res.status, 422);
        let e = &res.problem().errors.unwrap()[0];
        assert_eq!((e.field.as_str(), e.code.as_str()), ("participant.kind", "delegation_not_allowed"));
        // Once the unit may delegate, its recorded deputy may take part, and nobody else.
        let admin = w.admin.clone();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{}", w.unit), &admin, &[("if-match", "*")], Some(json!({"delegation_allowed": true}))).await;
        assert_eq!(res.status, 200);
        let p = create(app, &w.clerk, &body).await;
        assert_eq!(p.participant.title.as_deref(), Some("副局长"));
        body["participant"] = json!({"kind": "deputy", "name": "赵六"});
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(body.clone())).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "unknown_deputy");
        body["participant"] = json!({"kind": "head", "name": "赵六"});
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(body.clone())).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "not_the_head");
        // Filed ten days after the activity: accepted as filed, seven days late (R3).
        body["participant"] = json!({"kind": "head"});
        body["activity_on"] = json!((w.day - chrono::Duration::days(10)).to_string());
        let p = create(app, &w.clerk, &body).await;
        let res = step(app, &w.clerk, &p.id, json!({"action": "file"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let filed: Participation = res.json();
        let today = frontline::domain::calendar::local_date(Utc::now());
        assert_eq!(filed.late_days, Some((today - (w.day - chrono::Duration::days(10)) - chrono::Duration::days(3)).num_days() as i32));
        assert!(filed.late_days.unwrap() >= 7);
        assert_eq!(filed.history[0].late_days, filed.late_days);
        let late: ParticipationList = app.call(Method::GET, &format!("/api/v1/participations?unit_id={}&late=true", w.unit), &w.clerk, None).await.json();
        assert_eq!(late.items.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), vec![p.id.clone()]);
        let deputies: ParticipationList = app.call(Method::GET, "/api/v1/participations?participant=deputy", &w.complaint_lead, None).await.json();
        assert_eq!(deputies.items.len(), 1);
        // A future activity date is refused.
        body["activity_on"] = json!((today + chrono::Duration::days(1)).to_string());
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(body)).await;
        assert_eq!(res.problem().errors.unwrap()[0].field, "activity_on");
    }

    async fn only_the_unit_files_and_only_the_activitys_lead_accepts(app: TestApp) {
        let w = world(app).await;
        let admin = w.admin.clone();
        let other = app.unit_named("区档案馆").await.id.to_string();
        let (_, other_clerk) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&other), None).await;
        let p = create(app, &w.clerk, &record(&w, "window", window_segments(&w))).await;
        let path = format!("/api/v1/participations/{}", p.id);
        // Another unit reads nothing, files nothing, edits nothing, creates nothing for this one.
        assert_eq!(app.call(Method::GET, &path, &other_clerk, None).await.status, 403);
        assert_eq!(step(app, &other_clerk, &p.id, json!({"action": "file"})).await.status, 403);
        assert_eq!(app.call_with(Method::PATCH, &path, &other_clerk, &[("if-match", "*")], Some(json!({"summary": "x"}))).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/participations", &other_clerk, Some(record(&w, "window", vec![]))).await.status, 403);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/participations?unit_id={}", w.unit), &other_clerk, None).await.status, 403);
        let theirs: ParticipationList = app.call(Method::GET, "/api/v1/participations", &other_clerk, None).await.json();
        assert!(theirs.items.is_empty());
        // A lead does not file for a unit; the ENFORCEMENT lead neither reads nor accepts a WINDOW record.
        assert_eq!(step(app, &w.window_lead, &p.id, json!({"action": "file"})).await.status, 403);
        assert_eq!(app.call(Method::GET, &path, &w.enforcement_lead, None).await.status, 403);
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.status, 200);
        let res = step(app, &w.enforcement_lead, &p.id, json!({"action": "accept"})).await;
        assert_eq!(res.status, 403);
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:forbidden");
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "accept"})).await.status, 403, "a unit does not accept its own");
        assert_eq!(step(app, &admin, &p.id, json!({"action": "accept"})).await.status, 403);
        let seen: ParticipationList = app.call(Method::GET, "/api/v1/participations", &w.enforcement_lead, None).await.json();
        assert!(seen.items.is_empty(), "the ENFORCEMENT lead lists no WINDOW record");
        // A return needs a reason; the WINDOW lead returns it, the unit corrects and files again.
        let res = step(app, &w.window_lead, &p.id, json!({"action": "return"})).await;
        assert_eq!(res.status, 422);
        let res = step(app, &w.window_lead, &p.id, json!({"action": "return", "reason": "座谈记录缺少企业代表姓名"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let returned: Participation = res.json();
        assert_eq!(returned.return_reason.as_deref(), Some("座谈记录缺少企业代表姓名"));
        let res = step(app, &w.window_lead, &p.id, json!({"action": "accept"})).await;
        assert_eq!(res.status, 409);
        assert_eq!(res.problem().allowed, Some(vec!["file".to_owned()]));
    }

    async fn an_idempotent_retry_creates_one_record_and_findings_reach_the_ledger_once(app: TestApp) {
        let w = world(app).await;
        let body = record(&w, "window", window_segments(&w));
        let key = [("idempotency-key", "mp-7f3a-0001")];
        let first = app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &key, Some(body.clone())).await;
        assert_eq!(first.status, 201, "{}", first.text());
        let again = app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &key, Some(body.clone())).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(again.json::<Value>(), first.json::<Value>());
        let mut other = body.clone();
        other["people_received"] = json!(7);
        let res = app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &key, Some(other)).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].code, "key_reused");
        let list: ParticipationList = app.call(Method::GET, "/api/v1/participations", &w.clerk, None).await.json();
        assert_eq!(list.items.len(), 1, "one record for the retried request");
        let res = app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &[("idempotency-key", "bad key")], Some(body.clone())).await;
        assert_eq!(res.status, 400);

        // Filed, returned, corrected with one more finding, filed again: each finding once.
        let p: Participation = first.json();
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.status, 200);
        let before = ledger_issues(app, &p.id);
        assert_eq!(before.len(), 2);
        assert_eq!(step(app, &w.window_lead, &p.id, json!({"action": "return", "reason": "补充问题"})).await.status, 200);
        let current = app.call(Method::GET, &format!("/api/v1/participations/{}", p.id), &w.clerk, None).await;
        let etag = current.header("etag").unwrap();
        let mut segments: Vec<Value> = current.json::<Value>()["segments"].as_array().unwrap().clone();
        segments[3]["findings"].as_array_mut().unwrap().push(json!({"kind": "problem", "description": "座谈室无障碍设施不足"}));
        let path = format!("/api/v1/participations/{}", p.id);
        let res = app.call(Method::PATCH, &path, &w.clerk, Some(json!({"segments": segments}))).await;
        assert_eq!(res.status, 428);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "\"1\"")], Some(json!({"segments": segments}))).await;
        assert_eq!(res.status, 412);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", etag.as_str())], Some(json!({"segments": segments}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.status, 200);
        let after = ledger_issues(app, &p.id);
        assert_eq!(after.len(), 3);
        assert!(before.iter().all(|b| after.contains(b)), "the first issues stay as they were");
        // A finding id that is not the record's own is refused.
        let mut forged = segments.clone();
        forged[0]["findings"][0]["id"] = json!(uuid::Uuid::now_v7().to_string());
        let q = create(app, &w.clerk, &record(&w, "window", vec![])).await;
        let res = app.call_with(Method::PATCH, &format!("/api/v1/participations/{}", q.id), &w.clerk, &[("if-match", "*")], Some(json!({"segments": forged}))).await;
        assert_eq!(res.status, 422);
        assert!(res.problem().errors.unwrap().iter().any(|e| e.code == "unknown_finding"));
    }

    async fn accepted_records_are_never_edited_only_annotated(app: TestApp) {
        let w = world(app).await;
        let p = create(app, &w.clerk, &record(&w, "enforcement", enforcement_segments())).await;
        let path = format!("/api/v1/participations/{}", p.id);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"people_received": 9, "unit_id": w.unit}))).await;
        assert_eq!(res.status, 422, "the unit never changes");
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"people_received": 9}))).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<Participation>().people_received, 9);
        assert_eq!(app.last_audit().action, "participation.update");
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.status, 200);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"people_received": 10}))).await;
        assert_eq!(res.status, 409, "a filed record waits for its lead");
        assert_eq!(step(app, &w.enforcement_lead, &p.id, json!({"action": "accept"})).await.status, 200);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"people_received": 10}))).await;
        assert_eq!(res.status, 409);
        let res = app.call(Method::POST, &format!("{path}/notes"), &w.clerk, Some(json!({"body": "更正：接待企业群众应为 10 人"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = app.call(Method::POST, &format!("{path}/notes"), &w.enforcement_lead, Some(json!({"body": "已核实"}))).await;
        assert_eq!(res.status, 201);
        assert_eq!(app.call(Method::POST, &format!("{path}/notes"), &w.window_lead, Some(json!({"body": "x"}))).await.status, 403);
        assert_eq!(app.call(Method::POST, &format!("{path}/notes"), &w.clerk, Some(json!({"body": "  "}))).await.status, 422);
        let now: Participation = app.call(Method::GET, &path, &w.clerk, None).await.json();
        assert_eq!(now.people_received, 9);
        assert_eq!(now.notes.iter().map(|n| (n.author.as_str(), n.body.as_str())).collect::<Vec<_>>(),
            vec![("scjg.clerk", "更正：接待企业群众应为 10 人"), ("sfj.lead", "已核实")]);
    }

    async fn an_immediate_participation_answers_its_trigger(app: TestApp) {
        let w = world(app).await;
        let res = app.call(Method::POST, "/api/v1/triggers", &w.clerk, Some(json!({"unit_id": w.unit, "reason": "complaint_spike", "description": "食品安全投诉集中", "raised_on": w.day.to_string()}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let trigger = id_of(&res.json());
        let mut body = record(&w, "complaint", complaint_segments());
        body["trigger_id"] = json!(trigger);
        let res = app.call(Method::POST, "/api/v1/participations", &w.clerk, Some(body.clone())).await;
        assert_eq!(res.status, 422, "a regular participation answers no trigger");
        assert_eq!(res.problem().errors.unwrap()[0].code, "mode_mismatch");
        body["mode"] = json!("immediate");
        let p = create(app, &w.clerk, &body).await;
        let list: Value = app.call(Method::GET, "/api/v1/triggers", &w.clerk, None).await.json();
        assert_eq!(list["items"][0]["state"], "open", "a draft answers nothing");
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.status, 200);
        let list: Value = app.call(Method::GET, "/api/v1/triggers", &w.clerk, None).await.json();
        assert_eq!(list["items"][0]["state"], "answered");
    }

    async fn a_lead_department_does_not_accept_its_own_record_the_coordinator_does(app: TestApp) {
        let w = world(app).await;
        let sfj = app.unit_named("区司法局").await.id.to_string();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{sfj}"), &w.admin, &[("if-match", "*")], Some(json!({"head": {"name": "陈正", "title": "局长"}}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let mut body = record(&w, "enforcement", enforcement_segments());
        body["unit_id"] = json!(sfj);
        let p = create(app, &w.enforcement_lead, &body).await;
        assert_eq!(step(app, &w.enforcement_lead, &p.id, json!({"action": "file"})).await.status, 200);
        let res = step(app, &w.enforcement_lead, &p.id, json!({"action": "accept"})).await;
        assert_eq!(res.status, 403);
        assert!(res.problem().detail.contains("区营商办"), "{}", res.problem().detail);
        let office = app.unit_named("区营商办").await.id.to_string();
        let (_, coordinator) = app.user_with_token(&w.admin, "yss.coord", "coordinator", Some(&office), None).await;
        let res = step(app, &coordinator, &p.id, json!({"action": "accept"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // The coordinator reviews only the lead departments' own records.
        let q = create(app, &w.clerk, &record(&w, "enforcement", enforcement_segments())).await;
        assert_eq!(step(app, &w.clerk, &q.id, json!({"action": "file"})).await.status, 200);
        assert_eq!(step(app, &coordinator, &q.id, json!({"action": "accept"})).await.status, 403);
        // Leaders and admins write no participation, whatever the body.
        assert_eq!(app.call(Method::POST, "/api/v1/participations", &coordinator, Some(json!({"nonsense": true}))).await.status, 403);
    }

    async fn findings_on_the_ledger_stay_as_filed_and_a_corrected_date_is_judged_anew(app: TestApp) {
        let w = world(app).await;
        let p = create(app, &w.clerk, &record(&w, "complaint", complaint_segments())).await;
        assert_eq!(step(app, &w.clerk, &p.id, json!({"action": "file"})).await.json::<Participation>().late_days, Some(0));
        assert_eq!(step(app, &w.complaint_lead, &p.id, json!({"action": "return", "reason": "活动日期有误"})).await.status, 200);
        let path = format!("/api/v1/participations/{}", p.id);
        let current: Value = app.call(Method::GET, &path, &w.clerk, None).await.json();
        let segments = current["segments"].clone();
        let mut changed = segments.clone();
        changed[2]["findings"][0]["description"] = json!("已经解决");
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"segments": changed}))).await;
        assert_eq!(res.status, 422);
        let e = &res.problem().errors.unwrap()[0];
        assert_eq!((e.field.as_str(), e.code.as_str()), ("segments[2].findings[0]", "finding_on_ledger"));
        let mut dropped = segments.clone();
        dropped[2]["findings"] = json!([]);
        dropped[2]["follow_up_needed"] = json!(false);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"segments": dropped}))).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].code, "finding_on_ledger");
        // Sent back as it was (its ledger id is ignored on input), the record saves; the date moves back ten days.
        let earlier = w.day - chrono::Duration::days(10);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"segments": segments, "activity_on": earlier.to_string()}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let refiled: Participation = step(app, &w.clerk, &p.id, json!({"action": "file"})).await.json();
        let first_filed = frontline::domain::calendar::local_date(refiled.filed_at.unwrap());
        assert_eq!(refiled.late_days, Some((first_filed - earlier).num_days() as i32 - 3), "judged on the first filing, against the corrected date");
        assert_eq!(ledger_issues(app, &p.id).len(), 1);
    }

    async fn concurrent_retries_with_one_key_create_one_record(app: TestApp) {
        let w = world(app).await;
        let body = record(&w, "enforcement", enforcement_segments());
        let key = [("idempotency-key", "mp-concurrent-1")];
        let (a, b) = futures_util::future::join(
            app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &key, Some(body.clone())),
            app.call_with(Method::POST, "/api/v1/participations", &w.clerk, &key, Some(body.clone())),
        )
        .await;
        assert_eq!((a.status, b.status), (201, 201), "{} / {}", a.text(), b.text());
        assert_eq!(a.json::<Value>()["id"], b.json::<Value>()["id"]);
        let list: ParticipationList = app.call(Method::GET, "/api/v1/participations", &w.clerk, None).await.json();
        assert_eq!(list.items.len(), 1);
        // Another account's same key is another request.
        let (_, second) = app.user_with_token(&w.admin, "scjg.clerk2", "unit", Some(&w.unit), None).await;
        let c = app.call_with(Method::POST, "/api/v1/participations", &second, &key, Some(body)).await;
        assert_eq!(c.status, 201);
        assert_ne!(c.json::<Value>()["id"], a.json::<Value>()["id"]);
    }
}

/// One line of a query plan.
#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// One line of PostgreSQL's plan.
#[derive(diesel::QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` on the app's database, one string; on PostgreSQL with sequential scans
/// priced out, so that a missing index shows as a Seq Scan or a Sort even on a small table.
fn plan(app: &TestApp, sql: &str) -> String {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    match app.db() {
        frontline::db::AnyConnection::Sqlite(mut c) => {
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<PlanLine>(&mut c)
                .unwrap()
                .into_iter()
                .map(|l| l.detail)
                .collect::<Vec<_>>()
                .join("\n")
        }
        frontline::db::AnyConnection::Postgresql(mut c) => {
            c.batch_execute("SET enable_seqscan = off; ANALYZE participations; ANALYZE issues;")
                .unwrap();
            diesel::sql_query(format!("EXPLAIN {sql}"))
                .load::<PgPlanLine>(&mut c)
                .unwrap()
                .into_iter()
                .map(|l| l.line)
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

both_backends! {
    async fn the_main_list_queries_read_a_page_through_an_index(app: TestApp) {
        // The shapes of the participation and issue lists' queries (store::participations::list,
        // store::issues::list): equality filters, keyset on id, a page.
        for sql in [
            "SELECT id FROM participations WHERE activity = 'enforcement' AND status = 'accepted' AND id > '0' ORDER BY id LIMIT 51",
            "SELECT id FROM participations WHERE activity = 'window' ORDER BY id LIMIT 51",
            "SELECT id FROM participations WHERE unit_id = 'u' ORDER BY id LIMIT 51",
            "SELECT id FROM participations WHERE status = 'filed' ORDER BY id LIMIT 51",
            "SELECT id FROM participations WHERE unit_id = 'u' AND status = 'draft' ORDER BY id LIMIT 201",
            "SELECT id FROM issues WHERE unit_id = 'u' AND status = 'open' ORDER BY id LIMIT 51",
            "SELECT id FROM issues WHERE unit_id = 'u' ORDER BY id LIMIT 51",
            "SELECT id FROM issues WHERE status = 'rectifying' ORDER BY id LIMIT 51",
        ] {
            let p = plan(app, sql);
            for bad in ["SCAN participations", "SCAN issues", "TEMP B-TREE", "Seq Scan", "Sort"] {
                assert!(!p.contains(bad), "{sql}\n{p}");
            }
            assert!(p.contains("INDEX") || p.contains("Index"), "{sql}\n{p}");
        }
    }
}

both_backends! {
    async fn the_list_shows_each_record_s_segment_types_and_findings_also_for_records_older_than_their_columns(app: TestApp) {
        let w = world(app).await;
        let mut ids = Vec::new();
        for (activity, segments) in [("window", window_segments(&w)), ("enforcement", enforcement_segments()), ("complaint", complaint_segments())] {
            ids.push(create(app, &w.clerk, &record(&w, activity, segments)).await.id);
        }
        // An edit that adds a finding is shown with it.
        let path = format!("/api/v1/participations/{}", ids[1]);
        let mut segments: Value = app.call(Method::GET, &path, &w.clerk, None).await.json::<Value>()["segments"].clone();
        segments[0]["findings"] = json!([{"kind": "problem", "description": "执法记录仪未全程开启"}, {"kind": "demand", "description": "希望公开裁量基准"}]);
        let res = app.call_with(Method::PATCH, &path, &w.clerk, &[("if-match", "*")], Some(json!({"segments": segments}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // What the list shows, against the whole record.
        let shown = || async {
            let list: ParticipationList = app.call(Method::GET, &format!("/api/v1/participations?unit_id={}", w.unit), &w.clerk, None).await.json();
            let mut out = Vec::new();
            for item in list.items {
                let whole: Participation = app.call(Method::GET, &format!("/api/v1/participations/{}", item.id), &w.clerk, None).await.json();
                let types: Vec<_> = whole.segments.iter().map(|s| s.kind()).collect();
                let findings: usize = whole.segments.iter().map(|s| s.findings().len()).sum();
                assert_eq!((item.segment_types.clone(), item.findings as usize), (types, findings), "{}", item.id);
                out.push((item.id, item.segment_types, item.findings));
            }
            out
        };
        let before = shown().await;
        assert_eq!(before.len(), 3);
        let counts: Vec<u32> = before.iter().map(|(_, _, n)| *n).collect();
        assert_eq!(counts, vec![2, 2, 1], "window 2, enforcement 2 after the edit, complaint 1");
        // The migration that brought the columns, undone and done again: it fills them from
        // the stored segments of the records already there.
        let mut conn = app.db();
        let redo = |version: String| assert!(version.contains("000017"), "the last migration is {version}: point this test at segment_heads");
        match &mut conn {
            frontline::db::AnyConnection::Sqlite(c) => {
                const M: diesel_migrations::EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
                redo(diesel_migrations::MigrationHarness::revert_last_migration(c, M).unwrap().to_string());
                diesel_migrations::MigrationHarness::run_pending_migrations(c, M).unwrap();
            }
            frontline::db::AnyConnection::Postgresql(c) => {
                const M: diesel_migrations::EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/postgres");
                redo(diesel_migrations::MigrationHarness::revert_last_migration(c, M).unwrap().to_string());
                diesel_migrations::MigrationHarness::run_pending_migrations(c, M).unwrap();
            }
        }
        assert_eq!(shown().await, before);
    }
}
