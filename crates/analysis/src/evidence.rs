//! What one listing offers the analysis, folded from the facts of its captures. Folding is a
//! union of sets (and a minimum for examples), so the order captures arrive in never matters:
//! an incremental analysis equals a full one.

use std::collections::{BTreeMap, BTreeSet};

use lantern_core::{Capture, Timestamp};
use lantern_extract::CaptureFacts;
use serde::{Deserialize, Serialize};

use crate::area::{Area, area_of_capture};

/// Version of the evidence format; evidence of another version is recomputed. 4: listings also
/// get a search document (a store analysed before search existed is analysed again in full).
/// 5: listings also get a link state (sketch and cluster) for incremental linking.
pub const EVIDENCE_VERSION: u32 = 5;

/// A store's capture id (increasing in ingest order).
pub type CaptureId = i64;

/// One indicator example: where a catalogue indicator was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IndicatorSeen {
    /// Catalogue code.
    pub code: String,
    /// Whether a risk model may weigh it.
    pub scored: bool,
    /// The capture it was found in.
    pub capture: CaptureId,
    /// The field (`title`, `body`...).
    pub field: String,
    /// The text as written.
    pub text: String,
    /// Byte span in that field.
    pub start: usize,
    /// End of the span.
    pub end: usize,
}

/// Where a listing was advertised, and in which captures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaSeen {
    /// The area.
    pub area: Area,
    /// When each capture naming it was taken, by capture id.
    pub captures: BTreeMap<CaptureId, Timestamp>,
}

/// Everything the analysis keeps of one listing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListingEvidence {
    /// Format version ([`EVIDENCE_VERSION`]).
    pub version: u32,
    /// Phones, E.164.
    pub phones: BTreeSet<String>,
    /// E-mail addresses.
    pub emails: BTreeSet<String>,
    /// Messaging handles, `service:handle`.
    pub handles: BTreeSet<String>,
    /// Image hashes as given.
    pub images: BTreeSet<String>,
    /// Stated ages.
    pub ages: BTreeSet<u8>,
    /// Areas advertised, by area key.
    pub areas: BTreeMap<String, AreaSeen>,
    /// MinHash signature of the masked body's shingles, over every capture (empty when too
    /// short to compare).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_signature: Vec<u32>,
    /// The earliest capture's masked body: the listing's template with its slots marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<(CaptureId, String)>,
    /// Stated prices in pounds.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub prices: BTreeSet<u32>,
    /// One example per indicator code and wording (key `CODE|wording in lower case`): the
    /// earliest capture's.
    pub indicators: BTreeMap<String, IndicatorSeen>,
}

impl ListingEvidence {
    /// The words a listing is found by in search: its phones (digits, international and
    /// national), e-mails, handles, places and postcodes, indicator codes and its template (the
    /// masked body). Built from evidence, so the index holds no more than the analysis keeps.
    pub fn search_document(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        for p in &self.phones {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if let Some(national) = digits.strip_prefix("44") {
                words.push(format!("0{national}"));
            }
            words.push(digits);
        }
        words.extend(self.emails.iter().cloned());
        words.extend(self.handles.iter().map(|h| h.replace(':', " ")));
        for seen in self.areas.values() {
            words.push(seen.area.label.clone());
            if let Some(pc) = &seen.area.postcode {
                words.push(pc.replace(' ', ""));
                words.push(pc.clone());
            }
        }
        words.extend(self.indicators.keys().cloned());
        if let Some((_, template)) = &self.template {
            words.push(template.clone());
        }
        words.join(" ")
    }

    /// The evidence of one capture.
    pub fn of_capture(
        capture: &Capture,
        id: CaptureId,
        facts: &CaptureFacts,
        gazetteer: &lantern_geo::Gazetteer,
    ) -> Self {
        let mut e = Self {
            version: EVIDENCE_VERSION,
            phones: facts.phones(),
            emails: facts.emails(),
            handles: facts.handles(),
            images: facts.images.iter().cloned().collect(),
            ..Self::default()
        };
        for field in &facts.fields {
            e.ages.extend(field.facts.ages.iter().map(|a| a.years));
            e.prices.extend(field.facts.prices.iter().map(|p| p.pounds));
            if field.field == "body" {
                let masked =
                    crate::text::masked(&capture.body, &field.facts, capture.poster.as_deref());
                e.text_signature = crate::text::signature(&masked).unwrap_or_default();
                e.template = Some((id, masked));
            }
            for ind in &field.facts.indicators {
                let seen = IndicatorSeen {
                    code: ind.code.clone(),
                    scored: ind.scored,
                    capture: id,
                    field: field.field.to_owned(),
                    text: ind.text.clone(),
                    start: ind.start,
                    end: ind.end,
                };
                e.indicators
                    .entry(format!("{}|{}", ind.code, ind.text.to_lowercase()))
                    .and_modify(|old| {
                        if seen < *old {
                            *old = seen.clone();
                        }
                    })
                    .or_insert(seen);
            }
        }
        if let Some(area) = area_of_capture(capture, facts, gazetteer) {
            let mut captures = BTreeMap::new();
            captures.insert(id, capture.captured_at);
            e.areas
                .insert(area.key.clone(), AreaSeen { area, captures });
        }
        e
    }

    /// Folds `other` into `self` (union; the earliest example of each indicator).
    pub fn merge(&mut self, other: Self) {
        self.version = EVIDENCE_VERSION;
        self.phones.extend(other.phones);
        self.emails.extend(other.emails);
        self.handles.extend(other.handles);
        self.images.extend(other.images);
        self.ages.extend(other.ages);
        self.prices.extend(other.prices);
        crate::text::union(&mut self.text_signature, &other.text_signature);
        match (&self.template, other.template) {
            (Some((mine, _)), Some((theirs, text))) if theirs < *mine => {
                self.template = Some((theirs, text));
            }
            (None, Some(t)) => self.template = Some(t),
            _ => {}
        }
        for (key, seen) in other.areas {
            match self.areas.get_mut(&key) {
                Some(mine) => mine.captures.extend(seen.captures),
                None => {
                    self.areas.insert(key, seen);
                }
            }
        }
        for (key, seen) in other.indicators {
            match self.indicators.get_mut(&key) {
                Some(mine) if seen < *mine => *mine = seen,
                Some(_) => {}
                None => {
                    self.indicators.insert(key, seen);
                }
            }
        }
    }
}
