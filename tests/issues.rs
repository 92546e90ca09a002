//! The issue ledger: the whole lifecycle with extension, relapse and re-check, who may take
//! each step, history, numbering, overdue and re-check lists, the Annex 2 exports, and the
//! quarter's list submissions.

mod common;

use actix_web::http::Method;
use chrono::{Duration, Utc};
use common::TestApp;
use frontline::api::issues::{Issue, IssueHistory, IssueList, IssueListSubmissions};
use frontline::domain::ledger::ANNEX2_COLUMNS;
use serde_json::{json, Value};

struct Ledger {
    admin: String,
    unit: String,
    clerk: String,
    lead: String,
    coordinator: String,
}

async fn ledger(app: &TestApp) -> Ledger {
    let admin = app.admin_token().await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let res = app
        .call_with(
            Method::PATCH,
            &format!("/api/v1/units/{unit}"),
            &admin,
            &[("if-match", "*")],
            Some(json!({"head": {"name": "王建国", "title": "局长"}})),
        )
        .await;
    assert_eq!(res.status, 200);
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    let lead_unit = app.unit_named("区行政审批局").await.id.to_string();
    let (_, lead) = app
        .user_with_token(
            &admin,
            "xzsp.lead",
            "lead",
            Some(&lead_unit),
            Some("window"),
        )
        .await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coordinator) = app
        .user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    Ledger {
        admin,
        unit,
        clerk,
        lead,
        coordinator,
    }
}

async fn open_issue(app: &TestApp, l: &Ledger, body: Value) -> Issue {
    let mut b = json!({"unit_id": l.unit, "activity": "window", "kind": "problem", "description": "服务指南未列明容缺受理材料",
        "source_reason": "窗口意见簿", "place": "区政务服务中心", "content": "食品经营许可", "method": "走流程 · 一把手"});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    let res = app
        .call(Method::POST, "/api/v1/issues", &l.clerk, Some(b))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

async fn step(app: &TestApp, token: &str, id: &str, body: Value) -> common::Resp {
    app.call(
        Method::POST,
        &format!("/api/v1/issues/{id}/transitions"),
        token,
        Some(body),
    )
    .await
}

fn day(n: i64) -> String {
    (frontline::domain::calendar::local_date(Utc::now()) + Duration::days(n)).to_string()
}

both_backends! {
    async fn an_issue_runs_its_whole_lifecycle_with_extension_relapse_and_recheck(app: TestApp) {
        let l = ledger(app).await;
        let i = open_issue(app, &l, json!({})).await;
        assert_eq!((i.seq, i.status.as_str(), i.source.as_str()), (1, "open", "manual"));
        assert_eq!(i.allowed_actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(), vec!["plan", "withdraw"]);
        // Illegal steps are 409 with the allowed ones; missing reasons and fields are 422.
        let res = step(app, &l.clerk, &i.id, json!({"action": "resolve", "effect": "已改"})).await;
        assert_eq!(res.status, 409);
        assert_eq!(res.problem().allowed, Some(vec!["plan".to_owned(), "withdraw".to_owned()]));
        let res = step(app, &l.clerk, &i.id, json!({"action": "plan", "measures": "修订服务指南"})).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].field, "deadline");
        let res = step(app, &l.clerk, &i.id, json!({"action": "plan", "measures": "修订服务指南", "deadline": day(-1)})).await;
        assert_eq!(res.status, 422, "a deadline in the past");
        let res = step(app, &l.clerk, &i.id, json!({"action": "plan", "measures": "修订服务指南", "deadline": day(10)})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        // Extensions need a reason and a later date; each is kept.
        assert_eq!(step(app, &l.clerk, &i.id, json!({"action": "extend", "deadline": day(20)})).await.status, 422);
        let res = step(app, &l.clerk, &i.id, json!({"action": "extend", "deadline": day(5), "reason": "等待上级批复"})).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "not_later");
        let res = step(app, &l.clerk, &i.id, json!({"action": "extend", "deadline": day(20), "reason": "等待上级批复"})).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<Issue>().deadline.unwrap().to_string(), day(20));
        // The unit reports the effect; it cannot close its own issue; the lead verifies and closes.
        let res = step(app, &l.clerk, &i.id, json!({"action": "resolve", "effect": "服务指南已修订并上墙"})).await;
        assert_eq!(res.status, 200);
        let res = step(app, &l.clerk, &i.id, json!({"action": "close"})).await;
        assert_eq!(res.status, 403);
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:forbidden");
        let res = step(app, &l.lead, &i.id, json!({"action": "reject"})).await;
        assert_eq!(res.status, 422, "a rejection needs a reason");
        let res = step(app, &l.lead, &i.id, json!({"action": "close"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let closed: Issue = res.json();
        assert_eq!(closed.status.as_str(), "closed");
        assert_eq!(closed.recheck_due_on.unwrap().to_string(), day(90));
        let due: IssueList = app.call(Method::GET, "/api/v1/issues?recheck_due=true", &l.lead, None).await.json();
        assert_eq!(due.items.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), vec![i.id.clone()]);
        {
            // Closed 91 days ago (Shanghai dates), the window of 90 days has passed.
            use diesel::prelude::*;
            use frontline::db::schema::issues;
            let closed_at = closed.closed_at.unwrap().naive_utc();
            let set = |at: chrono::NaiveDateTime| diesel::update(issues::table.find(&i.id)).set(issues::closed_at.eq(at)).execute(&mut app.db()).unwrap();
            set(closed_at - Duration::days(91));
            let due: IssueList = app.call(Method::GET, "/api/v1/issues?recheck_due=true", &l.lead, None).await.json();
            assert!(due.items.is_empty());
            set(closed_at);
        }
        assert_eq!(app.call(Method::GET, "/api/v1/issues?recheck_due=false", &l.lead, None).await.status, 400);
        // The re-check finds it came back: rectifying again, then resolved, closed, and passed.
        assert_eq!(step(app, &l.lead, &i.id, json!({"action": "relapse", "reason": "回头看发现指南又被撤下"})).await.status, 422, "a new deadline is set");
        let res = step(app, &l.lead, &i.id, json!({"action": "relapse", "reason": "回头看发现指南又被撤下", "deadline": day(15)})).await;
        let relapsed: Issue = res.json();
        assert_eq!((relapsed.status.as_str(), relapsed.deadline.unwrap().to_string()), ("rectifying", day(15)));
        assert!(!relapsed.overdue);
        assert_eq!(step(app, &l.clerk, &i.id, json!({"action": "resolve", "effect": "指南固定上墙"})).await.status, 200);
        assert_eq!(step(app, &l.coordinator, &i.id, json!({"action": "close"})).await.status, 200, "the coordinator may close too");
        let res = step(app, &l.lead, &i.id, json!({"action": "pass_recheck"})).await;
        assert_eq!(res.json::<Issue>().status.as_str(), "passed");
        let res = step(app, &l.coordinator, &i.id, json!({"action": "withdraw", "reason": "x"})).await;
        assert_eq!(res.status, 409);
        assert_eq!(res.problem().allowed, Some(vec![]));
        let res = app.call_with(Method::PATCH, &format!("/api/v1/issues/{}", i.id), &l.clerk, &[("if-match", "*")], Some(json!({"remarks": "x"}))).await;
        assert_eq!(res.status, 409, "a passed issue is final");
        // The history keeps every step with who, when and why.
        let h: IssueHistory = app.call(Method::GET, &format!("/api/v1/issues/{}/history", i.id), &l.clerk, None).await.json();
        assert_eq!(h.events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            vec!["open", "plan", "extend", "resolve", "close", "relapse", "resolve", "close", "pass_recheck"]);
        assert_eq!(h.events[2].reason.as_deref(), Some("等待上级批复"));
        assert_eq!(h.events[2].changes.as_ref().unwrap()["deadline"]["after"], json!(day(20)));
        assert_eq!(h.events[5].reason.as_deref(), Some("回头看发现指南又被撤下"));
        assert!(h.events.iter().all(|e| e.actor_id.is_some()));
    }

    async fn numbers_are_per_unit_and_immediate_issues_skip_to_resolved(app: TestApp) {
        let l = ledger(app).await;
        let a = open_issue(app, &l, json!({"immediate": true})).await;
        let b = open_issue(app, &l, json!({"kind": "demand", "description": "希望增设午间延时服务"})).await;
        assert_eq!((a.seq, b.seq), (1, 2));
        let other = app.unit_named("区档案馆").await.id.to_string();
        let res = app.call(Method::POST, "/api/v1/issues", &l.coordinator, Some(json!({"unit_id": other, "kind": "problem", "description": "档案查阅预约渠道单一", "source_reason": "督查发现"}))).await;
        assert_eq!(res.json::<Issue>().seq, 1, "each unit numbers its own ledger");
        let res = app.call(Method::POST, "/api/v1/issues", &l.clerk, Some(json!({"unit_id": other, "kind": "problem", "description": "x", "source_reason": "y"}))).await;
        assert_eq!(res.status, 403, "a unit opens issues only for itself");
        let res = step(app, &l.clerk, &a.id, json!({"action": "resolve", "effect": "当场补充材料清单"})).await;
        assert_eq!(res.status, 200, "立行立改: straight to resolved");
        // Rejected, it is rectified again by a deadline the reviewer sets (it never had one).
        let res = step(app, &l.lead, &a.id, json!({"action": "reject", "reason": "材料清单未上墙", "deadline": day(7), "measures": "材料清单上墙公示"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let rejected: Issue = res.json();
        assert_eq!((rejected.status.as_str(), rejected.measures.as_deref()), ("rectifying", Some("材料清单上墙公示")));
        assert_eq!(rejected.deadline.unwrap().to_string(), day(7));
        let path = format!("/api/v1/issues/{}", a.id);
        let res = app.call_with(Method::PATCH, &path, &l.clerk, &[("if-match", "*")], Some(json!({"measures": " "}))).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "blank", "measures are not cleared while rectifying");
        assert_eq!(step(app, &l.clerk, &a.id, json!({"action": "resolve", "effect": "已上墙"})).await.status, 200);
        let res = app.call_with(Method::PATCH, &path, &l.clerk, &[("if-match", "*")], Some(json!({"place": "别处", "remarks": "已核实"}))).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "locked", "a resolved issue keeps its ledger columns");
        assert_eq!(app.call_with(Method::PATCH, &path, &l.clerk, &[("if-match", "*")], Some(json!({"remarks": "已核实"}))).await.status, 200);
        assert_eq!(step(app, &l.clerk, &b.id, json!({"action": "resolve", "effect": "x"})).await.status, 409);
        // A mistaken issue is withdrawn by the coordinator only, with a reason.
        assert_eq!(step(app, &l.clerk, &b.id, json!({"action": "withdraw", "reason": "重复录入"})).await.status, 403);
        assert_eq!(step(app, &l.coordinator, &b.id, json!({"action": "withdraw"})).await.status, 422);
        assert_eq!(step(app, &l.coordinator, &b.id, json!({"action": "withdraw", "reason": "重复录入"})).await.json::<Issue>().status.as_str(), "withdrawn");
        let c = open_issue(app, &l, json!({})).await;
        assert_eq!(c.seq, 3, "withdrawn issues keep their number: no gaps, no reuse");
        // Edits: the problem only while open, with If-Match.
        let path = format!("/api/v1/issues/{}", c.id);
        assert_eq!(app.call(Method::PATCH, &path, &l.clerk, Some(json!({"owner": "张科长"}))).await.status, 428);
        let res = app.call_with(Method::PATCH, &path, &l.clerk, &[("if-match", "\"1\"")], Some(json!({"owner": "张科长", "description": "服务指南未列明容缺材料清单"}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(step(app, &l.clerk, &c.id, json!({"action": "plan", "measures": "修订", "deadline": day(3)})).await.status, 200);
        let res = app.call_with(Method::PATCH, &path, &l.clerk, &[("if-match", "*")], Some(json!({"description": "改写"}))).await;
        assert_eq!(res.status, 422);
        assert_eq!(res.problem().errors.unwrap()[0].code, "locked");
        assert_eq!(app.call_with(Method::PATCH, &path, &l.lead, &[("if-match", "*")], Some(json!({"owner": "x"}))).await.status, 403);
        // Filters.
        let list: IssueList = app.call(Method::GET, &format!("/api/v1/issues?unit_id={}&kind=demand", l.unit), &l.clerk, None).await.json();
        assert_eq!(list.items.len(), 1);
        let list: IssueList = app.call(Method::GET, "/api/v1/issues?q=%E5%AE%B9%E7%BC%BA", &l.clerk, None).await.json();
        assert_eq!(list.items.len(), 2, "容缺 in two problems");
        let list: IssueList = app.call(Method::GET, &format!("/api/v1/issues?due_before={}", day(4)), &l.clerk, None).await.json();
        assert_eq!(list.items.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), vec![c.id.clone()]);
        let res = app.call(Method::GET, &format!("/api/v1/issues?unit_id={other}"), &l.clerk, None).await;
        assert_eq!(res.status, 403);
        let res = app.call(Method::GET, "/api/v1/issues?status=pending&overdue=maybe", &l.clerk, None).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.problem().errors.unwrap().len(), 2);
    }

    async fn overdue_is_computed_from_the_deadline_never_stored(app: TestApp) {
        let l = ledger(app).await;
        let i = open_issue(app, &l, json!({})).await;
        assert_eq!(step(app, &l.clerk, &i.id, json!({"action": "plan", "measures": "修订", "deadline": day(0)})).await.status, 200);
        let got: Issue = app.call(Method::GET, &format!("/api/v1/issues/{}", i.id), &l.clerk, None).await.json();
        assert!(!got.overdue, "the deadline day itself is in time");
        // Yesterday's deadline (set in the database: the API takes no past deadline).
        use diesel::prelude::*;
        use frontline::db::schema::issues;
        let yesterday = frontline::domain::calendar::local_date(Utc::now()) - Duration::days(1);
        diesel::update(issues::table.find(&i.id)).set(issues::deadline.eq(yesterday)).execute(&mut app.db()).unwrap();
        let got: Issue = app.call(Method::GET, &format!("/api/v1/issues/{}", i.id), &l.clerk, None).await.json();
        assert!(got.overdue);
        let overdue: IssueList = app.call(Method::GET, "/api/v1/issues?overdue=true", &l.lead, None).await.json();
        assert_eq!(overdue.items.len(), 1);
        let on_time: IssueList = app.call(Method::GET, "/api/v1/issues?overdue=false", &l.lead, None).await.json();
        assert!(on_time.items.is_empty());
        assert_eq!(step(app, &l.clerk, &i.id, json!({"action": "resolve", "effect": "完成"})).await.status, 200);
        let got: Issue = app.call(Method::GET, &format!("/api/v1/issues/{}", i.id), &l.clerk, None).await.json();
        assert!(!got.overdue, "resolved is not overdue");
    }

    async fn the_annex2_lists_export_as_xlsx_and_csv(app: TestApp) {
        let l = ledger(app).await;
        open_issue(app, &l, json!({"description": "=cmd|' /C calc'!A0", "place": "+1 号窗口", "content": "@SUM(A1)", "method": "-2+3"})).await;
        let d = open_issue(app, &l, json!({"kind": "demand", "description": "希望增设午间延时服务，\"尽快\"，可以吗"})).await;
        assert_eq!(step(app, &l.clerk, &d.id, json!({"action": "plan", "measures": "试行午间延时", "deadline": day(30)})).await.status, 200);
        let quarter = frontline::domain::calendar::Quarter::of(frontline::domain::calendar::local_date(Utc::now())).to_string();
        // XLSX: the header block, the Annex 2 titles byte for byte, real dates.
        let res = app.call(Method::GET, &format!("/api/v1/issues/export?unit_id={}&quarter={quarter}", l.unit), &l.clerk, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.header("content-type").as_deref(), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        assert_eq!(res.header("x-issue-count").as_deref(), Some("2"));
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
        let sheet = book.worksheet_range("问题清单").unwrap();
        let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(cell(0, 0), Data::String("问题清单、需求清单和解决措施清单".into()));
        assert_eq!(cell(1, 0), Data::String("填报单位：区市场监管局".into()));
        assert_eq!(cell(1, 5), Data::String("负责人姓名：王建国".into()));
        assert_eq!(cell(2, 0), Data::String("参与活动名称：一把手走流程、坐窗口、跟执法、处投诉".into()));
        assert_eq!(cell(2, 5), Data::String(format!("时间：{quarter}")));
        let titles: Vec<String> = (0..10).map(|c| cell(3, c).to_string()).collect();
        assert_eq!(titles, ANNEX2_COLUMNS.map(str::to_owned).to_vec());
        assert_eq!(cell(4, 0), Data::Float(1.0));
        assert_eq!(cell(4, 4), Data::String("=cmd|' /C calc'!A0".into()), "XLSX keeps text as text");
        assert_eq!(cell(5, 5).to_string(), "希望增设午间延时服务，\"尽快\"，可以吗");
        match cell(5, 7) {
            Data::DateTime(dt) => {
                let due = frontline::domain::calendar::local_date(Utc::now()) + Duration::days(30);
                let serial = (due - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64;
                assert_eq!(dt.as_f64(), serial);
            }
            other => panic!("the deadline is not an Excel date: {other:?}"),
        }
        assert_eq!(app.last_audit().action, "issue.export");
        // CSV: BOM, RFC 4180 quoting, formulas neutralised.
        let res = app.call(Method::GET, &format!("/api/v1/issues/export?format=csv&unit_id={}", l.unit), &l.clerk, None).await;
        assert_eq!(res.status, 200);
        assert!(res.body.starts_with(b"\xEF\xBB\xBF"));
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(&res.body[3..]);
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(headers, ANNEX2_COLUMNS.map(str::to_owned).to_vec());
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][4], "'=cmd|' /C calc'!A0");
        assert_eq!((&rows[0][1], &rows[0][2], &rows[0][3]), ("'+1 号窗口", "'@SUM(A1)", "'-2+3"));
        assert!(rows[0][9].starts_with("状态：挂账"), "{}", &rows[0][9]);
        assert_eq!(&rows[1][5], "希望增设午间延时服务，\"尽快\"，可以吗");
        assert_eq!(&rows[1][7], day(30));
        // And Python's csv module reads the same, when Python is there.
        let script = "import csv,io,sys\nr=list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode('utf-8-sig'))))\nprint(r[0][0]+'|'+r[1][4]+'|'+str(len(r)))";
        let mut child = std::process::Command::new("python3").arg("-c").arg(script)
            .stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn()
            .expect("python3 (the machine's CPython) reads the CSV");
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&res.body).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "序号|'=cmd|' /C calc'!A0|3");
        // A unit account's export is its unit's, and its heading says so.
        let res = app.call(Method::GET, "/api/v1/issues/export", &l.clerk, None).await;
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).unwrap();
        let sheet = book.worksheet_range("问题清单").unwrap();
        assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("填报单位：区市场监管局".into())));
        // Another unit's lists are not exported to this unit; a bad format is 400.
        let other = app.unit_named("区档案馆").await.id.to_string();
        assert_eq!(app.call(Method::GET, &format!("/api/v1/issues/export?unit_id={other}"), &l.clerk, None).await.status, 403);
        assert_eq!(app.call(Method::GET, "/api/v1/issues/export?format=pdf", &l.clerk, None).await.status, 400);
        let _ = &l.admin;
    }

    async fn the_quarters_lists_are_sent_as_frozen_snapshots(app: TestApp) {
        let l = ledger(app).await;
        let i = open_issue(app, &l, json!({})).await;
        let quarter = frontline::domain::calendar::Quarter::of(frontline::domain::calendar::local_date(Utc::now())).to_string();
        let res = app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": quarter}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let first: Value = res.json();
        assert_eq!(first["issue_count"], 1);
        assert_eq!(first["issues"][0]["status"], "open");
        assert_eq!(step(app, &l.clerk, &i.id, json!({"action": "plan", "measures": "m", "deadline": day(5)})).await.status, 200);
        let res = app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": quarter}))).await;
        assert_eq!(res.status, 201);
        let lists: IssueListSubmissions = app.call(Method::GET, &format!("/api/v1/issue-lists?unit_id={}&quarter={quarter}", l.unit), &l.lead, None).await.json();
        assert_eq!(lists.items.len(), 2, "a resubmission is kept beside the first");
        assert_eq!(lists.items[0].issues[0].status.as_str(), "open", "the first snapshot stays as sent");
        assert_eq!(lists.items[1].issues[0].status.as_str(), "rectifying");
        // An empty list is a submission too; another unit's is refused; a bad quarter is 422.
        let res = app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": "2025-Q1"}))).await;
        assert_eq!(res.json::<Value>()["issue_count"], 0);
        let next = frontline::domain::calendar::Quarter::of(frontline::domain::calendar::local_date(Utc::now())).next().to_string();
        let res = app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": next}))).await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "future_quarter", "no list is sent ahead of its quarter");
        let other = app.unit_named("区档案馆").await.id.to_string();
        assert_eq!(app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": other, "quarter": quarter}))).await.status, 403);
        assert_eq!(app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": "2026-Q5"}))).await.status, 422);
        assert_eq!(app.call(Method::POST, "/api/v1/issue-lists", &l.lead, Some(json!({"unit_id": l.unit, "quarter": quarter}))).await.status, 403);
    }

    async fn a_lead_sees_its_activitys_part_of_a_list_and_a_district_export_pages_across_units(app: TestApp) {
        let l = ledger(app).await;
        open_issue(app, &l, json!({})).await;
        open_issue(app, &l, json!({"activity": "enforcement", "description": "执法记录仪未全程开启"})).await;
        let quarter = frontline::domain::calendar::Quarter::of(frontline::domain::calendar::local_date(Utc::now())).to_string();
        let res = app.call(Method::POST, "/api/v1/issue-lists", &l.clerk, Some(json!({"unit_id": l.unit, "quarter": quarter}))).await;
        assert_eq!(res.status, 201);
        let seen: IssueListSubmissions = app.call(Method::GET, "/api/v1/issue-lists", &l.lead, None).await.json();
        assert_eq!(seen.items[0].issue_count, 2);
        assert_eq!(seen.items[0].issues.len(), 1, "the WINDOW lead sees the WINDOW part");
        let all: IssueListSubmissions = app.call(Method::GET, "/api/v1/issue-lists", &l.coordinator, None).await.json();
        assert_eq!(all.items[0].issues.len(), 2);
        // 1,200 more issues over two units, written directly, so that the export reads several
        // pages across units (unit, then 序号).
        use diesel::prelude::*;
        use frontline::db::schema::issues;
        let other = app.unit_named("区档案馆").await.id.to_string();
        let now = frontline::store::now();
        let today = frontline::domain::calendar::local_date(Utc::now());
        let mut conn = app.db();
        frontline::db::write_transaction(&mut conn, |conn| {
            for (unit, from) in [(&l.unit, 3), (&other, 1)] {
                for seq in from..from + 600 {
                    diesel::insert_into(issues::table).values((
                        issues::id.eq(uuid::Uuid::now_v7().to_string()), issues::unit_id.eq(unit), issues::seq.eq(seq),
                        issues::source.eq("manual"), issues::found_on.eq(today), issues::kind.eq("problem"),
                        issues::description.eq(format!("问题{seq}")), issues::immediate.eq(false), issues::status.eq("open"),
                        issues::created_at.eq(now), issues::updated_at.eq(now), issues::version.eq(1i64),
                    )).execute(conn)?;
                }
            }
            Ok::<_, diesel::result::Error>(())
        }).unwrap();
        drop(conn);
        let res = app.call(Method::GET, "/api/v1/issues/export?format=csv", &l.coordinator, None).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.header("x-issue-count").as_deref(), Some("1202"));
        let mut rdr = csv::Reader::from_reader(&res.body[3..]);
        let rows: Vec<(String, i32)> = rdr.records().map(|r| {
            let r = r.unwrap();
            let unit = r[9].split('】').next().unwrap().trim_start_matches('【').to_owned();
            (unit, r[0].parse().unwrap())
        }).collect();
        assert_eq!(rows.len(), 1202);
        let per_unit = |name: &str| rows.iter().filter(|r| r.0 == name).map(|r| r.1).collect::<Vec<_>>();
        assert_eq!(per_unit("区市场监管局"), (1..=602).collect::<Vec<_>>(), "every issue once, in 序号 order");
        assert_eq!(per_unit("区档案馆"), (1..=600).collect::<Vec<_>>());
    }
}
