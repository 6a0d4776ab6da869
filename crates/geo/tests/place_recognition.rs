//! Place recognition scored against hand-written sentences (`data/place-sentences.tsv`):
//! precision and recall of (phrase, resolution) pairs must both reach 0.95.

use std::collections::BTreeSet;

use lantern_geo::{Gazetteer, Lookup, MentionKind, find_in_text};

const SENTENCES: &str = include_str!("data/place-sentences.tsv");
const HELD_OUT: &str = include_str!("data/place-sentences-heldout.tsv");

fn label(lookup: &Lookup, is_street: bool) -> String {
    match lookup {
        Lookup::Found(r) => r.matched.clone(),
        Lookup::Ambiguous { .. } => "AMBIGUOUS".into(),
        Lookup::OutsideRegion { .. } => "OUTSIDE".into(),
        Lookup::NotFound { .. } if is_street => "UNLISTED".into(),
        Lookup::NotFound { .. } => "NOTFOUND".into(),
    }
}

#[test]
fn recognition_reaches_precision_and_recall_of_095_on_the_gold_sentences() {
    score("tuning set", SENTENCES, 100);
}

#[test]
fn recognition_reaches_precision_and_recall_of_095_on_held_out_sentences() {
    score("held-out set", HELD_OUT, 40);
}

/// Scores recognition on a sentence file, prints the misses, and asserts both figures.
fn score(name: &str, sentences_file: &str, at_least: usize) {
    let gazetteer = Gazetteer::embedded().unwrap();
    let (mut true_positives, mut predicted, mut expected) = (0_usize, 0_usize, 0_usize);
    let mut sentences = 0;
    let mut misses = Vec::new();
    for line in sentences_file
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (text, gold) = line.split_once('\t').unwrap_or((line, ""));
        sentences += 1;
        let gold: BTreeSet<(String, String)> = gold
            .split(" ; ")
            .filter(|g| !g.trim().is_empty())
            .map(|g| {
                let (phrase, label) = g.split_once("=>").expect("phrase=>label");
                (phrase.trim().to_owned(), label.trim().to_owned())
            })
            .collect();
        let found = find_in_text(gazetteer, text);
        let got: BTreeSet<(String, String)> = found
            .mentions
            .iter()
            .map(|m| {
                assert_eq!(
                    &text[m.start..m.end],
                    m.text,
                    "span of {:?} in {text:?}",
                    m.text
                );
                (
                    m.text.clone(),
                    label(&m.lookup, m.kind == MentionKind::Street),
                )
            })
            .collect();
        true_positives += gold.intersection(&got).count();
        predicted += got.len();
        expected += gold.len();
        if gold != got {
            misses.push(format!(
                "{text:?}\n    missed {:?}\n    extra  {:?}",
                gold.difference(&got).collect::<Vec<_>>(),
                got.difference(&gold).collect::<Vec<_>>()
            ));
        }
    }
    assert!(sentences >= at_least, "{sentences} sentences");
    let precision = true_positives as f64 / predicted.max(1) as f64;
    let recall = true_positives as f64 / expected.max(1) as f64;
    eprintln!(
        "place recognition, {name}: {sentences} sentences, {expected} places, precision {precision:.3}, recall {recall:.3}"
    );
    for miss in &misses {
        eprintln!("  {miss}");
    }
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}

#[test]
fn the_best_resolution_is_the_most_precise() {
    let gazetteer = Gazetteer::embedded().unwrap();
    let found = find_in_text(gazetteer, "Digbeth area, B5 6, exact B5 6DY, Birmingham");
    assert_eq!(found.best.unwrap().matched, "B5 6DY");
    let found = find_in_text(gazetteer, "Digbeth area, WS10 7");
    assert_eq!(found.best.unwrap().matched, "WS10 7");
    assert!(find_in_text(gazetteer, "nothing here").best.is_none());
}

#[test]
fn hostile_text_never_panics() {
    let gazetteer = Gazetteer::embedded().unwrap();
    for text in [
        "",
        "'",
        "&&&&",
        "St",
        "Road",
        "B",
        "B5",
        "B5 ",
        "b5 6",
        "ʼ’'`",
        "Ｂ５ ６ＤＹ",
        "\u{0}B5 6DY\u{0}",
        "Broad St St St St",
        "in in in in Park",
        "🙂 Digbeth 🙂",
        "Digbeth-Digbeth-Digbeth",
        "e\u{301}Digbeth",
    ] {
        let found = find_in_text(gazetteer, text);
        for m in &found.mentions {
            assert_eq!(&text[m.start..m.end], m.text);
        }
    }
    let long = "Near the Bullring in Digbeth, b5 6dy. ".repeat(10_000);
    assert_eq!(find_in_text(gazetteer, &long).mentions.len(), 30_000);
}
