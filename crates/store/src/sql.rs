//! SQL and row helpers shared by both backends: the statements here run unchanged on SQLite and
//! PostgreSQL (`$n` placeholders, `RETURNING`). Each backend keeps its own batch-write statements,
//! since the two write batches differently (multi-row `VALUES` on SQLite, arrays on PostgreSQL).

use lantern_core::Timestamp;
use sha2::Digest as _;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::error::{Result, StoreError};
use crate::model::{IngestRun, ListingCaptures, RunCounts, RunId, StoreCounts, StoredRaw};

pub const START_RUN: &str = "INSERT INTO ingest_runs (started_at, actor, mode, files, status) \
     VALUES ($1, $2, $3, $4, 'running') RETURNING id";

pub const FINISH_RUN: &str = "UPDATE ingest_runs SET finished_at = $1, lines_read = $2, accepted = $3, \
     stored = $4, duplicates = $5, rejected = $6, status = $7 WHERE id = $8";

pub const GET_RUN: &str = "SELECT id, actor, status, lines_read, accepted, stored, duplicates, rejected \
     FROM ingest_runs WHERE id = $1";

pub const COUNTS: &str = "SELECT (SELECT count(*) FROM listings), (SELECT count(*) FROM captures), \
     (SELECT count(*) FROM ingest_runs)";

pub const LISTING_CAPTURES: &str = "SELECT l.id, l.source, l.external_id, l.first_seen, l.last_seen, \
     c.raw_format, c.raw_zstd \
     FROM listings l JOIN captures c ON c.listing_id = l.id \
     WHERE c.erased_at IS NULL \
     ORDER BY l.source, l.external_id, c.id";

pub const DIGEST_ROWS: &str = "SELECT l.source, l.external_id, l.first_seen, l.last_seen, c.content_hash, \
     c.first_captured_at, c.last_captured_at, c.raw_zstd \
     FROM listings l JOIN captures c ON c.listing_id = l.id \
     ORDER BY l.source, l.external_id, c.content_hash";

pub const APPLIED_MIGRATIONS: &str =
    "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version";

/// A stored content hash, checked for length.
pub fn hash_from_row(bytes: Vec<u8>) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| StoreError::Corrupt(format!("content hash of {} bytes", b.len())))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Reads `GET_RUN`'s row.
pub fn run_from_row<R>(row: &R) -> IngestRun
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    IngestRun {
        id: RunId(row.get(0)),
        actor: row.get(1),
        status: row.get(2),
        counts: RunCounts {
            read: count(row.get(3)),
            accepted: count(row.get(4)),
            stored: count(row.get(5)),
            duplicates: count(row.get(6)),
            rejected: count(row.get(7)),
        },
    }
}

/// Reads `COUNTS`'s row.
pub fn counts_from_row<R>(row: &R) -> StoreCounts
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    StoreCounts {
        listings: count(row.get(0)),
        captures: count(row.get(1)),
        runs: count(row.get(2)),
    }
}

/// Folds `LISTING_CAPTURES` rows (one per capture) into one [`ListingCaptures`] per listing.
#[derive(Default)]
pub struct ListingGrouper {
    current: Option<(i64, ListingCaptures)>,
}

impl ListingGrouper {
    /// Returns the finished listing when `id` starts a new one.
    pub fn next_listing(&mut self, id: i64) -> Option<ListingCaptures> {
        match &self.current {
            Some((current, _)) if *current == id => None,
            _ => self.current.take().map(|(_, l)| l),
        }
    }

    /// Adds one capture's row.
    pub fn add(
        &mut self,
        id: i64,
        source: String,
        external_id: String,
        first_seen: Timestamp,
        last_seen: Timestamp,
        raw: StoredRaw,
    ) {
        let (_, listing) = self.current.get_or_insert_with(|| {
            (
                id,
                ListingCaptures {
                    source,
                    external_id,
                    first_seen,
                    last_seen,
                    raws: Vec::new(),
                },
            )
        });
        listing.raws.push(raw);
    }

    /// The last listing.
    pub fn finish(&mut self) -> Option<ListingCaptures> {
        self.current.take().map(|(_, l)| l)
    }
}

/// SHA-256 over `DIGEST_ROWS`, in a form independent of the backend.
#[derive(Default)]
pub struct Digest(sha2::Sha256);

impl Digest {
    /// Adds one row.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        source: &str,
        external_id: &str,
        first_seen: &Timestamp,
        last_seen: &Timestamp,
        content_hash: &[u8],
        first_captured: &Timestamp,
        last_captured: &Timestamp,
        raw: &[u8],
    ) {
        let line = format!(
            "{source:?}\t{external_id:?}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            first_seen.to_storage_text(),
            last_seen.to_storage_text(),
            hex_of(content_hash),
            first_captured.to_storage_text(),
            last_captured.to_storage_text(),
            hex_of(&sha2::Sha256::digest(raw)),
        );
        self.0.update(line.as_bytes());
    }

    /// The digest, hex.
    pub fn finish(self) -> String {
        hex_of(&self.0.finalize())
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
