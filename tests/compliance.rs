//! Compliance checks through the HTTP API: validation, who may run and read what, immutable
//! runs, comparison of two runs, exports, the previous period's link and the bulletin that
//! carries a run's ranking. The findings of a whole fixture quarter are asserted against an
//! independent expectation in `compliance_fixture.rs`.

mod common;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use common::{enforcement_segments, TestApp};
use diesel::connection::SimpleConnection;
use frontline::api::compliance::{CheckDiff, ComplianceCheck, FindingList, ScoreList};
use frontline::domain::calendar::{local_date, Quarter};
use serde_json::{json, Value};

struct Accounts {
    coordinator: String,
    window_lead: String,
    window_unit: String,
    unit: String,
    unit_id: String,
    other_unit_id: String,
    leader: String,
    admin: String,
}

async fn accounts(app: &TestApp) -> Accounts {
    let admin = app.admin_token().await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coordinator) = app
        .user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    let window = app.unit_named("区行政审批局").await.id.to_string();
    let (_, window_lead) = app
        .user_with_token(&admin, "xzsp.lead", "lead", Some(&window), Some("window"))
        .await;
    let unit_id = app.unit_named("区市场监管局").await.id.to_string();
    let res = app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/units/{unit_id}"),
            &admin,
            &[("if-match", "*")],
            Some(json!({"head": {"name": "王局长", "title": "局长"}})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let (_, unit) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit_id), None)
        .await;
    let other_unit_id = app.unit_named("区档案馆").await.id.to_string();
    let (_, leader) = app
        .user_with_token(&admin, "qz.leader", "leader", None, None)
        .await;
    Accounts {
        coordinator,
        window_lead,
        window_unit: window,
        unit,
        unit_id,
        other_unit_id,
        leader,
        admin,
    }
}

fn last_quarter() -> Quarter {
    Quarter::of(local_date(Utc::now())).prev()
}

async fn run(app: &TestApp, token: &str, body: Value) -> ComplianceCheck {
    let res = app
        .call(Method::POST, "/api/v1/compliance-checks", token, Some(body))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let check: ComplianceCheck = res.json();
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("/api/v1/compliance-checks/{}", check.id).as_str())
    );
    check
}

async fn all_findings(app: &TestApp, token: &str, check: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/compliance-checks/{check}/findings?limit=50{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let res = app.call(Method::GET, &path, token, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let page: Value = res.json();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out
}

both_backends! {
    async fn a_check_is_validated_authorized_and_read_within_each_roles_scope(app: TestApp) {
        let a = accounts(app).await;
        let today = local_date(Utc::now());
        let q = last_quarter();
        // Bad input: each field named, in Chinese by default and English on request.
        for (body, field, code) in [
            (json!({"period": "2026-13"}), "period", "invalid_period"),
            (json!({"period": "2099-Q1"}), "period", "not_begun"),
            (json!({"period": q.to_string(), "evaluated_on": (today + Duration::days(1)).to_string()}), "evaluated_on", "future"),
            (json!({"period": q.to_string(), "evaluated_on": (q.first_day() - Duration::days(1)).to_string()}), "evaluated_on", "before_period"),
            (json!({"period": q.to_string(), "unit_id": "nope"}), "unit_id", "invalid_uuid"),
            (json!({"period": q.to_string(), "unit_id": uuid::Uuid::now_v7().to_string()}), "unit_id", "unknown_unit"),
        ] {
            let res = app.call(Method::POST, "/api/v1/compliance-checks", &a.coordinator, Some(body.clone())).await;
            assert_eq!(res.status, 422, "{body}: {}", res.text());
            let p = res.problem();
            let errors = p.errors.unwrap_or_default();
            assert!(errors.iter().any(|e| e.field == field && e.code == code), "{body}: {errors:?}");
        }
        let res = app.call_with(Method::POST, "/api/v1/compliance-checks", &a.coordinator, &[("accept-language", "en")], Some(json!({"period": "Q3"}))).await;
        assert_eq!(res.status, 422);
        assert!(res.problem().errors.unwrap()[0].message.contains("quarter"), "{}", res.text());
        let res = app.call(Method::POST, "/api/v1/compliance-checks", &a.coordinator, Some(json!({"period": q.to_string(), "extra": 1}))).await;
        assert!(matches!(res.status, 400 | 422), "{}", res.text());

        // Who may run: the coordinator, and a lead for its own activity only.
        for token in [&a.unit, &a.leader, &a.admin] {
            let res = app.call(Method::POST, "/api/v1/compliance-checks", token, Some(json!({"period": q.to_string()}))).await;
            assert_eq!(res.status, 403, "{}", res.text());
        }
        let res = app.call(Method::POST, "/api/v1/compliance-checks", &a.window_lead, Some(json!({"period": q.to_string(), "activity": "enforcement"}))).await;
        assert_eq!(res.status, 403);
        assert!(res.problem().detail.contains("牵头"), "{}", res.text());
        let lead_run = run(app, &a.window_lead, json!({"period": q.to_string()})).await;
        assert_eq!(lead_run.activity, Some(frontline::domain::unit::Activity::Window), "a lead's run is limited to its activity");
        let lead_findings = all_findings(app, &a.window_lead, &lead_run.id, "").await;
        assert!(!lead_findings.is_empty());
        assert!(lead_findings.iter().all(|f| f["activity"] == "window"), "only WINDOW findings");

        // The coordinator's district-wide run of the last quarter, judged today.
        let audits = app.audit_count();
        let check = run(app, &a.coordinator, json!({"period": q.to_string()})).await;
        assert_eq!(app.audit_count(), audits + 1);
        assert_eq!(app.last_audit().action, "compliance_check.create");
        assert_eq!(check.evaluated_on, today);
        assert_eq!(check.period, q.to_string());
        assert!(check.inputs.judged_units >= 40, "{:?}", check.inputs);
        assert_eq!(check.settings.filing_days, 3);
        assert_eq!(check.findings_by_rule.values().sum::<u32>(), check.finding_count);
        let findings = all_findings(app, &a.coordinator, &check.id, "").await;
        assert_eq!(findings.len() as u32, check.finding_count, "paging returns every finding once");
        let keys: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys.len(), findings.len(), "keys are unique within a run");
        let r1 = format!("R1:{}:{q}:enforcement", a.unit_id);
        let mine = findings.iter().find(|f| f["key"] == r1.as_str()).expect("no enforcement participation last quarter");
        assert_eq!(mine["severity"], "serious");
        assert_eq!(mine["clause"], "一(四)1");
        assert_eq!(mine["points"], 10);
        assert!(mine["message_zh"].as_str().unwrap().contains("跟执法"));
        assert!(mine["message_en"].as_str().unwrap().contains("enforcement"));
        assert!(check.listed.iter().any(|l| l.unit_id == a.unit_id && l.reason == frontline::domain::stats::ListedReason::NoParticipation));
        let scores = &check.scores;
        assert!(scores.windows(2).all(|w| w[0].score >= w[1].score && w[0].rank <= w[1].rank), "ranked");
        assert!(scores.iter().all(|s| s.score == 100u32.saturating_sub(s.deducted)));
        // Filters.
        let r7 = all_findings(app, &a.coordinator, &check.id, "&rule=R7&severity=serious").await;
        assert!(!r7.is_empty() && r7.iter().all(|f| f["rule"] == "R7"));
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/findings?rule=R14&severity=grave", check.id), &a.coordinator, None).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.problem().errors.unwrap().len(), 2);

        // A lead reads the findings of its activity and of its own unit.
        let seen_by_lead = all_findings(app, &a.window_lead, &check.id, "").await;
        assert!(!seen_by_lead.is_empty() && (seen_by_lead.len() as u32) < check.finding_count);
        assert!(seen_by_lead.iter().all(|f| f["activity"] == "window" || f["unit_id"] == a.window_unit.as_str()));
        let expected = findings.iter().filter(|f| f["activity"] == "window" || f["unit_id"] == a.window_unit.as_str()).count();
        assert_eq!(seen_by_lead.len(), expected);
        let lead_view: ComplianceCheck = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}", check.id), &a.window_lead, None).await.json();
        assert_eq!(lead_view.finding_count as usize, expected);

        // A unit account reads its own part only, and is refused another unit's findings.
        let seen: ComplianceCheck = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}", check.id), &a.unit, None).await.json();
        assert_eq!(seen.scores.len(), 1);
        assert_eq!(seen.scores[0].unit_id, a.unit_id);
        assert!(seen.listed.iter().all(|l| l.unit_id == a.unit_id) && !seen.listed.is_empty());
        let own = findings.iter().filter(|f| f["unit_id"] == a.unit_id.as_str()).count() as u32;
        assert_eq!(seen.finding_count, own);
        let theirs = all_findings(app, &a.unit, &check.id, "").await;
        assert_eq!(theirs.len() as u32, own);
        assert!(theirs.iter().all(|f| f["unit_id"] == a.unit_id.as_str()));
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/findings?unit_id={}", check.id, a.other_unit_id), &a.unit, None).await;
        assert_eq!(res.status, 403);
        let s: ScoreList = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/scores", check.id), &a.unit, None).await.json();
        assert_eq!(s.items.len(), 1);
        let s: ScoreList = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/scores", check.id), &a.leader, None).await.json();
        assert_eq!(s.items, check.scores);
        let csv = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/export?format=csv", check.id), &a.unit, None).await;
        assert_eq!(csv.status, 200);
        assert!(!csv.text().contains(&a.other_unit_id) && !csv.text().contains("区档案馆"), "a unit exports its own part");

        // Unknown and malformed ids.
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}", uuid::Uuid::now_v7()), &a.coordinator, None).await;
        assert_eq!(res.status, 404);
        let res = app.call(Method::GET, "/api/v1/compliance-checks/x/scores", &a.coordinator, None).await;
        assert_eq!(res.status, 400);

        // Runs never change: the database refuses it.
        for sql in ["UPDATE compliance_findings SET points = 0", "DELETE FROM compliance_scores", "UPDATE compliance_checks SET period = '2000'"] {
            assert!(app.db().batch_execute(sql).is_err(), "{sql}");
        }
        let list: Value = app.call(Method::GET, &format!("/api/v1/compliance-checks?period={q}"), &a.leader, None).await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        // A run limited to another unit is not listed to a unit account; its own is.
        let other = run(app, &a.coordinator, json!({"period": q.to_string(), "unit_id": a.other_unit_id})).await;
        let own = run(app, &a.coordinator, json!({"period": q.to_string(), "unit_id": a.unit_id})).await;
        let list: Value = app.call(Method::GET, &format!("/api/v1/compliance-checks?period={q}"), &a.unit, None).await.json();
        let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&own.id.as_str()) && !ids.contains(&other.id.as_str()), "{ids:?}");
        assert_eq!(ids.len(), 3);
    }

    async fn runs_compare_export_link_to_the_previous_period_and_feed_the_bulletin(app: TestApp) {
        let a = accounts(app).await;
        let q = last_quarter();
        // A head's enforcement participation on the quarter's last day, kept in draft.
        let body = json!({"unit_id": a.unit_id, "activity": "enforcement", "mode": "regular", "activity_on": q.last_day().to_string(),
            "place": "现场", "participant": {"kind": "head"}, "summary": "参与执法", "segments": enforcement_segments()});
        let res = app.call(Method::POST, "/api/v1/participations", &a.unit, Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let p = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        let before = run(app, &a.coordinator, json!({"period": q.to_string()})).await;
        let r3 = format!("R3:{p}");
        let r1 = format!("R1:{}:{q}:enforcement", a.unit_id);
        let r7 = format!("R7:{}:{q}", a.unit_id);
        let first = all_findings(app, &a.coordinator, &before.id, &format!("&unit_id={}", a.unit_id)).await;
        let code_of = |fs: &[Value], key: &str| fs.iter().find(|f| f["key"] == key).map(|f| f["code"].as_str().unwrap().to_owned());
        assert_eq!(code_of(&first, &r3).as_deref(), Some("not_filed"));
        assert!(code_of(&first, &r1).is_some() && code_of(&first, &r7).is_some());

        // Filed today, long after its deadline: it now counts, but late.
        let res = app.call(Method::POST, &format!("/api/v1/participations/{p}/transitions"), &a.unit, Some(json!({"action": "file"}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let after = run(app, &a.coordinator, json!({"period": q.to_string()})).await;
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/diff?against={}", after.id, before.id), &a.coordinator, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let diff: CheckDiff = res.json();
        assert_eq!((diff.check_id.as_str(), diff.against.as_str()), (after.id.as_str(), before.id.as_str()));
        let gone: Vec<&str> = diff.diff.gone.iter().map(|f| f.key.as_str()).collect();
        assert!(gone.contains(&r1.as_str()) && gone.contains(&r7.as_str()), "{gone:?}");
        assert!(diff.diff.added.is_empty(), "{:?}", diff.diff.added);
        let changed: Vec<(&str, &str, &str)> = diff.diff.changed.iter().map(|c| (c.now.key.as_str(), c.before.code.as_str(), c.now.code.as_str())).collect();
        assert_eq!(changed, vec![(r3.as_str(), "not_filed", "filed_late")]);
        assert!(diff.diff.unchanged > 0);
        // The unit's own view of the same comparison.
        let own: CheckDiff = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/diff?against={}", after.id, before.id), &a.unit, None).await.json();
        assert_eq!(own.diff.gone.len(), 2);
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/diff", after.id), &a.coordinator, None).await;
        assert_eq!(res.status, 400);

        // Exports: CSV with a BOM, the findings then the scores; XLSX with two sheets.
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/export?format=csv", after.id), &a.coordinator, None).await;
        assert_eq!(res.status, 200);
        assert!(res.header("content-type").unwrap().starts_with("text/csv"));
        assert!(res.body.starts_with(b"\xEF\xBB\xBF"));
        let mut rows = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&res.body[3..]);
        let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "序号");
        assert_eq!(rows.len() as u32, 1 + after.finding_count + 1 + 1 + after.scores.len() as u32);
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/export", after.id), &a.coordinator, None).await;
        assert_eq!(res.status, 200);
        {
            use calamine::{Reader, Xlsx};
            let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
            assert_eq!(book.sheet_names(), vec!["问题".to_owned(), "得分".to_owned()]);
            let sheet = book.worksheet_range("问题").unwrap();
            assert_eq!(sheet.height() as u32, after.finding_count + 1);
        }
        let res = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/export?format=pdf", after.id), &a.coordinator, None).await;
        assert_eq!(res.status, 400);

        // A run of the next quarter links to the latest run of this one.
        let next = run(app, &a.coordinator, json!({"period": q.next().to_string()})).await;
        assert_eq!(next.previous_check_id.as_deref(), Some(after.id.as_str()));
        assert!(!next.progress.is_empty(), "the running quarter reports progress");
        assert!(!next.findings_by_rule.contains_key("R1"), "R1 waits for the quarter's end");

        // The bulletin of the quarter carries the run's ranking and list.
        let res = app.call(Method::POST, "/api/v1/bulletins", &a.coordinator, Some(json!({"quarter": q.next().to_string(), "title": "通报", "body": "正文", "compliance_check_id": next.id}))).await;
        assert_eq!(res.status, 422, "a run made before its quarter ended judged no R1 or R7");
        let scoped = run(app, &a.coordinator, json!({"period": q.to_string(), "unit_id": a.unit_id})).await;
        assert_eq!(scoped.scores.len(), 1);
        let res = app.call(Method::POST, "/api/v1/bulletins", &a.coordinator, Some(json!({"quarter": q.to_string(), "title": "通报", "body": "正文", "compliance_check_id": scoped.id}))).await;
        assert_eq!(res.status, 422, "a unit's run is not the district's");
        let res = app.call(Method::POST, "/api/v1/bulletins", &a.coordinator, Some(json!({"quarter": q.to_string(), "title": "通报", "body": "正文", "compliance_check_id": after.id}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let bulletin: Value = res.json();
        assert_eq!(bulletin["compliance"]["check_id"], after.id.as_str());
        assert_eq!(bulletin["compliance"]["scores"].as_array().unwrap().len(), after.scores.len());
        let listed = bulletin["listed"].as_array().unwrap();
        let archive = listed.iter().find(|l| l["unit_id"] == a.other_unit_id.as_str()).expect("the archive took no part");
        assert_eq!(archive["reasons"], json!(["no_participation", "head_never_in_person"]));
        assert_eq!(archive["details"].as_array().unwrap().len(), 2);
        assert_eq!(archive["details"][0]["quarter"], q.to_string());
        assert!(listed.iter().all(|l| l["unit_id"] != a.unit_id.as_str()), "the unit took part in person, late but filed");
        let id = bulletin["id"].as_str().unwrap();
        assert_eq!(app.call(Method::POST, &format!("/api/v1/bulletins/{id}/publication"), &a.coordinator, None).await.status, 200);
        let public: Value = app.get("/api/v1/public/bulletins").await.json();
        assert_eq!(public["items"][0]["compliance"]["scores"][0]["rank"], 1);
        let _: FindingList = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/findings", after.id), &a.coordinator, None).await.json();
    }

    async fn a_record_returned_and_edited_after_the_evaluation_date_is_read_as_it_was_filed(app: TestApp) {
        use diesel::prelude::*;
        use frontline::db::schema::{participation_transitions as pt, participations as ps};
        let a = accounts(app).await;
        let justice = app.unit_named("区司法局").await.id.to_string();
        let (_, enforcement_lead) = app.user_with_token(&a.admin, "sfj.lead", "lead", Some(&justice), Some("enforcement")).await;
        let q = last_quarter();
        let body = json!({"unit_id": a.unit_id, "activity": "enforcement", "mode": "regular", "activity_on": q.last_day().to_string(),
            "place": "现场", "participant": {"kind": "head"}, "summary": "参与执法", "segments": enforcement_segments()});
        let res = app.call(Method::POST, "/api/v1/participations", &a.unit, Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let p = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/participations/{p}/transitions");
        assert_eq!(app.call(Method::POST, &path, &a.unit, Some(json!({"action": "file"}))).await.status, 200);
        // Made and filed at 10:00 on the quarter's last day (02:00 UTC).
        let then = q.last_day().and_hms_opt(2, 0, 0).unwrap();
        {
            let mut conn = app.db();
            diesel::update(ps::table.find(&p))
                .set((ps::created_at.eq(then), ps::updated_at.eq(then), ps::filed_at.eq(Some(then)), ps::last_filed_at.eq(Some(then))))
                .execute(&mut conn)
                .unwrap();
            diesel::update(pt::table.filter(pt::participation_id.eq(&p))).set(pt::at.eq(then)).execute(&mut conn).unwrap();
        }
        let judged_on = q.last_day() + Duration::days(1);
        let first = run(app, &a.coordinator, json!({"period": q.to_string(), "evaluated_on": judged_on.to_string(), "unit_id": a.unit_id})).await;
        let keys = |fs: &[Value]| fs.iter().map(|f| f["key"].as_str().unwrap().to_owned()).collect::<std::collections::BTreeSet<_>>();
        let before = all_findings(app, &a.coordinator, &first.id, "").await;
        assert!(!keys(&before).contains(&format!("R4:{p}")), "filed complete");
        assert!(!keys(&before).contains(&format!("R7:{}:{q}", a.unit_id)), "the head took part, filed on time");

        // Today: returned, stripped of a segment, and left returned.
        let res = app.call(Method::POST, &path, &enforcement_lead, Some(json!({"action": "return", "reason": "补充材料"}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let mut segments = enforcement_segments();
        segments.pop();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/participations/{p}"), &a.unit, &[("if-match", "*")], Some(json!({"segments": segments, "participant": {"kind": "deputy", "name": "李副局长"}}))).await;
        assert!(matches!(res.status, 200 | 422), "{}", res.text());
        let res = app.call_with(Method::PATCH, &format!("/api/v1/participations/{p}"), &a.unit, &[("if-match", "*")], Some(json!({"segments": segments}))).await;
        assert_eq!(res.status, 200, "{}", res.text());

        // The same check as of the same day answers the same.
        let again = run(app, &a.coordinator, json!({"period": q.to_string(), "evaluated_on": judged_on.to_string(), "unit_id": a.unit_id})).await;
        let diff: CheckDiff = app.call(Method::GET, &format!("/api/v1/compliance-checks/{}/diff?against={}", again.id, first.id), &a.coordinator, None).await.json();
        assert!(diff.diff.added.is_empty() && diff.diff.gone.is_empty() && diff.diff.changed.is_empty(), "{diff:?}");
        assert_eq!(diff.diff.unchanged as usize, before.len());
        // As of today the record is returned: it counts for nothing.
        let today = run(app, &a.coordinator, json!({"period": q.to_string(), "unit_id": a.unit_id})).await;
        let now = all_findings(app, &a.coordinator, &today.id, "").await;
        assert!(keys(&now).contains(&format!("R7:{}:{q}", a.unit_id)));
    }
}
