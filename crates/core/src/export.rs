//! Records of the results export (`shared/spec/results-export.md`). Field names are a public
//! interface: add optional fields, never rename or repurpose one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::timestamp::Timestamp;

/// The band shown to users for a risk score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskBand {
    /// Lowest concern.
    Low,
    /// Visit when the route allows.
    Medium,
    /// Visit sooner.
    High,
}

/// One line of `export adverts`: one listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvertRecord {
    /// Site or feed.
    pub source: String,
    /// Listing id on that site.
    pub external_id: String,
    /// Id of the listing's controller group.
    pub cluster: String,
    /// Premises ids the listing is linked to.
    pub locations: Vec<String>,
    /// Phone numbers found, E.164.
    pub phones: Vec<String>,
    /// Lower-cased e-mail addresses found.
    pub emails: Vec<String>,
    /// First capture time.
    pub first_seen: Timestamp,
    /// Last capture time.
    pub last_seen: Timestamp,
    /// Safeguarding concern of the listing's cluster, 0..1.
    pub risk: f64,
    /// Band shown to users.
    pub risk_band: RiskBand,
    /// Indicator codes and linking facts behind the risk, most important first.
    pub reasons: Vec<String>,
    /// Optional field: `false` while no risk model has scored the listing, so that a consumer
    /// never mistakes "not yet assessed" for "assessed as low".
    pub assessed: bool,
}

/// One line of `export clusters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterRecord {
    /// Cluster id.
    pub cluster: String,
    /// Number of listings.
    pub size: u64,
    /// Phone numbers across the cluster, E.164.
    pub phones: Vec<String>,
    /// Premises ids.
    pub locations: Vec<String>,
    /// Distinct towns or districts.
    pub places: Vec<String>,
    /// First capture time of any listing.
    pub first_seen: Timestamp,
    /// Last capture time of any listing.
    pub last_seen: Timestamp,
    /// Safeguarding concern, 0..1.
    pub risk: f64,
    /// Band shown to users.
    pub risk_band: RiskBand,
    /// Reasons, most important first.
    pub reasons: Vec<String>,
    /// Optional field: whether a risk model has scored the cluster.
    pub assessed: bool,
    /// Optional field: where the cluster advertised, in order of first appearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub movement: Vec<MovementStep>,
    /// Optional field: the advert text of the cluster's earliest listing with its slots marked
    /// (`{name}`, `{age}`, `{place}`, `{phone}`, `{price}`...), lower case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Optional field: the risk model's inputs for the cluster (feature → value), which
    /// `lantern calibrate` fits weights to.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub features: std::collections::BTreeMap<String, f64>,
}

/// One place in a cluster's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementStep {
    /// Location id.
    pub location: String,
    /// Its label.
    pub label: String,
    /// Its borough, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borough: Option<String>,
    /// First advertised there.
    pub first_seen: Timestamp,
    /// Last advertised there.
    pub last_seen: Timestamp,
    /// Listings advertising there.
    pub listings: u64,
}

/// How precisely a location is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// A street address.
    Address,
    /// A full postcode unit.
    PostcodeUnit,
    /// A postcode sector.
    PostcodeSector,
    /// A postcode district.
    PostcodeDistrict,
    /// A named place.
    Place,
}

/// Where a location stands in the outreach cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationStatus {
    /// First seen recently, never visited.
    New,
    /// Seen before.
    Known,
    /// Visited.
    Visited,
    /// Closed.
    Closed,
}

/// One line of `export locations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationRecord {
    /// Location id.
    pub location: String,
    /// Label shown to users.
    pub label: String,
    /// Postcode as precise as known.
    pub postcode: Option<String>,
    /// ONS code of the local authority.
    pub local_authority: Option<String>,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Longitude, WGS84.
    pub lon: f64,
    /// How precisely the location is known.
    pub precision: Precision,
    /// First seen.
    pub first_seen: Timestamp,
    /// Last seen.
    pub last_seen: Timestamp,
    /// Number of listings linked.
    pub listings: u64,
    /// Outreach status.
    pub status: LocationStatus,
    /// Safeguarding concern, 0..1.
    pub risk: f64,
    /// Band shown to users.
    pub risk_band: RiskBand,
    /// Optional field: `premises` (an address or postcode unit, shared by whoever advertises
    /// there) or `lead` (an area as advertised by one cluster).
    pub kind: LocationKind,
    /// Optional field: for a lead, the cluster advertising there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Optional field: advertised for at most two weeks and no longer.
    pub short_lived: bool,
    /// Optional field: whether a risk model has scored the location.
    pub assessed: bool,
}

/// A premises or a lead (`shared/spec/results-export.md`, Locations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    /// An address or postcode unit.
    Premises,
    /// An area as advertised by one cluster.
    Lead,
}

/// The provisional cluster id of a listing that linking has not yet grouped: stable for the same
/// `(source, external_id)` across runs and machines.
pub fn singleton_cluster_id(source: &str, external_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"lantern-listing\0");
    h.update(source.as_bytes());
    h.update(b"\0");
    h.update(external_id.as_bytes());
    let digest = h.finalize();
    format!("c-{}", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singleton_cluster_ids_are_stable_and_distinct() {
        let a = singleton_cluster_id("site-a", "1");
        assert_eq!(a, singleton_cluster_id("site-a", "1"));
        assert_ne!(a, singleton_cluster_id("site-a1", ""));
        assert_ne!(a, singleton_cluster_id("site-b", "1"));
        assert_eq!(a.len(), 18);
    }

    #[test]
    fn bands_and_precisions_serialise_as_the_spec_spells_them() {
        assert_eq!(
            serde_json::to_string(&RiskBand::Medium).unwrap(),
            "\"medium\""
        );
        assert_eq!(
            serde_json::to_string(&Precision::PostcodeUnit).unwrap(),
            "\"postcode_unit\""
        );
        assert_eq!(
            serde_json::to_string(&LocationStatus::Visited).unwrap(),
            "\"visited\""
        );
    }
}
