//! Random draws: counts by the plan, populations snapshotted, seeds recorded, results that
//! re-run the same anywhere, and never replaced.

mod common;

use actix_web::http::Method;
use common::TestApp;
use frontline::api::draws::{Draw, DrawList, DrawVerification};

async fn setup(app: &TestApp, matters: usize) -> (String, String) {
    let admin = app.admin_token().await;
    let unit = app.unit_named("区档案馆").await.id.to_string();
    let (_, token) = app
        .user_with_token(&admin, "dag.clerk", "unit", Some(&unit), None)
        .await;
    for i in 0..matters {
        let kind = if i % 3 == 2 {
            "enforcement"
        } else {
            "approval"
        };
        let res = app
            .call(
                Method::POST,
                &format!("/api/v1/units/{unit}/matters"),
                &token,
                Some(serde_json::json!({"kind": kind, "name": format!("事项{i}")})),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    (unit, token)
}

both_backends! {
    async fn a_draw_snapshots_its_population_and_still_verifies_after_it_changes(app: TestApp) {
        let (unit, token) = setup(app, 6).await;
        let res = app.call(Method::POST, "/api/v1/draws", &token, Some(serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 3}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let d: Draw = res.json();
        assert_eq!(d.population.len(), 4, "only the active approval and public-service matters");
        assert_eq!(d.result.len(), 3);
        assert_eq!(d.seed_source, "os");
        assert_eq!(d.seed.len(), 64);
        assert_eq!(d.algorithm, "sha256-ctr-fisher-yates-v1");
        assert!(d.result.iter().all(|id| d.population.contains(id)));
        // The catalogue changes afterwards: the draw still verifies against its snapshot.
        let m = &d.result[0];
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{unit}/matters/{m}"), &token, &[("if-match", "*")], Some(serde_json::json!({"active": false}))).await;
        assert_eq!(res.status, 200);
        app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &token, Some(serde_json::json!({"kind": "approval", "name": "新事项"}))).await;
        let v: DrawVerification = app.call(Method::GET, &format!("/api/v1/draws/{}/verify", d.id), &token, None).await.json();
        assert!(v.verified && v.population_hash_matches && v.result_matches);
        assert_eq!(v.recomputed, d.result);
        // A second draw for the same purpose is stored beside the first.
        let second: Draw = app.call(Method::POST, "/api/v1/draws", &token, Some(serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 2}))).await.json();
        let list: DrawList = app.call(Method::GET, &format!("/api/v1/draws?unit_id={unit}&purpose=inspection_matters"), &token, None).await.json();
        assert_eq!(list.items.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), vec![d.id.clone(), second.id]);
        // Stored draws cannot be rewritten, even with SQL.
        use diesel::connection::SimpleConnection;
        assert!(app.db().batch_execute("UPDATE draws SET result = '[]'").is_err());
        assert!(app.db().batch_execute("DELETE FROM draws").is_err());
    }

    async fn counts_outside_the_plan_and_short_populations_are_refused(app: TestApp) {
        let (unit, token) = setup(app, 3).await;
        let cases = [
            (serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 1}), "count", "out_of_range"),
            (serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 4}), "count", "out_of_range"),
            (serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 3}), "count", "population_too_small"),
            (serde_json::json!({"purpose": "follow_up_contacts", "unit_id": unit, "count": 2}), "count", "out_of_range"),
            (serde_json::json!({"purpose": "follow_up_contacts", "unit_id": unit}), "count", "population_too_small"),
            (serde_json::json!({"purpose": "inspection_matters"}), "unit_id", "required"),
            (serde_json::json!({"purpose": "inspection_targets"}), "targets", "required"),
            (serde_json::json!({"purpose": "inspection_targets", "targets": ["a"], "count": 2}), "count", "population_too_small"),
            (serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "seed": ""}), "seed", "length"),
            (serde_json::json!({"purpose": "follow_up_contacts", "unit_id": unit, "reference_date": "-9999-06-01"}), "reference_date", "invalid_date"),
        ];
        for (body, field, code) in cases {
            let res = app.call(Method::POST, "/api/v1/draws", &token, Some(body.clone())).await;
            assert_eq!(res.status, if field == "targets" || body["purpose"] == "inspection_targets" { 403 } else { 422 }, "{body}: {}", res.text());
            if res.status == 422 {
                let e = &res.problem().errors.unwrap()[0];
                assert_eq!((e.field.as_str(), e.code.as_str()), (field, code), "{body}");
            }
        }
        let list: DrawList = app.call(Method::GET, "/api/v1/draws", &token, None).await.json();
        assert!(list.items.is_empty(), "no refused draw is stored");
    }

    async fn follow_up_contacts_come_from_the_three_months_before_the_date(app: TestApp) {
        let (unit, token) = setup(app, 0).await;
        app.allow_phones_for(&token);
        // 2026-05-31 minus 3 months is 2026-02-28: records from then to 05-31 count.
        let rows = [("2026-02-27", "13700000001"), ("2026-02-28", "13700000002"), ("2026-04-01", "13700000003"), ("2026-05-31", "13700000004"), ("2026-05-30", "")];
        for (date, phone) in rows {
            let mut body = serde_json::json!({"served_on": date, "kind": "application"});
            if !phone.is_empty() {
                body["phone"] = phone.into();
            }
            assert_eq!(app.call(Method::POST, &format!("/api/v1/units/{unit}/service-records"), &token, Some(body)).await.status, 201);
        }
        // The drawn unit may not choose the seed: it could search for the result it wants.
        let res = app.call(Method::POST, "/api/v1/draws", &token, Some(serde_json::json!({"purpose": "follow_up_contacts", "unit_id": unit, "reference_date": "2026-05-31", "count": 3, "seed": "x"}))).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].code, "not_allowed");
        let res = app.call(Method::POST, "/api/v1/draws", &token, Some(serde_json::json!({"purpose": "follow_up_contacts", "unit_id": unit, "reference_date": "2026-05-31", "count": 3}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let d: Draw = res.json();
        assert_eq!(d.population.len(), 3, "02-28, 04-01 and 05-31 with a phone");
        assert_eq!(d.reference_date.map(|x| x.to_string()).as_deref(), Some("2026-05-31"));
        assert!(!res.text().contains("1370000000"), "a draw holds record ids, not phones");
    }

    async fn a_given_seed_gives_the_same_result_on_every_backend(app: TestApp) {
        let admin = app.admin_token().await;
        let lead_unit = app.unit_named("区司法局").await.id.to_string();
        let (_, lead) = app.user_with_token(&admin, "sfj.lead", "lead", Some(&lead_unit), Some("enforcement")).await;
        let targets: Vec<String> = (1..=30).map(|i| format!("企业{i:02}")).collect();
        let res = app.call(Method::POST, "/api/v1/draws", &lead, Some(serde_json::json!({"purpose": "inspection_targets", "targets": targets, "count": 4, "seed": "碑林-2026-Q4"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let d: Draw = res.json();
        assert_eq!(d.seed_source, "given");
        // The same on SQLite and PostgreSQL, and what the documented algorithm gives.
        let population = frontline::domain::draw::Population::new(targets);
        assert_eq!(d.result, frontline::domain::draw::draw(&population, "碑林-2026-Q4", 4));
        assert_eq!(d.population_hash, population.hash);
        let v: DrawVerification = app.call(Method::GET, &format!("/api/v1/draws/{}/verify", d.id), &lead, None).await.json();
        assert!(v.verified);
        // A window lead may not draw enforcement targets; an unknown draw is 404.
        let window_unit = app.unit_named("区行政审批局").await.id.to_string();
        let (_, window) = app.user_with_token(&admin, "xzsp.lead", "lead", Some(&window_unit), Some("window")).await;
        let res = app.call(Method::POST, "/api/v1/draws", &window, Some(serde_json::json!({"purpose": "inspection_targets", "targets": ["a", "b"]}))).await;
        assert_eq!(res.status, 403);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/draws/{}", uuid::Uuid::now_v7()), &lead, None).await.status, 404);
        // Inspection targets are not for everyone's eyes before the inspection.
        assert_eq!(app.call(Method::GET, &format!("/api/v1/draws/{}", d.id), &window, None).await.status, 403);
        let listed: DrawList = app.call(Method::GET, "/api/v1/draws", &window, None).await.json();
        assert!(listed.items.is_empty(), "a WINDOW lead does not list ENFORCEMENT targets");
        let listed: DrawList = app.call(Method::GET, "/api/v1/draws", &lead, None).await.json();
        assert_eq!(listed.items.len(), 1);
    }
}
