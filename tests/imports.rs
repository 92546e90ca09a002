//! Imports of past records: JSON batches with historical times (all or nothing, dry runs,
//! idempotent on external references, times checked), and the offices' own Annex 2
//! spreadsheets (XLSX with merged cells and text dates, GB18030 CSV) that export back to the
//! same rows.

mod common;

use actix_web::http::Method;
use common::TestApp;
use serde_json::{json, Value};

async fn cast(app: &TestApp) -> (String, String, String, String) {
    let admin = app.admin_token().await;
    let office = app.unit_named("区营商办").await.id.to_string();
    let (_, coord) = app
        .user_with_token(&admin, "yss.coord", "coordinator", Some(&office), None)
        .await;
    let unit = app.unit_named("区市场监管局").await.id.to_string();
    let (_, clerk) = app
        .user_with_token(&admin, "scjg.clerk", "unit", Some(&unit), None)
        .await;
    (admin, coord, unit, clerk)
}

fn issue(unit: &str, reference: &str, status: &str) -> Value {
    let mut r = json!({"external_ref": reference, "unit_id": unit, "activity": "window", "kind": "problem",
        "description": format!("历史问题 {reference}"), "found_on": "2026-02-10"});
    let plan = json!({"measures": "更新清单", "deadline": "2026-03-31"});
    let extra = match status {
        "open" => json!({}),
        "rectifying" => plan,
        "closed" => {
            json!({"measures": "更新清单", "deadline": "2026-03-31", "effect": "已更新", "resolved_at": "2026-03-20T02:00:00Z", "closed_at": "2026-03-25T02:00:00Z"})
        }
        "passed" => {
            json!({"measures": "更新清单", "deadline": "2026-03-31", "effect": "已更新", "resolved_at": "2026-03-20T02:00:00Z", "closed_at": "2026-03-25T02:00:00Z", "rechecked_at": "2026-06-25T02:00:00Z"})
        }
        _ => unreachable!(),
    };
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r["status"] = json!(status);
    r
}

async fn import(app: &TestApp, token: &str, body: Value) -> common::Resp {
    app.call(Method::POST, "/api/v1/imports", token, Some(body))
        .await
}

fn issue_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    frontline::db::schema::issues::table
        .count()
        .get_result(&mut app.db())
        .unwrap()
}

both_backends! {
    async fn past_issues_import_all_or_nothing_once_with_their_history(app: TestApp) {
        let (admin, coord, unit, clerk) = cast(app).await;
        let records = vec![issue(&unit, "H-1", "open"), issue(&unit, "H-2", "rectifying"), issue(&unit, "H-3", "closed"), issue(&unit, "H-4", "passed")];
        // Only the coordinator and admins import.
        let res = import(app, &clerk, json!({"kind": "issues", "records": records})).await;
        assert_eq!(res.status, 403);
        res.problem();

        // A dry run reports and writes nothing.
        let res = import(app, &coord, json!({"kind": "issues", "dry_run": true, "records": records})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let report: Value = res.json();
        assert_eq!((report["created"].as_u64(), report["batch_id"].clone()), (Some(4), Value::Null));
        assert_eq!(issue_count(app), 0);

        let res = import(app, &coord, json!({"kind": "issues", "records": records})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report: Value = res.json();
        assert_eq!(report["created"], 4);
        assert!(report["batch_id"].is_string());
        let ids: Vec<String> = report["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(app.last_audit().action, "import.create");

        // First-class records: their state, their numbers, their history step by step.
        let closed: Value = app.call(Method::GET, &format!("/api/v1/issues/{}", ids[2]), &coord, None).await.json();
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["seq"], 3);
        let history: Value = app.call(Method::GET, &format!("/api/v1/issues/{}/history", ids[2]), &coord, None).await.json();
        let steps: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(steps, vec!["open", "plan", "resolve", "close"]);
        let passed: Value = app.call(Method::GET, &format!("/api/v1/issues/{}", ids[3]), &clerk, None).await.json();
        assert_eq!(passed["status"], "passed");
        // The rectifying one is overdue (its deadline passed): it shows in the overdue list.
        let overdue: Value = app.call(Method::GET, &format!("/api/v1/issues?unit_id={unit}&overdue=true"), &coord, None).await.json();
        let overdue_ids: Vec<&str> = overdue["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(overdue_ids, vec![ids[1].as_str()]);

        // Re-importing the batch changes nothing.
        let before = (issue_count(app), app.audit_count());
        let res = import(app, &coord, json!({"kind": "issues", "records": records})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let report: Value = res.json();
        assert_eq!((report["created"].as_u64(), report["unchanged"].as_u64()), (Some(0), Some(4)));
        assert_eq!(report["records"][2]["id"], ids[2].as_str());
        assert_eq!((issue_count(app), app.audit_count()), before);

        // One bad record refuses the batch, naming the record and the field.
        let mut bad = issue(&unit, "H-6", "closed");
        bad["closed_at"] = json!("2026-03-19T00:00:00Z");
        let res = import(app, &admin, json!({"kind": "issues", "records": [issue(&unit, "H-5", "open"), bad]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let e = res.problem().errors.unwrap();
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("records[1].closed_at", "out_of_order"));
        assert_eq!(issue_count(app), before.0, "nothing written");
        // So do a time in the future, an unknown unit, a changed record under a known
        // reference, a reference twice, and a field that cannot be read.
        let mut future = issue(&unit, "H-7", "open");
        future["opened_at"] = json!("2099-01-01T00:00:00Z");
        let mut changed = issue(&unit, "H-1", "open");
        changed["description"] = json!("改过的描述");
        let mut bad_date = issue(&unit, "H-8", "open");
        bad_date["found_on"] = json!("2026-02-30");
        let res = import(app, &coord, json!({"kind": "issues", "records": [future, issue("0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "H-9", "open"), changed, issue(&unit, "H-10", "open"), issue(&unit, "H-10", "open"), bad_date]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let e: Vec<(String, String)> = res.problem().errors.unwrap().into_iter().map(|e| (e.field, e.code)).collect();
        assert!(e.contains(&("records[0].opened_at".into(), "future".into())), "{e:?}");
        assert!(e.contains(&("records[5].found_on".into(), "invalid".into())), "{e:?}");
        assert!(e.contains(&("records[4].external_ref".into(), "duplicate".into())), "{e:?}");
        let res = import(app, &coord, json!({"kind": "issues", "records": [issue("0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a", "H-9", "open"), changed]})).await;
        let e: Vec<(String, String)> = res.problem().errors.unwrap().into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(e, vec![("records[0].unit_id".into(), "unknown_unit".into()), ("records[1].external_ref".into(), "ref_changed".into())]);
        assert_eq!(issue_count(app), before.0);

        // Triggers: due by the rule in force when no date is given.
        let res = import(app, &coord, json!({"kind": "triggers", "records": [{"external_ref": "T-1", "unit_id": unit, "reason": "important_date", "description": "开学季办件高峰", "raised_on": "2026-02-20"}]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let triggers: Value = app.call(Method::GET, "/api/v1/triggers", &coord, None).await.json();
        let t = &triggers["items"][0];
        assert_eq!((t["raised_on"].as_str(), t["due_on"].as_str()), (Some("2026-02-20"), Some("2026-02-27")));

        // The quarter's list as the unit sent it (after its issues), and a lead's monthly
        // report sent five days late.
        let res = import(app, &coord, json!({"kind": "issue_lists", "records": [{"external_ref": "L-1", "unit_id": unit, "quarter": "2026-Q1", "submitted_at": "2026-03-20T02:00:00Z"}]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let lists: Value = app.call(Method::GET, &format!("/api/v1/issue-lists?unit_id={unit}"), &coord, None).await.json();
        assert_eq!((lists["items"][0]["issue_count"].as_i64(), lists["items"][0]["submitted_at"].as_str()), (Some(4), Some("2026-03-20T02:00:00Z")));
        let res = import(app, &coord, json!({"kind": "reports", "records": [
            {"external_ref": "R-1", "kind": "monthly", "period": "2026-03", "activity": "window", "submitted_at": "2026-04-25T02:00:00Z"},
            {"external_ref": "R-2", "kind": "monthly", "period": "2026-03", "activity": "window", "narrative": {"done": "开展情况", "results": "成效", "problems": "问题", "next_plan": "下季度计划"}, "submitted_at": "2026-04-25T02:00:00Z"},
        ]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].field, "records[1].narrative");
        let res = import(app, &coord, json!({"kind": "reports", "records": [{"external_ref": "R-1", "kind": "monthly", "period": "2026-03", "activity": "window", "submitted_at": "2026-04-25T02:00:00Z"}]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let reports: Value = app.call(Method::GET, "/api/v1/reports?kind=monthly", &coord, None).await.json();
        let r = &reports["items"][0];
        assert_eq!((r["due_on"].as_str(), r["late_days"].as_i64(), r["activity"].as_str()), (Some("2026-04-20"), Some(5), Some("window")));
    }
}

/// The Annex 2 rows written in the test files: (序号, place, content, method, problem, demand,
/// measures, deadline as read, effect, remarks).
type Line = (
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const LINES: [Line; 4] = [
    (
        1,
        "区政务服务中心",
        "办理营业执照",
        "现场体验",
        "窗口材料清单未更新",
        "",
        "更新清单",
        Some("2026-06-30"),
        "已更新",
        "",
    ),
    (
        2,
        "区政务服务中心",
        "办理食品经营许可",
        "全程陪同",
        "",
        "希望延长午间服务",
        "试行午间延时服务",
        Some("2026-05-31"),
        "",
        "群众意见",
    ),
    (
        3,
        "",
        "",
        "",
        "帮办代办人员不足",
        "",
        "增派人员",
        Some("2026-06-15"),
        "",
        "",
    ),
    (
        4,
        "网上办事大厅",
        "线上申报",
        "亲自操作",
        "上传材料提示不清",
        "",
        "",
        None,
        "",
        "完成时限：长期坚持",
    ),
];

fn xlsx_file() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    let plain = Format::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    s.merge_range(0, 0, 0, 9, "问题清单、需求清单和解决措施清单", &plain)
        .unwrap();
    // Labels and values as people type them: in one merged cell, or in separate cells.
    s.merge_range(1, 0, 1, 4, "填报单位：区市场监管局", &plain)
        .unwrap();
    s.write_string(1, 5, "负责人姓名").unwrap();
    s.merge_range(1, 6, 1, 9, "王建国", &plain).unwrap();
    s.merge_range(2, 0, 2, 4, "参与活动名称：走流程、坐窗口", &plain)
        .unwrap();
    s.merge_range(2, 5, 2, 9, "时间：2026年第二季度", &plain)
        .unwrap();
    let titles = [
        "序号",
        "参与活动\n地点",
        "体验内容",
        "体验方式",
        "发现问题",
        "企业群众或一线工作人员反映的需求",
        "拟采取的解决措施",
        "完成时限",
        "整改效果",
        "备注",
    ];
    for (c, t) in titles.iter().enumerate() {
        s.write_string(3, c as u16, *t).unwrap();
    }
    // Row 1: a date typed as text; row 2: 5月底; row 3: a real date cell, after a blank row;
    // row 4: full-width digits for 序号 and an unreadable deadline.
    let deadlines = ["2026年6月30日", "5月底", "", "长期坚持"];
    let mut r = 4;
    for (i, l) in LINES.iter().enumerate() {
        if i == 2 {
            r += 1; // a blank row
        }
        if i == 3 {
            s.write_string(r, 0, "４").unwrap();
        } else {
            s.write_number(r, 0, f64::from(l.0)).unwrap();
        }
        for (c, v) in [
            (1, l.1),
            (2, l.2),
            (3, l.3),
            (4, l.4),
            (5, l.5),
            (6, l.6),
            (8, l.8),
        ] {
            if !v.is_empty() {
                s.write_string(r, c, v).unwrap();
            }
        }
        if i == 1 {
            s.write_string(r, 9, "群众意见").unwrap();
        }
        if i == 2 {
            s.write_datetime_with_format(
                r,
                7,
                ExcelDateTime::from_ymd(2026, 6, 15).unwrap(),
                &date,
            )
            .unwrap();
        } else {
            s.write_string(r, 7, deadlines[i]).unwrap();
        }
        r += 1;
    }
    book.save_to_buffer().unwrap()
}

async fn post_file(
    app: &TestApp,
    token: &str,
    query: &str,
    media: &str,
    body: Vec<u8>,
) -> common::Resp {
    let auth = format!("Bearer {token}");
    app.send(
        Method::POST,
        &format!("/api/v1/imports/annex2?{query}"),
        &[("authorization", auth.as_str()), ("content-type", media)],
        Some(body),
    )
    .await
}

both_backends! {
    async fn offices_annex2_spreadsheets_import_and_export_back_to_the_same_rows(app: TestApp) {
        let (_, coord, unit, clerk) = cast(app).await;
        let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        let res = post_file(app, &clerk, &format!("unit_id={unit}"), xlsx, xlsx_file()).await;
        assert_eq!(res.status, 403);
        let res = post_file(app, &coord, &format!("unit_id={unit}&dry_run=true"), xlsx, xlsx_file()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json::<Value>()["created"], 4);
        assert_eq!(issue_count(app), 0);
        let res = post_file(app, &coord, &format!("unit_id={unit}"), xlsx, xlsx_file()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report: Value = res.json();
        assert_eq!(report["created"], 4);
        let warnings = report["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{report}");
        assert_eq!(warnings[0]["code"], "unreadable_deadline");
        assert!(warnings[0]["message"].as_str().unwrap().contains("长期坚持"));
        // Again, sent as plain octets (told apart by its first bytes): nothing changes.
        let res = post_file(app, &coord, &format!("unit_id={unit}"), "application/octet-stream", xlsx_file()).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<Value>()["unchanged"], 4);

        // Exported, the same rows come back (备注 after the state the export adds).
        let res = app.call(Method::GET, &format!("/api/v1/issues/export?unit_id={unit}&format=csv"), &coord, None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let text = String::from_utf8(res.body.clone()).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows.len(), 4);
        for (row, l) in rows.iter().zip(LINES.iter()) {
            let want = [l.0.to_string(), l.1.into(), l.2.into(), l.3.into(), l.4.into(), l.5.into(), l.6.into(), l.7.unwrap_or("").into(), l.8.into()];
            assert_eq!(&row[..9], &want[..], "{row:?}");
            assert!(row[9].ends_with(l.9), "备注 {:?} keeps {:?}", row[9], l.9);
        }
        // Their states follow the columns: resolved (effect), rectifying (measures and a
        // deadline), open.
        let list: Value = app.call(Method::GET, &format!("/api/v1/issues?unit_id={unit}"), &coord, None).await.json();
        let states: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
        assert_eq!(states, vec!["resolved", "rectifying", "rectifying", "open"]);

        // A GB18030 CSV as another office saves it, with the header block in its own lines.
        let other = app.unit_named("区教育局").await.id.to_string();
        let csv_text = "填报单位：区教育局,,,,,负责人姓名：李华\n参与活动名称：走流程、坐窗口,,,,,时间：2026年5月\n序号,参与活动地点,体验内容,体验方式,发现问题,企业群众或一线工作人员反映的需求,拟采取的解决措施,完成时限,整改效果,备注\n１,区教育局,教师资格认定,现场体验,现场排队时间长,,增设自助终端,２０２６年６月底,,\n,,,,,,,,,\n2,,,,,希望公布办理进度,上线进度查询,2026/6/1,已上线,\n";
        let (bytes, _, _) = encoding_rs::GB18030.encode(csv_text);
        let res = post_file(app, &coord, &format!("unit_id={other}"), "text/csv; charset=gb18030", bytes.into_owned()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let list: Value = app.call(Method::GET, &format!("/api/v1/issues?unit_id={other}"), &coord, None).await.json();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["deadline"], "2026-06-30");
        assert_eq!(items[1]["kind"], "demand");
        assert_eq!(items[1]["status"], "resolved");

        // A row with neither a problem nor a demand refuses the file, naming its row.
        let broken = "序号,参与活动地点,体验内容,体验方式,发现问题,企业群众或一线工作人员反映的需求,拟采取的解决措施,完成时限,整改效果,备注\n1,区教育局,,,,,增设终端,2026-06-30,,\n";
        let res = post_file(app, &coord, &format!("unit_id={other}"), "text/csv", broken.as_bytes().to_vec()).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].field, "rows[2]");
        let res = post_file(app, &coord, "", "text/csv", broken.as_bytes().to_vec()).await;
        assert_eq!(res.status, 400);
        let res = post_file(app, &coord, &format!("unit_id={other}"), "application/pdf", b"%PDF".to_vec()).await;
        assert_eq!(res.status, 415);
    }
}

both_backends! {
    async fn past_participations_import_filed_accepted_or_returned_with_their_findings(app: TestApp) {
        let (admin, coord, unit, clerk) = cast(app).await;
        let res = app
            .call_with(Method::PATCH, &format!("/api/v1/units/{unit}"), &admin, &[("if-match", "*")],
                Some(json!({"head": {"name": "王建国", "title": "局长"}})))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let record = |reference: &str, activity: &str, segments: Vec<Value>, on: &str| json!({"unit_id": unit, "activity": activity, "mode": "regular", "activity_on": on,
            "place": "区市场监管局", "participant": {"kind": "head"}, "people_received": 3, "summary": format!("导入 {reference}"), "segments": segments});
        let records = vec![
            json!({"external_ref": "P-1", "status": "accepted", "filed_at": "2026-03-11T02:00:00Z", "accepted_at": "2026-03-12T02:00:00Z",
                   "participation": record("P-1", "complaint", common::complaint_segments(), "2026-03-10")}),
            // Filed ten days after the activity: late.
            json!({"external_ref": "P-2", "status": "filed", "filed_at": "2026-05-20T02:00:00Z",
                   "participation": record("P-2", "enforcement", common::enforcement_segments(), "2026-05-10")}),
            json!({"external_ref": "P-3", "status": "returned", "filed_at": "2026-06-02T02:00:00Z", "returned_at": "2026-06-03T02:00:00Z", "return_reason": "请补充案卷评查得分",
                   "participation": record("P-3", "enforcement", common::enforcement_segments(), "2026-06-01")}),
        ];
        let res = import(app, &coord, json!({"kind": "participations", "records": records})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report: Value = res.json();
        let ids: Vec<String> = report["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        let p: Value = app.call(Method::GET, &format!("/api/v1/participations/{}", ids[0]), &clerk, None).await.json();
        assert_eq!((p["status"].as_str(), p["late_days"].as_i64()), (Some("accepted"), Some(0)));
        assert_eq!(p["participant"]["name"], "王建国");
        let history: Vec<&str> = p["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
        assert_eq!(history, vec!["file", "accept"]);
        // Its finding went on the ledger when it was filed.
        let issues: Value = app.call(Method::GET, &format!("/api/v1/issues?unit_id={unit}"), &coord, None).await.json();
        let items = issues["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["participation_id"], ids[0].as_str());
        let p2: Value = app.call(Method::GET, &format!("/api/v1/participations/{}", ids[1]), &clerk, None).await.json();
        assert_eq!((p2["status"].as_str(), p2["late_days"].as_i64()), (Some("filed"), Some(7)), "due 3 days after, filed 10 after");
        let p3: Value = app.call(Method::GET, &format!("/api/v1/participations/{}", ids[2]), &clerk, None).await.json();
        assert_eq!(p3["status"], "returned");
        // Again: unchanged. A record the API would not file is refused, naming it.
        let res = import(app, &coord, json!({"kind": "participations", "records": records})).await;
        assert_eq!(res.json::<Value>()["unchanged"], 3);
        let mut short = common::enforcement_segments();
        short.pop();
        let bad = vec![
            json!({"external_ref": "P-4", "status": "filed", "filed_at": "2026-06-02T02:00:00Z", "participation": record("P-4", "enforcement", short, "2026-06-01")}),
            json!({"external_ref": "P-5", "status": "filed", "filed_at": "2026-05-31T02:00:00Z", "participation": record("P-5", "complaint", common::complaint_segments(), "2026-06-01")}),
            json!({"external_ref": "P-6", "status": "accepted", "filed_at": "2026-06-02T02:00:00Z", "participation": record("P-6", "complaint", common::complaint_segments(), "2026-06-01")}),
        ];
        let before = issue_count(app);
        let res = import(app, &coord, json!({"kind": "participations", "records": bad})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"records[2].accepted_at".to_owned()), "{fields:?}");
        let res = import(app, &coord, json!({"kind": "participations", "records": &bad[..2]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| e.field).collect();
        assert!(fields.iter().any(|f| f.starts_with("records[0].participation.segments")), "{fields:?}");
        assert!(fields.contains(&"records[1].filed_at".to_owned()), "{fields:?}");
        assert_eq!(issue_count(app), before, "nothing written");
    }
}

both_backends! {
    async fn a_past_published_plan_imports_with_its_workflow(app: TestApp) {
        let (_, coord, unit, clerk) = cast(app).await;
        let others: Vec<Value> = app
            .all_units("category=law_enforcement")
            .await
            .into_iter()
            .map(|u| u.id.to_string())
            .filter(|id| *id != unit)
            .map(|id| json!({"unit_id": id, "reason": "本季度已安排专项执法检查"}))
            .collect();
        assert!(others.len() >= 20);
        let plan = |reference: &str, exemptions: &[Value], published: &str| json!({"external_ref": reference, "activity": "enforcement", "quarter": "2026-Q2",
            "title": "2026年第二季度“跟执法”活动计划", "entries": [{"unit_id": unit, "planned_on": "2026-04-15", "participant": {"kind": "head"}, "mode": "regular", "place": "区市场监管局执法大队"}],
            "exemptions": exemptions, "submitted_at": "2026-03-10T02:00:00Z", "reviewed_at": "2026-03-12T02:00:00Z", "approved_at": "2026-03-15T02:00:00Z", "published_at": published});
        // Published before it was approved, and a unit neither planned nor exempted: refused.
        let res = import(app, &coord, json!({"kind": "schedules", "records": [plan("S-1", &others, "2026-03-14T02:00:00Z")]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].field, "records[0].published_at");
        let res = import(app, &coord, json!({"kind": "schedules", "records": [plan("S-1", &others[1..], "2026-03-16T02:00:00Z")]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.problem().errors.unwrap().iter().all(|e| e.field.starts_with("records[0].")));
        let res = import(app, &coord, json!({"kind": "schedules", "records": [plan("S-1", &others, "2026-03-16T02:00:00Z")]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json::<Value>()["records"][0]["id"].as_str().unwrap().to_owned();
        let s: Value = app.call(Method::GET, &format!("/api/v1/schedules/{id}"), &clerk, None).await.json();
        assert_eq!((s["status"].as_str(), s["published_at"].as_str()), (Some("published"), Some("2026-03-16T02:00:00Z")));
        let steps: Vec<&str> = s["transitions"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
        assert_eq!(steps, vec!["submit", "review", "approve", "publish"]);
        let public: Value = app.get("/api/v1/public/schedules").await.json();
        assert!(public.to_string().contains(&id), "the public sees it");
        // One plan per activity and quarter: another is refused, naming the quarter.
        let res = import(app, &coord, json!({"kind": "schedules", "records": [plan("S-2", &others, "2026-03-16T02:00:00Z")]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert_eq!(res.problem().errors.unwrap()[0].field, "records[0].quarter");
        // A later revision follows the published one: its entry of the same unit keeps its
        // identity; one that skips a revision, or was submitted before the last was published,
        // is refused naming `revision`.
        let revised = |reference: &str, revision: i32, submitted: &str| {
            let mut r = plan(reference, &others, "2026-04-02T02:00:00Z");
            r["revision"] = json!(revision);
            r["entries"][0]["planned_on"] = json!("2026-04-20");
            for (k, t) in [("submitted_at", submitted), ("reviewed_at", "2026-03-30T02:00:00Z"), ("approved_at", "2026-04-01T02:00:00Z")] {
                r[k] = json!(t);
            }
            r
        };
        for bad in [revised("S-3", 3, "2026-03-28T02:00:00Z"), revised("S-3", 2, "2026-03-15T02:00:00Z")] {
            let res = import(app, &coord, json!({"kind": "schedules", "records": [bad]})).await;
            assert_eq!(res.status, 422, "{}", res.text());
            let e = res.problem().errors.unwrap();
            assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("records[0].revision", "not_next"));
        }
        let res = import(app, &coord, json!({"kind": "schedules", "records": [revised("S-3", 2, "2026-03-28T02:00:00Z")]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id2 = res.json::<Value>()["records"][0]["id"].as_str().unwrap().to_owned();
        let s2: Value = app.call(Method::GET, &format!("/api/v1/schedules/{id2}"), &clerk, None).await.json();
        assert_eq!((s2["revision"].as_i64(), s2["status"].as_str()), (Some(2), Some("published")));
        assert_eq!(s2["entries"][0]["planned_on"], "2026-04-20");
        assert!(s["entries"][0]["uid"].is_string(), "{s}");
        assert_eq!(s2["entries"][0]["uid"], s["entries"][0]["uid"], "the same entry, moved");
    }
}

both_backends! {
    async fn a_compliance_check_reads_imported_history_as_of_its_date(app: TestApp) {
        let (admin, coord, unit, _) = cast(app).await;
        let res = app
            .call_with(Method::PATCH, &format!("/api/v1/units/{unit}"), &admin, &[("if-match", "*")], Some(json!({"head": {"name": "王建国", "title": "局长"}})))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        // Three Q1 issues with deadline 03-31: one still rectifying; one resolved only on 04-20
        // (after the evaluation date, so overdue as of 04-10); one closed on 03-25.
        let mut late_fix = issue(&unit, "Q1-late", "closed");
        late_fix["resolved_at"] = json!("2026-04-20T02:00:00Z");
        late_fix["closed_at"] = json!("2026-04-22T02:00:00Z");
        let res = import(app, &coord, json!({"kind": "issues", "records": [issue(&unit, "Q1-open", "rectifying"), late_fix, issue(&unit, "Q1-done", "closed")]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let issue_ids: Vec<String> = res.json::<Value>()["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
        // A participation of 03-10 filed on 03-20: seven days late (due 03-13).
        let p = json!({"unit_id": unit, "activity": "complaint", "mode": "regular", "activity_on": "2026-03-10", "place": "区市场监管局",
            "participant": {"kind": "head"}, "people_received": 3, "summary": "处投诉", "segments": common::complaint_segments()});
        let res = import(app, &coord, json!({"kind": "participations", "records": [{"external_ref": "Q1-P", "status": "accepted", "filed_at": "2026-03-20T02:00:00Z", "accepted_at": "2026-03-21T02:00:00Z", "participation": p}]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let participation = res.json::<Value>()["records"][0]["id"].as_str().unwrap().to_owned();

        let res = app.call(Method::POST, "/api/v1/compliance-checks", &coord, Some(json!({"period": "2026-Q1", "evaluated_on": "2026-04-10"}))).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let check = res.json::<Value>()["id"].as_str().unwrap().to_owned();
        let findings: Value = app.call(Method::GET, &format!("/api/v1/compliance-checks/{check}/findings?unit_id={unit}&limit=200"), &coord, None).await.json();
        let mut keys: Vec<String> = findings["items"].as_array().unwrap().iter()
            .map(|f| f["key"].as_str().unwrap().to_owned())
            .filter(|k| k.starts_with("R3:") || k.starts_with("R10:"))
            .collect();
        keys.sort();
        let mut want = vec![format!("R3:{participation}"), format!("R10:{}", issue_ids[0]), format!("R10:{}", issue_ids[1])];
        want.sort();
        assert_eq!(keys, want, "exactly: the late filing, the open issue, and the one fixed after the date");
    }
}

/// The activities a unit's categories require (R1); empty for `policy_making` alone.
fn required(u: &frontline::domain::unit::Unit) -> std::collections::BTreeSet<&'static str> {
    u.categories
        .iter()
        .filter_map(|c| match c.as_str() {
            "approval_service" | "public_utility" => Some("window"),
            "law_enforcement" => Some("enforcement"),
            "complaint_concentrated" => Some("complaint"),
            _ => None,
        })
        .collect()
}

fn day(m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// RFC 3339 (UTC) of `h` o'clock Beijing time on `d`.
fn beijing(d: chrono::NaiveDate, h: u32) -> String {
    (d.and_hms_opt(h, 0, 0).unwrap() - chrono::Duration::hours(8))
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A participation generated for the half-year, as the expectation needs it.
struct Held {
    reference: String,
    unit: String,
    activity: &'static str,
    on: chrono::NaiveDate,
    filed: chrono::NaiveDate,
    counted: bool,
    matters: Vec<String>,
    trigger: Option<String>,
}

type Finding = common::FindingKey;

/// Every finding of a district-wide check of `period` as of `on`, as (rule, unit, key).
async fn findings_of(
    app: &TestApp,
    token: &str,
    period: &str,
    on: chrono::NaiveDate,
) -> std::collections::BTreeSet<Finding> {
    let (_, findings) = common::run_check(app, token, period, on).await;
    common::finding_keys(&findings)
}

fn same_findings(
    label: &str,
    want: &std::collections::BTreeSet<Finding>,
    got: &std::collections::BTreeSet<Finding>,
) {
    let missing: Vec<&Finding> = want.difference(got).collect();
    let extra: Vec<&Finding> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{label}: missing {missing:#?}\nunexpected {extra:#?}"
    );
}

both_backends! {
    async fn a_generated_half_year_imports_in_one_batch_and_checks_as_stated(app: TestApp) {
        use std::collections::{BTreeSet, HashMap};
        use chrono::Datelike;
        use frontline::domain::draw::{draw, Population};
        let (admin, coord, _, _) = cast(app).await;
        let all = app.all_units("").await;
        let judged: Vec<&frontline::domain::unit::Unit> = all.iter().filter(|u| u.active && !u.categories.is_empty()).collect();
        assert!(judged.len() >= 40, "Annex 1's units take part: {}", judged.len());
        let id = |u: &frontline::domain::unit::Unit| u.id.to_string();

        // Every unit's head, through the API; then the catalogue as it was, imported: three
        // approval matters of each unit of WINDOW, listed since before the year.
        let mut matter_records = Vec::new();
        for (n, u) in judged.iter().enumerate() {
            if u.head.is_none() {
                let res = app.call_with(Method::PATCH, &format!("/api/v1/units/{}", u.id), &admin, &[("if-match", "*")], Some(json!({"head": {"name": format!("一把手{n}"), "title": "局长"}}))).await;
                assert_eq!(res.status, 200, "{}", res.text());
            }
            if required(u).contains("window") {
                for k in 0..3 {
                    matter_records.push(json!({"external_ref": format!("M-{}-{k}", u.short_code), "unit_id": id(u), "kind": "approval", "name": format!("事项{k}"), "listed_on": "2025-12-01"}));
                }
            }
        }
        let res = import(app, &coord, json!({"kind": "matters", "records": matter_records})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let mut matters: HashMap<String, Vec<String>> = HashMap::new();
        for (r, sent) in res.json::<Value>()["records"].as_array().unwrap().iter().zip(&matter_records) {
            matters.entry(sent["unit_id"].as_str().unwrap().to_owned()).or_default().push(r["id"].as_str().unwrap().to_owned());
        }

        // The stories, each of a unit picked by what it must do.
        let window_only: Vec<String> = judged.iter().copied().filter(|u| required(u) == BTreeSet::from(["window"])).map(id).collect();
        let enforcing: Vec<String> = judged.iter().copied().filter(|u| required(u).contains("enforcement")).map(id).collect();
        assert!(window_only.len() >= 4 && enforcing.len() >= 2, "{window_only:?} {enforcing:?}");
        let skipped = window_only[0].clone(); // no participation at all in Q2
        let ledger = window_only[1].clone(); // issues in every state
        let late = window_only[2].clone(); // its Q1 participation filed ten days after
        let returned = enforcing[0].clone(); // its Q2 ENFORCEMENT participation returned
        let triggered = enforcing[1].clone(); // two triggers, one answered
        let no_list = judged[0].id.to_string(); // sends no Q1 issue list
        let late_list = judged[1].id.to_string(); // sends its Q2 list after the 20th

        let quarters = [("2026-Q1", day(1, 1), day(3, 31)), ("2026-Q2", day(4, 1), day(6, 30))];
        let on_of = |q: usize, a: &str| match (q, a) {
            (0, "window") => day(3, 10),
            (0, "enforcement") => day(2, 12),
            (0, _) => day(1, 20),
            (_, "window") => day(5, 12),
            (_, "enforcement") => day(5, 14),
            _ => day(4, 21),
        };

        // Published plans: every unit an activity requires is planned; the Q2 COMPLAINT plan
        // was published after its quarter began (R13).
        let mut schedules = Vec::new();
        let mut published: Vec<(&str, &str, chrono::NaiveDate)> = Vec::new();
        for (q, (qs, start, _)) in quarters.iter().enumerate() {
            for a in ["window", "enforcement", "complaint"] {
                let entries: Vec<Value> = judged.iter().filter(|u| required(u).contains(a)).map(|u| json!({"unit_id": id(u), "planned_on": on_of(q, a).to_string(), "participant": {"kind": "head"}, "mode": "regular", "place": u.name})).collect();
                let on = if q == 1 && a == "complaint" { day(4, 3) } else { *start - chrono::Duration::days(10) };
                published.push((qs, a, on));
                schedules.push(json!({"external_ref": format!("PLAN-{qs}-{a}"), "activity": a, "quarter": qs, "title": format!("{qs} {a} 活动计划"), "entries": entries,
                    "submitted_at": beijing(on - chrono::Duration::days(6), 10), "reviewed_at": beijing(on - chrono::Duration::days(4), 10), "approved_at": beijing(on - chrono::Duration::days(2), 10), "published_at": beijing(on, 10)}));
            }
        }

        // Triggers of one unit: the first answered in time by an immediate participation that
        // names it by its reference, the second never.
        let triggers = vec![
            json!({"external_ref": "T-1", "unit_id": triggered, "reason": "important_date", "description": "春节后复工高峰", "raised_on": "2026-02-02"}),
            json!({"external_ref": "T-2", "unit_id": triggered, "reason": "process_change", "description": "执法流程调整", "raised_on": "2026-05-06"}),
        ];

        // People served in early March by each unit of WINDOW, whom its calls name by reference.
        let mut service_records = Vec::new();
        for u in judged.iter().filter(|u| required(u).contains("window")) {
            for k in 1..=3 {
                service_records.push(json!({"external_ref": format!("SR-{}-{k}", u.short_code), "unit_id": id(u), "served_on": day(3, k).to_string(), "kind": "application", "contact_name": "张先生", "phone": format!("1380013800{k}")}));
            }
        }

        // Participations and the draws their W2 segments name.
        let mut draws = Vec::new();
        let mut participations = Vec::new();
        let mut held: Vec<Held> = Vec::new();
        for (q, (qs, _, _)) in quarters.iter().enumerate() {
            for u in &judged {
                let uid = id(u);
                let mut activities: Vec<&'static str> = required(u).into_iter().collect();
                if activities.is_empty() {
                    activities.push("complaint"); // policy_making alone: any activity
                }
                for a in activities {
                    if q == 1 && a == "window" && uid == skipped {
                        continue;
                    }
                    let on = on_of(q, a);
                    let reference = format!("P-{qs}-{a}-{}", u.short_code);
                    let (segments, drawn) = match a {
                        "window" => {
                            let population = matters[&uid].clone();
                            let seed = format!("{qs}-{}", u.short_code);
                            let result = draw(&Population::new(population.clone()), &seed, 2);
                            let draw_ref = format!("D-{qs}-{}", u.short_code);
                            draws.push(json!({"external_ref": draw_ref, "purpose": "inspection_matters", "unit_id": uid, "population": population, "seed": seed, "result": result, "drawn_at": beijing(on, 9)}));
                            let calls: Vec<Value> = (1..=3).map(|k| common::good_call(&format!("SR-{}-{k}", u.short_code), &beijing(on, 15))).collect();
                            (common::window_segments(&result, &draw_ref, calls), result)
                        }
                        "enforcement" => (common::enforcement_segments(), Vec::new()),
                        _ => (common::complaint_segments(), Vec::new()),
                    };
                    let filed = if q == 0 && uid == late { on + chrono::Duration::days(10) } else { on + chrono::Duration::days(1) };
                    let fate = if q == 1 && a == "enforcement" && uid == returned {
                        json!({"status": "returned", "returned_at": beijing(filed + chrono::Duration::days(1), 10), "return_reason": "请补充案卷评查得分"})
                    } else {
                        json!({"status": "accepted", "accepted_at": beijing(filed + chrono::Duration::days(1), 10)})
                    };
                    let mut record = json!({"external_ref": reference, "filed_at": beijing(filed, 10),
                        "participation": {"unit_id": uid, "activity": a, "mode": "regular", "activity_on": on.to_string(), "place": u.name,
                            "participant": {"kind": "head"}, "people_received": 3, "summary": format!("{qs} 一把手{a}"), "segments": segments}});
                    for (k, v) in fate.as_object().unwrap() {
                        record[k] = v.clone();
                    }
                    participations.push(record);
                    held.push(Held { reference, unit: uid.clone(), activity: a, on, filed, counted: !(q == 1 && a == "enforcement" && uid == returned), matters: drawn, trigger: None });
                }
            }
        }
        let answer_on = day(2, 5);
        participations.push(json!({"external_ref": "P-T-1", "status": "accepted", "filed_at": beijing(answer_on, 16), "accepted_at": beijing(day(2, 6), 10),
            "participation": {"unit_id": triggered, "activity": "enforcement", "mode": "immediate", "trigger_id": "T-1", "activity_on": answer_on.to_string(), "place": "执法现场",
                "participant": {"kind": "head"}, "people_received": 1, "summary": "即时体验", "segments": common::enforcement_segments()}}));
        held.push(Held { reference: "P-T-1".into(), unit: triggered.clone(), activity: "enforcement", on: answer_on, filed: answer_on, counted: true, matters: Vec::new(), trigger: Some("T-1".into()) });

        // One unit's ledger in every state, with deadlines in either quarter.
        let issue = |reference: &str, found: chrono::NaiveDate, status: &str, extra: Value| {
            let mut r = json!({"external_ref": reference, "unit_id": ledger, "activity": "window", "kind": "problem", "description": format!("导入问题 {reference}"), "found_on": found.to_string(), "status": status});
            for (k, v) in extra.as_object().unwrap() {
                r[k] = v.clone();
            }
            r
        };
        let issues = vec![
            issue("I-open", day(2, 10), "open", json!({})),
            issue("I-overdue-q1", day(1, 15), "rectifying", json!({"measures": "整改", "deadline": "2026-03-15"})),
            issue("I-overdue-q2", day(4, 10), "rectifying", json!({"measures": "整改", "deadline": "2026-05-31"})),
            issue("I-resolved", day(5, 1), "resolved", json!({"measures": "整改", "deadline": "2026-06-30", "effect": "已整改", "resolved_at": beijing(day(6, 20), 10)})),
            issue("I-closed-unchecked", day(2, 10), "closed", json!({"measures": "整改", "deadline": "2026-03-31", "effect": "已整改", "resolved_at": beijing(day(3, 20), 10), "closed_at": beijing(day(3, 25), 10)})),
            issue("I-passed", day(1, 5), "passed", json!({"measures": "整改", "deadline": "2026-01-31", "effect": "已整改", "resolved_at": beijing(day(1, 18), 10), "closed_at": beijing(day(1, 20), 10), "rechecked_at": beijing(day(3, 1), 10)})),
            issue("I-withdrawn", day(4, 15), "withdrawn", json!({"remarks": "重复登记", "withdrawn_at": beijing(day(4, 16), 10)})),
        ];

        // Every unit's issue lists, but for one missing and one late.
        let mut lists = Vec::new();
        let mut on_time_lists: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for (q, (qs, _, _)) in quarters.iter().enumerate() {
            for u in &judged {
                let uid = id(u);
                if q == 0 && uid == no_list {
                    continue;
                }
                let sent = if q == 1 && uid == late_list { day(6, 25) } else if q == 0 { day(3, 15) } else { day(6, 15) };
                if sent.day() <= 20 {
                    on_time_lists.entry(qs).or_default().insert(uid.clone());
                }
                lists.push(json!({"external_ref": format!("L-{qs}-{}", u.short_code), "unit_id": uid, "quarter": qs, "submitted_at": beijing(sent, 10)}));
            }
        }

        // The leads' reports: April's WINDOW statistics late, the COMPLAINT Q1 summary never sent.
        let narrative = json!({"done": "开展情况", "results": "取得成效", "problems": "存在问题", "next_plan": "下季度计划"});
        let mut reports = Vec::new();
        let mut reports_sent: Vec<(&str, String, chrono::NaiveDate)> = Vec::new();
        for (q, (qs, start, _)) in quarters.iter().enumerate() {
            for a in ["window", "enforcement", "complaint"] {
                for m in 0..3u32 {
                    let month = start.checked_add_months(chrono::Months::new(m)).unwrap();
                    let name = month.format("%Y-%m").to_string();
                    let next = month.checked_add_months(chrono::Months::new(1)).unwrap();
                    let sent = if a == "window" && name == "2026-04" { next.with_day0(27).unwrap() } else { next.with_day0(4).unwrap() };
                    reports.push(json!({"external_ref": format!("M-{a}-{name}"), "kind": "monthly", "period": name, "activity": a, "submitted_at": beijing(sent, 10)}));
                    reports_sent.push((a, name, sent));
                }
                if q == 0 && a == "complaint" {
                    continue;
                }
                let sent = start.checked_add_months(chrono::Months::new(2)).unwrap().with_day0(14).unwrap();
                reports.push(json!({"external_ref": format!("S-{a}-{qs}"), "kind": "quarterly", "period": qs, "activity": a, "narrative": narrative, "submitted_at": beijing(sent, 10)}));
                reports_sent.push((a, qs.to_string(), sent));
            }
        }

        let parts = json!([
            {"kind": "schedules", "records": schedules},
            {"kind": "triggers", "records": triggers},
            {"kind": "service_records", "records": service_records},
            {"kind": "draws", "records": draws},
            {"kind": "participations", "records": participations},
            {"kind": "issues", "records": issues},
            {"kind": "issue_lists", "records": lists},
            {"kind": "reports", "records": reports},
        ]);
        let total: usize = parts.as_array().unwrap().iter().map(|p| p["records"].as_array().unwrap().len()).sum();
        let participation_count = || {
            use diesel::prelude::*;
            frontline::db::schema::participations::table.count().get_result::<i64>(&mut app.db()).unwrap()
        };

        // A dry run says what would happen and writes nothing.
        let res = import(app, &coord, json!({"dry_run": true, "parts": parts})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json::<Value>()["created"].as_u64(), Some(total as u64));
        assert_eq!((participation_count(), issue_count(app)), (0, 0));

        let res = import(app, &coord, json!({"parts": parts})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let report: Value = res.json();
        assert_eq!(report["created"].as_u64(), Some(total as u64));
        let ids: HashMap<(String, String), String> = report["records"].as_array().unwrap().iter()
            .map(|r| ((r["kind"].as_str().unwrap().to_owned(), r["external_ref"].as_str().unwrap().to_owned()), r["id"].as_str().unwrap().to_owned()))
            .collect();
        let id_of = |kind: &str, reference: &str| ids[&(kind.to_owned(), reference.to_owned())].clone();
        // The draws' references became their ids.
        let p: Value = app.call(Method::GET, &format!("/api/v1/participations/{}", id_of("participations", &format!("P-2026-Q1-window-{}", all.iter().find(|u| id(u) == ledger).unwrap().short_code))), &coord, None).await.json();
        assert_eq!(p["segments"][1]["draw_id"].as_str(), Some(id_of("draws", &format!("D-2026-Q1-{}", all.iter().find(|u| id(u) == ledger).unwrap().short_code)).as_str()), "{p}");

        // The expectation, rule by rule, from the generated records (DOMAIN.md R1–R13).
        let expected = |q: usize, evaluated: chrono::NaiveDate| {
            let (qs, start, end) = quarters[q];
            let in_q = |d: chrono::NaiveDate| start <= d && d <= end;
            let mut want: BTreeSet<Finding> = BTreeSet::new();
            let mut add = |rule: &str, unit: &str, key: String| {
                want.insert((rule.to_owned(), Some(unit.to_owned()), key));
            };
            for u in &judged {
                let uid = id(u);
                let mine: Vec<&Held> = held.iter().filter(|p| p.unit == uid && in_q(p.on) && p.counted).collect();
                let req = required(u);
                if req.is_empty() && mine.is_empty() {
                    add("R1", &uid, format!("R1:{uid}:{qs}:any"));
                }
                for a in &req {
                    if !mine.iter().any(|p| p.activity == *a) {
                        add("R1", &uid, format!("R1:{uid}:{qs}:{a}"));
                    }
                }
                if mine.is_empty() {
                    add("R7", &uid, format!("R7:{uid}:{qs}"));
                }
                if !on_time_lists.get(qs).is_some_and(|s| s.contains(&uid)) {
                    add("R9", &uid, format!("R9:{uid}:{qs}"));
                }
                if let Some(ms) = matters.get(&uid) {
                    let covered: BTreeSet<&String> = held.iter().filter(|p| p.unit == uid && p.on <= end && p.counted).flat_map(|p| p.matters.iter()).collect();
                    if 4 * covered.len() < (q + 1) * ms.len() {
                        add("R2", &uid, format!("R2:{uid}:{qs}"));
                    }
                }
            }
            for p in held.iter().filter(|p| in_q(p.on) && p.filed > p.on + chrono::Duration::days(3)) {
                add("R3", &p.unit, format!("R3:{}", id_of("participations", &p.reference)));
            }
            for (reference, raised) in [("T-1", day(2, 2)), ("T-2", day(5, 6))] {
                let answered = held.iter().any(|p| p.trigger.as_deref() == Some(reference) && p.counted && raised <= p.on && p.on <= raised + chrono::Duration::days(7));
                if in_q(raised) && !answered {
                    add("R8", &triggered, format!("R8:{}", id_of("triggers", reference)));
                }
            }
            // As of the evaluation date: still open or rectifying past a deadline in the quarter.
            for (reference, deadline) in [("I-overdue-q1", day(3, 15)), ("I-overdue-q2", day(5, 31))] {
                if in_q(deadline) && deadline <= evaluated {
                    add("R10", &ledger, format!("R10:{}", id_of("issues", reference)));
                }
            }
            // Closed on 03-25 and never re-checked: due by 06-23, judged in Q2.
            let closed = day(3, 25);
            let due = closed + chrono::Duration::days(90);
            if in_q(due) && due <= evaluated {
                add("R11", &ledger, format!("R11:{}:{closed}", id_of("issues", "I-closed-unchecked")));
            }
            for a in ["window", "enforcement", "complaint"] {
                let lead = all.iter().find(|u| u.lead_activity.map(|x| x.as_str()) == Some(a)).unwrap().id.to_string();
                for m in 0..3u32 {
                    let month = start.checked_add_months(chrono::Months::new(m)).unwrap();
                    let name = month.format("%Y-%m").to_string();
                    let due = month.checked_add_months(chrono::Months::new(1)).unwrap().with_day0(19).unwrap();
                    if !reports_sent.iter().any(|r| r.0 == a && r.1 == name && r.2 <= due) {
                        add("R12", &lead, format!("R12:{a}:monthly:{name}"));
                    }
                }
                let due = start.checked_add_months(chrono::Months::new(2)).unwrap().with_day0(21).unwrap();
                if !reports_sent.iter().any(|r| r.0 == a && r.1 == qs && r.2 <= due) {
                    add("R12", &lead, format!("R12:{a}:quarterly:{qs}"));
                }
                if published.iter().any(|(pq, pa, on)| *pq == qs && *pa == a && *on >= start) {
                    add("R13", &lead, format!("R13:{a}:{qs}"));
                }
            }
            want
        };
        for (q, evaluated) in [(0, day(4, 30)), (1, day(7, 31))] {
            let want = expected(q, evaluated);
            // The stories are in it, so the expectation is not empty by accident.
            let rules: BTreeSet<&str> = want.iter().map(|f| f.0.as_str()).collect();
            let stated: BTreeSet<&str> = if q == 0 { BTreeSet::from(["R3", "R9", "R10", "R12"]) } else { BTreeSet::from(["R1", "R7", "R8", "R9", "R10", "R11", "R12", "R13"]) };
            assert_eq!(rules, stated, "{want:#?}");
            let got = findings_of(app, &coord, quarters[q].0, evaluated).await;
            same_findings(quarters[q].0, &want, &got);
        }

        // Re-importing the same batch changes nothing.
        let before = (participation_count(), issue_count(app), app.audit_count());
        let res = import(app, &coord, json!({"parts": parts})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let again: Value = res.json();
        assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(total as u64)));
        assert_eq!((participation_count(), issue_count(app), app.audit_count()), before);

        // A draw whose population was picked to give the wanted result is not a draw; a phone
        // sent as a number is refused without being repeated; a reference twice in one kind,
        // even in two parts, is refused by name.
        let unit0 = window_only[3].clone();
        let ms = &matters[&unit0];
        let picked = json!({"external_ref": "D-picked", "purpose": "inspection_matters", "unit_id": unit0, "population": ms, "seed": "s",
            "result": draw(&Population::new(ms.clone()), "s", 2), "drawn_at": beijing(day(6, 1), 9)});
        let mut narrowed = picked.clone();
        narrowed["external_ref"] = json!("D-narrowed");
        narrowed["population"] = json!(ms[..2]);
        narrowed["result"] = json!(draw(&Population::new(ms[..2].to_vec()), "s", 2));
        let phone = json!({"external_ref": "SR-n", "unit_id": unit0, "served_on": "2026-03-01", "kind": "application", "phone": 13800138000u64});
        let res = import(app, &coord, json!({"parts": [{"kind": "draws", "records": [picked.clone(), narrowed]}, {"kind": "service_records", "records": [phone]}, {"kind": "draws", "records": [picked]}]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let text = res.text();
        assert!(!text.contains("13800138000"), "{text}");
        let e: Vec<(String, String)> = res.problem().errors.unwrap().into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(e, vec![("parts[1].records[0].phone".into(), "invalid".into()), ("parts[2].records[0].external_ref".into(), "duplicate".into())]);
        let res = import(app, &coord, json!({"kind": "draws", "records": [{"external_ref": "D-narrowed", "purpose": "inspection_matters", "unit_id": unit0, "population": ms[..2], "seed": "s",
            "result": draw(&Population::new(ms[..2].to_vec()), "s", 2), "drawn_at": beijing(day(6, 1), 9)}]})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let e = res.problem().errors.unwrap();
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("records[0].population", "incomplete"));

        // A batch with one bad record (filed before its activity) writes nothing and names it.
        let mut bad_parts = parts.clone();
        bad_parts[5]["records"].as_array_mut().unwrap().push(issue("I-new", day(6, 1), "open", json!({})));
        let k = bad_parts[4]["records"].as_array().unwrap().len();
        let mut bad = bad_parts[4]["records"][0].clone();
        bad["external_ref"] = json!("P-new");
        bad["filed_at"] = json!("2025-12-01T02:00:00Z");
        bad_parts[4]["records"].as_array_mut().unwrap().push(bad);
        let res = import(app, &coord, json!({"parts": bad_parts})).await;
        assert_eq!(res.status, 422, "{}", res.text());
        let fields: Vec<String> = res.problem().errors.unwrap().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![format!("parts[4].records[{k}].filed_at")]);
        assert_eq!((participation_count(), issue_count(app), app.audit_count()), before);
    }
}
