//! The simulator's hard cases, each switched fully on in a scenario of its own, run through
//! extraction and analysis in memory (no store): shared base templates across controllers stay
//! split; fresh-text networks merge by phone and image; cross-posted copies merge; a touring
//! independent stays one small cluster.

mod common;

use std::collections::{HashMap, HashSet};

use lantern_analysis::{LocationSettings, PlaceDistricts, analyse};
use lantern_core::export::{AdvertRecord, ClusterRecord};
use lantern_extract::Extractor;
use lantern_geo::Gazetteer;
use lantern_indicators::Catalogue;
use lantern_sim::{
    Capture, ControllerKind, ControllerTruth, ListingTruth, PremisesTruth, Scenario, Sink, simulate,
};

#[derive(Default)]
struct Collect {
    captures: Vec<String>,
    truth: Vec<ListingTruth>,
}

impl Sink for Collect {
    fn capture(&mut self, c: &Capture) -> std::io::Result<()> {
        self.captures.push(serde_json::to_string(c)?);
        Ok(())
    }
    fn listing(&mut self, t: &ListingTruth) -> std::io::Result<()> {
        self.truth.push(t.clone());
        Ok(())
    }
    fn premises(&mut self, _: &PremisesTruth) -> std::io::Result<()> {
        Ok(())
    }
    fn controller(&mut self, _: &ControllerTruth) -> std::io::Result<()> {
        Ok(())
    }
}

struct Outcome {
    truth: HashMap<(String, String), ListingTruth>,
    adverts: Vec<AdvertRecord>,
    clusters: Vec<ClusterRecord>,
    templates_shared_across_controllers: usize,
}

fn run(scenario: &Scenario) -> Outcome {
    let gazetteer = Gazetteer::embedded().unwrap();
    let extractor = Extractor::new(gazetteer, Catalogue::embedded().unwrap());
    let mut sink = Collect::default();
    simulate(scenario, gazetteer, &mut sink).unwrap();
    let listings = common::listings_of(&sink.captures, &extractor, gazetteer);
    let truth: HashMap<(String, String), ListingTruth> = sink
        .truth
        .into_iter()
        .map(|t| ((t.source.clone(), t.external_id.clone()), t))
        .collect();
    // How many masked templates appear under more than one controller (what text alone would merge).
    let mut controllers_of: HashMap<&str, HashSet<u64>> = HashMap::new();
    for (key, (_, _, e)) in &listings {
        if let Some((_, template)) = &e.template {
            controllers_of
                .entry(template.as_str())
                .or_default()
                .insert(truth[key].controller);
        }
    }
    let templates_shared_across_controllers =
        controllers_of.values().filter(|c| c.len() > 1).count();
    let inputs = common::inputs(&listings);
    let model = lantern_analysis::RiskModel::embedded(Catalogue::embedded().unwrap()).unwrap();
    let analysis = analyse(
        &inputs,
        &PlaceDistricts::new(gazetteer),
        &LocationSettings::default(),
        &model,
    );
    Outcome {
        truth,
        adverts: analysis.adverts,
        clusters: analysis.clusters,
        templates_shared_across_controllers,
    }
}

/// Connected parts of one controller's listings, joined by a shared phone or worker.
fn linkable_parts(listings: &[(&str, u64)]) -> usize {
    let mut parent: Vec<usize> = (0..listings.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for a in 0..listings.len() {
        for b in a + 1..listings.len() {
            if listings[a].0 == listings[b].0 || listings[a].1 == listings[b].1 {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra] = rb;
            }
        }
    }
    (0..listings.len())
        .filter(|&i| find(&mut parent, i) == i)
        .count()
}

/// A scenario with every hard case off, then adjusted.
fn scenario(seed: u64, listings: u64, adjust: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut s = Scenario::new(seed, listings, 6);
    let h = &mut s.hard;
    h.shared_template = 0.0;
    h.fresh_text_network = 0.0;
    h.cross_post = 0.0;
    h.edited_recapture = 0.0;
    h.tour = 0.0;
    h.phone_only_in_body = 0.0;
    h.obscured_phone = 0.0;
    h.shared_phone = 0.0;
    h.stock_image = 0.0;
    adjust(&mut s);
    s
}

impl Outcome {
    fn controller(&self, a: &AdvertRecord) -> &ListingTruth {
        &self.truth[&(a.source.clone(), a.external_id.clone())]
    }

    /// Predicted clusters holding listings of more than one controller.
    fn mixed_clusters(&self) -> usize {
        let mut controllers: HashMap<&str, HashSet<u64>> = HashMap::new();
        for a in &self.adverts {
            controllers
                .entry(a.cluster.as_str())
                .or_default()
                .insert(self.controller(a).controller);
        }
        controllers.values().filter(|c| c.len() > 1).count()
    }

    /// Controllers (of `kind`) split over more clusters than their listings' phones and workers
    /// can join (listings sharing neither a phone nor a worker with the rest cannot be linked
    /// without text), and how many such controllers there are.
    fn split_controllers(&self, kind: ControllerKind) -> (usize, usize) {
        let mut clusters: HashMap<u64, HashSet<&str>> = HashMap::new();
        let mut parts: HashMap<u64, Vec<(&str, u64)>> = HashMap::new();
        for a in &self.adverts {
            let t = self.controller(a);
            if t.controller_kind == kind {
                clusters
                    .entry(t.controller)
                    .or_default()
                    .insert(a.cluster.as_str());
                parts
                    .entry(t.controller)
                    .or_default()
                    .push((t.phones.as_str(), t.worker));
            }
        }
        let split = clusters
            .iter()
            .filter(|(c, found)| found.len() > linkable_parts(&parts[*c]))
            .count();
        (split, clusters.len())
    }
}

#[test]
fn a_base_template_shared_across_controllers_stays_split() {
    let out = run(&scenario(11, 1_500, |s| {
        s.hard.shared_template = 1.0;
        s.mix.independent = 0.2;
        s.mix.venue = 0.5;
        s.mix.network = 0.3;
    }));
    assert!(
        out.templates_shared_across_controllers >= 10,
        "the scenario must put one masked template under several controllers \
         ({} did): otherwise this test proves nothing",
        out.templates_shared_across_controllers
    );
    assert_eq!(
        out.mixed_clusters(),
        0,
        "a shared template merged two controllers"
    );
}

#[test]
fn a_fresh_text_network_is_linked_by_its_phones_and_images() {
    let out = run(&scenario(12, 1_500, |s| {
        s.hard.fresh_text_network = 1.0;
        s.mix.independent = 0.3;
        s.mix.venue = 0.1;
        s.mix.network = 0.6;
    }));
    let (split, networks) = out.split_controllers(ControllerKind::Network);
    assert!(networks >= 10, "{networks} networks");
    assert_eq!(
        split, 0,
        "{split} of {networks} fresh-text networks split beyond what phones and workers join"
    );
    assert_eq!(out.mixed_clusters(), 0);
}

#[test]
fn cross_posted_copies_join_their_original() {
    let out = run(&scenario(13, 1_500, |s| s.hard.cross_post = 1.0));
    let cluster_of: HashMap<String, &str> = out
        .adverts
        .iter()
        .map(|a| {
            (
                format!("{}/{}", a.source, a.external_id),
                a.cluster.as_str(),
            )
        })
        .collect();
    let mut copies = 0;
    for a in &out.adverts {
        let original = &out.controller(a).cross_post_of;
        if !original.is_empty() {
            copies += 1;
            assert_eq!(
                cluster_of[original], a.cluster,
                "{}/{}",
                a.source, a.external_id
            );
        }
    }
    assert!(copies >= 500, "{copies} copies");
}

#[test]
fn a_touring_independent_stays_one_small_cluster_that_shows_the_tour() {
    let out = run(&scenario(14, 1_200, |s| {
        s.hard.tour = 1.0;
        s.mix.independent = 1.0;
        s.mix.venue = 0.0;
        s.mix.network = 0.0;
    }));
    let (split, independents) = out.split_controllers(ControllerKind::Independent);
    assert!(independents >= 100, "{independents}");
    assert_eq!(split, 0, "{split} touring independents were split");
    assert_eq!(
        out.mixed_clusters(),
        0,
        "independents merged with each other"
    );
    let toured = out
        .adverts
        .iter()
        .filter(|a| out.controller(a).tour)
        .count();
    assert!(toured > 0, "the scenario has tours");
    let shown = out
        .clusters
        .iter()
        .filter(|c| {
            c.reasons
                .iter()
                .any(|r| r.starts_with("advertised in 2 towns"))
        })
        .count();
    assert!(shown > 0, "no touring cluster shows its two towns");
    assert!(
        out.clusters.iter().all(|c| c.size <= 12),
        "an independent's cluster is small"
    );
}

#[test]
fn every_high_band_shows_a_reason_with_its_evidence() {
    // Every hard case at its default rate.
    let out = run(&Scenario::new(15, 1_500, 6));
    let high: Vec<&ClusterRecord> = out
        .clusters
        .iter()
        .filter(|c| c.risk_band == lantern_core::export::RiskBand::High)
        .collect();
    assert!(!high.is_empty(), "the scenario has networks to band high");
    for c in high {
        assert!(c.assessed);
        let evidenced = c.reasons.iter().any(|r| {
            r.contains("[+")
                && (r.contains("e.g. \"") || r.contains("workers") || r.contains("locations"))
        });
        assert!(evidenced, "{}: {:?}", c.cluster, c.reasons);
    }
}
