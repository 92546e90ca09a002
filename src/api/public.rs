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
    tagged(req, content_type, web::Bytes::from(body), tag)
}

fn tagged(req: &HttpRequest, content_type: &str, body: web::Bytes, tag: String) -> HttpResponse {
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
pub struct FeedCache(std::sync::Mutex<HashMap<String, (String, web::Bytes, String)>>);

/// The most feeds kept (one per filter combination asked for).
const FEEDS_KEPT: usize = 256;

impl FeedCache {
    fn get(&self, key: &str, version: &str) -> Option<(web::Bytes, String)> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(v, _, _)| v == version)
            .map(|(_, body, tag)| (body.clone(), tag.clone()))
    }

    fn put(&self, key: String, version: String, body: web::Bytes, tag: String) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= FEEDS_KEPT && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, (version, body, tag));
    }
}

/// The published schedules as an iCalendar feed (RFC 5545) to subscribe to.
#[utoipa::path(
    tag = "public",
    operation_id = "get_public_schedules_ics",
    params(PublicParams),
    responses((status = 200, description = "An iCalendar feed; cacheable", content_type = "text/calendar", body = String), (status = 304, description = "The client's copy is current"), ParameterErrors, CommonErrors),
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
    let (body, tag) = crate::db::run(&pool, move |conn| {
        let version = store::public_version(conn)?;
        if let Some(hit) = cache.as_ref().and_then(|c| c.get(&key, &version)) {
            return Ok(hit);
        }
        let events = events(conn, activity, unit.as_deref())?;
        let body = web::Bytes::from(
            ical::calendar(
                "碑林区“一把手走流程、坐窗口、跟执法、处投诉”活动计划",
                &events,
            )
            .into_bytes(),
        );
        let tag = etag_of(&body);
        if let Some(c) = &cache {
            c.put(key, version, body.clone(), tag.clone());
        }
        Ok((body, tag))
    })
    .await?;
    Ok(tagged(&req, "text/calendar; charset=utf-8", body, tag))
}
