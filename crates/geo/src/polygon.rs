//! Polygons in WGS84 longitude/latitude, point-in-polygon by ray casting, distance to a boundary.
//!
//! A few hundred simple polygons with bounding boxes need no spatial index: a point test checks
//! seven borough boxes, then the wards of one borough.

use crate::grid::LatLon;

/// A polygon: an exterior ring and any holes, as `(lon, lat)` vertices.
#[derive(Debug, Clone)]
pub struct Polygon {
    rings: Vec<Vec<(f64, f64)>>,
    /// `(min_lon, min_lat, max_lon, max_lat)`.
    bbox: (f64, f64, f64, f64),
}

impl Polygon {
    /// Builds a polygon from rings (exterior first). Returns `None` for an empty exterior.
    pub fn new(rings: Vec<Vec<(f64, f64)>>) -> Option<Self> {
        let exterior = rings.first()?;
        if exterior.len() < 3 {
            return None;
        }
        let mut bbox = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in exterior {
            bbox = (bbox.0.min(x), bbox.1.min(y), bbox.2.max(x), bbox.3.max(y));
        }
        Some(Self { rings, bbox })
    }

    /// The rings, exterior first, as `(longitude, latitude)` pairs (for drawing).
    pub fn rings(&self) -> &[Vec<(f64, f64)>] {
        &self.rings
    }

    /// Whether the point lies inside (even-odd rule over all rings, so holes are outside).
    pub fn contains(&self, p: LatLon) -> bool {
        let (x, y) = (p.lon, p.lat);
        if x < self.bbox.0 || x > self.bbox.2 || y < self.bbox.1 || y > self.bbox.3 {
            return false;
        }
        let mut inside = false;
        for ring in &self.rings {
            let mut j = ring.len() - 1;
            for i in 0..ring.len() {
                let (xi, yi) = ring[i];
                let (xj, yj) = ring[j];
                if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    }

    /// Distance in metres from the point to the nearest edge (an equirectangular approximation,
    /// good to well under a metre at these scales).
    pub fn distance_to_boundary_m(&self, p: LatLon) -> f64 {
        let m_per_deg_lat = 111_132.0;
        let m_per_deg_lon = 111_320.0 * p.lat.to_radians().cos();
        let project =
            |(x, y): (f64, f64)| ((x - p.lon) * m_per_deg_lon, (y - p.lat) * m_per_deg_lat);
        let mut best = f64::MAX;
        for ring in &self.rings {
            for pair in ring.windows(2) {
                let (a, b) = (project(pair[0]), project(pair[1]));
                best = best.min(segment_distance(a, b));
            }
        }
        best
    }
}

/// Distance from the origin to segment `ab`.
fn segment_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (x * x + y * y).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_with_hole() -> Polygon {
        Polygon::new(vec![
            vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)],
            vec![(1.0, 1.0), (1.0, 2.0), (2.0, 2.0), (2.0, 1.0), (1.0, 1.0)],
        ])
        .unwrap()
    }

    fn at(lon: f64, lat: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn inside_outside_and_holes() {
        let p = square_with_hole();
        assert!(p.contains(at(3.0, 3.0)));
        assert!(!p.contains(at(1.5, 1.5)), "in the hole");
        assert!(!p.contains(at(5.0, 1.0)));
        assert!(!p.contains(at(-0.1, 2.0)));
    }

    #[test]
    fn distance_to_an_edge() {
        let p = Polygon::new(vec![vec![
            (0.0, 52.0),
            (0.01, 52.0),
            (0.01, 52.01),
            (0.0, 52.01),
            (0.0, 52.0),
        ]])
        .unwrap();
        let d = p.distance_to_boundary_m(at(0.005, 52.0001));
        assert!((d - 11.1).abs() < 0.2, "{d}");
    }

    #[test]
    fn degenerate_rings_are_refused() {
        assert!(Polygon::new(vec![]).is_none());
        assert!(Polygon::new(vec![vec![(0.0, 0.0), (1.0, 1.0)]]).is_none());
    }
}
