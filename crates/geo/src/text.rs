//! Place recognition in free text: postcodes (unit, sector, district), place names and street
//! phrases, each with its byte span and its resolution.
//!
//! False hits are the enemy: a district code alone (`b4`) is read as a postcode only when written
//! in capitals or after a location cue; a place name that is also an ordinary word or a common
//! name (`Shirley`, `Park`) needs a capital letter and a cue (`in`, `near`, `around` … before it,
//! or `area`, `centre` … after it); a name followed by a street word is part of a street.

use serde::Serialize;

use crate::gazetteer::Gazetteer;
use crate::model::{Lookup, Resolution, precision_rank};
use crate::names::{Tokens, tokenise};
use crate::postcode::{Outward, Postcode};

/// What kind of phrase a mention is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    /// A full postcode (`B5 6DY`, `b56dy`).
    PostcodeUnit,
    /// A postcode sector (`B5 6`).
    PostcodeSector,
    /// A postcode district (`B5`, `WS10`).
    PostcodeDistrict,
    /// A place, neighbourhood, ward, borough or landmark name.
    Name,
    /// A street phrase (`Hagley Rd`, `Broad Street`).
    Street,
}

/// A place phrase found in text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    /// Byte offset of the phrase's start.
    pub start: usize,
    /// Byte offset just past the phrase.
    pub end: usize,
    /// The phrase as written.
    pub text: String,
    /// What kind of phrase it is.
    pub kind: MentionKind,
    /// What it resolves to.
    pub lookup: Lookup,
}

/// Every place phrase of a text, and the most precise resolution among them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextPlaces {
    /// Mentions in text order.
    pub mentions: Vec<Mention>,
    /// The most precise single resolution (the earliest among equals); none when nothing in the
    /// text resolves inside the region.
    pub best: Option<Resolution>,
}

/// Words after which a phrase is read as a place.
const CUES_BEFORE: &[&str] = &[
    "in",
    "near",
    "nr",
    "at",
    "around",
    "from",
    "visiting",
    "located",
    "based",
    "to",
    "outskirts",
    "off",
    "by",
    "of",
    "towards",
    "central",
    "between",
];
/// Words before which a phrase is read as a place.
const CUES_AFTER: &[&str] = &[
    "area", "areas", "centre", "center", "town", "village", "station", "based", "side",
];
/// Names that are acronyms, read only when written in capitals.
const ACRONYMS: &[&str] = &["nec", "bhx"];
/// Street words, with their full forms.
const STREET_WORDS: &[(&str, &str)] = &[
    ("road", "road"),
    ("rd", "road"),
    ("street", "street"),
    ("st", "street"),
    ("lane", "lane"),
    ("ln", "lane"),
    ("avenue", "avenue"),
    ("ave", "avenue"),
    ("drive", "drive"),
    ("close", "close"),
    ("crescent", "crescent"),
    ("grove", "grove"),
    ("row", "row"),
    ("parade", "parade"),
    ("square", "square"),
    ("sq", "square"),
    ("terrace", "terrace"),
    ("way", "way"),
];
/// Capitalised words that start sentences or phrases and are never part of a street name.
const NOT_STREET_NAME: &[&str] = &[
    "the", "in", "near", "nr", "at", "on", "off", "by", "from", "just", "located", "visiting", "i",
    "im", "my", "our", "a", "call", "text", "new", "and", "of", "to", "also", "hi", "we", "come",
    "visit", "find", "me", "us", "behind", "opposite", "outcall", "incall", "it", "its",
];

fn street_word(norm: &str) -> Option<&'static str> {
    STREET_WORDS
        .iter()
        .find(|(short, _)| *short == norm)
        .map(|(_, full)| *full)
}

/// Finds the place phrases of a text.
pub fn find_in_text(gazetteer: &Gazetteer, text: &str) -> TextPlaces {
    let tokens = tokenise(text);
    let mut mentions = Vec::new();
    let streets = street_phrases(gazetteer, text, &tokens);
    let mut s = 0;
    let mut i = 0;
    // The last token of the latest place mention: a list of places continues it.
    let mut last_place_end: Option<usize> = None;
    while i < tokens.len() {
        while s < streets.len() && streets[s].0 < i {
            s += 1;
        }
        if let Some((first, last, street)) = streets.get(s)
            && *first == i
        {
            mentions.push(street.clone());
            last_place_end = Some(*last);
            i = last + 1;
            s += 1;
            continue;
        }
        let after_place = last_place_end.is_some_and(|end| continues_list(text, &tokens, end, i));
        if let Some((taken, mention)) = postcode_at(gazetteer, text, &tokens, i, after_place) {
            mentions.push(mention);
            last_place_end = Some(i + taken - 1);
            i += taken;
            continue;
        }
        if let Some((taken, mention)) = name_at(gazetteer, text, &tokens, i, after_place) {
            mentions.push(mention);
            last_place_end = Some(i + taken - 1);
            i += taken;
            continue;
        }
        i += 1;
    }
    let best = mentions
        .iter()
        .filter_map(|m| m.lookup.found())
        .fold(None::<&Resolution>, |best, r| match best {
            Some(b) if precision_rank(b.precision) >= precision_rank(r.precision) => Some(b),
            _ => Some(r),
        })
        .cloned();
    TextPlaces { mentions, best }
}

/// Whether token `i` continues a list of places whose last one ended at token `end`:
/// `Hillfields, Radford`, `Hillfields and Radford`, `Hillfields / Radford`.
fn continues_list(text: &str, tokens: &Tokens, end: usize, i: usize) -> bool {
    let gap = |a: usize, b: usize| &text[tokens.get(a).end..tokens.get(b).start];
    if i == end + 1 {
        let g = gap(end, i);
        return g.trim().chars().all(|c| c == ',' || c == '/') && !g.trim().is_empty();
    }
    i == end + 2
        && matches!(tokens.norm(end + 1), "and" | "or")
        && gap(end, end + 1).trim().is_empty()
        && gap(end + 1, i).trim().is_empty()
}

fn only_space_between(text: &str, tokens: &Tokens, a: usize, b: usize) -> bool {
    text[tokens.get(a).end..tokens.get(b).start]
        .chars()
        .all(char::is_whitespace)
}

fn has_cue_before(tokens: &Tokens, i: usize) -> bool {
    (i.saturating_sub(2)..i).any(|j| CUES_BEFORE.contains(&tokens.norm(j)))
}

fn has_cue_after(tokens: &Tokens, last: usize) -> bool {
    last + 1 < tokens.len() && CUES_AFTER.contains(&tokens.norm(last + 1))
}

fn mention(
    text: &str,
    tokens: &Tokens,
    first: usize,
    last: usize,
    kind: MentionKind,
    lookup: Lookup,
) -> Mention {
    let (start, end) = (tokens.get(first).start, tokens.get(last).end);
    Mention {
        start,
        end,
        text: text[start..end].to_owned(),
        kind,
        lookup,
    }
}

/// A postcode starting at token `i`: how many tokens it takes, and the mention.
fn postcode_at(
    gazetteer: &Gazetteer,
    text: &str,
    tokens: &Tokens,
    i: usize,
    after_place: bool,
) -> Option<(usize, Mention)> {
    let token = tokens.get(i);
    let word = &text[token.start..token.end];
    if !word.is_ascii()
        || !word.as_bytes()[0].is_ascii_alphabetic()
        || !word.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let found = |taken: usize, postcode: Postcode, kind: MentionKind| {
        let last = i + taken - 1;
        let written = &text[tokens.get(i).start..tokens.get(last).end];
        let lookup = gazetteer.lookup_postcode(postcode, written);
        Some((taken, mention(text, tokens, i, last, kind, lookup)))
    };
    // A unit written without its space: `B56DY`.
    if let Some(unit @ Postcode::Unit(..)) = Postcode::parse(word) {
        return found(1, unit, MentionKind::PostcodeUnit);
    }
    let outward = Outward::parse(word)?;
    let next = (i + 1 < tokens.len() && only_space_between(text, tokens, i, i + 1))
        .then(|| &text[tokens.get(i + 1).start..tokens.get(i + 1).end]);
    if let Some(inward) = next
        && let Some(unit @ Postcode::Unit(..)) = Postcode::parse(&format!("{word} {inward}"))
    {
        return found(2, unit, MentionKind::PostcodeUnit);
    }
    // Sectors and districts only where the district is real here: `A38` and `M6` are roads.
    if !gazetteer.knows_district(outward) {
        return None;
    }
    if i > 0 && matches!(tokens.norm(i - 1), "vitamin" | "vit") {
        return None;
    }
    let cued = after_place || has_cue_before(tokens, i) || has_cue_after(tokens, i);
    if let Some(sector) = next
        && sector.len() == 1
        && sector.as_bytes()[0].is_ascii_digit()
        && (cued || token.all_upper)
    {
        let postcode = Postcode::Sector(outward, sector.as_bytes()[0] - b'0');
        return found(2, postcode, MentionKind::PostcodeSector);
    }
    // A district alone needs a cue or a place name next to it: `B4` is also "before".
    let place_follows = i + 1 < tokens.len()
        && tokens.get(i + 1).capitalised
        && gazetteer.by_first_word.contains_key(tokens.norm(i + 1));
    if !(cued || token.all_upper && place_follows) {
        return None;
    }
    found(
        1,
        Postcode::District(outward),
        MentionKind::PostcodeDistrict,
    )
}

/// The longest gazetteer name starting at token `i`.
fn name_at(
    gazetteer: &Gazetteer,
    text: &str,
    tokens: &Tokens,
    i: usize,
    after_place: bool,
) -> Option<(usize, Mention)> {
    let rests = gazetteer.by_first_word.get(tokens.norm(i))?;
    for rest in rests {
        let last = i + rest.len();
        if last >= tokens.len() {
            continue;
        }
        let matches = rest.iter().enumerate().all(|(k, word)| {
            tokens.norm(i + 1 + k) == word && only_space_or_hyphen(text, tokens, i + k, i + k + 1)
        });
        if !matches {
            continue;
        }
        let mut key = tokens.norm(i).to_owned();
        for word in rest {
            key.push(' ');
            key.push_str(word);
        }
        let Some(entries) = gazetteer.entries(&key) else {
            continue;
        };
        // A name followed by a street word belongs to a street not on the list.
        if last + 1 < tokens.len()
            && street_word(tokens.norm(last + 1)).is_some()
            && tokens.get(last + 1).capitalised
        {
            return None;
        }
        let needs_context = entries.iter().all(|e| e.needs_context);
        if needs_context
            && !(tokens.get(i).capitalised
                && (after_place || has_cue_before(tokens, i) || has_cue_after(tokens, last)))
        {
            continue;
        }
        // Acronyms (`NEC`, `BHX`) must be written in capitals.
        let written = &text[tokens.get(i).start..tokens.get(last).end];
        if ACRONYMS.contains(&key.as_str()) && !tokens.get(i).all_upper {
            continue;
        }
        let Some(lookup) = gazetteer.resolve_key(&key, written) else {
            continue;
        };
        return Some((
            rest.len() + 1,
            mention(text, tokens, i, last, MentionKind::Name, lookup),
        ));
    }
    None
}

fn only_space_or_hyphen(text: &str, tokens: &Tokens, a: usize, b: usize) -> bool {
    text[tokens.get(a).end..tokens.get(b).start]
        .chars()
        .all(|c| c.is_whitespace() || c == '-' || c == '\'' || c == '\u{2019}' || c == '.')
}

/// Street phrases: one to three capitalised words and a street word (`Hagley Rd`, `Broad
/// Street`, `Soho Road`), as `(first token, last token, mention)` in text order.
fn street_phrases(
    gazetteer: &Gazetteer,
    text: &str,
    tokens: &Tokens,
) -> Vec<(usize, usize, Mention)> {
    let mut found: Vec<(usize, usize, Mention)> = Vec::new();
    for k in 1..tokens.len() {
        let Some(full) = street_word(tokens.norm(k)) else {
            continue;
        };
        // `St` before a capitalised word is "Saint" (`St Michael's`), unless a name word precedes
        // it and a place name follows (`Broad St Birmingham`).
        if tokens.norm(k) == "st"
            && k + 1 < tokens.len()
            && tokens.get(k + 1).capitalised
            && !(tokens.get(k - 1).capitalised
                && !NOT_STREET_NAME.contains(&tokens.norm(k - 1))
                && gazetteer.by_first_word.contains_key(tokens.norm(k + 1)))
        {
            continue;
        }
        // A road on Lantern's list counts in any case (`broad st`, `Hagley Rd`).
        if let Some(listed) = listed_street(gazetteer, text, tokens, k, full) {
            if found.last().is_none_or(|f| f.1 < listed.0) {
                found.push(listed);
            }
            continue;
        }
        if !tokens.get(k).capitalised && !tokens.get(k).all_upper {
            continue;
        }
        let mut first = k;
        while first > 0
            && k - (first - 1) <= 3
            && tokens.get(first - 1).capitalised
            && !NOT_STREET_NAME.contains(&tokens.norm(first - 1))
            && only_space_between(text, tokens, first - 1, first)
            && !tokens.norm(first - 1).bytes().all(|b| b.is_ascii_digit())
        {
            first -= 1;
        }
        if first == k || found.last().is_some_and(|f| f.1 >= first) {
            continue;
        }
        let key = street_key(tokens, first, k, full);
        let written = &text[tokens.get(first).start..tokens.get(k).end];
        let lookup = match gazetteer.resolve_key(&key, written) {
            Some(lookup) => lookup,
            None => Lookup::NotFound {
                query: written.to_owned(),
                reason:
                    "not on Lantern's list of landmarks and main roads (no street data is bundled)"
                        .into(),
            },
        };
        found.push((
            first,
            k,
            mention(text, tokens, first, k, MentionKind::Street, lookup),
        ));
    }
    found
}

/// The folded name of the street whose name words are tokens `first..k`, with the street word
/// written in full (`hagley rd` → `hagley road`).
fn street_key(tokens: &Tokens, first: usize, k: usize, full: &str) -> String {
    let mut key = String::new();
    for j in first..k {
        key.push_str(tokens.norm(j));
        key.push(' ');
    }
    key.push_str(full);
    key
}

/// A listed road ending at token `k`, written in any case: the longest of the one to three words
/// before the street word that names a road on the list.
fn listed_street(
    gazetteer: &Gazetteer,
    text: &str,
    tokens: &Tokens,
    k: usize,
    full: &str,
) -> Option<(usize, usize, Mention)> {
    (1..=3.min(k)).rev().find_map(|words| {
        let first = k - words;
        if !(first..k).all(|j| only_space_between(text, tokens, j, j + 1)) {
            return None;
        }
        let key = street_key(tokens, first, k, full);
        let written = &text[tokens.get(first).start..tokens.get(k).end];
        let lookup = gazetteer.resolve_key(&key, written)?;
        Some((
            first,
            k,
            mention(text, tokens, first, k, MentionKind::Street, lookup),
        ))
    })
}
