//! Bulk imports: a CSV (UTF-8 with or without BOM, or GB18030 as Excel in China writes it) or a
//! JSON array of objects, read into rows of named text fields with their line numbers. Each
//! resource checks its rows; an import is all-or-nothing, with `dry_run` to check only.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, FieldIssue};

/// One row: its line (CSV: the file's line; JSON: the element's position, from 1) and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Where it was: the CSV line (the header is line 1, as the spreadsheet's row number;
    /// entirely blank lines are not counted), or the JSON element's position from 1.
    pub line: usize,
    /// Column name (lower case, trimmed) → trimmed text; empty cells are absent.
    pub fields: HashMap<String, String>,
}

impl Row {
    /// A field's text, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The field path of a column of this row in error reports: `rows[12].kind`.
    pub fn at(&self, column: &str) -> String {
        format!("rows[{}].{column}", self.line)
    }
}

/// `?dry_run=true` checks and reports without writing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: check every row and report, write nothing.
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

impl ImportParams {
    /// Whether this is a dry run.
    pub fn dry_run(&self) -> Result<bool, AppError> {
        let mut params = crate::api::query::Params::default();
        let v = params
            .boolean("dry_run", self.dry_run.as_deref())
            .unwrap_or(false);
        params.finish()?;
        Ok(v)
    }
}

/// What an import did (or, in a dry run, would do) with each row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportedRow {
    /// The row's line.
    pub line: usize,
    /// `created`, `updated` or `unchanged`.
    pub action: String,
    /// The record's id (none in a dry run for a new record).
    pub id: Option<String>,
}

/// The report of an import; a refused import answers 422 naming every bad row instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"dry_run": false, "created": 2, "updated": 1, "unchanged": 0,
    "rows": [{"line": 2, "action": "created", "id": "0190b7e2-8c1a-7cc3-9a51-4f2e3d4c5b6a"}]}))]
// Named apart from the bulk import's report (api::imports::ImportReport): two schemas of one
// name made the spec describe the unit imports' answer with the other's fields.
#[schema(as = UnitImportReport)]
pub struct ImportReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Rows that created a record.
    pub created: usize,
    /// Rows that changed a record.
    pub updated: usize,
    /// Rows that matched a record as it is.
    pub unchanged: usize,
    /// Each row.
    pub rows: Vec<ImportedRow>,
}

impl ImportReport {
    /// A report of `rows`.
    pub fn new(dry_run: bool, rows: Vec<ImportedRow>) -> Self {
        let count = |a: &str| rows.iter().filter(|r| r.action == a).count();
        ImportReport {
            dry_run,
            created: count("created"),
            updated: count("updated"),
            unchanged: count("unchanged"),
            rows,
        }
    }
}

/// An import into one unit's data: the shared steps of the import routes — the caller may
/// manage the unit's data, `dry_run` is read, the unit exists, the rows are read — then
/// `import` runs on a pooled connection with the audit context.
#[allow(clippy::too_many_arguments)]
pub async fn into_unit<F>(
    req: &actix_web::HttpRequest,
    ctx: crate::api::context::RequestCtx,
    user: &crate::auth::AuthUser,
    pool: &crate::db::DbPool,
    unit_id: &str,
    params: &ImportParams,
    payload: web::Payload,
    import: F,
) -> Result<ImportReport, AppError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &str,
            &[Row],
            bool,
            &crate::store::audit::AuditCtx,
        ) -> Result<ImportReport, AppError>
        + Send
        + 'static,
{
    let unit = crate::domain::unit::UnitId(crate::api::units::parse_id(unit_id)?);
    crate::auth::policy::manage_unit_data(user, &unit.to_string())?;
    let dry_run = params.dry_run()?;
    crate::api::units::must_exist(pool, unit).await?;
    let rows = read_rows(req, payload).await?;
    let actx = ctx.audit(Some(user));
    crate::db::run(pool, move |conn| {
        import(conn, &unit.to_string(), &rows, dry_run, &actx)
    })
    .await
}

/// Reads the body (up to `FRONTLINE_IMPORT_BODY_LIMIT`, and `FRONTLINE_IMPORT_MAX_ROWS` rows)
/// and parses it by its content type.
pub async fn read_rows(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<Row>, AppError> {
    let mime = req
        .mime_type()
        .ok()
        .flatten()
        .ok_or(AppError::UnsupportedMediaType)?;
    let charset = mime
        .get_param(mime::CHARSET)
        .map(|c| c.as_str().to_ascii_lowercase());
    let is_csv = mime.type_() == mime::TEXT && mime.subtype() == mime::CSV;
    let is_json = mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON);
    if !is_csv && !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let max_bytes = crate::api::extract::import_body_limit(req);
    let max_rows = crate::api::extract::limits(req).import_rows;
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > max_bytes)
    {
        return Err(AppError::PayloadTooLarge { limit: max_bytes });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > max_bytes {
            return Err(AppError::PayloadTooLarge { limit: max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    let rows = if is_csv {
        parse_csv(&decode(&body, charset.as_deref())?)?
    } else {
        parse_json(&body, crate::api::extract::json_depth(req))?
    };
    if rows.is_empty() {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "rows",
            "empty",
            "没有数据行",
            "no data rows",
        )]));
    }
    if rows.len() > max_rows {
        return Err(AppError::Validation(vec![FieldIssue::new(
            "rows",
            "too_many",
            format!("一次最多导入 {max_rows} 行"),
            format!("at most {max_rows} rows at a time"),
        )]));
    }
    Ok(rows)
}

/// Decodes CSV bytes: a UTF-8 BOM or valid UTF-8 is UTF-8; `charset=gb18030`/`gbk`/`gb2312`, or
/// bytes that are not UTF-8, are read as GB18030 (what Excel in China writes).
pub fn decode(bytes: &[u8], charset: Option<&str>) -> Result<String, AppError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(rest.to_vec()).map_err(|_| bad_encoding());
    }
    let gb = matches!(charset, Some("gb18030" | "gbk" | "gb2312"));
    if !gb {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return Ok(s.to_owned());
        }
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(bad_encoding());
    }
    Ok(text.into_owned())
}

fn bad_encoding() -> AppError {
    AppError::MalformedBody("the file is neither UTF-8 nor GB18030".into())
}

fn parse_csv(text: &str) -> Result<Vec<Row>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::MalformedBody(format!("CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::MalformedBody(format!("CSV: {e}")))?;
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let fields = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .collect();
        rows.push(Row { line, fields });
    }
    Ok(rows)
}

fn parse_json(bytes: &[u8], max_depth: usize) -> Result<Vec<Row>, AppError> {
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        crate::api::extract::parse_json(bytes, max_depth)?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, obj)| Row {
            line: i + 1,
            fields: obj
                .into_iter()
                .filter_map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::Null => return None,
                        serde_json::Value::String(s) => s.trim().to_owned(),
                        other => other.to_string(),
                    };
                    Some((k.trim().to_lowercase(), text))
                })
                .collect(),
        })
        .collect())
}

/// Reads a yes/no cell: true/false, 1/0, yes/no, 是/否.
pub fn flag(row: &Row, column: &str, default: bool, issues: &mut Vec<FieldIssue>) -> bool {
    match row.get(column).map(str::to_lowercase).as_deref() {
        None => default,
        Some("true" | "1" | "yes" | "是" | "y") => true,
        Some("false" | "0" | "no" | "否" | "n") => false,
        Some(_) => {
            issues.push(FieldIssue::new(
                row.at(column),
                "invalid_boolean",
                "须为 是/否、true/false 或 1/0",
                "yes/no, true/false or 1/0",
            ));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_or_without_bom_and_gb18030_read_alike() {
        let text = "name,kind\n律师事务所设立许可,approval\n";
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(text.as_bytes(), None).unwrap(), text);
        assert_eq!(decode(&bom, None).unwrap(), text);
        assert_eq!(decode(&gb, None).unwrap(), text, "detected");
        assert_eq!(decode(&gb, Some("gb18030")).unwrap(), text, "declared");
        assert_ne!(gb.as_ref(), text.as_bytes());
    }

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let rows = parse_csv("Name , Kind\n a ,approval\n\"b, c\",enforcement\n,\n").unwrap();
        assert_eq!(rows.len(), 2, "a row of empty cells is skipped");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].get("name"), Some("a"));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].get("name"), Some("b, c"));
        assert!(
            parse_csv("a,b\n1,2,3\n").is_err(),
            "a ragged row is malformed"
        );
    }

    #[test]
    fn json_rows_take_any_scalar() {
        let rows = parse_json(br#"[{"Name": "a", "online": true, "code": null}]"#, 32).unwrap();
        assert_eq!(rows[0].get("name"), Some("a"));
        assert_eq!(rows[0].get("online"), Some("true"));
        assert_eq!(rows[0].get("code"), None);
    }

    #[test]
    fn flags_read_chinese_and_english() {
        let row = Row {
            line: 3,
            fields: [
                ("online".to_string(), "是".to_string()),
                ("active".into(), "maybe".into()),
            ]
            .into(),
        };
        let mut issues = Vec::new();
        assert!(flag(&row, "online", false, &mut issues));
        assert!(flag(&row, "active", true, &mut issues));
        assert!(!flag(&row, "missing", false, &mut issues));
        assert_eq!(issues[0].field, "rows[3].active");
    }
}
