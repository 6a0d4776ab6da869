//! Locations: a listing's areas become **premises** (an address or postcode unit, shared by
//! whoever advertises there) or **leads** (an area as advertised by one cluster). A lead is a
//! postcode district where one is known or implied: a place name counts as the district its
//! cluster names by it elsewhere (captures giving both), else the district holding most of the
//! place's units; so "Digbeth" and "B5" from one controller are one lead, and a cluster
//! advertising a new district makes a new lead. A place with no main district stays a lead of its
//! own. Each cluster's locations in time order are its movement.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use lantern_core::Timestamp;
use lantern_core::export::{
    LocationKind, LocationRecord, LocationStatus, MovementStep, Precision, RiskBand,
};
use sha2::{Digest, Sha256};

use crate::ListingInput;
use lantern_geo::precision_rank;

use crate::area::{Area, PlaceDistricts};

/// Windows that decide a location's status.
#[derive(Debug, Clone, Copy)]
pub struct LocationSettings {
    /// A location first seen this many days before the latest capture, or later, is `new`.
    pub new_window_days: u64,
    /// A location advertised for at most this many days, and no longer advertised, is
    /// short-lived.
    pub short_lived_days: u64,
}

impl Default for LocationSettings {
    fn default() -> Self {
        Self {
            new_window_days: 7,
            short_lived_days: 14,
        }
    }
}

impl LocationSettings {
    /// A location's status before visits (`new` or `known`) and whether it was short-lived, when
    /// advertised from `first` to `last` and the store's latest capture is at `reference`.
    pub fn timing(
        &self,
        first: Timestamp,
        last: Timestamp,
        reference: Timestamp,
    ) -> (LocationStatus, bool) {
        let day = 24 * 3600;
        let new_from = reference
            .plus_seconds(-((self.new_window_days * day) as i64))
            .unwrap_or(reference);
        let span_days = (last.unix_micros() - first.unix_micros()) / (1_000_000 * day as i64);
        let status = if first >= new_from {
            LocationStatus::New
        } else {
            LocationStatus::Known
        };
        (
            status,
            span_days <= self.short_lived_days as i64 && last < new_from,
        )
    }
}

/// Whether a location belongs in `export locations --new-since T`: first seen at or after `T`
/// and never known or visited before it.
pub fn is_new_since(record: &LocationRecord, since: Timestamp) -> bool {
    record.first_seen >= since
        && !matches!(
            record.status,
            LocationStatus::Visited | LocationStatus::Closed
        )
}

/// A cluster's movement: its locations in order, the places named, and reasons in words.
#[derive(Debug, Clone, Default)]
pub struct Movement {
    pub steps: Vec<MovementStep>,
    pub places: Vec<String>,
    pub reasons: Vec<String>,
}

/// What [`locate`] finds.
#[derive(Debug, Default)]
pub(crate) struct Located {
    /// Location ids of each listing, in input order.
    pub of_listing: Vec<Vec<String>>,
    /// Every location, by id.
    pub records: Vec<LocationRecord>,
    /// Per cluster id.
    pub movement: HashMap<String, Movement>,
}

struct Aggregate<'a> {
    area: &'a Area,
    cluster: Option<&'a str>,
    first: Timestamp,
    last: Timestamp,
    listings: BTreeSet<usize>,
}

/// Each area of listing `l` with the span it was advertised there.
fn area_spans<'a>(l: &ListingInput<'a>) -> Vec<(&'a Area, Timestamp, Timestamp)> {
    let areas = &l.evidence.areas;
    if areas.len() == 1 {
        return areas
            .values()
            .map(|seen| (&seen.area, l.first_seen, l.last_seen))
            .collect();
    }
    let latest = areas
        .values()
        .flat_map(|seen| seen.captures.values())
        .max()
        .copied();
    areas
        .values()
        .filter_map(|seen| {
            let first = *seen.captures.values().min()?;
            let mut last = *seen.captures.values().max()?;
            if Some(last) == latest {
                last = l.last_seen;
            }
            Some((&seen.area, first.max(l.first_seen), last.max(first)))
        })
        .collect()
}

/// The 64 bits that name a location: the first eight bytes of a SHA-256 of its kind and key.
fn location_bits(kind: &str, key: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(b"lantern-location\0");
    h.update(kind.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut bits = [0; 8];
    bits.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bits)
}

fn location_id(kind: &str, key: &str) -> String {
    format!("loc-{:016x}", location_bits(kind, key))
}

/// The key of the premises with area key `area_key`: the bits of its location id, so that a
/// location record's id gives it back ([`location_key`]).
pub fn premises_key(area_key: &str) -> u64 {
    location_bits("premises", area_key)
}

/// The bits of a location id (`loc-` and 16 hex digits), as [`premises_key`] gives them.
pub fn location_key(location_id: &str) -> Option<u64> {
    let hex = location_id.strip_prefix("loc-")?;
    (hex.len() == 16).then(|| u64::from_str_radix(hex, 16).ok())?
}

/// Resolves every listing's areas to locations and gathers their records; `reference` is the
/// latest capture time of the whole store (statuses are relative to it).
pub(crate) fn locate<'a>(
    listings: &[ListingInput<'a>],
    cluster_of: &'a [String],
    reference: Timestamp,
    places: &PlaceDistricts,
    settings: &LocationSettings,
) -> Located {
    let spans: Vec<Vec<(&'a Area, Timestamp, Timestamp)>> =
        listings.iter().map(area_spans).collect();

    // How each cluster names its districts: place key -> district -> captures saying both.
    let mut naming: HashMap<&str, HashMap<&str, BTreeMap<&str, u32>>> = HashMap::default();
    for (i, l) in listings.iter().enumerate() {
        for seen in l.evidence.areas.values() {
            if let (Precision::PostcodeDistrict, Some(place)) =
                (seen.area.precision, seen.area.named_place.as_deref())
            {
                *naming
                    .entry(cluster_of[i].as_str())
                    .or_default()
                    .entry(place)
                    .or_default()
                    .entry(seen.area.label.as_str())
                    .or_default() += seen.captures.len() as u32;
            }
        }
    }
    // A place name means the district its cluster uses it for, else the place's main district.
    let district_of = |cluster: &str, area: &Area| -> Option<String> {
        let learnt = naming
            .get(cluster)
            .and_then(|m| m.get(area.key.as_str()))
            .and_then(|d| {
                d.iter()
                    .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
            })
            .map(|(name, _)| (*name).to_owned());
        learnt.or_else(|| places.main_district(area).map(str::to_owned))
    };

    let mut aggregates: BTreeMap<String, Aggregate<'a>> = BTreeMap::new();
    let mut of_listing: Vec<Vec<String>> = Vec::with_capacity(listings.len());
    for (i, areas) in spans.iter().enumerate() {
        let cluster = cluster_of[i].as_str();
        let mut ids = BTreeSet::new();
        for &(area, first, last) in areas {
            let (id, owner) = if area.is_premises() {
                (location_id("premises", &area.key), None)
            } else {
                let key = match area.precision {
                    Precision::Place => district_of(cluster, area)
                        .map_or_else(|| area.key.clone(), |d| format!("district:{d}")),
                    _ => area.key.clone(),
                };
                (
                    location_id("lead", &format!("{cluster}\0{key}")),
                    Some(cluster),
                )
            };
            let entry = aggregates.entry(id.clone()).or_insert_with(|| Aggregate {
                area,
                cluster: owner,
                first,
                last,
                listings: BTreeSet::new(),
            });
            // The most precise description wins (the district itself over a place in it).
            if precision_rank(area.precision) > precision_rank(entry.area.precision) {
                entry.area = area;
            }
            entry.first = entry.first.min(first);
            entry.last = entry.last.max(last);
            entry.listings.insert(i);
            ids.insert(id);
        }
        of_listing.push(ids.into_iter().collect());
    }

    let records: Vec<LocationRecord> = aggregates
        .iter()
        .map(|(id, a)| {
            let (status, short_lived) = settings.timing(a.first, a.last, reference);
            LocationRecord {
                location: id.clone(),
                label: a.area.label.clone(),
                postcode: a.area.postcode.clone(),
                local_authority: a.area.local_authority.clone(),
                lat: a.area.lat,
                lon: a.area.lon,
                precision: a.area.precision,
                first_seen: a.first,
                last_seen: a.last,
                listings: a.listings.len() as u64,
                status,
                risk: 0.0,
                risk_band: RiskBand::Low,
                kind: if a.cluster.is_some() {
                    LocationKind::Lead
                } else {
                    LocationKind::Premises
                },
                cluster: a.cluster.map(str::to_owned),
                short_lived,
                assessed: false,
            }
        })
        .collect();

    let movement = movement(listings, cluster_of, &of_listing, &aggregates);
    Located {
        of_listing,
        records,
        movement,
    }
}

/// Each cluster's locations in time order, the places they name, and what moved.
fn movement(
    listings: &[ListingInput<'_>],
    cluster_of: &[String],
    of_listing: &[Vec<String>],
    aggregates: &BTreeMap<String, Aggregate<'_>>,
) -> HashMap<String, Movement> {
    // Per cluster: its location ids, and for each image the locations it was advertised at.
    let mut locations: HashMap<&str, BTreeSet<&str>> = HashMap::default();
    let mut image_places: HashMap<&str, HashMap<&str, BTreeSet<&str>>> = HashMap::default();
    for (i, ids) in of_listing.iter().enumerate() {
        let cluster = cluster_of[i].as_str();
        let mine = locations.entry(cluster).or_default();
        mine.extend(ids.iter().map(String::as_str));
        for image in &listings[i].evidence.images {
            image_places
                .entry(cluster)
                .or_default()
                .entry(image.as_str())
                .or_default()
                .extend(ids.iter().map(String::as_str));
        }
    }
    let mut out = HashMap::default();
    for (cluster, ids) in locations {
        if ids.is_empty() {
            continue;
        }
        let mut steps: Vec<MovementStep> = ids
            .iter()
            .map(|id| {
                let a = &aggregates[*id];
                MovementStep {
                    location: (*id).to_owned(),
                    label: a.area.label.clone(),
                    borough: a.area.borough.clone(),
                    first_seen: a.first,
                    last_seen: a.last,
                    listings: a.listings.len() as u64,
                }
            })
            .collect();
        steps.sort_by(|a, b| (a.first_seen, &a.location).cmp(&(b.first_seen, &b.location)));
        let mut places: Vec<String> = Vec::new();
        for s in &steps {
            if !places.contains(&s.label) {
                places.push(s.label.clone());
            }
        }
        let mut reasons = Vec::new();
        let mut towns: Vec<(&str, Timestamp)> = Vec::new();
        for s in &steps {
            if let Some(b) = s.borough.as_deref()
                && !towns.iter().any(|(t, _)| *t == b)
            {
                towns.push((b, s.first_seen));
            }
        }
        if towns.len() >= 2 {
            let list: Vec<String> = towns
                .iter()
                .map(|(t, from)| format!("{t} (from {})", from.date()))
                .collect();
            reasons.push(format!(
                "advertised in {} towns: {}",
                towns.len(),
                list.join(", ")
            ));
        } else if steps.len() >= 2 {
            reasons.push(format!("advertised at {} locations", steps.len()));
        }
        let moved = image_places
            .get(cluster)
            .map_or(0, |m| m.values().filter(|ids| ids.len() >= 2).count());
        if moved > 0 {
            reasons.push(format!(
                "{moved} image(s) advertised at more than one location (the same workers moved between them)"
            ));
        }
        out.insert(
            cluster.to_owned(),
            Movement {
                steps,
                places,
                reasons,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_premises_key_is_the_bits_of_its_location_id() {
        let id = location_id("premises", "unit:B5 6DY");
        assert!(id.starts_with("loc-") && id.len() == 20, "{id}");
        assert_eq!(location_key(&id), Some(premises_key("unit:B5 6DY")));
        assert_ne!(premises_key("unit:B5 6DY"), premises_key("unit:B5 6DZ"));
        for bad in ["loc-12", "loc-zzzzzzzzzzzzzzzz", "c-0123456789abcdef", ""] {
            assert_eq!(location_key(bad), None, "{bad}");
        }
    }
}
