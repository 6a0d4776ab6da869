//! The results export (`shared/spec/results-export.md`): JSON Lines of adverts, clusters and
//! locations. Phones and e-mails come from the contact fields and, through `lantern-extract`,
//! from the title and body. Until linking and scoring land, each listing is its own cluster,
//! there are no locations, and records say `"assessed": false`.

use std::collections::BTreeSet;
use std::io::{self, Write};

use lantern_core::Timestamp;
use lantern_core::contact::{normalise_email, normalise_phone};
use lantern_core::export::{AdvertRecord, ClusterRecord, RiskBand, singleton_cluster_id};
use lantern_extract::{find_emails, find_phones};
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
}

/// Phones and e-mails from the contact fields of every capture of a listing. A stored record that
/// no longer decodes is an error, never silently skipped.
fn contacts(listing: &ListingCaptures) -> io::Result<Contacts> {
    let mut phones = BTreeSet::new();
    let mut emails = BTreeSet::new();
    for raw in &listing.raws {
        let capture = lantern_ingest::decode_stored(&raw.format, &raw.zstd).map_err(|e| {
            io::Error::other(format!(
                "stored capture of ({}, {}) is unreadable: {e}",
                listing.source, listing.external_id
            ))
        })?;
        let contact = capture.contact;
        // Contact fields first (as displayed, perhaps disguised), then the title and body.
        for field in [contact.phone.as_deref(), contact.whatsapp.as_deref()]
            .into_iter()
            .flatten()
        {
            match normalise_phone(field) {
                Some(p) => {
                    phones.insert(p);
                }
                None => phones.extend(find_phones(field).into_iter().map(|p| p.e164)),
            }
        }
        emails.extend(contact.email.as_deref().and_then(normalise_email));
        for text in [
            capture.title.as_deref().unwrap_or(""),
            capture.body.as_str(),
        ] {
            phones.extend(find_phones(text).into_iter().map(|p| p.e164));
            emails.extend(find_emails(text).into_iter().map(|e| e.address));
        }
    }
    Ok(Contacts {
        phones: phones.into_iter().collect(),
        emails: emails.into_iter().collect(),
    })
}

fn write_line<T: serde::Serialize>(out: &mut dyn Write, record: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Calls `f` with the advert record of every listing, in `(source, external_id)` order; returns
/// how many. The evaluator reads the analysis through this, as the export does.
pub async fn for_each_advert(
    store: &Store,
    f: &mut dyn FnMut(AdvertRecord) -> io::Result<()>,
) -> Result<u64, ExportError> {
    let mut count = 0u64;
    store
        .for_each_listing(&mut |listing| {
            count += 1;
            let Contacts { phones, emails } = contacts(&listing)?;
            // Until linking (issue 6) groups listings, each listing is a cluster of one.
            let cluster = singleton_cluster_id(&listing.source, &listing.external_id);
            f(AdvertRecord {
                source: listing.source,
                external_id: listing.external_id,
                cluster,
                locations: Vec::new(),
                phones,
                emails,
                first_seen: listing.first_seen,
                last_seen: listing.last_seen,
                risk: 0.0,
                risk_band: RiskBand::Low,
                reasons: Vec::new(),
                assessed: false,
            })
        })
        .await?;
    Ok(count)
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
    let lines = for_each_advert(store, &mut |advert| {
        if kind == ExportKind::Clusters {
            // Until linking, each advert is its own cluster.
            let record = ClusterRecord {
                cluster: advert.cluster,
                size: 1,
                phones: advert.phones,
                locations: Vec::new(),
                places: Vec::new(),
                first_seen: advert.first_seen,
                last_seen: advert.last_seen,
                risk: advert.risk,
                risk_band: advert.risk_band,
                reasons: advert.reasons,
                assessed: advert.assessed,
            };
            return write_line(out, &record);
        }
        write_line(out, &advert)
    })
    .await?;
    out.flush()?;
    Ok(lines)
}
