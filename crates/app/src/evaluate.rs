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
    controller_kind: String,
    exploitative: bool,
    phones: String,
}

/// One premises of `truth/premises.csv` (the columns the evaluator needs).
#[derive(Debug, Deserialize)]
struct TruthPremises {
    postcode: String,
    first_week: u32,
    last_week: u32,
}

/// What the analysis said about one listing.
struct Predicted {
    cluster: String,
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
    /// Postcode units first used by any premises in the scenario's last week (what new-location
    /// detection should find).
    pub new_locations_in_truth: u64,
    /// New-location detection for the last week; `None` until the analysis reports locations.
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
    let new_locations_in_truth = new_postcodes_in_last_week(&premises).len() as u64;
    let mut predicted: HashMap<(String, String), Predicted> = HashMap::new();
    for_each_advert(store, &mut |advert| {
        predicted.insert(
            (advert.source, advert.external_id),
            Predicted {
                cluster: advert.cluster,
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
        new_locations: None,
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
fn new_postcodes_in_last_week(premises: &[TruthPremises]) -> std::collections::BTreeSet<&str> {
    let last = premises.iter().map(|p| p.last_week).max().unwrap_or(0);
    let used_before: std::collections::HashSet<&str> = premises
        .iter()
        .filter(|p| p.first_week < last)
        .map(|p| p.postcode.as_str())
        .collect();
    premises
        .iter()
        .filter(|p| p.first_week == last && !used_before.contains(p.postcode.as_str()))
        .map(|p| p.postcode.as_str())
        .collect()
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
                "new locations, last week: precision {:.3}  recall {:.3}\n",
                d.scores.precision, d.scores.recall
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

    fn premises(postcode: &str, first_week: u32, last_week: u32) -> TruthPremises {
        TruthPremises {
            postcode: postcode.into(),
            first_week,
            last_week,
        }
    }

    #[test]
    fn new_locations_are_postcodes_first_used_in_the_last_week() {
        let list = [
            premises("B5 6DY", 0, 3),
            premises("B1 1AA", 3, 3),
            premises("B5 6DY", 3, 3), // used before: not new
            premises("WS10 7AD", 2, 2),
            premises("WV1 1AA", 3, 3),
        ];
        let new: Vec<&str> = new_postcodes_in_last_week(&list).into_iter().collect();
        assert_eq!(new, ["B1 1AA", "WV1 1AA"]);
        assert!(new_postcodes_in_last_week(&[]).is_empty());
    }

    #[test]
    fn independents_put_with_a_network_are_counted() {
        let truth = |kind: &str| TruthListing {
            source: "s".into(),
            external_id: "1".into(),
            controller: 1,
            controller_kind: kind.into(),
            exploitative: kind == "network",
            phones: String::new(),
        };
        let predicted = |cluster: &str| Predicted {
            cluster: cluster.into(),
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
            controller_kind: "independent".into(),
            exploitative: false,
            phones: String::new(),
        };
        let p = |phones: &[&str]| Predicted {
            cluster: String::new(),
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
