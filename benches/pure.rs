//! Benchmarks of the pure code on every request's path: cursor encoding, language negotiation,
//! quarter parsing, and serializing a full page of units. Run with `cargo bench --bench pure`.

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

criterion_group!(pure, benches);
criterion_main!(pure);
