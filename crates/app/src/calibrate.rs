//! `lantern calibrate`: fits the risk model's weights to recorded visit outcomes by regularised
//! logistic regression, reports held-out ROC AUC before and after, and writes a new model file
//! only when asked.
//!
//! A visited location is a positive example when its latest decisive visit found concern
//! (indicators present, a potential victim, a child, immediate risk) and a negative one when it
//! found none (engaged, no concern; support accepted). No answer and declined engagement say
//! nothing and are left out. A location's features are those of the most concerning cluster
//! advertising there. Weights stay non-negative (absence of a sign is never evidence) and the
//! guardrails of the model file still apply to what is written.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use lantern_analysis::RiskModel;
use lantern_core::export::ClusterRecord;
use lantern_sim::eval::roc_auc;
use lantern_store::{AnalysisStore, RecordKind, Store, StoreError, VisitStore};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Outcomes that found concern.
const CONCERN: &[&str] = &[
    "CONCERN_INDICATORS_PRESENT",
    "POTENTIAL_VICTIM_IDENTIFIED",
    "CHILD_IDENTIFIED",
    "IMMEDIATE_RISK",
];
/// Outcomes that found none.
const NO_CONCERN: &[&str] = &["ENGAGED_NO_CONCERN", "ENGAGED_SUPPORT_ACCEPTED"];

/// Options of a calibration.
#[derive(Debug, Clone, Default)]
pub struct CalibrateOptions {
    /// The model to start from (default: the embedded one).
    pub model: Option<PathBuf>,
    /// Write the fitted model here.
    pub write: Option<PathBuf>,
    /// L2 penalty on the weights.
    pub l2: f64,
}

/// One weight before and after.
#[derive(Debug, Clone, Serialize)]
pub struct WeightChange {
    /// Feature.
    pub feature: String,
    /// Current weight.
    pub before: f64,
    /// Fitted weight.
    pub after: f64,
}

/// What a calibration found.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationReport {
    /// Visited locations with a decisive outcome.
    pub examples: usize,
    /// Of which found concern.
    pub positives: usize,
    /// Used to fit.
    pub train: usize,
    /// Held out to score.
    pub held_out: usize,
    /// Held-out ROC AUC of the current model.
    pub auc_before: Option<f64>,
    /// Held-out ROC AUC of the fitted model.
    pub auc_after: Option<f64>,
    /// Bias before and after.
    pub bias: (f64, f64),
    /// Every weight.
    pub weights: Vec<WeightChange>,
    /// Where the fitted model was written.
    pub written: Option<String>,
}

/// Why a calibration failed.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The model could not be read or written.
    #[error("{0}")]
    Model(String),
    /// Too few decisive visits to fit anything.
    #[error(
        "only {examples} visited location(s) with a decisive outcome ({positives} with concern): \
         calibration needs at least 20, with both outcomes among them"
    )]
    TooFew {
        /// Examples found.
        examples: usize,
        /// Positives among them.
        positives: usize,
    },
}

/// Loads the model at `path`, or the embedded one.
pub fn load_model(path: Option<&Path>) -> Result<RiskModel, String> {
    let catalogue = lantern_indicators::Catalogue::embedded().map_err(|e| e.to_string())?;
    match path {
        None => RiskModel::embedded(catalogue).map_err(|e| e.to_string()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("reading the risk model {}: {e}", p.display()))?;
            RiskModel::parse(&text, &p.display().to_string(), catalogue).map_err(|e| e.to_string())
        }
    }
}

/// Deterministic held-out split: about 30 % of locations, by a hash of their id.
fn held_out(id: &str) -> bool {
    Sha256::digest(id.as_bytes())[0] < 77
}

/// Fits bias and non-negative weights by projected gradient descent on the L2-penalised
/// log-loss. Deterministic.
pub fn fit(
    names: &[String],
    rows: &[(BTreeMap<String, f64>, bool)],
    start_bias: f64,
    l2: f64,
) -> (f64, BTreeMap<String, f64>) {
    let k = names.len();
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|(f, _)| {
            names
                .iter()
                .map(|n| f.get(n).copied().unwrap_or(0.0))
                .collect()
        })
        .collect();
    let y: Vec<f64> = rows.iter().map(|(_, l)| f64::from(u8::from(*l))).collect();
    let n = rows.len().max(1) as f64;
    let (mut b, mut w) = (start_bias, vec![0.0; k]);
    let rate = 0.5;
    for _ in 0..5_000 {
        let mut gb = 0.0;
        let mut gw = vec![0.0; k];
        for (xi, yi) in x.iter().zip(&y) {
            let z = b + xi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let e = p - yi;
            gb += e;
            for (g, a) in gw.iter_mut().zip(xi) {
                *g += e * a;
            }
        }
        b -= rate * gb / n;
        for (wj, gj) in w.iter_mut().zip(&gw) {
            *wj = (*wj - rate * (gj / n + l2 * *wj)).max(0.0);
        }
    }
    (b, names.iter().cloned().zip(w).collect())
}

/// Runs a calibration over the store's visits and last analysis.
pub async fn calibrate(
    store: &Store,
    options: &CalibrateOptions,
) -> Result<CalibrationReport, CalibrateError> {
    let model = load_model(options.model.as_deref()).map_err(CalibrateError::Model)?;
    // Each location's latest decisive outcome.
    let mut label: BTreeMap<String, bool> = BTreeMap::new();
    for (location, outcome) in store.visit_outcomes().await? {
        if CONCERN.contains(&outcome.as_str()) {
            label.insert(location, true);
        } else if NO_CONCERN.contains(&outcome.as_str()) {
            label.insert(location, false);
        }
    }
    // Each location's most concerning cluster's features.
    let mut features: HashMap<String, (f64, BTreeMap<String, f64>)> = HashMap::new();
    store
        .for_each_record(RecordKind::Cluster, &mut |json| {
            if let Ok(c) = serde_json::from_str::<ClusterRecord>(json) {
                for id in &c.locations {
                    if label.contains_key(id) && features.get(id).is_none_or(|(r, _)| c.risk > *r) {
                        features.insert(id.clone(), (c.risk, c.features.clone()));
                    }
                }
            }
            Ok(())
        })
        .await?;
    let rows: Vec<(String, BTreeMap<String, f64>, bool)> = label
        .iter()
        .map(|(id, l)| {
            let f = features.get(id).map(|(_, f)| f.clone()).unwrap_or_default();
            (id.clone(), f, *l)
        })
        .collect();
    let positives = rows.iter().filter(|r| r.2).count();
    if rows.len() < 20 || positives == 0 || positives == rows.len() {
        return Err(CalibrateError::TooFew {
            examples: rows.len(),
            positives,
        });
    }
    let (test, train): (Vec<_>, Vec<_>) = rows.iter().partition(|r| held_out(&r.0));
    let train_rows: Vec<(BTreeMap<String, f64>, bool)> =
        train.iter().map(|r| (r.1.clone(), r.2)).collect();
    let names = model.feature_names();
    let (bias, weights) = fit(&names, &train_rows, model.bias(), options.l2);
    let fitted = model.with_weights(bias, &weights);
    let auc = |m: &RiskModel| {
        let points: Vec<(f64, bool)> = test.iter().map(|r| (m.risk_of(&r.1), r.2)).collect();
        roc_auc(&points)
    };
    let written = match &options.write {
        None => None,
        Some(path) => {
            let note = format!(
                "Risk model written by `lantern calibrate` from {} visited locations ({} with \
                 concern), {} used to fit.\nHeld-out ROC AUC before {:?}, after {:?}.\nReview \
                 before use: weights learnt from few visits are noisy.",
                rows.len(),
                positives,
                train.len(),
                auc(&model),
                auc(&fitted)
            );
            let text = fitted.to_toml(&note);
            // What is written must pass the same checks as any model file.
            let catalogue = lantern_indicators::Catalogue::embedded()
                .map_err(|e| CalibrateError::Model(e.to_string()))?;
            RiskModel::parse(&text, "fitted", catalogue)
                .map_err(|e| CalibrateError::Model(e.to_string()))?;
            std::fs::write(path, text)
                .map_err(|e| CalibrateError::Model(format!("writing {}: {e}", path.display())))?;
            Some(path.display().to_string())
        }
    };
    Ok(CalibrationReport {
        examples: rows.len(),
        positives,
        train: train.len(),
        held_out: test.len(),
        auc_before: auc(&model),
        auc_after: auc(&fitted),
        bias: (model.bias(), bias),
        weights: names
            .iter()
            .map(|n| WeightChange {
                feature: n.clone(),
                before: model.weight(n),
                after: fitted.weight(n),
            })
            .collect(),
        written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_finds_the_predictive_feature_and_never_a_negative_weight() {
        let names = vec!["good".to_owned(), "noise".to_owned(), "against".to_owned()];
        let mut rows = Vec::new();
        for i in 0..200 {
            let positive = i % 2 == 0;
            let mut f = BTreeMap::new();
            f.insert("good".to_owned(), if positive { 1.0 } else { 0.1 });
            f.insert("noise".to_owned(), f64::from(i % 7) / 7.0);
            // A feature seen more among negatives must not get a negative weight.
            f.insert("against".to_owned(), if positive { 0.0 } else { 1.0 });
            rows.push((f, positive));
        }
        let (_, w) = fit(&names, &rows, -1.0, 0.01);
        assert!(w["good"] > 1.0, "{w:?}");
        assert!(w["good"] > w["noise"]);
        assert_eq!(w["against"], 0.0);
        assert!(w.values().all(|v| *v >= 0.0));
    }
}
