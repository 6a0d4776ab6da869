//! Stated ages, prices with their time units, messaging handles and URLs, each with its span.
//!
//! Word-level patterns over a light tokenisation (runs of letters, digits, `£`, `@`, `_`, `.`,
//! `/`, `:`), so each rule reads like what it matches and nothing backtracks.

use serde::Serialize;

/// A word with its byte span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

/// Splits `text` into words (see the module comment). ASCII bytes are classified by table;
/// only other characters are decoded.
pub(crate) fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::with_capacity(text.len() / 5);
    let bytes = text.as_bytes();
    // A comma between digits (`£1,000`) is part of the number.
    let thousands = |i: usize| {
        i > 0 && bytes[i - 1].is_ascii_digit() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
    };
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i <= bytes.len() {
        let (kept, width) = match bytes.get(i) {
            None => (false, 1),
            Some(&b) if b.is_ascii() => (
                b.is_ascii_alphanumeric()
                    || matches!(b, b'@' | b'_' | b'.' | b'/' | b':' | b'-' | b'\'')
                    || (b == b',' && thousands(i)),
                1,
            ),
            Some(_) => {
                let c = text[i..].chars().next().unwrap_or(' ');
                (c.is_alphanumeric() || c == '£', c.len_utf8())
            }
        };
        match (kept, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let raw = &text[s..i];
                let trimmed = raw.trim_end_matches(['.', ':', '-', '\'', '/']);
                let lead = raw.len() - raw.trim_start_matches(['.', ':', '-', '\'', '/']).len();
                if trimmed.len() > lead {
                    out.push(Word {
                        start: s + lead,
                        end: s + trimmed.len(),
                        text: &text[s + lead..s + trimmed.len()],
                    });
                }
                start = None;
            }
            _ => {}
        }
        i += width;
    }
    out
}

/// `text` without `prefix`, compared in any ASCII case.
fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn lower_is(word: &str, options: &[&str]) -> bool {
    options.iter().any(|o| word.eq_ignore_ascii_case(o))
}

/// A stated age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeFact {
    /// Years.
    pub years: u8,
    /// Under 18: a child; always to be acted on.
    pub under_18: bool,
    /// Byte offset of the phrase.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

fn small_number(text: &str) -> Option<u8> {
    let n: u8 = text.parse().ok()?;
    (10..=99).contains(&n).then_some(n)
}

/// Ages stated as `age 24`, `aged 24`, `I'm 24`, `24 years old`, `24yo`, `24 y/o`.
pub fn find_ages(text: &str) -> Vec<AgeFact> {
    ages_in(&words(text))
}

/// [`find_ages`] over words already split.
pub(crate) fn ages_in(w: &[Word<'_>]) -> Vec<AgeFact> {
    let mut found: Vec<AgeFact> = Vec::new();
    let mut push = |years: u8, start: usize, end: usize| {
        if !found.iter().any(|f| f.start == start) {
            found.push(AgeFact {
                years,
                under_18: years < 18,
                start,
                end,
            });
        }
    };
    for (i, word) in w.iter().enumerate() {
        let t = word.text;
        // 24yo, 24yrs
        let lower = t.to_ascii_lowercase();
        for suffix in ["yo", "yrs", "yr", "y/o"] {
            if let Some(n) = lower.strip_suffix(suffix).and_then(small_number) {
                push(n, word.start, word.end);
            }
        }
        let next = w.get(i + 1);
        // age 24, aged 24, I'm 24
        if lower_is(t, &["age", "aged", "i'm", "im", "age:"])
            && let Some(n) = next
                .and_then(|n| small_number(n.text.trim_end_matches(',')))
                .filter(|_| next.is_some())
        {
            let n_word = next.map_or(word, |n| n);
            push(n, word.start, n_word.end);
        }
        // 24 years old, 24 y/o
        if let Some(n) = small_number(t)
            && let Some(unit) = next
            && lower_is(unit.text, &["years", "year", "yrs", "yo", "y/o"])
        {
            let end = match w.get(i + 2) {
                Some(old) if lower_is(old.text, &["old"]) => old.end,
                _ => unit.end,
            };
            push(n, word.start, end);
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// A price with the time it buys, when stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceFact {
    /// Whole pounds.
    pub pounds: u32,
    /// Minutes bought (`30min` → 30, `1hr` → 60), when stated next to the price.
    pub minutes: Option<u32>,
    /// Byte offset of the phrase.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

fn minutes_of(word: &str, next: Option<&str>) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let (number, unit) = if number.is_empty() {
        // "half hour", "hour"
        return match unit {
            "hour" | "hr" | "hrs" | "h" => Some(60),
            "half" if next.is_some_and(|n| n.eq_ignore_ascii_case("hour")) => Some(30),
            "overnight" => Some(720),
            _ => None,
        };
    } else if unit.is_empty() {
        (
            number,
            next.map(str::to_ascii_lowercase).unwrap_or_default(),
        )
    } else {
        (number, unit.to_owned())
    };
    // A booking lasts at most a few days: larger numbers are not durations (and would overflow).
    let n: u32 = number.parse().ok().filter(|&n| n <= 10_000)?;
    match unit.as_str() {
        "min" | "mins" | "minute" | "minutes" | "m" => Some(n),
        "hr" | "hrs" | "hour" | "hours" | "h" | "ph" => Some(n * 60),
        _ => None,
    }
}

/// Prices: `£80`, `£80 30min`, `30 mins £70`, `£150 per hour`, `80ph`.
pub fn find_prices(text: &str) -> Vec<PriceFact> {
    prices_in(text, &words(text))
}

/// [`find_prices`] over words already split.
pub(crate) fn prices_in(text: &str, w: &[Word<'_>]) -> Vec<PriceFact> {
    let mut found = Vec::new();
    for (i, word) in w.iter().enumerate() {
        let t = word.text;
        let amount = if let Some(rest) = t.strip_prefix('£') {
            rest.replace(',', "").parse::<u32>().ok()
        } else if let Some(n) = t.to_ascii_lowercase().strip_suffix("ph") {
            n.parse::<u32>().ok().filter(|&n| n >= 20)
        } else {
            None
        };
        let Some(pounds) = amount.filter(|&p| p > 0 && p < 100_000) else {
            continue;
        };
        let per_hour = t.to_ascii_lowercase().ends_with("ph");
        // Words belong together only when no comma, full stop or line break parts them.
        let joined =
            |a: usize, b: usize| !text[w[a].end..w[b].start].contains([',', ';', '.', '|', '\n']);
        let is_price = |k: usize| w.get(k).is_some_and(|x| x.text.starts_with('£'));
        let mut end = word.end;
        let mut start = word.start;
        // After: "£80 30min", "£80 30 mins", "£150 per hour" — unless that duration leads the
        // next price ("30min £80 1hr £120").
        let after = (i + 1 < w.len() && joined(i, i + 1))
            .then(|| {
                let a = w[i + 1].text;
                let a2 = w.get(i + 2).map(|x| x.text);
                if lower_is(a, &["per", "a", "an"]) {
                    let m = a2.and_then(|x| minutes_of(x, None))?;
                    return Some((m, i + 2));
                }
                let m = minutes_of(a, a2)?;
                let last = if a.chars().all(|c| c.is_ascii_digit()) || lower_is(a, &["half"]) {
                    i + 2
                } else {
                    i + 1
                };
                (!(is_price(last + 1) && joined(last, last + 1))).then_some((m, last))
            })
            .flatten();
        // Before: "30 mins £70", "hour £110".
        let before = (i >= 1 && joined(i - 1, i))
            .then(|| {
                let b = w[i - 1].text;
                if i >= 2
                    && joined(i - 2, i - 1)
                    && w[i - 2].text.chars().all(|c| c.is_ascii_digit())
                    && let Some(m) = minutes_of(w[i - 2].text, Some(b))
                {
                    return Some((m, i - 2));
                }
                if i >= 2
                    && joined(i - 2, i - 1)
                    && lower_is(w[i - 2].text, &["half"])
                    && lower_is(b, &["hour"])
                {
                    return Some((30, i - 2));
                }
                minutes_of(b, None).map(|m| (m, i - 1))
            })
            .flatten();
        let minutes = if per_hour {
            Some(60)
        } else if let Some((m, last)) = after {
            end = w[last].end;
            Some(m)
        } else if let Some((m, first)) = before {
            start = w[first].start;
            Some(m)
        } else {
            None
        };
        found.push(PriceFact {
            pounds,
            minutes,
            start,
            end,
        });
    }
    found
}

/// A messaging handle or a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandleFact {
    /// `whatsapp`, `telegram`, `snapchat`, `instagram`, `onlyfans`, `twitter` or `url`.
    pub service: &'static str,
    /// The handle (lower case, without `@`) or the URL as written.
    pub value: String,
    /// Byte offset of the phrase.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

const SERVICES: &[(&str, &[&str])] = &[
    (
        "snapchat",
        &["snapchat", "snap", "sc", "snapchat:", "snap:", "sc:"],
    ),
    ("telegram", &["telegram", "tg", "telegram:", "tg:"]),
    (
        "instagram",
        &["instagram", "insta", "ig", "instagram:", "insta:", "ig:"],
    ),
    ("onlyfans", &["onlyfans", "of", "onlyfans:"]),
    ("twitter", &["twitter", "twitter:", "x:"]),
    ("whatsapp", &["whatsapp", "wa", "whatsapp:", "wa:"]),
];

const LINK_HOSTS: &[(&str, &str)] = &[
    ("t.me/", "telegram"),
    ("wa.me/", "whatsapp"),
    ("snapchat.com/add/", "snapchat"),
    ("instagram.com/", "instagram"),
    ("onlyfans.com/", "onlyfans"),
    ("twitter.com/", "twitter"),
    ("x.com/", "twitter"),
];

fn handle_text(text: &str) -> Option<String> {
    let h = text.trim_start_matches('@');
    (h.len() >= 2
        && h.len() <= 40
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        && h.chars().any(|c| c.is_ascii_alphabetic()))
    .then(|| h.trim_end_matches('.').to_ascii_lowercase())
}

/// Handles (`snap: mia_x`, `telegram @mia`, `t.me/mia`, `wa.me/447700900123`) and URLs.
pub fn find_handles(text: &str) -> Vec<HandleFact> {
    handles_in(&words(text))
}

/// [`find_handles`] over words already split.
pub(crate) fn handles_in(w: &[Word<'_>]) -> Vec<HandleFact> {
    let mut found: Vec<HandleFact> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let t = w[i].text;
        // Only words that can begin a link or a service name are looked at closer (no
        // allocation for the others: this runs on every word of every advert).
        if !t
            .bytes()
            .next()
            .is_some_and(|b| b"hHwWtTsSiIoOxX".contains(&b))
        {
            i += 1;
            continue;
        }
        let scheme_less = strip_prefix_ci(t, "https://")
            .or_else(|| strip_prefix_ci(t, "http://"))
            .unwrap_or(t);
        let link = strip_prefix_ci(scheme_less, "www.").unwrap_or(scheme_less);
        if let Some((host, service)) = LINK_HOSTS
            .iter()
            .find(|(h, _)| strip_prefix_ci(link, h).is_some())
            && let Some(value) = handle_text(&link[host.len()..])
        {
            found.push(HandleFact {
                service,
                value,
                start: w[i].start,
                end: w[i].end,
            });
            i += 1;
            continue;
        }
        if scheme_less.len() < t.len() || link.len() < scheme_less.len() {
            found.push(HandleFact {
                service: "url",
                value: t.to_owned(),
                start: w[i].start,
                end: w[i].end,
            });
            i += 1;
            continue;
        }
        // "snap: mia_x", "snapchat mia_x", "telegram @mia"; "of" needs an @ to mean OnlyFans.
        if let Some((service, _)) = SERVICES.iter().find(|(_, names)| lower_is(t, names))
            && let Some(next) = w.get(i + 1)
            && (next.text.starts_with('@')
                || !lower_is(t, &["of", "wa", "x:", "sc", "ig", "tg"])
                || t.ends_with(':'))
            && !lower_is(
                next.text,
                &[
                    "me",
                    "only",
                    "is",
                    "and",
                    "or",
                    "the",
                    "for",
                    "on",
                    "at",
                    "to",
                    "please",
                    "available",
                ],
            )
            && let Some(value) = handle_text(next.text)
        {
            found.push(HandleFact {
                service,
                value,
                start: w[i].start,
                end: next.end,
            });
            i += 2;
            continue;
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_their_usual_forms() {
        let years = |t: &str| {
            find_ages(t)
                .into_iter()
                .map(|a| a.years)
                .collect::<Vec<_>>()
        };
        assert_eq!(years("Hi, I'm 24, new in town"), [24]);
        assert_eq!(years("age 31. aged 45"), [31, 45]);
        assert_eq!(years("21yo student, 22 years old"), [21, 22]);
        assert_eq!(years("I'm 5ft 4, £80, 24/7, size 8"), Vec::<u8>::new());
        let child = find_ages("she is 16yo");
        assert!(child[0].under_18);
        let text = "Mia, 24 years old";
        let a = &find_ages(text)[0];
        assert_eq!(&text[a.start..a.end], "24 years old");
    }

    #[test]
    fn prices_with_their_time() {
        let prices = |t: &str| {
            find_prices(t)
                .into_iter()
                .map(|p| (p.pounds, p.minutes))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            prices("£80 30min, £120 1hr"),
            [(80, Some(30)), (120, Some(60))]
        );
        assert_eq!(
            prices("30 mins £70, hour £110"),
            [(70, Some(30)), (110, Some(60))]
        );
        assert_eq!(prices("£150 per hour"), [(150, Some(60))]);
        assert_eq!(prices("only 80ph"), [(80, Some(60))]);
        assert_eq!(prices("£1,000 overnight"), [(1000, Some(720))]);
        assert_eq!(prices("call 07700 900123, age 24, 5ft"), []);
    }

    #[test]
    fn huge_numbers_are_not_durations() {
        // Found by cargo fuzz: a ten-digit number before "hr" overflowed the minutes.
        assert_eq!(minutes_of("2766127661", Some("hr")), None);
        assert_eq!(minutes_of("4294967295hrs", None), None);
        let text = "2766127661\0'h\0\0\0\0\0\0\u{b}%$£76\0\x006";
        let _ = find_prices(text);
        let _ = find_ages(text);
    }

    #[test]
    fn handles_and_urls() {
        let handles = |t: &str| {
            find_handles(t)
                .into_iter()
                .map(|h| (h.service, h.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            handles("add my snap: mia_x"),
            [("snapchat", "mia_x".to_owned())]
        );
        assert_eq!(
            handles("Telegram @Ruby_21"),
            [("telegram", "ruby_21".to_owned())]
        );
        assert_eq!(
            handles("t.me/jade99 or wa.me/447700900123"),
            [("telegram", "jade99".to_owned())]
        );
        assert_eq!(
            handles("see https://site-a.example/ad/1"),
            [("url", "https://site-a.example/ad/1".to_owned())]
        );
        assert!(handles("one of the best, snap me a text").is_empty());
    }
}
