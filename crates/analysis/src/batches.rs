//! Listings split into batches whose records can be made apart: a cluster's record, its leads
//! and its listings' adverts depend only on its own listings and on the premises they name (whose
//! records depend on every listing naming them), so a batch holds whole clusters closed over the
//! premises their listings name. [`crate::records`] of each batch then gives exactly the records
//! [`crate::records`] of all listings gives, while only one batch's evidence is held at a time.

use lantern_link::UnionFind;
use rustc_hash::FxHashMap;

/// Listing indices (into `cluster_of`) in batches of whole groups, each batch in ascending order;
/// a batch holds at least one group and, when it holds several, at most about `max_listings`
/// listings. `premises(i)` gives the premises keys listing `i` names.
pub fn record_batches<'a>(
    cluster_of: &[String],
    premises: impl Fn(usize) -> &'a [u64],
    max_listings: usize,
) -> Vec<Vec<usize>> {
    let n = cluster_of.len();
    let mut groups = UnionFind::new(n);
    let mut first_of_cluster: FxHashMap<&str, usize> = FxHashMap::default();
    let mut first_at_premises: FxHashMap<u64, usize> = FxHashMap::default();
    for (i, cluster) in cluster_of.iter().enumerate() {
        let first = *first_of_cluster.entry(cluster.as_str()).or_insert(i);
        groups.union(first, i);
        for &p in premises(i) {
            let first = *first_at_premises.entry(p).or_insert(i);
            groups.union(first, i);
        }
    }
    drop(first_of_cluster);
    drop(first_at_premises);

    // Members of each group, groups in the order of their first listing.
    let mut slot_of_root: FxHashMap<usize, usize> = FxHashMap::default();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        let root = groups.find(i);
        let slot = *slot_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[slot].push(i);
    }

    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for group in members {
        if !current.is_empty() && current.len() + group.len() > max_listings {
            batches.push(std::mem::take(&mut current));
        }
        current.extend(group);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    for batch in &mut batches {
        batch.sort_unstable();
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_cluster_and_the_premises_its_listings_name_stay_in_one_batch() {
        // 0 and 3 share a cluster; 3 and 5 name premises 7; 1, 2 and 4 stand alone.
        let cluster_of = ids(&["a", "b", "c", "a", "d", "e"]);
        let premises: Vec<Vec<u64>> = vec![vec![], vec![], vec![9], vec![7], vec![], vec![7]];
        let batches = record_batches(&cluster_of, |i| &premises[i], 2);
        let with_zero = batches.iter().find(|b| b.contains(&0)).expect("0 batched");
        assert_eq!(
            with_zero,
            &vec![0, 3, 5],
            "a group is never split to keep the limit"
        );
        let mut all: Vec<usize> = batches.concat();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..6).collect::<Vec<_>>(),
            "every listing exactly once"
        );
        assert!(batches.iter().all(|b| b.windows(2).all(|w| w[0] < w[1])));
        assert!(
            batches.iter().all(|b| b.len() <= 2 || b == with_zero),
            "small groups are packed up to the limit: {batches:?}"
        );
    }

    #[test]
    fn groups_are_packed_together_up_to_the_limit() {
        let cluster_of = ids(&["a", "b", "c", "d", "e"]);
        let none: Vec<u64> = Vec::new();
        let batches = record_batches(&cluster_of, |_| &none, 2);
        assert_eq!(batches, vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(
            record_batches(&cluster_of, |_| &none, 100),
            vec![vec![0, 1, 2, 3, 4]]
        );
    }
}
