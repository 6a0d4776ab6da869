//! Where a capture says it is: the most precise place its location fields, title or body
//! resolve to in the bundled gazetteer. Location fields win over free text of equal precision.

use std::collections::{BTreeMap, HashMap};

use lantern_core::Capture;
use lantern_core::export::Precision;
use lantern_extract::CaptureFacts;
use lantern_geo::{Gazetteer, Kind, LatLon, Lookup, Resolution, precision_rank};
use serde::{Deserialize, Serialize};

/// An area or premises as advertised, at the precision known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// `unit:B5 6DY`, `sector:B5 6`, `district:B5` or `place:Digbeth`.
    pub key: String,
    /// What a person calls it (`B5 6DY`, `Digbeth`).
    pub label: String,
    /// How precisely it is known.
    pub precision: Precision,
    /// The postcode, as precise as known.
    pub postcode: Option<String>,
    /// The borough's ONS code, when the area lies (mostly) in one.
    pub local_authority: Option<String>,
    /// The borough's name.
    pub borough: Option<String>,
    /// Latitude of its point.
    pub lat: f64,
    /// Longitude of its point.
    pub lon: f64,
    /// For a postcode area: the place name the same capture gave (`place:Digbeth`), which tells
    /// how this advertiser names the area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_place: Option<String>,
}

impl Area {
    /// Whether the area is a premises (a unit or an address) rather than a lead.
    pub fn is_premises(&self) -> bool {
        matches!(self.precision, Precision::Address | Precision::PostcodeUnit)
    }

    fn of(res: &Resolution) -> Self {
        let (key, postcode) = match res.kind {
            Kind::PostcodeUnit => (format!("unit:{}", res.matched), Some(res.matched.clone())),
            Kind::PostcodeSector => (format!("sector:{}", res.matched), Some(res.matched.clone())),
            Kind::PostcodeDistrict => (
                format!("district:{}", res.matched),
                Some(res.matched.clone()),
            ),
            _ => (format!("place:{}", res.matched), None),
        };
        let borough = res.borough.clone().or_else(|| {
            res.boroughs
                .first()
                .filter(|s| s.share >= 0.5)
                .map(|s| s.borough.clone())
        });
        Self {
            key,
            label: res.matched.clone(),
            precision: res.precision,
            postcode,
            local_authority: borough.as_ref().map(|b| b.code.clone()),
            borough: borough.map(|b| b.name),
            lat: res.point.lat,
            lon: res.point.lon,
            named_place: None,
        }
    }
}

/// Fields in the order they are trusted for location.
const FIELD_ORDER: &[&str] = &[
    "location.postcode",
    "location.text",
    "title",
    "body",
    "rates",
    "poster",
];

/// The most precise area a capture names: site coordinates, then place mentions.
pub fn area_of_capture(
    capture: &Capture,
    facts: &CaptureFacts,
    gazetteer: &Gazetteer,
) -> Option<Area> {
    let mut best: Option<(u8, usize, Area)> = None;
    let consider = |best: &mut Option<(u8, usize, Area)>, rank: u8, order: usize, area: Area| {
        let better = best
            .as_ref()
            .is_none_or(|(r, o, _)| rank > *r || (rank == *r && order < *o));
        if better {
            *best = Some((rank, order, area));
        }
    };
    for field in &facts.fields {
        let Some(order) = FIELD_ORDER.iter().position(|f| *f == field.field) else {
            continue;
        };
        for mention in &field.facts.places {
            if let Lookup::Found(res) = &mention.lookup {
                consider(
                    &mut best,
                    precision_rank(res.precision),
                    order,
                    Area::of(res),
                );
            }
        }
    }
    if best.is_none()
        && let Some((lat, lon)) = capture.location.lat_lon
        && let Lookup::Found(res) = gazetteer.lookup_point(LatLon { lat, lon }, "location")
    {
        // A site's pin is approximate: it stands for the place around it, never an address.
        let mut area = Area::of(&res);
        area.precision = Precision::Place;
        consider(
            &mut best,
            precision_rank(Precision::Place),
            FIELD_ORDER.len(),
            area,
        );
    }
    let (_, _, mut area) = best?;
    if area.precision != Precision::Place {
        area.named_place = first_place_name(facts);
    }
    Some(area)
}

/// The first place name (not a postcode) in the location fields or the title.
fn first_place_name(facts: &CaptureFacts) -> Option<String> {
    ["location.text", "title"].iter().find_map(|wanted| {
        let field = facts.fields.iter().find(|f| f.field == *wanted)?;
        field.facts.places.iter().find_map(|m| match &m.lookup {
            Lookup::Found(res) if res.precision == Precision::Place => Some(Area::of(res).key),
            _ => None,
        })
    })
}

/// Which postcode districts a place name covers: the districts of the postcode units that lie
/// nearer that place than any other named place (how people name the area around them), with
/// how many units each.
#[derive(Debug, Clone, Default)]
pub struct PlaceDistricts {
    by_point: HashMap<(u64, u64), BTreeMap<String, u32>>,
}

impl PlaceDistricts {
    /// Builds the relation over every unit of the gazetteer (about a tenth of a second).
    pub fn new(gazetteer: &Gazetteer) -> Self {
        let areas = gazetteer.area_names();
        // A coarse grid over the area points so that each unit looks at nearby names only.
        let cell = |p: &LatLon| ((p.lat * 20.0).floor() as i64, (p.lon * 20.0).floor() as i64);
        let mut grid: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
        for (i, (_, _, point)) in areas.iter().enumerate() {
            grid.entry(cell(point)).or_default().push(i);
        }
        let mut by_point: HashMap<(u64, u64), BTreeMap<String, u32>> = HashMap::new();
        for (postcode, point, _, _) in gazetteer.units() {
            let scale = point.lat.to_radians().cos();
            let (cy, cx) = cell(&point);
            let mut nearest: Option<(f64, usize)> = None;
            let search = |radius: i64, nearest: &mut Option<(f64, usize)>| {
                for y in cy - radius..=cy + radius {
                    for x in cx - radius..=cx + radius {
                        for &i in grid.get(&(y, x)).into_iter().flatten() {
                            let p = &areas[i].2;
                            let (dx, dy) = ((p.lon - point.lon) * scale, p.lat - point.lat);
                            let d = dx * dx + dy * dy;
                            if nearest.is_none_or(|(best, _)| d < best) {
                                *nearest = Some((d, i));
                            }
                        }
                    }
                }
            };
            // The first ring holding a name, then one ring more: a nearer name can sit just
            // across the next cell boundary.
            if let Some(radius) = (1..=6).find(|&r| {
                search(r, &mut nearest);
                nearest.is_some()
            }) {
                search(radius + 1, &mut nearest);
            }
            if let Some((_, i)) = nearest {
                let p = &areas[i].2;
                let district = postcode.split(' ').next().unwrap_or_default().to_owned();
                by_point
                    .entry((p.lat.to_bits(), p.lon.to_bits()))
                    .or_default()
                    .entry(district)
                    .and_modify(|n| *n += 1)
                    .or_insert(1);
            }
        }
        Self { by_point }
    }

    /// The districts a place area covers, with their units (none when unknown).
    pub fn districts(&self, area: &Area) -> Option<&BTreeMap<String, u32>> {
        self.by_point.get(&(area.lat.to_bits(), area.lon.to_bits()))
    }

    /// The district holding most of a place's units, when it holds at least half of them.
    pub fn main_district(&self, area: &Area) -> Option<&str> {
        let districts = self.districts(area)?;
        let total: u32 = districts.values().sum();
        let (name, units) = districts
            .iter()
            .max_by_key(|(name, units)| (**units, std::cmp::Reverse(*name)))?;
        (2 * units >= total).then_some(name.as_str())
    }
}
