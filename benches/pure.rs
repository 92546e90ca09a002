//! Benchmarks of the pure code on every request's path: cursor encoding, language negotiation,
//! quarter parsing, serializing a full page of units, a problem+json answer, a random draw, and
//! reading a page of stored segments whole or as their heads (what a list needs). Run with
//! `cargo bench --bench pure`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use frontline::api::pagination::{decode_cursor, encode_cursor};
use frontline::domain::annex1::seed_units;
use frontline::domain::calendar::Quarter;
use frontline::domain::unit::{Unit, UnitId};
use frontline::i18n::Lang;

fn page_of_units() -> Vec<Unit> {
    let now = chrono::Utc::now();
    seed_units()
        .into_iter()
        .map(|s| Unit {
            id: UnitId::generate(),
            name: s.name.to_owned(),
            short_code: s.short_code.to_owned(),
            kind: s.kind,
            categories: s.categories,
            head: None,
            deputies: Vec::new(),
            delegation_allowed: false,
            active: true,
            programme_role: s.programme_role,
            lead_activity: s.lead_activity,
            created_at: now,
            updated_at: now,
            version: 1,
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let id = UnitId::generate().to_string();
    let cursor = encode_cursor(&id);
    c.bench_function("cursor_encode", |b| {
        b.iter(|| encode_cursor(black_box(&id)))
    });
    c.bench_function("cursor_decode", |b| {
        b.iter(|| decode_cursor(black_box(&cursor)))
    });
    c.bench_function("accept_language", |b| {
        b.iter(|| Lang::negotiate(black_box("zh-CN,zh;q=0.9,en-US;q=0.8,en;q=0.7")))
    });
    c.bench_function("quarter_parse", |b| {
        b.iter(|| black_box("2026-Q3").parse::<Quarter>())
    });
    let units = page_of_units();
    c.bench_function("serialize_46_units", |b| {
        b.iter(|| serde_json::to_vec(black_box(&units)))
    });
}

fn more(c: &mut Criterion) {
    use frontline::error::{AppError, FieldIssue};
    let refused = AppError::Validation(
        (0..5)
            .map(|i| {
                FieldIssue::new(
                    format!("records[{i}].closed_at"),
                    "out_of_order",
                    "不能早于 resolved_at",
                    "must not be before resolved_at",
                )
            })
            .collect(),
    );
    c.bench_function("problem_json_5_fields", |b| {
        b.iter(|| {
            serde_json::to_vec(&black_box(&refused).problem(
                Lang::Zh,
                Some("/api/v1/imports"),
                Some("01a2"),
            ))
        })
    });
    let population =
        frontline::domain::draw::Population::new((0..1000).map(|i| format!("m{i:04}")).collect());
    c.bench_function("draw_3_of_1000", |b| {
        b.iter(|| frontline::domain::draw::draw(black_box(&population), "seed", 3))
    });
    // A list page: 50 stored participations' segments, as text.
    let page: Vec<String> = (0..50u64)
        .map(|n| {
            serde_json::to_string(&frontline::demo::enforcement_segments(n)).unwrap_or_default()
        })
        .collect();
    c.bench_function("segments_50_whole", |b| {
        b.iter(|| {
            for t in black_box(&page) {
                let _: Vec<frontline::domain::participation::Segment> =
                    serde_json::from_str(t).unwrap_or_default();
            }
        })
    });
    // What a list reads instead since the fifth pass: the stored types, parsed.
    let heads: Vec<String> = page
        .iter()
        .map(|t| {
            let segments: Vec<frontline::domain::participation::Segment> =
                serde_json::from_str(t).unwrap_or_default();
            frontline::domain::participation::segment_heads(&segments).0
        })
        .collect();
    c.bench_function("segments_50_stored_types", |b| {
        b.iter(|| {
            for t in black_box(&heads) {
                let _ = frontline::domain::participation::parse_segment_types(t);
            }
        })
    });
}

criterion_group!(pure, benches, more);
criterion_main!(pure);
