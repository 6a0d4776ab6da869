//! Storage of the analysis: each listing's evidence, the export records the last analysis wrote,
//! and the runs. One contract ([`AnalysisStore`]), both backends; the statements are the same
//! text on both and the bodies are generated once for each by a macro.

use std::collections::HashMap;

use lantern_core::Timestamp;

use crate::error::Result;
use crate::model::StoredRaw;

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// One listing.
    Advert,
    /// One cluster.
    Cluster,
    /// One premises or lead.
    Location,
}

impl RecordKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advert => "advert",
            Self::Cluster => "cluster",
            Self::Location => "location",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "advert" => Some(Self::Advert),
            "cluster" => Some(Self::Cluster),
            "location" => Some(Self::Location),
            _ => None,
        }
    }
}

/// One export record as stored, with the keys it is ordered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// What it is.
    pub kind: RecordKind,
    /// First sort key (and part of the identity).
    pub sort_a: String,
    /// Second sort key.
    pub sort_b: String,
    /// A digest of `json`: unchanged records are not rewritten.
    pub digest: i64,
    /// The export line.
    pub json: String,
}

/// The last completed analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisRun {
    /// Run id.
    pub id: i64,
    /// Every capture up to this id was analysed.
    pub through_capture_id: i64,
    /// The evidence format it wrote.
    pub evidence_version: i64,
    /// When it finished.
    pub finished_at: Timestamp,
    /// `incremental` or `full`.
    pub mode: String,
    /// The digest of the settings it ran under (see [`AnalysisSave::settings_digest`]); none
    /// for runs stored before runs recorded it.
    pub settings_digest: Option<String>,
}

/// A stored capture to analyse.
#[derive(Debug, Clone)]
pub struct CaptureRow {
    /// Capture id.
    pub capture_id: i64,
    /// Its listing.
    pub listing_id: i64,
    /// The raw record.
    pub raw: StoredRaw,
}

/// The order captures are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureOrder {
    /// By capture id: the order they were stored in.
    Stored,
    /// By listing id (then capture id): a listing's captures one after the other, so that its
    /// evidence is whole once the next listing's first capture is read.
    ByListing,
}

impl CaptureOrder {
    /// The statement reading captures in this order.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Stored => CAPTURES_BETWEEN,
            Self::ByListing => CAPTURES_BETWEEN_BY_LISTING,
        }
    }
}

/// How many listings are stored, and when the latest was last seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingsExtent {
    /// Listings stored.
    pub count: u64,
    /// The latest `last_seen` of any listing (none when there are none).
    pub latest_sighting: Option<Timestamp>,
}

/// A listing, with what the last analysis knew of it when asked for.
#[derive(Debug, Clone)]
pub struct ListingRow {
    /// Listing id.
    pub listing_id: i64,
    /// Site.
    pub source: String,
    /// Id on the site.
    pub external_id: String,
    /// First capture time.
    pub first_seen: Timestamp,
    /// Last capture time.
    pub last_seen: Timestamp,
    /// What the last analysis kept of it (when asked for and analysed before).
    pub link: Option<LinkState>,
}

/// What an analysis keeps of a listing for the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    /// The listing's last capture time as that analysis saw it.
    pub last_seen: Timestamp,
    /// The cluster it was given.
    pub cluster: String,
    /// Its sketch (compact linking inputs, opaque to the store).
    pub sketch: Vec<u8>,
}

/// What one analysis writes, in one transaction.
#[derive(Debug, Clone)]
pub struct AnalysisSave {
    /// `incremental` or `full`.
    pub mode: &'static str,
    /// When the analysis started.
    pub started_at: Timestamp,
    /// Every capture up to this id is now analysed.
    pub through_capture_id: i64,
    /// Evidence format version.
    pub evidence_version: i64,
    /// A digest of what, besides the evidence, decides the records (risk model, settings): an
    /// incremental analysis is only valid under the settings of the run before it.
    pub settings_digest: String,
    /// Captures read.
    pub captures_read: u64,
    /// Replace every listing's evidence (a full analysis) rather than upsert the given ones.
    pub replace_all_evidence: bool,
    /// New evidence per listing id (compressed).
    pub evidence: Vec<(i64, Vec<u8>)>,
    /// Records that are new or changed (see [`AnalysisStore::record_digests`]).
    pub write: Vec<StoredRecord>,
    /// Keys of records that are gone.
    pub delete: Vec<RecordKey>,
    /// Search documents of the listings whose evidence changed, by listing id.
    pub search: Vec<(i64, String)>,
    /// Replace every listing's link state (a full analysis) rather than upsert the given ones.
    pub replace_all_links: bool,
    /// New link state per listing id.
    pub links: Vec<(i64, LinkState)>,
    /// The audit event recording this analysis (a combination), written in its transaction.
    pub audit: Option<crate::audit::AuditEvent>,
    /// Listings marked for analysis by an erasure that this analysis remade (taken off the
    /// list).
    pub reanalysed: Vec<i64>,
}

/// A record's identity: kind and sort keys.
pub type RecordKey = (RecordKind, String, String);

/// What a save changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveOutcome {
    /// Records inserted or rewritten.
    pub written: u64,
    /// Records deleted.
    pub deleted: u64,
}

/// The analysis' storage.
#[allow(async_fn_in_trait)]
pub trait AnalysisStore {
    /// The last completed analysis, if any.
    async fn last_analysis(&self) -> Result<Option<AnalysisRun>>;
    /// The highest capture id stored (0 when none).
    async fn max_capture_id(&self) -> Result<i64>;
    /// How many listings are stored and the latest `last_seen` of any (the analysis' reference
    /// time).
    async fn listings_extent(&self) -> Result<ListingsExtent>;
    /// Calls `f` for every capture with `after < id <= through` whose text is not erased, in
    /// `order`.
    async fn captures_between(
        &self,
        after: i64,
        through: i64,
        order: CaptureOrder,
        f: &mut dyn FnMut(CaptureRow) -> std::io::Result<()>,
    ) -> Result<()>;
    /// Calls `f` for every listing, ordered by `(source, external_id)`, with its stored
    /// [`LinkState`] when `with_links`.
    async fn listings(
        &self,
        with_links: bool,
        f: &mut dyn FnMut(ListingRow) -> std::io::Result<()>,
    ) -> Result<()>;
    /// Calls `f` with the stored evidence of each of `listing_ids` that has some (in no set
    /// order).
    async fn evidence_of(
        &self,
        listing_ids: &[i64],
        f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
    ) -> Result<()>;
    /// The digest of every stored record, by key (to tell which records changed).
    async fn record_digests(&self) -> Result<HashMap<RecordKey, i64>>;
    /// Writes an analysis' evidence, changed records, deletions and run row in one transaction.
    async fn save_analysis(&self, save: AnalysisSave) -> Result<SaveOutcome>;
    /// Calls `f` with every stored record of `kind`, in export order; returns how many.
    async fn for_each_record(
        &self,
        kind: RecordKind,
        f: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    ) -> Result<u64>;
}

/// Bulk reads each backend implements its own way (inherent `bulk_*` methods).
pub(crate) const LAST_ANALYSIS: &str = "SELECT id, through_capture_id, evidence_version, finished_at, mode, \
     settings_digest FROM analysis_runs ORDER BY id DESC LIMIT 1";
pub(crate) const MAX_CAPTURE_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM captures";
pub(crate) const LISTINGS_EXTENT: &str = "SELECT COUNT(*), MAX(last_seen) FROM listings";
pub(crate) const CAPTURES_BETWEEN: &str = "SELECT id, listing_id, raw_format, raw_zstd FROM captures \
     WHERE id > $1 AND id <= $2 AND erased_at IS NULL ORDER BY id";
pub(crate) const CAPTURES_BETWEEN_BY_LISTING: &str = "SELECT id, listing_id, raw_format, raw_zstd \
     FROM captures WHERE id > $1 AND id <= $2 AND erased_at IS NULL ORDER BY listing_id, id";
pub(crate) const LISTINGS: &str = "SELECT l.id, l.source, l.external_id, l.first_seen, \
     l.last_seen FROM listings l ORDER BY l.source, l.external_id";
pub(crate) const EVIDENCE_OF: &str =
    "SELECT listing_id, evidence FROM listing_evidence WHERE listing_id IN (";
pub(crate) const DELETE_ALL_LINKS: &str = "DELETE FROM listing_links";
pub(crate) const UNMARK_REANALYSE: &str = "DELETE FROM listings_to_reanalyse WHERE listing_id = $1";
pub(crate) const UPSERT_LINKS: &str =
    "INSERT INTO listing_links (listing_id, last_seen, cluster, sketch) ";
pub(crate) const UPSERT_LINKS_TAIL: &str = " ON CONFLICT (listing_id) DO UPDATE SET \
     last_seen = excluded.last_seen, cluster = excluded.cluster, sketch = excluded.sketch";
pub(crate) const RECORD_DIGESTS: &str = "SELECT kind, sort_a, sort_b, digest FROM analysis_records";
pub(crate) const DELETE_RECORD: &str =
    "DELETE FROM analysis_records WHERE kind = $1 AND sort_a = $2 AND sort_b = $3";
pub(crate) const UPSERT_RECORDS: &str =
    "INSERT INTO analysis_records (kind, sort_a, sort_b, digest, record, cluster, status) ";
pub(crate) const UPSERT_RECORDS_TAIL: &str = " ON CONFLICT (kind, sort_a, sort_b) DO UPDATE SET \
     digest = excluded.digest, record = excluded.record, cluster = excluded.cluster, \
     status = excluded.status";
pub(crate) const DELETE_ALL_EVIDENCE: &str = "DELETE FROM listing_evidence";
/// Clears PostgreSQL's search table (SQLite's is dropped and made again:
/// `sqlite_analysis_save::RECREATE_SEARCH`).
pub(crate) const DELETE_ALL_SEARCH: &str = "DELETE FROM listing_search";
pub(crate) const INSERT_SEARCH_SQLITE: &str = "INSERT INTO listing_search (rowid, document) ";
pub(crate) const UPSERT_EVIDENCE: &str = "INSERT INTO listing_evidence (listing_id, evidence) ";
pub(crate) const UPSERT_EVIDENCE_TAIL: &str =
    " ON CONFLICT (listing_id) DO UPDATE SET evidence = excluded.evidence";
pub(crate) const INSERT_RUN: &str = "INSERT INTO analysis_runs (started_at, finished_at, mode, \
     through_capture_id, evidence_version, captures_read, listings_updated, records_written, \
     records_deleted, settings_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(crate) const RECORDS_OF_KIND: &str =
    "SELECT record FROM analysis_records WHERE kind = $1 ORDER BY sort_a, sort_b";

/// An index over the analysis records: its name, the statement dropping it and the one making
/// it as its migration did.
pub(crate) type RecordIndex = (&'static str, &'static str, &'static str);

/// SQLite's indexes over the records' lookup columns (migration 0010; a test checks that these
/// are every index of the table, made exactly so). A save that rewrites most records drops them
/// and builds them again after its writes: one sorted build instead of two index updates per
/// row (at 1M listings, 2.16M records, the whole save went from 77 s to 62 s). PostgreSQL keeps
/// its indexes: dropping one there locks readers out until the save commits.
pub(crate) const RECORD_INDEXES_SQLITE: &[RecordIndex] = &[
    (
        "analysis_records_by_cluster",
        "DROP INDEX analysis_records_by_cluster",
        "CREATE INDEX analysis_records_by_cluster ON analysis_records (kind, cluster)",
    ),
    (
        "analysis_records_by_status",
        "DROP INDEX analysis_records_by_status",
        "CREATE INDEX analysis_records_by_status ON analysis_records (kind, status)",
    ),
];

/// What pages look a record up by, stored beside it (migration 0010): its top-level `cluster`
/// and `status` fields when they are strings.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RecordLookups {
    /// The cluster a listing, cluster or location record belongs to.
    pub cluster: Option<String>,
    /// A location's status.
    pub status: Option<String>,
}

impl RecordLookups {
    /// The lookups of a record's JSON; an error names the record (`what`) and what is wrong.
    pub(crate) fn of(json: &str, what: impl std::fmt::Display) -> Result<Self> {
        #[derive(serde::Deserialize)]
        struct Fields {
            #[serde(default)]
            cluster: Option<serde_json::Value>,
            #[serde(default)]
            status: Option<serde_json::Value>,
        }
        let text = |v: Option<serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => Some(s),
            _ => None,
        };
        let fields: Fields = serde_json::from_str(json).map_err(|e| {
            crate::error::StoreError::Corrupt(format!("{what} is not valid JSON: {e}"))
        })?;
        Ok(Self {
            cluster: text(fields.cluster),
            status: text(fields.status),
        })
    }
}

/// Fewest records a save must write before its record indexes are built again instead of
/// updated (and then only when it writes at least as many as the table held).
pub(crate) const REBUILD_INDEXES_FROM: usize = 10_000;
pub(crate) const COUNT_RECORDS: &str = "SELECT COUNT(*) FROM analysis_records";

/// The records to write in key order: the records' B-tree then grows at its end instead of at
/// random pages (at 1M listings, about a fifth faster on SQLite).
pub(crate) fn in_write_order(records: &[StoredRecord]) -> Vec<&StoredRecord> {
    let mut ordered: Vec<&StoredRecord> = records.iter().collect();
    ordered.sort_unstable_by(|a, b| {
        (a.kind.as_str(), &a.sort_a, &a.sort_b).cmp(&(b.kind.as_str(), &b.sort_a, &b.sort_b))
    });
    ordered
}

impl StoredRecord {
    /// Its lookups (see [`RecordLookups`]).
    pub(crate) fn lookups(&self) -> Result<RecordLookups> {
        RecordLookups::of(
            &self.json,
            format_args!(
                "the {} record ({:?}, {:?})",
                self.kind.as_str(),
                self.sort_a,
                self.sort_b
            ),
        )
    }
}

/// Rows per multi-row `INSERT` (7 parameters each: well under both backends' limits).
pub(crate) const INSERT_CHUNK: usize = 1_000;

/// Implements [`AnalysisStore`] for a backend: `$store` the store type, `$db` the sqlx database,
/// `$ts_out` its conversion of stored timestamps. Each backend saves in its own way
/// (`bulk_save_analysis`).
macro_rules! analysis_store_impl {
    (
        $store:ty,
        $db:ty,
        $ts_out:expr
    ) => {
        impl $crate::analysis::AnalysisStore for $store {
            async fn last_analysis(&self) -> Result<Option<$crate::analysis::AnalysisRun>> {
                let row = sqlx::query($crate::analysis::LAST_ANALYSIS)
                    .fetch_optional(&self.pool)
                    .await
                    .context("reading the last analysis")?;
                row.map(|row| {
                    Ok($crate::analysis::AnalysisRun {
                        id: row.get(0),
                        through_capture_id: row.get(1),
                        evidence_version: row.get(2),
                        finished_at: $ts_out(row.get(3))?,
                        mode: row.get(4),
                        settings_digest: row.get(5),
                    })
                })
                .transpose()
            }

            async fn max_capture_id(&self) -> Result<i64> {
                let row = sqlx::query($crate::analysis::MAX_CAPTURE_ID)
                    .fetch_one(&self.pool)
                    .await
                    .context("reading the highest capture id")?;
                Ok(row.get(0))
            }

            async fn listings_extent(&self) -> Result<$crate::analysis::ListingsExtent> {
                let row = sqlx::query($crate::analysis::LISTINGS_EXTENT)
                    .fetch_one(&self.pool)
                    .await
                    .context("counting listings")?;
                Ok($crate::analysis::ListingsExtent {
                    count: row.get::<i64, _>(0).try_into().unwrap_or(0),
                    latest_sighting: row.get::<Option<_>, _>(1).map($ts_out).transpose()?,
                })
            }

            async fn captures_between(
                &self,
                after: i64,
                through: i64,
                order: $crate::analysis::CaptureOrder,
                f: &mut dyn FnMut($crate::analysis::CaptureRow) -> std::io::Result<()>,
            ) -> Result<()> {
                self.bulk_captures_between(after, through, order, f).await
            }

            async fn listings(
                &self,
                with_links: bool,
                f: &mut dyn FnMut($crate::analysis::ListingRow) -> std::io::Result<()>,
            ) -> Result<()> {
                self.bulk_listings(with_links, f).await
            }

            async fn evidence_of(
                &self,
                listing_ids: &[i64],
                f: &mut (dyn FnMut(i64, Vec<u8>) -> std::io::Result<()> + Send),
            ) -> Result<()> {
                for chunk in listing_ids.chunks($crate::analysis::INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new($crate::analysis::EVIDENCE_OF);
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(")");
                    let mut rows = q.build().fetch(&self.pool);
                    while let Some(row) = rows.try_next().await.context("reading evidence")? {
                        f(row.get(0), row.get(1)).map_err(StoreError::Callback)?;
                    }
                }
                Ok(())
            }

            async fn record_digests(
                &self,
            ) -> Result<std::collections::HashMap<$crate::analysis::RecordKey, i64>> {
                self.bulk_record_digests().await
            }

            async fn save_analysis(
                &self,
                save: $crate::analysis::AnalysisSave,
            ) -> Result<$crate::analysis::SaveOutcome> {
                self.bulk_save_analysis(save).await
            }

            async fn for_each_record(
                &self,
                kind: $crate::analysis::RecordKind,
                f: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
            ) -> Result<u64> {
                self.bulk_records_of_kind(kind, f).await
            }
        }
    };
}
pub(crate) use analysis_store_impl;

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::RecordLookups;

    /// The lookups written with each record equal what migration 0010 filled in for the
    /// records stored before it (SQLite's `json_type`/`json_extract`), so that old and new rows
    /// are found alike.
    #[test]
    fn record_lookups_match_what_the_migration_filled_in() {
        let migration = include_str!("../migrations/sqlite/0010_record_lookups.sql");
        let start = migration.find("UPDATE").unwrap();
        let update = &migration[start..start + migration[start..].find(';').unwrap()];
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE analysis_records (id INTEGER PRIMARY KEY, record TEXT, cluster TEXT, \
             status TEXT)",
        )
        .unwrap();
        let records = [
            r#"{"cluster":"c-1","status":"new"}"#,
            r#"{"status":"visited","inner":{"cluster":"c-inner"},"cluster":"c-2"}"#,
            r#"{"cluster":null,"status":7}"#,
            r#"{"cluster":["c-3"],"status":{"s":"new"}}"#,
            r#"{"cluster":"c-\"q\" \u00e9\n","clusters":["c-4"]}"#,
            r#"{}"#,
        ];
        for record in records {
            conn.execute(
                "INSERT INTO analysis_records (record) VALUES (?1)",
                [record],
            )
            .unwrap();
        }
        conn.execute_batch(update).unwrap();
        let mut stmt = conn
            .prepare("SELECT record, cluster, status FROM analysis_records ORDER BY id")
            .unwrap();
        let filled: Vec<(String, Option<String>, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(filled.len(), records.len());
        for (record, cluster, status) in filled {
            assert_eq!(
                RecordLookups::of(&record, "a test record").unwrap(),
                RecordLookups { cluster, status },
                "{record}"
            );
        }
        assert_eq!(
            RecordLookups::of(r#"{"cluster":"c-1","status":"new"}"#, "x").unwrap(),
            RecordLookups {
                cluster: Some("c-1".into()),
                status: Some("new".into())
            }
        );
        let refused = RecordLookups::of("{\"cluster\":", "the advert record (\"site-a\", \"1\")")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("the advert record (\"site-a\", \"1\")"),
            "{refused}"
        );
    }

    /// The indexes a bulk save drops and builds again are every index of the records table,
    /// exactly as the migrations made them: a new index, or one changed by a migration, must be
    /// added here too, or a full analysis would silently lose it.
    /// The records table's indexes as the store holds them: name and statement.
    async fn record_indexes(store: &crate::SqliteStore) -> Vec<(String, String)> {
        let rows = sqlx::query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'analysis_records' AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    #[tokio::test]
    async fn the_record_indexes_rebuilt_by_a_bulk_save_are_those_the_migrations_made() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(dir.path()).await.unwrap();
        let rebuilt: Vec<(String, String)> = super::RECORD_INDEXES_SQLITE
            .iter()
            .map(|(name, _, create)| ((*name).to_owned(), (*create).to_owned()))
            .collect();
        assert_eq!(record_indexes(&store).await, rebuilt);
        for (name, drop, _) in super::RECORD_INDEXES_SQLITE {
            assert_eq!(*drop, format!("DROP INDEX {name}"));
        }

        // A full save large enough to rebuild them leaves them as they were, and in use.
        use crate::analysis::{AnalysisSave, AnalysisStore, RecordKind, StoredRecord};
        let write: Vec<StoredRecord> = (0..super::REBUILD_INDEXES_FROM)
            .map(|i| StoredRecord {
                kind: RecordKind::Location,
                sort_a: format!("loc-{i:05}"),
                sort_b: String::new(),
                digest: i as i64,
                json: format!(
                    "{{\"status\":\"{}\"}}",
                    if i % 10 == 0 { "new" } else { "known" }
                ),
            })
            .collect();
        let at = lantern_core::Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        store
            .save_analysis(AnalysisSave {
                mode: "full",
                started_at: at,
                through_capture_id: 0,
                evidence_version: 1,
                settings_digest: String::new(),
                captures_read: 0,
                replace_all_evidence: true,
                evidence: Vec::new(),
                write,
                delete: Vec::new(),
                search: Vec::new(),
                replace_all_links: true,
                links: Vec::new(),
                audit: None,
                reanalysed: Vec::new(),
            })
            .await
            .unwrap();
        assert_eq!(record_indexes(&store).await, rebuilt);
        let new: i64 = sqlx::query(
            "SELECT COUNT(*) FROM analysis_records INDEXED BY analysis_records_by_status \
             WHERE kind = 'location' AND status = 'new'",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(new as usize, super::REBUILD_INDEXES_FROM / 10);
    }
}
