//! Statistics: a deterministic fixture of accepted participations and ledger steps, whose
//! figures are counted independently here and compared per unit, per lead department and for
//! each role's view.

mod common;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use common::{complaint_segments, enforcement_segments};
use frontline::api::stats::Stats;
use serde_json::{json, Value};

struct Planned {
    unit: usize,
    enforcement: bool,
    deputy: bool,
    people: u32,
    back: i64,
    fix: bool,
}

fn plan() -> Vec<Planned> {
    (0..9)
        .map(|i| Planned {
            unit: i % 2,
            enforcement: i % 3 == 0,
            deputy: i % 2 == 0 && i % 4 == 0,
            people: i as u32 * 3 + 1,
            back: if i == 8 { 20 } else { i as i64 },
            fix: i % 2 == 1,
        })
        .collect()
}

both_backends! {
    async fn figures_match_an_independent_count_per_unit_lead_and_role(app: TestApp) {
        let admin = app.admin_token().await;
        let names = ["区市场监管局", "区档案馆"];
        let mut units = Vec::new();
        let mut clerks = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let id = app.unit_named(name).await.id.to_string();
            let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{id}"), &admin, &[("if-match", "*")],
                Some(json!({"head": {"name": format!("一把手{i}"), "title": "局长"}, "deputies": [{"name": "李明", "title": "副局长"}], "delegation_allowed": true}))).await;
            assert_eq!(res.status, 200, "{}", res.text());
            clerks.push(app.user_with_token(&admin, &format!("clerk{i}"), "unit", Some(&id), None).await.1);
            units.push(id);
        }
        let mut leads = Vec::new();
        let mut lead_units = Vec::new();
        for (name, user, activity) in [("区司法局", "sfj.lead", "enforcement"), ("区12345市民热线服务中心", "rx.lead", "complaint")] {
            let id = app.unit_named(name).await.id.to_string();
            leads.push(app.user_with_token(&admin, user, "lead", Some(&id), Some(activity)).await.1);
            lead_units.push(id);
        }
        let office = app.unit_named("区营商办").await.id.to_string();
        let (_, coordinator) = app.user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None).await;
        let today = frontline::domain::calendar::local_date(Utc::now());
        for p in plan() {
            let activity = if p.enforcement { "enforcement" } else { "complaint" };
            let segments = if p.enforcement { enforcement_segments() } else { complaint_segments() };
            let participant = if p.deputy { json!({"kind": "deputy", "name": "李明"}) } else { json!({"kind": "head"}) };
            let body = json!({"unit_id": units[p.unit], "activity": activity, "mode": "regular", "activity_on": (today - Duration::days(p.back)).to_string(),
                "place": "现场", "participant": participant, "people_received": p.people, "summary": format!("参与{activity}"), "segments": segments});
            let res = app.call(Method::POST, "/api/v1/participations", &clerks[p.unit], Some(body)).await;
            assert_eq!(res.status, 201, "{}", res.text());
            let id = res.json::<Value>()["id"].as_str().unwrap().to_owned();
            let path = format!("/api/v1/participations/{id}/transitions");
            assert_eq!(app.call(Method::POST, &path, &clerks[p.unit], Some(json!({"action": "file"}))).await.status, 200);
            let lead = &leads[if p.enforcement { 0 } else { 1 }];
            assert_eq!(app.call(Method::POST, &path, lead, Some(json!({"action": "accept"}))).await.status, 200);
            if !p.enforcement && p.fix {
                // The complaint's finding is planned, resolved and closed by the complaint lead.
                let got: Value = app.call(Method::GET, &format!("/api/v1/participations/{id}"), &clerks[p.unit], None).await.json();
                let issue = got["segments"][2]["findings"][0]["issue_id"].as_str().unwrap().to_owned();
                let ipath = format!("/api/v1/issues/{issue}/transitions");
                for (token, body) in [
                    (&clerks[p.unit], json!({"action": "plan", "measures": "复查", "deadline": today.to_string()})),
                    (&clerks[p.unit], json!({"action": "resolve", "effect": "已验收"})),
                    (lead, json!({"action": "close"})),
                ] {
                    let res = app.call(Method::POST, &ipath, token, Some(body)).await;
                    assert_eq!(res.status, 200, "{}", res.text());
                }
            }
        }
        // Independently: the period holds the first eight (the ninth is 20 days back).
        let period = format!("{}..{}", today - Duration::days(10), today);
        let in_period: Vec<Planned> = plan().into_iter().filter(|p| p.back <= 10).collect();
        let stats: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}&group_by=unit"), &coordinator, None).await.json();
        assert_eq!(stats.as_of, today);
        for (u, unit) in units.iter().enumerate() {
            let mine: Vec<&Planned> = in_period.iter().filter(|p| p.unit == u).collect();
            let g = &stats.groups.iter().find(|g| &g.key == unit).unwrap().figures;
            assert_eq!(g.participations as usize, mine.len());
            assert_eq!(g.by_deputy as usize, mine.iter().filter(|p| p.deputy).count());
            assert_eq!(g.people_received, mine.iter().map(|p| u64::from(p.people)).sum::<u64>());
            assert_eq!(g.enforcement_participations as usize, mine.iter().filter(|p| p.enforcement).count());
            assert_eq!(g.problems_found as usize, mine.iter().filter(|p| !p.enforcement).count(), "one finding per complaint record");
            let fixed = plan().into_iter().filter(|p| p.unit == u && !p.enforcement && p.fix).count();
            assert_eq!((g.resolved as usize, g.closed as usize), (fixed, fixed), "steps taken today, inside the period");
            assert_eq!(g.overdue, 0);
        }
        assert_eq!(stats.total.participations as usize, in_period.len());
        assert_eq!(stats.groups.iter().find(|g| g.key == units[0]).unwrap().name, "区市场监管局");
        let by_lead: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}&group_by=lead"), &coordinator, None).await.json();
        let lead_group = |i: usize| &by_lead.groups.iter().find(|g| g.key == lead_units[i]).unwrap().figures;
        assert_eq!(lead_group(0).participations as usize, in_period.iter().filter(|p| p.enforcement).count());
        assert_eq!(lead_group(1).participations as usize, in_period.iter().filter(|p| !p.enforcement).count());
        assert_eq!(lead_group(0).enforcement_content.len(), lead_group(0).participations as usize);
        // Each role within its view: a unit its own, a lead its activity.
        let own: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}"), &clerks[1], None).await.json();
        assert_eq!(own.groups.iter().map(|g| g.key.clone()).collect::<Vec<_>>(), vec![units[1].clone()]);
        let theirs: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}&group_by=activity"), &leads[0], None).await.json();
        assert_eq!(theirs.groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), vec!["enforcement"]);
        // The period is required and checked.
        for bad in ["", "?period=2026-13", "?period=2026-01-01..2027-06-01", "?period=2026-Q3&group_by=street"] {
            assert_eq!(app.call(Method::GET, &format!("/api/v1/stats{bad}"), &coordinator, None).await.status, 400, "{bad}");
        }
    }
}
