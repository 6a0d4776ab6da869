//! Lantern's indicator catalogue: the signs of exploitation the partnership looks for, each with a
//! stable code, neutral wording, who can observe it, what evidence it is, a bias caution and its
//! sources. The catalogue is data (`data/indicators.toml`, compiled in) and is validated when it
//! loads, so a broken catalogue is a clear error at start, never a silent mis-score.
//!
//! Guardrails enforced here, not just documented: contra-indicators are never `scored`; the
//! indicator about stated ethnicity or nationality (`IND-ADV-007`) is never scored nor detected;
//! only listing indicators are detected in advert text.

mod model;
mod validate;

pub use model::{AppliesTo, Detection, EvidenceKind, Indicator, Kind, Observer, Status};
pub use validate::CatalogueError;

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The catalogue shipped with Lantern.
const EMBEDDED: &str = include_str!("../../../data/indicators.toml");

/// Codes that touch nationality, ethnicity or religion: never scored, never detected.
pub const SENSITIVE_CODES: &[&str] = &["IND-ADV-007"];

/// Known domains (domain-uk.md §3.2).
pub const DOMAINS: &[&str] = &[
    "GEN", "PHY", "PSY", "SIT", "ENV", "LAB", "CW", "NB", "CAN", "AGR", "CON", "MAN", "SEX", "HOS",
    "ADV", "DS", "CRI", "CCE", "ORG",
];

/// A validated catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    sources: BTreeMap<String, String>,
    indicators: Vec<Indicator>,
}

impl Catalogue {
    /// Parses and validates a catalogue; `origin` names it in errors (a file path, or
    /// "embedded").
    pub fn parse(text: &str, origin: &str) -> Result<Self, CatalogueError> {
        let file: model::CatalogueFile =
            toml::from_str(text).map_err(|e| CatalogueError::Syntax {
                origin: origin.to_owned(),
                message: e.to_string(),
            })?;
        validate::validate(&file, origin)?;
        Ok(Self {
            sources: file.sources,
            indicators: file.indicator,
        })
    }

    /// The catalogue compiled into Lantern, validated once on first use.
    pub fn embedded() -> Result<&'static Catalogue, CatalogueError> {
        static LOADED: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();
        LOADED
            .get_or_init(|| Catalogue::parse(EMBEDDED, "embedded data/indicators.toml"))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Every indicator, in catalogue order.
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// The current (highest-version) record of a code.
    pub fn get(&self, code: &str) -> Option<&Indicator> {
        self.indicators
            .iter()
            .filter(|i| i.code == code)
            .max_by_key(|i| i.version)
    }

    /// The title of a source id.
    pub fn source(&self, id: &str) -> Option<&str> {
        self.sources.get(id).map(String::as_str)
    }

    /// Indicators detected in advert text by phrase, with their phrases.
    pub fn advert_phrase_indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators
            .iter()
            .filter(|i| i.detection == Detection::AdvertPhrases && i.status == Status::Active)
    }

    /// Indicators matching every given filter (`None` matches all).
    pub fn filter(&self, filter: &Filter) -> Vec<&Indicator> {
        self.indicators
            .iter()
            .filter(|i| filter.matches(i))
            .collect()
    }
}

/// A selection of the catalogue, for `lantern indicators`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Domain code (`ADV`), any case.
    pub domain: Option<String>,
    /// Sector name (`car_wash`).
    pub sector: Option<String>,
    /// What the indicator is observed on.
    pub applies_to: Option<AppliesTo>,
    /// Who can observe it.
    pub observable_by: Option<Observer>,
    /// Words that must all begin a word of the code or wording, any case (`injur` finds
    /// "injuries").
    pub text: Option<String>,
    /// Include deprecated indicators.
    pub include_deprecated: bool,
}

impl Filter {
    /// Whether `indicator` passes the filter.
    pub fn matches(&self, indicator: &Indicator) -> bool {
        let domain_ok = self
            .domain
            .as_ref()
            .is_none_or(|d| d.eq_ignore_ascii_case(&indicator.domain));
        let sector_ok = self
            .sector
            .as_ref()
            .is_none_or(|s| indicator.sectors.iter().any(|x| x.eq_ignore_ascii_case(s)));
        let applies_ok = self.applies_to.is_none_or(|a| a == indicator.applies_to);
        let observer_ok = self
            .observable_by
            .is_none_or(|o| indicator.observable_by.contains(&o));
        let text_ok = self.text.as_ref().is_none_or(|t| {
            let haystack = format!("{} {}", indicator.code, indicator.wording).to_lowercase();
            let words: Vec<&str> = haystack
                .split(|c: char| !c.is_alphanumeric() && c != '-')
                .collect();
            t.to_lowercase()
                .split_whitespace()
                .all(|q| words.iter().any(|w| w.starts_with(q)))
        });
        let status_ok = self.include_deprecated || indicator.status == Status::Active;
        domain_ok && sector_ok && applies_ok && observer_ok && text_ok && status_ok
    }
}
