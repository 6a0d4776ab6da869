//! What the analysis tests share: simulated capture lines folded into each listing's evidence,
//! as the store would hold it, and the analysis' view of those listings.

use std::collections::BTreeMap;

use lantern_analysis::{ListingEvidence, ListingInput};
use lantern_core::Timestamp;
use lantern_extract::Extractor;
use lantern_geo::Gazetteer;

/// Each listing's first and last capture time and evidence, by `(source, external_id)`.
pub type Listings = BTreeMap<(String, String), (Timestamp, Timestamp, ListingEvidence)>;

/// JSON Lines captures extracted and folded per listing (capture ids are line numbers).
pub fn listings_of(lines: &[String], extractor: &Extractor<'_>, gazetteer: &Gazetteer) -> Listings {
    let mut listings = Listings::new();
    for (id, line) in lines.iter().enumerate() {
        let capture =
            lantern_ingest::decode_record(lantern_ingest::Format::Jsonl, line.as_bytes()).unwrap();
        let facts = extractor.capture(&capture);
        let e = ListingEvidence::of_capture(&capture, id as i64, &facts, gazetteer);
        let key = (
            capture.source.as_str().to_owned(),
            capture.external_id.as_str().to_owned(),
        );
        let at = capture.captured_at;
        let entry = listings
            .entry(key)
            .or_insert_with(|| (at, at, ListingEvidence::default()));
        entry.0 = entry.0.min(at);
        entry.1 = entry.1.max(at);
        entry.2.merge(e);
    }
    listings
}

/// The listings as the analysis takes them, in key order.
pub fn inputs(listings: &Listings) -> Vec<ListingInput<'_>> {
    listings
        .iter()
        .map(|((source, external_id), (first, last, e))| ListingInput {
            source,
            external_id,
            first_seen: *first,
            last_seen: *last,
            evidence: e,
        })
        .collect()
}
