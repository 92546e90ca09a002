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

    async fn a_quarter_of_the_whole_district_adds_up_per_unit_and_per_lead(app: TestApp) {
        let admin = app.admin_token().await;
        let today = frontline::domain::calendar::local_date(Utc::now());
        let mut units: Vec<frontline::domain::unit::Unit> = app.all_units("").await.into_iter().filter(|u| !u.categories.is_empty()).collect();
        units.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(units.len(), 43, "every unit of Annex 1");
        let office = app.unit_named("区营商办").await.id.to_string();
        let (_, coordinator) = app.user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None).await;
        let sfj = app.unit_named("区司法局").await.id.to_string();
        let rx = app.unit_named("区12345市民热线服务中心").await.id.to_string();
        let (_, enforcement_lead) = app.user_with_token(&admin, "sfj.lead", "lead", Some(&sfj), Some("enforcement")).await;
        let (_, complaint_lead) = app.user_with_token(&admin, "rx.lead", "lead", Some(&rx), Some("complaint")).await;
        // What each unit should add up to, counted here as the records are made.
        #[derive(Default, Clone, Debug, PartialEq)]
        struct Count { accepted: u32, deputy: u32, people: u64, enforcement: u32, problems: u32, resolved: u32, closed: u32 }
        let mut expected: std::collections::HashMap<String, Count> = Default::default();
        let mut by_activity: std::collections::HashMap<&str, Count> = Default::default();
        let mut made = 0;
        for (i, u) in units.iter().enumerate() {
            let id = u.id.to_string();
            let delegates = i % 5 == 0;
            let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{id}"), &admin, &[("if-match", "*")],
                Some(json!({"head": {"name": format!("一把手{i}")}, "deputies": [{"name": "副职甲"}], "delegation_allowed": delegates}))).await;
            assert_eq!(res.status, 200, "{}", res.text());
            let (_, clerk) = app.user_with_token(&admin, &format!("d.clerk{i}"), "unit", Some(&id), None).await;
            for j in 0..(i % 4 + 5) {
                let enforcement = (i + j) % 2 == 0;
                let activity = if enforcement { "enforcement" } else { "complaint" };
                let deputy = delegates && j % 3 == 0;
                let people = (j + i % 5) as u32;
                let body = json!({"unit_id": id, "activity": activity, "mode": "regular", "activity_on": (today - Duration::days(((i + j) % 20) as i64)).to_string(),
                    "place": "现场", "participant": if deputy { json!({"kind": "deputy", "name": "副职甲"}) } else { json!({"kind": "head"}) },
                    "people_received": people, "segments": if enforcement { enforcement_segments() } else { complaint_segments() }});
                let res = app.call(Method::POST, "/api/v1/participations", &clerk, Some(body)).await;
                assert_eq!(res.status, 201, "{}", res.text());
                let p = res.json::<Value>()["id"].as_str().unwrap().to_owned();
                let path = format!("/api/v1/participations/{p}/transitions");
                let filed: Value = app.call(Method::POST, &path, &clerk, Some(json!({"action": "file"}))).await.json();
                made += 1;
                let c = expected.entry(id.clone()).or_default();
                if !enforcement {
                    c.problems += 1;
                    by_activity.entry("complaint").or_default().problems += 1;
                }
                if (i + j) % 4 == 3 {
                    continue; // filed, not accepted: not counted
                }
                let reviewer = match (enforcement, id == sfj) {
                    (true, true) => &coordinator,
                    (true, false) => &enforcement_lead,
                    (false, _) => &complaint_lead,
                };
                assert_eq!(app.call(Method::POST, &path, reviewer, Some(json!({"action": "accept"}))).await.status, 200);
                for c in [expected.get_mut(&id).unwrap(), by_activity.entry(activity).or_default()] {
                    c.accepted += 1;
                    c.deputy += u32::from(deputy);
                    c.people += u64::from(people);
                    c.enforcement += u32::from(enforcement);
                }
                if !enforcement && (i + j) % 3 == 0 {
                    let issue = filed["segments"][2]["findings"][0]["issue_id"].as_str().unwrap().to_owned();
                    let ipath = format!("/api/v1/issues/{issue}/transitions");
                    let plan = json!({"action": "plan", "measures": "整改", "deadline": (today + Duration::days(5)).to_string()});
                    assert_eq!(app.call(Method::POST, &ipath, &clerk, Some(plan)).await.status, 200);
                    assert_eq!(app.call(Method::POST, &ipath, &clerk, Some(json!({"action": "resolve", "effect": "完成"}))).await.status, 200);
                    let close = j % 2 == 0;
                    if close {
                        assert_eq!(app.call(Method::POST, &ipath, &complaint_lead, Some(json!({"action": "close"}))).await.status, 200);
                    }
                    for c in [expected.get_mut(&id).unwrap(), by_activity.entry("complaint").or_default()] {
                        c.resolved += 1;
                        c.closed += u32::from(close);
                    }
                }
            }
        }
        assert!(made >= 250, "{made} participations");
        let period = format!("{}..{}", today - Duration::days(25), today);
        let figures = |f: &frontline::domain::stats::Figures| Count {
            accepted: f.participations, deputy: f.by_deputy, people: f.people_received, enforcement: f.enforcement_participations,
            problems: f.problems_found, resolved: f.resolved, closed: f.closed,
        };
        let stats: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}&group_by=unit"), &coordinator, None).await.json();
        for (unit, want) in &expected {
            let got = stats.groups.iter().find(|g| &g.key == unit).map(|g| figures(&g.figures)).unwrap_or_default();
            assert_eq!(&got, want, "unit {unit}");
        }
        assert_eq!(stats.groups.len(), expected.len());
        let by_lead: Stats = app.call(Method::GET, &format!("/api/v1/stats?period={period}&group_by=lead"), &coordinator, None).await.json();
        for (lead_unit, activity) in [(&sfj, "enforcement"), (&rx, "complaint")] {
            let got = by_lead.groups.iter().find(|g| &g.key == lead_unit).map(|g| figures(&g.figures)).unwrap();
            assert_eq!(got, by_activity[activity], "{activity}");
        }
        let total = figures(&stats.total);
        assert_eq!(total.accepted, by_activity.values().map(|c| c.accepted).sum::<u32>());
    }
}
