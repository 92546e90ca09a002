//! The public face of the schedules (向社会公布): no sign-in, cacheable. Only published
//! revisions, and of them only names, dates, activity, matters and places: no accounts, no
//! internal notes, no phone numbers. Also an iCalendar feed (RFC 5545).

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::api::problems::{CommonErrors, NotFoundError, ParameterErrors};
use crate::api::query::Params;
use crate::api::units::{none_match, parse_id};
use crate::db::{AnyConnection, DbPool};
use crate::domain::ical;
use crate::domain::schedule::{Mode, Participant};
use crate::domain::unit::Activity;
use crate::error::AppError;
use crate::store::schedules::{self as store, EntryRow, ScheduleRow};

/// Who takes part, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicParticipant {
    /// `head` or `deputy`.
    pub kind: String,
    /// The name, when recorded.
    pub name: Option<String>,
}

/// An entry as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicEntry {
    /// Stable across revisions.
    pub uid: String,
    /// The unit's name.
    pub unit: String,
    /// The planned local date.
    pub planned_on: NaiveDate,
    /// Who takes part.
    pub participant: PublicParticipant,
    /// How the experience is arranged.
    pub mode: Mode,
    /// The matters' names.
    pub matters: Vec<String>,
    /// Where.
    pub place: Option<String>,
}

/// A published revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicSchedule {
    /// The revision's id.
    pub id: String,
    /// The activity.
    pub activity: Activity,
    /// The quarter.
    pub quarter: String,
    /// The revision.
    pub revision: i32,
    /// Title.
    pub title: String,
    /// When published (UTC).
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The entries, by date.
    pub entries: Vec<PublicEntry>,
}

fn unreadable() -> AppError {
    AppError::internal("unreadable published schedule")
}

/// The published revisions `rows` with their public entries.
fn publish_view(
    conn: &mut AnyConnection,
    rows: Vec<ScheduleRow>,
) -> Result<Vec<PublicSchedule>, AppError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let entries = store::entries(conn, &ids)?;
    let units: HashMap<String, (String, Option<String>)> =
        crate::store::units::list(conn, &Default::default(), None, 100_000)?
            .items
            .into_iter()
            .map(|u| (u.id.to_string(), (u.name, u.head.map(|h| h.name))))
            .collect();
    let mut named: Vec<String> = Vec::new();
    for e in &entries {
        named.extend(serde_json::from_str::<Vec<String>>(&e.matter_ids).map_err(|_| unreadable())?);
    }
    named.sort();
    named.dedup();
    let matter_names: HashMap<String, String> = crate::store::matters::by_ids(conn, &named)?
        .into_iter()
        .map(|(id, (_, name))| (id, name))
        .collect();
    let mut by_schedule: HashMap<String, Vec<PublicEntry>> = HashMap::new();
    for e in entries {
        let (unit, head) = units.get(&e.unit_id).cloned().unwrap_or_default();
        let participant =
            match serde_json::from_str::<Participant>(&e.participant).map_err(|_| unreadable())? {
                Participant::Head => PublicParticipant {
                    kind: "head".into(),
                    name: head,
                },
                Participant::Deputy { name } => PublicParticipant {
                    kind: "deputy".into(),
                    name: Some(name),
                },
            };
        let matters: Vec<String> = serde_json::from_str::<Vec<String>>(&e.matter_ids)
            .map_err(|_| unreadable())?
            .into_iter()
            .filter_map(|m| matter_names.get(&m).cloned())
            .collect();
        by_schedule
            .entry(e.schedule_id.clone())
            .or_default()
            .push(PublicEntry {
                uid: e.uid,
                unit,
                planned_on: e.planned_on,
                participant,
                mode: e.mode.parse().map_err(|_| unreadable())?,
                matters,
                place: e.place,
            });
    }
    rows.into_iter()
        .map(|r| {
            Ok(PublicSchedule {
                entries: by_schedule.remove(&r.id).unwrap_or_default(),
                activity: r.activity.parse().map_err(|_| unreadable())?,
                id: r.id,
                quarter: r.quarter,
                revision: r.revision,
                title: r.title,
                published_at: r.published_at.map(|t| t.and_utc()),
            })
        })
        .collect()
}

/// The latest published revision of each activity and quarter.
fn latest(rows: Vec<ScheduleRow>) -> Vec<ScheduleRow> {
    let mut last: BTreeMap<(String, String), ScheduleRow> = BTreeMap::new();
    for r in rows {
        last.insert((r.quarter.clone(), r.activity.clone()), r);
    }
    last.into_values().collect()
}

/// Answers with a strong `ETag` of the body, public caching, and 304 when the client's copy
/// is current.
/// The entity tag of a body.
fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn cacheable(req: &HttpRequest, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let tag = etag_of(&body);
    tagged(req, content_type, web::Bytes::from(body), tag, &[])
}

/// A cacheable answer with its strong `ETag`: 304 when the client's `If-None-Match` holds it;
/// `headers` go on both.
fn tagged(
    req: &HttpRequest,
    content_type: &str,
    body: impl actix_web::body::MessageBody + 'static,
    tag: String,
    headers: &[(header::HeaderName, &'static str)],
) -> HttpResponse {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, &tag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    for (name, value) in headers {
        res.insert_header((name.clone(), *value));
    }
    if fresh {
        res.finish()
    } else {
        res.content_type(content_type).body(body)
    }
}

/// Query parameters of the public list and feed.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicParams {
    /// Only this activity.
    #[param(value_type = Option<Activity>)]
    pub activity: Option<String>,
    /// Only this quarter (list) .
    pub quarter: Option<String>,
    /// Only entries of this unit (feed).
    #[param(format = Uuid)]
    pub unit_id: Option<String>,
}

/// The schedules in force: the latest published revision of each activity and quarter.
#[utoipa::path(
    tag = "public",
    operation_id = "list_public_schedules",
    params(PublicParams),
    responses((status = 200, description = "Published schedules; cacheable", body = Vec<PublicSchedule>, headers(("ETag" = String, description = "Of the body"))), (status = 304, description = "The client's copy is current"), ParameterErrors, CommonErrors),
    security(())
)]
#[get("/public/schedules")]
pub async fn list_public_schedules(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    params: web::Query<PublicParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let activity = params.enumeration::<Activity>("activity", p.activity.as_deref());
    let quarter = params
        .quarter("quarter", p.quarter.as_deref())
        .map(|q| q.to_string());
    // The feed's filter: checked here too, so that a mistyped one is never silently ignored.
    params.uuid("unit_id", p.unit_id.as_deref());
    params.finish()?;
    let list = crate::db::run(&pool, move |conn| {
        let rows = latest(store::published(conn, activity.map(Activity::as_str))?)
            .into_iter()
            .filter(|r| quarter.as_ref().is_none_or(|q| r.quarter == *q))
            .collect();
        publish_view(conn, rows)
    })
    .await?;
    Ok(cacheable(
        &req,
        "application/json",
        serde_json::to_vec(&list).unwrap_or_default(),
    ))
}

/// One published revision (older published revisions stay readable).
#[utoipa::path(
    tag = "public",
    operation_id = "get_public_schedule",
    params(("id" = String, Path, format = Uuid, description = "A published revision's id")),
    responses((status = 200, description = "The published revision; cacheable", body = PublicSchedule), (status = 304, description = "The client's copy is current"), ParameterErrors, NotFoundError, CommonErrors),
    security(())
)]
#[get("/public/schedules/{id}")]
pub async fn get_public_schedule(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&id)?.to_string();
    let lookup = id.clone();
    let found = crate::db::run(&pool, move |conn| {
        match store::get(conn, &lookup)?.filter(|r| r.status == "published") {
            Some(r) => Ok(publish_view(conn, vec![r])?.pop()),
            None => Ok(None),
        }
    })
    .await?;
    let s = found.ok_or(AppError::NotFound {
        resource: "schedule",
        id,
    })?;
    Ok(cacheable(
        &req,
        "application/json",
        serde_json::to_vec(&s).unwrap_or_default(),
    ))
}

/// The iCalendar events of the published revisions: the latest revision's entries, and the
/// entries earlier revisions had that the latest removed, as cancelled.
fn events(
    conn: &mut AnyConnection,
    activity: Option<Activity>,
    unit_id: Option<&str>,
) -> Result<Vec<ical::Event>, AppError> {
    let published = store::published(conn, activity.map(Activity::as_str))?;
    let views = publish_view(conn, published.clone())?;
    let entries_by_rev: HashMap<String, Vec<EntryRow>> = {
        let ids: Vec<String> = published.iter().map(|r| r.id.clone()).collect();
        let mut m: HashMap<String, Vec<EntryRow>> = HashMap::new();
        for e in store::entries(conn, &ids)? {
            m.entry(e.schedule_id.clone()).or_default().push(e);
        }
        m
    };
    let mut groups: BTreeMap<(String, String), Vec<&PublicSchedule>> = BTreeMap::new();
    for v in &views {
        groups
            .entry((v.quarter.clone(), v.activity.as_str().to_owned()))
            .or_default()
            .push(v);
    }
    let mut out = Vec::new();
    for revisions in groups.values() {
        let Some(last) = revisions.iter().max_by_key(|v| v.revision) else {
            continue;
        };
        let sequence = u32::try_from(last.revision - 1).unwrap_or(0);
        let stamp = last.published_at.unwrap_or_else(chrono::Utc::now);
        let unit_ok = |e: &PublicEntry, rev: &PublicSchedule| {
            unit_id.is_none_or(|u| {
                entries_by_rev
                    .get(&rev.id)
                    .is_some_and(|rows| rows.iter().any(|r| r.uid == e.uid && r.unit_id == u))
            })
        };
        let mut seen = std::collections::HashSet::new();
        let mut push = |e: &PublicEntry, rev: &PublicSchedule, cancelled: bool| {
            let who = match (&e.participant.kind[..], &e.participant.name) {
                ("head", Some(n)) => format!("主要负责同志 {n}"),
                ("head", None) => "主要负责同志".to_owned(),
                (_, Some(n)) => format!("分管负责同志 {n}"),
                _ => "分管负责同志".to_owned(),
            };
            let matters = if e.matters.is_empty() {
                String::new()
            } else {
                format!("\n体验事项：{}", e.matters.join("、"))
            };
            out.push(ical::Event {
                uid: format!("{}@frontline", e.uid),
                sequence,
                stamp,
                date: e.planned_on,
                summary: format!("{} {}", e.unit, rev.activity.zh()),
                location: e.place.clone(),
                description: format!("{}（{}）{who}{matters}", rev.title, rev.quarter),
                cancelled,
            });
        };
        for e in last.entries.iter().filter(|e| unit_ok(e, last)) {
            seen.insert(e.uid.clone());
            push(e, last, false);
        }
        for rev in revisions
            .iter()
            .rev()
            .filter(|r| r.revision < last.revision)
        {
            for e in rev.entries.iter().filter(|e| unit_ok(e, rev)) {
                if seen.insert(e.uid.clone()) {
                    push(e, rev, true);
                }
            }
        }
    }
    Ok(out)
}

/// The feeds rendered last, by their filters, with the state of the plans they were rendered
/// from ([`store::public_version`]): a feed is rendered again only when that state changed. Each
/// instance keeps its own; all of them read the state from the one database.
#[derive(Default)]
pub struct FeedCache {
    feeds: std::sync::Mutex<HashMap<String, (String, Feed)>>,
    /// Held while a feed is rendered: the requests that missed the cache together wait for
    /// one rendering instead of each making its own (64 at once held 64 copies of the city's).
    rendering: std::sync::Mutex<()>,
}

/// One rendered feed: its text and the same text gzip-compressed, each with its strong `ETag`
/// (two encodings are two representations, RFC 9110 §8.8.3). Both are shared, never copied,
/// by the responses that send them.
#[derive(Clone)]
struct Feed {
    body: web::Bytes,
    tag: String,
    gzip: web::Bytes,
    gzip_tag: String,
}

impl Feed {
    fn of(text: String) -> Result<Feed, AppError> {
        use std::io::Write;
        let body = web::Bytes::from(text.into_bytes());
        let tag = etag_of(&body);
        let mut z = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 8),
            flate2::Compression::default(),
        );
        z.write_all(&body)
            .map_err(|e| AppError::internal(e.to_string()))?;
        let gzip = web::Bytes::from(z.finish().map_err(|e| AppError::internal(e.to_string()))?);
        let gzip_tag = format!("{}-gzip\"", tag.trim_end_matches('"'));
        Ok(Feed {
            body,
            tag,
            gzip,
            gzip_tag,
        })
    }
}

/// The most feeds kept (one per filter combination asked for).
const FEEDS_KEPT: usize = 256;

impl FeedCache {
    fn get(&self, key: &str, version: &str) -> Option<Feed> {
        let map = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(v, _)| v == version)
            .map(|(_, feed)| feed.clone())
    }

    fn put(&self, key: String, version: String, feed: Feed) {
        let mut map = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= FEEDS_KEPT && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (version, feed));
    }
}

/// Whether an `Accept-Encoding` value takes gzip (RFC 9110 §12.5.3): `gzip`, `x-gzip` or `*`
/// with a non-zero weight, unless `gzip` itself is refused with `q=0`.
pub fn accepts_gzip(value: &str) -> bool {
    let mut star = false;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .or_else(|| p.trim().strip_prefix("Q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        match name.as_str() {
            "gzip" | "x-gzip" => return !refused,
            "*" => star = !refused,
            _ => {}
        }
    }
    star
}

/// A body sent in slices of a shared buffer: the connection's write buffer holds one slice at
/// a time instead of a copy of the whole feed (64 clients of a city's 1.5 MB feed would
/// otherwise hold 64 copies).
struct Slices {
    bytes: web::Bytes,
    at: usize,
}

/// Bytes handed to the connection per slice.
const SLICE: usize = 64 * 1024;

impl actix_web::body::MessageBody for Slices {
    type Error = std::convert::Infallible;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Sized((self.bytes.len() - self.at) as u64)
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes, Self::Error>>> {
        let len = self.bytes.len();
        if self.at >= len {
            return std::task::Poll::Ready(None);
        }
        let end = (self.at + SLICE).min(len);
        let slice = self.bytes.slice(self.at..end);
        self.at = end;
        std::task::Poll::Ready(Some(Ok(slice)))
    }
}

/// The published schedules as an iCalendar feed (RFC 5545) to subscribe to.
#[utoipa::path(
    tag = "public",
    operation_id = "get_public_schedules_ics",
    params(PublicParams, ("Accept-Encoding" = Option<String>, Header, description = "`gzip` (as calendar clients send) gets the feed gzip-compressed, with its own `ETag`", example = "gzip")),
    responses((status = 200, description = "An iCalendar feed; cacheable", content_type = "text/calendar", body = String, headers(("ETag" = String, description = "Of this encoding of the feed"), ("Vary" = String, description = "`Accept-Encoding`"), ("Content-Encoding" = Option<String>, description = "`gzip` when the client accepts it"))), (status = 304, description = "The client's copy is current"), ParameterErrors, CommonErrors),
    security(())
)]
#[get("/public/schedules.ics")]
pub async fn get_public_schedules_ics(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    params: web::Query<PublicParams>,
) -> Result<HttpResponse, AppError> {
    let p = params.into_inner();
    let mut params = Params::default();
    let activity = params.enumeration::<Activity>("activity", p.activity.as_deref());
    params.finish()?;
    let unit = p
        .unit_id
        .map(|u| parse_id(&u).map(|u| u.to_string()))
        .transpose()?;
    let cache = req.app_data::<web::Data<FeedCache>>().cloned();
    let key = format!("{activity:?}/{unit:?}");
    // Rendered on a blocking thread (a city's feed holds thousands of events), and only when
    // the plans changed since the last rendering.
    let feed = crate::db::run(&pool, move |conn| {
        let version = store::public_version(conn)?;
        if let Some(hit) = cache.as_ref().and_then(|c| c.get(&key, &version)) {
            return Ok(hit);
        }
        let _rendering = cache
            .as_ref()
            .map(|c| c.rendering.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(hit) = cache.as_ref().and_then(|c| c.get(&key, &version)) {
            return Ok(hit);
        }
        let events = events(conn, activity, unit.as_deref())?;
        let feed = Feed::of(ical::calendar(
            "碑林区“一把手走流程、坐窗口、跟执法、处投诉”活动计划",
            &events,
        ))?;
        if let Some(c) = &cache {
            c.put(key, version, feed.clone());
        }
        Ok(feed)
    })
    .await?;
    let gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    let (body, tag, headers) = if gzip {
        let headers: &[_] = &[
            (header::VARY, "Accept-Encoding"),
            (header::CONTENT_ENCODING, "gzip"),
        ];
        (feed.gzip, feed.gzip_tag, headers)
    } else {
        (
            feed.body,
            feed.tag,
            &[(header::VARY, "Accept-Encoding")][..],
        )
    };
    Ok(tagged(
        &req,
        "text/calendar; charset=utf-8",
        Slices { bytes: body, at: 0 },
        tag,
        headers,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_when_offered_and_not_refused() {
        for yes in [
            "gzip",
            "gzip, deflate, br",
            "br;q=1.0, GZIP;q=0.5",
            "x-gzip",
            "*",
            "deflate, *;q=0.1",
        ] {
            assert!(accepts_gzip(yes), "{yes}");
        }
        for no in [
            "",
            "identity",
            "br, deflate",
            "gzip;q=0",
            "gzip; q=0.0, *",
            "*;q=0",
            "gzip;Q=0",
        ] {
            assert!(!accepts_gzip(no), "{no}");
        }
    }

    #[test]
    fn a_feed_is_sent_in_slices_that_add_up_to_it() {
        use actix_web::body::MessageBody;
        let text: String = (0..200_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut body = Slices {
            bytes: web::Bytes::from(text.clone()),
            at: 0,
        };
        assert_eq!(body.size(), actix_web::body::BodySize::Sized(200_000));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut got = Vec::new();
        let mut slices = 0;
        while let std::task::Poll::Ready(Some(Ok(s))) =
            std::pin::Pin::new(&mut body).poll_next(&mut cx)
        {
            assert!(s.len() <= SLICE);
            got.extend_from_slice(&s);
            slices += 1;
        }
        assert_eq!((got, slices), (text.into_bytes(), 4));
    }

    #[test]
    fn the_gzip_feed_unpacks_to_the_feed_with_its_own_tag() {
        use std::io::Read;
        let feed = Feed::of("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".repeat(100)).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&feed.gzip[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text.as_bytes(), &feed.body[..]);
        assert!(feed.gzip.len() < feed.body.len() / 10);
        assert_ne!(feed.tag, feed.gzip_tag);
        assert!(feed.gzip_tag.starts_with('"') && feed.gzip_tag.ends_with("-gzip\""));
    }
}
