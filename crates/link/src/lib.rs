//! Linking, first stage: listings that share a strong identifier — a phone number, an e-mail, a
//! messaging handle, an image (exact hash, or perceptual hash within a few bits) — are placed by
//! one controller. Connected components of that sharing are the clusters.
//!
//! Guard against over-merging: an image hash seen on more than [`Settings::max_image_listings`]
//! listings is treated as a stock picture and links nothing.
//!
//! Near-duplicate text (MinHash signatures of masked templates, banded for LSH) links two groups
//! only under three guards: the texts are near-identical (estimated Jaccard at least
//! [`Settings::text_min_similarity`]); neither listing's look-alikes (similarity 0.5 or more)
//! span more than [`Settings::text_max_groups_per_bucket`] groups already formed by strong
//! identifiers (a base template that many unrelated advertisers use is weak evidence and links
//! nothing); and a second signal agrees (the two listings share an area or a stated price). A
//! single common phrase never links: it moves too few shingles.
//!
//! Cluster ids are stable: a cluster is named after its earliest listing (first seen, then
//! source and id), so a cluster that only grows keeps its id.
//!
//! Architecture invariant: pure; the caller gathers each listing's evidence.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use lantern_core::Timestamp;
use lantern_core::export::singleton_cluster_id;

/// What one listing offers for linking.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Site.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// First seen.
    pub first_seen: Option<Timestamp>,
    /// Phones, E.164.
    pub phones: Vec<String>,
    /// E-mail addresses, lower case.
    pub emails: Vec<String>,
    /// Messaging handles as `service:handle`.
    pub handles: Vec<String>,
    /// Image hashes as given (`sha256:…`, `phash:…`).
    pub images: Vec<String>,
    /// MinHash signature of the masked advert text (empty when none).
    pub text: Vec<u32>,
    /// Soft facts that corroborate a text match (area keys, `price:80`); never link alone.
    pub context: Vec<String>,
}

/// Linking settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Perceptual hashes within this many differing bits are one image.
    pub phash_max_distance: u32,
    /// An image on more listings than this is a stock picture and links nothing.
    pub max_image_listings: usize,
    /// Texts at least this similar (estimated Jaccard) may link; 0 turns text linking off.
    pub text_min_similarity: f64,
    /// A listing whose look-alike texts span more groups (formed by strong identifiers) than
    /// this uses a shared template, and its text links nothing.
    pub text_max_groups_per_bucket: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            phash_max_distance: 4,
            max_image_listings: 50,
            text_min_similarity: 0.9,
            text_max_groups_per_bucket: 3,
        }
    }
}

/// Why two listings were linked (for the cluster's reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// A shared phone number.
    Phone,
    /// A shared e-mail address.
    Email,
    /// A shared messaging handle.
    Handle,
    /// A shared or near-identical image.
    Image,
    /// Near-identical advert text, corroborated by an area or a price.
    Text,
}

/// The clusters of a set of listings.
#[derive(Debug, Clone)]
pub struct Clusters {
    /// Cluster id of each listing, in input order.
    pub cluster_of: Vec<String>,
    /// Per cluster id: its size and which kinds of link joined it.
    pub summary: HashMap<String, (usize, Vec<LinkKind>)>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) -> bool {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
        a != b
    }
}

fn phash_bits(hash: &str) -> Option<u64> {
    let hex = hash.strip_prefix("phash:")?;
    u64::from_str_radix(hex, 16).ok()
}

/// Groups listings into clusters.
pub fn link(listings: &[Evidence], settings: Settings) -> Clusters {
    let n = listings.len();
    let mut uf = UnionFind((0..n).collect());
    let mut kinds: Vec<(usize, usize, LinkKind)> = Vec::new();

    // Exact identifiers: the first listing holding each one, then union.
    let mut first: FxHashMap<(LinkKind, &str), usize> = FxHashMap::default();
    let mut image_count: FxHashMap<&str, usize> = FxHashMap::default();
    for e in listings {
        for image in &e.images {
            *image_count.entry(image.as_str()).or_default() += 1;
        }
    }
    for (i, e) in listings.iter().enumerate() {
        let ids = e
            .phones
            .iter()
            .map(|p| (LinkKind::Phone, p.as_str()))
            .chain(e.emails.iter().map(|m| (LinkKind::Email, m.as_str())))
            .chain(e.handles.iter().map(|h| (LinkKind::Handle, h.as_str())))
            .chain(
                e.images
                    .iter()
                    .filter(|img| image_count[img.as_str()] <= settings.max_image_listings)
                    .map(|img| (LinkKind::Image, img.as_str())),
            );
        for key in ids {
            match first.get(&key) {
                Some(&j) => {
                    if uf.union(i, j) {
                        kinds.push((i, j, key.0));
                    }
                }
                None => {
                    first.insert(key, i);
                }
            }
        }
    }

    // Near-identical perceptual hashes: candidates share one of four 16-bit bands exactly.
    if settings.phash_max_distance > 0 {
        let mut distinct: Vec<(u64, usize)> = first
            .iter()
            .filter(|((kind, _), _)| *kind == LinkKind::Image)
            .filter_map(|((_, img), &i)| phash_bits(img).map(|bits| (bits, i)))
            .collect();
        distinct.sort_unstable();
        let mut bands: FxHashMap<(u8, u16), Vec<usize>> = FxHashMap::default();
        for (k, &(bits, _)) in distinct.iter().enumerate() {
            for band in 0..4_u8 {
                let part = (bits >> (16 * u32::from(band))) as u16;
                bands.entry((band, part)).or_default().push(k);
            }
        }
        for members in bands.values() {
            if members.len() > settings.max_image_listings {
                continue;
            }
            for (x, &a) in members.iter().enumerate() {
                for &b in &members[x + 1..] {
                    let (ba, ia) = distinct[a];
                    let (bb, ib) = distinct[b];
                    if (ba ^ bb).count_ones() <= settings.phash_max_distance && uf.union(ia, ib) {
                        kinds.push((ia, ib, LinkKind::Image));
                    }
                }
            }
        }
    }

    if settings.text_min_similarity > 0.0 {
        for (a, b) in text_links(listings, &mut uf, settings) {
            if uf.union(a, b) {
                kinds.push((a, b, LinkKind::Text));
            }
        }
    }

    // Name each cluster after its earliest listing.
    let mut anchor: FxHashMap<usize, usize> = FxHashMap::default();
    for i in 0..n {
        let root = uf.find(i);
        let best = anchor.entry(root).or_insert(i);
        let order = |k: usize| {
            (
                listings[k].first_seen,
                listings[k].source.as_str(),
                listings[k].external_id.as_str(),
            )
        };
        if order(i) < order(*best) {
            *best = i;
        }
    }
    let mut cluster_of = Vec::with_capacity(n);
    let mut summary: HashMap<String, (usize, Vec<LinkKind>)> = HashMap::new();
    let mut ids_by_root: FxHashMap<usize, String> = FxHashMap::default();
    for i in 0..n {
        let root = uf.find(i);
        let id = ids_by_root
            .entry(root)
            .or_insert_with(|| {
                let a = &listings[anchor[&root]];
                singleton_cluster_id(&a.source, &a.external_id)
            })
            .clone();
        summary.entry(id.clone()).or_default().0 += 1;
        cluster_of.push(id);
    }
    for (i, _, kind) in kinds {
        let entry = summary.entry(cluster_of[i].clone()).or_default();
        if !entry.1.contains(&kind) {
            entry.1.push(kind);
            entry.1.sort();
        }
    }
    Clusters {
        cluster_of,
        summary,
    }
}

/// Bands × rows of the LSH over text signatures (8 × 4: pairs above ~0.6 similarity meet).
const BANDS: usize = 8;

/// Texts this similar count as the same template when judging how common a template is.
const COMMON_SIMILARITY: f64 = 0.5;

/// A bucket larger than this that spans several groups marks a template in common use without
/// comparing its listings pair by pair.
const LARGE_BUCKET: usize = 64;

/// Pairs of listings that near-duplicate text links, decided against the groups formed by strong
/// identifiers alone (so that the answer does not depend on the order pairs are looked at).
fn text_links(
    listings: &[Evidence],
    uf: &mut UnionFind,
    settings: Settings,
) -> Vec<(usize, usize)> {
    let groups: Vec<usize> = (0..listings.len()).map(|i| uf.find(i)).collect();
    let mut buckets: FxHashMap<(usize, u64), Vec<usize>> = FxHashMap::default();
    for (i, e) in listings.iter().enumerate() {
        if e.text.is_empty() || e.text.len() % BANDS != 0 {
            continue;
        }
        let rows = e.text.len() / BANDS;
        for (band, values) in e.text.chunks(rows).enumerate() {
            let key = values.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, v| {
                (h ^ u64::from(*v)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            buckets.entry((band, key)).or_default().push(i);
        }
    }
    // Each listing's look-alikes (sharing a band and at least `COMMON_SIMILARITY` similar).
    let mut alike: Vec<Vec<usize>> = vec![Vec::new(); listings.len()];
    let mut crowded = vec![false; listings.len()];
    for members in buckets.values() {
        if members.len() < 2 {
            continue;
        }
        let mut distinct: Vec<usize> = members.iter().map(|&i| groups[i]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        // A large bucket (one band of four values shared exactly) spanning many groups is a
        // template in common use: its listings link nothing, and are not compared pairwise.
        if members.len() > LARGE_BUCKET && distinct.len() > settings.text_max_groups_per_bucket {
            for &m in members {
                crowded[m] = true;
            }
            continue;
        }
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if groups[a] != groups[b]
                    && similarity(&listings[a].text, &listings[b].text) >= COMMON_SIMILARITY
                {
                    alike[a].push(b);
                    alike[b].push(a);
                }
            }
        }
    }
    // A listing whose look-alikes span many groups uses a common template: it links nothing.
    let common: Vec<bool> = alike
        .iter()
        .enumerate()
        .map(|(i, others)| {
            if crowded[i] {
                return true;
            }
            let mut distinct: Vec<usize> = others.iter().map(|&j| groups[j]).collect();
            distinct.push(groups[i]);
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len() > settings.text_max_groups_per_bucket
        })
        .collect();
    let mut pairs = std::collections::BTreeSet::new();
    for (a, others) in alike.iter().enumerate() {
        for &b in others {
            if a >= b || groups[a] == groups[b] || common[a] || common[b] {
                continue;
            }
            let (ea, eb) = (&listings[a], &listings[b]);
            let similar = similarity(&ea.text, &eb.text) >= settings.text_min_similarity;
            let corroborated = ea.context.iter().any(|c| eb.context.contains(c));
            if similar && corroborated {
                pairs.insert((a, b));
            }
        }
    }
    pairs.into_iter().collect()
}

/// Estimated Jaccard similarity of two MinHash signatures (0 when their lengths differ).
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(id: &str, phones: &[&str], images: &[&str]) -> Evidence {
        Evidence {
            source: "s".into(),
            external_id: id.into(),
            first_seen: None,
            phones: phones.iter().map(|s| (*s).to_owned()).collect(),
            images: images.iter().map(|s| (*s).to_owned()).collect(),
            ..Evidence::default()
        }
    }

    #[test]
    fn shared_phones_and_images_chain_listings_into_one_cluster() {
        let l = [
            listing("1", &["+447700900001"], &["phash:0000000000000001"]),
            listing("2", &["+447700900002"], &["phash:0000000000000001"]),
            listing("3", &["+447700900002"], &[]),
            listing("4", &["+447700900009"], &[]),
        ];
        let c = link(&l, Settings::default());
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
        assert_eq!(c.cluster_of[1], c.cluster_of[2]);
        assert_ne!(c.cluster_of[0], c.cluster_of[3]);
        assert_eq!(
            c.cluster_of[3],
            singleton_cluster_id("s", "4"),
            "alone keeps its own id"
        );
        assert_eq!(c.summary[&c.cluster_of[0]].0, 3);
    }

    #[test]
    fn near_identical_images_link_and_distant_ones_do_not() {
        let l = [
            listing("1", &[], &["phash:f0f0f0f0f0f0f0f0"]),
            listing("2", &[], &["phash:f0f0f0f0f0f0f0f1"]), // 1 bit away
            listing("3", &[], &["phash:0f0f0f0f0f0f0f0f"]), // 64 bits away
        ];
        let c = link(&l, Settings::default());
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
        assert_ne!(c.cluster_of[0], c.cluster_of[2]);
    }

    #[test]
    fn a_stock_image_on_many_listings_links_nothing() {
        let l: Vec<Evidence> = (0..60)
            .map(|i| listing(&i.to_string(), &[], &["sha256:stock"]))
            .collect();
        let c = link(&l, Settings::default());
        let distinct: std::collections::HashSet<&String> = c.cluster_of.iter().collect();
        assert_eq!(distinct.len(), 60);
    }

    #[test]
    fn a_growing_cluster_keeps_its_id() {
        let t = |s: &str| Some(Timestamp::parse(s).unwrap());
        let mut a = listing("b", &["+447700900001"], &[]);
        a.first_seen = t("2026-10-01T00:00:00Z");
        let c1 = link(std::slice::from_ref(&a), Settings::default());
        let mut b = listing("a", &["+447700900001"], &[]);
        b.first_seen = t("2026-10-08T00:00:00Z");
        let c2 = link(&[a, b], Settings::default());
        assert_eq!(c1.cluster_of[0], c2.cluster_of[0]);
        assert_eq!(c2.cluster_of[0], c2.cluster_of[1]);
    }

    fn texty(id: &str, phone: &str, text: &[u32], context: &[&str]) -> Evidence {
        Evidence {
            text: text.to_vec(),
            context: context.iter().map(|s| (*s).to_owned()).collect(),
            ..listing(id, &[phone], &[])
        }
    }

    #[test]
    fn near_identical_text_links_only_when_corroborated_and_uncommon() {
        let sig: Vec<u32> = (0..32).collect();
        let mut close = sig.clone();
        close[0] = 999; // 31 of 32 values equal: similarity 0.97
        // Corroborated by a shared area: linked, with its reason.
        let l = [
            texty("1", "+447700900001", &sig, &["district:B5"]),
            texty("2", "+447700900002", &close, &["district:B5", "price:80"]),
        ];
        let c = link(&l, Settings::default());
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
        assert_eq!(c.summary[&c.cluster_of[0]].1, [LinkKind::Text]);
        // No second signal: not linked.
        let l = [
            texty("1", "+447700900001", &sig, &["district:B5"]),
            texty("2", "+447700900002", &close, &["district:WS1"]),
        ];
        let c = link(&l, Settings::default());
        assert_ne!(c.cluster_of[0], c.cluster_of[1]);
        // The same text under five unrelated numbers is a shared template: nothing links.
        let l: Vec<Evidence> = (0..5)
            .map(|i| {
                texty(
                    &i.to_string(),
                    &format!("+44770090001{i}"),
                    &sig,
                    &["district:B5"],
                )
            })
            .collect();
        let c = link(&l, Settings::default());
        let distinct: std::collections::HashSet<&String> = c.cluster_of.iter().collect();
        assert_eq!(distinct.len(), 5);
    }
}
