//! The simulator's promises: determinism, realistic proportions, every hard case and every
//! obfuscation class present, valid captures, real places, drama-range phones when few suffice.

use std::collections::{HashMap, HashSet};

use lantern_geo::{Gazetteer, Lookup};
use lantern_sim::{
    Capture, ControllerKind, ControllerTruth, ListingTruth, Obfuscation, PremisesTruth, Scenario,
    Sink, Summary, simulate,
};

#[derive(Default)]
struct Memory {
    captures: Vec<String>,
    listings: Vec<ListingTruth>,
    premises: Vec<PremisesTruth>,
    controllers: Vec<ControllerTruth>,
}

impl Sink for Memory {
    fn capture(&mut self, capture: &Capture) -> std::io::Result<()> {
        self.captures.push(serde_json::to_string(capture)?);
        Ok(())
    }
    fn listing(&mut self, truth: &ListingTruth) -> std::io::Result<()> {
        self.listings.push(truth.clone());
        Ok(())
    }
    fn premises(&mut self, truth: &PremisesTruth) -> std::io::Result<()> {
        self.premises.push(truth.clone());
        Ok(())
    }
    fn controller(&mut self, truth: &ControllerTruth) -> std::io::Result<()> {
        self.controllers.push(truth.clone());
        Ok(())
    }
}

fn run(seed: u64, listings: u64, weeks: u32) -> (Memory, Summary) {
    let gazetteer = Gazetteer::embedded().unwrap();
    let mut memory = Memory::default();
    let summary = simulate(
        &Scenario::new(seed, listings, weeks),
        gazetteer,
        &mut memory,
    )
    .unwrap();
    (memory, summary)
}

#[test]
fn the_same_seed_gives_the_same_scenario_and_another_seed_another() {
    let (a, _) = run(7, 800, 6);
    let (b, _) = run(7, 800, 6);
    let (c, _) = run(8, 800, 6);
    assert_eq!(a.captures, b.captures);
    assert_eq!(
        serde_json::to_string(&a.listings).unwrap(),
        serde_json::to_string(&b.listings).unwrap()
    );
    assert_ne!(a.captures, c.captures);
}

#[test]
fn listings_come_in_realistic_proportions() {
    let (memory, summary) = run(1, 5_000, 8);
    assert_eq!(summary.listings, 5_000);
    assert_eq!(memory.listings.len(), 5_000);
    let share = |k: usize| summary.listings_by_kind[k] as f64 / 5_000.0;
    assert!((share(0) - 0.60).abs() < 0.03, "independent {}", share(0));
    assert!((share(1) - 0.25).abs() < 0.03, "venue {}", share(1));
    assert!((share(2) - 0.15).abs() < 0.03, "network {}", share(2));
    let [independent, venue, network] = summary.controllers;
    assert!(
        independent > 2 * (venue + network),
        "{:?}",
        summary.controllers
    );
    // Networks have more phones than independents, and only networks are exploitative.
    let phones = |kind| {
        let list: Vec<&ControllerTruth> = memory
            .controllers
            .iter()
            .filter(|c| c.kind == kind)
            .collect();
        list.iter()
            .map(|c| c.phones.split(';').count())
            .sum::<usize>() as f64
            / list.len() as f64
    };
    assert!(phones(ControllerKind::Network) >= 3.0);
    assert!(phones(ControllerKind::Independent) < 1.2);
    assert!(
        memory
            .listings
            .iter()
            .all(|l| l.exploitative == (l.controller_kind == ControllerKind::Network))
    );
    assert!(summary.captures > summary.listings, "re-captures happen");
}

#[test]
fn every_hard_case_and_obfuscation_class_is_present() {
    let (memory, summary) = run(2, 5_000, 8);
    let l = &memory.listings;
    // Several controllers share one base template.
    let mut template_owners: HashMap<&str, HashSet<u64>> = HashMap::new();
    for x in l.iter().filter(|x| !x.base_template.is_empty()) {
        template_owners
            .entry(&x.base_template)
            .or_default()
            .insert(x.controller);
    }
    assert!(
        template_owners.values().any(|owners| owners.len() >= 3),
        "{template_owners:?}"
    );
    assert!(
        l.iter()
            .any(|x| x.fresh_text && x.controller_kind == ControllerKind::Network)
    );
    assert!(l.iter().any(|x| !x.cross_post_of.is_empty()), "cross-posts");
    assert!(
        l.iter().any(|x| x.edited_captures > 0),
        "edited re-captures"
    );
    assert!(
        l.iter()
            .any(|x| !x.phone_in_contact_field && x.body_phone != "none"),
        "phone only in body"
    );
    assert!(
        l.iter()
            .any(|x| x.tour && x.controller_kind == ControllerKind::Independent)
    );
    assert!(
        l.iter().any(|x| x.stock_image),
        "stock pictures across advertisers"
    );
    // Two independents sharing one number: different controllers, same phone.
    let shared: Vec<&ControllerTruth> = memory
        .controllers
        .iter()
        .filter(|c| c.shared_phone)
        .collect();
    assert!(!shared.is_empty());
    for c in &shared {
        let owners = memory
            .controllers
            .iter()
            .filter(|o| {
                o.phones
                    .split(';')
                    .any(|p| c.phones.split(';').any(|q| p == q))
            })
            .count();
        assert!(owners >= 2, "{c:?}");
    }
    for (i, how) in Obfuscation::ALL.iter().enumerate() {
        assert!(summary.body_phones_by_class[i] > 0, "{how:?} never used");
    }
    // Networks obscure their phones more often than independents.
    let obscured = |kind| {
        let with_phone: Vec<&ListingTruth> = l
            .iter()
            .filter(|x| x.controller_kind == kind && x.body_phone != "none")
            .collect();
        let hidden = with_phone
            .iter()
            .filter(|x| !matches!(x.body_phone.as_str(), "plain" | "international"))
            .count();
        hidden as f64 / with_phone.len().max(1) as f64
    };
    assert!(obscured(ControllerKind::Network) > 2.0 * obscured(ControllerKind::Independent));
    // Decoys: prices, times, heights, sizes, 24/7 and postcodes appear in bodies.
    let bodies = memory.captures.join("\n");
    assert!(
        bodies.contains("Just off "),
        "main roads from the gazetteer"
    );
    for decoy in ["24/7", "30min", "5ft ", "Size ", "Near "] {
        assert!(bodies.contains(decoy), "decoy {decoy:?}");
    }
    // Independents touring say so; that is movement language, not exploitation.
    assert!(bodies.contains("new in town"));
}

#[test]
fn captures_follow_the_input_contract_and_places_are_real() {
    let (memory, summary) = run(3, 600, 4);
    assert!(
        !summary.random_phone_numbers,
        "a small scenario uses drama-range numbers only"
    );
    for line in &memory.captures {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        for field in ["source", "external_id", "captured_at", "body"] {
            assert!(value[field].is_string(), "{field} in {line}");
        }
        lantern_core::Timestamp::parse(value["captured_at"].as_str().unwrap()).unwrap();
        if let Some(phone) = value["contact"]["phone"].as_str() {
            assert!(
                phone.starts_with("07700 900")
                    || phone.starts_with("0121 496 0")
                    || phone.starts_with("020 7946 0"),
                "{phone}"
            );
        }
    }
    let gazetteer = Gazetteer::embedded().unwrap();
    for p in memory.premises.iter().take(200) {
        match gazetteer.lookup(&p.postcode) {
            Lookup::Found(r) => assert_eq!(r.borough.unwrap().code, p.borough, "{}", p.postcode),
            other => panic!("{}: {other:?}", p.postcode),
        }
    }
    // Listing keys are unique.
    let keys: HashSet<(&str, &str)> = memory
        .listings
        .iter()
        .map(|l| (l.source.as_str(), l.external_id.as_str()))
        .collect();
    assert_eq!(keys.len(), memory.listings.len());
}

#[test]
fn hard_cases_are_tunable() {
    let gazetteer = Gazetteer::embedded().unwrap();
    let mut scenario = Scenario::new(4, 2_000, 6);
    scenario.hard.cross_post = 0.0;
    scenario.hard.shared_template = 0.0;
    scenario.hard.fresh_text_network = 1.0;
    scenario.hard.phone_only_in_body = 0.0;
    let mut memory = Memory::default();
    simulate(&scenario, gazetteer, &mut memory).unwrap();
    let l = &memory.listings;
    assert!(l.iter().all(|x| x.cross_post_of.is_empty()));
    assert!(l.iter().all(|x| x.base_template.is_empty()));
    assert!(
        l.iter()
            .filter(|x| x.controller_kind == ControllerKind::Network)
            .all(|x| x.fresh_text)
    );
    assert!(l.iter().all(|x| x.phone_in_contact_field));

    scenario.hard.cross_post = 1.0;
    let mut memory = Memory::default();
    simulate(&scenario, gazetteer, &mut memory).unwrap();
    let copies = memory
        .listings
        .iter()
        .filter(|x| !x.cross_post_of.is_empty())
        .count();
    assert!(copies * 2 >= memory.listings.len(), "{copies} cross-posts");
}
