//! Lantern's analysis core: from each listing's folded evidence to the records of the results
//! export (`shared/spec/results-export.md`): clusters (via `lantern-link`), locations (premises
//! and leads), movement, and each listing's cluster and locations.
//!
//! Architecture invariant: pure and deterministic. The same evidence gives the same records,
//! whatever order it was gathered in; that is what makes an incremental analysis equal a full one.
//! Times come from the data (the latest capture), never from the clock.

pub mod area;
mod batches;
pub mod evidence;
mod locations;
pub mod risk;
mod sketch;
pub mod text;

pub use area::{Area, PlaceDistricts, area_of_capture};
pub use batches::record_batches;
pub use evidence::{AreaSeen, CaptureId, EVIDENCE_VERSION, IndicatorSeen, ListingEvidence};
pub use locations::{LocationSettings, is_new_since, location_key, premises_key};
pub use risk::{Assessment, RiskConfigError, RiskModel};
pub use sketch::Sketch;

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use lantern_core::Timestamp;
use lantern_core::export::{AdvertRecord, ClusterRecord, LocationRecord, RiskBand};
use lantern_link::{Clusters, Evidence, LinkKind, Settings, link};

/// One listing as the analysis sees it.
#[derive(Debug, Clone, Copy)]
pub struct ListingInput<'a> {
    /// Site.
    pub source: &'a str,
    /// Id on the site.
    pub external_id: &'a str,
    /// First capture time.
    pub first_seen: Timestamp,
    /// Last capture time.
    pub last_seen: Timestamp,
    /// Its folded evidence.
    pub evidence: &'a ListingEvidence,
}

/// The analysis' results: the three exports' records.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// One per listing, in input order.
    pub adverts: Vec<AdvertRecord>,
    /// One per cluster, in order of their first listing in input order.
    pub clusters: Vec<ClusterRecord>,
    /// One per location, ordered by id.
    pub locations: Vec<LocationRecord>,
}

/// Analyses `listings` (in `(source, external_id)` order): links them all, then makes every
/// record.
pub fn analyse(
    listings: &[ListingInput<'_>],
    places: &PlaceDistricts,
    settings: &LocationSettings,
    model: &RiskModel,
) -> Analysis {
    let sketches: Vec<Sketch> = listings
        .iter()
        .map(|l| Sketch::of(l.evidence, places))
        .collect();
    let evidence: Vec<Evidence<'_>> = listings
        .iter()
        .zip(&sketches)
        .map(|(l, s)| Evidence {
            source: l.source,
            external_id: l.external_id,
            first_seen: Some(l.first_seen),
            inputs: &s.inputs,
        })
        .collect();
    let clusters = link(&evidence, Settings::default());
    drop(evidence);
    drop(sketches);
    let Some(reference) = listings.iter().map(|l| l.last_seen).max() else {
        return Analysis::default();
    };
    records(
        listings,
        &clusters,
        &clusters.cluster_of,
        reference,
        places,
        settings,
        model,
    )
}

/// The records of `listings`, already linked: `cluster_of` gives each listing's cluster, and
/// `clusters` the linking of the whole store (for each cluster's reasons). `listings` must hold
/// whole clusters, every listing of each premises they name, and keep the store's
/// `(source, external_id)` order; `reference` is the latest capture time of the whole store.
/// Records made from such a part equal those of the whole.
pub fn records(
    listings: &[ListingInput<'_>],
    clusters: &Clusters,
    cluster_of: &[String],
    reference: Timestamp,
    places: &PlaceDistricts,
    settings: &LocationSettings,
    model: &RiskModel,
) -> Analysis {
    let located = locations::locate(listings, cluster_of, reference, places, settings);

    let mut adverts = Vec::with_capacity(listings.len());
    for (i, l) in listings.iter().enumerate() {
        adverts.push(AdvertRecord {
            source: l.source.to_owned(),
            external_id: l.external_id.to_owned(),
            cluster: cluster_of[i].clone(),
            locations: located.of_listing[i].clone(),
            phones: l.evidence.phones.iter().cloned().collect(),
            emails: l.evidence.emails.iter().cloned().collect(),
            first_seen: l.first_seen,
            last_seen: l.last_seen,
            risk: 0.0,
            risk_band: RiskBand::Low,
            reasons: Vec::new(),
            assessed: false,
        });
    }

    let mut index: HashMap<&str, usize> = HashMap::default();
    let mut records: Vec<ClusterRecord> = Vec::new();
    let mut phones: Vec<BTreeSet<&str>> = Vec::new();
    for (i, l) in listings.iter().enumerate() {
        let id = cluster_of[i].as_str();
        let k = *index.entry(id).or_insert_with(|| {
            records.push(ClusterRecord {
                cluster: id.to_owned(),
                size: 0,
                phones: Vec::new(),
                locations: Vec::new(),
                places: Vec::new(),
                first_seen: l.first_seen,
                last_seen: l.last_seen,
                risk: 0.0,
                risk_band: RiskBand::Low,
                reasons: Vec::new(),
                assessed: false,
                movement: Vec::new(),
                template: None,
                features: Default::default(),
            });
            phones.push(BTreeSet::new());
            records.len() - 1
        });
        let record = &mut records[k];
        if (record.template.is_none() || l.first_seen < record.first_seen)
            && let Some((_, t)) = &l.evidence.template
        {
            record.template = Some(t.clone());
        }
        record.size += 1;
        record.first_seen = record.first_seen.min(l.first_seen);
        record.last_seen = record.last_seen.max(l.last_seen);
        phones[k].extend(l.evidence.phones.iter().map(String::as_str));
    }
    for (record, phones) in records.iter_mut().zip(phones) {
        record.phones = phones.into_iter().map(str::to_owned).collect();
        let kinds = clusters
            .summary
            .get(&record.cluster)
            .map_or(&[][..], |(_, k)| k.as_slice());
        record.reasons = link_reasons(record.size, kinds);
        if let Some(movement) = located.movement.get(&record.cluster) {
            record.locations = movement.steps.iter().map(|s| s.location.clone()).collect();
            record.places = movement.places.clone();
            record.reasons.extend(movement.reasons.iter().cloned());
            record.movement = movement.steps.clone();
        }
    }
    let mut locations = located.records;
    assess_all(
        model,
        listings,
        &mut adverts,
        &mut records,
        &mut locations,
        &located.of_listing,
        &located.movement,
    );
    Analysis {
        adverts,
        clusters: records,
        locations,
    }
}

/// Scores every cluster and gives its risk to its listings and the locations they advertise.
fn assess_all(
    model: &RiskModel,
    listings: &[ListingInput<'_>],
    adverts: &mut [AdvertRecord],
    clusters: &mut [ClusterRecord],
    locations: &mut [LocationRecord],
    of_listing: &[Vec<String>],
    movement: &HashMap<String, locations::Movement>,
) {
    let mut facts: HashMap<&str, risk::LocationFacts<'_>> = locations
        .iter()
        .map(|l| {
            (
                l.location.as_str(),
                risk::LocationFacts {
                    short_lived: l.short_lived,
                    borough: None,
                },
            )
        })
        .collect();
    for m in movement.values() {
        for step in &m.steps {
            if let Some(f) = facts.get_mut(step.location.as_str()) {
                f.borough = step.borough.as_deref();
            }
        }
    }
    let mut members: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, a) in adverts.iter().enumerate() {
        members.entry(a.cluster.as_str()).or_default().push(i);
    }
    let assessed: HashMap<String, Assessment> = members
        .iter()
        .map(|(cluster, m)| {
            (
                (*cluster).to_owned(),
                risk::assess(model, listings, m, of_listing, &facts),
            )
        })
        .collect();
    drop(facts);
    let mut location_risk: HashMap<&str, f64> = HashMap::default();
    for (i, a) in adverts.iter_mut().enumerate() {
        if let Some(x) = assessed.get(&a.cluster) {
            a.risk = x.risk;
            a.risk_band = x.band;
            a.reasons = x.reasons.clone();
            a.assessed = true;
            for id in &of_listing[i] {
                let r = location_risk.entry(id.as_str()).or_insert(0.0);
                *r = r.max(x.risk);
            }
        }
    }
    for c in clusters.iter_mut() {
        if let Some(x) = assessed.get(&c.cluster) {
            c.risk = x.risk;
            c.risk_band = x.band;
            let mut reasons = x.reasons.clone();
            reasons.append(&mut c.reasons);
            c.reasons = reasons;
            c.assessed = true;
            c.features = x.features.clone();
        }
    }
    for l in locations.iter_mut() {
        if let Some(r) = location_risk.get(l.location.as_str()) {
            l.risk = *r;
            l.risk_band = model.band(*r);
            l.assessed = true;
        }
    }
}

/// The soft facts that may corroborate a text match: where the listing advertised (areas, and
/// the main district of a place) and its stated prices.
fn context(e: &ListingEvidence, places: &PlaceDistricts) -> Vec<String> {
    let mut out: Vec<String> = e.areas.keys().cloned().collect();
    out.extend(
        e.areas
            .values()
            .filter_map(|seen| places.main_district(&seen.area))
            .map(|d| format!("district:{d}")),
    );
    out.extend(e.prices.iter().map(|p| format!("price:{p}")));
    out.sort();
    out.dedup();
    out
}

/// Why a cluster's listings were grouped, in words.
fn link_reasons(size: u64, kinds: &[LinkKind]) -> Vec<String> {
    if size < 2 {
        return Vec::new();
    }
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            LinkKind::Phone => "a phone number",
            LinkKind::Email => "an e-mail address",
            LinkKind::Handle => "a messaging handle",
            LinkKind::Image => "an image",
            LinkKind::Text => "near-identical advert text (with an area or price in common)",
        })
        .collect();
    vec![format!(
        "{size} listings linked by sharing {}",
        names.join(", ")
    )]
}
