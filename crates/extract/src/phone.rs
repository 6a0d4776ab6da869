//! UK phone numbers in hostile text, with the byte span each came from.
//!
//! Three steps. Words: the text is cut at whitespace and at the separators people put inside
//! numbers (`. - / ( ) ,`). Digit words: a word made only of digits (any script's decimal digits,
//! fullwidth, keycaps), number words (`seven`, `oh`, `double`), and the look-alike letters
//! `O o l I` when the word also holds a real digit, yields its digits; any other word breaks a
//! number (`£80`, `10pm`, `5ft`, `34C`, `B5`). Numbers: consecutive digit words are joined while
//! only separators lie between them, and a number is taken where the joined digits first form a
//! valid UK number (never inside a word). A number split across a sentence (`07700. Then 900123`)
//! is joined over at most a few short words when its first part is a number's beginning.

use serde::Serialize;

/// A phone number found in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneFact {
    /// E.164, e.g. `+447700900123`.
    pub e164: String,
    /// Byte offset of the first character of the number as written.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Written to defeat reading: letters or words for digits, look-alike characters, keycaps,
    /// digits spaced one by one or punctuated (`07700.900.123`), or split across words (the
    /// capture spec's obfuscations; IND-ADV-004). Spaces, brackets and `+44` are ordinary.
    pub obfuscated: bool,
}

/// How a digit was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// ASCII digit.
    Plain,
    /// Fullwidth or another script's digit, keycap, letter or word: meant to hide.
    Disguised,
}

/// A word of the text that consists of digits only (however written).
#[derive(Debug, Clone)]
struct DigitWord {
    start: usize,
    end: usize,
    digits: Vec<u8>,
    disguised: bool,
    /// A `+` directly before the word.
    plus: bool,
    /// Made only of look-alike letters (`OOOO`, `OlOO`): it may continue a number, never start
    /// one.
    weak: bool,
}

const NUMBER_WORDS: [(&str, &[u8]); 12] = [
    ("zero", &[0]),
    ("oh", &[0]),
    ("one", &[1]),
    ("two", &[2]),
    ("three", &[3]),
    ("four", &[4]),
    ("five", &[5]),
    ("six", &[6]),
    ("seven", &[7]),
    ("eight", &[8]),
    ("nine", &[9]),
    ("nought", &[0]),
];

/// Characters allowed between the digit words of one number.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-' | '/' | '(' | ')' | ',' | '\u{2013}' | '\u{2014}'
        )
}

/// Invisible marks that ride on digits (keycap emoji: digit, U+FE0F, U+20E3).
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{fe0f}' | '\u{20e3}' | '\u{200b}' | '\u{200c}' | '\u{200d}'
    )
}

/// The value of a decimal digit in any script (ASCII, fullwidth, mathematical, Arabic-Indic …).
fn digit_value(c: char) -> Option<(u8, Written)> {
    if c.is_ascii_digit() {
        return Some((c as u8 - b'0', Written::Plain));
    }
    let code = c as u32;
    // Blocks of ten consecutive decimal digits.
    const ZEROS: [u32; 12] = [
        0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
        0x2080, 0x2070,
    ];
    for zero in ZEROS {
        if (zero..zero + 10).contains(&code) {
            // Superscripts ¹²³ are not contiguous with ⁰; they are handled below.
            return Some(((code - zero) as u8, Written::Disguised));
        }
    }
    match c {
        '\u{00b9}' => Some((1, Written::Disguised)),
        '\u{00b2}' => Some((2, Written::Disguised)),
        '\u{00b3}' => Some((3, Written::Disguised)),
        // Circled digits ① … ⑨ and ⓪.
        '\u{2460}'..='\u{2468}' => Some(((code - 0x245F) as u8, Written::Disguised)),
        '\u{24EA}' => Some((0, Written::Disguised)),
        _ => None,
    }
}

/// Reads one word as digits, or `None` when it is not made of digits only.
/// Whether `text` starts with `prefix`, ignoring ASCII case.
fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Whether a word can possibly be digits: it holds a digit or a non-ASCII character, or its
/// first letter can begin a number word or a look-alike letter. Rejects most words cheaply.
fn may_be_digits(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit() || !b.is_ascii())
        || matches!(
            word.as_bytes().first().map(u8::to_ascii_lowercase),
            Some(b'z' | b'o' | b't' | b'f' | b's' | b'e' | b'n' | b'd')
        )
}

fn digit_word(word: &str, start: usize, plus: bool) -> Option<DigitWord> {
    if !may_be_digits(word) {
        return None;
    }
    let mut digits = Vec::new();
    let mut disguised = false;
    let mut real_digit = false;
    let mut i = 0;
    let bytes = word.as_bytes();
    while i < word.len() {
        let c = word[i..].chars().next()?;
        if let Some((d, how)) = digit_value(c) {
            digits.push(d);
            real_digit = true;
            disguised |= how == Written::Disguised;
            i += c.len_utf8();
            continue;
        }
        if is_mark(c) {
            disguised = true;
            i += c.len_utf8();
            continue;
        }
        if c.is_ascii_alphabetic() {
            // "double"/"triple" repeat the next digit.
            if starts_with_ci(&word[i..], "double") || starts_with_ci(&word[i..], "triple") {
                let times = if bytes[i].eq_ignore_ascii_case(&b'd') {
                    2
                } else {
                    3
                };
                let after = i + 6;
                let next = digit_word_head(&word[after..])?;
                for _ in 0..times {
                    digits.push(next.0);
                }
                real_digit = true;
                disguised = true;
                i = after + next.1;
                continue;
            }
            if let Some((name, values)) = NUMBER_WORDS
                .iter()
                .find(|(name, _)| starts_with_ci(&word[i..], name))
            {
                digits.extend_from_slice(values);
                real_digit = true;
                disguised = true;
                i += name.len();
                continue;
            }
            let value = match bytes[i].to_ascii_lowercase() {
                b'o' => 0,
                b'l' | b'i' => 1,
                _ => return None,
            };
            digits.push(value);
            disguised = true;
            i += 1;
            continue;
        }
        return None;
    }
    // Look-alike letters count beside real digits ("O77OO", "l23"). A word of letters only
    // counts when it has two or more and a capital O ("OOOO", "OlOO"), and then only to continue
    // a number; "I", "o", "ill" and "lol" never do.
    let weak = !real_digit;
    if digits.is_empty() || (weak && (digits.len() < 2 || !word.contains('O'))) {
        return None;
    }
    Some(DigitWord {
        start,
        end: start + word.len(),
        digits,
        disguised,
        plus,
        weak,
    })
}

/// The digit at the head of `text` (a digit or a number word), with how many bytes it took.
fn digit_word_head(text: &str) -> Option<(u8, usize)> {
    let c = text.chars().next()?;
    if let Some((d, _)) = digit_value(c) {
        return Some((d, c.len_utf8()));
    }
    NUMBER_WORDS
        .iter()
        .find(|(name, _)| starts_with_ci(text, name))
        .map(|(name, values)| (values[0], name.len()))
}

/// The words of `text` that are digits, in order, with the text between consecutive ones.
fn digit_words(text: &str) -> Vec<(DigitWord, bool)> {
    // (word, whether only separators lie between it and the previous digit word)
    let mut out: Vec<(DigitWord, bool)> = Vec::new();
    let mut only_separators = false;
    let mut word_start: Option<usize> = None;
    let mut plus = false;
    // "double" or "triple" standing alone repeats the first digit of the next word.
    let mut repeat: Option<(usize, usize)> = None;
    let mut flush = |out: &mut Vec<(DigitWord, bool)>,
                     start: usize,
                     end: usize,
                     plus: bool,
                     only: &mut bool| {
        let word = &text[start..end];
        if word.eq_ignore_ascii_case("double") || word.eq_ignore_ascii_case("triple") {
            let extra = if word.eq_ignore_ascii_case("double") {
                1
            } else {
                2
            };
            repeat = Some((start, extra));
            return;
        }
        match digit_word(word, start, plus) {
            Some(mut w) => {
                if let Some((at, extra)) = repeat.take() {
                    let first = w.digits[0];
                    for _ in 0..extra {
                        w.digits.insert(0, first);
                    }
                    w.start = at;
                    w.disguised = true;
                }
                out.push((w, *only));
                *only = true;
            }
            None => {
                repeat = None;
                *only = false;
            }
        }
    };
    for (i, c) in text.char_indices() {
        if is_separator(c) || c == '+' {
            if let Some(s) = word_start.take() {
                flush(&mut out, s, i, plus, &mut only_separators);
                plus = false;
            }
            if c == '+' {
                plus = true;
            }
            continue;
        }
        if !c.is_alphanumeric() && !is_mark(c) {
            // Punctuation and symbols (`!`, `:`, `[`, `£`, emoji) end a word and break a number.
            if let Some(s) = word_start.take() {
                flush(&mut out, s, i, plus, &mut only_separators);
            }
            plus = false;
            only_separators = false;
            continue;
        }
        if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(s) = word_start {
        flush(&mut out, s, text.len(), plus, &mut only_separators);
    }
    out
}

/// National significant form of a UK number, or `None`.
fn uk_national(digits: &[u8], plus: bool) -> Option<Vec<u8>> {
    let mut d: &[u8] = digits;
    let international = if plus {
        d = d.strip_prefix(&[4, 4])?;
        true
    } else if let Some(rest) = d.strip_prefix(&[0, 0, 4, 4]) {
        d = rest;
        true
    } else if d.len() == 12 && d.starts_with(&[4, 4]) {
        d = &d[2..];
        true
    } else {
        false
    };
    let national: Vec<u8> = if international {
        // "+44 (0)7700 …": the trunk zero is dropped.
        let rest = d.strip_prefix(&[0]).unwrap_or(d);
        std::iter::once(0).chain(rest.iter().copied()).collect()
    } else {
        d.to_vec()
    };
    // Geographic (01, 02), non-geographic (03, 08) and mobile (07, but not 070 personal numbers).
    let valid = national.len() == 11
        && national[0] == 0
        && matches!(national[1], 1 | 2 | 3 | 7 | 8)
        && !(national[1] == 7 && national[2] == 0);
    valid.then_some(national)
}

/// Whether the digits can begin a UK number (for joining a number split across words).
fn starts_a_number(digits: &[u8]) -> bool {
    digits.len() >= 4
        && digits.len() < 11
        && digits[0] == 0
        && matches!(digits[1], 1 | 2 | 3 | 7 | 8)
}

/// Words allowed between the halves of a split number, and how far apart the halves may be.
const MAX_SPLIT_GAP: usize = 32;
const MAX_SPLIT_WORDS: usize = 5;

fn split_gap_ok(gap: &str) -> bool {
    gap.len() <= MAX_SPLIT_GAP
        && gap.split_whitespace().count() <= MAX_SPLIT_WORDS
        && !gap
            .chars()
            .any(|c| c.is_ascii_digit() || matches!(c, '£' | '$' | '€' | '@'))
}

/// Finds the UK phone numbers in `text`.
pub fn find_phones(text: &str) -> Vec<PhoneFact> {
    let words = digit_words(text);
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match number_from(text, &words, i) {
            Some((fact, next)) => {
                found.push(fact);
                i = next;
            }
            None => i += 1,
        }
    }
    found
}

/// The number starting at digit word `i`, and the index of the word after it.
fn number_from(text: &str, words: &[(DigitWord, bool)], i: usize) -> Option<(PhoneFact, usize)> {
    if words[i].0.weak {
        return None;
    }
    let plus = words[i].0.plus;
    let mut digits: Vec<u8> = Vec::with_capacity(16);
    let mut disguised = false;
    let mut single_digit_words = 0;
    let mut split = false;
    let mut punctuated = false;
    let mut j = i;
    while j < words.len() {
        let (word, joined) = &words[j];
        if j > i && !joined {
            // A split number: the first part must begin a number and the gap be a few words.
            let gap = &text[words[j - 1].0.end..word.start];
            if split || !starts_a_number(&digits) || !split_gap_ok(gap) {
                return None;
            }
            split = true;
        } else if j > i {
            let gap = &text[words[j - 1].0.end..word.start];
            punctuated |= gap.contains(['.', '/', '-', ',', '\u{2013}', '\u{2014}']);
        }
        digits.extend_from_slice(&word.digits);
        disguised |= word.disguised;
        single_digit_words += usize::from(word.digits.len() == 1);
        if digits.len() > 14 {
            return None;
        }
        if let Some(national) = uk_national(&digits, plus) {
            let e164 = format!(
                "+44{}",
                national[1..]
                    .iter()
                    .map(|d| char::from(b'0' + d))
                    .collect::<String>()
            );
            let start = words[i].0.start - usize::from(plus);
            let obfuscated = disguised || split || punctuated || single_digit_words >= 5;
            return Some((
                PhoneFact {
                    e164,
                    start,
                    end: word.end,
                    obfuscated,
                },
                j + 1,
            ));
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(text: &str) -> Vec<(String, bool, &str)> {
        find_phones(text)
            .into_iter()
            .map(|p| (p.e164, p.obfuscated, &text[p.start..p.end]))
            .collect()
    }

    #[test]
    fn plain_and_international_forms() {
        assert_eq!(
            phones("Call 07700 900123 now"),
            [("+447700900123".into(), false, "07700 900123")]
        );
        for text in ["07700900123", "(07700) 900123", "07700 900 123"] {
            assert_eq!(phones(text)[0].0, "+447700900123", "{text}");
            assert!(!phones(text)[0].1, "{text}");
        }
        for text in ["07700-900-123", "07700.900.123", "07700/900/123"] {
            assert_eq!(phones(text)[0].0, "+447700900123", "{text}");
            assert!(
                phones(text)[0].1,
                "{text}: punctuated digits are an obfuscation"
            );
        }
        for text in [
            "+44 7700 900123",
            "+447700900123",
            "0044 7700 900123",
            "+44 (0)7700 900123",
            "447700900123",
        ] {
            assert_eq!(phones(text)[0].0, "+447700900123", "{text}");
        }
        assert_eq!(phones("ring 0121 496 0123")[0].0, "+441214960123");
        assert_eq!(phones("020 7946 0999")[0].0, "+442079460999");
        assert_eq!(phones("Ring +44 7700 900123")[0].2, "+44 7700 900123");
    }

    #[test]
    fn disguised_forms_are_found_and_flagged() {
        for text in [
            "O77OO 9OO l23",
            "o7seven00 9OO 123",
            "zero seven seven zero zero nine zero zero one two three",
            "oh seven seven double oh nine double oh one two three",
            "０７７００ ９００１２３",
            "0\u{fe0f}\u{20e3}7\u{fe0f}\u{20e3}7\u{fe0f}\u{20e3}0\u{fe0f}\u{20e3}0\u{fe0f}\u{20e3}9\u{fe0f}\u{20e3}0\u{fe0f}\u{20e3}0\u{fe0f}\u{20e3}1\u{fe0f}\u{20e3}2\u{fe0f}\u{20e3}3\u{fe0f}\u{20e3}",
            "0 7 7 0 0 9 0 0 1 2 3",
            "07700. Then 900123",
            "07700 and the rest is 900123",
        ] {
            let found = phones(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].0, "+447700900123", "{text}");
            assert!(found[0].1, "{text} should be flagged obfuscated");
        }
    }

    #[test]
    fn decoys_are_not_phones() {
        for text in [
            "£80 30min, £120 1hr",
            "Available 10am-2am, 24/7",
            "Back 12/11/2026",
            "I'm 5ft 4, size 8, 34C",
            "Age 24. Near B5 6DY",
            "Call 07700 900",
            "Room 101, flat 2, 3 nights",
            "I am 24 years old, 07700 is my lucky number",
            "0700 900123",
            "07000 900123",
            "Call 07700 900 ill ring back",
            "I lol at 07700 900",
        ] {
            assert!(phones(text).is_empty(), "{text}: {:?}", phones(text));
        }
    }

    #[test]
    fn numbers_next_to_decoys_keep_their_own_digits() {
        assert_eq!(phones("size 8 07700 900123")[0].0, "+447700900123");
        assert_eq!(phones("24/7 07700 900123 £80")[0].0, "+447700900123");
        let two = phones("07700 900123 or 07700 900456");
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].0, "+447700900456");
    }

    #[test]
    fn spans_point_at_the_number_as_written() {
        let text = "Hi 😊 call O77OO 9OO l23 x";
        let p = &find_phones(text)[0];
        assert_eq!(&text[p.start..p.end], "O77OO 9OO l23");
    }
}
