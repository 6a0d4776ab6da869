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

use lantern_core::Timestamp;
use lantern_core::export::singleton_cluster_id;

/// What one listing offers for linking, borrowed from the caller: its names (for the cluster
/// id), when it was first seen, and its [`Inputs`].
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Site.
    pub source: &'a str,
    /// Id on the site.
    pub external_id: &'a str,
    /// First seen.
    pub first_seen: Option<Timestamp>,
    /// What links it.
    pub inputs: &'a Inputs,
}

/// A listing's linking inputs in compact form: identifiers hashed, the text as its MinHash
/// signature, the soft context hashed. Small enough to keep for every listing of a large store,
/// so that linking can be run again over all of them without reading their evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Strong identifiers (phones E.164, e-mails, `service:handle`, image hashes as given).
    pub identifiers: Vec<Identifier>,
    /// MinHash signature of the masked advert text (empty when none).
    pub text: Vec<u32>,
    /// Soft facts that corroborate a text match (area keys, `price:80`), hashed with
    /// [`context_key`]; never link alone.
    pub context: Vec<u64>,
}

/// One strong identifier, hashed ([`Identifier::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier {
    /// What it is (never [`LinkKind::Text`]).
    pub kind: LinkKind,
    /// 64-bit hash of the kind and the value: equal values give equal keys; two different
    /// values share a key with odds of about 1 in 10^19 per pair (at 10 million identifiers, a
    /// few in a million that any collision exists at all).
    pub key: u64,
    /// A perceptual image hash's bits (`phash:` images), compared within a Hamming distance.
    pub phash: Option<u64>,
}

impl Identifier {
    /// The identifier `value` of `kind`.
    pub fn new(kind: LinkKind, value: &str) -> Self {
        let phash = match kind {
            LinkKind::Image => phash_bits(value),
            _ => None,
        };
        Self {
            kind,
            key: fnv1a(fnv1a(FNV_OFFSET, &[kind.tag()]), value.as_bytes()),
            phash,
        }
    }
}

/// The hash of one context fact (an area key, `district:B5`, `price:80`).
pub fn context_key(fact: &str) -> u64 {
    fnv1a(FNV_OFFSET, fact.as_bytes())
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64-bit, finished with SplitMix64's mixer: Lantern's own hash, because keys are stored
/// and must not change between builds or machines.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(FNV_PRIME);
    }
    let mut z = hash.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

impl LinkKind {
    /// A byte naming the kind in hashes and stored inputs.
    pub fn tag(self) -> u8 {
        match self {
            Self::Phone => 1,
            Self::Email => 2,
            Self::Handle => 3,
            Self::Image => 4,
            Self::Text => 5,
        }
    }

    /// The kind a [`LinkKind::tag`] names.
    pub fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            1 => Self::Phone,
            2 => Self::Email,
            3 => Self::Handle,
            4 => Self::Image,
            5 => Self::Text,
            _ => return None,
        })
    }
}

/// The clusters of a set of listings.
#[derive(Debug, Clone)]
pub struct Clusters {
    /// Cluster id of each listing, in input order.
    pub cluster_of: Vec<String>,
    /// Per cluster id: its size and which kinds of link joined it.
    pub summary: HashMap<String, (usize, Vec<LinkKind>)>,
}

/// Disjoint sets over `0..n` (path halving; a set's root is its smallest member).
#[derive(Debug, Clone)]
pub struct UnionFind(Vec<usize>);

impl UnionFind {
    /// `n` sets of one member each.
    pub fn new(n: usize) -> Self {
        Self((0..n).collect())
    }

    /// The root of `i`'s set: its smallest member.
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    /// Joins the sets of `a` and `b`; whether they were apart.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
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
pub fn link(listings: &[Evidence<'_>], settings: Settings) -> Clusters {
    let n = listings.len();
    let mut uf = UnionFind::new(n);
    // Which kinds of evidence joined each cluster: (a listing of it, kind), one per identifier
    // shared, image pair or text pair that links (whatever order they were met in).
    let mut joined: Vec<(usize, LinkKind)> = Vec::new();

    // Exact identifiers: every (key, listing), sorted (a key hashes the kind with the value); the
    // listings of one identifier are joined, unless it is an image on so many listings that it is
    // a stock picture.
    let mut ids: Vec<(u64, u32, u8)> =
        Vec::with_capacity(listings.iter().map(|e| e.inputs.identifiers.len()).sum());
    // Perceptual hashes by key, to be walked beside the identifiers (both sorted by key).
    let mut phashes: Vec<(u64, u64)> = Vec::with_capacity(
        listings
            .iter()
            .flat_map(|e| &e.inputs.identifiers)
            .filter(|id| id.phash.is_some())
            .count(),
    );
    for (i, e) in listings.iter().enumerate() {
        for id in &e.inputs.identifiers {
            ids.push((id.key, i as u32, id.kind.tag()));
            if let Some(bits) = id.phash {
                phashes.push((id.key, bits));
            }
        }
    }
    sort_by_prefix(&mut ids, |id| top16(id.0), cores());
    ids.dedup();
    sort_by_prefix(&mut phashes, |p| top16(p.0), cores());
    phashes.dedup_by_key(|p| p.0);
    let mut phashes = phashes.into_iter().peekable();
    // Distinct perceptual hashes (of images that are not stock), with their first listing.
    let mut distinct: Vec<(u64, usize)> = Vec::new();
    for run in ids.chunk_by(|a, b| a.0 == b.0) {
        let (key, first) = (run[0].0, run[0].1 as usize);
        let kind = LinkKind::from_tag(run[0].2).unwrap_or(LinkKind::Phone);
        let mut bits = None;
        while let Some(&(k, b)) = phashes.peek() {
            if k > key {
                break;
            }
            if k == key {
                bits = Some(b);
            }
            phashes.next();
        }
        if kind == LinkKind::Image && run.len() > settings.max_image_listings {
            continue;
        }
        if run.len() >= 2 {
            for &(_, other, _) in &run[1..] {
                uf.union(first, other as usize);
            }
            joined.push((first, kind));
        }
        if let Some(bits) = bits {
            distinct.push((bits, first));
        }
    }
    drop(ids);

    // Near-identical perceptual hashes: candidates share one of four 16-bit bands exactly.
    if settings.phash_max_distance > 0 {
        sort_by_prefix(&mut distinct, |d| top16(d.0), cores());
        let near = per_band(4, |band| {
            let mut pairs: Vec<(usize, usize)> = Vec::new();
            // (band value, index, bits): the bits ride along so that a bucket's comparisons read
            // one run of memory instead of reaching into `distinct` for every pair.
            let mut parts: Vec<(u16, u32, u64)> = distinct
                .iter()
                .enumerate()
                .map(|(k, &(bits, _))| ((bits >> (16 * band)) as u16, k as u32, bits))
                .collect();
            sort_by_prefix(&mut parts, |part| part.0, 1);
            for run in parts.chunk_by(|a, b| a.0 == b.0) {
                if run.len() < 2 || run.len() > settings.max_image_listings {
                    continue;
                }
                for (x, &(_, a, ba)) in run.iter().enumerate() {
                    for &(_, b, bb) in &run[x + 1..] {
                        if (ba ^ bb).count_ones() <= settings.phash_max_distance {
                            pairs.push((distinct[a as usize].1, distinct[b as usize].1));
                        }
                    }
                }
            }
            pairs
        });
        for (ia, ib) in near.into_iter().flatten() {
            uf.union(ia, ib);
            joined.push((ia, LinkKind::Image));
        }
    }

    if settings.text_min_similarity > 0.0 {
        for (a, b) in text_links(listings, &mut uf, settings) {
            uf.union(a, b);
            joined.push((a, LinkKind::Text));
        }
    }

    // Name each cluster after its earliest listing.
    let roots: Vec<usize> = (0..n).map(|i| uf.find(i)).collect();
    let order = |k: usize| {
        (
            listings[k].first_seen,
            listings[k].source,
            listings[k].external_id,
        )
    };
    let mut anchor: Vec<usize> = (0..n).collect();
    for (i, &root) in roots.iter().enumerate() {
        if order(i) < order(anchor[root]) {
            anchor[root] = i;
        }
    }
    let mut kinds_of: Vec<u8> = vec![0; n];
    for (i, kind) in joined {
        kinds_of[roots[i]] |= 1 << kind.tag();
    }
    let mut sizes: Vec<usize> = vec![0; n];
    for &root in &roots {
        sizes[root] += 1;
    }
    // The roots, and their names (a hash each) worked out on every core.
    let named: Vec<usize> = (0..n).filter(|&root| sizes[root] > 0).collect();
    let parts: Vec<&[usize]> = named.chunks(named.len().div_ceil(cores()).max(1)).collect();
    let names: Vec<String> = per_band(parts.len(), |part| {
        parts[part]
            .iter()
            .map(|&root| {
                let a = &listings[anchor[root]];
                singleton_cluster_id(a.source, a.external_id)
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let mut name_of: Vec<u32> = vec![0; n];
    for (k, &root) in named.iter().enumerate() {
        name_of[root] = k as u32;
    }
    let cluster_of = roots
        .iter()
        .map(|&root| names[name_of[root] as usize].clone())
        .collect();
    let summary: HashMap<String, (usize, Vec<LinkKind>)> = named
        .iter()
        .zip(names)
        .map(|(&root, name)| {
            let kinds = (1..=5)
                .filter(|tag| kinds_of[root] & (1 << tag) != 0)
                .filter_map(LinkKind::from_tag)
                .collect();
            (name, (sizes[root], kinds))
        })
        .collect();
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
/// identifiers alone (so that the answer does not depend on the order pairs are looked at). The
/// bands are shared out among the cores: each pair is met in the first band it shares, whichever
/// core looks at that band.
fn text_links(
    listings: &[Evidence<'_>],
    uf: &mut UnionFind,
    settings: Settings,
) -> Vec<(usize, usize)> {
    // A listing whose look-alikes span more groups than this (its own included) uses a common
    // template; with no room at all, every listing does and text links nothing.
    if settings.text_max_groups_per_bucket == 0 {
        return Vec::new();
    }
    let groups: Vec<u32> = (0..listings.len()).map(|i| uf.find(i) as u32).collect();
    let signatures = Signatures::of(listings);
    let parts = per_band(BANDS, |band| {
        let mut found = LookAlikes::new(listings.len(), settings.text_max_groups_per_bucket);
        look_alikes_in_band(listings, &signatures, &groups, band, settings, &mut found);
        found
    });
    let mut parts = parts.into_iter();
    let Some(mut all) = parts.next() else {
        return Vec::new();
    };
    for part in parts {
        all.absorb(part, &groups);
    }
    let mut links: Vec<(usize, usize)> = all
        .candidates
        .iter()
        .filter(|&&(a, b)| !all.common[a as usize] && !all.common[b as usize])
        .map(|&(a, b)| (a as usize, b as usize))
        .collect();
    links.sort_unstable();
    links
}

/// Marks a [`LookAlikes::others`] slot as empty.
const NO_GROUP: u32 = u32::MAX;

/// What the buckets of some bands show about each listing's look-alikes (listings sharing a band
/// with it and at least [`COMMON_SIMILARITY`] similar, in another group): the other groups they
/// span, up to the first that makes its template common; and the pairs similar and corroborated
/// enough to link, should neither prove common.
struct LookAlikes {
    /// Groups other than its own a listing's look-alikes span, `room - 1` slots per listing.
    others: Vec<u32>,
    /// Slots per listing.
    slots: usize,
    /// Whether a listing's template is common (its look-alikes span more than `room` groups with
    /// its own, or it sits in a crowded bucket).
    common: Vec<bool>,
    /// Pairs (smaller index first) near-identical and sharing an area or price.
    candidates: Vec<(u32, u32)>,
}

impl LookAlikes {
    fn new(listings: usize, room: usize) -> Self {
        let slots = room - 1;
        Self {
            others: vec![NO_GROUP; listings * slots],
            slots,
            common: vec![false; listings],
            candidates: Vec::new(),
        }
    }

    /// Listing `i` (of group `own`) has a look-alike in group `group`.
    fn note(&mut self, i: usize, own: u32, group: u32) {
        if self.common[i] || group == own {
            return;
        }
        let slots = &mut self.others[i * self.slots..(i + 1) * self.slots];
        if slots.contains(&group) {
            return;
        }
        match slots.iter_mut().find(|g| **g == NO_GROUP) {
            Some(free) => *free = group,
            None => self.common[i] = true,
        }
    }

    /// Adds what another core found.
    fn absorb(&mut self, other: Self, groups: &[u32]) {
        for (i, &own) in groups.iter().enumerate() {
            if other.common[i] {
                self.common[i] = true;
                continue;
            }
            for k in 0..other.slots {
                let group = other.others[i * other.slots + k];
                if group != NO_GROUP {
                    self.note(i, own, group);
                }
            }
        }
        self.candidates.extend(other.candidates);
    }
}

/// Every listing's text signature laid out side by side, with its LSH band keys: the pair loop,
/// which meets tens of millions of pairs at 1M listings, then reads two short runs of memory a
/// pair instead of following three pointers to each listing's signature.
struct Signatures {
    /// Where each listing's signature starts in `values`, and its length (0: it has none that
    /// can be banded).
    spans: Vec<(u32, u32)>,
    /// The signatures.
    values: Vec<u32>,
    /// [`BANDS`] keys per listing: the hash of each band of its signature (0 when it has none).
    keys: Vec<u64>,
}

impl Signatures {
    fn of(listings: &[Evidence<'_>]) -> Self {
        let mut spans = Vec::with_capacity(listings.len());
        let mut values = Vec::with_capacity(listings.iter().map(|e| e.inputs.text.len()).sum());
        let mut keys = Vec::with_capacity(listings.len() * BANDS);
        for e in listings {
            let text = &e.inputs.text;
            if text.is_empty() || text.len() % BANDS != 0 {
                spans.push((values.len() as u32, 0));
                keys.extend([0; BANDS]);
                continue;
            }
            spans.push((values.len() as u32, text.len() as u32));
            values.extend_from_slice(text);
            let rows = text.len() / BANDS;
            keys.extend(text.chunks(rows).map(|band| {
                band.iter().fold(FNV_OFFSET, |h, v| {
                    (h ^ u64::from(*v)).wrapping_mul(FNV_PRIME)
                })
            }));
        }
        Self {
            spans,
            values,
            keys,
        }
    }

    /// Listing `i`'s signature (empty when it has none that can be banded).
    fn text(&self, i: usize) -> &[u32] {
        let (start, len) = self.spans[i];
        &self.values[start as usize..(start + len) as usize]
    }

    /// Listing `i`'s band keys.
    fn keys(&self, i: usize) -> &[u64] {
        &self.keys[i * BANDS..(i + 1) * BANDS]
    }
}

/// Adds what LSH band `band`'s buckets show to `found`.
fn look_alikes_in_band(
    listings: &[Evidence<'_>],
    signatures: &Signatures,
    groups: &[u32],
    band: usize,
    settings: Settings,
    found: &mut LookAlikes,
) {
    // Every (band key, listing), sorted: runs of one key are the band's buckets.
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(listings.len());
    for i in 0..listings.len() {
        if signatures.spans[i].1 != 0 {
            entries.push((signatures.keys(i)[band], i as u32));
        }
    }
    sort_by_prefix(&mut entries, |entry| top16(entry.0), 1);
    let mut distinct: Vec<u32> = Vec::new();
    let mut bucket = Bucket::default();
    for run in entries.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        bucket.enlist(run, groups);
        distinct.clear();
        distinct.extend(bucket.members.iter().map(|&(_, group)| group));
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        // A large bucket (one band of four values shared exactly) spanning many groups is a
        // template in common use: its listings link nothing, and are not compared pairwise.
        if run.len() > LARGE_BUCKET && distinct.len() > settings.text_max_groups_per_bucket {
            for &(_, m) in run {
                found.common[m as usize] = true;
            }
            continue;
        }
        bucket.gather(signatures, band);
        for x in 0..bucket.len() {
            let (a, ga) = bucket.members[x];
            let (ta, ka) = (bucket.text(x), bucket.earlier_keys(x));
            for y in x + 1..bucket.len() {
                let (b, gb) = bucket.members[y];
                // Two listings whose templates already proved common gain nothing from a pair.
                if ga == gb || (found.common[a as usize] && found.common[b as usize]) {
                    continue;
                }
                let tb = bucket.text(y);
                if ta.len() != tb.len() {
                    continue;
                }
                // A pair sharing several bands is looked at once, in the first it shares (the
                // first bucket it shares: two keys equal by chance count as shared, and the pair
                // was met in that band's bucket).
                if ka.iter().zip(bucket.earlier_keys(y)).any(|(p, q)| p == q) {
                    continue;
                }
                let similar = similarity(ta, tb);
                if similar < COMMON_SIMILARITY {
                    continue;
                }
                found.note(a as usize, ga, gb);
                found.note(b as usize, gb, ga);
                let (ea, eb) = (&listings[a as usize].inputs, &listings[b as usize].inputs);
                if similar >= settings.text_min_similarity
                    && ea.context.iter().any(|c| eb.context.contains(c))
                {
                    found.candidates.push((a, b));
                }
            }
        }
    }
}

/// One LSH bucket's listings gathered side by side (index and group, then signature and the keys
/// of the bands before this one): its pairs then read a few short runs of memory instead of
/// reaching across a million listings' signatures for each of them.
#[derive(Default)]
struct Bucket {
    /// (listing index, group) of each member, in bucket order.
    members: Vec<(u32, u32)>,
    /// The members' signatures one after another (see `spans`).
    texts: Vec<u32>,
    /// Each member's keys of the bands before this one, `band` apart.
    keys: Vec<u64>,
    /// Where each member's signature starts in `texts`, and its length.
    spans: Vec<(u32, u32)>,
    /// The band being looked at (how many earlier keys each member carries).
    band: usize,
}

impl Bucket {
    /// Takes the members of `run` with their groups (what decides whether the bucket is compared
    /// at all).
    fn enlist(&mut self, run: &[(u64, u32)], groups: &[u32]) {
        self.members.clear();
        self.members
            .extend(run.iter().map(|&(_, i)| (i, groups[i as usize])));
    }

    /// Gathers the enlisted members' signatures and their keys of the bands before `band`.
    fn gather(&mut self, signatures: &Signatures, band: usize) {
        self.texts.clear();
        self.keys.clear();
        self.spans.clear();
        self.band = band;
        for &(i, _) in &self.members {
            let text = signatures.text(i as usize);
            self.spans
                .push((self.texts.len() as u32, text.len() as u32));
            self.texts.extend_from_slice(text);
            self.keys
                .extend_from_slice(&signatures.keys(i as usize)[..band]);
        }
    }

    /// How many members.
    fn len(&self) -> usize {
        self.members.len()
    }

    /// Member `x`'s signature.
    fn text(&self, x: usize) -> &[u32] {
        let (start, len) = self.spans[x];
        &self.texts[start as usize..(start + len) as usize]
    }

    /// Member `x`'s keys of the bands before this one.
    fn earlier_keys(&self, x: usize) -> &[u64] {
        &self.keys[x * self.band..(x + 1) * self.band]
    }
}

/// The cores to share work out among.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How many values a sort prefix takes ([`sort_by_prefix`]).
const PREFIXES: usize = 1 << 16;

/// Sorts `items` into the order `sort_unstable` gives, when `prefix` is a 16-bit summary that
/// leads that order (`a <= b` implies `prefix(a) <= prefix(b)`: the top bits of a leading hash,
/// say): items are counted and placed by prefix in two passes, then each prefix's short run is
/// sorted, the runs shared out among `cores` cores. A million items take a fraction of a
/// comparison sort's time, whose every level reads the whole slice again.
fn sort_by_prefix<T: Ord + Copy + Send>(
    items: &mut Vec<T>,
    prefix: impl Fn(&T) -> u16,
    cores: usize,
) {
    let Some(&first) = items.first() else {
        return;
    };
    // starts[p]: where prefix p's run begins; starts[PREFIXES]: the end.
    let mut starts = vec![0_usize; PREFIXES + 1];
    for item in items.iter() {
        starts[usize::from(prefix(item)) + 1] += 1;
    }
    for p in 1..=PREFIXES {
        starts[p] += starts[p - 1];
    }
    let mut next = starts.clone();
    let mut placed = vec![first; items.len()];
    for &item in items.iter() {
        let p = usize::from(prefix(&item));
        placed[next[p]] = item;
        next[p] += 1;
    }
    let starts = &starts;
    // Sorts the runs of prefixes `from..to` in `part`, which begins at item `offset`.
    let sort_runs = move |part: &mut [T], offset: usize, from: usize, to: usize| {
        for p in from..to {
            part[starts[p] - offset..starts[p + 1] - offset].sort_unstable();
        }
    };
    if cores < 2 {
        sort_runs(&mut placed, 0, 0, PREFIXES);
    } else {
        // The first prefix whose run begins at or after the middle item starts the second half.
        let half = starts
            .partition_point(|&start| start < items.len() / 2)
            .min(PREFIXES);
        let split = starts[half];
        let (low, high) = placed.split_at_mut(split);
        std::thread::scope(|scope| {
            scope.spawn(|| sort_runs(high, split, half, PREFIXES));
            sort_runs(low, 0, 0, half);
        });
    }
    *items = placed;
}

/// The top 16 bits of a 64-bit value: the prefix of a sort led by a hash.
fn top16(value: u64) -> u16 {
    (value >> 48) as u16
}

/// `f` of each band `0..bands`, in band order, the bands shared out among the cores (each band's
/// work is independent of the others').
fn per_band<T: Send>(bands: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = cores().clamp(1, bands.max(1));
    let f = &f;
    let mut out: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..bands)
                        .step_by(threads)
                        .map(|band| (band, f(band)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    out.sort_by_key(|(band, _)| *band);
    out.into_iter().map(|(_, t)| t).collect()
}

/// Estimated Jaccard similarity of two MinHash signatures (0 when their lengths differ).
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let equal: u32 = a.iter().zip(b).map(|(x, y)| u32::from(x == y)).sum();
    f64::from(equal) / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing the test owns (linking borrows).
    #[derive(Clone)]
    struct Listing {
        id: String,
        first_seen: Option<Timestamp>,
        inputs: Inputs,
    }

    fn listing(id: &str, phones: &[&str], images: &[&str]) -> Listing {
        let identifiers = phones
            .iter()
            .map(|p| Identifier::new(LinkKind::Phone, p))
            .chain(images.iter().map(|i| Identifier::new(LinkKind::Image, i)))
            .collect();
        Listing {
            id: id.into(),
            first_seen: None,
            inputs: Inputs {
                identifiers,
                ..Inputs::default()
            },
        }
    }

    /// Links the listings (site `s`) with the default settings.
    fn link_all(listings: &[Listing]) -> Clusters {
        let evidence: Vec<Evidence<'_>> = listings
            .iter()
            .map(|l| Evidence {
                source: "s",
                external_id: &l.id,
                first_seen: l.first_seen,
                inputs: &l.inputs,
            })
            .collect();
        link(&evidence, Settings::default())
    }

    /// Placed by prefix and sorted run by run, on one core or several, items come out exactly as
    /// one sort puts them: duplicates, ties on the hash, crowded and empty prefixes included.
    #[test]
    fn sorting_by_prefix_gives_the_order_of_one_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut items: Vec<(u64, u32)> = (0..20_000_u32)
            .map(|i| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // A few hashes repeat, with different second fields; one prefix is crowded.
                let hash = match i % 7 {
                    0 => 1 << 63,
                    1 => 0xabcd_0000_0000_0000 | (state >> 40),
                    _ => state,
                };
                (hash, i % 13)
            })
            .collect();
        items.extend(items.clone().into_iter().take(500));
        let mut expected = items.clone();
        expected.sort_unstable();
        for cores in [1, 2, 3] {
            let mut sorted = items.clone();
            sort_by_prefix(&mut sorted, |item| top16(item.0), cores);
            assert_eq!(sorted, expected, "{cores} core(s)");
        }
        let mut empty: Vec<(u64, u32)> = Vec::new();
        sort_by_prefix(&mut empty, |item| top16(item.0), 2);
        assert!(empty.is_empty());
        let mut one = vec![(7_u64, 1_u32)];
        sort_by_prefix(&mut one, |item| top16(item.0), 2);
        assert_eq!(one, vec![(7, 1)]);
    }

    #[test]
    fn shared_phones_and_images_chain_listings_into_one_cluster() {
        let l = [
            listing("1", &["+447700900001"], &["phash:0000000000000001"]),
            listing("2", &["+447700900002"], &["phash:0000000000000001"]),
            listing("3", &["+447700900002"], &[]),
            listing("4", &["+447700900009"], &[]),
        ];
        let c = link_all(&l);
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
        let c = link_all(&l);
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
        assert_ne!(c.cluster_of[0], c.cluster_of[2]);
    }

    #[test]
    fn a_stock_image_on_many_listings_links_nothing() {
        let l: Vec<Listing> = (0..60)
            .map(|i| listing(&i.to_string(), &[], &["sha256:stock"]))
            .collect();
        let c = link_all(&l);
        let distinct: std::collections::HashSet<&String> = c.cluster_of.iter().collect();
        assert_eq!(distinct.len(), 60);
    }

    #[test]
    fn a_growing_cluster_keeps_its_id() {
        let t = |s: &str| Some(Timestamp::parse(s).unwrap());
        let mut a = listing("b", &["+447700900001"], &[]);
        a.first_seen = t("2026-10-01T00:00:00Z");
        let c1 = link_all(std::slice::from_ref(&a));
        let mut b = listing("a", &["+447700900001"], &[]);
        b.first_seen = t("2026-10-08T00:00:00Z");
        let c2 = link_all(&[a, b]);
        assert_eq!(c1.cluster_of[0], c2.cluster_of[0]);
        assert_eq!(c2.cluster_of[0], c2.cluster_of[1]);
    }

    fn texty(id: &str, phone: &str, text: &[u32], context: &[&str]) -> Listing {
        let mut e = listing(id, &[phone], &[]);
        e.inputs.text = text.to_vec();
        e.inputs.context = context.iter().map(|c| context_key(c)).collect();
        e
    }

    #[test]
    fn identifier_keys_are_stable_and_tell_kinds_apart() {
        let phone = Identifier::new(LinkKind::Phone, "+447700900001");
        assert_eq!(phone, Identifier::new(LinkKind::Phone, "+447700900001"));
        assert_ne!(
            phone.key,
            Identifier::new(LinkKind::Phone, "+447700900002").key
        );
        assert_ne!(
            phone.key,
            Identifier::new(LinkKind::Email, "+447700900001").key
        );
        // Stored keys must not change between builds: pinned to a value computed by hand (the
        // same FNV-1a and mixer written in Python).
        assert_eq!(phone.key, 0x8a3a_fc7c_5636_05db);
        let image = Identifier::new(LinkKind::Image, "phash:00000000000000ff");
        assert_eq!(image.phash, Some(0xff));
        assert_eq!(Identifier::new(LinkKind::Image, "sha256:ab").phash, None);
    }

    #[test]
    fn look_alikes_met_in_different_bands_add_up_to_a_common_template() {
        // A's look-alikes each first share a different band with it (bands are shared out among
        // the cores, so no one core sees more than two of them); together they span four other
        // groups, so A's template is common and A does not link even to its near-twin E.
        let a: Vec<u32> = (0..32).collect();
        let differing = |bands: usize| -> Vec<u32> {
            a.iter()
                .enumerate()
                .map(|(k, v)| if k < bands * 4 { v + 1000 } else { *v })
                .collect()
        };
        let mut twin = a.clone();
        twin[31] = 999; // 31 of 32 equal; shares band 0 with A
        let l = [
            texty("a", "+447700900001", &a, &["district:B5"]),
            texty("b", "+447700900002", &differing(1), &[]),
            texty("c", "+447700900003", &differing(2), &[]),
            texty("d", "+447700900004", &differing(3), &[]),
            texty("e", "+447700900005", &twin, &["district:B5"]),
        ];
        let c = link_all(&l);
        let distinct: std::collections::HashSet<&String> = c.cluster_of.iter().collect();
        assert_eq!(distinct.len(), 5, "a common template links nothing");
        // Without the other three look-alikes, A and its twin link.
        let c = link_all(&[l[0].clone(), l[4].clone()]);
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
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
        let c = link_all(&l);
        assert_eq!(c.cluster_of[0], c.cluster_of[1]);
        assert_eq!(c.summary[&c.cluster_of[0]].1, [LinkKind::Text]);
        // No second signal: not linked.
        let l = [
            texty("1", "+447700900001", &sig, &["district:B5"]),
            texty("2", "+447700900002", &close, &["district:WS1"]),
        ];
        let c = link_all(&l);
        assert_ne!(c.cluster_of[0], c.cluster_of[1]);
        // The same text under five unrelated numbers is a shared template: nothing links.
        let l: Vec<Listing> = (0..5)
            .map(|i| {
                texty(
                    &i.to_string(),
                    &format!("+44770090001{i}"),
                    &sig,
                    &["district:B5"],
                )
            })
            .collect();
        let c = link_all(&l);
        let distinct: std::collections::HashSet<&String> = c.cluster_of.iter().collect();
        assert_eq!(distinct.len(), 5);
    }
}
