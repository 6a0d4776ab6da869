//! `lantern eval`: scores the store's analysis (read as the results export) against a simulated
//! scenario's ground truth, beside trivial baselines that later work must beat.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use lantern_core::export::RiskBand;
use lantern_sim::eval::{
    ClusterScores, DetectionScores, cluster_scores, detection_scores, precision_at_k, roc_auc,
};
use lantern_store::Store;
use serde::{Deserialize, Serialize};

use crate::export::{ExportError, for_each_advert};
use crate::simulate::files;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The truth files could not be read.
    #[error("{path}: {reason}")]
    Truth {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The store could not be read.
    #[error("{0}")]
    Store(#[from] ExportError),
}

/// One listing of `truth/listings.csv` (the columns the evaluator needs).
#[derive(Debug, Deserialize)]
struct TruthListing {
    source: String,
    external_id: String,
    controller: u64,
    premises: u64,
    first_week: u32,
    controller_kind: String,
    exploitative: bool,
    phones: String,
}

/// One premises of `truth/premises.csv` (the columns the evaluator needs).
#[derive(Debug, Deserialize)]
struct TruthPremises {
    premises: u64,
    postcode: String,
}

/// The scenario's settings (`truth/scenario.json`), the part the evaluator needs.
#[derive(Debug, Deserialize)]
struct ScenarioFile {
    scenario: ScenarioTimes,
}

#[derive(Debug, Deserialize)]
struct ScenarioTimes {
    start: lantern_core::Timestamp,
    weeks: u32,
}

/// What the analysis said about one listing.
struct Predicted {
    cluster: String,
    locations: Vec<String>,
    phones: Vec<String>,
    risk: f64,
    band: RiskBand,
    assessed: bool,
}

/// Clustering scores of the analysis and of the trivial predictors.
#[derive(Debug, Serialize)]
pub struct ClusterReport {
    /// The store's analysis (its `cluster` per advert).
    pub analysis: ClusterScores,
    /// Every listing alone.
    pub every_listing_alone: ClusterScores,
    /// Everything in one cluster.
    pub everything_merged: ClusterScores,
    /// Listings sharing an extracted phone linked (connected components).
    pub exact_phone_match: ClusterScores,
    /// Share of independent workers' listings that the analysis put in a cluster holding an
    /// exploitative network's listing (the harm to avoid; the linking target is at most 1 %).
    pub independent_in_network_cluster: f64,
}

/// Risk scores against exploitative truth, when the analysis has scored listings.
#[derive(Debug, Serialize)]
pub struct RiskReport {
    /// ROC AUC of listing risk against exploitative truth.
    pub roc_auc: Option<f64>,
    /// Share of exploitative listings among the top k by risk, k = the number of exploitative
    /// listings.
    pub precision_at_k: Option<f64>,
    /// The k used.
    pub k: usize,
    /// Share of independent workers' listings banded high.
    pub independent_banded_high: f64,
}

/// The whole evaluation.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// Listings in the truth.
    pub truth_listings: u64,
    /// Truth listings found in the store (and scored).
    pub scored_listings: u64,
    /// Store listings not in the truth (ignored).
    pub extra_listings: u64,
    /// Phone extraction over (listing, E.164 number) pairs.
    pub phones: DetectionScores,
    /// Clustering against controllers.
    pub clusters: ClusterReport,
    /// (controller, postcode district) pairs where a controller first advertised in the
    /// scenario's last week: the new leads an outreach team should be shown.
    pub new_locations_in_truth: u64,
    /// New-location detection for the last week (`export locations --new-since` the week's
    /// start): a reported location is right when most of its listings belong to a new truth
    /// pair; a truth pair is found when some right location points at it. `None` when the
    /// analysis reports no locations.
    pub new_locations: Option<DetectionScores>,
    /// Risk; `None` until the analysis scores listings.
    pub risk: Option<RiskReport>,
}

fn read_truth<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Result<Vec<T>, EvalError> {
    let path = dir.join(file);
    let error = |reason: String| EvalError::Truth {
        path: path.clone(),
        reason,
    };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| error(e.to_string()))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| error(format!("line {}: {e}", i + 2))))
        .collect()
}

/// Scores the store's analysis against the scenario in `truth_dir`.
pub async fn evaluate(store: &Store, truth_dir: &Path) -> Result<EvalReport, EvalError> {
    let truth: Vec<TruthListing> = read_truth(truth_dir, files::LISTINGS)?;
    let premises: Vec<TruthPremises> = read_truth(truth_dir, files::PREMISES)?;
    let mut predicted: HashMap<(String, String), Predicted> = HashMap::new();
    for_each_advert(store, &mut |advert| {
        predicted.insert(
            (advert.source, advert.external_id),
            Predicted {
                cluster: advert.cluster,
                locations: advert.locations,
                phones: advert.phones,
                risk: advert.risk,
                band: advert.risk_band,
                assessed: advert.assessed,
            },
        );
        Ok(())
    })
    .await?;

    let scored: Vec<(&TruthListing, &Predicted)> = truth
        .iter()
        .filter_map(|t| {
            predicted
                .get(&(t.source.clone(), t.external_id.clone()))
                .map(|p| (t, p))
        })
        .collect();
    let extra = predicted.len() as u64 - scored.len() as u64;

    let phones = detection_scores(
        scored
            .iter()
            .flat_map(|(t, p)| p.phones.iter().map(move |ph| (listing_key(t), ph.clone()))),
        scored.iter().flat_map(|(t, _)| {
            t.phones
                .split(';')
                .filter(|p| !p.is_empty())
                .map(move |ph| (listing_key(t), ph.to_owned()))
        }),
    );

    let phone_components = phone_components(&scored);
    let clusters = ClusterReport {
        analysis: cluster_scores(
            scored
                .iter()
                .map(|(t, p)| (t.controller, p.cluster.clone())),
        ),
        every_listing_alone: cluster_scores(
            scored
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (t.controller, i)),
        ),
        everything_merged: cluster_scores(scored.iter().map(|(t, _)| (t.controller, 0))),
        exact_phone_match: cluster_scores(
            scored
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (t.controller, phone_components[i])),
        ),
        independent_in_network_cluster: independent_in_network_cluster(&scored),
    };

    let scenario: ScenarioFile = {
        let path = truth_dir.join(files::SCENARIO);
        let text = std::fs::read_to_string(&path).map_err(|e| EvalError::Truth {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| EvalError::Truth {
            path,
            reason: e.to_string(),
        })?
    };
    let (new_locations_in_truth, new_locations) =
        new_location_scores(store, &scenario.scenario, &premises, &scored).await?;

    let risk = scored.iter().any(|(_, p)| p.assessed).then(|| {
        let points: Vec<(f64, bool)> = scored
            .iter()
            .map(|(t, p)| (p.risk, t.exploitative))
            .collect();
        let k = points.iter().filter(|(_, l)| *l).count();
        let independents: Vec<&(&TruthListing, &Predicted)> = scored
            .iter()
            .filter(|(t, _)| t.controller_kind == "independent")
            .collect();
        let high = independents
            .iter()
            .filter(|(_, p)| p.band == RiskBand::High)
            .count();
        RiskReport {
            roc_auc: roc_auc(&points),
            precision_at_k: precision_at_k(&points, k),
            k,
            independent_banded_high: high as f64 / independents.len().max(1) as f64,
        }
    });

    Ok(EvalReport {
        truth_listings: truth.len() as u64,
        scored_listings: scored.len() as u64,
        extra_listings: extra,
        phones,
        clusters,
        new_locations_in_truth,
        new_locations,
        risk,
    })
}

/// Share of independents' listings in a predicted cluster that also holds a network's listing.
fn independent_in_network_cluster(scored: &[(&TruthListing, &Predicted)]) -> f64 {
    let with_network: std::collections::HashSet<&str> = scored
        .iter()
        .filter(|(t, _)| t.controller_kind == "network")
        .map(|(_, p)| p.cluster.as_str())
        .collect();
    let independents: Vec<&str> = scored
        .iter()
        .filter(|(t, _)| t.controller_kind == "independent")
        .map(|(_, p)| p.cluster.as_str())
        .collect();
    let merged = independents
        .iter()
        .filter(|c| with_network.contains(*c))
        .count();
    merged as f64 / independents.len().max(1) as f64
}

/// Postcode units where premises were first used in the last week and never before.
/// New leads of the scenario's last week against the locations the analysis reports as new.
async fn new_location_scores(
    store: &Store,
    scenario: &ScenarioTimes,
    premises: &[TruthPremises],
    scored: &[(&TruthListing, &Predicted)],
) -> Result<(u64, Option<DetectionScores>), EvalError> {
    let last = scenario.weeks.saturating_sub(1);
    let since = scenario
        .start
        .plus_seconds(i64::from(last) * 7 * 24 * 3600)
        .unwrap_or(scenario.start);
    let mut reported = Vec::new();
    crate::export::export(
        store,
        crate::export::ExportKind::Locations,
        crate::export::ExportOptions {
            new_since: Some(since),
            audit: None,
        },
        &mut reported,
    )
    .await?;
    let new_ids: std::collections::HashSet<String> = String::from_utf8_lossy(&reported)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["location"].as_str().map(str::to_owned))
        .collect();
    Ok(score_new_locations(last, premises, scored, &new_ids))
}

/// Scores the reported new location ids against the truth's new (controller, district) pairs
/// of week `last`.
fn score_new_locations(
    last: u32,
    premises: &[TruthPremises],
    scored: &[(&TruthListing, &Predicted)],
    new_ids: &std::collections::HashSet<String>,
) -> (u64, Option<DetectionScores>) {
    let district_of: HashMap<u64, &str> = premises
        .iter()
        .map(|p| (p.premises, p.postcode.split(' ').next().unwrap_or_default()))
        .collect();
    // Each (controller, district) pair's first week, from the listings placed there.
    let mut first_week: HashMap<(u64, &str), u32> = HashMap::new();
    for (t, _) in scored {
        if let Some(d) = district_of.get(&t.premises) {
            let w = first_week.entry((t.controller, d)).or_insert(t.first_week);
            *w = (*w).min(t.first_week);
        }
    }
    let truth_new: std::collections::HashSet<(u64, &str)> = first_week
        .iter()
        .filter(|(_, w)| **w == last)
        .map(|(pair, _)| *pair)
        .collect();
    let any_locations = scored.iter().any(|(_, p)| !p.locations.is_empty());
    if !any_locations {
        return (truth_new.len() as u64, None);
    }
    // The truth pairs behind each reported new location, by its listings.
    let mut votes: HashMap<&str, HashMap<(u64, &str), u32>> = HashMap::new();
    for (t, p) in scored {
        let Some(d) = district_of.get(&t.premises) else {
            continue;
        };
        for id in p.locations.iter().filter(|id| new_ids.contains(*id)) {
            *votes
                .entry(id.as_str())
                .or_default()
                .entry((t.controller, d))
                .or_default() += 1;
        }
    }
    let mut right = 0_u64;
    let mut found_pairs = std::collections::HashSet::new();
    for counts in votes.values() {
        let majority = counts
            .iter()
            .max_by_key(|(pair, n)| (**n, std::cmp::Reverse(**pair)))
            .map(|(pair, _)| *pair);
        if let Some(pair) = majority.filter(|p| truth_new.contains(p)) {
            right += 1;
            found_pairs.insert(pair);
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let scores = DetectionScores {
        true_positives: right,
        found: new_ids.len() as u64,
        expected: truth_new.len() as u64,
        scores: lantern_sim::eval::Prf::new(
            ratio(right as usize, new_ids.len()),
            ratio(found_pairs.len(), truth_new.len()),
        ),
    };
    (truth_new.len() as u64, Some(scores))
}

fn listing_key(t: &TruthListing) -> String {
    format!("{}/{}", t.source, t.external_id)
}

/// Connected components of listings linked by a shared extracted phone (union-find).
fn phone_components(scored: &[(&TruthListing, &Predicted)]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..scored.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (_, p)) in scored.iter().enumerate() {
        for phone in &p.phones {
            match first_with.get(phone.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    first_with.insert(phone, i);
                }
            }
        }
    }
    (0..scored.len()).map(|i| find(&mut parent, i)).collect()
}

impl EvalReport {
    /// The report as a plain-text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "listings: {} in truth, {} scored, {} in the store but not in the truth\n\n",
            self.truth_listings, self.scored_listings, self.extra_listings
        );
        let p = &self.phones.scores;
        out.push_str(&format!(
            "phone extraction (listing, number) pairs: precision {:.3}  recall {:.3}  F1 {:.3}  ({} found, {} true)\n\n",
            p.precision, p.recall, p.f1, self.phones.found, self.phones.expected
        ));
        out.push_str(
            "clustering against controllers       clusters  pairwise P   R      F1     B-cubed P  R      F1\n",
        );
        for (name, s) in [
            ("analysis (store)", &self.clusters.analysis),
            (
                "baseline: every listing alone",
                &self.clusters.every_listing_alone,
            ),
            (
                "baseline: everything merged",
                &self.clusters.everything_merged,
            ),
            (
                "baseline: exact phone match",
                &self.clusters.exact_phone_match,
            ),
        ] {
            out.push_str(&format!(
                "{name:<36} {:>8}  {:>10.3} {:>6.3} {:>6.3} {:>10.3} {:>6.3} {:>6.3}\n",
                s.predicted_clusters,
                s.pairwise.precision,
                s.pairwise.recall,
                s.pairwise.f1,
                s.bcubed.precision,
                s.bcubed.recall,
                s.bcubed.f1
            ));
        }
        out.push_str(&format!(
            "(true controllers: {}; independents' listings put with a network: {:.2} %)\n\n",
            self.clusters.analysis.true_clusters,
            100.0 * self.clusters.independent_in_network_cluster
        ));
        match &self.new_locations {
            Some(d) => out.push_str(&format!(
                "new locations, last week: precision {:.3}  recall {:.3}  ({} reported, {} right; \
                 {} new (controller, district) pairs in the truth)\n",
                d.scores.precision, d.scores.recall, d.found, d.true_positives, d.expected
            )),
            None => out.push_str(&format!(
                "new locations, last week: not assessed (the analysis reports no locations yet; \
                 the truth has {})\n",
                self.new_locations_in_truth
            )),
        }
        match &self.risk {
            Some(r) => out.push_str(&format!(
                "risk: ROC AUC {}  precision at {} {}  independents banded high {:.3}\n",
                r.roc_auc.map_or("n/a".into(), |v| format!("{v:.3}")),
                r.k,
                r.precision_at_k.map_or("n/a".into(), |v| format!("{v:.3}")),
                r.independent_banded_high
            )),
            None => out.push_str("risk: not assessed (the analysis has scored no listing yet)\n"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn premises(id: u64, postcode: &str) -> TruthPremises {
        TruthPremises {
            premises: id,
            postcode: postcode.into(),
        }
    }

    #[test]
    fn new_locations_are_scored_by_the_truth_pairs_their_listings_belong_to() {
        let premises = [
            premises(1, "B5 6DY"),
            premises(2, "B5 7AA"), // controller 1 already in B5: not new
            premises(3, "WS1 1AA"),
        ];
        let listing = |id: &str, controller, premises, first_week| TruthListing {
            source: "s".into(),
            external_id: id.into(),
            controller,
            premises,
            first_week,
            controller_kind: "network".into(),
            exploitative: true,
            phones: String::new(),
        };
        let truth = [
            listing("1", 1, 1, 0),
            listing("2", 1, 2, 3),
            listing("3", 2, 3, 3), // (2, WS1) is the one new pair
        ];
        let predicted = |locations: &[&str]| Predicted {
            cluster: "c".into(),
            locations: locations.iter().map(|s| (*s).to_owned()).collect(),
            phones: Vec::new(),
            risk: 0.0,
            band: RiskBand::Low,
            assessed: false,
        };
        let p = [
            predicted(&["b5"]),
            predicted(&["b5-late"]),
            predicted(&["ws1"]),
        ];
        let scored: Vec<(&TruthListing, &Predicted)> = truth.iter().zip(&p).collect();
        let new: std::collections::HashSet<String> =
            ["b5-late".to_owned(), "ws1".to_owned()].into();
        let (expected, scores) = score_new_locations(3, &premises, &scored, &new);
        let scores = scores.unwrap();
        assert_eq!(expected, 1);
        assert_eq!((scores.found, scores.true_positives), (2, 1));
        assert!((scores.scores.precision - 0.5).abs() < 1e-9);
        assert!((scores.scores.recall - 1.0).abs() < 1e-9);
    }

    #[test]
    fn independents_put_with_a_network_are_counted() {
        let truth = |kind: &str| TruthListing {
            source: "s".into(),
            external_id: "1".into(),
            controller: 1,
            premises: 1,
            first_week: 0,
            controller_kind: kind.into(),
            exploitative: kind == "network",
            phones: String::new(),
        };
        let predicted = |cluster: &str| Predicted {
            cluster: cluster.into(),
            locations: Vec::new(),
            phones: Vec::new(),
            risk: 0.0,
            band: RiskBand::Low,
            assessed: false,
        };
        let (ind, net) = (truth("independent"), truth("network"));
        let (a, b) = (predicted("a"), predicted("b"));
        // Independents in clusters a, a, b; a network listing in a.
        let scored = [(&ind, &a), (&ind, &a), (&ind, &b), (&net, &a)];
        assert!((independent_in_network_cluster(&scored) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(independent_in_network_cluster(&[]), 0.0);
    }

    #[test]
    fn phones_link_listings_into_components() {
        let t = TruthListing {
            source: "s".into(),
            external_id: "1".into(),
            controller: 1,
            premises: 1,
            first_week: 0,
            controller_kind: "independent".into(),
            exploitative: false,
            phones: String::new(),
        };
        let p = |phones: &[&str]| Predicted {
            cluster: String::new(),
            locations: Vec::new(),
            phones: phones.iter().map(|s| (*s).to_owned()).collect(),
            risk: 0.0,
            band: RiskBand::Low,
            assessed: false,
        };
        let (a, b, c, d) = (p(&["+1", "+2"]), p(&["+2"]), p(&["+3"]), p(&[]));
        let scored = [(&t, &a), (&t, &b), (&t, &c), (&t, &d)];
        let components = phone_components(&scored);
        assert_eq!(components[0], components[1]);
        assert_ne!(components[0], components[2]);
        assert_ne!(components[2], components[3]);
    }
}
