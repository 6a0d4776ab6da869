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

    let sentences: Vec<&str> = SENTENCES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    // Dense: the test sentences back to back, nearly every one naming places.
    let dense = sentences.join(" ");
    scan("place-dense text (test sentences)", gazetteer, &dense);
    // Advert-like: about 1 KB bodies of advert filler words with one test sentence each.
    const FILLER: &[&str] = &[
        "genuine",
        "happy",
        "incall",
        "outcall",
        "available",
        "new",
        "pics",
        "call",
        "text",
        "discreet",
        "friendly",
        "clean",
        "private",
        "parking",
        "tonight",
        "today",
        "welcome",
        "gentlemen",
        "relaxed",
        "smile",
        "appointment",
        "only",
        "no",
        "withheld",
        "numbers",
        "quiet",
        "easy",
        "find",
        "station",
        "near",
        "location",
        "photos",
        "real",
        "me",
        "Hi,",
        "I'm",
        "Mia,",
        "25.",
        "£80",
        "30min",
        "1hr",
        "24/7",
        "07700",
        "900123",
        "x",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut advert = String::new();
    for (i, sentence) in sentences
        .iter()
        .cycle()
        .take(sentences.len() * 3)
        .enumerate()
    {
        for _ in 0..150 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            advert.push_str(FILLER[(state % FILLER.len() as u64) as usize]);
            advert.push(' ');
        }
        if i % 2 == 0 {
            advert.push_str(sentence);
            advert.push_str(". ");
        }
    }
    scan(
        "advert-like text (filler, a place sentence per 2 KB)",
        gazetteer,
        &advert,
    );
}

/// Scans about 50 MB of `page`, repeated, and prints the rate.
fn scan(name: &str, gazetteer: &Gazetteer, page: &str) {
    let repeats = 50_000_000 / page.len() + 1;
    let started = Instant::now();
    let mut mentions = 0;
    for _ in 0..repeats {
        mentions += black_box(find_in_text(gazetteer, black_box(page)))
            .mentions
            .len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes = (repeats * page.len()) as f64;
    println!(
        "place recognition, {name}: {:.1} MB/s ({:.0} MB in {seconds:.2} s, {mentions} mentions)",
        bytes / seconds / 1e6,
        bytes / 1e6,
    );
}
