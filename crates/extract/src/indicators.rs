//! Indicator phrases from the catalogue (`detection = "advert_phrases"`), found as whole words in
//! any case, each with its span. Contra-indicators are found too, so that an analyst can see them,
//! and carry `scored: false`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use lantern_indicators::{Catalogue, Detection, Kind};
use serde::Serialize;

/// One indicator found in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorFact {
    /// Catalogue code, e.g. `IND-ADV-005`.
    pub code: String,
    /// The text as written (its case), which matched a catalogue phrase.
    pub text: String,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last.
    pub end: usize,
    /// Whether a risk model may weigh it (false for contra-indicators).
    pub scored: bool,
}

/// What a phrase stands for.
#[derive(Debug, Clone)]
struct Owner {
    code: String,
    scored: bool,
}

/// The catalogue's phrases compiled into one automaton.
#[derive(Debug, Clone)]
pub struct IndicatorMatcher {
    automaton: Option<AhoCorasick>,
    owners: Vec<Owner>,
    obfuscated_phone: Option<Owner>,
}

impl IndicatorMatcher {
    /// Compiles the phrases of `catalogue`'s active advert-phrase indicators.
    pub fn new(catalogue: &Catalogue) -> Self {
        let mut phrases = Vec::new();
        let mut owners = Vec::new();
        for ind in catalogue.advert_phrase_indicators() {
            for phrase in &ind.phrases {
                phrases.push(phrase.as_str());
                owners.push(Owner {
                    code: ind.code.clone(),
                    scored: ind.is_scorable(),
                });
            }
        }
        // Phrases are validated lower-case ASCII-foldable text; building cannot fail for them,
        // and an empty catalogue simply finds nothing.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .ok()
            .filter(|_| !phrases.is_empty());
        let obfuscated_phone = catalogue
            .indicators()
            .iter()
            .find(|i| {
                i.detection == Detection::ObfuscatedPhone
                    && i.status == lantern_indicators::Status::Active
            })
            .map(|i| Owner {
                code: i.code.clone(),
                scored: i.is_scorable() && i.kind == Kind::Indicator,
            });
        Self {
            automaton,
            owners,
            obfuscated_phone,
        }
    }

    /// The indicator for a phone number written to defeat reading, spanning the number.
    pub(crate) fn obfuscated_phone(
        &self,
        text: &str,
        start: usize,
        end: usize,
    ) -> Option<IndicatorFact> {
        let owner = self.obfuscated_phone.as_ref()?;
        Some(IndicatorFact {
            code: owner.code.clone(),
            text: text.get(start..end)?.to_owned(),
            start,
            end,
            scored: owner.scored,
        })
    }

    /// Every phrase in `text` that stands as whole words; where phrases overlap, the longest
    /// (earliest first) wins, so "very young" is one fact, not two.
    pub fn find(&self, text: &str) -> Vec<IndicatorFact> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits: Vec<(usize, usize, usize)> = automaton
            .find_overlapping_iter(text)
            .filter(|m| is_whole_words(text, m.start(), m.end()))
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        hits.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut out: Vec<IndicatorFact> = Vec::new();
        let mut covered_to = 0;
        for (start, end, pattern) in hits {
            if start < covered_to {
                continue;
            }
            covered_to = end;
            let owner = &self.owners[pattern];
            out.push(IndicatorFact {
                code: owner.code.clone(),
                text: text[start..end].to_owned(),
                start,
                end,
                scored: owner.scored,
            });
        }
        out
    }
}

/// Whether `text[start..end]` neither begins nor ends inside a word. A hyphen or apostrophe
/// joined to a letter continues the word ("in-calls" is one word, so "new in" is not in it).
fn is_whole_words(text: &str, start: usize, end: usize) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let joiner = |c: Option<char>| matches!(c, Some('-' | '\''));
    let mut before = text[..start].chars().rev();
    let mut after = text[end..].chars();
    let (b1, b2) = (before.next(), before.next());
    let (a1, a2) = (after.next(), after.next());
    let joined_before = word(b1) || (joiner(b1) && word(b2));
    let joined_after = word(a1) || (joiner(a1) && word(a2));
    // A phrase that begins or ends with a non-word character ("100% real") is bounded by it.
    let first = text[start..].chars().next();
    let last = text[..end].chars().next_back();
    let cuts_a_word = (joined_before && word(first)) || (joined_after && word(last));
    !cuts_a_word
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> IndicatorMatcher {
        IndicatorMatcher::new(Catalogue::embedded().unwrap())
    }

    #[test]
    fn phrases_match_whole_words_in_any_case_with_spans() {
        let text = "GENUINE girl, Very Young and sweet. Youngest? no. 100% real pics";
        let found = matcher().find(text);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.code.as_str(), &text[f.start..f.end]))
            .collect();
        assert_eq!(
            got,
            [
                ("IND-ADV-005", "GENUINE"),
                ("IND-ADV-006", "Very Young"),
                ("IND-ADV-005", "100% real"),
            ]
        );
        assert!(
            found
                .iter()
                .all(|f| f.scored && f.text == text[f.start..f.end])
        );
    }

    #[test]
    fn movement_language_is_found_but_never_scored() {
        let found = matcher().find("New in town for a limited time!");
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|f| f.code == "IND-ADV-X01" && !f.scored));
    }

    #[test]
    fn words_inside_other_words_do_not_match() {
        assert!(
            matcher()
                .find("honestly, youngster, genuineness, teens")
                .is_empty()
        );
    }
}
