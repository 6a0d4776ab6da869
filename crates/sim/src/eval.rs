//! The evaluator's arithmetic: clustering scores from contingency counts (never by enumerating
//! pairs, so a million listings cost a hash map), detection precision and recall, ROC AUC and
//! precision at k.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

/// Precision, recall and their harmonic mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

impl Prf {
    /// From precision and recall.
    pub fn new(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            precision,
            recall,
            f1,
        }
    }
}

/// How well predicted clusters match true clusters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClusterScores {
    /// Items scored.
    pub items: u64,
    /// True clusters.
    pub true_clusters: u64,
    /// Predicted clusters.
    pub predicted_clusters: u64,
    /// Over pairs of items: a pair is positive when both share a cluster.
    pub pairwise: Prf,
    /// B-cubed: per item, the share of its predicted cluster that is truly with it (precision)
    /// and of its true cluster that was predicted with it (recall), averaged over items.
    pub bcubed: Prf,
}

fn pairs(n: u64) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Scores a clustering: `items` yields each item's (true cluster, predicted cluster).
pub fn cluster_scores<T, P>(items: impl IntoIterator<Item = (T, P)>) -> ClusterScores
where
    T: Hash + Eq + Clone,
    P: Hash + Eq + Clone,
{
    let mut cells: HashMap<(T, P), u64> = HashMap::new();
    let mut truth: HashMap<T, u64> = HashMap::new();
    let mut predicted: HashMap<P, u64> = HashMap::new();
    let mut n = 0_u64;
    for (t, p) in items {
        *cells.entry((t.clone(), p.clone())).or_default() += 1;
        *truth.entry(t).or_default() += 1;
        *predicted.entry(p).or_default() += 1;
        n += 1;
    }
    let together: f64 = cells.values().map(|&c| pairs(c)).sum();
    let true_pairs: f64 = truth.values().map(|&c| pairs(c)).sum();
    let predicted_pairs: f64 = predicted.values().map(|&c| pairs(c)).sum();
    let ratio = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
    let pairwise = Prf::new(
        ratio(together, predicted_pairs),
        ratio(together, true_pairs),
    );

    let (mut b_precision, mut b_recall) = (0.0, 0.0);
    for ((t, p), &c) in &cells {
        let c = c as f64;
        b_precision += c * c / predicted[p] as f64;
        b_recall += c * c / truth[t] as f64;
    }
    let total = n.max(1) as f64;
    let bcubed = if n == 0 {
        Prf::new(1.0, 1.0)
    } else {
        Prf::new(b_precision / total, b_recall / total)
    };
    ClusterScores {
        items: n,
        true_clusters: truth.len() as u64,
        predicted_clusters: predicted.len() as u64,
        pairwise,
        bcubed,
    }
}

/// Detection scores for sets of found and true items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DetectionScores {
    /// Found and true.
    pub true_positives: u64,
    /// Found.
    pub found: u64,
    /// True.
    pub expected: u64,
    /// Precision and recall (1 when there is nothing to find or nothing found).
    pub scores: Prf,
}

/// Scores a detector: `found` against `expected` (each a set, duplicates ignored).
pub fn detection_scores<T: Hash + Eq>(
    found: impl IntoIterator<Item = T>,
    expected: impl IntoIterator<Item = T>,
) -> DetectionScores {
    let found: std::collections::HashSet<T> = found.into_iter().collect();
    let expected: std::collections::HashSet<T> = expected.into_iter().collect();
    let tp = found.intersection(&expected).count() as u64;
    let ratio = |a: u64, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    DetectionScores {
        true_positives: tp,
        found: found.len() as u64,
        expected: expected.len() as u64,
        scores: Prf::new(ratio(tp, found.len()), ratio(tp, expected.len())),
    }
}

/// ROC AUC of `scores` for binary `labels` (the probability that a random positive outscores a
/// random negative, ties counting half). `None` without both classes.
pub fn roc_auc(scored: &[(f64, bool)]) -> Option<f64> {
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = sorted.iter().filter(|(_, l)| *l).count() as f64;
    let negatives = sorted.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of positive ranks, with tied scores sharing their mean rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mean_rank * sorted[i..j].iter().filter(|(_, l)| *l).count() as f64;
        i = j;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Share of positives among the `k` highest scores (ties broken by input order).
pub fn precision_at_k(scored: &[(f64, bool)], k: usize) -> Option<f64> {
    if k == 0 || scored.is_empty() {
        return None;
    }
    let mut order: Vec<usize> = (0..scored.len()).collect();
    order.sort_by(|&a, &b| scored[b].0.total_cmp(&scored[a].0).then(a.cmp(&b)));
    let top = &order[..k.min(order.len())];
    Some(top.iter().filter(|&&i| scored[i].1).count() as f64 / top.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUTH: [u32; 6] = [1, 1, 1, 2, 2, 3];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_perfect_clustering_scores_one() {
        let s = cluster_scores(TRUTH.iter().map(|&t| (t, t * 10)));
        assert_eq!((s.items, s.true_clusters, s.predicted_clusters), (6, 3, 3));
        assert_eq!(s.pairwise, Prf::new(1.0, 1.0));
        assert_eq!(s.bcubed, Prf::new(1.0, 1.0));
    }

    #[test]
    fn merging_everything_keeps_recall_and_loses_precision() {
        let s = cluster_scores(TRUTH.iter().map(|&t| (t, 0)));
        // True pairs: 3 + 1 = 4 of 15 predicted pairs.
        assert!(close(s.pairwise.precision, 4.0 / 15.0));
        assert!(close(s.pairwise.recall, 1.0));
        // B-cubed precision: (3·3/6 + 2·2/6 + 1·1/6) / 6 = (9 + 4 + 1) / 36.
        assert!(close(s.bcubed.precision, 14.0 / 36.0));
        assert!(close(s.bcubed.recall, 1.0));
    }

    #[test]
    fn splitting_everything_keeps_precision_and_loses_recall() {
        let s = cluster_scores(TRUTH.iter().enumerate().map(|(i, &t)| (t, i)));
        assert!(
            close(s.pairwise.precision, 1.0),
            "no predicted pairs: vacuous"
        );
        assert!(close(s.pairwise.recall, 0.0));
        assert!(close(s.bcubed.precision, 1.0));
        // B-cubed recall: (3·1/3 + 2·1/2 + 1·1) / 6 = 3 / 6.
        assert!(close(s.bcubed.recall, 0.5));
        assert!(close(s.pairwise.f1, 0.0));
    }

    #[test]
    fn a_half_right_clustering_scores_in_between() {
        // Truth {a,b,c}{d,e}; predicted {a,b}{c,d,e}.
        let s = cluster_scores([(1, 1), (1, 1), (1, 2), (2, 2), (2, 2)]);
        // Together pairs: ab, de = 2; predicted pairs 1 + 3 = 4; true pairs 3 + 1 = 4.
        assert!(close(s.pairwise.precision, 0.5) && close(s.pairwise.recall, 0.5));
        // B-cubed precision: (2·2/2 + 1·1/3 + 2·2/3) / 5 = (2 + 5/3) / 5.
        assert!(close(s.bcubed.precision, (2.0 + 5.0 / 3.0) / 5.0));
    }

    #[test]
    fn detection_counts_sets() {
        let d = detection_scores(["a", "b", "x", "x"], ["a", "b", "c", "d"]);
        assert_eq!((d.true_positives, d.found, d.expected), (2, 3, 4));
        assert!(close(d.scores.precision, 2.0 / 3.0) && close(d.scores.recall, 0.5));
        let none = detection_scores(Vec::<&str>::new(), ["a"]);
        assert!(close(none.scores.precision, 1.0) && close(none.scores.recall, 0.0));
    }

    #[test]
    fn auc_and_precision_at_k() {
        let perfect = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        assert_eq!(roc_auc(&perfect), Some(1.0));
        let inverted: Vec<(f64, bool)> = perfect.iter().map(|&(s, l)| (-s, l)).collect();
        assert_eq!(roc_auc(&inverted), Some(0.0));
        let ties = [(0.5, true), (0.5, false)];
        assert_eq!(roc_auc(&ties), Some(0.5));
        assert_eq!(roc_auc(&[(0.5, true)]), None);
        assert_eq!(precision_at_k(&perfect, 2), Some(1.0));
        assert_eq!(precision_at_k(&perfect, 4), Some(0.5));
        assert_eq!(precision_at_k(&perfect, 0), None);
    }
}
