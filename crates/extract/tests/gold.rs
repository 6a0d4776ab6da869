//! Phone extraction against the hand-written gold set (`data/phone-gold.tsv`): precision and
//! recall of (text, number) pairs, the obfuscated flag, and every span slicing the text.

use std::collections::BTreeSet;

use lantern_extract::find_phones;

/// Hand-written lines, then lines built from hand-written parts (`scripts/make-phone-gold.py`).
const GOLD: [&str; 2] = [
    include_str!("data/phone-gold.tsv"),
    include_str!("data/phone-gold-constructed.tsv"),
];

#[test]
fn gold_set_precision_and_recall_reach_099() {
    let (mut tp, mut found, mut expected, mut flags_right, mut lines) = (0, 0, 0, 0, 0);
    let mut misses = Vec::new();
    let all: Vec<(usize, &str)> = GOLD
        .iter()
        .flat_map(|file| file.lines().enumerate())
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .collect();
    for (n, line) in all {
        lines += 1;
        let (text, gold) = line.split_once('\t').unwrap_or((line, ""));
        let gold: BTreeSet<(String, bool)> = gold
            .split(" ; ")
            .filter(|g| !g.trim().is_empty())
            .map(|g| {
                let (number, flag) = g.trim().split_once(':').expect("number:flag");
                (number.to_owned(), flag == "o")
            })
            .collect();
        let facts = find_phones(text);
        for f in &facts {
            assert!(
                text.is_char_boundary(f.start) && text.is_char_boundary(f.end) && f.start < f.end
            );
        }
        let got: BTreeSet<(String, bool)> = facts
            .iter()
            .map(|f| (f.e164.clone(), f.obfuscated))
            .collect();
        let got_numbers: BTreeSet<&String> = got.iter().map(|(n, _)| n).collect();
        let gold_numbers: BTreeSet<&String> = gold.iter().map(|(n, _)| n).collect();
        tp += got_numbers.intersection(&gold_numbers).count();
        flags_right += got.intersection(&gold).count();
        found += got_numbers.len();
        expected += gold_numbers.len();
        if got != gold {
            misses.push(format!(
                "line {}: {text:?}\n    want {gold:?}\n    got  {got:?}",
                n + 1
            ));
        }
    }
    assert!(lines >= 500, "{lines} gold lines");
    let precision = tp as f64 / found.max(1) as f64;
    let recall = tp as f64 / expected.max(1) as f64;
    eprintln!(
        "phone gold set: {lines} texts, {expected} numbers, precision {precision:.4}, recall {recall:.4}, obfuscated flag right {flags_right}/{tp}"
    );
    for m in &misses {
        eprintln!("  {m}");
    }
    assert!(precision >= 0.99, "precision {precision:.4}");
    assert!(recall >= 0.99, "recall {recall:.4}");
    assert_eq!(flags_right, tp, "obfuscated flags");
}
