//! The authorization matrix: every route that needs a token × every role × a target in the
//! caller's own unit and in another unit, with the answer each must get. A route in the spec
//! that needs a token and has no entry here fails the test.

mod common;

use std::collections::HashMap;

use actix_web::http::Method;
use common::{TestApp, USER_PASSWORD};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Own,
    Other,
}

struct Caller {
    role: &'static str,
    token: String,
    password: String,
    username: String,
    unit_id: Option<String>,
}

/// The expected status of `route` for `role` on a target in its own unit or another one;
/// `None` when the route has no entry (the test then fails).
fn expected(route: &str, role: &str, scope: Scope) -> Option<u16> {
    let admin = role == "admin";
    let reader = matches!(role, "admin" | "coordinator");
    let own = scope == Scope::Own;
    let unit_account = matches!(role, "unit" | "lead");
    // A unit's catalogue and records: the coordinator any unit; a unit or lead account its own.
    let manages = role == "coordinator" || (unit_account && own);
    // WINDOW records: everyone reading across units, the WINDOW lead any unit, a unit its own.
    let reads_window = matches!(role, "admin" | "coordinator" | "leader" | "lead") || own;
    // WINDOW draws: the coordinator, the WINDOW lead, a unit for itself.
    let draws_window = matches!(role, "coordinator" | "lead") || (role == "unit" && own);
    let ok = |allowed: bool, status: u16| if allowed { status } else { 403 };
    Some(match route {
        "POST /api/v1/users" => ok(admin, 201),
        "GET /api/v1/users" => ok(reader, 200),
        "GET /api/v1/users/{id}" => ok(reader, 200),
        "PATCH /api/v1/users/{id}" => ok(admin, 200),
        "POST /api/v1/units" => ok(reader, 201),
        "PATCH /api/v1/units/{id}" => ok(reader, 200),
        "GET /api/v1/audit" => ok(reader, 200),
        "GET /api/v1/auth/me" => 200,
        "POST /api/v1/auth/password" => 204,
        "POST /api/v1/auth/logout" => 204,
        // Everyone may end their own WeChat binding; these accounts have none.
        "DELETE /api/v1/auth/wechat/binding" => 404,
        "GET /api/v1/matters"
        | "GET /api/v1/units/{id}/matters"
        | "GET /api/v1/units/{id}/matters/{matter_id}"
        | "GET /api/v1/units/{id}/coverage" => 200,
        "POST /api/v1/units/{id}/matters" | "POST /api/v1/units/{id}/service-records" => {
            ok(manages, 201)
        }
        "POST /api/v1/units/{id}/matters:import"
        | "PATCH /api/v1/units/{id}/matters/{matter_id}"
        | "POST /api/v1/units/{id}/service-records:import" => ok(manages, 200),
        "GET /api/v1/units/{id}/service-records"
        | "GET /api/v1/draws/{id}"
        | "GET /api/v1/draws/{id}/verify" => ok(reads_window, 200),
        "POST /api/v1/draws" => ok(draws_window, 201),
        "GET /api/v1/draws" => 200,
        "GET /api/v1/schedules"
        | "GET /api/v1/schedules/{id}"
        | "GET /api/v1/schedules/{id}/entries" => 200,
        "POST /api/v1/schedules" | "POST /api/v1/schedules/{id}/entries" => ok(role == "lead", 201),
        "PATCH /api/v1/schedules/{id}"
        | "PATCH /api/v1/schedules/{id}/entries/{entry_id}"
        | "DELETE /api/v1/schedules/{id}/entries/{entry_id}" => ok(role == "lead", 200),
        // The lead may submit, but an empty WINDOW schedule fails the submission check.
        "POST /api/v1/schedules/{id}/transitions" => ok(role == "lead", 422),
        // The lead may revise, but only a published revision.
        "POST /api/v1/schedules/{id}/revisions" => ok(role == "lead", 409),
        "POST /api/v1/triggers" => ok(
            matches!(role, "coordinator" | "lead") || (role == "unit" && own),
            201,
        ),
        "POST /api/v1/tracking-subjects" => ok(matches!(role, "coordinator" | "lead"), 201),
        "GET /api/v1/triggers" | "GET /api/v1/tracking-subjects" => 200,
        // Participations: kept by the unit's own accounts; read like WINDOW records; the
        // empty draft fails the filing checks (R4); notes also by the coordinator and the lead.
        "POST /api/v1/participations" => ok(unit_account && own, 201),
        "GET /api/v1/participations" => 200,
        "GET /api/v1/participations/{id}" => ok(reads_window, 200),
        "PATCH /api/v1/participations/{id}" => ok(unit_account && own, 200),
        "POST /api/v1/participations/{id}/transitions" => ok(unit_account && own, 422),
        "POST /api/v1/participations/{id}/notes" => ok(
            matches!(role, "coordinator" | "lead") || (role == "unit" && own),
            201,
        ),
        // The ledger: opened by the unit, the activity's lead or the coordinator; kept by the unit.
        "POST /api/v1/issues" => ok(
            matches!(role, "coordinator" | "lead") || (role == "unit" && own),
            201,
        ),
        "GET /api/v1/issues" | "GET /api/v1/issues/export" | "GET /api/v1/issue-lists" => 200,
        "GET /api/v1/issues/{id}" | "GET /api/v1/issues/{id}/history" => ok(reads_window, 200),
        "PATCH /api/v1/issues/{id}" | "POST /api/v1/issues/{id}/transitions" => {
            ok(unit_account && own, 200)
        }
        "POST /api/v1/issue-lists" => ok(unit_account && own, 201),
        // Statistics: everyone, each within what it may read.
        "GET /api/v1/stats" => 200,
        // Reports: the leads submit monthly figures (a coordinator's is the district report);
        // unit accounts read none. The calendar: everyone reads, admin and coordinator write.
        "POST /api/v1/reports" => ok(role == "lead", 201),
        "GET /api/v1/reports" | "GET /api/v1/reports/{id}" | "GET /api/v1/reports/{id}/export" => {
            ok(role != "unit", 200)
        }
        "GET /api/v1/calendar/{year}" | "GET /api/v1/todo" | "GET /api/v1/bulletins" => 200,
        "POST /api/v1/bulletins" => ok(role == "coordinator", 201),
        // The coordinator may publish, but the bulletin of the matrix is published already.
        "POST /api/v1/bulletins/{id}/publication" => ok(role == "coordinator", 409),
        "PUT /api/v1/calendar/{year}" => ok(reader, 200),
        // Compliance checks: run by the coordinator, or a lead for its own activity; read by
        // everyone, a unit account its own unit's findings only.
        "POST /api/v1/compliance-checks" => ok(matches!(role, "coordinator" | "lead"), 201),
        "GET /api/v1/compliance-checks"
        | "GET /api/v1/compliance-checks/{id}"
        | "GET /api/v1/compliance-checks/{id}/scores"
        | "GET /api/v1/compliance-checks/{id}/export"
        | "GET /api/v1/compliance-checks/{id}/diff" => 200,
        "GET /api/v1/compliance-checks/{id}/findings" => ok(role != "unit" || own, 200),
        // The hotline: imported and analysed by the coordinator and the COMPLAINT lead (the
        // matrix's lead leads WINDOW); aliases kept like units; a unit's figures read by those
        // who read every unit's, or by the unit itself.
        "POST /api/v1/hotline/work-orders:import" | "POST /api/v1/hotline/spike-scan" => {
            ok(role == "coordinator", 200)
        }
        "POST /api/v1/hotline/concentration-lists" => ok(role == "coordinator", 201),
        "POST /api/v1/units/{id}/aliases" => ok(reader, 201),
        "GET /api/v1/units/{id}/aliases"
        | "GET /api/v1/hotline/ranking"
        | "GET /api/v1/hotline/concentration-lists"
        | "GET /api/v1/hotline/spikes" => 200,
        "GET /api/v1/hotline/stats" => ok(
            matches!(role, "admin" | "coordinator" | "leader") || own,
            200,
        ),
        "POST /api/v1/api-keys" => ok(admin, 201),
        "GET /api/v1/api-keys" => ok(admin, 200),
        "DELETE /api/v1/api-keys/{id}" => ok(admin, 204),
        "POST /api/v1/imports" => ok(reader, 201),
        // Allowed callers get past the check to the media type (the matrix sends JSON).
        "POST /api/v1/imports/annex2" => ok(reader, 415),
        "POST /api/v1/webhooks" => ok(admin, 201),
        "GET /api/v1/webhooks"
        | "GET /api/v1/webhooks/{id}"
        | "PATCH /api/v1/webhooks/{id}"
        | "GET /api/v1/webhooks/{id}/deliveries"
        | "GET /api/v1/webhooks/{id}/deliveries/{delivery_id}" => ok(admin, 200),
        "DELETE /api/v1/webhooks/{id}" => ok(admin, 204),
        "POST /api/v1/webhooks/{id}/pings"
        | "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliveries" => ok(admin, 202),
        _ => return None,
    })
}

fn protected_routes() -> Vec<String> {
    let spec: serde_json::Value = serde_json::from_str(&frontline::openapi::spec_json()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let needs_token = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|req| req.get("bearer").is_some()));
            if needs_token {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    // Sign-out last: it ends the caller's session.
    routes.sort_by_key(|r| r.ends_with("/auth/logout"));
    routes
}

#[test]
fn every_protected_route_has_an_entry_in_the_matrix() {
    let routes = protected_routes();
    assert!(routes.len() >= 10, "{routes:?}");
    for route in routes {
        for role in ["admin", "coordinator", "leader", "lead", "unit"] {
            assert!(
                expected(&route, role, Scope::Own).is_some(),
                "{route} has no entry in the authorization matrix"
            );
        }
    }
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.call(Method::GET, path, token, None).await;
    assert_eq!(res.status, 200, "{path}: {}", res.text());
    res.header("etag").expect("an ETag")
}

both_backends! {
    async fn each_role_gets_exactly_its_rights_on_its_own_and_other_units(app: TestApp) {
        let admin_token = app.admin_token().await;
        let unit_of = |name: &'static str| {
            let app = &app;
            async move { app.unit_named(name).await.id.to_string() }
        };
        let coordinator_unit = unit_of("区营商办").await;
        let lead_unit = unit_of("区行政审批局").await;
        let unit_unit = unit_of("区档案馆").await;
        let other_unit = unit_of("区税务局").await;

        let mut callers = vec![Caller {
            role: "admin",
            token: admin_token.clone(),
            password: common::ADMIN_PASSWORD.into(),
            username: "admin".into(),
            unit_id: None,
        }];
        for (role, username, unit, activity) in [
            ("coordinator", "m.coordinator", Some(coordinator_unit.clone()), None),
            ("leader", "m.leader", None, None),
            ("lead", "m.lead", Some(lead_unit.clone()), Some("window")),
            ("unit", "m.unit", Some(unit_unit.clone()), None),
        ] {
            let (_, token) = app.user_with_token(&admin_token, username, role, unit.as_deref(), activity).await;
            callers.push(Caller { role, token, password: USER_PASSWORD.into(), username: username.into(), unit_id: unit });
        }
        // A peer account in each caller's unit and in the other unit, as targets.
        let mut peers: HashMap<String, String> = HashMap::new();
        let mut peer_tokens: HashMap<String, String> = HashMap::new();
        for (i, unit) in [&coordinator_unit, &lead_unit, &unit_unit, &other_unit].into_iter().enumerate() {
            let (user, token) = app.user_with_token(&admin_token, &format!("m.peer{i}"), "unit", Some(unit), None).await;
            peers.insert(unit.clone(), user.id);
            peer_tokens.insert(unit.clone(), token);
        }

        // Each target unit's catalogue (three service matters) and a draw, made by the coordinator.
        let coordinator_token = callers[1].token.clone();
        let mut fixtures: HashMap<String, (String, String)> = HashMap::new();
        for unit in [&coordinator_unit, &lead_unit, &unit_unit, &other_unit] {
            let mut first = None;
            for i in 0..3 {
                let res = app.call(Method::POST, &format!("/api/v1/units/{unit}/matters"), &coordinator_token, Some(serde_json::json!({"kind": "approval", "name": format!("矩阵事项{i}")}))).await;
                assert_eq!(res.status, 201, "{}", res.text());
                first.get_or_insert(res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned());
            }
            let res = app.call(Method::POST, "/api/v1/draws", &coordinator_token, Some(serde_json::json!({"purpose": "inspection_matters", "unit_id": unit, "count": 2}))).await;
            assert_eq!(res.status, 201, "{}", res.text());
            let draw = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
            fixtures.insert(unit.clone(), (first.unwrap(), draw));
        }
        let yesterday = (frontline::domain::calendar::local_date(chrono::Utc::now()) - chrono::Duration::days(1)).to_string();
        // A WINDOW schedule drafted by the lead, with one entry.
        let lead_token = callers[3].token.clone();
        let res = app.call(Method::POST, "/api/v1/schedules", &lead_token, Some(serde_json::json!({"activity": "window", "quarter": "2027-Q1", "title": "矩阵计划"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let schedule = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
        let entry_body = serde_json::json!({"unit_id": unit_unit, "planned_on": "2027-01-15", "participant": {"kind": "head"}, "mode": "regular"});
        let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{schedule}/entries"), &lead_token, &[("if-match", "*")], Some(entry_body.clone())).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let entry = res.json::<serde_json::Value>()["entries"][0]["id"].as_str().unwrap().to_owned();

        // A WINDOW participation of each participating unit, drafted by its own account; the
        // coordinator's office takes no part, so its callers are shown the archive's.
        let participation_body = |unit: &str| serde_json::json!({"unit_id": unit, "activity": "window", "mode": "regular", "activity_on": yesterday, "place": "政务服务大厅", "participant": {"kind": "head", "name": "矩阵一把手"}});
        let mut participations: HashMap<String, String> = HashMap::new();
        for unit in [&lead_unit, &unit_unit, &other_unit] {
            let res = app.call(Method::POST, "/api/v1/participations", &peer_tokens[unit], Some(participation_body(unit))).await;
            assert_eq!(res.status, 201, "{}", res.text());
            participations.insert(unit.clone(), res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned());
        }
        let participation_of = |unit: &str| participations.get(unit).unwrap_or(&participations[&unit_unit]).clone();
        // A WINDOW ledger issue of each unit, opened by the coordinator.
        let mut ledger: HashMap<String, String> = HashMap::new();
        for unit in [&coordinator_unit, &lead_unit, &unit_unit, &other_unit] {
            let res = app.call(Method::POST, "/api/v1/issues", &coordinator_token, Some(serde_json::json!({"unit_id": unit, "activity": "window", "kind": "problem", "description": "矩阵问题", "source_reason": "矩阵测试"}))).await;
            assert_eq!(res.status, 201, "{}", res.text());
            ledger.insert(unit.clone(), res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned());
        }

        // A WINDOW monthly report of last month, by the lead.
        let last_month = {
            let today = frontline::domain::calendar::local_date(chrono::Utc::now());
            let first = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1).unwrap();
            (first - chrono::Duration::days(1)).format("%Y-%m").to_string()
        };
        let res = app.call(Method::POST, "/api/v1/reports", &lead_token, Some(serde_json::json!({"kind": "monthly", "period": last_month}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();

        // A published bulletin, by the coordinator.
        let res = app.call(Method::POST, "/api/v1/bulletins", &coordinator_token, Some(serde_json::json!({"quarter": "2026-Q3", "title": "通报", "body": "正文"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let bulletin = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
        let res = app.call(Method::POST, &format!("/api/v1/bulletins/{bulletin}/publication"), &coordinator_token, None).await;
        assert_eq!(res.status, 200, "{}", res.text());

        // A district-wide compliance check of 2026-Q3, by the coordinator.
        let res = app.call(Method::POST, "/api/v1/compliance-checks", &coordinator_token, Some(serde_json::json!({"period": "2026-Q3"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let check = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();

        let mut n = 0;
        let mut checked = 0;
        for route in protected_routes() {
            let (method, path) = route.split_once(' ').unwrap();
            for caller in callers.iter_mut() {
                for scope in [Scope::Own, Scope::Other] {
                    n += 1;
                    let target_unit = match scope {
                        Scope::Own => caller.unit_id.clone().unwrap_or_else(|| unit_unit.clone()),
                        Scope::Other => other_unit.clone(),
                    };
                    let want = expected(&route, caller.role, scope).unwrap();
                    if route.ends_with("/auth/logout") && scope == Scope::Other {
                        // The first sign-out ended the session: sign in again.
                        caller.token = app.login_ok(&caller.username, &caller.password).await.access_token;
                    }
                    let mut headers: Vec<(String, String)> = Vec::new();
                    let (real_path, body) = match route.as_str() {
                        "POST /api/v1/users" => (path.to_owned(), Some(serde_json::json!({
                            "username": format!("m.new{n}"), "display_name": "x", "role": "unit", "unit_id": target_unit
                        }))),
                        "GET /api/v1/users/{id}" | "PATCH /api/v1/users/{id}" => {
                            let p = format!("/api/v1/users/{}", peers[&target_unit]);
                            if method == "PATCH" {
                                headers.push(("if-match".into(), etag_of(app, &admin_token, &p).await));
                            }
                            (p, (method == "PATCH").then(|| serde_json::json!({"display_name": format!("peer {n}")})))
                        }
                        "POST /api/v1/units" => (path.to_owned(), Some(serde_json::json!({
                            "name": format!("矩阵测试单位{n}"), "short_code": format!("matrix-{n}"), "kind": "district_department"
                        }))),
                        "PATCH /api/v1/units/{id}" => {
                            let p = format!("/api/v1/units/{target_unit}");
                            headers.push(("if-match".into(), etag_of(app, &admin_token, &p).await));
                            (p, Some(serde_json::json!({"delegation_allowed": n % 2 == 0})))
                        }
                        "POST /api/v1/auth/password" => {
                            let next = format!("{}-{n}", caller.password);
                            let body = serde_json::json!({"current_password": caller.password, "new_password": next});
                            if want == 204 {
                                caller.password = next;
                            }
                            (path.to_owned(), Some(body))
                        }
                        "GET /api/v1/units/{id}/matters" | "GET /api/v1/units/{id}/coverage" | "GET /api/v1/units/{id}/service-records" => {
                            (path.replace("{id}", &target_unit), None)
                        }
                        "POST /api/v1/units/{id}/matters" => (path.replace("{id}", &target_unit), Some(serde_json::json!({"kind": "approval", "name": format!("新事项{n}")}))),
                        "POST /api/v1/units/{id}/matters:import" => {
                            (path.replace("{id}", &target_unit), Some(serde_json::json!([{"kind": "approval", "name": format!("导入事项{n}")}])))
                        }
                        "GET /api/v1/units/{id}/matters/{matter_id}" | "PATCH /api/v1/units/{id}/matters/{matter_id}" => {
                            let p = path.replace("{id}", &target_unit).replace("{matter_id}", &fixtures[&target_unit].0);
                            if method == "PATCH" {
                                headers.push(("if-match".into(), "*".into()));
                            }
                            (p, (method == "PATCH").then(|| serde_json::json!({"online": n % 2 == 0})))
                        }
                        "POST /api/v1/units/{id}/service-records" => {
                            (path.replace("{id}", &target_unit), Some(serde_json::json!({"served_on": yesterday, "kind": "consultation"})))
                        }
                        "POST /api/v1/units/{id}/service-records:import" => {
                            (path.replace("{id}", &target_unit), Some(serde_json::json!([{"served_on": yesterday, "kind": "application"}])))
                        }
                        "POST /api/v1/draws" => (path.to_owned(), Some(serde_json::json!({"purpose": "inspection_matters", "unit_id": target_unit, "count": 2}))),
                        "GET /api/v1/draws/{id}" | "GET /api/v1/draws/{id}/verify" => (path.replace("{id}", &fixtures[&target_unit].1), None),
                        "POST /api/v1/schedules" => (path.to_owned(), Some(serde_json::json!({"activity": "window", "quarter": format!("{}-Q{}", 2030 + n % 60, n % 4 + 1), "title": "t"}))),
                        "GET /api/v1/schedules/{id}" | "GET /api/v1/schedules/{id}/entries" => (path.replace("{id}", &schedule), None),
                        "PATCH /api/v1/schedules/{id}" => {
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &schedule), Some(serde_json::json!({"title": format!("矩阵计划{n}")})))
                        }
                        "POST /api/v1/schedules/{id}/entries" => {
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &schedule), Some(serde_json::json!({"unit_id": target_unit, "planned_on": "2027-02-01", "participant": {"kind": "head"}, "mode": "regular"})))
                        }
                        "PATCH /api/v1/schedules/{id}/entries/{entry_id}" => {
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &schedule).replace("{entry_id}", &entry), Some(entry_body.clone()))
                        }
                        "DELETE /api/v1/schedules/{id}/entries/{entry_id}" => {
                            // A fresh entry each time, made by the lead, to delete.
                            let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{schedule}/entries"), &lead_token, &[("if-match", "*")], Some(entry_body.clone())).await;
                            let fresh = res.json::<frontline::api::schedules::Schedule>().entries.into_iter().map(|e| e.id).max().unwrap();
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &schedule).replace("{entry_id}", &fresh), None)
                        }
                        "POST /api/v1/schedules/{id}/transitions" => (path.replace("{id}", &schedule), Some(serde_json::json!({"action": "submit"}))),
                        "POST /api/v1/schedules/{id}/revisions" => (path.replace("{id}", &schedule), None),
                        "POST /api/v1/triggers" => (path.to_owned(), Some(serde_json::json!({"unit_id": target_unit, "reason": "important_date", "description": "年底办件高峰"}))),
                        "POST /api/v1/tracking-subjects" => (path.to_owned(), Some(serde_json::json!({"kind": "key_project", "title": "重点项目", "unit_ids": [target_unit], "active_from": "2026-10-01", "active_to": "2026-12-31"}))),
                        "POST /api/v1/participations" => (path.to_owned(), Some(participation_body(&target_unit))),
                        "GET /api/v1/participations/{id}" => (path.replace("{id}", &participation_of(&target_unit)), None),
                        "PATCH /api/v1/participations/{id}" => {
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &participation_of(&target_unit)), Some(serde_json::json!({"people_received": n})))
                        }
                        "POST /api/v1/participations/{id}/transitions" => (path.replace("{id}", &participation_of(&target_unit)), Some(serde_json::json!({"action": "file"}))),
                        "POST /api/v1/participations/{id}/notes" => (path.replace("{id}", &participation_of(&target_unit)), Some(serde_json::json!({"body": format!("备注{n}")}))),
                        "POST /api/v1/issues" => (path.to_owned(), Some(serde_json::json!({"unit_id": target_unit, "activity": "window", "kind": "demand", "description": format!("需求{n}"), "source_reason": "窗口意见簿"}))),
                        "GET /api/v1/issues/{id}" | "GET /api/v1/issues/{id}/history" => (path.replace("{id}", &ledger[&target_unit]), None),
                        "PATCH /api/v1/issues/{id}" => {
                            headers.push(("if-match".into(), "*".into()));
                            (path.replace("{id}", &ledger[&target_unit]), Some(serde_json::json!({"remarks": format!("备注{n}")})))
                        }
                        "POST /api/v1/issues/{id}/transitions" => (path.replace("{id}", &ledger[&target_unit]), Some(serde_json::json!({"action": "plan", "measures": "制定整改方案", "deadline": "2099-12-31"}))),
                        "POST /api/v1/issue-lists" => (path.to_owned(), Some(serde_json::json!({"unit_id": target_unit, "quarter": "2026-Q4"}))),
                        "GET /api/v1/stats" => (format!("{path}?period=2026-Q4&group_by=lead"), None),
                        "POST /api/v1/reports" => (path.to_owned(), Some(serde_json::json!({"kind": "monthly", "period": last_month}))),
                        "GET /api/v1/reports/{id}" | "GET /api/v1/reports/{id}/export" => (path.replace("{id}", &report), None),
                        "GET /api/v1/calendar/{year}" => (path.replace("{year}", "2026"), None),
                        "POST /api/v1/bulletins" => (path.to_owned(), Some(serde_json::json!({"quarter": "2026-Q3", "title": format!("通报{n}"), "body": "正文"}))),
                        "POST /api/v1/bulletins/{id}/publication" => (path.replace("{id}", &bulletin), None),
                        "POST /api/v1/compliance-checks" => (path.to_owned(), Some(serde_json::json!({"period": "2026-Q3", "unit_id": target_unit}))),
                        "GET /api/v1/compliance-checks/{id}" | "GET /api/v1/compliance-checks/{id}/scores" | "GET /api/v1/compliance-checks/{id}/export" => (path.replace("{id}", &check), None),
                        "GET /api/v1/compliance-checks/{id}/diff" => (format!("{}?against={check}", path.replace("{id}", &check)), None),
                        "GET /api/v1/compliance-checks/{id}/findings" => (format!("{}?unit_id={target_unit}", path.replace("{id}", &check)), None),
                        "POST /api/v1/hotline/work-orders:import" => (path.to_owned(), Some(serde_json::json!([{"external_id": format!("M{n}"), "received_at": "2026-11-20 09:30:00", "unit": "区档案馆", "category": "噪音", "status": "open"}]))),
                        "POST /api/v1/hotline/concentration-lists" => (path.to_owned(), Some(serde_json::json!({"quarter": "2026-Q4"}))),
                        "POST /api/v1/units/{id}/aliases" => (path.replace("{id}", &target_unit), Some(serde_json::json!({"alias": format!("矩阵别名{n}")}))),
                        "GET /api/v1/units/{id}/aliases" => (path.replace("{id}", &target_unit), None),
                        "GET /api/v1/hotline/ranking" => (format!("{path}?period=2026-Q4"), None),
                        "GET /api/v1/hotline/stats" => (format!("{path}?unit_id={target_unit}&period=2026-Q4"), None),
                        "POST /api/v1/api-keys" => (path.to_owned(), Some(serde_json::json!({"name": format!("矩阵密钥{n}"), "scopes": ["public:read"]}))),
                        "DELETE /api/v1/api-keys/{id}" => {
                            // A fresh key each time, made by the admin, to revoke.
                            let res = app.call(Method::POST, "/api/v1/api-keys", &admin_token, Some(serde_json::json!({"name": format!("待撤销{n}"), "scopes": ["public:read"]}))).await;
                            (path.replace("{id}", res.json::<serde_json::Value>()["id"].as_str().unwrap()), None)
                        }
                        "POST /api/v1/imports" => (path.to_owned(), Some(serde_json::json!({"kind": "triggers", "records": [{"external_ref": format!("矩阵{n}"), "unit_id": target_unit, "reason": "important_date", "description": "矩阵导入", "raised_on": "2026-02-20"}]}))),
                        "POST /api/v1/imports/annex2" => (format!("{path}?unit_id={target_unit}"), Some(serde_json::json!({}))),
                        "POST /api/v1/webhooks" => (path.to_owned(), Some(serde_json::json!({"name": format!("矩阵{n}"), "url": "https://portal.beilin.gov.cn/hooks", "events": ["ping"]}))),
                        p if p.starts_with("GET /api/v1/webhooks/") || p.starts_with("PATCH /api/v1/webhooks/") || p.starts_with("DELETE /api/v1/webhooks/") || p.starts_with("POST /api/v1/webhooks/") => {
                            // A fresh webhook with one delivery, made by the admin.
                            let res = app.call(Method::POST, "/api/v1/webhooks", &admin_token, Some(serde_json::json!({"name": format!("矩阵{n}"), "url": "https://portal.beilin.gov.cn/hooks", "events": ["ping"]}))).await;
                            let hook = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
                            let res = app.call(Method::POST, &format!("/api/v1/webhooks/{hook}/pings"), &admin_token, None).await;
                            let delivery = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
                            if route.starts_with("PATCH") {
                                headers.push(("if-match".into(), "*".into()));
                            }
                            let body = route.starts_with("PATCH").then(|| serde_json::json!({"active": false}));
                            (path.replace("{id}", &hook).replace("{delivery_id}", &delivery), body)
                        }
                        "PUT /api/v1/calendar/{year}" => (path.replace("{year}", "2026"), Some(serde_json::json!({"holidays": [{"date": "2026-10-01", "name": "国庆节"}], "workdays": []}))),
                        _ => (path.to_owned(), None),
                    };
                    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    let method = Method::from_bytes(method.as_bytes()).unwrap();
                    let res = app.call_with(method, &real_path, &caller.token, &headers, body).await;
                    assert_eq!(res.status, want, "{route} as {} on {scope:?} unit: {}", caller.role, res.text());
                    if want == 403 {
                        assert_eq!(res.problem().type_uri, "urn:frontline:problem:forbidden");
                    }
                    // Without a token, every one of these routes is 401.
                    let anonymous = app.send(Method::from_bytes(route.split(' ').next().unwrap().as_bytes()).unwrap(), &real_path, &[], None).await;
                    assert_eq!(anonymous.status, 401, "{route} without a token");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 100, "{checked} cases");
        // Everyone reads their own account, whatever the role.
        for caller in callers.iter().filter(|c| c.role != "admin") {
            let token = app.login_ok(&caller.username, &caller.password).await.access_token;
            let me: frontline::domain::account::User = app.call(Method::GET, "/api/v1/auth/me", &token, None).await.json();
            let res = app.call(Method::GET, &format!("/api/v1/users/{}", me.id), &token, None).await;
            assert_eq!(res.status, 200, "{} reads its own account", caller.role);
        }
    }
}
