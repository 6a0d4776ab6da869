//! Geography benchmarks (BENCHMARKS.md): postcode lookups per second and text scanned for places
//! per second, on one core.
//!
//!     cargo run --release -p lantern-geo --example bench_geo

use std::hint::black_box;
use std::time::Instant;

use lantern_geo::{Gazetteer, find_in_text};

/// Advert-like text: the hand-written sentences of the recognition tests, one after another.
const SENTENCES: &str = include_str!("../tests/data/place-sentences.tsv");

fn main() {
    let started = Instant::now();
    let gazetteer = Gazetteer::embedded().expect("embedded data");
    println!(
        "load: {:.0} ms (first use only)",
        started.elapsed().as_secs_f64() * 1e3
    );

    // Every unit, in three spellings: canonical, lower case without space, padded.
    let queries: Vec<String> = gazetteer
        .units()
        .flat_map(|(postcode, ..)| {
            let compact = postcode.replace(' ', "").to_lowercase();
            let padded = format!(" {postcode} ");
            [postcode, compact, padded]
        })
        .collect();
    let rounds = 20;
    let started = Instant::now();
    let mut found = 0_usize;
    for _ in 0..rounds {
        for q in &queries {
            found += usize::from(black_box(gazetteer.lookup(black_box(q))).found().is_some());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let lookups = (rounds * queries.len()) as f64;
    assert_eq!(found, rounds * queries.len(), "every unit resolves");
    println!(
        "postcode lookups: {:.2} million/s ({} lookups in {seconds:.2} s)",
        lookups / seconds / 1e6,
        lookups
    );

    let sentences: String = SENTENCES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ");
    // Scanned a page at a time, as adverts are.
    let page: String = std::iter::repeat_n(sentences.as_str(), 1).collect();
    let target_bytes = 50_000_000;
    let repeats = target_bytes / page.len() + 1;
    let started = Instant::now();
    let mut mentions = 0;
    for _ in 0..repeats {
        mentions += black_box(find_in_text(gazetteer, black_box(&page)))
            .mentions
            .len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = (repeats * page.len()) as f64;
    println!(
        "place recognition: {:.1} MB/s ({:.0} MB in {seconds:.2} s, {} mentions, pages of {} bytes)",
        bytes / seconds / 1e6,
        bytes / 1e6,
        mentions,
        page.len()
    );
}
