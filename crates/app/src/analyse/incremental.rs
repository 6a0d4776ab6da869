//! An incremental analysis: the evidence of listings with new captures is folded into what was
//! stored; every listing is linked again from its stored sketch (linking is global: a new listing
//! can join two clusters, or push an image over the stock-picture limit); then only the **scope**
//! is remade: the clusters whose members, evidence or last sighting changed, the clusters that
//! share a premises with them, and the clusters of locations whose short-lived flag the passing
//! of time changed. Locations outside the scope whose status (`new` or `known`) only moved with
//! time, or with a visit, have that field rewritten.
//!
//! Why the scope's records equal a full analysis': a cluster's record, its leads and its
//! listings' adverts depend only on its own listings' evidence, the premises they name (every
//! listing of which is in the scope), the store's latest capture time and the visits; each of
//! those is either unchanged since the last analysis or puts the cluster in the scope. The test
//! `incremental_analysis_equals_a_full_one_*` (crates/cli/tests) checks it on both backends.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use lantern_analysis::{ListingEvidence, ListingInput, Sketch, location_key};
use lantern_core::Timestamp;
use lantern_core::export::{LocationKind, LocationRecord, LocationStatus};
use lantern_store::{AnalysisStore, ListingRow, RecordKey, RecordKind, RetentionStore, Store};
use serde::Deserialize;

use super::{
    AnalyseError, Context, Plan, all_listings, apply_visits, both, cluster_counts, decode,
    drop_beside, encode, keyed_records, link_beside, link_state, on_every_core, read_evidence,
    stored, to_json, visited_status,
};

/// What the incremental analysis reads of each stored location record.
#[derive(Deserialize)]
struct StoredLocation {
    location: String,
    kind: LocationKind,
    #[serde(default)]
    cluster: Option<String>,
    first_seen: Timestamp,
    last_seen: Timestamp,
    status: LocationStatus,
    short_lived: bool,
}

/// A stored location and what it should now say.
struct Held {
    stored: StoredLocation,
    status: LocationStatus,
    short_lived: bool,
    /// The record's JSON, kept only when its status must be rewritten.
    json: Option<String>,
}

/// What an incremental analysis will save, given the evidence of the new captures (`delta`).
pub(super) async fn plan(
    store: &Store,
    context: &Context,
    mut delta: HashMap<i64, ListingEvidence>,
) -> Result<Plan, AnalyseError> {
    // Every stored location is read (and what time and visits now make of it worked out) while
    // the listings are read: against the latest sighting as counted first, which the listings
    // then confirm.
    let extent = store.listings_extent().await?;
    let (rows, held) = both(
        || all_listings(store, true, extent.count),
        || held_locations(store, context, extent.latest_sighting),
    )
    .await?;
    let (rows, mut load_seconds) = rows?;
    let Some(reference) = rows.iter().map(|r| r.last_seen).max() else {
        return Ok(Plan {
            load_seconds,
            ..Plan::default()
        });
    };
    let mark = Instant::now();
    let mut held = held?;
    if extent.latest_sighting != Some(reference) {
        // Listings were stored between the two reads: worked out again against the new latest.
        held = held_locations(store, context, Some(reference)).await?;
    }
    // Listings whose text an erasure removed: remade from their stored evidence.
    let reanalyse: HashSet<i64> = store.listings_to_reanalyse().await?.into_iter().collect();
    let changed_ids: Vec<i64> = delta.keys().chain(&reanalyse).copied().collect();
    let mut blobs = read_evidence(store, &changed_ids).await?;
    load_seconds += mark.elapsed().as_secs_f64();

    // New captures folded into each listing's stored evidence.
    let mut plan = Plan {
        listings: rows.len() as u64,
        reanalysed: reanalyse.iter().copied().collect(),
        ..Plan::default()
    };
    let mut fresh: HashMap<usize, ListingEvidence> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let d = delta.remove(&row.listing_id);
        if d.is_none() && !reanalyse.contains(&row.listing_id) {
            continue;
        }
        let mut e = match blobs.remove(&row.listing_id) {
            Some(blob) => decode(&blob).map_err(|reason| unreadable(row, "evidence", &reason))?,
            None => ListingEvidence::default(),
        };
        if let Some(d) = d {
            e.merge(d);
            plan.evidence.push((row.listing_id, encode(&e)));
            plan.search.push((row.listing_id, e.search_document()));
        }
        e.ages = Default::default();
        fresh.insert(i, e);
    }

    let sketches = sketches_of(&rows, &fresh, context)?;
    // Nothing left to read beside the linking: the stored locations were read with the listings.
    let (clusters, ()) = link_beside(&rows, &sketches, || async {}).await?;
    (plan.clusters, plan.linked_clusters) = cluster_counts(&clusters);
    let cluster_of = &clusters.cluster_of;

    // Seeds: listings with new evidence, a later sighting, or another cluster.
    let mut scope: HashSet<String> = HashSet::new();
    let mut old_scope: HashSet<String> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let moved = match &row.link {
            None => true,
            Some(l) => l.last_seen != row.last_seen || l.cluster != cluster_of[i],
        };
        if moved || fresh.contains_key(&i) {
            scope.insert(cluster_of[i].clone());
            if let Some(l) = &row.link {
                old_scope.insert(l.cluster.clone());
            }
        }
    }

    let mut premises: HashSet<u64> = HashSet::new();
    for h in &held {
        if h.short_lived != h.stored.short_lived {
            match (&h.stored.kind, &h.stored.cluster) {
                (LocationKind::Lead, Some(cluster)) => {
                    old_scope.insert(cluster.clone());
                }
                _ => premises.extend(location_key(&h.stored.location)),
            }
        }
    }

    // The scope: whole clusters, closed over the premises their listings name.
    let members = loop {
        scope.extend(old_scope.iter().cloned());
        let members: Vec<usize> = (0..rows.len())
            .filter(|&i| scope.contains(&cluster_of[i]))
            .collect();
        for &i in &members {
            premises.extend(sketches[i].premises.iter().copied());
        }
        let mut grew = false;
        if !premises.is_empty() {
            for (i, sketch) in sketches.iter().enumerate() {
                if sketch.premises.iter().any(|p| premises.contains(p)) {
                    grew |= scope.insert(cluster_of[i].clone());
                }
            }
        }
        if !grew {
            break members;
        }
    };

    // The scope's evidence, then its records.
    let need: Vec<i64> = members
        .iter()
        .filter(|i| !fresh.contains_key(i))
        .map(|&i| rows[i].listing_id)
        .collect();
    let mark = Instant::now();
    let mut blobs = read_evidence(store, &need).await?;
    load_seconds += mark.elapsed().as_secs_f64();
    let mut kept: HashMap<usize, ListingEvidence> = HashMap::with_capacity(need.len());
    for &i in &members {
        if fresh.contains_key(&i) {
            continue;
        }
        let row = &rows[i];
        let blob = blobs.remove(&row.listing_id).ok_or_else(|| {
            AnalyseError::Corrupt(format!(
                "listing ({}, {}) has no stored evidence; run `lantern analyse --full`",
                row.source, row.external_id
            ))
        })?;
        let mut e = decode(&blob).map_err(|reason| unreadable(row, "evidence", &reason))?;
        e.ages = Default::default();
        kept.insert(i, e);
    }
    let inputs: Vec<ListingInput<'_>> = members
        .iter()
        .map(|&i| ListingInput {
            source: &rows[i].source,
            external_id: &rows[i].external_id,
            first_seen: rows[i].first_seen,
            last_seen: rows[i].last_seen,
            evidence: fresh.get(&i).or_else(|| kept.get(&i)).unwrap_or_else(|| {
                unreachable!("every member's evidence was read or refused above")
            }),
        })
        .collect();
    let scope_clusters: Vec<String> = members.iter().map(|&i| cluster_of[i].clone()).collect();
    let mut analysis = lantern_analysis::records(
        &inputs,
        &clusters,
        &scope_clusters,
        reference,
        &context.places,
        &context.settings,
        &context.model,
    );
    drop(inputs);
    drop(kept);
    apply_visits(&mut analysis, &context.visits);

    let mut written: HashSet<RecordKey> = HashSet::new();
    keyed_records(analysis, |kind, a, b, json| {
        written.insert((kind, a.clone(), b.clone()));
        plan.write.push(stored(kind, a, b, json));
    });
    plan.delete = gone(&rows, &held, &scope, &premises, &written);
    // Locations the scope wrote or deleted (a few thousand of the store's hundreds of thousands).
    let remade: HashSet<&str> = written
        .iter()
        .chain(&plan.delete)
        .filter(|(kind, _, _)| *kind == RecordKind::Location)
        .map(|(_, location, _)| location.as_str())
        .collect();

    // Locations outside the scope whose status moved with time or a visit.
    let mut statuses: HashMap<&str, LocationStatus> = HashMap::with_capacity(held.len());
    for h in &held {
        if remade.contains(h.stored.location.as_str()) {
            continue;
        }
        statuses.insert(&h.stored.location, h.status);
        if let Some(json) = &h.json {
            let mut record: LocationRecord = serde_json::from_str(json).map_err(|e| {
                AnalyseError::Corrupt(format!(
                    "stored location {} is unreadable: {e}",
                    h.stored.location
                ))
            })?;
            record.status = h.status;
            plan.write.push(stored(
                RecordKind::Location,
                h.stored.location.clone(),
                String::new(),
                to_json(&record),
            ));
        }
    }
    for r in &plan.write {
        if r.kind == RecordKind::Location {
            let status: StatusOnly = serde_json::from_str(&r.json)
                .map_err(|e| AnalyseError::Corrupt(format!("a location record: {e}")))?;
            statuses.insert(&r.sort_a, status.status);
        }
    }
    plan.locations = statuses.len() as u64;
    plan.new_locations = statuses
        .values()
        .filter(|s| **s == LocationStatus::New)
        .count() as u64;

    // Link states of the scope's listings that changed.
    for &i in &members {
        let state = link_state(&rows[i], &cluster_of[i], &sketches[i]);
        if rows[i].link.as_ref() != Some(&state) {
            plan.links.push((rows[i].listing_id, state));
        }
    }
    plan.load_seconds = load_seconds;
    // Freed on another thread while the save runs on this one: a million listings' rows,
    // sketches and cluster names take a few hundred milliseconds to free.
    drop(statuses);
    drop(remade);
    drop_beside((rows, sketches, clusters, held, fresh));
    Ok(plan)
}

#[derive(Deserialize)]
struct StatusOnly {
    status: LocationStatus,
}

/// Every listing's sketch: made from its new evidence, or read from its link state; on every
/// core (a million sketches take a second on one).
fn sketches_of(
    rows: &[ListingRow],
    fresh: &HashMap<usize, ListingEvidence>,
    context: &Context,
) -> Result<Vec<Sketch>, AnalyseError> {
    let one = |i: usize| -> Result<Sketch, AnalyseError> {
        let row = &rows[i];
        match (fresh.get(&i), &row.link) {
            (Some(e), _) => Ok(Sketch::of(e, &context.places)),
            (None, Some(link)) => Sketch::decode(&link.sketch)
                .map_err(|reason| unreadable(row, "link state", &reason)),
            (None, None) => Err(AnalyseError::Corrupt(format!(
                "listing ({}, {}) has analysed captures but no link state; run `lantern analyse \
                 --full`",
                row.source, row.external_id
            ))),
        }
    };
    let indices: Vec<usize> = (0..rows.len()).collect();
    on_every_core(
        &indices,
        |&i| one(i),
        || AnalyseError::Corrupt("a sketch thread panicked".into()),
    )
}

/// Every stored location record, with the status and short-lived flag it should now have at
/// `reference` (the latest sighting; none: no listings, so no locations either).
async fn held_locations(
    store: &Store,
    context: &Context,
    reference: Option<Timestamp>,
) -> Result<Vec<Held>, AnalyseError> {
    let mut held = Vec::new();
    let Some(at) = reference else {
        return Ok(held);
    };
    let mut bad: Option<String> = None;
    store
        .for_each_record(RecordKind::Location, &mut |json| {
            let stored: StoredLocation = serde_json::from_str(json).map_err(|e| {
                let message = format!("a stored location record is unreadable: {e}");
                bad = Some(message.clone());
                std::io::Error::other(message)
            })?;
            let (timed, short_lived) =
                context
                    .settings
                    .timing(stored.first_seen, stored.last_seen, at);
            let status = visited_status(&context.visits, &stored.location).unwrap_or(timed);
            let json = (status != stored.status).then(|| json.to_owned());
            held.push(Held {
                stored,
                status,
                short_lived,
                json,
            });
            Ok(())
        })
        .await
        .map_err(|e| match bad.take() {
            Some(m) => AnalyseError::Corrupt(m),
            None => AnalyseError::Store(e),
        })?;
    Ok(held)
}

/// Stored records of the scope that were not made again: the records of the scope's clusters as
/// they were (keyed by their first listing then, which a new listing may have changed), their
/// leads, and the scope's premises. `scope` holds `old_scope`.
fn gone(
    rows: &[ListingRow],
    held: &[Held],
    scope: &HashSet<String>,
    premises: &HashSet<u64>,
    written: &HashSet<RecordKey>,
) -> Vec<RecordKey> {
    let mut out = Vec::new();
    let mut named: HashSet<&str> = HashSet::new();
    for row in rows {
        if let Some(l) = &row.link
            && scope.contains(&l.cluster)
            && named.insert(&l.cluster)
        {
            let key = (
                RecordKind::Cluster,
                row.source.clone(),
                row.external_id.clone(),
            );
            if !written.contains(&key) {
                out.push(key);
            }
        }
    }
    for h in held {
        let s = &h.stored;
        let in_scope = match (&s.kind, &s.cluster) {
            (LocationKind::Lead, Some(c)) => scope.contains(c),
            _ => location_key(&s.location).is_some_and(|k| premises.contains(&k)),
        };
        let key = (RecordKind::Location, s.location.clone(), String::new());
        if in_scope && !written.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// A stored blob of `row` that cannot be read.
fn unreadable(row: &ListingRow, what: &str, reason: &str) -> AnalyseError {
    AnalyseError::Corrupt(format!(
        "stored {what} of ({}, {}) is unreadable: {reason}; run `lantern analyse --full`",
        row.source, row.external_id
    ))
}
