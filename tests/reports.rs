//! Reports: frozen statistics with their deadline and lateness, resubmissions kept, the
//! district report listing what is missing, exports, and the working calendar moving a
//! deadline across a holiday.

mod common;

use actix_web::http::Method;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::TestApp;
use frontline::api::reports::{Report, ReportList};
use frontline::domain::calendar::{self, local_date, DayCount, WorkCalendar};
use serde_json::json;

struct Accounts {
    admin: String,
    window: String,
    enforcement: String,
    coordinator: String,
    clerk: String,
}

async fn accounts(app: &TestApp) -> Accounts {
    let admin = app.admin_token().await;
    let mut leads = Vec::new();
    for (name, user, activity) in [
        ("区行政审批局", "xzsp.lead", "window"),
        ("区司法局", "sfj.lead", "enforcement"),
    ] {
        let id = app.unit_named(name).await.id.to_string();
        leads.push(
            app.user_with_token(&admin, user, "lead", Some(&id), Some(activity))
                .await
                .1,
        );
    }
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coordinator) = app
        .user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    Accounts {
        admin,
        window: leads[0].clone(),
        enforcement: leads[1].clone(),
        coordinator,
        clerk,
    }
}

/// The first day of last month, and its name.
fn last_month() -> (NaiveDate, String) {
    let today = local_date(Utc::now());
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let prev = (first - Duration::days(1)).with_day(1).unwrap();
    (prev, prev.format("%Y-%m").to_string())
}

both_backends! {
    async fn a_monthly_report_freezes_its_figures_and_records_its_lateness(app: TestApp) {
        let a = accounts(app).await;
        let (first, month) = last_month();
        let res = app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "monthly", "period": month}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let r: Report = res.json();
        let due = calendar::monthly_report_due(first, 20, &WorkCalendar::default(), DayCount::Calendar);
        assert_eq!(r.due_on, Some(due));
        assert_eq!(due.day(), 20);
        let late = calendar::days_late(due, local_date(Utc::now()));
        assert_eq!((r.late_days, r.on_time), (Some(late), Some(late == 0)));
        assert_eq!(r.statistics.from, first);
        assert_eq!(r.activity.map(|x| x.as_str()), Some("window"));
        // Resubmitted: both are kept.
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "monthly", "period": month}))).await.status, 201);
        let list: ReportList = app.call(Method::GET, &format!("/api/v1/reports?kind=monthly&period={month}"), &a.coordinator, None).await.json();
        assert_eq!(list.items.len(), 2);
        // The running month is not reported; nor by the wrong role; nor with a narrative.
        let this_month = local_date(Utc::now()).format("%Y-%m").to_string();
        let res = app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "monthly", "period": this_month}))).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "not_ended");
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.coordinator, Some(json!({"kind": "monthly", "period": month}))).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.clerk, Some(json!({"kind": "monthly", "period": month}))).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "monthly", "period": "2026-Q1"}))).await.status, 422);
        // Who reads: not units; a lead its activity's.
        assert_eq!(app.call(Method::GET, "/api/v1/reports", &a.clerk, None).await.status, 403);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/reports/{}", r.id), &a.enforcement, None).await.status, 403);
        let theirs: ReportList = app.call(Method::GET, "/api/v1/reports", &a.enforcement, None).await.json();
        assert!(theirs.items.is_empty());
        // Exports: CSV with BOM, the titles, a total row; XLSX readable.
        let res = app.call(Method::GET, &format!("/api/v1/reports/{}/export", r.id), &a.window, None).await;
        assert_eq!(res.status, 200);
        assert!(res.body.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(res.body[3..].to_vec()).unwrap();
        assert!(text.starts_with("单位/活动,参与人次,一把手,"), "{text}");
        assert!(text.lines().any(|l| l.starts_with("合计,")));
        let res = app.call(Method::GET, &format!("/api/v1/reports/{}/export?format=xlsx", r.id), &a.window, None).await;
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
        let sheet = book.worksheet_range("报表").unwrap();
        assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "单位/活动");
        let _ = &a.admin;
    }

    async fn quarterly_summaries_need_their_narrative_and_the_district_report_lists_what_is_missing(app: TestApp) {
        let a = accounts(app).await;
        let quarter = calendar::Quarter::of(local_date(Utc::now()));
        let res = app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "quarterly", "period": quarter.to_string()}))).await;
        assert_eq!(res.problem().errors.unwrap()[0].field, "narrative");
        let narrative = json!({"done": "开展走流程12次", "results": "压减材料8项", "problems": "部分单位参与不足", "next_plan": "下季度覆盖全部事项"});
        let res = app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "quarterly", "period": quarter.to_string(), "narrative": narrative}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let r: Report = res.json();
        let due = calendar::due_in_last_month(quarter, 22, &WorkCalendar::default(), DayCount::Calendar);
        assert_eq!(r.due_on, Some(due));
        assert_eq!(due.month(), quarter.last_month());
        let res = app.call(Method::POST, "/api/v1/reports", &a.coordinator, Some(json!({"kind": "district_quarterly", "period": quarter.to_string()}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let d: Report = res.json();
        let merged = d.merged.unwrap();
        assert_eq!(merged.iter().map(|m| (m.activity.as_str(), m.missing)).collect::<Vec<_>>(),
            vec![("window", false), ("enforcement", true), ("complaint", true)]);
        assert_eq!(merged[0].report_id.as_deref(), Some(r.id.as_str()));
        assert_eq!(merged[0].narrative.as_ref().unwrap().results, "压减材料8项");
        assert_eq!(d.due_on, None);
        let ended: Vec<String> = (0..3)
            .map(|m| quarter.first_day().checked_add_months(chrono::Months::new(m)).unwrap())
            .filter(|first| first.checked_add_months(chrono::Months::new(1)).unwrap() <= local_date(Utc::now()))
            .map(|first| first.format("%Y-%m").to_string())
            .collect();
        assert_eq!(merged[0].monthly_missing, ended, "the quarter's ended months without monthly figures");
        // A summary with its narrative exports to CSV (rows of unequal length).
        let res = app.call(Method::GET, &format!("/api/v1/reports/{}/export", r.id), &a.window, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.text().contains("下季度工作计划,下季度覆盖全部事项"));
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "district_quarterly", "period": quarter.to_string()}))).await.status, 403);
        let next = quarter.next().to_string();
        assert_eq!(app.call(Method::POST, "/api/v1/reports", &a.window, Some(json!({"kind": "quarterly", "period": next, "narrative": narrative}))).await.status, 422);
        // The window lead reads its summary and the district report.
        let list: ReportList = app.call(Method::GET, "/api/v1/reports", &a.window, None).await.json();
        assert_eq!(list.items.len(), 2);
    }
}

both_backends! {
    async fn a_bulletin_names_units_without_participation_and_is_public_once_published(app: TestApp) {
        let a = accounts(app).await;
        let quarter = calendar::Quarter::of(local_date(Utc::now())).to_string();
        // One unit takes part (its enforcement record is filed); two of its issues are overdue.
        let unit = app.unit_named("区市场监管局").await.id.to_string();
        let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{unit}"), &a.admin, &[("if-match", "*")], Some(json!({"head": {"name": "王建国", "title": "局长"}}))).await;
        assert_eq!(res.status, 200);
        let res = app.call(Method::POST, "/api/v1/participations", &a.clerk, Some(json!({"unit_id": unit, "activity": "enforcement", "mode": "regular",
            "activity_on": local_date(Utc::now()).to_string(), "place": "现场", "participant": {"kind": "head"}, "segments": common::enforcement_segments()}))).await;
        let p = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
        assert_eq!(app.call(Method::POST, &format!("/api/v1/participations/{p}/transitions"), &a.clerk, Some(json!({"action": "file"}))).await.status, 200);
        for _ in 0..2 {
            let res = app.call(Method::POST, "/api/v1/issues", &a.clerk, Some(json!({"unit_id": unit, "kind": "problem", "description": "逾期问题", "source_reason": "督查"}))).await;
            let id = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
            let res = app.call(Method::POST, &format!("/api/v1/issues/{id}/transitions"), &a.clerk, Some(json!({"action": "plan", "measures": "m", "deadline": local_date(Utc::now()).to_string()}))).await;
            assert_eq!(res.status, 200);
            use diesel::prelude::*;
            use frontline::db::schema::issues;
            diesel::update(issues::table.find(&id)).set(issues::deadline.eq(local_date(Utc::now()) - Duration::days(1))).execute(&mut app.db()).unwrap();
        }
        let res = app.call(Method::POST, "/api/v1/reports", &a.coordinator, Some(json!({"kind": "district_quarterly", "period": quarter}))).await;
        let report = res.json::<serde_json::Value>()["id"].as_str().unwrap().to_owned();
        let body = json!({"quarter": quarter, "title": "关于本季度活动开展情况的通报", "body": "各单位：……", "report_id": report});
        assert_eq!(app.call(Method::POST, "/api/v1/bulletins", &a.window, Some(body.clone())).await.status, 403);
        let res = app.call(Method::POST, "/api/v1/bulletins", &a.coordinator, Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let b: frontline::api::bulletins::Bulletin = res.json();
        let named = |name: &str| b.listed.iter().find(|l| l.unit_name == name).map(|l| l.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>());
        assert_eq!(named("区市场监管局"), Some(vec!["repeatedly_overdue"]), "it took part, but two issues are overdue");
        assert_eq!(named("区档案馆"), Some(vec!["no_participation"]));
        assert_eq!(named("区营商办"), None, "the programme's offices take no part");
        assert_eq!(b.figures.as_ref().unwrap().participations, 0, "the district report's figures: nothing accepted yet");
        // Drafts are not public; once published they are, without any person's name.
        let public: serde_json::Value = app.send(Method::GET, "/api/v1/public/bulletins", &[], None).await.json();
        assert!(public["items"].as_array().unwrap().is_empty());
        assert_eq!(app.call(Method::POST, &format!("/api/v1/bulletins/{}/publication", b.id), &a.coordinator, None).await.status, 200);
        assert_eq!(app.call(Method::POST, &format!("/api/v1/bulletins/{}/publication", b.id), &a.coordinator, None).await.status, 409);
        let res = app.send(Method::GET, "/api/v1/public/bulletins", &[], None).await;
        assert_eq!(res.status, 200);
        let text = res.text();
        assert!(text.contains("区档案馆") && !text.contains("王建国"), "units named, no person");
        let public: serde_json::Value = res.json();
        assert_eq!(public["items"][0]["figures"]["enforcement_content"], json!([]), "counts only, no record's content");
        let bad = json!({"quarter": calendar::Quarter::of(local_date(Utc::now())).next().to_string(), "title": "t", "body": "b"});
        assert_eq!(app.call(Method::POST, "/api/v1/bulletins", &a.coordinator, Some(bad)).await.status, 422);
    }
}

/// In working-day mode the monthly deadline moves across the holidays of the calendar.
mod a_deadline_moves_across_a_configured_holiday_in_working_day_mode {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        case(common::Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        case(common::Backend::Postgres).await;
    }

    async fn case(backend: common::Backend) {
        let Some(app) = common::spawn_app_with(
            backend,
            &[("FRONTLINE_WORKING_DAY_DEADLINES", "monthly_report")],
        )
        .await
        else {
            return;
        };
        let a = accounts(&app).await;
        let (first, month) = last_month();
        let plain =
            calendar::monthly_report_due(first, 20, &WorkCalendar::default(), DayCount::Calendar);
        // The due day and the two after it are holidays this year.
        let holidays: Vec<NaiveDate> = (0..3).map(|i| plain + Duration::days(i)).collect();
        let body = json!({"holidays": holidays.iter().map(|d| json!({"date": d.to_string(), "name": "测试假日"})).collect::<Vec<_>>(), "workdays": []});
        let year = plain.year();
        assert_eq!(
            app.call(
                Method::PUT,
                &format!("/api/v1/calendar/{year}"),
                &a.window,
                Some(body.clone())
            )
            .await
            .status,
            403
        );
        let res = app
            .call(
                Method::PUT,
                &format!("/api/v1/calendar/{year}"),
                &a.coordinator,
                Some(body),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let mut cal = WorkCalendar::default();
        cal.holidays.extend(holidays.iter().copied());
        let expected = cal.roll(plain, DayCount::Working);
        assert!(expected >= plain + Duration::days(3), "past the holidays");
        let r: Report = app
            .call(
                Method::POST,
                "/api/v1/reports",
                &a.window,
                Some(json!({"kind": "monthly", "period": month})),
            )
            .await
            .json();
        assert_eq!(r.due_on, Some(expected));
        let stored: serde_json::Value = app
            .call(
                Method::GET,
                &format!("/api/v1/calendar/{year}"),
                &a.clerk,
                None,
            )
            .await
            .json();
        assert_eq!(stored["holidays"].as_array().unwrap().len(), 3);
        // A date outside the year, or twice, is refused.
        let res = app.call(Method::PUT, &format!("/api/v1/calendar/{year}"), &a.coordinator, Some(json!({"holidays": [{"date": format!("{}-01-01", year + 1)}], "workdays": [{"date": format!("{year}-01-01")}, {"date": format!("{year}-01-01")}]}))).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap().len(), 2);
        app.stop().await;
    }
}
