//! Grid conversion against independent control points, and every postcode unit against its
//! stated borough's polygon.

use lantern_geo::{Gazetteer, LatLon, grid_to_wgs84};

/// OSTN15 control points (see `scripts/ostn15-control-points.py` for how they were computed).
const CONTROL_POINTS: &str = include_str!("data/ostn15-control-points.csv");

#[test]
fn grid_conversion_is_within_5_m_of_ostn15_across_the_region() {
    let mut worst = (0.0_f64, String::new());
    let mut count = 0;
    for line in CONTROL_POINTS.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let got = grid_to_wgs84(v[0], v[1]);
        let want = LatLon {
            lat: v[2],
            lon: v[3],
        };
        let error = got.distance_m(want);
        if error > worst.0 {
            worst = (error, line.to_owned());
        }
        count += 1;
    }
    assert!(count >= 100, "{count} control points");
    assert!(
        worst.0 <= 5.0,
        "worst error {:.2} m at {}",
        worst.0,
        worst.1
    );
    eprintln!(
        "grid conversion: worst error {:.2} m over {count} OSTN15 points",
        worst.0
    );
}

#[test]
fn every_postcode_unit_falls_in_its_stated_borough() {
    let gazetteer = Gazetteer::embedded().unwrap();
    let mut checked = 0;
    let mut near_boundary = Vec::new();
    for (postcode, point, borough, _ward) in gazetteer.units() {
        checked += 1;
        let located = gazetteer.locate(point).map(|(b, _)| b.code);
        if located.as_deref() != Some(borough) {
            let distance = gazetteer
                .distance_to_borough_boundary_m(borough, point)
                .unwrap();
            near_boundary.push((postcode, located, distance));
        }
    }
    assert_eq!(checked, 58_226);
    // The conversion is good to a few metres and the boundaries are generalised: a unit may fall
    // just over its borough's edge, but only just, and only a few.
    assert!(
        near_boundary.len() <= 20,
        "{} units outside: {near_boundary:?}",
        near_boundary.len()
    );
    for (postcode, located, distance) in &near_boundary {
        assert!(
            *distance < 10.0,
            "{postcode} is {distance:.1} m outside (located in {located:?})"
        );
    }
    eprintln!(
        "{} of {checked} units fall within metres outside their borough",
        near_boundary.len()
    );
}
