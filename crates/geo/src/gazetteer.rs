//! The gazetteer: the embedded data, read once into tables, and lookups over them.

use std::collections::HashMap;
use std::sync::OnceLock;

use lantern_core::export::Precision;

use crate::grid::LatLon;
use crate::model::{AreaRef, BoroughShare, Kind, Lookup, Resolution};
use crate::names::normalise;
use crate::polygon::Polygon;
use crate::postcode::{Outward, Postcode};

mod load;

use load::{
    ALIASES, LANDMARKS, aggregate, read_boroughs, read_district_outside, read_neighbourhoods,
    read_places, read_units, read_wards,
};

/// The attributions the bundled data's licences require.
pub const NOTICE: &str = include_str!("../../../data/geo/NOTICE");

/// Single words that are place names here but also ordinary words or common names: text
/// recognition accepts them only after a location cue.
const NEEDS_CONTEXT: &[&str] = &[
    "abbey",
    "bentley",
    "blythe",
    "bradley",
    "brandon",
    "california",
    "central",
    "coven",
    "heather",
    "henley",
    "langley",
    "lyndon",
    "newton",
    "norton",
    "park",
    "penn",
    "shirley",
    "stone",
    "summerfield",
    "westwood",
    "woodlands",
    "paddock",
    "sheldon",
    "hagley",
    "holyhead",
    "victoria",
    "newtown",
    "oxley",
    "bradmore",
    "hawne",
    "coundon",
    "longford",
    "radford",
    "brookvale",
    "ashwood",
    "woodgate",
    "whittington",
    "elford",
    "kingsbury",
    "wall",
    "greet",
    "woods",
    "norton",
];

/// Words that never stand alone as a derived name.
const GENERIC_WORDS: &[&str] = &[
    "north",
    "south",
    "east",
    "west",
    "central",
    "park",
    "centre",
    "town",
    "great",
    "little",
    "upper",
    "lower",
    "new",
    "old",
    "st",
    "castle",
    "kings",
    "west midlands",
    "sutton",
    "university",
    "hospital",
    "city centre",
    "town centre",
    "station",
    "airport",
    "green",
    "heath",
    "hill",
    "wood",
    "woods",
    "end",
    "common",
    "village",
];

/// Why the embedded data could not be read (a build defect: tests load it).
#[derive(Debug, thiserror::Error)]
#[error("embedded geography file {file}: {reason}")]
pub struct GeoDataError {
    file: &'static str,
    reason: String,
}

fn data_error(file: &'static str, reason: impl std::fmt::Display) -> GeoDataError {
    GeoDataError {
        file,
        reason: reason.to_string(),
    }
}

/// A borough.
#[derive(Debug)]
struct Borough {
    area: AreaRef,
    polygon: Polygon,
    wards: Vec<u16>,
}

/// A ward.
#[derive(Debug)]
struct Ward {
    area: AreaRef,
    borough: u8,
    label: LatLon,
    polygon: Polygon,
}

/// A postcode unit.
#[derive(Debug, Clone, Copy)]
struct Unit {
    key: u64,
    postcode: Postcode,
    point: LatLon,
    quality: u8,
    borough: u8,
    ward: u16,
}

/// A sector or district: its units' mean point and their boroughs.
#[derive(Debug)]
struct Aggregate {
    postcode: Postcode,
    point: LatLon,
    by_borough: Vec<(u8, u32)>,
    outside: Option<u32>,
}

#[derive(Debug)]
struct Neighbourhood {
    name: String,
    borough: u8,
    point: LatLon,
}

#[derive(Debug)]
struct Place {
    name: String,
    point: LatLon,
    borough: Option<u8>,
    town: bool,
}

#[derive(Debug)]
struct Landmark {
    name: String,
    street: bool,
    within: Target,
}

/// What a name can stand for, in order of preference when several agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Landmark(u16),
    Ward(u16),
    Neighbourhood(u16),
    Place(u16),
    Borough(u8),
}

/// A name's entry: what it stands for, and whether text needs a location cue to read it as a
/// place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameEntry {
    target: Target,
    pub(crate) needs_context: bool,
    /// For a derived name (see `add_derived_names`): its label in `Gazetteer::labels`.
    label: Option<u16>,
}

/// The bundled gazetteer of the seven West Midlands boroughs.
#[derive(Debug)]
pub struct Gazetteer {
    boroughs: Vec<Borough>,
    wards: Vec<Ward>,
    units: Vec<Unit>,
    sectors: Vec<Aggregate>,
    districts: Vec<Aggregate>,
    neighbourhoods: Vec<Neighbourhood>,
    places: Vec<Place>,
    landmarks: Vec<Landmark>,
    names: HashMap<String, Vec<NameEntry>>,
    /// Labels of derived names, as written in the data (`Hall Green`).
    labels: Vec<String>,
    /// Every name's answer, worked out once when the data is read (point-in-polygon for wards
    /// is too slow to repeat per mention).
    resolved: HashMap<String, Lookup>,
    /// Multi-word names by first word: the rest of each name's words.
    pub(crate) by_first_word: HashMap<String, Vec<Vec<String>>>,
    /// Postcode areas with units here (`B`, `CV`, `DY`, `WS`, `WV`).
    areas: Vec<String>,
}

static EMBEDDED: OnceLock<Result<Gazetteer, GeoDataError>> = OnceLock::new();

impl Gazetteer {
    /// The gazetteer built from the data embedded in this binary, read on first use.
    pub fn embedded() -> Result<&'static Gazetteer, &'static GeoDataError> {
        EMBEDDED.get_or_init(Self::load).as_ref()
    }

    fn load() -> Result<Self, GeoDataError> {
        let (boroughs, borough_index) = read_boroughs()?;
        let mut boroughs = boroughs;
        let wards = read_wards(&borough_index)?;
        for (i, ward) in wards.iter().enumerate() {
            boroughs[ward.borough as usize].wards.push(i as u16);
        }
        let ward_index: HashMap<&str, u16> = wards
            .iter()
            .enumerate()
            .map(|(i, w)| (w.area.code.as_str(), i as u16))
            .collect();
        let units = read_units(&borough_index, &ward_index)?;
        let outside = read_district_outside()?;
        let sectors = aggregate(&units, |u| u.postcode.sector(), &HashMap::new());
        let districts = aggregate(
            &units,
            |u| Some(Postcode::District(u.postcode.outward())),
            &outside,
        );
        let neighbourhoods = read_neighbourhoods(&borough_index)?;
        let places = read_places(&borough_index)?;
        let mut areas: Vec<String> = units
            .iter()
            .map(|u| u.postcode.outward().area().to_owned())
            .collect();
        areas.dedup();
        areas.sort();
        areas.dedup();

        let mut gazetteer = Self {
            boroughs,
            wards,
            units,
            sectors,
            districts,
            neighbourhoods,
            places,
            landmarks: Vec::new(),
            names: HashMap::new(),
            labels: Vec::new(),
            resolved: HashMap::new(),
            by_first_word: HashMap::new(),
            areas,
        };
        gazetteer.index_names()?;
        gazetteer.resolved = gazetteer
            .names
            .iter()
            .map(|(key, entries)| (key.clone(), gazetteer.resolve_entries(entries, "")))
            .collect();
        Ok(gazetteer)
    }

    fn add_name(&mut self, name: &str, target: Target, needs_context: bool) {
        self.add_entry(name, target, needs_context, None);
    }

    fn add_entry(&mut self, name: &str, target: Target, needs_context: bool, label: Option<u16>) {
        let key = normalise(name);
        if key.is_empty() {
            return;
        }
        let needs_context = needs_context || NEEDS_CONTEXT.contains(&key.as_str());
        let entries = self.names.entry(key).or_default();
        if !entries.iter().any(|e| e.target == target) {
            entries.push(NameEntry {
                target,
                needs_context,
                label,
            });
        }
    }

    fn index_names(&mut self) -> Result<(), GeoDataError> {
        for i in 0..self.boroughs.len() {
            let name = self.boroughs[i].area.name.clone();
            self.add_name(&name, Target::Borough(i as u8), false);
        }
        for i in 0..self.wards.len() {
            let name = self.wards[i].area.name.clone();
            self.add_name(&name, Target::Ward(i as u16), false);
        }
        for i in 0..self.places.len() {
            let name = self.places[i].name.clone();
            self.add_name(&name, Target::Place(i as u16), false);
        }
        for i in 0..self.neighbourhoods.len() {
            let name = self.neighbourhoods[i].name.clone();
            self.add_name(&name, Target::Neighbourhood(i as u16), false);
        }
        self.add_derived_names();
        self.read_landmarks()?;
        self.read_aliases()?;
        for key in self.names.keys() {
            let mut words = key.split(' ');
            let first = words.next().unwrap_or_default().to_owned();
            self.by_first_word
                .entry(first)
                .or_default()
                .push(words.map(str::to_owned).collect());
        }
        for rests in self.by_first_word.values_mut() {
            // Longest names first, so that the first match is the longest.
            rests.sort_by_key(|rest| std::cmp::Reverse(rest.len()));
        }
        Ok(())
    }

    /// Names people use for areas the data only names in composites or halves: the parts of
    /// composite names (`Sparkbrook & Balsall Heath East` gives `Sparkbrook`), and a shared
    /// beginning of several names in one borough (`Hall Green North` and `Hall Green South` give
    /// `Hall Green`). A derived name never replaces a real one.
    fn add_derived_names(&mut self) {
        let areas: Vec<(String, Target)> = (0..self.wards.len())
            .map(|i| (self.wards[i].area.name.clone(), Target::Ward(i as u16)))
            .chain((0..self.neighbourhoods.len()).map(|i| {
                (
                    self.neighbourhoods[i].name.clone(),
                    Target::Neighbourhood(i as u16),
                )
            }))
            .collect();
        let mut derived: HashMap<String, (String, Vec<Target>)> = HashMap::new();
        for (name, target) in &areas {
            let parts: Vec<&str> = name
                .split([',', '&'])
                .flat_map(|p| p.split(" - "))
                .flat_map(|p| p.split(" and "))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            if parts.len() >= 2 {
                for part in parts {
                    let entry = derived
                        .entry(normalise(part))
                        .or_insert_with(|| (part.to_owned(), Vec::new()));
                    entry.1.push(*target);
                }
            }
        }
        let mut by_prefix: HashMap<(String, u8), (String, Vec<Target>)> = HashMap::new();
        for (name, target) in &areas {
            let first = name.split([',', '&']).next().unwrap_or_default().trim();
            if let Some((prefix, _last)) = first.rsplit_once(' ') {
                let borough = self.target_borough(*target).unwrap_or(u8::MAX);
                let entry = by_prefix
                    .entry((normalise(prefix), borough))
                    .or_insert_with(|| (prefix.to_owned(), Vec::new()));
                entry.1.push(*target);
            }
        }
        for ((key, _), (label, targets)) in by_prefix {
            if targets.len() >= 2 {
                let entry = derived.entry(key).or_insert_with(|| (label, Vec::new()));
                entry.1.extend(targets);
            }
        }
        for (key, (label, targets)) in derived {
            let words = key.split(' ').count();
            let generic = GENERIC_WORDS.contains(&key.as_str());
            if self.names.contains_key(&key) || generic || (words < 2 && key.len() < 3) {
                continue;
            }
            let label_index = self.labels.len() as u16;
            self.labels.push(label);
            for target in targets {
                self.add_entry(&key, target, false, Some(label_index));
            }
        }
    }

    fn read_landmarks(&mut self) -> Result<(), GeoDataError> {
        let (file, text) = LANDMARKS;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| data_error(file, e))?;
            let at = |reason: String| data_error(file, format!("line {}: {reason}", line + 2));
            let (name, aliases, kind, within, borough) =
                (&row[0], &row[1], &row[2], &row[3], &row[4]);
            let within_target = self
                .names
                .get(&normalise(within))
                .and_then(|entries| {
                    entries
                        .iter()
                        .map(|e| e.target)
                        .filter(|t| matches!(t, Target::Ward(_) | Target::Neighbourhood(_)))
                        .min()
                })
                .ok_or_else(|| {
                    at(format!(
                        "`within` {within:?} is not a ward or neighbourhood"
                    ))
                })?;
            let within_borough = self.target_borough(within_target);
            if within_borough.map(|b| self.boroughs[b as usize].area.code.as_str()) != Some(borough)
            {
                return Err(at(format!("{within:?} is not in borough {borough}")));
            }
            let street = match kind {
                "street" => true,
                "landmark" => false,
                other => return Err(at(format!("kind {other:?} is not street or landmark"))),
            };
            let index = self.landmarks.len() as u16;
            self.landmarks.push(Landmark {
                name: name.to_owned(),
                street,
                within: within_target,
            });
            self.add_name(name, Target::Landmark(index), false);
            for alias in aliases.split('|').filter(|a| !a.is_empty()) {
                self.add_name(alias, Target::Landmark(index), false);
            }
        }
        Ok(())
    }

    fn read_aliases(&mut self) -> Result<(), GeoDataError> {
        let (file, text) = ALIASES;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| data_error(file, e))?;
            let at = |reason: String| data_error(file, format!("line {}: {reason}", line + 2));
            let (alias, name, context) = (&row[0], &row[1], &row[2]);
            let needs_context = match context {
                "yes" => true,
                "no" => false,
                other => return Err(at(format!("needs_context {other:?} is not yes or no"))),
            };
            let entries = self
                .names
                .get(&normalise(name))
                .cloned()
                .ok_or_else(|| at(format!("{name:?} is not a known name")))?;
            for entry in entries {
                self.add_name(alias, entry.target, needs_context);
            }
        }
        Ok(())
    }

    fn target_borough(&self, target: Target) -> Option<u8> {
        match target {
            Target::Borough(b) => Some(b),
            Target::Ward(w) => Some(self.wards[w as usize].borough),
            Target::Neighbourhood(n) => Some(self.neighbourhoods[n as usize].borough),
            Target::Place(p) => self.places[p as usize].borough,
            Target::Landmark(l) => self.target_borough(self.landmarks[l as usize].within),
        }
    }

    fn area(&self, borough: u8) -> AreaRef {
        self.boroughs[borough as usize].area.clone()
    }

    /// Every borough's outline, for drawing maps.
    pub fn borough_outlines(&self) -> Vec<(&AreaRef, &Polygon)> {
        self.boroughs
            .iter()
            .map(|b| (&b.area, &b.polygon))
            .collect()
    }

    /// Every ward's outline with its borough's code, for drawing maps.
    pub fn ward_outlines(&self) -> Vec<(&AreaRef, &str, &Polygon)> {
        self.wards
            .iter()
            .map(|w| {
                let borough = self
                    .boroughs
                    .get(usize::from(w.borough))
                    .map_or("", |b| b.area.code.as_str());
                (&w.area, borough, &w.polygon)
            })
            .collect()
    }

    /// The borough and ward containing a point, by point-in-polygon; `None` outside the seven
    /// boroughs.
    pub fn locate(&self, point: LatLon) -> Option<(AreaRef, Option<AreaRef>)> {
        let (b, borough) = self
            .boroughs
            .iter()
            .enumerate()
            .find(|(_, b)| b.polygon.contains(point))?;
        let ward = borough
            .wards
            .iter()
            .map(|&w| &self.wards[w as usize])
            .find(|w| w.polygon.contains(point))
            .map(|w| w.area.clone());
        Some((self.area(b as u8), ward))
    }

    /// Distance in metres from a point to the boundary of the borough with this code.
    pub fn distance_to_borough_boundary_m(&self, code: &str, point: LatLon) -> Option<f64> {
        self.boroughs
            .iter()
            .find(|b| b.area.code == code)
            .map(|b| b.polygon.distance_to_boundary_m(point))
    }

    /// The main roads on Lantern's list, each with the point of the area it lies in.
    pub fn streets(&self) -> Vec<(&str, LatLon)> {
        self.landmarks
            .iter()
            .filter(|l| l.street)
            .filter_map(|l| Some((l.name.as_str(), self.target_resolution(l.within)?.point)))
            .collect()
    }

    /// Towns, villages and neighbourhoods inside the seven boroughs: `(name, borough code,
    /// point)`. Composite neighbourhood names (`Hockley & Jewellery Quarter`) are left out.
    pub fn area_names(&self) -> Vec<(&str, &str, LatLon)> {
        let places = self.places.iter().filter_map(|p| {
            p.borough.map(|b| {
                (
                    p.name.as_str(),
                    self.boroughs[b as usize].area.code.as_str(),
                    p.point,
                )
            })
        });
        let neighbourhoods = self
            .neighbourhoods
            .iter()
            .filter(|n| !n.name.contains(['&', ',', '-']))
            .map(|n| {
                (
                    n.name.as_str(),
                    self.boroughs[n.borough as usize].area.code.as_str(),
                    n.point,
                )
            });
        places.chain(neighbourhoods).collect()
    }

    /// Every postcode unit with its point and stated borough and ward codes (for checks).
    pub fn units(&self) -> impl Iterator<Item = (String, LatLon, &str, &str)> + '_ {
        self.units.iter().map(|u| {
            (
                u.postcode.to_string(),
                u.point,
                self.boroughs[u.borough as usize].area.code.as_str(),
                self.wards[u.ward as usize].area.code.as_str(),
            )
        })
    }

    /// Looks up a postcode, a place name or a `lat, lon` pair.
    pub fn lookup(&self, query: &str) -> Lookup {
        let trimmed = query.trim();
        if let Some(postcode) = Postcode::parse(trimmed) {
            return self.lookup_postcode(postcode, trimmed);
        }
        if let Some(point) = parse_lat_lon(trimmed) {
            return self.lookup_point(point, trimmed);
        }
        self.lookup_name(trimmed)
    }

    /// Looks up a parsed postcode.
    pub fn lookup_postcode(&self, postcode: Postcode, query: &str) -> Lookup {
        let outward = postcode.outward();
        let Some(district) = self.find_aggregate(&self.districts, Postcode::District(outward))
        else {
            let reason = if self.areas.iter().any(|a| a == outward.area()) {
                format!("postcode district {outward} has no postcode in the seven boroughs")
            } else {
                format!(
                    "postcode area {} is not in the West Midlands (areas here: {})",
                    outward.area(),
                    self.areas.join(", ")
                )
            };
            return Lookup::OutsideRegion {
                query: query.to_owned(),
                reason,
                point: None,
            };
        };
        match postcode {
            Postcode::Unit(..) => match self.units.binary_search_by_key(&postcode.key(), |u| u.key)
            {
                Ok(i) => Lookup::Found(self.unit_resolution(&self.units[i])),
                Err(_) => Lookup::NotFound {
                    query: query.to_owned(),
                    reason: format!(
                        "{postcode} is not a live postcode in the seven boroughs (Code-Point Open, \
                         April 2025): it may be mistyped, terminated, newer, or outside the region; \
                         its district {outward} is known"
                    ),
                },
            },
            Postcode::Sector(..) => match self.find_aggregate(&self.sectors, postcode) {
                Some(a) => Lookup::Found(self.aggregate_resolution(a, Kind::PostcodeSector)),
                None => Lookup::NotFound {
                    query: query.to_owned(),
                    reason: format!("sector {postcode} has no postcode in the seven boroughs"),
                },
            },
            Postcode::District(_) => {
                Lookup::Found(self.aggregate_resolution(district, Kind::PostcodeDistrict))
            }
        }
    }

    fn find_aggregate<'a>(
        &self,
        list: &'a [Aggregate],
        postcode: Postcode,
    ) -> Option<&'a Aggregate> {
        list.binary_search_by_key(&postcode.key(), |a| a.postcode.key())
            .ok()
            .map(|i| &list[i])
    }

    fn unit_resolution(&self, unit: &Unit) -> Resolution {
        Resolution {
            matched: unit.postcode.to_string(),
            kind: Kind::PostcodeUnit,
            precision: Precision::PostcodeUnit,
            point: unit.point,
            borough: Some(self.area(unit.borough)),
            ward: Some(self.wards[unit.ward as usize].area.clone()),
            boroughs: Vec::new(),
            units_outside_region: None,
            positional_quality: Some(unit.quality),
        }
    }

    fn aggregate_resolution(&self, a: &Aggregate, kind: Kind) -> Resolution {
        let total: u32 = a.by_borough.iter().map(|(_, n)| n).sum::<u32>() + a.outside.unwrap_or(0);
        let boroughs: Vec<BoroughShare> = a
            .by_borough
            .iter()
            .map(|&(b, units)| BoroughShare {
                borough: self.area(b),
                units,
                share: f64::from(units) / f64::from(total.max(1)),
            })
            .collect();
        let single = boroughs.len() == 1 && a.outside.unwrap_or(0) == 0;
        Resolution {
            matched: a.postcode.to_string(),
            kind,
            precision: if kind == Kind::PostcodeSector {
                Precision::PostcodeSector
            } else {
                Precision::PostcodeDistrict
            },
            point: a.point,
            borough: single.then(|| boroughs[0].borough.clone()),
            ward: None,
            boroughs,
            units_outside_region: a.outside,
            positional_quality: None,
        }
    }

    /// Resolves a point to its borough and ward.
    pub fn lookup_point(&self, point: LatLon, query: &str) -> Lookup {
        match self.locate(point) {
            Some((borough, ward)) => Lookup::Found(Resolution {
                matched: format!("{:.6}, {:.6}", point.lat, point.lon),
                kind: Kind::Coordinates,
                precision: Precision::Address,
                point,
                borough: Some(borough),
                ward,
                boroughs: Vec::new(),
                units_outside_region: None,
                positional_quality: None,
            }),
            None => Lookup::OutsideRegion {
                query: query.to_owned(),
                reason: "the point is outside the seven boroughs".into(),
                point: Some(point),
            },
        }
    }

    /// Looks up a place, neighbourhood, ward, borough or landmark name (case, punctuation and
    /// the variants in `aliases.csv` folded).
    pub fn lookup_name(&self, query: &str) -> Lookup {
        let mut key = normalise(query);
        if !self.names.contains_key(&key)
            && let Some(rest) = key.strip_prefix("the ")
        {
            key = rest.to_owned();
        }
        match self.names.get(&key) {
            Some(_) => self
                .resolve_key(&key, query)
                .unwrap_or_else(|| Lookup::NotFound {
                    query: query.to_owned(),
                    reason: "no answer for this name".into(),
                }),
            None => Lookup::NotFound {
                query: query.to_owned(),
                reason: if key.is_empty() {
                    "the query is empty".into()
                } else {
                    "no postcode, place, neighbourhood, ward or landmark of the seven boroughs has \
                     this name"
                        .into()
                },
            },
        }
    }

    /// Entries of a folded name (for text recognition).
    pub(crate) fn entries(&self, key: &str) -> Option<&[NameEntry]> {
        self.names.get(key).map(Vec::as_slice)
    }

    /// The answer for a folded name, with `query` as what was asked.
    pub(crate) fn resolve_key(&self, key: &str, query: &str) -> Option<Lookup> {
        let mut lookup = self.resolved.get(key)?.clone();
        match &mut lookup {
            Lookup::Found(_) => {}
            Lookup::Ambiguous { query: q, .. }
            | Lookup::OutsideRegion { query: q, .. }
            | Lookup::NotFound { query: q, .. } => query.clone_into(q),
        }
        Some(lookup)
    }

    /// Resolves a name's entries: one place when they agree, candidates when they do not.
    fn resolve_entries(&self, entries: &[NameEntry], query: &str) -> Lookup {
        let mut resolutions: Vec<(Target, Option<Resolution>)> = entries
            .iter()
            .map(|e| (e.target, self.target_resolution(e.target)))
            .collect();
        resolutions.sort_by_key(|(t, _)| *t);
        let inside: Vec<&Resolution> = resolutions.iter().filter_map(|(_, r)| r.as_ref()).collect();
        if inside.is_empty() {
            let point = resolutions.first().and_then(|(t, _)| match t {
                Target::Place(p) => Some(self.places[*p as usize].point),
                _ => None,
            });
            let name = resolutions
                .first()
                .map(|(t, _)| self.target_name(*t))
                .unwrap_or_default();
            return Lookup::OutsideRegion {
                query: query.to_owned(),
                reason: format!("{name} is outside the seven boroughs"),
                point,
            };
        }
        // Candidates agree when they share a borough and lie within 5 km of the preferred one.
        let first = inside[0];
        let mut groups: Vec<&Resolution> = vec![first];
        for r in &inside[1..] {
            let same = groups.iter().any(|g| {
                g.borough.as_ref().map(|b| &b.code) == r.borough.as_ref().map(|b| &b.code)
                    && g.point.distance_m(r.point) <= 5_000.0
            });
            if !same {
                groups.push(r);
            }
        }
        if groups.len() == 1 {
            let mut found = first.clone();
            if let Some(label) = entries.iter().find_map(|e| e.label) {
                // A derived name stands for all its areas: their mean point, one ward only
                // when they share it.
                found.matched = self.labels[label as usize].clone();
                let n = inside.len() as f64;
                found.point = LatLon {
                    lat: inside.iter().map(|r| r.point.lat).sum::<f64>() / n,
                    lon: inside.iter().map(|r| r.point.lon).sum::<f64>() / n,
                };
                if inside.iter().any(|r| r.ward != found.ward) {
                    found.ward = None;
                }
            }
            Lookup::Found(found)
        } else {
            Lookup::Ambiguous {
                query: query.to_owned(),
                candidates: groups.into_iter().cloned().collect(),
            }
        }
    }

    fn target_name(&self, target: Target) -> String {
        match target {
            Target::Borough(b) => self.boroughs[b as usize].area.name.clone(),
            Target::Ward(w) => self.wards[w as usize].area.name.clone(),
            Target::Neighbourhood(n) => self.neighbourhoods[n as usize].name.clone(),
            Target::Place(p) => self.places[p as usize].name.clone(),
            Target::Landmark(l) => self.landmarks[l as usize].name.clone(),
        }
    }

    /// A name target's resolution; `None` for a place outside the seven boroughs.
    fn target_resolution(&self, target: Target) -> Option<Resolution> {
        let ward_at = |point: LatLon| self.locate(point).and_then(|(_, w)| w);
        let (kind, point, borough, ward) = match target {
            Target::Borough(b) => {
                // The borough's namesake town when GeoNames has it, else the mean of its units.
                let point = self
                    .places
                    .iter()
                    .find(|p| p.borough == Some(b) && p.name == self.boroughs[b as usize].area.name)
                    .map(|p| p.point)
                    .unwrap_or_else(|| self.borough_mean(b));
                (Kind::Borough, point, b, None)
            }
            Target::Ward(w) => {
                let ward = &self.wards[w as usize];
                (
                    Kind::Ward,
                    ward.label,
                    ward.borough,
                    Some(ward.area.clone()),
                )
            }
            Target::Neighbourhood(n) => {
                let n = &self.neighbourhoods[n as usize];
                (Kind::Neighbourhood, n.point, n.borough, ward_at(n.point))
            }
            Target::Place(p) => {
                let place = &self.places[p as usize];
                let borough = place.borough?;
                let ward = if place.town {
                    None
                } else {
                    ward_at(place.point)
                };
                (Kind::Place, place.point, borough, ward)
            }
            Target::Landmark(l) => {
                let landmark = &self.landmarks[l as usize];
                let mut within = self.target_resolution(landmark.within)?;
                within.matched = landmark.name.clone();
                within.kind = if landmark.street {
                    Kind::Street
                } else {
                    Kind::Landmark
                };
                return Some(within);
            }
        };
        Some(Resolution {
            matched: self.target_name(target),
            kind,
            precision: Precision::Place,
            point,
            borough: Some(self.area(borough)),
            ward,
            boroughs: Vec::new(),
            units_outside_region: None,
            positional_quality: None,
        })
    }

    fn borough_mean(&self, b: u8) -> LatLon {
        let (mut lat, mut lon, mut n) = (0.0, 0.0, 0.0);
        for u in self.units.iter().filter(|u| u.borough == b) {
            lat += u.point.lat;
            lon += u.point.lon;
            n += 1.0;
        }
        LatLon {
            lat: lat / n,
            lon: lon / n,
        }
    }

    /// Whether a postcode district has units here.
    pub(crate) fn knows_district(&self, outward: Outward) -> bool {
        self.find_aggregate(&self.districts, Postcode::District(outward))
            .is_some()
    }

    /// Numbers of units, sectors, districts, wards, boroughs, neighbourhoods, places, landmarks
    /// and names.
    pub fn sizes(&self) -> [usize; 9] {
        [
            self.units.len(),
            self.sectors.len(),
            self.districts.len(),
            self.wards.len(),
            self.boroughs.len(),
            self.neighbourhoods.len(),
            self.places.len(),
            self.landmarks.len(),
            self.names.len(),
        ]
    }
}

/// `52.48, -1.89` or `52.48 -1.89`, within plausible bounds.
fn parse_lat_lon(text: &str) -> Option<LatLon> {
    let mut parts = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let lat: f64 = parts.next()?.parse().ok()?;
    let lon: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !lat.is_finite() || !lon.is_finite() {
        return None;
    }
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        .then_some(LatLon { lat, lon })
}
