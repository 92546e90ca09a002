//! Annex 2 spreadsheets as the offices fill them in by hand (问题清单、需求清单和解决措施清单):
//! a header block (填报单位, 负责人姓名, 参与活动名称, 时间), a title row with the ten columns,
//! and rows. Tolerant of what people do in Excel — merged header cells, labels and values in
//! separate cells, blank rows, dates typed as text (`2022年6月30日`, `2022.6.30`, `6月底`),
//! full-width digits, titles with line breaks — and strict about what cannot be guessed: a row
//! without a problem or a demand is refused with its row number, and a deadline that cannot be
//! read is kept, as written, in 备注 and reported, never invented.

use chrono::{Datelike, NaiveDate};

use super::ledger::ANNEX2_COLUMNS;
use super::unit::Activity;
use super::Problem;

/// One cell of a sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (as typed).
    Text(String),
    /// A number.
    Number(f64),
    /// A date cell.
    Date(NaiveDate),
}

impl Cell {
    /// The cell as text, trimmed (numbers without a needless `.0`).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => normalize(s).trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
        }
    }

    fn is_blank(&self) -> bool {
        self.text().is_empty()
    }
}

/// Full-width digits, letters and common punctuation made ASCII; ideographic spaces made plain.
pub fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// The header block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heading {
    /// 填报单位.
    pub unit: String,
    /// 负责人姓名.
    pub head: String,
    /// 参与活动名称.
    pub activity: String,
    /// 时间.
    pub period: String,
}

/// One row of the lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The sheet's row number (1-based, as Excel shows it).
    pub line: usize,
    /// 序号, as written.
    pub seq: String,
    /// 参与活动地点.
    pub place: String,
    /// 体验内容.
    pub content: String,
    /// 体验方式.
    pub method: String,
    /// 发现问题.
    pub problem: String,
    /// 企业群众或一线工作人员反映的需求.
    pub demand: String,
    /// 拟采取的解决措施.
    pub measures: String,
    /// 完成时限, when it could be read.
    pub deadline: Option<NaiveDate>,
    /// 整改效果.
    pub effect: String,
    /// 备注 (with an unreadable deadline appended, as written).
    pub remarks: String,
}

/// A sheet read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The header block (empty fields when absent).
    pub heading: Heading,
    /// The rows with a problem or a demand.
    pub rows: Vec<Row>,
    /// What was kept as written rather than read (unreadable deadlines), by row.
    pub warnings: Vec<Problem>,
}

fn title_key(s: &str) -> String {
    normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Which column holds each of the ten titles, from a title row.
fn columns_of(row: &[Cell]) -> Option<[Option<usize>; 10]> {
    let keys: Vec<String> = row.iter().map(|c| title_key(&c.text())).collect();
    let mut cols = [None; 10];
    for (i, title) in ANNEX2_COLUMNS.iter().enumerate() {
        let t = title_key(title);
        cols[i] = keys.iter().position(|k| *k == t);
    }
    // 序号 and at least one of 发现问题 / 反映的需求, and most of the rest.
    let found = cols.iter().filter(|c| c.is_some()).count();
    (cols[0].is_some() && (cols[4].is_some() || cols[5].is_some()) && found >= 6).then_some(cols)
}

/// The value of a header label (`填报单位：X` in one cell, or the label in one cell and the
/// value in the next non-empty one).
fn labelled(rows: &[Vec<Cell>], label: &str) -> String {
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let text = cell.text();
            let key = title_key(&text);
            if let Some(rest) = key.strip_prefix(label) {
                let rest = rest.trim_start_matches([':', '：']);
                if !rest.is_empty() {
                    // Keep the original spacing of the value.
                    let original = normalize(&text);
                    let value = original
                        .split_once([':', '：'])
                        .map(|(_, v)| v.trim().to_owned())
                        .unwrap_or_else(|| rest.to_owned());
                    return value;
                }
                return row[i + 1..]
                    .iter()
                    .map(Cell::text)
                    .find(|t| !t.is_empty())
                    .unwrap_or_default();
            }
        }
    }
    String::new()
}

/// The year the header's 时间 names (`2022年第二季度`, `2022年6月`, `2022-06`), for dates
/// written without one (`6月底`).
fn year_of(period: &str) -> Option<i32> {
    let digits: String = normalize(period)
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2099).contains(y))
}

fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    first_next.pred_opt()
}

/// Reads a deadline as people type it: an Excel date or serial number, `2022-06-30`,
/// `2022/6/30`, `2022.6.30`, `2022年6月30日`, `2022年6月底`, `6月30日` and `6月底` (in
/// `year`, the header's). `None` when it cannot be read without guessing.
pub fn parse_deadline(cell: &Cell, year: Option<i32>) -> Option<NaiveDate> {
    let in_range = |d: NaiveDate| (2000..=2099).contains(&d.year()).then_some(d);
    match cell {
        Cell::Empty => None,
        Cell::Date(d) => in_range(*d),
        // An Excel serial day number (1900 date system) of this century.
        Cell::Number(n) if n.fract() == 0.0 && (36_526.0..=73_050.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|base| base.checked_add_days(chrono::Days::new(*n as u64)))
                .and_then(in_range)
        }
        Cell::Number(_) => None,
        Cell::Text(raw) => {
            let s: String = normalize(raw)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let s = s.trim_end_matches(['前', '止']).trim_end_matches('底');
            let end_of_month = normalize(raw)
                .trim()
                .trim_end_matches(['前', '止'])
                .ends_with('底');
            // Split into numbers, remembering whether a 年 was written.
            let numbers: Vec<u32> = s
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .map(|p| p.parse::<u32>().ok())
                .collect::<Option<Vec<_>>>()?;
            let rest_ok = s.chars().all(|c| {
                c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | '年' | '月' | '日' | '号')
            });
            if !rest_ok {
                return None;
            }
            let has_year = numbers.first().is_some_and(|y| *y >= 1000);
            let (y, m, d) = match (has_year, numbers.as_slice(), end_of_month) {
                (true, [y, m, d], false) => (*y as i32, *m, Some(*d)),
                (true, [y, m], true) => (*y as i32, *m, None),
                (false, [m, d], false) if s.contains('月') => (year?, *m, Some(*d)),
                (false, [m], true) if s.contains('月') => (year?, *m, None),
                _ => return None,
            };
            let date = match d {
                Some(d) => NaiveDate::from_ymd_opt(y, m, d),
                None if (1..=12).contains(&m) => last_day(y, m),
                None => None,
            }?;
            in_range(date)
        }
    }
}

/// Reads a sheet (rows of cells, as read from XLSX or CSV).
pub fn read(grid: &[Vec<Cell>]) -> Result<Sheet, Vec<Problem>> {
    let Some((title_at, cols)) = grid
        .iter()
        .enumerate()
        .find_map(|(i, r)| columns_of(r).map(|c| (i, c)))
    else {
        return Err(vec![Problem::new(
            "file",
            "no_title_row",
            "找不到附件2的标题行（序号、发现问题、反映的需求……）",
            "no Annex 2 title row (序号, 发现问题, 反映的需求…) was found",
        )]);
    };
    let block = &grid[..title_at];
    let heading = Heading {
        unit: labelled(block, "填报单位"),
        head: labelled(block, "负责人姓名"),
        activity: labelled(block, "参与活动名称"),
        period: labelled(block, "时间"),
    };
    let year = year_of(&heading.period);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (i, cells) in grid.iter().enumerate().skip(title_at + 1) {
        let line = i + 1;
        let get = |k: usize| -> Cell {
            cols[k]
                .and_then(|c| cells.get(c))
                .cloned()
                .unwrap_or(Cell::Empty)
        };
        let text = |k: usize| get(k).text();
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        let (problem, demand) = (text(4), text(5));
        if problem.is_empty() && demand.is_empty() {
            problems.push(Problem::new(
                format!("rows[{line}]"),
                "no_problem",
                format!("第 {line} 行既没有发现问题，也没有反映的需求"),
                format!("row {line} has neither a problem nor a demand"),
            ));
            continue;
        }
        let deadline_cell = get(7);
        let deadline = parse_deadline(&deadline_cell, year);
        let mut remarks = text(9);
        if deadline.is_none() && !deadline_cell.is_blank() {
            let written = deadline_cell.text();
            warnings.push(Problem::new(
                format!("rows[{line}].完成时限"),
                "unreadable_deadline",
                format!("第 {line} 行的完成时限“{written}”无法识别，已原样记入备注"),
                format!("row {line}: the deadline “{written}” cannot be read; it is kept in 备注 as written"),
            ));
            let note = format!("完成时限：{written}");
            remarks = if remarks.is_empty() {
                note
            } else {
                format!("{remarks}；{note}")
            };
        }
        rows.push(Row {
            line,
            seq: text(0),
            place: text(1),
            content: text(2),
            method: text(3),
            problem,
            demand,
            measures: text(6),
            deadline,
            effect: text(8),
            remarks,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Sheet {
        heading,
        rows,
        warnings,
    })
}

/// The start of the period a header's 时间 names (`2022年第二季度`, `2022年6月`, `2022年`).
pub fn period_start(period: &str) -> Option<NaiveDate> {
    let p = normalize(period);
    let year: i32 = p
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .ok()?;
    let quarter = ["一", "二", "三", "四"]
        .iter()
        .position(|q| p.contains(&format!("第{q}季度")))
        .map(|q| q as u32 + 1)
        .or_else(|| {
            p.find(['Q', 'q'])
                .and_then(|i| p[i + 1..].chars().next())
                .and_then(|c| c.to_digit(10))
                .filter(|q| (1..=4).contains(q))
        });
    let month = p
        .split_once('年')
        .and_then(|(_, rest)| rest.split_once('月'))
        .and_then(|(m, _)| m.trim().parse::<u32>().ok());
    let m = match (quarter, month) {
        (Some(q), _) => 3 * (q - 1) + 1,
        (None, Some(m)) => m,
        _ => 1,
    };
    NaiveDate::from_ymd_opt(year, m, 1)
        .filter(|d| (2000..=2099).contains(&chrono::Datelike::year(d)))
}

pub fn activity_of(name: &str) -> Option<Activity> {
    if name.contains("走流程") || name.contains("坐窗口") {
        Some(Activity::Window)
    } else if name.contains("执法") {
        Some(Activity::Enforcement)
    } else if name.contains("投诉") {
        Some(Activity::Complaint)
    } else {
        None
    }
}

/// The ledger issues a sheet's rows become: one per problem and one per demand of a row, of
/// `unit` and `activity`. A row's state follows its columns: resolved with measures, a deadline
/// and an effect; rectifying with measures and a deadline; open otherwise, when a deadline
/// without measures stays in 备注 as written (a deadline is set by planning). An issue was found
/// on its period's first day `start` (or its deadline, if earlier) and opened at 09:00 Beijing
/// time that day (not after `now`). Its reference is a digest of the row, so that the same row
/// imported again is the same issue.
pub fn issue_records(
    rows: &[Row],
    unit: &str,
    activity: Option<Activity>,
    start: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<super::import::IssueRecord> {
    use super::ledger::{IssueKind, IssueStatus};
    use sha2::Digest;
    let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
    let mut out = Vec::new();
    for row in rows {
        for (kind, text) in [
            (IssueKind::Problem, &row.problem),
            (IssueKind::Demand, &row.demand),
        ] {
            if text.is_empty() {
                continue;
            }
            let planned = !row.measures.is_empty() && row.deadline.is_some();
            let (deadline, remarks) = match (planned, row.deadline) {
                (false, Some(d)) if row.remarks.is_empty() => (None, format!("完成时限：{d}")),
                (false, Some(d)) => (None, format!("{}；完成时限：{d}", row.remarks)),
                _ => (row.deadline, row.remarks.clone()),
            };
            let found_on = deadline.map_or(start, |d| d.min(start));
            let status = if planned && !row.effect.is_empty() {
                IssueStatus::Resolved
            } else if planned {
                IssueStatus::Rectifying
            } else {
                IssueStatus::Open
            };
            let opened =
                (super::calendar::start_of_day(found_on) + chrono::Duration::hours(9)).min(now);
            let content = serde_json::json!([
                unit,
                kind,
                &row.place,
                &row.content,
                &row.method,
                text,
                &row.measures,
                row.deadline,
                &row.effect,
                &row.remarks
            ]);
            let digest: String = sha2::Sha256::digest(content.to_string().as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            out.push(super::import::IssueRecord {
                external_ref: format!("annex2:{}", &digest[..32]),
                unit_id: unit.to_owned(),
                activity,
                kind,
                description: text.clone(),
                place: opt(&row.place),
                content: opt(&row.content),
                method: opt(&row.method),
                measures: opt(&row.measures),
                deadline,
                effect: opt(&row.effect),
                remarks: opt(&remarks),
                owner: None,
                immediate: false,
                found_on,
                status,
                opened_at: Some(opened),
                planned_at: None,
                resolved_at: (status == IssueStatus::Resolved).then_some(opened),
                closed_at: None,
                rechecked_at: None,
                withdrawn_at: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn deadlines_are_read_as_people_type_them_and_never_guessed() {
        for (raw, want) in [
            ("2022-06-30", d(2022, 6, 30)),
            ("2022/6/30", d(2022, 6, 30)),
            ("2022.6.30", d(2022, 6, 30)),
            ("2022年6月30日", d(2022, 6, 30)),
            ("２０２２年６月３０日", d(2022, 6, 30)),
            ("2022年6月底", d(2022, 6, 30)),
            ("2024年2月底", d(2024, 2, 29)),
            ("6月底", d(2022, 6, 30)),
            ("6月30日前", d(2022, 6, 30)),
            ("12月底", d(2022, 12, 31)),
            (" 2022 年 6 月 30 日 ", d(2022, 6, 30)),
        ] {
            assert_eq!(parse_deadline(&t(raw), Some(2022)), want, "{raw}");
        }
        for raw in [
            "长期坚持",
            "尽快",
            "2022年13月1日",
            "6月31日",
            "三季度",
            "6-30",
            "2022年6月",
            "1899-01-01",
        ] {
            assert_eq!(parse_deadline(&t(raw), Some(2022)), None, "{raw}");
        }
        assert_eq!(
            parse_deadline(&t("6月底"), None),
            None,
            "no year to put it in"
        );
        assert_eq!(
            parse_deadline(&Cell::Number(44742.0), None),
            d(2022, 6, 30),
            "an Excel serial"
        );
        assert_eq!(
            parse_deadline(
                &Cell::Date(NaiveDate::from_ymd_opt(2022, 6, 30).unwrap()),
                None
            ),
            d(2022, 6, 30)
        );
    }

    fn grid() -> Vec<Vec<Cell>> {
        let mut titles: Vec<Cell> = ANNEX2_COLUMNS.iter().map(|s| t(s)).collect();
        titles[4] = t("发现\n问题");
        vec![
            vec![t("问题清单、需求清单和解决措施清单"), Cell::Empty],
            vec![
                t("填报单位："),
                t("碑林区市场监管局"),
                Cell::Empty,
                t("负责人姓名：王建国"),
            ],
            vec![
                t("参与活动名称：走流程、坐窗口"),
                Cell::Empty,
                t("时间"),
                t("2022年第二季度"),
            ],
            titles,
            vec![
                Cell::Number(1.0),
                t("区政务服务中心"),
                t("办理营业执照"),
                t("现场体验"),
                t("窗口材料清单未更新"),
                Cell::Empty,
                t("更新清单"),
                t("6月底"),
                t("已更新"),
                Cell::Empty,
            ],
            vec![Cell::Empty; 10],
            vec![
                Cell::Number(2.0),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                t("希望延长午间服务"),
                t("试行延时服务"),
                t("长期"),
                Cell::Empty,
                t("群众意见"),
            ],
        ]
    }

    #[test]
    fn a_hand_made_sheet_is_read_with_its_header_block() {
        let s = read(&grid()).unwrap();
        assert_eq!(
            s.heading,
            Heading {
                unit: "碑林区市场监管局".into(),
                head: "王建国".into(),
                activity: "走流程、坐窗口".into(),
                period: "2022年第二季度".into()
            }
        );
        assert_eq!(s.rows.len(), 2, "the blank row is skipped");
        assert_eq!(s.rows[0].line, 5);
        assert_eq!(s.rows[0].deadline, d(2022, 6, 30));
        assert_eq!(s.rows[0].seq, "1");
        assert_eq!(s.rows[1].demand, "希望延长午间服务");
        assert_eq!(s.rows[1].deadline, None);
        assert_eq!(
            s.rows[1].remarks, "群众意见；完成时限：长期",
            "kept as written, in 备注"
        );
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].field, "rows[7].完成时限");
    }

    #[test]
    fn the_header_names_a_period_start_and_an_activity() {
        assert_eq!(period_start("2022年第二季度"), d(2022, 4, 1));
        assert_eq!(period_start("２０２２年６月"), d(2022, 6, 1));
        assert_eq!(period_start("2026-Q4"), d(2026, 10, 1));
        assert_eq!(period_start("2022年"), d(2022, 1, 1));
        assert_eq!(period_start("第二季度"), None);
        assert_eq!(activity_of("走流程、坐窗口"), Some(Activity::Window));
        assert_eq!(activity_of("跟执法"), Some(Activity::Enforcement));
        assert_eq!(activity_of("处投诉"), Some(Activity::Complaint));
        assert_eq!(activity_of("其他"), None);
    }

    #[test]
    fn a_row_without_problem_or_demand_is_refused_with_its_number() {
        let mut g = grid();
        g.push(vec![
            Cell::Number(3.0),
            t("区政务服务中心"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            t("措施"),
        ]);
        let e = read(&g).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "rows[8]");
        assert_eq!(e[0].code, "no_problem");
        let e = read(&g[..3]).unwrap_err();
        assert_eq!(e[0].code, "no_title_row");
    }

    fn row(
        problem: &str,
        demand: &str,
        measures: &str,
        deadline: Option<NaiveDate>,
        effect: &str,
    ) -> Row {
        Row {
            line: 5,
            seq: "1".into(),
            place: "区政务服务中心".into(),
            content: String::new(),
            method: String::new(),
            problem: problem.into(),
            demand: demand.into(),
            measures: measures.into(),
            deadline,
            effect: effect.into(),
            remarks: String::new(),
        }
    }

    #[test]
    fn rows_become_issues_in_the_state_their_columns_show() {
        use crate::domain::ledger::{IssueKind, IssueStatus};
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z")
            .unwrap()
            .to_utc();
        let rows = [
            row(
                "材料清单未更新",
                "希望延长午间服务",
                "更新清单",
                Some(d(6, 30)),
                "已更新",
            ),
            row("排队时间长", "", "增设终端", Some(d(3, 31)), ""),
            row("提示不清", "", "", Some(d(6, 30)), ""),
        ];
        let r = issue_records(&rows, "u-1", Some(Activity::Window), d(4, 1), now);
        let got: Vec<(IssueKind, IssueStatus, Option<NaiveDate>, NaiveDate)> = r
            .iter()
            .map(|x| (x.kind, x.status, x.deadline, x.found_on))
            .collect();
        assert_eq!(
            got,
            vec![
                // A row with a problem and a demand: two issues, resolved (an effect).
                (
                    IssueKind::Problem,
                    IssueStatus::Resolved,
                    Some(d(6, 30)),
                    d(4, 1)
                ),
                (
                    IssueKind::Demand,
                    IssueStatus::Resolved,
                    Some(d(6, 30)),
                    d(4, 1)
                ),
                // Found no later than its deadline.
                (
                    IssueKind::Problem,
                    IssueStatus::Rectifying,
                    Some(d(3, 31)),
                    d(3, 31)
                ),
                // A deadline without measures stays in 备注.
                (IssueKind::Problem, IssueStatus::Open, None, d(4, 1)),
            ]
        );
        assert_eq!(r[3].remarks.as_deref(), Some("完成时限：2026-06-30"));
        assert_eq!(r[0].resolved_at, r[0].opened_at);
        // The same row is the same reference; another row another.
        assert_ne!(r[0].external_ref, r[1].external_ref);
        assert_eq!(
            issue_records(&rows, "u-1", Some(Activity::Window), d(4, 1), now)[2].external_ref,
            r[2].external_ref
        );
        // Opened at 09:00 Beijing time on the day found, never after now.
        assert_eq!(
            r[2].opened_at.unwrap().to_rfc3339(),
            "2026-03-31T01:00:00+00:00"
        );
        let early = chrono::DateTime::parse_from_rfc3339("2026-03-31T00:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            issue_records(&rows[1..2], "u-1", None, d(4, 1), early)[0].opened_at,
            Some(early)
        );
    }
}
