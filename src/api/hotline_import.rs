//! Importing 12345 work orders: the body is spooled to a temporary file, then read row by row
//! (CSV in UTF-8, with or without BOM, or GB18030; or a JSON array) and written in batches inside
//! one transaction per file, so that a file of 100,000 rows never holds 100,000 rows in memory.
//! A re-import updates by source and external id and never duplicates. The citizen's name and
//! phone, if a source sends them, are not read at all.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::import::Row;
use crate::db::AnyConnection;
use crate::domain::calendar::{local_date, SHANGHAI};
use crate::domain::hotline::{mask_mobiles, satisfaction_loose, OrderStatus};
use crate::error::{AppError, FieldIssue};
use crate::i18n::Lang;
use crate::store::hotline::{self as store, WorkOrderRow};

/// Rows written per batch.
pub const BATCH: usize = 1000;
/// Rejected rows listed in a report (all are counted).
pub const MAX_LISTED: usize = 1000;

/// A column's canonical name, from the English or Chinese titles sources use; `None` for any
/// other column (the citizen's name and phone among them), which is dropped.
pub fn canonical(title: &str) -> Option<&'static str> {
    Some(
        match title
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .to_lowercase()
            .as_str()
        {
            "external_id" | "工单编号" | "工单号" => "external_id",
            "received_at" | "受理时间" | "来电时间" | "登记时间" => "received_at",
            "unit" | "承办单位" | "责任单位" | "办理单位" => "unit",
            "category" | "诉求类别" | "问题分类" => "category",
            "channel" | "渠道" | "来源渠道" | "受理渠道" => "channel",
            "summary" | "诉求内容" | "内容摘要" | "摘要" => "summary",
            "status" | "办理状态" => "status",
            "closed_at" | "办结时间" => "closed_at",
            "due_on" | "办理时限" | "办结时限" => "due_on",
            "on_time" | "是否按时办结" | "按时办结" => "on_time",
            "satisfaction" | "满意度" | "满意度评价" => "satisfaction",
            _ => return None,
        },
    )
}

/// Reads bytes of another encoding as UTF-8, chunk by chunk.
struct Decoding<R: Read> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    filled: usize,
    output: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    had_errors: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            filled: 0,
            output: vec![0; 3 * 64 * 1024 + 16],
            start: 0,
            end: 0,
            eof: false,
            done: false,
            had_errors: false,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.start < self.end {
                let n = buf.len().min(self.end - self.start);
                buf[..n].copy_from_slice(&self.output[self.start..self.start + n]);
                self.start += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if !self.eof && self.filled < self.input.len() {
                let n = self.inner.read(&mut self.input[self.filled..])?;
                if n == 0 {
                    self.eof = true;
                }
                self.filled += n;
            }
            let (result, read, written, errors) =
                self.decoder
                    .decode_to_utf8(&self.input[..self.filled], &mut self.output, self.eof);
            self.had_errors |= errors;
            self.input.copy_within(read..self.filled, 0);
            self.filled -= read;
            self.start = 0;
            self.end = written;
            if self.eof && result == encoding_rs::CoderResult::InputEmpty && self.filled == 0 {
                self.done = true;
            }
        }
    }
}

/// Whether the whole file is UTF-8 (read in chunks).
fn is_utf8(file: &mut std::fs::File) -> std::io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = 0usize;
    loop {
        let n = file.read(&mut buf[carry..])?;
        let len = carry + n;
        if n == 0 {
            return Ok(carry == 0);
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                carry = len - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

fn text_of(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        other => Some(other.to_string()),
    }
}

/// The marker a row carries when its external id was a number JSON cannot hold exactly.
const INEXACT_ID: &str = "\u{0}inexact";

/// Calls `each` with every row of the spooled `file` (CSV or a JSON array), in order. Only
/// the known columns are kept.
pub fn for_each_row(
    file: &mut std::fs::File,
    csv: bool,
    charset: Option<&str>,
    max_depth: usize,
    each: &mut dyn FnMut(Row) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let io = |e: std::io::Error| AppError::internal(format!("spooled import: {e}"));
    let gb = matches!(charset, Some("gb18030" | "gbk" | "gb2312"));
    let utf8 = !gb && is_utf8(file).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    if !csv {
        if !utf8 {
            return Err(AppError::MalformedBody("JSON must be UTF-8".into()));
        }
        return json_rows(BufReader::new(&mut *file), max_depth, each);
    }
    let mut head = [0u8; 3];
    let n = file.read(&mut head).map_err(io)?;
    let skip = if utf8 && n == 3 && head == [0xEF, 0xBB, 0xBF] {
        3
    } else {
        0
    };
    file.seek(SeekFrom::Start(skip)).map_err(io)?;
    if utf8 {
        csv_rows(BufReader::new(&mut *file), each)
    } else {
        let mut reader = Decoding::new(BufReader::new(&mut *file), encoding_rs::GB18030);
        let n = csv_rows(&mut reader, each)?;
        if reader.had_errors {
            return Err(AppError::MalformedBody(
                "the file is neither UTF-8 nor GB18030".into(),
            ));
        }
        Ok(n)
    }
}

fn csv_rows(
    reader: impl Read,
    each: &mut dyn FnMut(Row) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let bad = |e: csv::Error| AppError::MalformedBody(format!("CSV: {e}"));
    let titles: Vec<Option<&'static str>> =
        r.headers().map_err(bad)?.iter().map(canonical).collect();
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = titles.iter().flatten().find(|t| !seen.insert(**t)) {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "columns",
            "duplicate_column",
            format!("有两列都表示 {twice}，请只保留一列"),
            format!("two columns mean {twice}: keep one"),
        )]));
    }
    if !titles.contains(&Some("external_id")) {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "columns",
            "missing_column",
            "缺少工单编号列（external_id / 工单编号）",
            "the external id column (external_id / 工单编号) is missing",
        )]));
    }
    let mut n = 0;
    let mut record = csv::StringRecord::new();
    while r.read_record(&mut record).map_err(bad)? {
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        n += 1;
        let line = record.position().map_or(n + 1, |p| p.line() as usize);
        if record.len() != titles.len() {
            // Shifted cells would put one column's text (a name, a phone) in another's place.
            let mut fields = HashMap::new();
            fields.insert("\u{0}width".to_owned(), record.len().to_string());
            each(Row { line, fields })?;
            continue;
        }
        let fields = titles
            .iter()
            .zip(record.iter())
            .filter_map(|(t, v)| t.map(|t| (t.to_owned(), v.trim().to_owned())))
            .collect();
        each(Row { line, fields })?;
    }
    Ok(n)
}

struct Each<'a> {
    each: &'a mut dyn FnMut(Row) -> Result<(), AppError>,
    stopped: &'a mut Option<AppError>,
}

impl<'de> serde::de::Visitor<'de> for Each<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of work orders")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while let Some(obj) = seq.next_element::<serde_json::Map<String, serde_json::Value>>()? {
            n += 1;
            let fields = obj
                .into_iter()
                .filter_map(|(k, v)| {
                    let c = canonical(&k)?;
                    // A number id must be whole and exact: 12345678901234567890123 would read
                    // as a rounded float and merge distinct orders.
                    if c == "external_id"
                        && v.as_number().is_some_and(|n| !(n.is_u64() || n.is_i64()))
                    {
                        return Some((INEXACT_ID.to_owned(), String::new()));
                    }
                    text_of(v).map(|t| (c.to_owned(), t))
                })
                .collect();
            if let Err(e) = (self.each)(Row { line: n, fields }) {
                *self.stopped = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(n)
    }
}

/// A reader that stops once the JSON it passes nests deeper than its scan allows.
struct Depthed<R> {
    inner: R,
    scan: crate::api::extract::DepthScan,
}

impl<R: Read> Read for Depthed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.scan.feed(buf.get(..n).unwrap_or_default()) {
            return Err(std::io::Error::other("nested too deep"));
        }
        Ok(n)
    }
}

fn json_rows(
    reader: impl Read,
    max_depth: usize,
    each: &mut dyn FnMut(Row) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let mut depthed = Depthed {
        inner: reader,
        scan: crate::api::extract::DepthScan::new(max_depth),
    };
    let result = json_rows_of(&mut depthed, each);
    if depthed.scan.feed(&[]) {
        return Err(crate::api::extract::too_deep_problem(max_depth));
    }
    result
}

fn json_rows_of(
    reader: impl Read,
    each: &mut dyn FnMut(Row) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = serde::Deserializer::deserialize_seq(
        &mut de,
        Each {
            each,
            stopped: &mut stopped,
        },
    );
    if let Some(e) = stopped {
        return Err(e);
    }
    let n = result.map_err(|e| AppError::MalformedBody(format!("JSON: {e}")))?;
    de.end()
        .map_err(|e| AppError::MalformedBody(format!("JSON: {e}")))?;
    Ok(n)
}

/// A timestamp as sources write it: RFC 3339, or a local (Asia/Shanghai) `YYYY-MM-DD HH:MM[:SS]`
/// (also with `/`), or a local date.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, SubsecRound};
    parse_any_time(s)
        .filter(|t| (2000..=2099).contains(&t.year()))
        .map(|t| t.trunc_subsecs(0))
}

fn parse_any_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let s = s.replace('/', "-");
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&s, f) {
            return SHANGHAI
                .from_local_datetime(&t)
                .single()
                .map(|t| t.with_timezone(&Utc));
        }
    }
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| SHANGHAI.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
}

/// One rejected row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejectedRow {
    /// Its line (CSV) or position (JSON).
    pub line: usize,
    /// Its external id, if it had one.
    pub external_id: Option<String>,
    /// Why, field by field.
    pub errors: Vec<crate::error::FieldError>,
}

/// A unit name that matched no unit nor alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnmatchedUnit {
    /// The name as the file writes it.
    pub name: String,
    /// Rows naming it (all rejected).
    pub rows: u32,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"source": "12345", "rows": 3, "created": 1, "updated": 1, "unchanged": 0, "rejected": 1,
    "unmatched_units": [{"name": "碑林区某局", "rows": 1}],
    "rejected_rows": [{"line": 4, "external_id": "GD2026110003", "errors": [{"field": "unit", "code": "unmatched_unit", "message": "没有名称或别名为“碑林区某局”的单位"}]}],
    "spikes": []}))]
pub struct WorkOrderImport {
    /// The source.
    pub source: String,
    /// Data rows read.
    pub rows: u32,
    /// New orders.
    pub created: u32,
    /// Orders changed.
    pub updated: u32,
    /// Orders as stored.
    pub unchanged: u32,
    /// Rows refused (nothing of them stored).
    pub rejected: u32,
    /// Unit names matched by no unit nor alias: add an alias and import again.
    pub unmatched_units: Vec<UnmatchedUnit>,
    /// The refused rows (the first 1,000).
    pub rejected_rows: Vec<RejectedRow>,
    /// Spikes found after the import, each with the trigger it recorded.
    pub spikes: Vec<crate::api::hotline::SpikeView>,
    /// The spike scan after the import failed (the import stands; scan again with
    /// `POST /api/v1/hotline/spike-scan`).
    #[serde(default)]
    pub spike_scan_failed: bool,
}

/// Reads and writes the spooled file inside the caller's transaction.
pub struct Importer<'a> {
    source: String,
    lang: Lang,
    due_days: u32,
    units: HashMap<String, String>,
    batch: Vec<WorkOrderRow>,
    report: WorkOrderImport,
    unmatched: BTreeMap<String, u32>,
    now: NaiveDateTime,
    conn: &'a mut AnyConnection,
}

impl<'a> Importer<'a> {
    /// An importer of `source` orders; units matched by name, short code or alias.
    pub fn new(
        conn: &'a mut AnyConnection,
        source: &str,
        lang: Lang,
        due_days: u32,
    ) -> Result<Self, AppError> {
        let mut units: HashMap<String, String> = HashMap::new();
        for u in crate::store::units::list(conn, &Default::default(), None, 100_000)?.items {
            units.insert(u.name.clone(), u.id.to_string());
            units.insert(u.short_code.clone(), u.id.to_string());
        }
        units.extend(store::alias_map(conn)?);
        Ok(Importer {
            source: source.to_owned(),
            lang,
            due_days,
            units,
            batch: Vec::new(),
            report: WorkOrderImport {
                source: source.to_owned(),
                rows: 0,
                created: 0,
                updated: 0,
                unchanged: 0,
                rejected: 0,
                unmatched_units: Vec::new(),
                rejected_rows: Vec::new(),
                spikes: Vec::new(),
                spike_scan_failed: false,
            },
            unmatched: BTreeMap::new(),
            now: crate::store::now(),
            conn,
        })
    }

    fn reject(&mut self, row: &Row, issues: Vec<FieldIssue>) {
        self.report.rejected += 1;
        if self.report.rejected_rows.len() < MAX_LISTED {
            self.report.rejected_rows.push(RejectedRow {
                line: row.line,
                external_id: row.get("external_id").map(str::to_owned),
                errors: issues
                    .into_iter()
                    .map(|i| crate::error::FieldError {
                        field: i.field,
                        code: i.code.to_owned(),
                        message: self.lang.pick(&i.zh, &i.en).to_owned(),
                    })
                    .collect(),
            });
        }
    }

    /// Checks a row; a good one joins the batch, which is written when full.
    pub fn row(&mut self, row: Row) -> Result<(), AppError> {
        self.report.rows += 1;
        let mut issues = Vec::new();
        if row.fields.contains_key(INEXACT_ID) {
            issues.push(FieldIssue::new(
                "external_id",
                "inexact_number",
                "工单编号须为文本或 64 位以内的整数",
                "the external id must be text or a whole number that fits 64 bits",
            ));
            self.reject(&row, issues);
            return Ok(());
        }
        if let Some(width) = row.fields.get("\u{0}width") {
            issues.push(FieldIssue::new(
                "columns",
                "row_width",
                format!("该行有 {width} 列，与表头列数不同（多余或缺少的逗号）"),
                format!("the row has {width} cells, not as many as the header (a stray or missing comma)"),
            ));
            self.reject(&row, issues);
            return Ok(());
        }
        let text = |name: &str, max: usize, required: bool, issues: &mut Vec<FieldIssue>| {
            let v = row.get(name).map(str::to_owned);
            match &v {
                None if required => {
                    issues.push(FieldIssue::new(name, "required", "必填", "required"))
                }
                Some(t) if t.chars().count() > max => issues.push(FieldIssue::new(
                    name,
                    "too_long",
                    format!("不超过 {max} 个字符"),
                    format!("at most {max} characters"),
                )),
                _ => {}
            }
            v
        };
        let external_id = text("external_id", 100, true, &mut issues);
        let category = text("category", 100, true, &mut issues);
        let channel = text("channel", 100, false, &mut issues);
        let summary = text("summary", 2000, false, &mut issues);
        let unit_name = text("unit", 200, true, &mut issues);
        let time = |name: &str, required: bool, issues: &mut Vec<FieldIssue>| match row.get(name) {
            None => {
                if required {
                    issues.push(FieldIssue::new(name, "required", "必填", "required"));
                }
                None
            }
            Some(t) => {
                let parsed = parse_time(t);
                if parsed.is_none() {
                    issues.push(FieldIssue::new(
                        name,
                        "invalid_time",
                        "须为 2000–2099 年的 RFC 3339 时间或北京时间 2026-11-20 09:30:00",
                        "an RFC 3339 time or a Beijing time like 2026-11-20 09:30:00, years 2000–2099",
                    ));
                }
                parsed
            }
        };
        let received = time("received_at", true, &mut issues);
        let closed = time("closed_at", false, &mut issues);
        let status = match row.get("status") {
            None => {
                issues.push(FieldIssue::new("status", "required", "必填", "required"));
                None
            }
            Some(s) => {
                let st = OrderStatus::parse_loose(s);
                if st.is_none() {
                    issues.push(FieldIssue::new(
                        "status",
                        "invalid_enum",
                        "须为 open/closed 或 办理中/已办结",
                        "open/closed, or 办理中/已办结",
                    ));
                }
                st
            }
        };
        let satisfaction = match row.get("satisfaction") {
            None => None,
            Some(s) => {
                let v = satisfaction_loose(s);
                if v.is_none() {
                    issues.push(FieldIssue::new(
                        "satisfaction",
                        "invalid_enum",
                        "须为 非常满意/满意/基本满意/不满意/非常不满意",
                        "one of the five satisfaction levels",
                    ));
                }
                v
            }
        };
        let due_on = match row.get("due_on") {
            None => None,
            Some(t) => {
                let d = parse_time(t).map(local_date);
                if d.is_none() {
                    issues.push(FieldIssue::new(
                        "due_on",
                        "invalid_date",
                        "须为日期",
                        "a date",
                    ));
                }
                d
            }
        };
        let mut flag_issues = Vec::new();
        let on_time = row
            .get("on_time")
            .map(|_| crate::api::import::flag(&row, "on_time", false, &mut flag_issues));
        issues.extend(flag_issues.into_iter().map(|mut i| {
            i.field = "on_time".into();
            i
        }));
        if received.is_some_and(|r| r > Utc::now() + chrono::Duration::days(1)) {
            issues.push(FieldIssue::new(
                "received_at",
                "future",
                "受理时间不能晚于现在",
                "received in the future",
            ));
        }
        if let (Some(r), Some(c)) = (received, closed) {
            if c < r {
                issues.push(FieldIssue::new(
                    "closed_at",
                    "before_received",
                    "办结时间早于受理时间",
                    "closed before it was received",
                ));
            }
        }
        let unit_id = unit_name
            .as_ref()
            .and_then(|n| self.units.get(n.trim()).cloned());
        if let (Some(name), None) = (&unit_name, &unit_id) {
            *self.unmatched.entry(name.clone()).or_default() += 1;
            issues.push(FieldIssue::new(
                "unit",
                "unmatched_unit",
                format!("没有名称或别名为“{name}”的单位"),
                format!("no unit is named or aliased {name:?}"),
            ));
        }
        let (Some(external_id), Some(category), Some(received), Some(status), Some(unit_id), true) = (
            external_id,
            category,
            received,
            status,
            unit_id,
            issues.is_empty(),
        ) else {
            self.reject(&row, issues);
            return Ok(());
        };
        let received_on = local_date(received);
        let due_on = crate::domain::hotline::due_on(received_on, due_on, self.due_days);
        let on_time =
            crate::domain::hotline::on_time(status, on_time, closed.map(local_date), due_on);
        if self.batch.iter().any(|o| o.external_id == external_id) {
            self.flush()?;
        }
        self.batch.push(WorkOrderRow {
            id: uuid::Uuid::now_v7().to_string(),
            source: self.source.clone(),
            external_id,
            received_at: received.naive_utc(),
            received_on,
            unit_id,
            category,
            channel,
            summary: summary.map(|s| mask_mobiles(&s)),
            status: status.as_str().to_owned(),
            closed_at: closed.map(|c| c.naive_utc()),
            due_on,
            on_time,
            satisfaction: satisfaction.map(|s| s.as_str().to_owned()),
            imported_at: self.now,
            updated_at: self.now,
        });
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the batch: new orders inserted, changed ones updated, the same left alone.
    pub fn flush(&mut self) -> Result<(), AppError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let ids: Vec<String> = batch.iter().map(|o| o.external_id.clone()).collect();
        let stored = store::existing(self.conn, &self.source, &ids)?;
        let mut new = Vec::new();
        for mut o in batch {
            match stored.get(&o.external_id) {
                None => new.push(o),
                Some(s) if s.same_as(&o) => self.report.unchanged += 1,
                Some(s) => {
                    o.id = s.id.clone();
                    o.imported_at = s.imported_at;
                    store::update_order(self.conn, &o)?;
                    self.report.updated += 1;
                }
            }
        }
        self.report.created += new.len() as u32;
        store::insert_orders(self.conn, &new)?;
        Ok(())
    }

    /// Writes what is left and returns the report.
    pub fn finish(mut self) -> Result<WorkOrderImport, AppError> {
        self.flush()?;
        self.report.unmatched_units = self
            .unmatched
            .into_iter()
            .map(|(name, rows)| UnmatchedUnit { name, rows })
            .collect();
        Ok(self.report)
    }
}

/// Spools a request body into a temporary file, at most `limit` bytes, without blocking the
/// worker on disk writes.
pub async fn spool(
    mut payload: actix_web::web::Payload,
    limit: usize,
) -> Result<std::fs::File, AppError> {
    use futures_util::StreamExt;
    let io = |e: std::io::Error| AppError::internal(format!("spool: {e}"));
    let mut file = Some(tempfile::tempfile().map_err(io)?);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut total = 0usize;
    loop {
        let chunk = payload.next().await;
        let last = chunk.is_none();
        if let Some(chunk) = chunk {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            total += chunk.len();
            if total > limit {
                return Err(AppError::PayloadTooLarge { limit });
            }
            buf.extend_from_slice(&chunk);
        }
        if buf.len() >= (1 << 20) || (last && !buf.is_empty()) {
            let mut f = file
                .take()
                .ok_or_else(|| AppError::internal("spool file"))?;
            let data = std::mem::take(&mut buf);
            f = actix_web::web::block(move || f.write_all(&data).map(|_| f))
                .await
                .map_err(|e| AppError::internal(e.to_string()))?
                .map_err(io)?;
            file = Some(f);
        }
        if last {
            break;
        }
    }
    file.ok_or_else(|| AppError::internal("spool file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(bytes: &[u8], csv: bool, charset: Option<&str>) -> Result<Vec<Row>, AppError> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        let mut out = Vec::new();
        for_each_row(&mut f, csv, charset, 32, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn json_nested_past_the_limit_is_refused_as_any_json_body_is() {
        let deep = format!(
            r#"[{{"external_id": "A", "x": {}1{}}}]"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        match rows_of(deep.as_bytes(), false, None) {
            Err(AppError::Validation(v)) => {
                assert_eq!((v[0].field.as_str(), v[0].code), ("body", "max_depth"))
            }
            other => panic!("expected max_depth, got {other:?}"),
        }
        let fits = format!(r#"[{{"external_id": "A", "x": "{}"}}]"#, "[".repeat(40));
        assert!(rows_of(fits.as_bytes(), false, None).is_ok());
    }

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030_read_alike_and_unknown_columns_are_dropped() {
        let text = "工单编号,受理时间,承办单位,诉求类别,办理状态,联系电话,姓名\nGD1,2026-11-20 09:30:00,区城管执法局,噪音,办理中,13912345678,张三\n";
        let plain = rows_of(text.as_bytes(), true, None).unwrap();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(rows_of(&bom, true, None).unwrap(), plain);
        assert_eq!(rows_of(&gb, true, None).unwrap(), plain);
        assert_eq!(plain[0].line, 2);
        assert_eq!(plain[0].get("unit"), Some("区城管执法局"));
        assert!(!plain[0]
            .fields
            .values()
            .any(|v| v.contains("1391234") || v == "张三"));
        assert_eq!(plain[0].fields.len(), 5);
    }

    #[test]
    fn a_long_gb18030_file_decodes_across_chunks() {
        let mut text = String::from("external_id,summary\n");
        for i in 0..20_000 {
            text.push_str(&format!("GD{i},碑林区第{i}号诉求内容较长的文字\n"));
        }
        let (gb, _, _) = encoding_rs::GB18030.encode(&text);
        let rows = rows_of(&gb, true, None).unwrap();
        assert_eq!(rows.len(), 20_000);
        assert_eq!(
            rows[19_999].get("summary"),
            Some("碑林区第19999号诉求内容较长的文字")
        );
    }

    #[test]
    fn json_arrays_stream_and_malformed_input_is_refused() {
        let rows = rows_of(br#"[{"external_id": "A", "on_time": true, "phone": "13912345678"}, {"external_id": 7}]"#, false, None).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("on_time"), Some("true"));
        assert_eq!(rows[0].fields.len(), 2);
        assert_eq!(rows[1].get("external_id"), Some("7"));
        let rows = rows_of(
            br#"[{"external_id": 123456789012345678901234}, {"external_id": 1.5}]"#,
            false,
            None,
        )
        .unwrap();
        assert!(rows.iter().all(|r| r.fields.contains_key(INEXACT_ID)));
        assert!(rows_of(b"{\"a\": 1}", false, None).is_err());
        assert!(rows_of(b"[1, 2]", false, None).is_err());
        assert!(rows_of(b"[] x", false, None).is_err());
    }

    #[test]
    fn times_read_rfc3339_and_beijing_time() {
        let t = parse_time("2026-11-20 09:30:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T01:30:00+00:00");
        assert_eq!(parse_time("2026/11/20 09:30").unwrap(), t);
        assert_eq!(parse_time("2026-11-20T01:30:00Z").unwrap(), t);
        assert_eq!(
            parse_time("2026-11-20").unwrap().to_rfc3339(),
            "2026-11-19T16:00:00+00:00"
        );
        assert!(parse_time("20 Nov").is_none());
    }
}
