//! Service records: phones in full only for the unit's own accounts, masked for everyone else,
//! kept out of the audit log, purged after the retention period.

mod common;

use actix_web::http::Method;
use frontline::api::service_records::{ServiceRecord, ServiceRecordList};

fn days_ago(n: i64) -> String {
    (frontline::domain::calendar::local_date(chrono::Utc::now()) - chrono::Duration::days(n))
        .to_string()
}

both_backends! {
    async fn phones_are_shown_in_full_only_to_the_units_own_accounts(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        let (_, own) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&unit), None).await;
        app.allow_phones_for(&own);
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &own, Some(serde_json::json!({"kind": "public_service", "name": "档案查阅"}))).await;
        assert_eq!(res.status, 201);
        let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/service-records"), &own,
            Some(serde_json::json!({"served_on": days_ago(10), "kind": "consultation", "matter": "档案查阅", "contact_name": "张先生", "phone": "+86 138-0013-8000"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let created: ServiceRecord = res.json();
        assert_eq!(created.phone.as_deref(), Some("13800138000"));
        assert!(!created.phone_masked);
        let audit = app.last_audit();
        assert_eq!(audit.action, "service_record.create");
        assert!(!audit.changes.unwrap_or_default().contains("13800138000"), "no phone in the audit log");

        let coordinator_unit = app.unit_named("区营商办").await.id.to_string();
        let lead_unit = app.unit_named("区行政审批局").await.id.to_string();
        let (_, coordinator) = app.user_with_token(&admin, "yss.coord", "coordinator", Some(&coordinator_unit), None).await;
        let (_, lead) = app.user_with_token(&admin, "xzsp.lead", "lead", Some(&lead_unit), Some("window")).await;
        let (_, leader) = app.user_with_token(&admin, "qz.leader", "leader", None, None).await;
        let path = format!("/api/v1/units/{unit}/service-records");
        for token in [&coordinator, &lead, &leader, &admin] {
            let res = app.call(Method::GET, &path, token, None).await;
            assert_eq!(res.status, 200, "{}", res.text());
            let list: ServiceRecordList = res.json();
            assert_eq!(list.items[0].phone.as_deref(), Some("138****8000"));
            assert!(list.items[0].phone_masked);
            assert!(!res.text().contains("13800138000"));
        }
        let list: ServiceRecordList = app.call(Method::GET, &path, &own, None).await.json();
        assert_eq!(list.items[0].phone.as_deref(), Some("13800138000"));
        let other_unit = app.unit_named("区统计局").await.id.to_string();
        let (_, other) = app.user_with_token(&admin, "tjj.clerk", "unit", Some(&other_unit), None).await;
        assert_eq!(app.call(Method::GET, &path, &other, None).await.status, 403);
        assert_eq!(app.call(Method::POST, &path, &other, Some(serde_json::json!({"served_on": days_ago(1), "kind": "consultation"}))).await.status, 403);
    }

    async fn bad_records_are_refused_without_echoing_the_phone(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        let (_, own) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&unit), None).await;
        app.allow_phones_for(&own);
        let path = format!("/api/v1/units/{unit}/service-records");
        let cases = [
            (serde_json::json!({"served_on": "2099-01-01", "kind": "consultation"}), "served_on"),
            (serde_json::json!({"served_on": "yesterday", "kind": "consultation"}), "served_on"),
            (serde_json::json!({"served_on": days_ago(1), "kind": "consultation", "phone": "12800138000"}), "phone"),
            (serde_json::json!({"served_on": days_ago(1), "kind": "consultation", "matter": "没有的事项"}), "matter"),
        ];
        for (body, field) in cases {
            let res = app.call(Method::POST, &path, &own, Some(body.clone())).await;
            assert_eq!(res.status, 422, "{body}");
            assert_eq!(res.problem().errors.unwrap()[0].field, field);
            assert!(!res.text().contains("12800138000"));
        }
        // A phone sent as a number is refused without quoting it.
        let res = app.call(Method::POST, &path, &own, Some(serde_json::json!({"served_on": days_ago(1), "kind": "consultation", "phone": 13800138000_u64}))).await;
        assert_eq!(res.status, 422);
        assert!(!res.text().contains("13800138000"), "{}", res.text());
        // An import: all or nothing, bad rows named by line.
        let csv = format!("served_on,kind,contact_name,phone\n{},consultation,甲,13800138001\n{},visit,乙,13800138002\n{},application,丙,138\n", days_ago(5), days_ago(6), days_ago(7));
        let auth = format!("Bearer {own}");
        let res = app.send(Method::POST, &format!("{path}:import"), &[("authorization", &auth), ("content-type", "text/csv")], Some(csv.clone().into_bytes())).await;
        assert_eq!(res.status, 422);
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["rows[3].kind", "rows[4].phone"]);
        let fixed = csv.replace(",visit,", ",consultation,").replace(",138\n", ",13800138003\n");
        let res = app.send(Method::POST, &format!("{path}:import"), &[("authorization", &auth), ("content-type", "text/csv")], Some(fixed.into_bytes())).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let report: frontline::api::import::ImportReport = res.json();
        assert_eq!(report.created, 3);
        let list: ServiceRecordList = app.call(Method::GET, &format!("{path}?from={}", days_ago(6)), &own, None).await.json();
        assert_eq!(list.items.len(), 2);
    }

    async fn personal_data_is_purged_after_the_retention_period(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await.id.to_string();
        let (_, own) = app.user_with_token(&admin, "dag.clerk", "unit", Some(&unit), None).await;
        app.allow_phones_for(&own);
        let path = format!("/api/v1/units/{unit}/service-records");
        for (days, phone) in [(400, "13900139000"), (30, "13900139001")] {
            let res = app.call(Method::POST, &path, &own, Some(serde_json::json!({"served_on": days_ago(days), "kind": "application", "contact_name": "李女士", "phone": phone}))).await;
            assert_eq!(res.status, 201);
        }
        let mut conn = app.db();
        let n = frontline::api::service_records::purge(&mut conn, 365).unwrap();
        assert_eq!(n, 1);
        assert_eq!(frontline::api::service_records::purge(&mut conn, 365).unwrap(), 0, "idempotent");
        let list: ServiceRecordList = app.call(Method::GET, &path, &own, None).await.json();
        let old = list.items.iter().find(|r| r.served_on.to_string() == days_ago(400)).unwrap();
        assert!(old.purged && old.phone.is_none() && old.contact_name.is_none());
        let recent = list.items.iter().find(|r| r.served_on.to_string() == days_ago(30)).unwrap();
        assert_eq!(recent.phone.as_deref(), Some("13900139001"));
        assert_eq!(app.last_audit().action, "service_record.purge");
    }
}
