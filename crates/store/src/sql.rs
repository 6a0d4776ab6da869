//! SQL and row helpers shared by both backends. Statements here run unchanged on SQLite and
//! PostgreSQL (`$n` placeholders, `ON CONFLICT`, `RETURNING`); where the dialects differ, each
//! backend has its own constant with a suffix naming it.

use lantern_core::{Capture, Timestamp};
use sha2::Digest as _;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::error::{Result, StoreError};
use crate::model::{IngestRun, ListingContacts, RunCounts, RunId, StoreCounts};

/// Listings per upsert statement (4 parameters each).
pub const LISTING_CHUNK: usize = 2_000;
/// Listings per lookup statement (1 parameter each).
pub const LOOKUP_CHUNK: usize = 2_000;
/// Captures per insert statement (24 parameters each; SQLite allows 32,766, PostgreSQL 65,535).
pub const INSERT_CHUNK: usize = 1_000;

pub const START_RUN: &str = "INSERT INTO ingest_runs (started_at, actor, mode, files, status) \
     VALUES ($1, $2, $3, $4, 'running') RETURNING id";

pub const FINISH_RUN: &str = "UPDATE ingest_runs SET finished_at = $1, lines_read = $2, accepted = $3, \
     stored = $4, duplicates = $5, rejected = $6, status = $7 WHERE id = $8";

pub const GET_RUN: &str = "SELECT id, actor, status, lines_read, accepted, stored, duplicates, rejected \
     FROM ingest_runs WHERE id = $1";

pub const COUNTS: &str = "SELECT (SELECT count(*) FROM listings), (SELECT count(*) FROM captures), \
     (SELECT count(*) FROM ingest_runs)";

pub const UPSERT_LISTINGS_HEAD: &str =
    "INSERT INTO listings (source, external_id, first_seen, last_seen) ";

pub const UPSERT_LISTINGS_TAIL_SQLITE: &str = " ON CONFLICT (source, external_id) DO UPDATE SET \
     first_seen = min(listings.first_seen, excluded.first_seen), \
     last_seen = max(listings.last_seen, excluded.last_seen) \
     RETURNING id, source, external_id";

pub const UPSERT_LISTINGS_TAIL_POSTGRES: &str = " ON CONFLICT (source, external_id) DO UPDATE SET \
     first_seen = LEAST(listings.first_seen, excluded.first_seen), \
     last_seen = GREATEST(listings.last_seen, excluded.last_seen) \
     RETURNING id, source, external_id";

/// Every stored capture of some listings; the planner matches content hashes in memory. (Asking
/// for `listing_id IN (…) AND content_hash IN (…)` makes SQLite probe the cross product.)
pub const EXISTING_HEAD: &str = "SELECT id, listing_id, content_hash, first_captured_at, last_captured_at \
     FROM captures WHERE listing_id IN (";

pub const INSERT_CAPTURES_HEAD: &str = "INSERT INTO captures (listing_id, content_hash, first_captured_at, \
     last_captured_at, posted_at, url, title, body, poster, contact_phone, contact_email, contact_whatsapp, \
     contact_telegram, contact_other, location_text, location_postcode, location_lat, location_lon, age, rates, \
     images, raw_format, raw_zstd, ingest_run_id) ";
pub const INSERT_CAPTURES_TAIL: &str = " ON CONFLICT (listing_id, content_hash) DO NOTHING";

pub const WIDEN_CAPTURE: &str =
    "UPDATE captures SET first_captured_at = $1, last_captured_at = $2 WHERE id = $3";

pub const LISTING_CONTACTS: &str = "SELECT l.id, l.source, l.external_id, l.first_seen, l.last_seen, \
     c.contact_phone, c.contact_whatsapp, c.contact_email \
     FROM listings l JOIN captures c ON c.listing_id = l.id \
     ORDER BY l.source, l.external_id, c.id";

pub const DIGEST_ROWS: &str = "SELECT l.source, l.external_id, l.first_seen, l.last_seen, c.content_hash, \
     c.first_captured_at, c.last_captured_at, c.raw_zstd \
     FROM listings l JOIN captures c ON c.listing_id = l.id \
     ORDER BY l.source, l.external_id, c.content_hash";

pub const APPLIED_MIGRATIONS: &str =
    "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version";

/// `images` as stored: a JSON array of strings.
pub fn images_json(capture: &Capture) -> String {
    let images: Vec<String> = capture.images.iter().map(ToString::to_string).collect();
    serde_json::to_string(&images).unwrap_or_else(|_| "[]".into())
}

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

/// Folds `LISTING_CONTACTS` rows (one per capture) into one [`ListingContacts`] per listing.
#[derive(Default)]
pub struct ListingGrouper {
    current: Option<(i64, ListingContacts)>,
}

impl ListingGrouper {
    /// Returns the finished listing when `id` starts a new one.
    pub fn next_listing(&mut self, id: i64) -> Option<ListingContacts> {
        match &self.current {
            Some((current, _)) if *current == id => None,
            _ => self.current.take().map(|(_, l)| l),
        }
    }

    /// Adds one capture's row.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        id: i64,
        source: String,
        external_id: String,
        first_seen: Timestamp,
        last_seen: Timestamp,
        phones: [Option<String>; 2],
        email: Option<String>,
    ) {
        let (_, listing) = self.current.get_or_insert_with(|| {
            (
                id,
                ListingContacts {
                    source,
                    external_id,
                    first_seen,
                    last_seen,
                    phone_fields: vec![],
                    email_fields: vec![],
                },
            )
        });
        listing.phone_fields.extend(phones.into_iter().flatten());
        listing.email_fields.extend(email);
    }

    /// The last listing.
    pub fn finish(&mut self) -> Option<ListingContacts> {
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
