//! Reading the embedded files into the gazetteer's tables. Every file is checked as it is read:
//! a malformed row is an error naming the file, line and field.

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

use super::{Aggregate, Borough, GeoDataError, Neighbourhood, Place, Unit, Ward, data_error};
use crate::grid::{LatLon, grid_to_wgs84};
use crate::model::AreaRef;
use crate::polygon::Polygon;
use crate::postcode::{Outward, Postcode};

macro_rules! embedded {
    ($file:literal) => {
        (
            $file,
            include_bytes!(concat!("../../../../data/geo/", $file)).as_slice(),
        )
    };
}

pub(super) const POSTCODES: (&str, &[u8]) = embedded!("postcodes-wm.csv.gz");
pub(super) const DISTRICTS: (&str, &[u8]) = embedded!("postcode-districts-wm.csv.gz");
pub(super) const WARDS: (&str, &[u8]) = embedded!("wards-wm.geojson.gz");
pub(super) const BOROUGHS: (&str, &[u8]) = embedded!("local-authorities-wm.geojson.gz");
pub(super) const NEIGHBOURHOODS: (&str, &[u8]) = embedded!("neighbourhoods-wm.csv.gz");
pub(super) const PLACES: (&str, &[u8]) = embedded!("places-wm.csv.gz");
pub(super) const ALIASES: (&str, &str) = (
    "aliases.csv",
    include_str!("../../../../data/geo/aliases.csv"),
);
pub(super) const LANDMARKS: (&str, &str) = (
    "landmarks.csv",
    include_str!("../../../../data/geo/landmarks.csv"),
);

fn gunzip(file: &'static str, bytes: &[u8]) -> Result<String, GeoDataError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| data_error(file, e))?;
    Ok(text)
}

fn csv_rows(
    (file, bytes): (&'static str, &[u8]),
) -> Result<(Vec<csv::StringRecord>, csv::StringRecord), GeoDataError> {
    let text = gunzip(file, bytes)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| data_error(file, e))?.clone();
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| data_error(file, e))?;
    Ok((rows, header))
}

fn column(
    file: &'static str,
    header: &csv::StringRecord,
    name: &str,
) -> Result<usize, GeoDataError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| data_error(file, format!("no column {name:?}")))
}

fn number<T: std::str::FromStr>(
    file: &'static str,
    line: usize,
    field: &str,
    text: &str,
) -> Result<T, GeoDataError> {
    text.parse().map_err(|_| {
        data_error(
            file,
            format!("line {line}: {field} {text:?} is not a number"),
        )
    })
}

fn geojson_features((file, bytes): (&'static str, &[u8])) -> Result<Vec<Value>, GeoDataError> {
    let text = gunzip(file, bytes)?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| data_error(file, e))?;
    match doc.get_mut("features").map(Value::take) {
        Some(Value::Array(features)) => Ok(features),
        _ => Err(data_error(file, "no features array")),
    }
}

fn property<'a>(
    file: &'static str,
    feature: &'a Value,
    name: &str,
) -> Result<&'a Value, GeoDataError> {
    feature
        .get("properties")
        .and_then(|p| p.get(name))
        .ok_or_else(|| data_error(file, format!("a feature has no property {name:?}")))
}

fn string_property(
    file: &'static str,
    feature: &Value,
    name: &str,
) -> Result<String, GeoDataError> {
    property(file, feature, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| data_error(file, format!("property {name:?} is not a string")))
}

fn polygon_of(file: &'static str, feature: &Value) -> Result<Polygon, GeoDataError> {
    let geometry = feature
        .get("geometry")
        .ok_or_else(|| data_error(file, "a feature has no geometry"))?;
    let rings = match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => geometry.get("coordinates"),
        other => {
            return Err(data_error(
                file,
                format!("geometry {other:?} is not a Polygon"),
            ));
        }
    };
    let rings: Vec<Vec<(f64, f64)>> = rings
        .and_then(Value::as_array)
        .ok_or_else(|| data_error(file, "polygon without rings"))?
        .iter()
        .map(|ring| {
            ring.as_array()
                .into_iter()
                .flatten()
                .map(|pt| {
                    let x = pt.get(0).and_then(Value::as_f64);
                    let y = pt.get(1).and_then(Value::as_f64);
                    x.zip(y)
                        .ok_or_else(|| data_error(file, "a vertex is not [lon, lat]"))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    Polygon::new(rings).ok_or_else(|| data_error(file, "an empty polygon"))
}

pub(super) fn read_boroughs() -> Result<(Vec<Borough>, HashMap<String, u8>), GeoDataError> {
    let file = BOROUGHS.0;
    let mut boroughs = Vec::new();
    for feature in geojson_features(BOROUGHS)? {
        boroughs.push(Borough {
            area: AreaRef {
                code: string_property(file, &feature, "la_code")?,
                name: string_property(file, &feature, "la_name")?,
            },
            polygon: polygon_of(file, &feature)?,
            wards: Vec::new(),
        });
    }
    boroughs.sort_by(|a, b| a.area.code.cmp(&b.area.code));
    let index = boroughs
        .iter()
        .enumerate()
        .map(|(i, b)| (b.area.code.clone(), i as u8))
        .collect();
    Ok((boroughs, index))
}

fn borough_of(
    file: &'static str,
    index: &HashMap<String, u8>,
    code: &str,
) -> Result<u8, GeoDataError> {
    index
        .get(code)
        .copied()
        .ok_or_else(|| data_error(file, format!("unknown borough {code:?}")))
}

pub(super) fn read_wards(boroughs: &HashMap<String, u8>) -> Result<Vec<Ward>, GeoDataError> {
    let file = WARDS.0;
    let mut wards = Vec::new();
    for feature in geojson_features(WARDS)? {
        let coordinate = |name| {
            property(file, &feature, name)?
                .as_f64()
                .ok_or_else(|| data_error(file, format!("{name} is not a number")))
        };
        wards.push(Ward {
            area: AreaRef {
                code: string_property(file, &feature, "ward_code")?,
                name: string_property(file, &feature, "ward_name")?,
            },
            borough: borough_of(file, boroughs, &string_property(file, &feature, "la_code")?)?,
            label: LatLon {
                lat: coordinate("label_lat")?,
                lon: coordinate("label_lon")?,
            },
            polygon: polygon_of(file, &feature)?,
        });
    }
    Ok(wards)
}

pub(super) fn read_units(
    boroughs: &HashMap<String, u8>,
    wards: &HashMap<&str, u16>,
) -> Result<Vec<Unit>, GeoDataError> {
    let file = POSTCODES.0;
    let (rows, header) = csv_rows(POSTCODES)?;
    let [pc, e, n, q, la, wd] = [
        "postcode",
        "easting",
        "northing",
        "positional_quality",
        "local_authority",
        "ward",
    ]
    .map(|name| column(file, &header, name));
    let (pc, e, n, q, la, wd) = (pc?, e?, n?, q?, la?, wd?);
    let mut units = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        let postcode = match Postcode::parse(&row[pc]) {
            Some(p @ Postcode::Unit(..)) => p,
            _ => {
                return Err(data_error(
                    file,
                    format!("line {line}: {:?} is not a postcode unit", &row[pc]),
                ));
            }
        };
        let easting: f64 = number(file, line, "easting", &row[e])?;
        let northing: f64 = number(file, line, "northing", &row[n])?;
        units.push(Unit {
            key: postcode.key(),
            postcode,
            point: grid_to_wgs84(easting, northing),
            quality: number(file, line, "positional_quality", &row[q])?,
            borough: borough_of(file, boroughs, &row[la])?,
            ward: *wards.get(&row[wd]).ok_or_else(|| {
                data_error(file, format!("line {line}: unknown ward {:?}", &row[wd]))
            })?,
        });
    }
    units.sort_by_key(|u| u.key);
    if let Some(pair) = units.windows(2).find(|w| w[0].key == w[1].key) {
        return Err(data_error(
            file,
            format!("{} appears twice", pair[0].postcode),
        ));
    }
    Ok(units)
}

pub(super) fn read_district_outside() -> Result<HashMap<Outward, u32>, GeoDataError> {
    let file = DISTRICTS.0;
    let (rows, header) = csv_rows(DISTRICTS)?;
    let (oc, outside) = (
        column(file, &header, "outcode")?,
        column(file, &header, "units_outside_wm7")?,
    );
    let mut map = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let outward = Outward::parse(&row[oc]).ok_or_else(|| {
            data_error(file, format!("line {}: bad outcode {:?}", i + 2, &row[oc]))
        })?;
        map.insert(
            outward,
            number(file, i + 2, "units_outside_wm7", &row[outside])?,
        );
    }
    Ok(map)
}

/// A sector or district being summed: the postcode, sums of latitude and longitude, units, and
/// units per borough.
type Group = (Postcode, f64, f64, u32, Vec<(u8, u32)>);

pub(super) fn aggregate(
    units: &[Unit],
    level: impl Fn(&Unit) -> Option<Postcode>,
    outside: &HashMap<Outward, u32>,
) -> Vec<Aggregate> {
    // Means are taken over the units' WGS84 points: at a district's scale (a few km) the
    // difference from averaging grid coordinates is centimetres.
    let mut groups: HashMap<u64, Group> = HashMap::new();
    for unit in units {
        let Some(postcode) = level(unit) else {
            continue;
        };
        let g = groups
            .entry(postcode.key())
            .or_insert_with(|| (postcode, 0.0, 0.0, 0, Vec::new()));
        g.1 += unit.point.lat;
        g.2 += unit.point.lon;
        g.3 += 1;
        match g.4.iter_mut().find(|(b, _)| *b == unit.borough) {
            Some((_, n)) => *n += 1,
            None => g.4.push((unit.borough, 1)),
        }
    }
    let mut list: Vec<Aggregate> = groups
        .into_values()
        .map(|(postcode, lat, lon, n, mut by_borough)| {
            by_borough.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let outside = match postcode {
                Postcode::District(o) => Some(outside.get(&o).copied().unwrap_or(0)),
                _ => None,
            };
            Aggregate {
                postcode,
                point: LatLon {
                    lat: lat / f64::from(n),
                    lon: lon / f64::from(n),
                },
                by_borough,
                outside,
            }
        })
        .collect();
    list.sort_by_key(|a| a.postcode.key());
    list
}

pub(super) fn read_neighbourhoods(
    boroughs: &HashMap<String, u8>,
) -> Result<Vec<Neighbourhood>, GeoDataError> {
    let file = NEIGHBOURHOODS.0;
    let (rows, header) = csv_rows(NEIGHBOURHOODS)?;
    let [name, la, lat, lon] =
        ["hcl_name", "la_code", "lat", "lon"].map(|c| column(file, &header, c));
    let (name, la, lat, lon) = (name?, la?, lat?, lon?);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            Ok(Neighbourhood {
                name: row[name].to_owned(),
                borough: borough_of(file, boroughs, &row[la])?,
                point: LatLon {
                    lat: number(file, i + 2, "lat", &row[lat])?,
                    lon: number(file, i + 2, "lon", &row[lon])?,
                },
            })
        })
        .collect()
}

pub(super) fn read_places(boroughs: &HashMap<String, u8>) -> Result<Vec<Place>, GeoDataError> {
    let file = PLACES.0;
    let (rows, header) = csv_rows(PLACES)?;
    let [name, lat, lon, pop, feature, la] = [
        "name",
        "lat",
        "lon",
        "population",
        "feature_code",
        "la_code",
    ]
    .map(|c| column(file, &header, c));
    let (name, lat, lon, pop, feature, la) = (name?, lat?, lon?, pop?, feature?, la?);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let population: u64 = number(file, i + 2, "population", &row[pop])?;
            let borough = match &row[la] {
                "" => None,
                code => Some(borough_of(file, boroughs, code)?),
            };
            Ok(Place {
                name: row[name].to_owned(),
                point: LatLon {
                    lat: number(file, i + 2, "lat", &row[lat])?,
                    lon: number(file, i + 2, "lon", &row[lon])?,
                },
                borough,
                // Towns span wards: no single ward stands for them.
                town: population >= 50_000 || &row[feature] == "PPLA2",
            })
        })
        .collect()
}
