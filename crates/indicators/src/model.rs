//! The catalogue's records, as read from TOML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The file as written: a table of sources and a list of indicators.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogueFile {
    /// Source id (`S45`) → title and publisher.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Every indicator, in file order.
    #[serde(default)]
    pub indicator: Vec<Indicator>,
}

/// One indicator: a neutral, observable sign, never proof on its own.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable code `IND-<DOMAIN>-<NNN>`; never reused or renumbered.
    pub code: String,
    /// Wording version; a change of wording raises it.
    pub version: u32,
    /// Domain, the code's middle part (`ADV`, `SEX`, `SIT`...).
    pub domain: String,
    /// Sectors the indicator is used in (empty for cross-cutting ones).
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Neutral, observational wording (paraphrased, not quoted guidance).
    pub wording: String,
    /// Who can observe it.
    pub observable_by: Vec<Observer>,
    /// What kind of evidence it is.
    pub evidence_kind: EvidenceKind,
    /// What it is observed on.
    pub applies_to: AppliesTo,
    /// What to beware of when reading it (bias, weak evidence).
    #[serde(default)]
    pub bias_caution: String,
    /// Source ids from the catalogue's `[sources]` table.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Verification tags as given in the brief (`V`, `P`, `U`, `D`, joined by `/`).
    pub verification: String,
    /// Whether it is in use.
    pub status: Status,
    /// The code that replaces a deprecated indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// Indicator or contra-indicator (a sign that must not count).
    pub kind: Kind,
    /// Whether a risk model may give it weight. Always false for contra-indicators and for
    /// anything touching nationality, ethnicity or religion.
    pub scored: bool,
    /// How Lantern detects it, if it does.
    pub detection: Detection,
    /// For `advert_phrases`: lower-case phrases matched as whole words, in any case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
}

/// Who can observe an indicator.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Observer {
    /// Anyone passing by, or reading an advert.
    Public,
    /// A professional in the course of their work.
    Professional,
    /// Someone on a visit or interview.
    VisitInterview,
    /// Someone checking documents.
    DocumentCheck,
}

/// The kind of evidence an indicator is.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvidenceKind {
    /// Seen directly.
    Observed,
    /// Told by the person concerned.
    Disclosed,
    /// Told by someone else.
    ReportedSecondHand,
    /// Found in a record or document.
    Record,
}

/// What an indicator is observed on.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppliesTo {
    /// A person.
    Person,
    /// A place.
    Premises,
    /// A business.
    Business,
    /// An online listing.
    Listing,
}

/// Whether an indicator is in use.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In use.
    Active,
    /// Retired; see `superseded_by`.
    Deprecated,
}

/// Indicator or contra-indicator.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A sign that may raise concern when layered with others.
    Indicator,
    /// A sign that research shows must not raise concern; recorded, never scored.
    ContraIndicator,
}

/// How Lantern detects an indicator.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    /// Not detected automatically: a person records it (on a visit, from a document).
    None,
    /// By the catalogue's phrases in advert text.
    AdvertPhrases,
    /// By a phone number written to defeat reading.
    ObfuscatedPhone,
    /// By structure found when linking listings (shared numbers, images, towns).
    Linking,
}

impl Indicator {
    /// Whether the indicator is active and may carry weight in a score.
    pub fn is_scorable(&self) -> bool {
        self.scored && self.status == Status::Active && self.kind == Kind::Indicator
    }
}
