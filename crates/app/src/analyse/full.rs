//! A full analysis: every listing's evidence comes from extracting all of its captures again;
//! every listing is linked and every record made; only records whose JSON changed are rewritten,
//! and every listing's link state is replaced.

use std::collections::HashMap;

use lantern_analysis::{ListingEvidence, ListingInput, Sketch};
use lantern_store::{AnalysisStore, RecordKind, RetentionStore, Store};

use super::{
    AnalyseError, Context, Plan, all_listings, apply_visits, cluster_counts, decode, encode,
    keyed_records, link_beside, link_state, stored,
};
use lantern_core::export::LocationStatus;

/// What a full analysis will save, given the evidence of every capture (`delta`).
pub(super) async fn plan(
    store: &Store,
    context: &Context,
    mut delta: HashMap<i64, ListingEvidence>,
) -> Result<Plan, AnalyseError> {
    let (rows, mut load_seconds) = all_listings(store, false).await?;
    // Erased captures are not extracted again: their listings start from the evidence kept
    // when their text was erased.
    let mark = std::time::Instant::now();
    let mut retained: HashMap<i64, Vec<u8>> = HashMap::new();
    store
        .retained_evidence(&mut |id, blob| {
            retained.insert(id, blob);
            Ok(())
        })
        .await?;
    let reanalysed = store.listings_to_reanalyse().await?;
    load_seconds += mark.elapsed().as_secs_f64();

    let mut plan = Plan {
        listings: rows.len() as u64,
        load_seconds,
        reanalysed,
        ..Plan::default()
    };
    let mut evidence: Vec<ListingEvidence> = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut e = match retained.remove(&row.listing_id) {
            Some(blob) => decode(&blob).map_err(|reason| {
                AnalyseError::Corrupt(format!(
                    "the evidence kept for the erased captures of ({}, {}) is unreadable: {reason}",
                    row.source, row.external_id
                ))
            })?,
            None => ListingEvidence::default(),
        };
        if let Some(d) = delta.remove(&row.listing_id) {
            e.merge(d);
        }
        plan.evidence.push((row.listing_id, encode(&e)));
        plan.search.push((row.listing_id, e.search_document()));
        // Nothing downstream reads stated ages yet.
        e.ages = Default::default();
        evidence.push(e);
    }
    drop(delta);
    let sketches: Vec<Sketch> = evidence
        .iter()
        .map(|e| Sketch::of(e, &context.places))
        .collect();
    // The stored records' digests are read while linking runs.
    let (clusters, held) = link_beside(&rows, &sketches, store.record_digests()).await?;
    let mut held = held?;
    (plan.clusters, plan.linked_clusters) = cluster_counts(&clusters);
    plan.links = rows
        .iter()
        .zip(&sketches)
        .zip(&clusters.cluster_of)
        .map(|((row, sketch), cluster)| (row.listing_id, link_state(row, cluster, sketch)))
        .collect();
    drop(sketches);

    let Some(reference) = rows.iter().map(|r| r.last_seen).max() else {
        return Ok(plan);
    };
    let inputs: Vec<ListingInput<'_>> = rows
        .iter()
        .zip(&evidence)
        .map(|(r, e)| ListingInput {
            source: &r.source,
            external_id: &r.external_id,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            evidence: e,
        })
        .collect();
    let mut analysis = lantern_analysis::records(
        &inputs,
        &clusters,
        &clusters.cluster_of,
        reference,
        &context.places,
        &context.settings,
        &context.model,
    );
    drop(inputs);
    drop(evidence);
    apply_visits(&mut analysis, &context.visits);
    plan.locations = analysis.locations.len() as u64;
    plan.new_locations = analysis
        .locations
        .iter()
        .filter(|l| l.status == LocationStatus::New)
        .count() as u64;

    // Only records whose JSON changed are written; stored ones not made again are deleted.
    keyed_records(analysis, |kind: RecordKind, a, b, json| {
        let record = stored(kind, a, b, json);
        let key = (kind, record.sort_a.clone(), record.sort_b.clone());
        if held.remove(&key) != Some(record.digest) {
            plan.write.push(record);
        }
    });
    plan.delete = held.into_keys().collect();
    Ok(plan)
}
