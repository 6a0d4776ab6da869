//! Indicator phrases against a hand-written gold set (`tests/data/indicator-gold.tsv`):
//! precision and recall over (code, text as written) pairs, and every span slices its text.

use std::collections::BTreeSet;

use lantern_extract::IndicatorMatcher;
use lantern_indicators::Catalogue;

#[test]
fn indicator_phrases_match_the_gold_set() {
    let matcher = IndicatorMatcher::new(Catalogue::embedded().unwrap());
    let gold = include_str!("data/indicator-gold.tsv");
    let (mut hits, mut found_total, mut expected_total) = (0, 0, 0);
    let mut misses = Vec::new();
    for (n, line) in gold.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (text, expected) = line.split_once('\t').unwrap_or((line, ""));
        let expected: BTreeSet<(String, String)> = expected
            .split(" | ")
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (code, phrase) = e.split_once('=').expect("CODE=text");
                (code.to_owned(), phrase.to_owned())
            })
            .collect();
        let found: BTreeSet<(String, String)> = matcher
            .find(text)
            .into_iter()
            .map(|f| {
                assert_eq!(&text[f.start..f.end], f.text, "line {}", n + 1);
                (f.code, f.text)
            })
            .collect();
        hits += found.intersection(&expected).count();
        found_total += found.len();
        expected_total += expected.len();
        if found != expected {
            misses.push(format!(
                "line {}: found {found:?}, expected {expected:?}",
                n + 1
            ));
        }
    }
    let precision = hits as f64 / found_total as f64;
    let recall = hits as f64 / expected_total as f64;
    eprintln!(
        "indicator phrases: precision {precision:.3}, recall {recall:.3} over {expected_total} labels"
    );
    assert!(misses.is_empty(), "{}", misses.join("\n"));
    assert!(
        expected_total >= 40,
        "the gold set holds {expected_total} labels"
    );
}
