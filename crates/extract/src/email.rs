//! E-mail addresses in text: ordinary ones (`mia@example.com`) and spelled-out ones
//! (`mia at example dot com`, `mia [at] example [dot] co [dot] uk`), normalised to lower case.

use serde::Serialize;

/// An e-mail address found in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailFact {
    /// The address, lower case.
    pub address: String,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Written out (`at`, `dot`) to defeat reading.
    pub obfuscated: bool,
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Whether `domain` looks like a real domain: labels of letters, digits and inner hyphens, and
/// an alphabetic top-level label of two or more letters.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Finds e-mail addresses in `text`.
pub fn find_emails(text: &str) -> Vec<EmailFact> {
    let mut found = plain(text);
    for fact in spelled(text) {
        if !found
            .iter()
            .any(|f| f.start < fact.end && fact.start < f.end)
        {
            found.push(fact);
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

fn plain(text: &str) -> Vec<EmailFact> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_local_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let after = &text[at + 1..];
        let len = after
            .char_indices()
            .take_while(|(_, c)| is_domain_char(*c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let local = text[start..at].trim_start_matches('.');
        let start = at - local.len();
        let domain = after[..len].trim_end_matches(['.', '-']);
        if local.is_empty() || !valid_domain(domain) {
            continue;
        }
        found.push(EmailFact {
            address: format!("{local}@{domain}").to_ascii_lowercase(),
            start,
            end: at + 1 + domain.len(),
            obfuscated: false,
        });
    }
    found
}

/// A word of the text with its span, brackets stripped (`[at]` → `at`).
fn words(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let part = c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+');
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let raw = &text[s..i];
                let word = raw.trim_matches('.');
                if !word.is_empty() {
                    let offset = raw.len() - raw.trim_start_matches('.').len();
                    out.push((s + offset, s + offset + word.len(), word));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Whether the text has a standalone `at` (any case), without which nothing is spelled out.
fn has_word_at(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(1)).any(|i| {
        b[i].eq_ignore_ascii_case(&b'a')
            && b[i + 1].eq_ignore_ascii_case(&b't')
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// `name at domain dot com`, `name (at) domain (dot) co (dot) uk`.
fn spelled(text: &str) -> Vec<EmailFact> {
    if !has_word_at(text) {
        return Vec::new();
    }
    let words = words(text);
    let mut found = Vec::new();
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    let mut i = 0;
    while i + 4 < words.len() {
        if !is(words[i + 1].2, "at") {
            i += 1;
            continue;
        }
        let local = words[i].2;
        // domain words joined by "dot"
        let mut labels = vec![words[i + 2].2];
        let mut j = i + 3;
        while j + 1 < words.len() && is(words[j].2, "dot") && labels.len() < 6 {
            labels.push(words[j + 1].2);
            j += 2;
        }
        let domain = labels.join(".");
        let gap_ok = text[words[i].1..words[j - 1].1].len() < 80;
        if labels.len() >= 2 && gap_ok && local.chars().all(is_local_char) && valid_domain(&domain)
        {
            found.push(EmailFact {
                address: format!("{local}@{domain}").to_ascii_lowercase(),
                start: words[i].0,
                end: words[j - 1].1,
                obfuscated: true,
            });
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str) -> Vec<(String, bool, &str)> {
        find_emails(text)
            .into_iter()
            .map(|e| (e.address, e.obfuscated, &text[e.start..e.end]))
            .collect()
    }

    #[test]
    fn plain_addresses() {
        assert_eq!(
            emails("Mail Mia.Rose@Example.com."),
            [("mia.rose@example.com".into(), false, "Mia.Rose@Example.com")]
        );
        assert_eq!(
            emails("bookings@the-orchid.example, x")[0].0,
            "bookings@the-orchid.example"
        );
        assert!(emails("@ me on insta, a@b, x@y.z1, user@localhost").is_empty());
    }

    #[test]
    fn spelled_addresses() {
        assert_eq!(
            emails("email mia at example dot com for pics"),
            [("mia@example.com".into(), true, "mia at example dot com")]
        );
        assert_eq!(
            emails("jade [at] example [dot] co [dot] uk")[0].0,
            "jade@example.co.uk"
        );
        assert!(emails("meet at the station dot on time").is_empty());
        assert!(emails("I'm at home tonight").is_empty());
    }
}
