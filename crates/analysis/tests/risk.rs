//! The risk model's guardrails: what may never raise concern does not, whatever the weights file
//! says; every high band carries a reason with its evidence.

use lantern_analysis::{
    ListingEvidence, ListingInput, LocationSettings, PlaceDistricts, RiskModel, analyse,
};
use lantern_core::export::{AdvertRecord, RiskBand};
use lantern_extract::Extractor;
use lantern_geo::Gazetteer;
use lantern_indicators::Catalogue;

const SHIPPED: &str = include_str!("../../../data/risk.toml");

fn model() -> RiskModel {
    RiskModel::embedded(Catalogue::embedded().unwrap()).unwrap()
}

/// Listings (source, id, JSON lines of their captures) analysed together.
fn analysed(listings: &[(&str, &[String])]) -> Vec<AdvertRecord> {
    let gazetteer = Gazetteer::embedded().unwrap();
    let extractor = Extractor::new(gazetteer, Catalogue::embedded().unwrap());
    let mut built = Vec::new();
    let mut next_id = 0;
    for (id, lines) in listings {
        let mut e = ListingEvidence::default();
        let (mut first, mut last) = (None, None);
        for line in *lines {
            let c = lantern_ingest::decode_record(lantern_ingest::Format::Jsonl, line.as_bytes())
                .unwrap();
            next_id += 1;
            e.merge(ListingEvidence::of_capture(
                &c,
                next_id,
                &extractor.capture(&c),
                gazetteer,
            ));
            first = Some(first.map_or(c.captured_at, |f: lantern_core::Timestamp| {
                f.min(c.captured_at)
            }));
            last = Some(last.map_or(c.captured_at, |l: lantern_core::Timestamp| {
                l.max(c.captured_at)
            }));
        }
        built.push((id.to_string(), first.unwrap(), last.unwrap(), e));
    }
    let inputs: Vec<ListingInput<'_>> = built
        .iter()
        .map(|(id, first, last, e)| ListingInput {
            source: "site-a",
            external_id: id,
            first_seen: *first,
            last_seen: *last,
            evidence: e,
        })
        .collect();
    analyse(
        &inputs,
        &PlaceDistricts::new(gazetteer),
        &LocationSettings::default(),
        &model(),
    )
    .adverts
}

fn capture(id: &str, at: &str, body: &str, image: &str, place: &str) -> String {
    serde_json::json!({
        "source": "site-a", "external_id": id, "captured_at": at, "body": body,
        "contact": {"phone": "07700 900321"}, "location": {"text": place},
        "images": [format!("sha256:{}", image.repeat(64 / image.len()))]
    })
    .to_string()
}

#[test]
fn the_shipped_weights_pass_the_checks_and_forbidden_ones_are_refused() {
    let catalogue = Catalogue::embedded().unwrap();
    assert!(RiskModel::parse(SHIPPED, "shipped", catalogue).is_ok());
    for (line, why) in [
        ("\"IND-ADV-X01\" = 0.5", "contra-indicator"),
        ("\"IND-ADV-007\" = 0.5", "nationality or ethnicity"),
        ("\"IND-ADV-005\" = -0.5", "negative weight"),
        ("\"IND-NOPE-001\" = 0.5", "unknown code"),
    ] {
        let edited = SHIPPED.replace("[indicators]\n", &format!("[indicators]\n{line}\n"));
        let edited = if line.starts_with("\"IND-ADV-005\"") {
            edited.replace("\"IND-ADV-005\" = 0.4", "")
        } else {
            edited
        };
        let err = RiskModel::parse(&edited, "edited", catalogue);
        assert!(err.is_err(), "{why}: {line} was accepted");
    }
}

#[test]
fn movement_language_and_a_stated_nationality_do_not_raise_an_independents_risk() {
    let plain = "Hi, I'm Mia. Friendly and discreet, I work for myself. Incall only.";
    let moved = "Hi, I'm Mia. New in town for a limited time! Romanian girl, friendly and \
                 discreet, I work for myself. Just arrived, touring. Incall only.";
    let a = analysed(&[(
        "1",
        &[capture("1", "2026-10-01T10:00:00Z", plain, "a1", "Digbeth")],
    )]);
    let b = analysed(&[(
        "1",
        &[capture("1", "2026-10-01T10:00:00Z", moved, "a1", "Digbeth")],
    )]);
    assert!(a[0].assessed && b[0].assessed);
    assert_eq!(a[0].risk, b[0].risk, "{:?}", b[0].reasons);
    assert_eq!(
        a[0].reasons,
        ["no scored indicator or structure found: baseline concern only"],
        "a score without contributions still says so"
    );
    assert!(
        b[0].reasons
            .iter()
            .all(|r| !r.contains("X01") && !r.contains("ADV-007"))
    );
}

#[test]
fn a_touring_independent_is_not_scored_for_structure() {
    let body = "Hi, I'm Ruby, 29. Relaxed, unhurried and always smiling.";
    let home = capture("1", "2026-10-01T10:00:00Z", body, "b2", "Walsall");
    let tour = capture("2", "2026-10-08T10:00:00Z", body, "b2", "Coventry");
    let touring = analysed(&[("1", std::slice::from_ref(&home)), ("2", &[tour])]);
    let staying = analysed(&[("1", &[home])]);
    assert_eq!(
        touring[0].cluster, touring[1].cluster,
        "one phone, one cluster"
    );
    assert_eq!(touring[0].risk, staying[0].risk, "{:?}", touring[0].reasons);
    assert_eq!(touring[0].risk_band, RiskBand::Low);
}

#[test]
fn a_network_moving_workers_is_banded_high_with_reasons_and_evidence() {
    let body =
        |name: &str| format!("{name} new girl! Very young and sweet, trust me. All services.");
    let mut listings: Vec<(String, Vec<String>)> = Vec::new();
    for (n, (name, image)) in [("Mia", "c3"), ("Ruby", "d4"), ("Jade", "e5")]
        .iter()
        .enumerate()
    {
        for (week, place) in [(1, "Walsall"), (2, "Dudley"), (3, "Wolverhampton")] {
            let id = format!("{n}{week}");
            let at = format!("2026-10-0{}T10:00:00Z", week + n);
            listings.push((
                id.clone(),
                vec![capture(&id, &at, &body(name), image, place)],
            ));
        }
    }
    let borrowed: Vec<(&str, &[String])> = listings
        .iter()
        .map(|(id, l)| (id.as_str(), l.as_slice()))
        .collect();
    let adverts = analysed(&borrowed);
    let a = &adverts[0];
    assert_eq!(a.risk_band, RiskBand::High, "{} {:?}", a.risk, a.reasons);
    assert!(
        a.reasons.iter().any(|r| r.starts_with("IND-SEX-007")),
        "{:?}",
        a.reasons
    );
    assert!(
        a.reasons
            .iter()
            .any(|r| r.starts_with("IND-ADV-006") && r.contains("e.g. \"Very young\"")),
        "{:?}",
        a.reasons
    );
    assert!(
        a.reasons.iter().all(|r| r.contains("[+")),
        "every reason shows its weight"
    );
}
