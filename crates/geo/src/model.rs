//! What lookups return: resolutions with their precision, and the ways a lookup can fail.

use lantern_core::export::Precision;
use serde::Serialize;

use crate::grid::LatLon;

/// A borough or ward: ONS GSS code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaRef {
    /// ONS GSS code, e.g. `E08000025`.
    pub code: String,
    /// Name, e.g. `Birmingham`.
    pub name: String,
}

/// What a query matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A full postcode unit.
    PostcodeUnit,
    /// A postcode sector (`B5 6`).
    PostcodeSector,
    /// A postcode district (`B5`).
    PostcodeDistrict,
    /// One of the seven boroughs.
    Borough,
    /// A town or city, or a village or district of one (GeoNames).
    Place,
    /// A Census 2021 MSOA, by its House of Commons Library name.
    Neighbourhood,
    /// An electoral ward.
    Ward,
    /// A landmark from Lantern's own list.
    Landmark,
    /// A named main road from Lantern's own list.
    Street,
    /// A latitude/longitude given directly.
    Coordinates,
}

/// A borough's part of a sector or district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoroughShare {
    /// The borough.
    pub borough: AreaRef,
    /// Postcode units of the sector or district in that borough.
    pub units: u32,
    /// `units` over all units of the sector or district (outside the region included when
    /// known).
    pub share: f64,
}

/// A place on the map, with how precisely it is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// The canonical form of what was matched (`B5 6DY`, `Digbeth`).
    pub matched: String,
    /// What it is.
    pub kind: Kind,
    /// How precisely the point stands for it.
    pub precision: Precision,
    /// The point: a unit's Code-Point location, a sector's or district's mean, a place's centre.
    pub point: LatLon,
    /// The borough, when the thing lies in one borough; none when it spans several (see
    /// `boroughs`).
    pub borough: Option<AreaRef>,
    /// The ward, when one ward is meaningful (a unit, a ward, a neighbourhood, a village).
    pub ward: Option<AreaRef>,
    /// For sectors and districts: every borough the units fall in, largest share first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boroughs: Vec<BoroughShare>,
    /// For districts: live units of the district outside the seven boroughs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units_outside_region: Option<u32>,
    /// For units: Code-Point's positional quality indicator (10 best, 50 estimated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positional_quality: Option<u8>,
}

/// The answer to a lookup.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Lookup {
    /// One resolution.
    Found(Resolution),
    /// The name means different places; each candidate is given.
    Ambiguous {
        /// What was asked.
        query: String,
        /// The places it may mean.
        candidates: Vec<Resolution>,
    },
    /// A real place, postcode or point outside the seven boroughs.
    OutsideRegion {
        /// What was asked.
        query: String,
        /// Why it is outside.
        reason: String,
        /// Where it is, when known.
        point: Option<LatLon>,
    },
    /// Nothing in the gazetteer matches.
    NotFound {
        /// What was asked.
        query: String,
        /// Why nothing matched.
        reason: String,
    },
}

impl Lookup {
    /// The single resolution, if there is one.
    pub fn found(&self) -> Option<&Resolution> {
        match self {
            Self::Found(r) => Some(r),
            _ => None,
        }
    }
}

/// How precise a precision is, for choosing the most precise of several resolutions.
pub fn precision_rank(p: Precision) -> u8 {
    match p {
        Precision::Address => 5,
        Precision::PostcodeUnit => 4,
        Precision::PostcodeSector => 3,
        Precision::PostcodeDistrict => 2,
        Precision::Place => 1,
    }
}
