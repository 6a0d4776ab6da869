//! Advert text as a template: the body with its slots masked (phones, e-mails, handles, ages,
//! prices, places, the poster's name, every number), and a MinHash signature of its word
//! 4-shingles, so that one writer's template filled with other values still matches.
//!
//! Hashes are Lantern's own (FNV-1a and a SplitMix64 finaliser): signatures are stored, so they
//! must not change between builds or machines.

use lantern_extract::TextFacts;

/// Values in a MinHash signature.
pub const SIGNATURE_LEN: usize = 32;

/// Words per shingle.
const SHINGLE: usize = 4;

/// A masked text needs this many shingles to be compared at all (short texts match by chance).
const MIN_SHINGLES: usize = 8;

/// `text` with each fact's span replaced by its slot (`{phone}`, `{place}`...) and the poster's
/// name by `{name}`; lower case, words separated by single spaces, numbers as `#`.
pub fn masked(text: &str, facts: &TextFacts, poster: Option<&str>) -> String {
    let mut spans: Vec<(usize, usize, &str)> = Vec::new();
    spans.extend(facts.phones.iter().map(|f| (f.start, f.end, "{phone}")));
    spans.extend(facts.emails.iter().map(|f| (f.start, f.end, "{email}")));
    spans.extend(facts.handles.iter().map(|f| (f.start, f.end, "{handle}")));
    spans.extend(facts.ages.iter().map(|f| (f.start, f.end, "{age}")));
    spans.extend(facts.prices.iter().map(|f| (f.start, f.end, "{price}")));
    spans.extend(facts.places.iter().map(|f| (f.start, f.end, "{place}")));
    if let Some(name) = poster.map(str::trim).filter(|n| n.len() >= 2) {
        let mut from = 0;
        while let Some(at) = text[from..].find(name) {
            let start = from + at;
            spans.push((start, start + name.len(), "{name}"));
            from = start + name.len();
        }
    }
    spans.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, slot) in spans {
        if start < at || end > text.len() || !text.is_char_boundary(start) {
            continue;
        }
        push_words(&mut out, &text[at..start]);
        push_word(&mut out, slot);
        at = end;
    }
    push_words(&mut out, &text[at..]);
    out
}

fn push_word(out: &mut String, word: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

fn push_words(out: &mut String, text: &str) {
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if word.chars().any(|c| c.is_ascii_digit()) {
            push_word(out, "#");
        } else {
            push_word(out, &word.to_lowercase());
        }
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: a good, cheap mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The MinHash signature of a masked text's word 4-shingles; `None` when it is too short to
/// compare.
pub fn signature(masked: &str) -> Option<Vec<u32>> {
    let words: Vec<&str> = masked.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() < SHINGLE + MIN_SHINGLES - 1 {
        return None;
    }
    let mut sig = vec![u32::MAX; SIGNATURE_LEN];
    for window in words.windows(SHINGLE) {
        let shingle = fnv1a(window.join(" ").as_bytes());
        for (i, slot) in sig.iter_mut().enumerate() {
            let h = (mix(shingle ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32) as u32;
            *slot = (*slot).min(h);
        }
    }
    Some(sig)
}

/// The signature of the union of two shingle sets: the element-wise minimum.
pub fn union(a: &mut Vec<u32>, b: &[u32]) {
    if a.len() != b.len() {
        if a.is_empty() {
            a.extend_from_slice(b);
        }
        return;
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).min(*y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_link::similarity;

    fn facts_of(text: &str) -> TextFacts {
        let gazetteer = lantern_geo::Gazetteer::embedded().unwrap();
        let catalogue = lantern_indicators::Catalogue::embedded().unwrap();
        lantern_extract::Extractor::new(gazetteer, catalogue).text(text)
    }

    #[test]
    fn slots_are_masked_so_filled_templates_match() {
        let a = "Stunning new girl Mia 24 just arrived in Digbeth. Sexy, sweet and very open minded. \
                 Call 07700 900123 now, available today.";
        let b = "Stunning new girl Ruby 31 just arrived in Walsall. Sexy, sweet and very open minded. \
                 Call 07700 900456 now, available today.";
        let ma = masked(a, &facts_of(a), Some("Mia"));
        let mb = masked(b, &facts_of(b), Some("Ruby"));
        assert_eq!(ma, mb);
        assert!(ma.contains("{name} # just arrived"), "{ma}");
        assert!(ma.contains("{place}") && ma.contains("{phone}"), "{ma}");
        assert_eq!(signature(&ma), signature(&mb));
    }

    #[test]
    fn different_texts_have_low_similarity_and_short_ones_none() {
        let a = masked(
            "I work for myself and take my time, no rushing. Polite texts get replies, withheld numbers don't.",
            &TextFacts::default(),
            None,
        );
        let b = masked(
            "Elegant, sensual, unforgettable experience. Incall and outcall, discreet location, ring for details.",
            &TextFacts::default(),
            None,
        );
        let (sa, sb) = (signature(&a).unwrap(), signature(&b).unwrap());
        assert!(similarity(&sa, &sb) < 0.2);
        assert!((similarity(&sa, &sa) - 1.0).abs() < 1e-12);
        assert_eq!(signature("too short to compare"), None);
        let mut u = sa.clone();
        union(&mut u, &sb);
        assert!(u.iter().zip(&sa).all(|(x, y)| x <= y));
    }
}
