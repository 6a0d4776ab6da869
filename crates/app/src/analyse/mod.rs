//! `lantern analyse`: extraction and geocoding of the captures not yet analysed, folded into each
//! listing's stored evidence; then linking, locations and movement; then the export records.
//!
//! A full analysis (`--full`, the first, or after the evidence format changed) re-extracts every
//! capture and makes every record (module `full`). An incremental one extracts only new captures, links
//! every listing again from its stored sketch, and remakes only the clusters that changed and the
//! locations they touch (module `incremental`); it must give the same records as a full one.

use std::collections::HashMap;
use std::io;
use std::time::Instant;

use lantern_analysis::{
    Analysis, EVIDENCE_VERSION, ListingEvidence, LocationSettings, PlaceDistricts, RiskModel,
    Sketch,
};
use lantern_core::Timestamp;
use lantern_core::export::LocationStatus;
use lantern_extract::Extractor;
use lantern_link::Clusters;
use lantern_store::{
    AnalysisSave, AnalysisStore, CaptureOrder, CaptureRow, LinkState, ListingRow, RecordKey,
    RecordKind, Store, StoreError, StoredRecord, VisitStore,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::extract::{ExtractorUnavailable, extractor};

mod full;
mod incremental;

/// Options of an analysis.
#[derive(Debug, Clone, Default)]
pub struct AnalyseOptions {
    /// Re-extract every capture instead of only those not yet analysed.
    pub full: bool,
    /// A risk model file to use instead of the embedded one (e.g. one `lantern calibrate`
    /// wrote).
    pub risk_model: Option<std::path::PathBuf>,
    /// Who runs it, for the audit log (the analysis combines records: one `combine` event in
    /// its transaction); the command-line operator when absent.
    pub actor: Option<crate::Actor>,
}

/// Shows an analysis' progress.
pub trait AnalyseProgress {
    /// A stage begins; `total` units when known.
    fn stage(&self, name: &str, total: Option<u64>);
    /// `units` more are done.
    fn advanced(&self, units: u64);
    /// The analysis is over.
    fn finished(&self);
}

/// A progress that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl AnalyseProgress for Quiet {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn advanced(&self, _: u64) {}
    fn finished(&self) {}
}

/// What an analysis did.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyseSummary {
    /// `incremental` or `full`.
    pub mode: &'static str,
    /// Why an analysis not asked to run in full did (none when asked, or the first).
    pub in_full_because: Option<&'static str>,
    /// Captures extracted in this run.
    pub captures_read: u64,
    /// Listings whose evidence changed.
    pub listings_updated: u64,
    /// Listings in the store.
    pub listings: u64,
    /// Clusters (a listing alone counts as one).
    pub clusters: u64,
    /// Clusters of two or more listings.
    pub linked_clusters: u64,
    /// Locations (premises and leads).
    pub locations: u64,
    /// Locations whose status is `new`.
    pub new_locations: u64,
    /// Records rewritten.
    pub records_written: u64,
    /// Records deleted.
    pub records_deleted: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Seconds per stage: extracting, loading evidence, linking and locating, saving.
    pub stage_seconds: StageSeconds,
}

/// Wall-clock seconds of each stage.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StageSeconds {
    /// Reading and extracting new captures.
    pub extract: f64,
    /// Reading every listing's stored evidence and folding in the new.
    pub load: f64,
    /// Linking, locations, movement, and the records compared with those stored.
    pub analyse: f64,
    /// Writing evidence and changed records.
    pub save: f64,
}

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyseError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Extraction's embedded data did not load.
    #[error("{0}")]
    Extractor(#[from] ExtractorUnavailable),
    /// Stored data could not be read back.
    #[error("{0}")]
    Corrupt(String),
    /// The indicator catalogue or the risk model is invalid.
    #[error("configuration: {0}")]
    Config(String),
}

/// The summary in words, for the terminal.
pub fn describe(s: &AnalyseSummary) -> String {
    let why = s
        .in_full_because
        .map(|reason| format!("\nRan in full: {reason}."))
        .unwrap_or_default();
    format!(
        "Analysis ({}) done in {:.1} s (extract {:.1}, load {:.1}, link, locate and compare {:.1}, save \
         {:.1}): {} new capture(s) extracted, {} listing(s) updated.\n\
         {} listings in {} clusters ({} of two or more listings); {} locations, {} of them new \
         this week.\n{} record(s) written, {} removed.{why}",
        s.mode,
        s.seconds,
        s.stage_seconds.extract,
        s.stage_seconds.load,
        s.stage_seconds.analyse,
        s.stage_seconds.save,
        s.captures_read,
        s.listings_updated,
        s.listings,
        s.clusters,
        s.linked_clusters,
        s.locations,
        s.new_locations,
        s.records_written,
        s.records_deleted
    )
}

/// A digest of what, besides the evidence, decides an analysis' records: the risk model (with
/// the indicator wording it carries), the location windows, the linking settings and Lantern's
/// version (whose record-making may change). Compared with the last run's, it decides whether an
/// incremental analysis may keep the records it does not remake.
fn settings_digest(model: &RiskModel, settings: &LocationSettings) -> String {
    let described = format!(
        "lantern {}\n{model:?}\n{settings:?}\n{:?}",
        env!("CARGO_PKG_VERSION"),
        lantern_link::Settings::default()
    );
    hex::encode(&Sha256::digest(described.as_bytes())[..16])
}

/// Captures extracted together (then folded), bounding memory.
const CHUNK: usize = 4_096;

/// What every analysis reads besides the store: the gazetteer's districts, the risk model, the
/// location windows, and the visits recorded (location id -> whether the latest closed it).
pub(crate) struct Context {
    places: PlaceDistricts,
    model: RiskModel,
    settings: LocationSettings,
    visits: HashMap<String, bool>,
}

/// What an analysis will save, and what it found.
#[derive(Default)]
pub(crate) struct Plan {
    evidence: Vec<(i64, Vec<u8>)>,
    search: Vec<(i64, String)>,
    links: Vec<(i64, LinkState)>,
    /// Listings an erasure marked for analysis, remade by this one.
    reanalysed: Vec<i64>,
    write: Vec<StoredRecord>,
    delete: Vec<RecordKey>,
    listings: u64,
    clusters: u64,
    linked_clusters: u64,
    locations: u64,
    new_locations: u64,
    /// Seconds spent reading what was stored (the rest of the work counts as analysis).
    load_seconds: f64,
}

/// Runs an analysis over `store`.
pub async fn analyse(
    store: &Store,
    options: AnalyseOptions,
    progress: &dyn AnalyseProgress,
) -> Result<AnalyseSummary, AnalyseError> {
    let started = Instant::now();
    let started_at = Timestamp::now();
    let extractor = extractor()?;
    let last = store.last_analysis().await?;
    let model = crate::calibrate::load_model(options.risk_model.as_deref())
        .map_err(AnalyseError::Config)?;
    let settings = LocationSettings::default();
    let settings_digest = settings_digest(&model, &settings);
    let in_full_because = match &last {
        _ if options.full => None,
        None => None,
        Some(l) if l.evidence_version != i64::from(EVIDENCE_VERSION) => {
            Some("the stored evidence is of an older format")
        }
        Some(l) if l.settings_digest.is_none() => {
            Some("the last analysis was made before analyses recorded their settings")
        }
        Some(l) if l.settings_digest.as_deref() != Some(settings_digest.as_str()) => Some(
            "the risk model or the analysis' settings differ from the last analysis', whose \
             records would otherwise be kept where nothing else changed",
        ),
        Some(_) => None,
    };
    let full = options.full || last.is_none() || in_full_because.is_some();
    let after = if full {
        0
    } else {
        last.as_ref().map_or(0, |l| l.through_capture_id)
    };
    let through = store.max_capture_id().await?;

    let context = Context {
        places: PlaceDistricts::new(extractor.gazetteer()),
        model,
        settings,
        visits: store
            .visit_summaries()
            .await?
            .into_iter()
            .map(|v| (v.location_id, v.closed))
            .collect(),
    };
    progress.stage(
        "extracting new captures",
        Some((through - after).max(0) as u64),
    );
    let mut stages = StageSeconds::default();
    let (plan, captures_read) = if full {
        full::plan(store, &context, &extractor, through, progress, &mut stages).await?
    } else {
        let mut delta: HashMap<i64, ListingEvidence> = HashMap::new();
        let captures_read = extract_between(
            store,
            (after, through, CaptureOrder::Stored),
            progress,
            &mut |chunk| fold(&extractor, &chunk, &mut delta),
        )
        .await?;
        stages.extract = started.elapsed().as_secs_f64();
        progress.stage("linking", None);
        let mark = Instant::now();
        let plan = incremental::plan(store, &context, delta).await?;
        stages.analyse = mark.elapsed().as_secs_f64() - plan.load_seconds;
        (plan, captures_read)
    };
    stages.load = plan.load_seconds;

    let mark = Instant::now();
    progress.stage("saving", None);
    let listings_updated = plan.evidence.len() as u64;
    let outcome = store
        .save_analysis(AnalysisSave {
            mode: if full { "full" } else { "incremental" },
            started_at,
            through_capture_id: through,
            evidence_version: i64::from(EVIDENCE_VERSION),
            settings_digest,
            captures_read,
            replace_all_evidence: full,
            evidence: plan.evidence,
            write: plan.write,
            delete: plan.delete,
            search: plan.search,
            replace_all_links: full,
            links: plan.links,
            reanalysed: plan.reanalysed,
            audit: Some(
                crate::audit::by_operator(
                    lantern_store::Operation::Combine,
                    &options
                        .actor
                        .clone()
                        .unwrap_or_else(crate::Actor::command_line),
                )
                .about("analysis", if full { "full" } else { "incremental" })
                .rows(listings_updated),
            ),
        })
        .await?;
    stages.save = mark.elapsed().as_secs_f64();
    progress.finished();
    Ok(AnalyseSummary {
        mode: if full { "full" } else { "incremental" },
        in_full_because,
        captures_read,
        listings_updated,
        listings: plan.listings,
        clusters: plan.clusters,
        linked_clusters: plan.linked_clusters,
        locations: plan.locations,
        new_locations: plan.new_locations,
        records_written: outcome.written,
        records_deleted: outcome.deleted,
        seconds: started.elapsed().as_secs_f64(),
        stage_seconds: stages,
    })
}

/// Reads the captures with `after < id <= through` in `order`, in chunks, calling `take` with
/// each; returns how many were read.
async fn extract_between(
    store: &Store,
    (after, through, order): (i64, i64, CaptureOrder),
    progress: &dyn AnalyseProgress,
    take: &mut dyn FnMut(Vec<CaptureRow>) -> Result<(), String>,
) -> Result<u64, AnalyseError> {
    let mut pending: Vec<CaptureRow> = Vec::with_capacity(CHUNK);
    let mut captures_read = 0_u64;
    let mut failed: Option<String> = None;
    let outcome = store
        .captures_between(after, through, order, &mut |row| {
            pending.push(row);
            if pending.len() >= CHUNK {
                captures_read += pending.len() as u64;
                progress.advanced(pending.len() as u64);
                take(std::mem::replace(&mut pending, Vec::with_capacity(CHUNK))).map_err(|m| {
                    failed = Some(m.clone());
                    io::Error::other(m)
                })?;
            }
            Ok(())
        })
        .await;
    if let Some(message) = failed {
        return Err(AnalyseError::Corrupt(message));
    }
    outcome?;
    captures_read += pending.len() as u64;
    progress.advanced(pending.len() as u64);
    take(pending).map_err(AnalyseError::Corrupt)?;
    Ok(captures_read)
}

/// Every listing in store order (with its link state when `with_links`), and the seconds the
/// read took; `expected`: how many the store counted just before (room reserved for them).
async fn all_listings(
    store: &Store,
    with_links: bool,
    expected: u64,
) -> Result<(Vec<ListingRow>, f64), AnalyseError> {
    let mark = Instant::now();
    // Reserved for the count read just before (a vector grown a million rows at a time copies
    // them over and over into fresh memory, which is what costs most on these machines).
    let mut rows: Vec<ListingRow> = Vec::with_capacity(expected.try_into().unwrap_or(0));
    store
        .listings(with_links, &mut |row| {
            rows.push(row);
            Ok(())
        })
        .await?;
    Ok((rows, mark.elapsed().as_secs_f64()))
}

/// The stored evidence of `ids`, by listing id.
pub(crate) async fn read_evidence(
    store: &Store,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<u8>>, StoreError> {
    let mut blobs = HashMap::with_capacity(ids.len());
    store
        .evidence_of(ids, &mut |id, blob| {
            blobs.insert(id, blob);
            Ok(())
        })
        .await?;
    Ok(blobs)
}

/// Clusters, and clusters of two or more listings, in a linking.
fn cluster_counts(clusters: &Clusters) -> (u64, u64) {
    (
        clusters.summary.len() as u64,
        clusters.summary.values().filter(|(n, _)| *n >= 2).count() as u64,
    )
}

/// The link state a listing gets from this analysis.
fn link_state(row: &ListingRow, cluster: &str, sketch: &Sketch) -> LinkState {
    LinkState {
        last_seen: row.last_seen,
        cluster: cluster.to_owned(),
        sketch: sketch.encode(),
    }
}

/// Links every listing from its sketch while `beside` (a read of the store) runs, on another core
/// when the runtime has several (linking a million listings takes a core for seconds); one after
/// the other otherwise.
async fn link_beside<T: Send, F: std::future::Future<Output = T>>(
    rows: &[ListingRow],
    sketches: &[Sketch],
    beside: impl FnOnce() -> F + Send,
) -> Result<(Clusters, T), AnalyseError> {
    let evidence: Vec<lantern_link::Evidence<'_>> = rows
        .iter()
        .zip(sketches)
        .map(|(r, s)| lantern_link::Evidence {
            source: &r.source,
            external_id: &r.external_id,
            first_seen: Some(r.first_seen),
            inputs: &s.inputs,
        })
        .collect();
    let link = || async { lantern_link::link(&evidence, lantern_link::Settings::default()) };
    both(link, beside).await
}

/// Runs two pieces of work at once (each future made by its closure: reads of the store, or
/// linking), each on a thread of its own when the runtime has several (a read of a million rows
/// keeps a core busy for a second); one after the other otherwise.
async fn both<A, B, FA, FB>(
    a: impl FnOnce() -> FA + Send,
    b: impl FnOnce() -> FB + Send,
) -> Result<(A, B), AnalyseError>
where
    A: Send,
    B: Send,
    FA: std::future::Future<Output = A>,
    FB: std::future::Future<Output = B>,
{
    let handle = tokio::runtime::Handle::current();
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        let first = a().await;
        return Ok((first, b().await));
    }
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let second = scope.spawn(|| handle.block_on(b()));
            let first = scope.spawn(|| handle.block_on(a()));
            let panicked = |_| AnalyseError::Corrupt("an analysis thread panicked".into());
            let first = first.join().map_err(panicked)?;
            Ok((first, second.join().map_err(panicked)?))
        })
    })
}

/// Frees `value` on a thread of its own, so that the caller goes on at once (the analysis frees
/// a million listings' working data while it saves).
fn drop_beside<T: Send + 'static>(value: T) {
    // Should no thread start, the closure is dropped here, and `value` with it.
    let _ = std::thread::Builder::new()
        .name("analysis-free".into())
        .spawn(move || drop(value));
}

/// Locations visited are `visited`, or `closed` when their latest visit closed them.
fn apply_visits(analysis: &mut Analysis, visits: &HashMap<String, bool>) {
    for l in &mut analysis.locations {
        if let Some(status) = visited_status(visits, &l.location) {
            l.status = status;
        }
    }
}

/// A visited location's status: `closed` when its latest visit closed it, else `visited`.
fn visited_status(visits: &HashMap<String, bool>, location: &str) -> Option<LocationStatus> {
    visits.get(location).map(|closed| {
        if *closed {
            LocationStatus::Closed
        } else {
            LocationStatus::Visited
        }
    })
}

/// Each capture of a chunk's evidence with its listing id, in order, extracted on every core.
fn extract_chunk(
    extractor: &Extractor<'_>,
    rows: &[CaptureRow],
) -> Result<Vec<(i64, ListingEvidence)>, String> {
    on_every_core(
        rows,
        |row| {
            let capture = lantern_ingest::decode_stored(&row.raw.format, &row.raw.zstd)
                .map_err(|e| format!("stored capture {} is unreadable: {e}", row.capture_id))?;
            let facts = extractor.capture(&capture);
            Ok((
                row.listing_id,
                ListingEvidence::of_capture(
                    &capture,
                    row.capture_id,
                    &facts,
                    extractor.gazetteer(),
                ),
            ))
        },
        || "an extraction thread panicked".to_owned(),
    )
}

/// Extracts a chunk of captures on every core and folds each into its listing's delta.
fn fold(
    extractor: &Extractor<'_>,
    rows: &[CaptureRow],
    delta: &mut HashMap<i64, ListingEvidence>,
) -> Result<(), String> {
    for (listing, e) in extract_chunk(extractor, rows)? {
        delta.entry(listing).or_default().merge(e);
    }
    Ok(())
}

/// `f` of each of `items`, in order, computed on every core; the first error is returned (a
/// thread that panicked gives `panicked()`).
fn on_every_core<I: Sync, T: Send, E: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T, E> + Sync,
    panicked: impl Fn() -> E,
) -> Result<Vec<T>, E> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = items.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<T>, E>> = std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(f).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(panicked())))
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

thread_local! {
    /// A compression context reused per thread (one per call cost more than the compression).
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// The largest evidence a listing may store once decompressed.
const MAX_EVIDENCE: usize = 16 << 20;

/// A listing's evidence as stored: JSON, zstd-compressed.
pub(crate) fn encode(e: &ListingEvidence) -> Vec<u8> {
    let json = serde_json::to_vec(e).unwrap_or_default();
    let compressed = COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Compressor::new(1)?);
        }
        match slot.as_mut() {
            Some(c) => c.compress(&json),
            None => Err(io::Error::other("no compressor")),
        }
    });
    compressed.unwrap_or(json)
}

/// A listing's stored evidence read back.
pub(crate) fn decode(blob: &[u8]) -> Result<ListingEvidence, String> {
    let json = lantern_ingest::decompress_bounded(blob, MAX_EVIDENCE).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

/// The digest stored beside a record's JSON.
pub(crate) fn digest(json: &str) -> i64 {
    let d = Sha256::digest(json.as_bytes());
    i64::from_le_bytes(d[..8].try_into().unwrap_or([0; 8]))
}

/// Calls `f` with each record of `analysis` as it is stored: kind, sort keys and JSON. Consumes
/// the analysis so that each record's structure is freed as soon as its JSON is made. Export
/// order: adverts by listing key, clusters by their first listing's key, locations by id.
fn keyed_records(analysis: Analysis, mut f: impl FnMut(RecordKind, String, String, String)) {
    let Analysis {
        adverts,
        clusters,
        locations,
    } = analysis;
    let mut first_listing: HashMap<String, (String, String)> = HashMap::new();
    for a in adverts {
        if !first_listing.contains_key(&a.cluster) {
            first_listing.insert(a.cluster.clone(), (a.source.clone(), a.external_id.clone()));
        }
        let json = to_json(&a);
        f(RecordKind::Advert, a.source, a.external_id, json);
    }
    for c in clusters {
        let (a, b) = first_listing
            .remove(&c.cluster)
            .unwrap_or_else(|| (c.cluster.clone(), String::new()));
        f(RecordKind::Cluster, a, b, to_json(&c));
    }
    for l in locations {
        let json = to_json(&l);
        f(RecordKind::Location, l.location, String::new(), json);
    }
}

/// A record to write.
fn stored(kind: RecordKind, sort_a: String, sort_b: String, json: String) -> StoredRecord {
    StoredRecord {
        kind,
        sort_a,
        sort_b,
        digest: digest(&json),
        json,
    }
}

/// A record's JSON text.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
