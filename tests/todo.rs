//! The to-do list of each role over one fixture, item by item.

mod common;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use common::{complaint_segments, enforcement_segments, TestApp};
use frontline::api::todo::Todo;
use serde_json::{json, Value};

async fn record(
    app: &TestApp,
    token: &str,
    unit: &str,
    activity: &str,
    back: i64,
) -> (String, Option<String>) {
    let today = frontline::domain::calendar::local_date(Utc::now());
    let segments = if activity == "complaint" {
        complaint_segments()
    } else {
        enforcement_segments()
    };
    let res = app.call(Method::POST, "/api/v1/participations", token, Some(json!({"unit_id": unit, "activity": activity, "mode": "regular",
        "activity_on": (today - Duration::days(back)).to_string(), "place": "现场", "participant": {"kind": "head"}, "segments": segments}))).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json::<Value>()["id"].as_str().unwrap().to_owned();
    (id, None)
}

async fn step(app: &TestApp, token: &str, what: &str, id: &str, body: Value) -> Value {
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/{what}/{id}/transitions"),
            token,
            Some(body),
        )
        .await;
    assert_eq!(res.status, 200, "{what} {id}: {}", res.text());
    res.json()
}

fn finding_issue(p: &Value) -> String {
    p["segments"][2]["findings"][0]["issue_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn todo(app: &TestApp, token: &str) -> Vec<(String, Option<i64>)> {
    let t: Todo = app
        .call(Method::GET, "/api/v1/todo", token, None)
        .await
        .json();
    t.items
        .into_iter()
        .map(|i| (i.kind.as_str().to_owned(), i.days_left))
        .collect()
}

both_backends! {
    async fn each_role_sees_what_is_due_for_it(app: TestApp) {
        let admin = app.admin_token().await;
        let today = frontline::domain::calendar::local_date(Utc::now());
        let unit = app.unit_named("区市场监管局").await.id.to_string();
        let sfj = app.unit_named("区司法局").await.id.to_string();
        for u in [&unit, &sfj] {
            let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{u}"), &admin, &[("if-match", "*")], Some(json!({"head": {"name": "一把手", "title": "局长"}}))).await;
            assert_eq!(res.status, 200);
        }
        let (_, clerk) = app.user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None).await;
        let rx = app.unit_named("区12345市民热线服务中心").await.id.to_string();
        let (_, complaint_lead) = app.user_with_token(&admin, "rx.lead", "lead", Some(&rx), Some("complaint")).await;
        let (_, enforcement_lead) = app.user_with_token(&admin, "sfj.lead", "lead", Some(&sfj), Some("enforcement")).await;
        let office = app.unit_named("区营商办").await.id.to_string();
        let (_, coordinator) = app.user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None).await;
        let (_, leader) = app.user_with_token(&admin, "qz.leader", "leader", None, None).await;
        let plan = |deadline: i64| json!({"action": "plan", "measures": "整改", "deadline": (today + Duration::days(deadline)).to_string()});

        // P1 a draft of yesterday; P2 filed, its issue planned for 3 days on; P3 returned.
        record(app, &clerk, &unit, "complaint", 1).await;
        let (p2, _) = record(app, &clerk, &unit, "complaint", 0).await;
        let filed = step(app, &clerk, "participations", &p2, json!({"action": "file"})).await;
        step(app, &clerk, "issues", &finding_issue(&filed), plan(3)).await;
        let (p3, _) = record(app, &clerk, &unit, "complaint", 5).await;
        step(app, &clerk, "participations", &p3, json!({"action": "file"})).await;
        step(app, &complaint_lead, "participations", &p3, json!({"action": "return", "reason": "补充工单号"})).await;
        // P4 accepted, its issue resolved (to close); P5 accepted, its issue closed (to re-check).
        for close in [false, true] {
            let (p, _) = record(app, &clerk, &unit, "complaint", 0).await;
            let filed = step(app, &clerk, "participations", &p, json!({"action": "file"})).await;
            step(app, &complaint_lead, "participations", &p, json!({"action": "accept"})).await;
            let issue = finding_issue(&filed);
            step(app, &clerk, "issues", &issue, plan(10)).await;
            step(app, &clerk, "issues", &issue, json!({"action": "resolve", "effect": "已处理"})).await;
            if close {
                step(app, &complaint_lead, "issues", &issue, json!({"action": "close"})).await;
            }
        }
        // A manual issue without activity, resolved: the coordinator closes it.
        let res = app.call(Method::POST, "/api/v1/issues", &clerk, Some(json!({"unit_id": unit, "kind": "demand", "description": "延时服务", "source_reason": "意见簿"}))).await;
        let manual = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        step(app, &clerk, "issues", &manual, plan(30)).await;
        step(app, &clerk, "issues", &manual, json!({"action": "resolve", "effect": "已试行"})).await;
        // A trigger for the unit; the enforcement lead department files its own record.
        let res = app.call(Method::POST, "/api/v1/triggers", &clerk, Some(json!({"unit_id": unit, "reason": "important_date", "description": "年底办件高峰"}))).await;
        assert_eq!(res.status, 201);
        let (e, _) = record(app, &enforcement_lead, &sfj, "enforcement", 0).await;
        step(app, &enforcement_lead, "participations", &e, json!({"action": "file"})).await;

        let s = |k: &str, d: Option<i64>| (k.to_owned(), d);
        let q_last = frontline::domain::calendar::Quarter::of(today);
        let list_due = (chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), q_last.last_month(), 20).unwrap() - today).num_days();
        let mut unit_expected = vec![
            s("correct_participation", Some(-2)),
            s("file_participation", Some(2)),
            s("issue_deadline", Some(3)),
            s("answer_trigger", Some(7)),
            s("send_issue_list", Some(list_due)),
        ];
        unit_expected.sort_by_key(|(k, d)| (*d, k.clone()));
        let mut got = todo(app, &clerk).await;
        got.sort_by_key(|(k, d)| (*d, k.clone()));
        assert_eq!(got, unit_expected);

        let lead = todo(app, &complaint_lead).await;
        let kinds: Vec<&str> = lead.iter().map(|(k, _)| k.as_str()).collect();
        let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
        assert_eq!((count("review_participation"), count("close_issue"), count("recheck_issue"), count("submit_report")), (1, 1, 1, 2), "{lead:?}");
        assert_eq!(lead.len(), 5, "a lead department without participation category has no unit items: {lead:?}");
        assert_eq!(lead.iter().find(|(k, _)| k == "recheck_issue").unwrap().1, Some(90));

        let coord = todo(app, &coordinator).await;
        assert_eq!(coord.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec!["review_participation", "close_issue"], "the lead department's own filing and the issue without activity");
        assert!(todo(app, &leader).await.is_empty());
        assert!(todo(app, &admin).await.is_empty());
        // Filing the draft takes it off the list.
        let drafts: Value = app.call(Method::GET, "/api/v1/participations?status=draft", &clerk, None).await.json();
        let draft = drafts["items"][0]["id"].as_str().unwrap().to_owned();
        step(app, &clerk, "participations", &draft, json!({"action": "file"})).await;
        assert!(!todo(app, &clerk).await.iter().any(|(k, _)| k == "file_participation"));
        let _ = enforcement_lead;
    }
}
