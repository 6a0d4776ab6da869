//! The results export (`shared/spec/results-export.md`): JSON Lines of adverts, clusters and
//! locations, as the last `lantern analyse` wrote them. Nothing is computed here: the export is
//! a read of the stored analysis, so it is fast and always matches what the analysis reported.

use std::io::{self, Write};

use lantern_analysis::is_new_since;
use lantern_core::Timestamp;
use lantern_core::export::{AdvertRecord, LocationRecord};
use lantern_store::{AnalysisStore, AuditStore, RecordKind, Store, StoreError};

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
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// For locations: keep only those first seen at or after this time and never visited or known
    /// before it.
    pub new_since: Option<Timestamp>,
    /// The audit event to record once the export is written (its operation is set to `export`,
    /// its object to the export and its row count to the lines written); none for internal
    /// reads such as the evaluator's.
    pub audit: Option<lantern_store::AuditEvent>,
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
    /// Nothing was analysed yet.
    #[error("the store has not been analysed yet: run `lantern analyse` first")]
    NotAnalysed,
}

/// How current the stored analysis is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Whether any analysis was saved.
    pub analysed: bool,
    /// Captures stored after the last analysis.
    pub captures_not_analysed: i64,
}

/// Whether the store was analysed, and how many captures arrived since.
pub async fn freshness(store: &Store) -> Result<Freshness, StoreError> {
    let last = store.last_analysis().await?;
    let max = store.max_capture_id().await?;
    Ok(Freshness {
        analysed: last.is_some(),
        captures_not_analysed: last.map_or(max, |l| (max - l.through_capture_id).max(0)),
    })
}

/// Calls `f` with the stored advert record of every listing, in `(source, external_id)` order;
/// returns how many. The evaluator reads the analysis through this, as the export does.
pub async fn for_each_advert(
    store: &Store,
    f: &mut (dyn FnMut(AdvertRecord) -> io::Result<()> + Send),
) -> Result<u64, ExportError> {
    if !freshness(store).await?.analysed {
        return Err(ExportError::NotAnalysed);
    }
    Ok(store
        .for_each_record(RecordKind::Advert, &mut |json| {
            f(serde_json::from_str(json).map_err(io::Error::other)?)
        })
        .await?)
}

/// Writes one export as JSON Lines to `out`; returns the number of lines.
pub async fn export(
    store: &Store,
    kind: ExportKind,
    options: ExportOptions,
    out: &mut (dyn Write + Send),
) -> Result<u64, ExportError> {
    if !freshness(store).await?.analysed {
        return Err(ExportError::NotAnalysed);
    }
    let record_kind = match kind {
        ExportKind::Adverts => RecordKind::Advert,
        ExportKind::Clusters => RecordKind::Cluster,
        ExportKind::Locations => RecordKind::Location,
    };
    let mut lines = 0;
    store
        .for_each_record(record_kind, &mut |json| {
            if let (ExportKind::Locations, Some(since)) = (kind, options.new_since) {
                let record: LocationRecord =
                    serde_json::from_str(json).map_err(io::Error::other)?;
                if !is_new_since(&record, since) {
                    return Ok(());
                }
            }
            out.write_all(json.as_bytes())?;
            out.write_all(b"\n")?;
            lines += 1;
            Ok(())
        })
        .await
        .map_err(|e| match e {
            // A write to the output failed inside the store's callback (a closed pipe, say).
            StoreError::Callback(io) => ExportError::Io(io),
            other => ExportError::Store(other),
        })?;
    out.flush()?;
    if let Some(event) = options.audit {
        let what = match kind {
            ExportKind::Adverts => "adverts",
            ExportKind::Clusters => "clusters",
            ExportKind::Locations => "locations",
        };
        let mut event = event.about("export", what).rows(lines);
        event.operation = lantern_store::Operation::Export;
        if let Some(since) = options.new_since {
            event.detail = Some(format!("new since {since}"));
        }
        store
            .append_audit(&event)
            .await
            .map_err(ExportError::Store)?;
    }
    Ok(lines)
}
