//! Records made batch by batch (`record_batches`, as a full analysis does to bound memory) equal
//! the records of all listings at once, on a simulated scenario where one listing in five names
//! one of four shared postcode units (so premises join clusters into larger groups).

mod common;

use lantern_analysis::{
    Analysis, ListingInput, LocationSettings, PlaceDistricts, RiskModel, Sketch, analyse,
    record_batches, records,
};
use lantern_extract::Extractor;
use lantern_geo::Gazetteer;
use lantern_indicators::Catalogue;
use lantern_sim::{
    Capture, ControllerTruth, ListingTruth, PremisesTruth, Scenario, Sink, simulate,
};

/// Real postcode units of the region, shared by unrelated listings.
const SHARED_UNITS: [&str; 4] = ["B5 6DY", "B1 1BB", "WS1 1AA", "B18 6NF"];

#[derive(Default)]
struct Lines(Vec<String>);

impl Sink for Lines {
    fn capture(&mut self, c: &Capture) -> std::io::Result<()> {
        let mut v = serde_json::to_value(c)?;
        let number: usize = v["external_id"].as_str().unwrap_or("x0")[1..]
            .parse()
            .unwrap_or(1);
        if number.is_multiple_of(5) {
            v["location"] = serde_json::json!({ "postcode": SHARED_UNITS[(number / 5) % 4] });
        }
        self.0.push(v.to_string());
        Ok(())
    }
    fn listing(&mut self, _: &ListingTruth) -> std::io::Result<()> {
        Ok(())
    }
    fn premises(&mut self, _: &PremisesTruth) -> std::io::Result<()> {
        Ok(())
    }
    fn controller(&mut self, _: &ControllerTruth) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every record as JSON, sorted: the comparable form of an analysis.
fn json_of(analyses: impl IntoIterator<Item = Analysis>) -> Vec<String> {
    let mut out = Vec::new();
    for a in analyses {
        out.extend(a.adverts.iter().map(|r| serde_json::to_string(r).unwrap()));
        out.extend(a.clusters.iter().map(|r| serde_json::to_string(r).unwrap()));
        out.extend(
            a.locations
                .iter()
                .map(|r| serde_json::to_string(r).unwrap()),
        );
    }
    out.sort();
    out
}

#[test]
fn records_made_batch_by_batch_equal_those_made_at_once() {
    let gazetteer = Gazetteer::embedded().unwrap();
    let extractor = Extractor::new(gazetteer, Catalogue::embedded().unwrap());
    let mut lines = Lines::default();
    simulate(&Scenario::new(7, 1_500, 6), gazetteer, &mut lines).unwrap();
    let listings = common::listings_of(&lines.0, &extractor, gazetteer);
    let inputs = common::inputs(&listings);
    let places = PlaceDistricts::new(gazetteer);
    let settings = LocationSettings::default();
    let model = RiskModel::embedded(Catalogue::embedded().unwrap()).unwrap();
    let whole = json_of([analyse(&inputs, &places, &settings, &model)]);

    let sketches: Vec<Sketch> = inputs
        .iter()
        .map(|l| Sketch::of(l.evidence, &places))
        .collect();
    let evidence: Vec<lantern_link::Evidence<'_>> = inputs
        .iter()
        .zip(&sketches)
        .map(|(l, s)| lantern_link::Evidence {
            source: l.source,
            external_id: l.external_id,
            first_seen: Some(l.first_seen),
            inputs: &s.inputs,
        })
        .collect();
    let clusters = lantern_link::link(&evidence, lantern_link::Settings::default());
    let reference = inputs.iter().map(|l| l.last_seen).max().unwrap();
    let batches = record_batches(&clusters.cluster_of, |i| &sketches[i].premises, 10);
    let largest = batches.iter().map(Vec::len).max().unwrap();
    assert!(
        batches.len() > 20 && largest > 10,
        "the scenario must give many batches and a group larger than the limit \
         ({} batches, largest {largest})",
        batches.len()
    );
    let parts = batches.iter().map(|batch| {
        let part: Vec<ListingInput<'_>> = batch.iter().map(|&i| inputs[i]).collect();
        let cluster_of: Vec<String> = batch
            .iter()
            .map(|&i| clusters.cluster_of[i].clone())
            .collect();
        records(
            &part,
            &clusters,
            &cluster_of,
            reference,
            &places,
            &settings,
            &model,
        )
    });
    let batched = json_of(parts);
    assert_eq!(batched.len(), whole.len());
    assert!(batched == whole, "batched records differ from the whole");
}
