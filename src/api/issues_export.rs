//! The Annex 2 lists (问题清单、需求清单和解决措施清单) as XLSX or CSV. The ledger is read a
//! page at a time and written to an anonymous temporary file (the XLSX worksheet in
//! rust_xlsxwriter's constant-memory mode), then streamed: memory stays flat however many
//! issues are exported.

use std::collections::HashMap;
use std::io::{Read, Seek, Write};

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::api::context::RequestCtx;
use crate::api::issues::{filter_of, ListIssuesParams};
use crate::api::problems::{AuthErrors, CommonErrors, ParameterErrors};
use crate::api::query::Params;
use crate::auth::AuthUser;
use crate::config::Config;
use crate::db::{write_transaction, AnyConnection, DbPool};
use crate::domain::calendar::local_date;
use crate::domain::ledger::{self as rules, IssueStatus, ANNEX2_COLUMNS};
use crate::error::{AppError, FieldIssue};
use crate::store::audit::{self, AuditEntry};
use crate::store::issues::{self as store, IssueRow};

/// Rows read from the database at a time.
const PAGE: i64 = 1000;
/// The most issues an XLSX export holds (an Excel sheet has 1,048,576 rows).
pub const MAX_XLSX_ROWS: i64 = 1_000_000;

crate::text_enum! {
    /// The export's file format.
    pub enum ExportFormat {
        /// Excel 2007+ (`.xlsx`).
        Xlsx => "xlsx",
        /// CSV, UTF-8 with BOM.
        Csv => "csv",
    }
}

/// The form's header block (填报单位, 负责人姓名, 参与活动名称, 时间).
#[derive(Clone, Debug, Default)]
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

/// One row of the lists, in the form's columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// 序号.
    pub seq: i32,
    /// 参与活动地点, 体验内容, 体验方式.
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
    /// 完成时限.
    pub deadline: Option<NaiveDate>,
    /// 整改效果.
    pub effect: String,
    /// 备注.
    pub remarks: String,
}

fn status_zh(s: IssueStatus) -> &'static str {
    match s {
        IssueStatus::Open => "挂账",
        IssueStatus::Rectifying => "整改中",
        IssueStatus::Resolved => "已整改待销号",
        IssueStatus::Closed => "已销号",
        IssueStatus::Passed => "回头看通过",
        IssueStatus::Withdrawn => "已撤销",
    }
}

/// The line of an issue; `unit` names the unit in 备注 when the export spans several.
pub fn line_of(r: &IssueRow, unit: Option<&str>, today: NaiveDate) -> Line {
    let status: IssueStatus = r.status.parse().unwrap_or(IssueStatus::Open);
    let mut notes = Vec::new();
    if let Some(u) = unit {
        notes.push(format!("【{u}】"));
    }
    notes.push(format!("状态：{}", status_zh(status)));
    if r.immediate {
        notes.push("立行立改".into());
    }
    if rules::overdue(status, r.deadline, today) {
        notes.push("已逾期".into());
    }
    if let Some(x) = &r.remarks {
        notes.push(x.clone());
    }
    let (problem, demand) = if r.kind == "demand" {
        (String::new(), r.description.clone())
    } else {
        (r.description.clone(), String::new())
    };
    Line {
        seq: r.seq,
        place: r.place.clone().unwrap_or_default(),
        content: r.content.clone().unwrap_or_default(),
        method: r.method.clone().unwrap_or_default(),
        problem,
        demand,
        measures: r.measures.clone().unwrap_or_default(),
        deadline: r.deadline,
        effect: r.effect.clone().unwrap_or_default(),
        remarks: notes.join("；"),
    }
}

/// Writes lines as CSV: UTF-8 with BOM, RFC 4180 quoting, formula-like cells neutralised.
pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    /// Starts the file: the BOM and the Annex 2 titles.
    pub fn new(mut w: W) -> std::io::Result<Self> {
        w.write_all(b"\xEF\xBB\xBF")?;
        let mut out = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(w);
        out.write_record(ANNEX2_COLUMNS)?;
        Ok(CsvSink { out })
    }

    /// One line.
    pub fn line(&mut self, l: &Line) -> std::io::Result<()> {
        let deadline = l.deadline.map(|d| d.to_string()).unwrap_or_default();
        let cells = [
            l.seq.to_string(),
            l.place.clone(),
            l.content.clone(),
            l.method.clone(),
            l.problem.clone(),
            l.demand.clone(),
            l.measures.clone(),
            deadline,
            l.effect.clone(),
            l.remarks.clone(),
        ];
        self.out
            .write_record(cells.iter().map(|c| rules::csv_safe(c).into_owned()))?;
        Ok(())
    }

    /// Ends the file.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        self.out
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Writes lines as an XLSX worksheet in constant-memory mode, with the form's header block.
pub struct XlsxSink {
    book: Workbook,
    row: u32,
    text: Format,
    date: Format,
    number: Format,
}

/// Column widths, in characters, of the ten Annex 2 columns.
const WIDTHS: [f64; 10] = [6.0, 18.0, 22.0, 20.0, 36.0, 36.0, 36.0, 12.0, 30.0, 26.0];
/// The row of the column titles (after the title and two rows of the header block).
const TITLE_ROW: u32 = 3;

fn xlsx(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

impl XlsxSink {
    /// Starts the workbook: page set-up, the header block and the column titles.
    pub fn new(h: &Heading) -> Result<Self, AppError> {
        let mut book = Workbook::new();
        book.set_tempdir(std::env::temp_dir()).map_err(xlsx)?;
        let title = Format::new()
            .set_bold()
            .set_font_size(16)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        let block = Format::new().set_align(FormatAlign::VerticalCenter);
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        let text = Format::new()
            .set_text_wrap()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        let date = Format::new()
            .set_num_format("yyyy-mm-dd")
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        let number = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::Top);
        let sheet = book.add_worksheet_with_constant_memory();
        sheet.set_name("问题清单").map_err(xlsx)?;
        for (i, w) in WIDTHS.iter().enumerate() {
            sheet.set_column_width(i as u16, *w).map_err(xlsx)?;
        }
        sheet.set_landscape();
        sheet.set_paper_size(9); // A4
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(TITLE_ROW, TITLE_ROW).map_err(xlsx)?;
        sheet.set_freeze_panes(TITLE_ROW + 1, 0).map_err(xlsx)?;
        sheet.set_row_height(0, 30).map_err(xlsx)?;
        sheet
            .merge_range(0, 0, 0, 9, "问题清单、需求清单和解决措施清单", &title)
            .map_err(xlsx)?;
        sheet
            .merge_range(1, 0, 1, 4, &format!("填报单位：{}", h.unit), &block)
            .map_err(xlsx)?;
        sheet
            .merge_range(1, 5, 1, 9, &format!("负责人姓名：{}", h.head), &block)
            .map_err(xlsx)?;
        sheet
            .merge_range(2, 0, 2, 4, &format!("参与活动名称：{}", h.activity), &block)
            .map_err(xlsx)?;
        sheet
            .merge_range(2, 5, 2, 9, &format!("时间：{}", h.period), &block)
            .map_err(xlsx)?;
        for (i, t) in ANNEX2_COLUMNS.iter().enumerate() {
            sheet
                .write_string_with_format(TITLE_ROW, i as u16, *t, &head)
                .map_err(xlsx)?;
        }
        Ok(XlsxSink {
            book,
            row: TITLE_ROW + 1,
            text,
            date,
            number,
        })
    }

    /// One line.
    pub fn line(&mut self, l: &Line) -> Result<(), AppError> {
        let sheet = self.book.worksheet_from_index(0).map_err(xlsx)?;
        let r = self.row;
        sheet
            .write_number_with_format(r, 0, f64::from(l.seq), &self.number)
            .map_err(xlsx)?;
        for (c, v) in [
            (1, &l.place),
            (2, &l.content),
            (3, &l.method),
            (4, &l.problem),
            (5, &l.demand),
            (6, &l.measures),
            (8, &l.effect),
            (9, &l.remarks),
        ] {
            sheet
                .write_string_with_format(r, c, v, &self.text)
                .map_err(xlsx)?;
        }
        match l.deadline {
            Some(d) => sheet
                .write_datetime_with_format(r, 7, d, &self.date)
                .map_err(xlsx)?,
            None => sheet.write_blank(r, 7, &self.date).map_err(xlsx)?,
        };
        self.row += 1;
        Ok(())
    }

    /// Writes the workbook to `w`.
    pub fn finish<W: Write + Seek + Send>(mut self, w: W) -> Result<(), AppError> {
        self.book.save_to_writer(w).map_err(xlsx)
    }
}

/// The heading of an export: the unit and its head when it is one unit's.
fn heading(
    conn: &mut AnyConnection,
    f: &store::Filter,
    quarter: Option<&str>,
) -> Result<Heading, AppError> {
    let unit = match f.unit_id.as_deref().map(crate::api::units::parse_id) {
        Some(Ok(id)) => crate::store::units::get(conn, crate::domain::unit::UnitId(id))?,
        _ => None,
    };
    Ok(Heading {
        unit: unit
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "全部单位".into()),
        head: unit
            .as_ref()
            .and_then(|u| u.head.as_ref().map(|h| h.name.clone()))
            .unwrap_or_default(),
        activity: match f.activity.as_deref() {
            Some("window") => "走流程、坐窗口".into(),
            Some("enforcement") => "跟执法".into(),
            Some("complaint") => "处投诉".into(),
            _ => "一把手走流程、坐窗口、跟执法、处投诉".into(),
        },
        period: quarter.map(str::to_owned).unwrap_or_else(|| "全部".into()),
    })
}

/// Writes the export of `f` to a new anonymous temporary file; the file, rewound, and how many
/// issues it holds.
pub fn write_export(
    conn: &mut AnyConnection,
    f: &store::Filter,
    format: ExportFormat,
    quarter: Option<&str>,
) -> Result<(std::fs::File, usize), AppError> {
    let io = |e: std::io::Error| AppError::internal(format!("export file: {e}"));
    if format == ExportFormat::Xlsx && store::count(conn, f)? > MAX_XLSX_ROWS {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "format",
            "too_many_rows",
            format!("超过 {MAX_XLSX_ROWS} 条，Excel 工作表容纳不下：请缩小范围或导出 csv"),
            format!("more than {MAX_XLSX_ROWS} issues do not fit an Excel sheet: narrow the filters or export csv"),
        )]));
    }
    let h = heading(conn, f, quarter)?;
    let names: Option<HashMap<String, String>> = if f.unit_id.is_some() {
        None
    } else {
        let units = crate::store::units::list(conn, &Default::default(), None, 10_000)?;
        Some(
            units
                .items
                .into_iter()
                .map(|u| (u.id.to_string(), u.name))
                .collect(),
        )
    };
    let today = local_date(Utc::now());
    let mut file = tempfile::tempfile().map_err(io)?;
    // The writers get their own handles on the file; it is rewound once they are done.
    let mut count = 0;
    let mut after: Option<(String, i32)> = None;
    let mut csv = None;
    let mut book = None;
    match format {
        ExportFormat::Csv => {
            csv = Some(
                CsvSink::new(std::io::BufWriter::new(file.try_clone().map_err(io)?)).map_err(io)?,
            )
        }
        ExportFormat::Xlsx => book = Some(XlsxSink::new(&h)?),
    }
    loop {
        let rows = store::export_page(conn, f, after.as_ref(), PAGE)?;
        for r in &rows {
            let unit = names
                .as_ref()
                .map(|n| n.get(&r.unit_id).map(String::as_str).unwrap_or("?"));
            let l = line_of(r, unit, today);
            if let Some(c) = csv.as_mut() {
                c.line(&l).map_err(io)?;
            }
            if let Some(b) = book.as_mut() {
                b.line(&l)?;
            }
        }
        count += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE => {
                after = Some((last.unit_id.clone(), last.seq))
            }
            _ => break,
        }
    }
    if let Some(c) = csv {
        c.finish().map_err(io)?.flush().map_err(io)?;
    }
    if let Some(b) = book {
        b.finish(file.try_clone().map_err(io)?)?;
    }
    file.rewind().map_err(io)?;
    Ok((file, count))
}

/// Streams a file in 64 KiB chunks, each read on the blocking pool.
fn stream_file(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut f = state?;
        let read = web::block(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((f, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((f, buf))) => Some((Ok(web::Bytes::from(buf)), Some(f))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    })
}

/// Exports the Annex 2 lists of the issues matching the filters (as the list, without paging):
/// `format=xlsx` (default) with the form's header block, or `format=csv`. Each export is
/// audited.
#[utoipa::path(
    tag = "issues",
    operation_id = "get_issues_export",
    params(ListIssuesParams),
    responses(
        (status = 200, description = "The lists: an XLSX workbook or CSV (UTF-8 with BOM), by `format`", content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        ParameterErrors, AuthErrors, CommonErrors,
        (status = 429, description = "The account's exports this hour reached `FRONTLINE_EXPORT_RATE_PER_HOUR`; `Retry-After` says when to retry", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
#[get("/issues/export")]
pub async fn get_issues_export(
    ctx: RequestCtx,
    user: AuthUser,
    pool: web::Data<DbPool>,
    config: web::Data<Config>,
    params: web::Query<ListIssuesParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let format = params
        .enumeration::<ExportFormat>("format", p.format.as_deref())
        .unwrap_or(ExportFormat::Xlsx);
    for (name, given) in [("limit", p.limit.is_some()), ("cursor", p.cursor.is_some())] {
        if given {
            params.refuse(FieldIssue::new(
                name,
                "not_allowed",
                "导出不分页",
                "the export is not paged",
            ));
        }
    }
    let recheck = crate::api::issues::recheck_rule(&pool, &config).await?;
    let filter = filter_of(&user, &p, &mut params, &recheck);
    params.finish()?;
    let filter = filter?;
    let quarter = p.quarter.clone();
    let actx = ctx.audit(Some(&user));
    let (quota, actor) = (i64::from(config.export_rate_per_hour), user.id.clone());
    let address_quota = i64::from(config.export_rate_per_address_per_hour);
    let (file, count) = crate::db::run(&pool, move |conn| {
        // The quotas first: an export reads the whole ledger (OWASP API6, business flows).
        // Per account, and per client address, whatever accounts it uses.
        let now = chrono::Utc::now().naive_utc();
        let since = now - chrono::Duration::hours(1);
        let mut counts = vec![(
            quota,
            audit::recent(conn, audit::Source::Actor(&actor), "issue.export", since)?,
        )];
        if actx.client_addr.is_some() {
            let key = crate::domain::account::client_key(actx.client_addr.as_deref());
            let from_address = audit::recent(conn, audit::Source::Client(&key), "issue.export", since)?;
            counts.push((address_quota, from_address));
        }
        let wait = counts
            .into_iter()
            .filter(|(quota, (recent, _))| recent >= quota)
            .map(|(_, (_, oldest))| {
                let waited = oldest.map_or(0, |o| (now - o).num_seconds());
                (3_600 - waited).clamp(1, 3_600) as u64
            })
            .max();
        if let Some(retry_after) = wait {
            return Err(AppError::TooManyRequests { retry_after });
        }
        let (file, count) = write_export(conn, &filter, format, quarter.as_deref())?;
        write_transaction(conn, |conn| {
            let changes = serde_json::json!({"format": {"before": null, "after": format}, "issues": {"before": null, "after": count}, "unit_id": {"before": null, "after": filter.unit_id}, "quarter": {"before": null, "after": quarter}});
            audit::record(conn, &actx, AuditEntry { action: "issue.export", target_type: Some("issue"), target_id: None, changes: Some(changes), outcome: "success" })
        })?;
        Ok((file, count))
    })
    .await?;
    let len = file
        .metadata()
        .map_err(|e| AppError::internal(e.to_string()))?
        .len();
    let (mime, ext) = match format {
        ExportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"issues.{ext}\"; filename*=UTF-8''%E9%97%AE%E9%A2%98%E6%B8%85%E5%8D%95.{ext}"),
        ))
        .insert_header(("X-Issue-Count", count.to_string()))
        .no_chunking(len)
        .streaming(stream_file(file)))
}

/// Writes small tables as one file: CSV (UTF-8 with BOM, formula-like cells neutralised, the
/// sheets one after another with an empty line between) or XLSX (one sheet each, numbers as
/// numbers outside the first row and column, the first row and column frozen). Rows may have
/// different lengths. Returns the bytes, the media type and the file extension.
pub fn table_file(
    sheets: &[(&str, Vec<Vec<String>>)],
    format: ExportFormat,
) -> Result<(Vec<u8>, &'static str, &'static str), AppError> {
    match format {
        ExportFormat::Csv => {
            let mut out = csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(b"\xEF\xBB\xBF".to_vec());
            let internal = |e: csv::Error| AppError::internal(e.to_string());
            for (i, (_, rows)) in sheets.iter().enumerate() {
                if i > 0 {
                    out.write_record([""]).map_err(internal)?;
                }
                for row in rows {
                    out.write_record(row.iter().map(|c| rules::csv_safe(c).into_owned()))
                        .map_err(internal)?;
                }
            }
            let bytes = out
                .into_inner()
                .map_err(|e| AppError::internal(e.to_string()))?;
            Ok((bytes, "text/csv; charset=utf-8", "csv"))
        }
        ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            for (name, rows) in sheets {
                let sheet = book.add_worksheet();
                sheet.set_name(*name).map_err(xlsx)?;
                for (i, row) in rows.iter().enumerate() {
                    for (j, cell) in row.iter().enumerate() {
                        match cell.parse::<f64>() {
                            Ok(n) if i > 0 && j > 0 => {
                                sheet.write_number(i as u32, j as u16, n).map_err(xlsx)?
                            }
                            _ => sheet.write_string(i as u32, j as u16, cell).map_err(xlsx)?,
                        };
                    }
                }
                sheet.set_column_width(0, 24).map_err(xlsx)?;
                sheet.set_freeze_panes(1, 1).map_err(xlsx)?;
                sheet.set_landscape();
                sheet.set_paper_size(9);
            }
            let bytes = book.save_to_buffer().map_err(xlsx)?;
            Ok((
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ))
        }
    }
}
