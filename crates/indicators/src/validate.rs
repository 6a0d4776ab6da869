//! The catalogue's rules, checked on load. Each error names the entry, its code and the field.

use std::collections::{HashMap, HashSet};

use crate::model::{AppliesTo, CatalogueFile, Detection, Indicator, Kind, Status};
use crate::{DOMAINS, SENSITIVE_CODES};

/// Why a catalogue was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    /// Not TOML, or not the catalogue's shape (the message names the line).
    #[error("{origin}: {message}")]
    Syntax {
        /// The file, or "embedded".
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// An entry breaks a rule.
    #[error("{origin}: indicator #{entry} ({code}): {field}: {reason}")]
    Rule {
        /// The file, or "embedded".
        origin: String,
        /// 1-based position of the `[[indicator]]` entry.
        entry: usize,
        /// The entry's code as written.
        code: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Checks every rule; the first broken one is the error.
pub(crate) fn validate(file: &CatalogueFile, origin: &str) -> Result<(), CatalogueError> {
    let mut seen: HashSet<(&str, u32)> = HashSet::new();
    let mut active: HashSet<&str> = HashSet::new();
    let mut phrase_owner: HashMap<&str, &str> = HashMap::new();
    let codes: HashSet<&str> = file.indicator.iter().map(|i| i.code.as_str()).collect();
    for (n, ind) in file.indicator.iter().enumerate() {
        let fail = |field: &'static str, reason: String| CatalogueError::Rule {
            origin: origin.to_owned(),
            entry: n + 1,
            code: ind.code.clone(),
            field,
            reason,
        };
        check_code(ind).map_err(|r| fail("code", r))?;
        if !seen.insert((&ind.code, ind.version)) {
            return Err(fail(
                "version",
                format!("code and version {} appear twice", ind.version),
            ));
        }
        if ind.status == Status::Active && !active.insert(&ind.code) {
            return Err(fail(
                "status",
                "two active versions of one code; deprecate the older".into(),
            ));
        }
        if ind.wording.trim().is_empty() {
            return Err(fail("wording", "empty".into()));
        }
        if ind.observable_by.is_empty() {
            return Err(fail("observable_by", "names no observer".into()));
        }
        if let Some(s) = ind.sources.iter().find(|s| !file.sources.contains_key(*s)) {
            return Err(fail(
                "sources",
                format!("{s} is not in the [sources] table"),
            ));
        }
        if ind.verification.is_empty()
            || !ind
                .verification
                .split('/')
                .all(|t| matches!(t, "V" | "P" | "U" | "D"))
        {
            return Err(fail(
                "verification",
                format!(
                    "{:?} is not tags V, P, U or D joined by /",
                    ind.verification
                ),
            ));
        }
        match (ind.status, &ind.superseded_by) {
            (Status::Deprecated, None) => {
                return Err(fail(
                    "superseded_by",
                    "a deprecated indicator names its successor".into(),
                ));
            }
            (Status::Deprecated, Some(s)) if !codes.contains(s.as_str()) => {
                return Err(fail(
                    "superseded_by",
                    format!("{s} is not in the catalogue"),
                ));
            }
            (Status::Active, Some(_)) => {
                return Err(fail(
                    "superseded_by",
                    "only deprecated indicators are superseded".into(),
                ));
            }
            _ => {}
        }
        check_scoring(ind).map_err(|(field, r)| fail(field, r))?;
        check_detection(ind).map_err(|(field, r)| fail(field, r))?;
        for phrase in &ind.phrases {
            if let Some(other) = phrase_owner.insert(phrase, &ind.code)
                && other != ind.code
            {
                return Err(fail(
                    "phrases",
                    format!("{phrase:?} is already a phrase of {other}"),
                ));
            }
        }
    }
    Ok(())
}

/// `IND-<DOMAIN>-<NNN>` (or `X<NN>` for contra-indicators), domain known and equal to `domain`.
fn check_code(ind: &Indicator) -> Result<(), String> {
    let parts: Vec<&str> = ind.code.split('-').collect();
    let [prefix, domain, number] = parts.as_slice() else {
        return Err("not IND-<DOMAIN>-<NNN>".into());
    };
    if *prefix != "IND" {
        return Err("does not start with IND-".into());
    }
    if !DOMAINS.contains(domain) {
        return Err(format!("unknown domain {domain}"));
    }
    if *domain != ind.domain {
        return Err(format!("domain field says {}", ind.domain));
    }
    let digits = number.strip_prefix('X').unwrap_or(number);
    if number.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{number} is not three digits (or X and two digits)"
        ));
    }
    if number.starts_with('X') != (ind.kind == Kind::ContraIndicator) {
        return Err("X numbers are for contra-indicators, and only for them".into());
    }
    Ok(())
}

/// Contra-indicators and sensitive codes are never scored.
fn check_scoring(ind: &Indicator) -> Result<(), (&'static str, String)> {
    if ind.kind == Kind::ContraIndicator && ind.scored {
        return Err(("scored", "a contra-indicator is never scored".into()));
    }
    if SENSITIVE_CODES.contains(&ind.code.as_str()) {
        if ind.scored {
            return Err((
                "scored",
                "nationality, ethnicity and religion are never score inputs".into(),
            ));
        }
        if ind.detection != Detection::None {
            return Err((
                "detection",
                "Lantern does not extract nationality, ethnicity or religion".into(),
            ));
        }
    }
    Ok(())
}

/// Phrases only for `advert_phrases`; automatic detection only on listings.
fn check_detection(ind: &Indicator) -> Result<(), (&'static str, String)> {
    let phrased = ind.detection == Detection::AdvertPhrases;
    if phrased && ind.phrases.is_empty() {
        return Err(("phrases", "advert_phrases detection needs phrases".into()));
    }
    if !phrased && !ind.phrases.is_empty() {
        return Err((
            "phrases",
            "phrases are only for advert_phrases detection".into(),
        ));
    }
    if ind.detection != Detection::None && ind.applies_to != AppliesTo::Listing {
        return Err((
            "detection",
            "only listing indicators are detected automatically".into(),
        ));
    }
    for p in &ind.phrases {
        let ok = !p.is_empty()
            && p.len() <= 60
            && p.trim() == p
            && !p.contains("  ")
            && *p == p.to_lowercase();
        if !ok {
            return Err((
                "phrases",
                format!("{p:?} must be lower case, trimmed, single-spaced, 1-60 bytes"),
            ));
        }
    }
    Ok(())
}
