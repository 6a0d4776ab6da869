//! A full analysis: every capture is extracted again, read in listing order so that a listing's
//! evidence is whole once its last capture is read, and then at once stored compressed, indexed
//! for search and sketched; every listing is linked from its sketch; the records are made batch
//! by batch ([`lantern_analysis::record_batches`]: whole clusters closed over the premises they
//! name), on every core, so that only a few batches' evidence is held decoded at a time. Only
//! records whose JSON changed are rewritten, and every listing's link state is replaced.
//!
//! Memory: a million listings' decoded evidence takes about 5 GB; held compressed it takes about
//! 0.75 GB, and each batch decodes only its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use lantern_analysis::{ListingEvidence, ListingInput, Sketch};
use lantern_core::Timestamp;
use lantern_core::export::LocationStatus;
use lantern_extract::Extractor;
use lantern_link::Clusters;
use lantern_store::{
    AnalysisStore, CaptureOrder, CaptureRow, LinkState, ListingRow, RetentionStore, Store,
    StoredRecord,
};

use super::{
    AnalyseError, AnalyseProgress, Context, Plan, StageSeconds, all_listings, apply_visits,
    cluster_counts, decode, encode, extract_between, extract_chunk, keyed_records, link_beside,
    on_every_core, stored,
};

/// Listings whose records are made together (their evidence decoded at once): about 50 MB of
/// evidence per batch, one batch per core.
const BATCH_LISTINGS: usize = 10_000;

/// What a full analysis will save, and how many captures it read.
pub(super) async fn plan(
    store: &Store,
    context: &Context,
    extractor: &Extractor<'_>,
    through: i64,
    progress: &dyn AnalyseProgress,
    stages: &mut StageSeconds,
) -> Result<(Plan, u64), AnalyseError> {
    let extent = store.listings_extent().await?;
    let (rows, mut load_seconds) = all_listings(store, false, extent.count).await?;
    // Erased captures are not extracted again: their listings start from the evidence kept
    // when their text was erased.
    let mark = Instant::now();
    let mut retained: HashMap<i64, Vec<u8>> = HashMap::new();
    store
        .retained_evidence(&mut |id, blob| {
            retained.insert(id, blob);
            Ok(())
        })
        .await?;
    let reanalysed = store.listings_to_reanalyse().await?;
    load_seconds += mark.elapsed().as_secs_f64();

    let mark = Instant::now();
    let mut extraction = Extraction::new(extractor, context, &rows, retained);
    let captures_read = extract_between(
        store,
        (0, through, CaptureOrder::ByListing),
        progress,
        &mut |chunk| extraction.take(chunk),
    )
    .await?;
    let Extracted {
        blobs,
        sketches,
        search,
    } = extraction.end()?;
    stages.extract = mark.elapsed().as_secs_f64();
    progress.stage("linking", None);

    let mark = Instant::now();
    let mut plan = Plan {
        listings: rows.len() as u64,
        load_seconds,
        reanalysed,
        search,
        ..Plan::default()
    };
    // The stored records' digests are read while linking runs.
    let (clusters, held) = link_beside(&rows, &sketches, || store.record_digests()).await?;
    let mut held = held?;
    (plan.clusters, plan.linked_clusters) = cluster_counts(&clusters);
    // The link states are made after the records (their cluster ids then moved, not copied):
    // until then only the stored form of each sketch is kept.
    let stored_sketches: Vec<Vec<u8>> = sketches.iter().map(Sketch::encode).collect();
    let batches = lantern_analysis::record_batches(
        &clusters.cluster_of,
        |i| &sketches[i].premises,
        BATCH_LISTINGS,
    );
    drop(sketches);
    // Room for every record a first analysis writes (a listing's advert, its cluster's record, a
    // location or so): reserved, not touched, so it costs nothing until used, and the list never
    // holds two copies of itself while it grows.
    plan.write.reserve(rows.len() * 2 + clusters.summary.len());

    if let Some(reference) = rows.iter().map(|r| r.last_seen).max() {
        let made = Batches {
            rows: &rows,
            blobs: &blobs,
            clusters: &clusters,
            reference,
            context,
        };
        // Only records whose JSON changed are written; stored ones not made again are deleted.
        made.run(&batches, |batch| {
            plan.locations += batch.locations;
            plan.new_locations += batch.new_locations;
            for record in batch.records {
                let key = (record.kind, record.sort_a.clone(), record.sort_b.clone());
                if held.remove(&key) != Some(record.digest) {
                    // Copied on this thread, like the evidence (see `make_whole`).
                    plan.write.push(StoredRecord {
                        json: record.json.as_str().to_owned(),
                        ..record
                    });
                }
            }
        })?;
    }
    plan.delete = held.into_keys().collect();
    plan.links = rows
        .iter()
        .zip(stored_sketches)
        .zip(clusters.cluster_of)
        .map(|((row, sketch), cluster)| {
            let state = LinkState {
                last_seen: row.last_seen,
                cluster,
                sketch,
            };
            (row.listing_id, state)
        })
        .collect();
    plan.evidence = rows.iter().map(|r| r.listing_id).zip(blobs).collect();
    stages.analyse = mark.elapsed().as_secs_f64();
    Ok((plan, captures_read))
}

/// A listing's evidence once whole, as the analysis keeps it: stored form, search document and
/// sketch.
type Whole = (i64, Vec<u8>, String, Sketch);

/// Every listing made whole.
struct Extracted {
    /// Stored evidence, by row.
    blobs: Vec<Vec<u8>>,
    /// Sketches, by row.
    sketches: Vec<Sketch>,
    /// Search documents, by listing id.
    search: Vec<(i64, String)>,
}

/// The extraction of a full analysis: captures arrive in listing order and are folded into the
/// listing being read; a listing whose captures are all read is made [`Whole`] and its decoded
/// evidence dropped.
struct Extraction<'a> {
    extractor: &'a Extractor<'a>,
    context: &'a Context,
    rows: &'a [ListingRow],
    /// Listing id -> index in `rows`.
    row_of: HashMap<i64, usize>,
    /// Evidence kept for erased captures, by listing id, until the listing is made whole.
    retained: HashMap<i64, Vec<u8>>,
    /// The listing being read and its evidence so far.
    open: Option<(i64, ListingEvidence)>,
    /// Per row: stored evidence, sketch (`None` until whole).
    blobs: Vec<Vec<u8>>,
    sketches: Vec<Option<Sketch>>,
    /// Search documents by listing id.
    search: Vec<(i64, String)>,
}

impl<'a> Extraction<'a> {
    fn new(
        extractor: &'a Extractor<'a>,
        context: &'a Context,
        rows: &'a [ListingRow],
        retained: HashMap<i64, Vec<u8>>,
    ) -> Self {
        Self {
            extractor,
            context,
            rows,
            row_of: rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.listing_id, i))
                .collect(),
            retained,
            open: None,
            blobs: vec![Vec::new(); rows.len()],
            sketches: vec![None; rows.len()],
            search: Vec::with_capacity(rows.len()),
        }
    }

    /// Extracts a chunk of captures (in listing order) and makes whole every listing it ends.
    fn take(&mut self, chunk: Vec<CaptureRow>) -> Result<(), String> {
        let extracted = extract_chunk(self.extractor, &chunk)?;
        drop(chunk);
        let mut ended = Vec::new();
        for (listing, e) in extracted {
            match &mut self.open {
                Some((id, so_far)) if *id == listing => so_far.merge(e),
                open => ended.extend(open.replace((listing, e))),
            }
        }
        self.make_whole(ended)
    }

    /// The listing still open, then every listing no capture was read for (all erased, or none
    /// stored), are made whole; every listing's stored evidence, sketch (by row) and search
    /// document.
    fn end(mut self) -> Result<Extracted, AnalyseError> {
        let last: Vec<_> = self.open.take().into_iter().collect();
        self.make_whole(last).map_err(AnalyseError::Corrupt)?;
        let unread: Vec<(i64, ListingEvidence)> = self
            .rows
            .iter()
            .zip(&self.sketches)
            .filter(|(_, s)| s.is_none())
            .map(|(r, _)| (r.listing_id, ListingEvidence::default()))
            .collect();
        self.make_whole(unread).map_err(AnalyseError::Corrupt)?;
        let sketches = self
            .sketches
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        Ok(Extracted {
            blobs: self.blobs,
            sketches,
            search: self.search,
        })
    }

    /// Folds in the evidence kept for erased captures, then stores, indexes and sketches each
    /// listing on every core.
    fn make_whole(&mut self, mut listings: Vec<(i64, ListingEvidence)>) -> Result<(), String> {
        for (id, e) in &mut listings {
            if let Some(blob) = self.retained.remove(id) {
                e.merge(decode(&blob).map_err(|reason| {
                    let (source, external_id) = self.row_of.get(id).map_or(("?", "?"), |&i| {
                        (&self.rows[i].source, &self.rows[i].external_id)
                    });
                    format!(
                        "the evidence kept for the erased captures of ({source}, {external_id}) \
                         is unreadable: {reason}"
                    )
                })?);
            }
        }
        let places = &self.context.places;
        let made: Vec<Whole> = on_every_core(
            &listings,
            |(id, e)| {
                let blob = encode(e);
                let search = e.search_document();
                let sketch = Sketch::of(e, places);
                Ok((*id, blob, search, sketch))
            },
            || "an evidence thread panicked".to_owned(),
        )?;
        drop(listings);
        // Kept until the save: copied on this thread so that the worker threads' pages, full of
        // short-lived extraction, are freed whole instead of pinned by a few kept values each
        // (at 1M listings the difference is about a gigabyte of resident memory).
        for (id, blob, search, sketch) in made {
            let row = *self
                .row_of
                .get(&id)
                .ok_or_else(|| format!("a capture of listing {id}, which is not stored"))?;
            self.blobs[row] = blob.as_slice().to_vec();
            self.sketches[row] = Some(sketch.clone());
            self.search.push((id, search.as_str().to_owned()));
        }
        Ok(())
    }
}

/// What one batch made: its records as stored, and its location counts.
struct BatchRecords {
    records: Vec<StoredRecord>,
    locations: u64,
    new_locations: u64,
}

/// Everything the records of a batch are made from.
struct Batches<'a> {
    rows: &'a [ListingRow],
    blobs: &'a [Vec<u8>],
    clusters: &'a Clusters,
    reference: Timestamp,
    context: &'a Context,
}

impl Batches<'_> {
    /// Makes every batch's records on every core, handing each batch's to `take` on this thread
    /// as it is done (in no set order).
    fn run(
        &self,
        batches: &[Vec<usize>],
        mut take: impl FnMut(BatchRecords),
    ) -> Result<(), AnalyseError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            // Bounded: a slow `take` holds back the makers instead of letting records pile up.
            let (send, receive) = std::sync::mpsc::sync_channel(threads);
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let send = send.clone();
                    let next = &next;
                    scope.spawn(move || {
                        while let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                            if send.send(self.records_of(batch)).is_err() {
                                break;
                            }
                        }
                    })
                })
                .collect();
            drop(send);
            for made in receive {
                take(made.map_err(AnalyseError::Corrupt)?);
            }
            for worker in workers {
                worker
                    .join()
                    .map_err(|_| AnalyseError::Corrupt("a records thread panicked".into()))?;
            }
            Ok(())
        })
    }

    /// The records of one batch of listings (whole clusters closed over their premises).
    fn records_of(&self, batch: &[usize]) -> Result<BatchRecords, String> {
        let mut evidence: Vec<ListingEvidence> = Vec::with_capacity(batch.len());
        for &i in batch {
            let row = &self.rows[i];
            let mut e = decode(&self.blobs[i]).map_err(|reason| {
                format!(
                    "the evidence just made for ({}, {}) is unreadable: {reason}",
                    row.source, row.external_id
                )
            })?;
            // Nothing downstream reads stated ages yet.
            e.ages = Default::default();
            evidence.push(e);
        }
        let inputs: Vec<ListingInput<'_>> = batch
            .iter()
            .zip(&evidence)
            .map(|(&i, e)| {
                let r = &self.rows[i];
                ListingInput {
                    source: &r.source,
                    external_id: &r.external_id,
                    first_seen: r.first_seen,
                    last_seen: r.last_seen,
                    evidence: e,
                }
            })
            .collect();
        let cluster_of: Vec<String> = batch
            .iter()
            .map(|&i| self.clusters.cluster_of[i].clone())
            .collect();
        let c = self.context;
        let mut analysis = lantern_analysis::records(
            &inputs,
            self.clusters,
            &cluster_of,
            self.reference,
            &c.places,
            &c.settings,
            &c.model,
        );
        drop(inputs);
        drop(evidence);
        apply_visits(&mut analysis, &c.visits);
        let locations = analysis.locations.len() as u64;
        let new_locations = analysis
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::New)
            .count() as u64;
        let mut records = Vec::new();
        keyed_records(analysis, |kind, a, b, json| {
            records.push(stored(kind, a, b, json));
        });
        Ok(BatchRecords {
            records,
            locations,
            new_locations,
        })
    }
}
