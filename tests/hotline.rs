//! The 12345 hotline through the HTTP API: imports (CSV in UTF-8 and GB18030, JSON), re-imports
//! that change nothing, rows refused with reasons, unmatched names, aliases; the ranking and
//! the concentration list against numbers computed here; the frozen list in R1; a planted spike
//! recording exactly one trigger and a flat series none; the figures for the complaint analysis.

mod common;

use std::collections::BTreeMap;

use actix_web::http::Method;
use chrono::{Duration, NaiveDate, Utc};
use common::TestApp;
use frontline::api::hotline::{ConcentrationList, HotlineStats, Ranking};
use frontline::api::hotline_import::WorkOrderImport;
use frontline::domain::calendar::{local_date, Quarter};
use serde_json::{json, Value};

async fn coordinator(app: &TestApp) -> (String, String) {
    let admin = app.admin_token().await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, token) = app
        .user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    (admin, token)
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> WorkOrderImport {
    let res = app
        .send(
            Method::POST,
            "/api/v1/hotline/work-orders:import",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("content-type", content_type),
            ],
            Some(body),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// One planned order: unit name, category, local date received, status, on time, due, rating.
struct Planned {
    unit: &'static str,
    category: &'static str,
    on: NaiveDate,
    closed: Option<bool>,
    due: NaiveDate,
    rating: Option<&'static str>,
}

fn csv_of(orders: &[Planned]) -> String {
    let mut out = String::from("工单编号,受理时间,承办单位,诉求类别,办理状态,办结时间,办理时限,是否按时办结,满意度,诉求内容,联系电话\n");
    for (i, o) in orders.iter().enumerate() {
        let status = if o.closed.is_some() {
            "已办结"
        } else {
            "办理中"
        };
        let closed_at = if o.closed.is_some() {
            format!("{} 18:00:00", o.on)
        } else {
            String::new()
        };
        let on_time = match o.closed {
            Some(true) => "是",
            Some(false) => "否",
            None => "",
        };
        out.push_str(&format!(
            "GD{i:05},{} 09:30:00,{},{},{status},{closed_at},{},{on_time},{},市民13912345678反映第{i}件,13912345678\n",
            o.on,
            o.unit,
            o.category,
            o.due,
            o.rating.unwrap_or("")
        ));
    }
    out
}

both_backends! {
    async fn imports_are_idempotent_report_bad_rows_and_keep_no_phone(app: TestApp) {
        let (admin, token) = coordinator(app).await;
        let day = local_date(Utc::now()) - Duration::days(30);
        let text = format!(
            "工单编号,受理时间,承办单位,诉求类别,办理状态,姓名,联系电话,诉求内容\n\
             A1,{day} 09:30:00,区城管执法局,噪音,办理中,张三,13912345678,夜间施工噪音 电话13912345678\n\
             A2,{day} 10:00:00,碑林城管,噪音,已办结,李四,13800001111,占道经营\n\
             A3,{day} 11:00:00,区城管执法局,噪音,待定,,,\n\
             A4,明天,区城管执法局,,办理中,,,\n"
        );
        let report = import(app, &token, "text/csv", text.clone().into_bytes()).await;
        assert_eq!((report.rows, report.created, report.rejected), (4, 1, 3), "{report:?}");
        assert_eq!(report.unmatched_units.len(), 1);
        assert_eq!(report.unmatched_units[0].name, "碑林城管");
        let a4 = report.rejected_rows.iter().find(|r| r.external_id.as_deref() == Some("A4")).unwrap();
        let fields: Vec<&str> = a4.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"received_at") && fields.contains(&"category"), "{fields:?}");
        let a3 = report.rejected_rows.iter().find(|r| r.external_id.as_deref() == Some("A3")).unwrap();
        assert_eq!(a3.errors[0].code, "invalid_enum");
        assert_eq!(a3.line, 4);
        // An alias, then the same file in GB18030: the alias matches, nothing is duplicated.
        let unit = app.unit_named("区城管执法局").await.id.to_string();
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/aliases"), &admin, Some(json!({"alias": "碑林城管"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/aliases"), &admin, Some(json!({"alias": "碑林城管"}))).await;
        assert_eq!(res.status, 409);
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/aliases"), &admin, Some(json!({"alias": "区档案馆"}))).await;
        assert_eq!(res.status, 409, "another unit's name");
        let aliases: Value = app.call(Method::GET, &format!("/api/v1/units/{unit}/aliases"), &token, None).await.json();
        assert_eq!(aliases["items"][0]["alias"], "碑林城管");
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        let report = import(app, &token, "text/csv", gb.into_owned()).await;
        assert_eq!((report.created, report.unchanged, report.rejected), (1, 1, 2), "{report:?}");
        let report = import(app, &token, "text/csv; charset=utf-8", format!("\u{feff}{text}").into_bytes()).await;
        assert_eq!((report.created, report.unchanged, report.updated), (0, 2, 0), "a BOM reads alike");
        // JSON: a change updates, a new id creates.
        let body = json!([
            {"external_id": "A1", "received_at": format!("{day} 09:30:00"), "unit": "区城管执法局", "category": "噪音", "status": "closed", "closed_at": format!("{day} 17:00:00"), "on_time": true, "satisfaction": "满意", "phone": "13912345678", "summary": "夜间施工噪音 电话13912345678"},
            {"external_id": "A9", "received_at": format!("{day}T01:00:00Z"), "unit": "区城管执法局", "category": "油烟", "status": "open"}
        ]);
        let report = import(app, &token, "application/json", serde_json::to_vec(&body).unwrap()).await;
        assert_eq!((report.created, report.updated, report.rejected), (1, 1, 0), "{report:?}");
        // Nothing stored holds the phone number in full.
        let period = format!("{}..{}", day, day);
        let res = app.call(Method::GET, &format!("/api/v1/hotline/stats?unit_id={unit}&period={period}"), &token, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(common::mobile_numbers(&res.body).is_empty(), "{}", res.text());
        let stats: HotlineStats = res.json();
        assert_eq!(stats.total, 3);
        assert!(stats.typical_cases.iter().any(|c| c.summary.as_deref() == Some("夜间施工噪音 电话139****5678")), "{:?}", stats.typical_cases);
        let dump = format!("{:?}", frontline::store::hotline::between(&mut app.db(), day - Duration::days(1), day + Duration::days(1), None).unwrap());
        assert!(!dump.contains("13912345678") && !dump.contains("张三"), "{dump}");
        assert_eq!(app.last_audit().action, "work_order.import");
        // A shifted row, a far-future or ancient time and a dateless closed order.
        let odd = format!(
            "工单编号,受理时间,承办单位,诉求类别,办理状态,办结时间,办理时限,诉求内容\n\
             B1,{day} 09:30:00,区城管执法局,噪音,办理中,,,张三,13912345678\n\
             B2,+262143-12-31 09:30:00,区城管执法局,噪音,办理中,,,\n\
             B3,1900-01-01 09:30:00,区城管执法局,噪音,办理中,,,\n\
             B4,{day} 09:30:00,区城管执法局,噪音,已办结,{day} 17:00:00,{day},\n\
             B5,{day} 09:30:00,区城管执法局,噪音,已办结,{} 17:00:00,{day},\n",
            day + Duration::days(1)
        );
        let report = import(app, &token, "text/csv", odd.into_bytes()).await;
        assert_eq!((report.created, report.rejected), (2, 3), "{report:?}");
        let codes: Vec<&str> = report.rejected_rows.iter().flat_map(|r| r.errors.iter().map(|e| e.code.as_str())).collect();
        assert_eq!(codes, vec!["row_width", "invalid_time", "invalid_time"]);
        assert!(!format!("{report:?}").contains("13912345678"));
        let stats: HotlineStats = app.call(Method::GET, &format!("/api/v1/hotline/stats?unit_id={unit}&period={period}"), &token, None).await.json();
        assert_eq!(stats.total, 5);
        let ranking: Ranking = app.call(Method::GET, &format!("/api/v1/hotline/ranking?period={period}"), &token, None).await.json();
        let line = ranking.units.iter().find(|r| r.unit_id == unit).unwrap();
        // On time: A1 by its flag, B4 by its dates. Late: B5 by its dates, and A2, closed with
        // neither a flag nor a closing time. A9 is open and was due 15 days after day 30 ago.
        assert_eq!((line.closed_on_time, line.closed_late, line.open_overdue, line.open_in_time), (2, 2, 1, 0), "{line:?}");
        assert_eq!(line.on_time_rate, Some(2.0 / 5.0));
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import", &[("authorization", &format!("Bearer {token}")), ("content-type", "text/csv")], Some("工单编号,external_id,承办单位\nC1,C2,区档案馆\n".as_bytes().to_vec())).await;
        assert_eq!(res.status, 422, "two columns for one field: {}", res.text());
        // Refused files.
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import", &[("authorization", &format!("Bearer {token}")), ("content-type", "text/csv")], Some(b"a,b\n1,2\n".to_vec())).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import", &[("authorization", &format!("Bearer {token}")), ("content-type", "text/plain")], Some(b"x".to_vec())).await;
        assert_eq!(res.status, 415);
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import", &[("authorization", &format!("Bearer {token}")), ("content-type", "application/json")], Some(b"[]".to_vec())).await;
        assert_eq!(res.status, 422);
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import", &[("authorization", &format!("Bearer {token}")), ("content-type", "application/json")], Some(b"[{\"external_id\": ".to_vec())).await;
        assert_eq!(res.status, 400, "{}", res.text());
        let res = app.call(Method::GET, &format!("/api/v1/hotline/stats?unit_id={unit}&period=nope"), &token, None).await;
        assert_eq!(res.status, 400);
    }

    async fn the_ranking_and_the_concentration_list_match_an_independent_count(app: TestApp) {
        let (admin, token) = coordinator(app).await;
        let q = Quarter::of(local_date(Utc::now())).prev();
        let first = q.first_day();
        let units = ["区城管执法局", "区市场监管局", "区住建局", "区档案馆", "区税务局"];
        let mut orders = Vec::new();
        // A deterministic spread: unit i gets 40 - 7 i orders; statuses and ratings cycle.
        for (i, unit) in units.iter().enumerate() {
            for k in 0..(40 - 7 * i) {
                let on = first + Duration::days(((k * 5 + i) % 85) as i64);
                orders.push(Planned {
                    unit,
                    category: ["噪音", "物业", "占道"][k % 3],
                    on,
                    closed: match k % 4 { 0 => Some(true), 1 => Some(false), _ => None },
                    due: if k % 4 == 2 { q.last_day() } else { on + Duration::days(3) },
                    rating: [Some("满意"), Some("不满意"), None, Some("基本满意"), Some("非常不满意")][k % 5],
                });
            }
        }
        let report = import(app, &token, "text/csv", csv_of(&orders).into_bytes()).await;
        assert_eq!((report.created, report.rejected), (orders.len() as u32, 0), "{report:?}");
        let ranking: Ranking = app.call(Method::GET, &format!("/api/v1/hotline/ranking?period={q}"), &token, None).await.json();
        assert_eq!(ranking.total as usize, orders.len());
        // The expectation: statuses are today's, so an open order is overdue when due before
        // today (every one of a past quarter).
        let today = local_date(Utc::now());
        let total = orders.len() as f64;
        for (i, unit) in units.iter().enumerate() {
            let mine: Vec<&Planned> = orders.iter().filter(|o| o.unit == *unit).collect();
            let line = ranking.units.iter().find(|r| r.unit_name == *unit).unwrap();
            assert_eq!(line.count as usize, mine.len());
            assert_eq!(line.rank as usize, i + 1);
            assert!((line.share - mine.len() as f64 / total).abs() < 1e-9);
            let on_time = mine.iter().filter(|o| o.closed == Some(true)).count() as f64;
            let closed = mine.iter().filter(|o| o.closed.is_some()).count() as f64;
            let overdue = mine.iter().filter(|o| o.closed.is_none() && o.due < today).count() as f64;
            assert!((line.on_time_rate.unwrap() - on_time / (closed + overdue)).abs() < 1e-9, "{unit}");
            let rated = mine.iter().filter(|o| o.rating.is_some()).count() as f64;
            let satisfied = mine.iter().filter(|o| matches!(o.rating, Some("满意" | "基本满意" | "非常满意"))).count() as f64;
            assert!((line.satisfaction_rate.unwrap() - satisfied / rated).abs() < 1e-9, "{unit}");
            let mut cats: BTreeMap<String, u32> = BTreeMap::new();
            for o in &mine {
                *cats.entry(o.category.to_owned()).or_default() += 1;
            }
            assert_eq!(line.by_category, cats);
        }
        // Default rule: share ≥ 5% or within the top 5: 40, 33, 26, 19, 12 of 130 → all five.
        let expected: Vec<String> = ranking.units.iter().filter(|r| r.count as f64 / total >= 0.05 || r.rank <= 5).map(|r| r.unit_id.clone()).collect();
        assert_eq!(ranking.concentrated, expected);
        // A list is frozen from an ended period, before its quarter ends.
        let current = Quarter::of(local_date(Utc::now()));
        for (body, field) in [
            (json!({"quarter": q.to_string(), "period": q.to_string()}), "quarter"),
            (json!({"quarter": current.to_string(), "period": current.to_string()}), "period"),
            (json!({"quarter": "2026-Q9"}), "quarter"),
        ] {
            let res = app.call(Method::POST, "/api/v1/hotline/concentration-lists", &token, Some(body.clone())).await;
            assert_eq!(res.status, 422, "{body}");
            assert!(res.problem().errors.unwrap().iter().any(|e| e.field == field), "{body}");
        }
        // Frozen for the running quarter: R1 requires COMPLAINT of the listed units in it.
        let res = app.call(Method::POST, "/api/v1/hotline/concentration-lists", &token, Some(json!({"quarter": current.to_string()}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let list: ConcentrationList = res.json();
        assert_eq!(list.unit_ids, expected, "by default the quarter before is ranked");
        assert_eq!(list.period, q.to_string());
        let res = app.call(Method::POST, "/api/v1/compliance-checks", &token, Some(json!({"period": current.to_string()}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let check: Value = res.json();
        for u in &expected {
            let progress = check["progress"].as_array().unwrap().iter().find(|p| p["unit_id"] == u.as_str()).expect("progress of a listed unit");
            assert!(progress["r1_missing"].as_array().unwrap().contains(&json!("complaint")), "{progress}");
        }
        // Frozen for the next quarter too: its COMPLAINT plan must then cover the listed units.
        let next = Quarter::of(local_date(Utc::now())).next();
        let res = app.call(Method::POST, "/api/v1/hotline/concentration-lists", &token, Some(json!({"quarter": next.to_string(), "period": q.to_string()}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let center = app.unit_named("区12345市民热线服务中心").await.id.to_string();
        let (_, complaint_lead) = app.user_with_token(&admin, "rx.lead", "lead", Some(&center), Some("complaint")).await;
        let res = app.call(Method::POST, "/api/v1/schedules", &complaint_lead, Some(json!({"activity": "complaint", "quarter": next.to_string(), "title": "处投诉活动计划"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let schedule = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        let res = app.call(Method::POST, &format!("/api/v1/schedules/{schedule}/transitions"), &complaint_lead, Some(json!({"action": "submit"}))).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let missing: Vec<String> = res.problem().errors.unwrap().into_iter().filter(|e| e.code == "required_unit_missing").map(|e| e.field).collect();
        for u in &expected {
            assert!(missing.contains(&format!("missing_units.{u}")), "the plan must cover {u}: {missing:?}");
        }

        // A unit account sees its own line only.
        let archive = app.unit_named("区档案馆").await.id.to_string();
        let (_, clerk) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&archive), None).await;
        let own: Ranking = app.call(Method::GET, &format!("/api/v1/hotline/ranking?period={q}"), &clerk, None).await.json();
        assert_eq!(own.units.len(), 1);
        assert_eq!(own.units[0].unit_id, archive);
        let lists: Value = app.call(Method::GET, &format!("/api/v1/hotline/concentration-lists?quarter={current}"), &clerk, None).await.json();
        assert_eq!(lists["items"][0]["unit_ids"].as_array().unwrap().len(), 5);
        assert_eq!(lists["items"][0]["ranking"]["units"].as_array().unwrap().len(), 1);
        let res = app.call(Method::GET, &format!("/api/v1/hotline/stats?unit_id={}&period={q}", expected[0]), &clerk, None).await;
        assert_eq!(res.status, 403);
        let stats: HotlineStats = app.call(Method::GET, &format!("/api/v1/hotline/stats?unit_id={}&period={q}", expected[0]), &token, None).await.json();
        assert_eq!(stats.total, 40);
        assert_eq!(stats.by_category.iter().map(|c| c.count).sum::<u32>(), 40);
        assert_eq!(stats.by_month.values().flat_map(|m| m.values()).sum::<u32>(), 40);
        assert_eq!(stats.typical_cases.len(), 15, "five of each of the three categories");
    }

    async fn a_planted_spike_records_exactly_one_trigger_and_a_flat_series_none(app: TestApp) {
        let (_, token) = coordinator(app).await;
        let today = local_date(Utc::now());
        let mut orders = Vec::new();
        // Eight weeks of 3 a week, then 12 in the last 7 days, for the spiking unit; the flat
        // unit has 12 every week.
        for week in 0..9i64 {
            for (unit, n) in [("区城管执法局", if week == 0 { 12 } else { 3 }), ("区住建局", 12)] {
                for k in 0..n {
                    let on = today - Duration::days(week * 7 + (k % 7));
                    orders.push(Planned { unit, category: "噪音", on, closed: None, due: on + Duration::days(15), rating: None });
                }
            }
        }
        let report = import(app, &token, "text/csv", csv_of(&orders).into_bytes()).await;
        assert_eq!(report.rejected, 0, "{report:?}");
        assert_eq!(report.spikes.len(), 1, "{:?}", report.spikes);
        let spike = &report.spikes[0];
        let unit = app.unit_named("区城管执法局").await.id.to_string();
        assert_eq!((spike.spike.unit_id.as_str(), spike.spike.category.as_str(), spike.spike.count), (unit.as_str(), "噪音", 12));
        assert_eq!(spike.spike.baseline, vec![3; 8]);
        assert_eq!(spike.spike.window_to, today);
        let triggers: Value = app.call(Method::GET, &format!("/api/v1/triggers?unit_id={unit}"), &token, None).await.json();
        let items = triggers["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], spike.trigger_id.as_str());
        assert_eq!(items[0]["reason"], "complaint_spike");
        assert!(items[0]["description"].as_str().unwrap().contains("12"));
        // Again: the same file and an explicit scan record nothing new.
        let again = import(app, &token, "text/csv", csv_of(&orders).into_bytes()).await;
        assert_eq!((again.unchanged as usize, again.spikes.len()), (orders.len(), 0));
        let res = app.call(Method::POST, "/api/v1/hotline/spike-scan", &token, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json::<Value>()["spikes"].as_array().unwrap().len(), 0);
        let listed: Value = app.call(Method::GET, "/api/v1/hotline/spikes", &token, None).await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed["items"][0]["trigger_id"], spike.trigger_id.as_str());
        assert_eq!(listed["items"][0]["baseline_mean"], 3.0);
        let res = app.send(Method::POST, "/api/v1/hotline/work-orders:import?source=12345%E7%83%AD%E7%BA%BF", &[("authorization", &format!("Bearer {token}")), ("content-type", "text/csv")], Some(csv_of(&orders).into_bytes())).await;
        assert_eq!(res.status, 400, "an unknown source would duplicate every order: {}", res.text());
        let flat = app.unit_named("区住建局").await.id.to_string();
        let triggers: Value = app.call(Method::GET, &format!("/api/v1/triggers?unit_id={flat}"), &token, None).await.json();
        assert!(triggers["items"].as_array().unwrap().is_empty());
    }
}
