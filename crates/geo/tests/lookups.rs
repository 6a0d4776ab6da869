//! Lookups against the real bundled data: the samples named in the issue and the data's README.

use lantern_core::export::Precision;
use lantern_geo::{Gazetteer, Kind, Lookup};

fn gazetteer() -> &'static Gazetteer {
    Gazetteer::embedded().expect("the embedded data loads")
}

fn found(query: &str) -> lantern_geo::Resolution {
    match gazetteer().lookup(query) {
        Lookup::Found(r) => r,
        other => panic!("{query:?}: {other:?}"),
    }
}

#[test]
fn the_data_loads_whole() {
    let [
        units,
        sectors,
        districts,
        wards,
        boroughs,
        neighbourhoods,
        places,
        landmarks,
        _names,
    ] = gazetteer().sizes();
    assert_eq!(units, 58_226);
    assert_eq!(wards, 192);
    assert_eq!(boroughs, 7);
    assert_eq!(neighbourhoods, 357);
    assert_eq!(places, 119);
    assert_eq!(districts, 102);
    assert!(sectors > districts && landmarks >= 10);
}

#[test]
fn a_unit_in_any_spelling_gives_its_borough_and_ward() {
    for query in ["B5 6DY", "b56dy", "b5 6dy", "  B5  6DY "] {
        let r = found(query);
        assert_eq!(r.matched, "B5 6DY");
        assert_eq!(r.kind, Kind::PostcodeUnit);
        assert_eq!(r.precision, Precision::PostcodeUnit);
        let borough = r.borough.unwrap();
        assert_eq!(
            (borough.code.as_str(), borough.name.as_str()),
            ("E08000025", "Birmingham")
        );
        assert_eq!(r.ward.unwrap().code, "E05011126", "Bordesley & Highgate");
        assert!((r.point.lat - 52.4758).abs() < 0.001 && (r.point.lon + 1.8875).abs() < 0.001);
    }
}

#[test]
fn units_of_a_split_district_keep_their_own_borough() {
    let sandwell = found("WS10 7AD");
    assert_eq!(sandwell.borough.unwrap().code, "E08000028");
    assert_eq!(sandwell.ward.unwrap().code, "E05001282");
    let walsall = found("ws107bg");
    assert_eq!(walsall.borough.unwrap().code, "E08000030");
    assert_eq!(walsall.ward.unwrap().code, "E05001309");
    assert_eq!(found("WV1 1AA").ward.unwrap().code, "E05014848");
}

#[test]
fn a_district_spanning_boroughs_gives_shares_not_a_borough() {
    let ws10 = found("WS10");
    assert_eq!(ws10.kind, Kind::PostcodeDistrict);
    assert_eq!(ws10.precision, Precision::PostcodeDistrict);
    assert!(ws10.borough.is_none(), "never a borough by district alone");
    let shares: Vec<(&str, u32)> = ws10
        .boroughs
        .iter()
        .map(|s| (s.borough.code.as_str(), s.units))
        .collect();
    assert_eq!(shares, [("E08000028", 540), ("E08000030", 387)]);
    assert!((ws10.boroughs[0].share - 540.0 / 927.0).abs() < 1e-9);

    let cv7 = found("CV7");
    assert_eq!(cv7.units_outside_region, Some(436));
    assert!(cv7.borough.is_none());
    let total: f64 = cv7.boroughs.iter().map(|s| s.share).sum();
    assert!((total - (266.0 + 65.0) / 767.0).abs() < 1e-9, "{total}");

    let b5 = found("B5");
    assert_eq!(
        b5.borough.unwrap().code,
        "E08000025",
        "wholly in Birmingham"
    );
}

#[test]
fn a_sector_is_its_units_mean_with_shares() {
    let sector = found("WS10 7");
    assert_eq!(sector.kind, Kind::PostcodeSector);
    assert_eq!(sector.precision, Precision::PostcodeSector);
    assert!(sector.boroughs.len() >= 2, "{:?}", sector.boroughs);
    assert!(sector.borough.is_none());
    let total: f64 = sector.boroughs.iter().map(|s| s.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn unknown_and_outside_postcodes_say_so() {
    match gazetteer().lookup("SW1A 1AA") {
        Lookup::OutsideRegion { reason, .. } => assert!(reason.contains("SW"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match gazetteer().lookup("B60 1AA") {
        Lookup::OutsideRegion { reason, .. } => assert!(reason.contains("B60"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match gazetteer().lookup("B5 9ZZ") {
        Lookup::NotFound { reason, .. } => {
            assert!(reason.contains("not a live postcode"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn names_fold_case_punctuation_and_variants() {
    for query in ["Birmingham", "BIRMINGHAM", "B'ham", "Brum", "bham"] {
        let r = found(query);
        assert_eq!(r.borough.unwrap().code, "E08000025", "{query}");
        assert_eq!(r.precision, Precision::Place);
    }
    for query in ["W'ton", "Wolves", "wolverhampton"] {
        assert_eq!(found(query).borough.unwrap().code, "E08000031", "{query}");
    }
    let digbeth = found("digbeth");
    assert_eq!(digbeth.kind, Kind::Neighbourhood);
    assert_eq!(digbeth.borough.unwrap().code, "E08000025");
    assert!(digbeth.ward.is_some());
    let ward = found("soho and jewellery quarter");
    assert_eq!(ward.kind, Kind::Ward);
    assert_eq!(ward.ward.unwrap().code, "E05011168");
    assert_eq!(found("Sandwell").kind, Kind::Borough);
    assert_eq!(found("the bullring").matched, "Bullring");
}

#[test]
fn names_meaning_two_places_are_ambiguous() {
    // Willenhall is a town in Walsall and a neighbourhood of Coventry.
    match gazetteer().lookup("Willenhall") {
        Lookup::Ambiguous { candidates, .. } => {
            let mut codes: Vec<String> = candidates
                .iter()
                .map(|c| c.borough.clone().unwrap().code)
                .collect();
            codes.sort();
            assert_eq!(codes, ["E08000026", "E08000030"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn places_outside_and_nonsense_are_answered_not_panicked() {
    match gazetteer().lookup("Cannock") {
        Lookup::OutsideRegion { point, .. } => assert!(point.is_some()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        gazetteer().lookup("Atlantis"),
        Lookup::NotFound { .. }
    ));
    assert!(matches!(gazetteer().lookup(""), Lookup::NotFound { .. }));
    assert!(matches!(
        gazetteer().lookup("51.5, -0.12"),
        Lookup::OutsideRegion { .. }
    ));
    for junk in [
        "\u{0}",
        "∞",
        "9999999999999999999",
        "B",
        "B5 6DY B5 6DY",
        "🙂",
        "NaN, NaN",
    ] {
        let _ = gazetteer().lookup(junk);
    }
}

#[test]
fn a_point_finds_its_borough_and_ward() {
    let r = found("52.4758, -1.8875");
    assert_eq!(r.kind, Kind::Coordinates);
    assert_eq!(r.borough.unwrap().code, "E08000025");
    assert!(r.ward.is_some());
}
