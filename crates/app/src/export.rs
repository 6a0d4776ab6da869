//! The results export (`shared/spec/results-export.md`): JSON Lines of adverts, clusters and
//! locations. Phones and e-mails come from the contact fields and, through `lantern-extract`,
//! from the title and body; clusters come from `lantern-link` (shared strong identifiers). Until
//! premises and scoring land there are no locations, and records say `"assessed": false`.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};

use lantern_core::Timestamp;
use lantern_core::export::{AdvertRecord, ClusterRecord, RiskBand};
use lantern_extract::Extractor;
use lantern_link::{Evidence, LinkKind, Settings, link};
use lantern_store::{CaptureStore, ListingCaptures, Store, StoreError};

/// Which export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// One line per listing.
    Adverts,
    /// One line per cluster.
    Clusters,
    /// One line per location (premises or lead).
    Locations,
}

/// Options of an export.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// For locations: keep only those first seen at or after this time and never visited or known
    /// before it.
    pub new_since: Option<Timestamp>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Io(#[from] io::Error),
}

struct Contacts {
    phones: Vec<String>,
    emails: Vec<String>,
    handles: Vec<String>,
    images: Vec<String>,
}

/// Phones, e-mails, handles and images from every field of every capture of a listing. A stored
/// record that no longer decodes is an error, never silently skipped.
fn contacts(extractor: &Extractor<'_>, listing: &ListingCaptures) -> io::Result<Contacts> {
    let mut phones = BTreeSet::new();
    let mut emails = BTreeSet::new();
    let mut handles = BTreeSet::new();
    let mut images = BTreeSet::new();
    for raw in &listing.raws {
        let capture = lantern_ingest::decode_stored(&raw.format, &raw.zstd).map_err(|e| {
            io::Error::other(format!(
                "stored capture of ({}, {}) is unreadable: {e}",
                listing.source, listing.external_id
            ))
        })?;
        let facts = extractor.capture(&capture);
        phones.extend(facts.phones());
        emails.extend(facts.emails());
        handles.extend(facts.handles());
        images.extend(facts.images);
    }
    Ok(Contacts {
        phones: phones.into_iter().collect(),
        emails: emails.into_iter().collect(),
        handles: handles.into_iter().collect(),
        images: images.into_iter().collect(),
    })
}

fn write_line<T: serde::Serialize>(out: &mut dyn Write, record: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Calls `f` with the advert record of every listing, in `(source, external_id)` order, each
/// with the cluster linking placed it in; returns how many. The evaluator reads the analysis
/// through this, as the export does. Linking needs every listing's evidence before any cluster is
/// known, so the records are gathered first (memory grows with the number of listings).
pub async fn for_each_advert(
    store: &Store,
    f: &mut dyn FnMut(AdvertRecord) -> io::Result<()>,
) -> Result<u64, ExportError> {
    let (records, _) = linked_adverts(store).await?;
    let count = records.len() as u64;
    for record in records {
        f(record)?;
    }
    Ok(count)
}

/// Every listing's advert record with its cluster, and each cluster's link kinds.
async fn linked_adverts(
    store: &Store,
) -> Result<(Vec<AdvertRecord>, HashMap<String, Vec<LinkKind>>), ExportError> {
    let extractor = crate::extract::extractor().map_err(|e| io::Error::other(e.to_string()))?;
    let mut records = Vec::new();
    let mut evidence = Vec::new();
    store
        .for_each_listing(&mut |listing| {
            let Contacts {
                phones,
                emails,
                handles,
                images,
            } = contacts(&extractor, &listing)?;
            evidence.push(Evidence {
                source: listing.source.clone(),
                external_id: listing.external_id.clone(),
                first_seen: Some(listing.first_seen),
                phones: phones.clone(),
                emails: emails.clone(),
                handles,
                images,
            });
            records.push(AdvertRecord {
                source: listing.source,
                external_id: listing.external_id,
                cluster: String::new(),
                locations: Vec::new(),
                phones,
                emails,
                first_seen: listing.first_seen,
                last_seen: listing.last_seen,
                risk: 0.0,
                risk_band: RiskBand::Low,
                reasons: Vec::new(),
                assessed: false,
            });
            Ok(())
        })
        .await?;
    let clusters = link(&evidence, Settings::default());
    for (record, cluster) in records.iter_mut().zip(clusters.cluster_of) {
        record.cluster = cluster;
    }
    let kinds = clusters
        .summary
        .into_iter()
        .map(|(id, (_, kinds))| (id, kinds))
        .collect();
    Ok((records, kinds))
}

/// Why a cluster's listings were grouped, in words.
fn link_reasons(size: u64, kinds: &[LinkKind]) -> Vec<String> {
    if size < 2 {
        return Vec::new();
    }
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            LinkKind::Phone => "a phone number",
            LinkKind::Email => "an e-mail address",
            LinkKind::Handle => "a messaging handle",
            LinkKind::Image => "an image",
        })
        .collect();
    vec![format!(
        "{size} listings linked by sharing {}",
        names.join(", ")
    )]
}

/// Writes one export as JSON Lines to `out`; returns the number of lines.
pub async fn export(
    store: &Store,
    kind: ExportKind,
    options: ExportOptions,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let _ = options.new_since; // no locations exist before linking (issue 6); nothing to filter
    if kind == ExportKind::Locations {
        out.flush()?;
        return Ok(0);
    }
    let (records, kinds) = linked_adverts(store).await?;
    let lines = if kind == ExportKind::Clusters {
        // One line per cluster, in order of the cluster's first listing in key order.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut clusters: Vec<ClusterRecord> = Vec::new();
        for advert in records {
            let i = *index.entry(advert.cluster.clone()).or_insert_with(|| {
                clusters.push(ClusterRecord {
                    cluster: advert.cluster.clone(),
                    size: 0,
                    phones: Vec::new(),
                    locations: Vec::new(),
                    places: Vec::new(),
                    first_seen: advert.first_seen,
                    last_seen: advert.last_seen,
                    risk: advert.risk,
                    risk_band: advert.risk_band,
                    reasons: Vec::new(),
                    assessed: advert.assessed,
                });
                clusters.len() - 1
            });
            let entry = &mut clusters[i];
            entry.size += 1;
            entry.phones.extend(advert.phones);
            entry.first_seen = entry.first_seen.min(advert.first_seen);
            entry.last_seen = entry.last_seen.max(advert.last_seen);
        }
        let count = clusters.len() as u64;
        for mut record in clusters {
            record.phones.sort();
            record.phones.dedup();
            let link_kinds = kinds.get(&record.cluster).map_or(&[][..], Vec::as_slice);
            record.reasons = link_reasons(record.size, link_kinds);
            write_line(out, &record)?;
        }
        count
    } else {
        let count = records.len() as u64;
        for advert in records {
            write_line(out, &advert)?;
        }
        count
    };
    out.flush()?;
    Ok(lines)
}
