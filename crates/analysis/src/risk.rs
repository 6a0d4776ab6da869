//! Safeguarding concern per cluster: a transparent additive model (log-odds turned into 0..1),
//! weights in `data/risk.toml`, every contribution a reason with its evidence.
//!
//! Guardrails live here and in the configuration check, not in documentation alone: only
//! scorable catalogue indicators carry weight (never a contra-indicator, never nationality or
//! ethnicity, which are not even extracted); an indicator the extractor marked unscored is
//! skipped again here; structure (several workers, rotation, short-lived locations, many towns)
//! counts only for clusters with two or more workers, so a woman advertising herself, touring or
//! not, is never scored for it.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use lantern_core::export::RiskBand;
use lantern_indicators::Catalogue;
use serde::Deserialize;

use crate::ListingInput;

/// The model shipped with Lantern.
const EMBEDDED: &str = include_str!("../../../data/risk.toml");

/// Why a risk configuration was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{origin}: {reason}")]
pub struct RiskConfigError {
    /// The file, or "embedded".
    pub origin: String,
    /// What is wrong.
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bands {
    medium: f64,
    high: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Structure {
    several_workers: f64,
    rotation: f64,
    short_lived: f64,
    many_towns: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    bias: f64,
    bands: Bands,
    indicators: BTreeMap<String, f64>,
    structure: Structure,
}

/// A validated risk model.
#[derive(Debug)]
pub struct RiskModel {
    file: ModelFile,
    wording: BTreeMap<String, String>,
}

impl RiskModel {
    /// Parses and checks a model against the indicator catalogue.
    pub fn parse(text: &str, origin: &str, catalogue: &Catalogue) -> Result<Self, RiskConfigError> {
        let fail = |reason: String| RiskConfigError {
            origin: origin.to_owned(),
            reason,
        };
        let file: ModelFile = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let b = &file.bands;
        if !(0.0 < b.medium && b.medium < b.high && b.high < 1.0) {
            return Err(fail(format!(
                "bands: need 0 < medium ({}) < high ({}) < 1",
                b.medium, b.high
            )));
        }
        let mut wording = BTreeMap::new();
        for (code, weight) in &file.indicators {
            let ind = catalogue
                .get(code)
                .ok_or_else(|| fail(format!("indicators: {code} is not in the catalogue")))?;
            if !ind.is_scorable() {
                return Err(fail(format!(
                    "indicators: {code} may not be scored (a contra-indicator, a sensitive \
                     attribute or a retired code): {}",
                    ind.bias_caution
                )));
            }
            if !weight.is_finite() || *weight < 0.0 {
                return Err(fail(format!(
                    "indicators: {code} has weight {weight}; weights are finite and not negative"
                )));
            }
            wording.insert(code.clone(), ind.wording.clone());
        }
        let s = &file.structure;
        for (name, w) in [
            ("several_workers", s.several_workers),
            ("rotation", s.rotation),
            ("short_lived", s.short_lived),
            ("many_towns", s.many_towns),
        ] {
            if !w.is_finite() || w < 0.0 {
                return Err(fail(format!("structure: {name} has weight {w}")));
            }
        }
        if !file.bias.is_finite() {
            return Err(fail("bias is not a number".into()));
        }
        Ok(Self { file, wording })
    }

    /// The model compiled into Lantern.
    pub fn embedded(catalogue: &Catalogue) -> Result<Self, RiskConfigError> {
        Self::parse(EMBEDDED, "embedded data/risk.toml", catalogue)
    }

    /// The names of the model's features: indicator codes, then structure.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.file.indicators.keys().cloned().collect();
        names.extend(STRUCTURE.iter().map(|s| (*s).to_owned()));
        names
    }

    /// A feature's weight (0 for one the model does not know).
    pub fn weight(&self, feature: &str) -> f64 {
        let s = &self.file.structure;
        match feature {
            "several_workers" => s.several_workers,
            "rotation" => s.rotation,
            "short_lived" => s.short_lived,
            "many_towns" => s.many_towns,
            code => self.file.indicators.get(code).copied().unwrap_or(0.0),
        }
    }

    /// The log-odds before any evidence.
    pub fn bias(&self) -> f64 {
        self.file.bias
    }

    /// The risk of a feature vector: the logistic of bias plus weighted features.
    pub fn risk_of(&self, features: &BTreeMap<String, f64>) -> f64 {
        let z = self.file.bias
            + features
                .iter()
                .map(|(f, v)| self.weight(f) * v)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The same model with other weights (negative ones are clipped to 0: absence of a sign is
    /// never evidence), bands unchanged.
    pub fn with_weights(&self, bias: f64, weights: &BTreeMap<String, f64>) -> Self {
        let w = |name: &str| weights.get(name).copied().unwrap_or(0.0).max(0.0);
        Self {
            file: ModelFile {
                bias,
                bands: Bands {
                    medium: self.file.bands.medium,
                    high: self.file.bands.high,
                },
                indicators: self
                    .file
                    .indicators
                    .keys()
                    .map(|k| (k.clone(), w(k)))
                    .collect(),
                structure: Structure {
                    several_workers: w("several_workers"),
                    rotation: w("rotation"),
                    short_lived: w("short_lived"),
                    many_towns: w("many_towns"),
                },
            },
            wording: self.wording.clone(),
        }
    }

    /// The model as a `risk.toml` file (`note` goes in its header comment).
    pub fn to_toml(&self, note: &str) -> String {
        let mut out = String::new();
        for line in note.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!(
            "\nbias = {}\n\n[bands]\nmedium = {}\nhigh = {}\n\n[indicators]\n",
            self.file.bias, self.file.bands.medium, self.file.bands.high
        ));
        for (code, w) in &self.file.indicators {
            out.push_str(&format!("\"{code}\" = {w}\n"));
        }
        out.push_str("\n[structure]\n");
        for name in STRUCTURE {
            out.push_str(&format!("{name} = {}\n", self.weight(name)));
        }
        out
    }

    /// The band of a risk.
    pub fn band(&self, risk: f64) -> RiskBand {
        if risk >= self.file.bands.high {
            RiskBand::High
        } else if risk >= self.file.bands.medium {
            RiskBand::Medium
        } else {
            RiskBand::Low
        }
    }
}

/// The structure features, in file order.
pub const STRUCTURE: &[&str] = &["several_workers", "rotation", "short_lived", "many_towns"];

/// A cluster's concern and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// 0..1.
    pub risk: f64,
    /// Its band.
    pub band: RiskBand,
    /// Contributions in words with their evidence, largest first.
    pub reasons: Vec<String>,
    /// The model's inputs (feature → value), for calibration.
    pub features: BTreeMap<String, f64>,
}

/// What the model needs of a location.
#[derive(Debug, Clone, Copy)]
pub struct LocationFacts<'a> {
    /// Advertised briefly and dropped.
    pub short_lived: bool,
    /// Its borough, when known.
    pub borough: Option<&'a str>,
}

/// Assesses one cluster: `members` index `listings` and `locations_of`.
pub fn assess(
    model: &RiskModel,
    listings: &[ListingInput<'_>],
    members: &[usize],
    locations_of: &[Vec<String>],
    locations: &HashMap<&str, LocationFacts<'_>>,
) -> Assessment {
    let size = members.len().max(1) as f64;
    // (feature, value, reason): the contribution is the feature's weight times its value.
    let mut parts: Vec<(String, f64, String)> = Vec::new();

    // Indicators: weight x share of the cluster's listings showing it, with one example.
    for code in model.file.indicators.keys() {
        let mut showing = 0;
        let mut example: Option<(&str, &str, &str, &str)> = None;
        for &i in members {
            let l = &listings[i];
            let found = l
                .evidence
                .indicators
                .values()
                .find(|seen| seen.code == *code && seen.scored);
            if let Some(seen) = found {
                showing += 1;
                example.get_or_insert((&seen.text, &seen.field, l.source, l.external_id));
            }
        }
        if showing == 0 {
            continue;
        }
        let share = f64::from(showing) / size;
        let (text, field, source, id) = example.unwrap_or_default();
        parts.push((
            code.clone(),
            share,
            format!(
                "{code} {}: in {showing} of {} listing(s), e.g. \"{text}\" ({source}/{id}, {field})",
                model.wording.get(code).map_or("", String::as_str).to_lowercase(),
                members.len()
            ),
        ));
    }

    // Workers: listings joined by a shared image are one worker's.
    let workers = worker_groups(listings, members);
    let worker_count = workers.values().collect::<BTreeSet<_>>().len();
    if worker_count >= 2 {
        let extra = (worker_count - 1).min(4) as f64 / 4.0;
        parts.push((
            "several_workers".into(),
            extra,
            format!(
                "IND-ADV-008 one advertiser, {worker_count} different workers (by their images) \
                 across {} listings",
                members.len()
            ),
        ));
        // Rotation: a worker's listings at two or more locations.
        let mut places: HashMap<usize, BTreeSet<&str>> = HashMap::default();
        for &i in members {
            if let Some(w) = workers.get(&i) {
                places
                    .entry(*w)
                    .or_default()
                    .extend(locations_of[i].iter().map(String::as_str));
            }
        }
        // Rotation is a controller moving workers through premises: a worker at two or more
        // locations, one of which another of its workers also used. Two women who share a
        // number for safety and each tour on their own do not rotate.
        let mut workers_at: HashMap<&str, BTreeSet<usize>> = HashMap::default();
        for (w, ps) in &places {
            for p in ps {
                workers_at.entry(p).or_default().insert(*w);
            }
        }
        let moved = places
            .values()
            .filter(|ps| ps.len() >= 2 && ps.iter().any(|p| workers_at[p].len() >= 2))
            .count();
        if moved > 0 {
            let share = moved as f64 / worker_count as f64;
            parts.push((
                "rotation".into(),
                share,
                format!(
                    "IND-SEX-007 {moved} of {worker_count} workers advertised at more than one \
                     location, sharing locations with other workers (moved between premises)"
                ),
            ));
        }
        let mine: BTreeSet<&str> = members
            .iter()
            .flat_map(|&i| locations_of[i].iter().map(String::as_str))
            .collect();
        let brief = mine
            .iter()
            .filter(|id| locations.get(*id).is_some_and(|f| f.short_lived))
            .count();
        if brief > 0 && !mine.is_empty() {
            parts.push((
                "short_lived".into(),
                brief as f64 / mine.len() as f64,
                format!(
                    "{brief} of {} locations advertised for two weeks or less, then dropped",
                    mine.len()
                ),
            ));
        }
        let towns: BTreeSet<&str> = mine
            .iter()
            .filter_map(|id| locations.get(*id).and_then(|f| f.borough))
            .collect();
        if towns.len() >= 3 {
            parts.push((
                "many_towns".into(),
                1.0,
                format!(
                    "advertised in {} towns: {}",
                    towns.len(),
                    towns.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }

    let features: BTreeMap<String, f64> = parts.iter().map(|(f, v, _)| (f.clone(), *v)).collect();
    let risk = model.risk_of(&features);
    let mut weighted: Vec<(f64, String)> = parts
        .into_iter()
        .map(|(f, v, text)| (model.weight(&f) * v, text))
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut reasons: Vec<String> = weighted
        .into_iter()
        .filter(|(w, _)| *w > 0.0)
        .map(|(w, text)| format!("{text} [+{w:.2}]"))
        .collect();
    if reasons.is_empty() {
        reasons.push("no scored indicator or structure found: baseline concern only".to_owned());
    }
    Assessment {
        risk,
        band: model.band(risk),
        reasons,
        features,
    }
}

/// Each member's worker: listings sharing an image are one worker; listings without images are
/// nobody's (they neither add nor join workers).
fn worker_groups(listings: &[ListingInput<'_>], members: &[usize]) -> HashMap<usize, usize> {
    let mut parent: HashMap<usize, usize> = HashMap::default();
    fn find(parent: &mut HashMap<usize, usize>, mut i: usize) -> usize {
        while let Some(&p) = parent.get(&i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }
    let mut first_with: HashMap<&str, usize> = HashMap::default();
    for &i in members {
        let images = &listings[i].evidence.images;
        if images.is_empty() {
            continue;
        }
        parent.entry(i).or_insert(i);
        for image in images {
            match first_with.get(image.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent.insert(a.max(b), a.min(b));
                    }
                }
                None => {
                    first_with.insert(image, i);
                }
            }
        }
    }
    let keys: Vec<usize> = parent.keys().copied().collect();
    keys.into_iter()
        .map(|i| (i, find(&mut parent, i)))
        .collect()
}
