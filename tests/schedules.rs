//! Schedules: the workflow with each illegal step and each role that may not act, the
//! submission check, revisions, and the public feed (JSON and iCalendar).

mod common;

use actix_web::http::Method;
use common::TestApp;
use frontline::api::public::PublicSchedule;
use frontline::api::schedules::Schedule;
use frontline::domain::annex1;

struct Cast {
    lead: String,
    window_lead: String,
    coordinator: String,
    leader: String,
    unit: String,
    unit_id: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin_token().await;
    let id = |name: &'static str| async move { app.unit_named(name).await.id.to_string() };
    let (_, lead) = app
        .user_with_token(
            &admin,
            "sfj.lead",
            "lead",
            Some(&id("区司法局").await),
            Some("enforcement"),
        )
        .await;
    let (_, window_lead) = app
        .user_with_token(
            &admin,
            "xzsp.lead",
            "lead",
            Some(&id("区行政审批局").await),
            Some("window"),
        )
        .await;
    let (_, coordinator) = app
        .user_with_token(
            &admin,
            "yss.coord",
            "coordinator",
            Some(&id("区营商办").await),
            None,
        )
        .await;
    let (_, leader) = app
        .user_with_token(&admin, "qz.leader", "leader", None, None)
        .await;
    let unit_id = id("区发改委").await;
    let (_, unit) = app
        .user_with_token(&admin, "fgw.clerk", "unit", Some(&unit_id), None)
        .await;
    Cast {
        lead,
        window_lead,
        coordinator,
        leader,
        unit,
        unit_id,
    }
}

async fn step(app: &TestApp, token: &str, id: &str, body: serde_json::Value) -> common::Resp {
    app.call(
        Method::POST,
        &format!("/api/v1/schedules/{id}/transitions"),
        token,
        Some(body),
    )
    .await
}

async fn etag(app: &TestApp, token: &str, id: &str) -> String {
    app.call(Method::GET, &format!("/api/v1/schedules/{id}"), token, None)
        .await
        .header("etag")
        .unwrap()
}

async fn add_entry(app: &TestApp, token: &str, id: &str, body: serde_json::Value) -> Schedule {
    let tag = etag(app, token, id).await;
    let res = app
        .call_with(
            Method::POST,
            &format!("/api/v1/schedules/{id}/entries"),
            token,
            &[("if-match", &tag)],
            Some(body),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

/// Every enforcement unit but those given, exempted with a reason.
async fn exemptions_but(app: &TestApp, keep: &[&str]) -> serde_json::Value {
    let mut out = Vec::new();
    for name in annex1::LIST_2_LAW_ENFORCEMENT {
        if !keep.contains(&name) {
            out.push(serde_json::json!({"unit_id": app.unit_named(name).await.id.to_string(), "reason": "本季度已安排专项执法检查"}));
        }
    }
    serde_json::Value::Array(out)
}

fn ics_events(text: &str) -> Vec<(String, String, String, String)> {
    use icalendar::Component;
    let unfolded = icalendar::parser::unfold(text);
    let parsed = icalendar::parser::read_calendar(&unfolded).expect("the feed parses as iCalendar");
    let cal = icalendar::Calendar::from(parsed);
    cal.components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => Some((
                e.get_summary().unwrap_or_default().to_owned(),
                e.property_value("UID").unwrap_or_default().to_owned(),
                e.property_value("SEQUENCE").unwrap_or_default().to_owned(),
                e.property_value("STATUS").unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

both_backends! {
    async fn the_submission_check_lists_every_missing_required_unit(app: TestApp) {
        let c = cast(app).await;
        let res = app.call(Method::POST, "/api/v1/schedules", &c.window_lead, Some(serde_json::json!({"activity": "window", "quarter": "2027-Q1", "title": "2027年第一季度“走流程、坐窗口”活动计划"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let s: Schedule = res.json();
        let res = step(app, &c.window_lead, &s.id, serde_json::json!({"action": "submit"})).await;
        assert_eq!(res.status, 422);
        let errors = res.problem().errors.unwrap();
        let missing: Vec<_> = errors.iter().filter(|e| e.code == "required_unit_missing").collect();
        assert_eq!(missing.len(), 41, "every unit of Annex 1 list 一");
        assert!(missing.iter().any(|e| e.message.contains("工商银行")));
        let s: Schedule = app.call(Method::GET, &format!("/api/v1/schedules/{}", s.id), &c.window_lead, None).await.json();
        assert_eq!(s.status, frontline::domain::schedule::Status::Draft, "nothing changed");
    }

    async fn a_schedule_goes_through_review_approval_publication_and_revision(app: TestApp) {
        let c = cast(app).await;
        let body = serde_json::json!({"activity": "enforcement", "quarter": "2027-Q1", "title": "2027年第一季度“跟执法”活动计划", "notes": "内部备注：勿外传"});
        for token in [&c.window_lead, &c.coordinator, &c.leader, &c.unit] {
            assert_eq!(app.call(Method::POST, "/api/v1/schedules", token, Some(body.clone())).await.status, 403);
        }
        let s: Schedule = app.call(Method::POST, "/api/v1/schedules", &c.lead, Some(body.clone())).await.json();
        assert_eq!(app.call(Method::POST, "/api/v1/schedules", &c.lead, Some(body)).await.status, 409, "one per activity and quarter");
        let jy = app.unit_named("区教育局").await.id.to_string();
        add_entry(app, &c.lead, &s.id, serde_json::json!({"unit_id": c.unit_id, "planned_on": "2027-01-15", "participant": {"kind": "head"}, "mode": "regular", "place": "区发改委, 3楼会议室"})).await;
        let s2 = add_entry(app, &c.lead, &s.id, serde_json::json!({"unit_id": jy, "planned_on": "2027-04-02", "participant": {"kind": "deputy", "name": "王五"}, "mode": "regular"})).await;
        assert_eq!(s2.entries.len(), 2);
        // The check names the deputy, the date and every missing unit.
        let res = step(app, &c.lead, &s.id, serde_json::json!({"action": "submit"})).await;
        assert_eq!(res.status, 422);
        let errors = res.problem().errors.unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"entries[1].participant") && fields.contains(&"entries[1].planned_on"), "{fields:?}");
        assert_eq!(errors.iter().filter(|e| e.code == "required_unit_missing").count(), 28);
        // Fix the entry (If-Match needed), exempt the others with reasons, submit.
        let entry = s2.entries.iter().find(|e| e.unit_id == jy).unwrap().id.clone();
        let fixed = serde_json::json!({"unit_id": jy, "planned_on": "2027-02-02", "participant": {"kind": "head"}, "mode": "regular"});
        let path = format!("/api/v1/schedules/{}/entries/{entry}", s.id);
        assert_eq!(app.call(Method::PATCH, &path, &c.lead, Some(fixed.clone())).await.status, 428);
        assert_eq!(app.call_with(Method::PATCH, &path, &c.lead, &[("if-match", "\"1\"")], Some(fixed.clone())).await.status, 412);
        let tag = etag(app, &c.lead, &s.id).await;
        assert_eq!(app.call_with(Method::PATCH, &path, &c.lead, &[("if-match", &tag)], Some(fixed)).await.status, 200);
        let exempt = exemptions_but(app, &["区发改委", "区教育局"]).await;
        let res = step(app, &c.lead, &s.id, serde_json::json!({"action": "submit", "exemptions": exempt})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // Illegal steps answer 409 with the allowed ones; the wrong roles 403; edits need a draft.
        let res = step(app, &c.lead, &s.id, serde_json::json!({"action": "publish"})).await;
        assert_eq!(res.status, 409);
        assert_eq!(res.problem().allowed, Some(vec!["review".to_string(), "return".to_string()]));
        for token in [&c.lead, &c.leader, &c.unit, &c.window_lead] {
            assert_eq!(step(app, token, &s.id, serde_json::json!({"action": "review"})).await.status, 403);
        }
        let tag = etag(app, &c.lead, &s.id).await;
        let res = app.call_with(Method::PATCH, &format!("/api/v1/schedules/{}", s.id), &c.lead, &[("if-match", &tag)], Some(serde_json::json!({"title": "x"}))).await;
        assert_eq!(res.status, 409);
        assert_eq!(step(app, &c.coordinator, &s.id, serde_json::json!({"action": "return"})).await.status, 422, "a return needs a reason");
        let res = step(app, &c.coordinator, &s.id, serde_json::json!({"action": "return", "reason": "请补充会议地点"})).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<Schedule>().status, frontline::domain::schedule::Status::Draft);
        let exempt = exemptions_but(app, &["区发改委", "区教育局"]).await;
        assert_eq!(step(app, &c.lead, &s.id, serde_json::json!({"action": "submit", "exemptions": exempt})).await.status, 200);
        assert_eq!(step(app, &c.coordinator, &s.id, serde_json::json!({"action": "review"})).await.status, 200);
        assert_eq!(step(app, &c.coordinator, &s.id, serde_json::json!({"action": "approve"})).await.status, 403);
        let stale = app
            .call_with(Method::POST, &format!("/api/v1/schedules/{}/transitions", s.id), &c.leader, &[("if-match", "\"1\"")], Some(serde_json::json!({"action": "approve"})))
            .await;
        assert_eq!(stale.status, 412, "approving a version other than the one read");
        assert_eq!(step(app, &c.leader, &s.id, serde_json::json!({"action": "approve"})).await.status, 200);
        assert_eq!(step(app, &c.coordinator, &s.id, serde_json::json!({"action": "publish"})).await.status, 403);
        let res = step(app, &c.lead, &s.id, serde_json::json!({"action": "publish"})).await;
        assert_eq!(res.status, 200);
        let published: Schedule = res.json();
        assert_eq!(published.transitions.len(), 6, "submit, return, submit, review, approve, publish");
        assert!(published.allowed_actions.is_empty());
        assert_eq!(step(app, &c.lead, &s.id, serde_json::json!({"action": "return", "reason": "x"})).await.status, 409);

        // A unit account reads its own unit's entries only.
        let mine: Schedule = app.call(Method::GET, &format!("/api/v1/schedules/{}", s.id), &c.unit, None).await.json();
        assert_eq!(mine.entries.len(), 1);
        assert_eq!(mine.entries[0].unit_id, c.unit_id);

        // The public sees revision 1: names, dates, places; no notes.
        let res = app.get("/api/v1/public/schedules").await;
        assert_eq!(res.status, 200);
        assert!(res.header("cache-control").unwrap().contains("public"));
        assert!(!res.text().contains("内部备注") && !res.text().contains("sfj.lead"));
        let list: Vec<PublicSchedule> = res.json();
        assert_eq!((list.len(), list[0].revision, list[0].entries.len()), (1, 1, 2));
        let tag = res.header("etag").unwrap();
        assert_eq!(app.get_with("/api/v1/public/schedules", &[("if-none-match", &tag)]).await.status, 304);
        let ics = app.get("/api/v1/public/schedules.ics?activity=enforcement").await;
        assert!(ics.header("content-type").unwrap().starts_with("text/calendar"));
        let events = ics_events(&ics.text());
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.2 == "0" && e.3 == "CONFIRMED"));
        assert!(events.iter().any(|e| e.0 == "区发改委 跟执法"), "{events:?}");
        // Calendar clients ask for gzip: the same feed, compressed, with its own tag.
        let plain = app.get("/api/v1/public/schedules.ics?activity=enforcement").await;
        let zipped = app.get_with("/api/v1/public/schedules.ics?activity=enforcement", &[("accept-encoding", "br;q=1, gzip;q=0.8")]).await;
        assert_eq!(zipped.status, 200);
        assert_eq!(zipped.header("content-encoding").as_deref(), Some("gzip"));
        assert_eq!(plain.header("content-encoding"), None);
        for res in [&plain, &zipped] {
            assert_eq!(res.header("vary").as_deref(), Some("Accept-Encoding"));
        }
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped.body[..]), &mut unzipped).unwrap();
        assert_eq!(unzipped, plain.body, "the gzip body unpacks to the feed");
        let (plain_tag, zip_tag) = (plain.header("etag").unwrap(), zipped.header("etag").unwrap());
        assert_ne!(plain_tag, zip_tag, "two encodings, two tags");
        let res = app.get_with("/api/v1/public/schedules.ics?activity=enforcement", &[("accept-encoding", "gzip"), ("if-none-match", &zip_tag)]).await;
        assert_eq!((res.status, res.body.len()), (304, 0));
        let res = app.get_with("/api/v1/public/schedules.ics?activity=enforcement", &[("accept-encoding", "gzip;q=0"), ("if-none-match", &zip_tag)]).await;
        assert_eq!(res.status, 200, "the gzip tag does not match the plain feed");
        assert_eq!(res.body, plain.body);
        // The whole feed, rendered now: the same address must show revision 2 once published.
        let before = ics_events(&app.get("/api/v1/public/schedules.ics").await.text());
        assert!(before.iter().all(|e| e.2 == "0"), "{before:?}");

        // Revision 2: the public keeps revision 1 until revision 2 is published.
        assert_eq!(app.call(Method::POST, &format!("/api/v1/schedules/{}/revisions", s.id), &c.coordinator, None).await.status, 403);
        let res = app.call(Method::POST, &format!("/api/v1/schedules/{}/revisions", s.id), &c.lead, None).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let r2: Schedule = res.json();
        assert_eq!((r2.revision, r2.entries.len()), (2, 2));
        assert_eq!(app.call(Method::POST, &format!("/api/v1/schedules/{}/revisions", s.id), &c.lead, None).await.status, 409, "only the latest revision");
        let gone = r2.entries.iter().find(|e| e.unit_id == jy).unwrap();
        let tag = etag(app, &c.lead, &r2.id).await;
        let res = app.call_with(Method::DELETE, &format!("/api/v1/schedules/{}/entries/{}", r2.id, gone.id), &c.lead, &[("if-match", &tag)], None).await;
        assert_eq!(res.status, 200);
        let list: Vec<PublicSchedule> = app.get("/api/v1/public/schedules").await.json();
        assert_eq!(list[0].revision, 1, "still revision 1");
        let exempt = exemptions_but(app, &["区发改委"]).await;
        assert_eq!(step(app, &c.lead, &r2.id, serde_json::json!({"action": "submit", "exemptions": exempt})).await.status, 200);
        assert_eq!(step(app, &c.coordinator, &r2.id, serde_json::json!({"action": "review"})).await.status, 200);
        assert_eq!(step(app, &c.leader, &r2.id, serde_json::json!({"action": "approve"})).await.status, 200);
        assert_eq!(step(app, &c.lead, &r2.id, serde_json::json!({"action": "publish"})).await.status, 200);
        let list: Vec<PublicSchedule> = app.get("/api/v1/public/schedules").await.json();
        assert_eq!((list[0].revision, list[0].entries.len()), (2, 1));
        let old: PublicSchedule = app.get(&format!("/api/v1/public/schedules/{}", s.id)).await.json();
        assert_eq!(old.revision, 1, "past revisions stay readable");
        let events = ics_events(&app.get("/api/v1/public/schedules.ics").await.text());
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.2 == "1"), "SEQUENCE rises: {events:?}");
        let cancelled = events.iter().find(|e| e.3 == "CANCELLED").expect("the removed entry is cancelled");
        assert!(cancelled.0.starts_with("区教育局"));
        assert_eq!(cancelled.1, format!("{}@frontline", gone.uid), "the same UID as before");
        assert_eq!(app.get(&format!("/api/v1/public/schedules/{}", r2.id)).await.status, 200);
        let draft: Schedule = app.call(Method::POST, "/api/v1/schedules", &c.window_lead, Some(serde_json::json!({"activity": "window", "quarter": "2027-Q2", "title": "t"}))).await.json();
        assert_eq!(app.get(&format!("/api/v1/public/schedules/{}", draft.id)).await.status, 404, "drafts are not public");
        let by_unit = ics_events(&app.get(&format!("/api/v1/public/schedules.ics?unit_id={}", c.unit_id)).await.text());
        assert_eq!(by_unit.len(), 1);
    }

    async fn triggers_and_tracking_subjects_are_recorded_with_computed_state(app: TestApp) {
        let c = cast(app).await;
        let raised = (frontline::domain::calendar::local_date(chrono::Utc::now()) - chrono::Duration::days(10)).to_string();
        let body = serde_json::json!({"unit_id": c.unit_id, "reason": "process_change", "description": "企业开办流程调整", "raised_on": raised});
        let res = app.call(Method::POST, "/api/v1/triggers", &c.unit, Some(body.clone())).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let t: frontline::api::triggers::Trigger = res.json();
        assert_eq!((t.due_on - t.raised_on).num_days(), 7);
        assert_eq!(t.state, frontline::api::triggers::TriggerState::Overdue);
        let other = app.unit_named("区教育局").await.id.to_string();
        let mut elsewhere = body.clone();
        elsewhere["unit_id"] = other.clone().into();
        assert_eq!(app.call(Method::POST, "/api/v1/triggers", &c.unit, Some(elsewhere.clone())).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/triggers", &c.leader, Some(elsewhere.clone())).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/triggers", &c.lead, Some(elsewhere)).await.status, 201);
        let mine: frontline::api::triggers::TriggerList = app.call(Method::GET, "/api/v1/triggers", &c.unit, None).await.json();
        assert_eq!(mine.items.len(), 1, "a unit sees its own");
        let all: frontline::api::triggers::TriggerList = app.call(Method::GET, "/api/v1/triggers", &c.coordinator, None).await.json();
        assert_eq!(all.items.len(), 2);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/triggers?unit_id={other}"), &c.unit, None).await.status, 403);
        let tracking = serde_json::json!({"kind": "reform", "title": "工程建设项目审批制度改革", "unit_ids": [c.unit_id], "active_from": "2026-10-01", "active_to": "2027-03-31"});
        assert_eq!(app.call(Method::POST, "/api/v1/tracking-subjects", &c.unit, Some(tracking.clone())).await.status, 403);
        let res = app.call(Method::POST, "/api/v1/tracking-subjects", &c.coordinator, Some(tracking.clone())).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let s: frontline::api::triggers::TrackingSubject = res.json();
        assert_eq!(s.interval_days, 30);
        let mut bad = tracking;
        bad["active_to"] = "2026-09-01".into();
        let res = app.call(Method::POST, "/api/v1/tracking-subjects", &c.coordinator, Some(bad)).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].field, "active_to");
    }

    async fn entries_take_any_uuid_form_and_units_see_only_their_own(app: TestApp) {
        let c = cast(app).await;
        let body = serde_json::json!({"activity": "enforcement", "quarter": "2027-Q1", "title": "t", "notes": "内部备注"});
        let s: Schedule = app.call(Method::POST, "/api/v1/schedules", &c.lead, Some(body)).await.json();
        let upper = c.unit_id.to_uppercase();
        let s2 = add_entry(app, &c.lead, &s.id, serde_json::json!({"unit_id": upper, "planned_on": "2027-01-15", "participant": {"kind": "head"}, "mode": "regular"})).await;
        assert_eq!(s2.entries[0].unit_id, c.unit_id, "stored in canonical form");
        let tag = etag(app, &c.lead, &s.id).await;
        let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{}/entries", s.id), &c.lead, &[("if-match", &tag)],
            Some(serde_json::json!({"unit_id": uuid::Uuid::now_v7().to_string(), "planned_on": "-9999-01-15", "participant": {"kind": "head"}, "mode": "regular"}))).await;
        assert_eq!(res.status, 422);
        // A unit account gets a 403 before any validation, and reads no notes or others' business.
        let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{}/entries", s.id), &c.unit, &[("if-match", "*")], Some(serde_json::json!({"bogus": 1}))).await;
        assert_eq!(res.status, 403, "the role is checked before the body");
        let res = app.call_with(Method::POST, &format!("/api/v1/schedules/{}/entries", s.id), &c.unit, &[("if-match", "*")],
            Some(serde_json::json!({"unit_id": "x", "planned_on": "x", "participant": {"kind": "head"}, "mode": "regular"}))).await;
        assert_eq!(res.status, 403, "the role is checked before the fields");
        assert_eq!(step(app, &c.unit, &s.id, serde_json::json!({"action": "publish"})).await.status, 403, "no state revealed");
        let seen: Schedule = app.call(Method::GET, &format!("/api/v1/schedules/{}", s.id), &c.unit, None).await.json();
        assert!(seen.notes.is_none());
        let other = app.unit_named("区教育局").await.id.to_string();
        assert_eq!(app.call(Method::GET, &format!("/api/v1/schedules?unit_id={other}"), &c.unit, None).await.status, 403);
        let mine: frontline::api::schedules::ScheduleList = app.call(Method::GET, "/api/v1/schedules", &c.unit, None).await.json();
        assert_eq!(mine.items.len(), 1);
        assert!(mine.items[0].notes.is_none());
    }
}
