//! Matters: the catalogue per unit, its all-or-nothing import (CSV in UTF-8 or GB18030, JSON),
//! and coverage.

mod common;

use actix_web::http::Method;
use common::TestApp;
use frontline::api::import::ImportReport;
use frontline::api::matters::MatterList;
use frontline::domain::matter::Matter;

async fn import(
    app: &TestApp,
    token: &str,
    unit: &str,
    content_type: &str,
    body: Vec<u8>,
    dry_run: bool,
) -> common::Resp {
    let auth = format!("Bearer {token}");
    let path = format!(
        "/api/v1/units/{unit}/matters:import{}",
        if dry_run { "?dry_run=true" } else { "" }
    );
    app.send(
        Method::POST,
        &path,
        &[("authorization", &auth), ("content-type", content_type)],
        Some(body),
    )
    .await
}

async fn unit_token(app: &TestApp, admin: &str, name: &str, username: &str) -> (String, String) {
    let unit = app.unit_named(name).await.id.to_string();
    let (_, token) = app
        .user_with_token(admin, username, "unit", Some(&unit), None)
        .await;
    (unit, token)
}

fn big_csv(bad_every: Option<usize>) -> String {
    let mut csv = String::from("name,kind,code,online,active\n");
    for i in 0..2000 {
        let kind = match bad_every {
            Some(n) if i % n == 7 => "bogus",
            _ => [
                "approval",
                "public_service",
                "enforcement",
                "complaint_domain",
            ][i % 4],
        };
        csv.push_str(&format!(
            "事项{i:04},{kind},CODE-{i},{},是\n",
            if i % 2 == 0 { "是" } else { "否" }
        ));
    }
    csv
}

both_backends! {
    async fn a_2000_row_import_is_all_or_nothing_and_names_every_bad_row(app: TestApp) {
        let admin = app.admin_token().await;
        let (unit, token) = unit_token(app, &admin, "区市场监管局", "scjg.clerk").await;
        let res = import(app, &token, &unit, "text/csv", big_csv(Some(100)).into_bytes(), false).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let errors = res.problem().errors.unwrap();
        assert_eq!(errors.len(), 20, "every bad row is named");
        // Row i sits on line i + 2 (line 1 is the header).
        assert_eq!(errors[0].field, "rows[9].kind");
        assert_eq!(errors[19].field, "rows[1909].kind");
        let list: MatterList = app.call(Method::GET, &format!("/api/v1/units/{unit}/matters?limit=1"), &token, None).await.json();
        assert!(list.items.is_empty(), "nothing written");

        let dry = import(app, &token, &unit, "text/csv", big_csv(None).into_bytes(), true).await;
        assert_eq!(dry.status, 200, "{}", dry.text());
        let report: ImportReport = dry.json();
        assert!(report.dry_run);
        assert_eq!(report.created, 2000);
        assert!(report.rows.iter().all(|r| r.id.is_none()));
        let list: MatterList = app.call(Method::GET, &format!("/api/v1/units/{unit}/matters?limit=1"), &token, None).await.json();
        assert!(list.items.is_empty(), "a dry run writes nothing");

        let audit_before = app.audit_count();
        let res = import(app, &token, &unit, "text/csv", big_csv(None).into_bytes(), false).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let report: ImportReport = res.json();
        assert_eq!((report.created, report.updated, report.unchanged), (2000, 0, 0));
        assert_eq!(app.audit_count(), audit_before + 1, "one import, one audit record");
        let all: MatterList = app.call(Method::GET, &format!("/api/v1/matters?unit_id={unit}&limit=200&kind=approval"), &token, None).await.json();
        assert_eq!(all.items.len(), 200);
        assert!(all.next_cursor.is_some());
        // Again: nothing changes; one changed row updates.
        let mut csv = big_csv(None);
        csv = csv.replace("事项0001,public_service,CODE-1,否", "事项0001,public_service,CODE-1-NEW,否");
        let report: ImportReport = import(app, &token, &unit, "text/csv", csv.into_bytes(), false).await.json();
        assert_eq!((report.created, report.updated, report.unchanged), (0, 1, 1999));
    }

    async fn gb18030_and_bom_files_import_the_same_names(app: TestApp) {
        let admin = app.admin_token().await;
        let (unit_a, token_a) = unit_token(app, &admin, "区档案馆", "dag.clerk").await;
        let (unit_b, token_b) = unit_token(app, &admin, "区统计局", "tjj.clerk").await;
        let text = "名称,kind\n档案查阅服务,public_service\n\"档案证明, 出具\",approval\n".replace("名称", "name");
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(import(app, &token_a, &unit_a, "text/csv", gb.to_vec(), false).await.status, 200);
        assert_eq!(import(app, &token_b, &unit_b, "text/csv; charset=utf-8", bom, false).await.status, 200);
        let names = |list: MatterList| list.items.into_iter().map(|m| m.name).collect::<Vec<_>>();
        let a = names(app.call(Method::GET, &format!("/api/v1/units/{unit_a}/matters"), &token_a, None).await.json());
        let b = names(app.call(Method::GET, &format!("/api/v1/units/{unit_b}/matters"), &token_b, None).await.json());
        assert_eq!(a, vec!["档案查阅服务".to_string(), "档案证明, 出具".to_string()]);
        assert_eq!(a, b);
        // JSON rows, and a duplicate name inside one file.
        let json = serde_json::json!([{"name": "X", "kind": "approval", "online": true}, {"name": "X", "kind": "approval"}]);
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit_a}/matters:import"), &token_a, Some(json)).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].code, "duplicate");
        let res = import(app, &token_a, &unit_a, "application/xml", b"<x/>".to_vec(), false).await;
        assert_eq!(res.status, 415);
        let res = import(app, &token_a, &unit_a, "text/csv", b"name,kind\n".to_vec(), false).await;
        assert_eq!(res.status, 422, "no data rows");
    }

    async fn a_unit_manages_its_own_catalogue_only(app: TestApp) {
        let admin = app.admin_token().await;
        let (unit, token) = unit_token(app, &admin, "区档案馆", "dag.clerk").await;
        let (other, other_token) = unit_token(app, &admin, "区统计局", "tjj.clerk").await;
        let body = serde_json::json!({"kind": "public_service", "name": " 档案查阅 ", "code": "DA-1", "online": true});
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &token, Some(body.clone())).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let m: Matter = res.json();
        assert_eq!(m.name, "档案查阅");
        assert_eq!(app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &token, Some(body.clone())).await.status, 409);
        assert_eq!(app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &other_token, Some(body.clone())).await.status, 403);
        assert_eq!(app.call(Method::POST, &format!("/api/v1/units/{other}/matters"), &other_token, Some(body)).await.status, 201, "the same name in another unit");
        let path = format!("/api/v1/units/{unit}/matters/{}", m.id);
        assert_eq!(app.call(Method::GET, &path, &other_token, None).await.status, 200, "catalogues are readable");
        assert_eq!(app.call(Method::GET, &format!("/api/v1/units/{other}/matters/{}", m.id), &token, None).await.status, 404, "not that unit's matter");
        let res = app.call_with(Method::PATCH, &path, &other_token, &[("if-match", "\"1\"")], Some(serde_json::json!({"active": false}))).await;
        assert_eq!(res.status, 403);
        let res = app.call(Method::PATCH, &path, &token, Some(serde_json::json!({"active": false}))).await;
        assert_eq!(res.status, 428);
        let res = app.call_with(Method::PATCH, &path, &token, &[("if-match", "\"1\"")], Some(serde_json::json!({"active": false, "code": null}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let m: Matter = res.json();
        assert!(!m.active && m.code.is_none() && m.version == 2);
        let retired: MatterList = app.call(Method::GET, "/api/v1/matters?active=false", &token, None).await.json();
        assert_eq!(retired.items.len(), 1);
        let res = app.call(Method::GET, "/api/v1/matters?kind=nope", &token, None).await;
        assert_eq!(res.status, 400);
    }

    async fn coverage_lists_every_active_matter_of_the_year(app: TestApp) {
        let admin = app.admin_token().await;
        let (unit, token) = unit_token(app, &admin, "区档案馆", "dag.clerk").await;
        for name in ["甲", "乙"] {
            let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &token, Some(serde_json::json!({"kind": "approval", "name": name}))).await;
            assert_eq!(res.status, 201);
        }
        let res = app.call(Method::GET, &format!("/api/v1/units/{unit}/coverage?year=2026"), &token, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let c: frontline::domain::coverage::Coverage = res.json();
        assert_eq!((c.year, c.total, c.covered), (2026, 2, 0));
        assert_eq!(c.share, 0.0);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/units/{unit}/coverage?year=1999"), &token, None).await.status, 400);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/units/{}/coverage", uuid::Uuid::now_v7()), &token, None).await.status, 404);
    }
}
