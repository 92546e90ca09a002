//! Units, read side: the Annex 1 seed, filters, pagination, ETags and lookup by name.

mod common;

use std::collections::HashSet;

use actix_web::http::Method;
use diesel::prelude::*;
use frontline::domain::annex1;
use frontline::domain::unit::{Activity, Category, ProgrammeRole, Unit, UnitKind};

fn names(units: &[frontline::domain::unit::Unit]) -> Vec<String> {
    units.iter().map(|u| u.name.clone()).collect()
}

both_backends! {
    async fn law_enforcement_lists_exactly_the_30_units_of_annex_1_list_two(app: TestApp) {
        let (page, _) = app.list_units("category=law_enforcement").await;
        assert_eq!(page.items.len(), 30);
        assert!(page.next_cursor.is_none());
        let got: Vec<String> = names(&page.items);
        let want: Vec<String> = annex1::LIST_2_LAW_ENFORCEMENT.iter().map(|s| s.to_string()).collect();
        // Byte-identical names, in the plan's order.
        assert_eq!(got, want);
        assert!(page.items.iter().all(|u| u.categories.contains(&Category::LawEnforcement)));
    }

    async fn each_category_returns_its_annex_1_list(app: TestApp) {
        let approval = app.all_units("category=approval_service").await;
        assert_eq!(names(&approval), annex1::LIST_1_APPROVAL_SERVICE.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let policy: HashSet<String> = names(&app.all_units("category=policy_making").await).into_iter().collect();
        assert_eq!(policy, annex1::LIST_3_POLICY_MAKING.iter().map(|s| s.to_string()).collect());
        assert_eq!(policy.len(), 20);
        let utilities = app.all_units("category=public_utility").await;
        assert_eq!(names(&utilities), annex1::PUBLIC_UTILITIES.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(utilities.iter().all(|u| u.kind == UnitKind::Enterprise && u.categories.contains(&Category::ApprovalService)));
        assert!(app.all_units("category=complaint_concentrated").await.is_empty());
        // 43 distinct units of Annex 1 plus the three programme offices.
        let all = app.all_units("").await;
        assert_eq!(all.len(), 46);
        assert_eq!(all.iter().filter(|u| !u.categories.is_empty()).count(), 43);
    }

    async fn the_programme_offices_and_lead_roles_are_seeded(app: TestApp) {
        let coordinator = app.unit_named("区营商办").await;
        assert_eq!(coordinator.programme_role, Some(ProgrammeRole::Coordinator));
        assert!(coordinator.categories.is_empty());
        let leads = [
            ("区行政审批局", Activity::Window),
            ("区司法局", Activity::Enforcement),
            ("区12345市民热线服务中心", Activity::Complaint),
        ];
        for (name, activity) in leads {
            let unit = app.unit_named(name).await;
            assert_eq!(unit.programme_role, Some(ProgrammeRole::Lead), "{name}");
            assert_eq!(unit.lead_activity, Some(activity), "{name}");
        }
        let office = app.unit_named("区政府办").await;
        assert_eq!(office.programme_role, Some(ProgrammeRole::Organizer));
        assert_eq!(office.lead_activity, Some(Activity::Complaint));
    }

    async fn seeding_twice_changes_nothing(app: TestApp) {
        let before = app.all_units("").await;
        let mut conn = app.db();
        let report = frontline::store::units::seed(&mut conn, &annex1::seed_units()).expect("seed");
        assert_eq!((report.inserted, report.existing), (0, 46));
        let prepared = frontline::startup::prepare_database(
            &app.config,
            &frontline::auth::password::Hasher::new(&app.config.auth).unwrap(),
        )
        .expect("prepare again");
        assert!(prepared.first_admin.is_none(), "the first admin is created once");
        assert!(prepared.seeded.is_none(), "a non-empty database is not seeded again");
        assert!(prepared.migrations.is_empty());
        let after = app.all_units("").await;
        assert_eq!(before, after);
        use frontline::db::schema::unit_categories;
        let categories: i64 = unit_categories::table.count().get_result(&mut conn).expect("count");
        // 41 + 30 + 20 + 7 category memberships.
        assert_eq!(categories, 98);
    }

    async fn pages_follow_the_cursor_and_the_link_header(app: TestApp) {
        let (first, res) = app.list_units("limit=20").await;
        assert_eq!(first.items.len(), 20);
        let link = res.header("link").expect("a Link header on a page with more");
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        let next_path = link.trim_start_matches('<').split('>').next().unwrap().to_owned();
        assert!(next_path.starts_with("/api/v1/units?"));
        assert!(next_path.contains("limit=20"));
        assert!(next_path.contains(&format!("cursor={}", first.next_cursor.clone().unwrap())));
        // Following the Link gives the same page as following next_cursor.
        let by_link: frontline::api::units::UnitList = app.get(&next_path).await.json();
        let (second, _) = app.list_units(&format!("limit=20&cursor={}", first.next_cursor.unwrap())).await;
        assert_eq!(by_link.items, second.items);
        assert_eq!(second.items.len(), 20);
        let (third, res3) = app.list_units(&format!("limit=20&cursor={}", second.next_cursor.unwrap())).await;
        assert_eq!(third.items.len(), 6);
        assert!(third.next_cursor.is_none());
        assert!(res3.header("link").is_none());
        let ids: HashSet<_> = first.items.iter().chain(&second.items).chain(&third.items).map(|u| u.id).collect();
        assert_eq!(ids.len(), 46, "no unit twice, none missed");
        // The default page holds 50, so all 46 units.
        let (all, _) = app.list_units("").await;
        assert_eq!(all.items.len(), 46);
    }

    async fn filters_combine(app: TestApp) {
        let subdistricts = app.all_units("kind=subdistrict_office").await;
        assert_eq!(subdistricts.len(), 8);
        assert!(subdistricts.iter().all(|u| u.name.ends_with("街道办事处")));
        let by_name = app.all_units("q=%E8%A1%97%E9%81%93").await; // q=街道
        assert_eq!(names(&by_name), names(&subdistricts));
        assert_eq!(app.all_units("category=policy_making&kind=enterprise").await.len(), 0);
        assert_eq!(app.all_units("category=policy_making&kind=management_committee").await.len(), 1);
        assert_eq!(app.all_units("active=true").await.len(), 46);
        assert_eq!(app.all_units("active=false").await.len(), 0);
        // LIKE wildcards in q are taken literally.
        assert_eq!(app.all_units("q=%25").await.len(), 0);
        assert_eq!(app.all_units("q=_").await.len(), 0);
    }

    async fn an_inactive_unit_is_filtered_by_active(app: TestApp) {
        use frontline::db::schema::units;
        let mut conn = app.db();
        diesel::update(units::table.filter(units::name.eq("区档案馆")))
            .set(units::active.eq(false))
            .execute(&mut conn)
            .expect("deactivate");
        assert_eq!(names(&app.all_units("active=false").await), vec!["区档案馆".to_string()]);
        assert_eq!(app.all_units("active=true").await.len(), 45);
    }

    async fn a_unit_is_read_with_its_etag_and_if_none_match_answers_304(app: TestApp) {
        let unit = app.unit_named("区司法局").await;
        let res = app.get(&format!("/api/v1/units/{}", unit.id)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
        let got: frontline::domain::unit::Unit = res.json();
        assert_eq!(got, unit);
        let path = format!("/api/v1/units/{}", unit.id);
        for held in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
            let res = app.get_with(&path, &[("if-none-match", held)]).await;
            assert_eq!(res.status, 304, "{held}");
            assert!(res.body.is_empty());
            assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
        }
        let stale = app.get_with(&path, &[("if-none-match", "\"2\"")]).await;
        assert_eq!(stale.status, 200);
    }

    async fn lookup_finds_units_by_exact_name_and_lists_the_missing(app: TestApp) {
        let res = app
            .post_json("/api/v1/units/lookup", &serde_json::json!({"names": ["区税务局", " 区司法局 ", "区不存在局", "区税务局"]}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let got: frontline::api::units::UnitLookup = res.json();
        assert_eq!(names(&got.found), vec!["区税务局".to_string(), "区司法局".to_string()]);
        assert_eq!(got.missing, vec!["区不存在局".to_string()]);
    }

    async fn a_unit_is_created_with_its_etag_and_a_taken_name_is_409(app: TestApp) {
        let admin = app.admin_token().await;
        let body = serde_json::json!({
            "name": "  区数据局 ", "short_code": "data-bureau", "kind": "district_department",
            "categories": ["policy_making", "approval_service", "policy_making"],
            "head": {"name": "王五", "title": "局长"}, "deputies": [{"name": "赵六"}], "delegation_allowed": true
        });
        let res = app.call(Method::POST, "/api/v1/units", &admin, Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let unit: Unit = res.json();
        assert_eq!(res.header("location"), Some(format!("/api/v1/units/{}", unit.id)));
        assert_eq!(res.header("etag").as_deref(), Some("\"1\""));
        assert_eq!(unit.name, "区数据局", "trimmed");
        assert_eq!(unit.categories, vec![Category::ApprovalService, Category::PolicyMaking], "canonical, once each");
        assert_eq!(unit.head.as_ref().unwrap().title.as_deref(), Some("局长"));
        assert!(unit.delegation_allowed && unit.active);
        let stored = app.get(&format!("/api/v1/units/{}", unit.id)).await.json::<Unit>();
        assert_eq!(stored, unit);
        for (body, constraint_text) in [
            (serde_json::json!({"name": "区数据局", "short_code": "other-code", "kind": "district_department"}), "已有同名单位"),
            (serde_json::json!({"name": "区数据二局", "short_code": "data-bureau", "kind": "district_department"}), "已有相同简码的单位"),
            (serde_json::json!({"name": "区司法局", "short_code": "justice-2", "kind": "district_department"}), "已有同名单位"),
        ] {
            let res = app.call(Method::POST, "/api/v1/units", &admin, Some(body)).await;
            assert_eq!(res.status, 409);
            assert_eq!(res.problem().detail, constraint_text);
        }
        assert_eq!(app.all_units("").await.len(), 47, "nothing half-written");
    }

    async fn a_unit_change_needs_the_current_etag(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await;
        let path = format!("/api/v1/units/{}", unit.id);
        let change = serde_json::json!({"delegation_allowed": true});
        let res = app.call(Method::PATCH, &path, &admin, Some(change.clone())).await;
        assert_eq!(res.status, 428);
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:precondition-required");
        let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "\"1\"")], Some(change.clone())).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
        let after: Unit = res.json();
        assert_eq!(after.version, 2);
        assert!(after.delegation_allowed);
        assert_eq!(after.created_at, unit.created_at);
        assert!(after.updated_at >= unit.updated_at);
        // Someone else's change came first: the stale version is refused, nothing is lost.
        let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "\"1\"")], Some(serde_json::json!({"name": "区档案局"}))).await;
        assert_eq!(res.status, 412);
        assert_eq!(res.header("etag").as_deref(), Some("\"2\""));
        assert_eq!(app.get(&path).await.json::<Unit>().name, "区档案馆");
        // Deactivate, clear the head, replace the categories.
        let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "\"2\"")],
            Some(serde_json::json!({"active": false, "head": null, "categories": ["law_enforcement"]}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let after: Unit = res.json();
        assert!(!after.active && after.head.is_none());
        assert_eq!(after.categories, vec![Category::LawEnforcement]);
        assert_eq!(app.all_units("active=false").await.len(), 1);
        // A name another unit has.
        let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "*")], Some(serde_json::json!({"name": "区司法局"}))).await;
        assert_eq!(res.status, 409);
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{}", uuid::Uuid::now_v7()), &admin, &[("if-match", "*")], Some(change)).await;
        assert_eq!(res.status, 404);
    }

    async fn fields_the_server_sets_are_refused_not_ignored(app: TestApp) {
        let admin = app.admin_token().await;
        let unit = app.unit_named("区档案馆").await;
        let path = format!("/api/v1/units/{}", unit.id);
        for field in ["id", "version", "created_at", "updated_at"] {
            let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "*")], Some(serde_json::json!({ field: "x" }))).await;
            assert_eq!(res.status, 422, "{field}");
            let e = &res.problem().errors.unwrap()[0];
            assert_eq!((e.field.as_str(), e.code.as_str()), (field, "read_only"));
        }
        let cases = [
            (serde_json::json!({"short_code": "Not Valid"}), "short_code"),
            (serde_json::json!({"programme_role": "lead"}), "lead_activity"),
            (serde_json::json!({"lead_activity": "window"}), "lead_activity"),
            (serde_json::json!({"kind": "bureau"}), "kind"),
            (serde_json::json!({"name": "   "}), "name"),
            (serde_json::json!({"head": {"name": ""}}), "head.name"),
        ];
        for (body, field) in cases {
            let res = app.call_with(Method::PATCH, &path, &admin, &[("if-match", "*")], Some(body.clone())).await;
            assert_eq!(res.status, 422, "{body}");
            assert_eq!(res.problem().errors.unwrap()[0].field, field, "{body}");
        }
        assert_eq!(app.get(&path).await.json::<Unit>(), unit, "nothing changed");
    }
}
