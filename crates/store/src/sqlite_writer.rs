//! The SQLite ingest writer: one long-lived connection driving prepared single-row statements
//! (rusqlite), run on a blocking thread.
//!
//! Why not sqlx here: sqlx sends every statement to a worker thread and copies each argument, and
//! its multi-row statements must be re-parsed per shape; for bulk writes that overhead cost a third
//! of the ingest time. Statements stay parameterised and are prepared once per connection. Reads,
//! migrations and run bookkeeping stay on the sqlx pool; both share the one database file, and
//! SQLite's own locking (`BEGIN IMMEDIATE`, busy timeout) orders writers across connections and
//! processes.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use lantern_core::ValidCapture;
use rusqlite::{Connection, params};

use crate::error::{Result, StoreError};
use crate::model::{BatchOutcome, RunId};
use crate::plan::{self, Existing};
use crate::sqlite::ts;

/// How long a writer waits for another connection's write transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const UPSERT_LISTING: &str = "INSERT INTO listings (source, external_id, first_seen, last_seen) \
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source, external_id) DO UPDATE SET \
     first_seen = min(listings.first_seen, excluded.first_seen), \
     last_seen = max(listings.last_seen, excluded.last_seen) \
     RETURNING id";

/// The highest listing id before a batch: rows above it were created by the batch and so have no
/// stored captures to look up (an `INTEGER PRIMARY KEY` takes max + 1 for a new row; were it ever
/// to reuse a lower id, the lookup would simply run and find nothing).
const MAX_LISTING_ID: &str = "SELECT coalesce(max(id), 0) FROM listings";

const STORED_CAPTURES: &str = "SELECT id, content_hash, first_captured_at, last_captured_at \
     FROM captures WHERE listing_id = ?1";

const INSERT_CAPTURE: &str = "INSERT INTO captures (listing_id, content_hash, first_captured_at, \
     last_captured_at, raw_format, raw_zstd, ingest_run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
     ON CONFLICT (listing_id, content_hash) DO NOTHING";

const WIDEN_CAPTURE: &str =
    "UPDATE captures SET first_captured_at = ?2, last_captured_at = ?3 WHERE id = ?1";

/// Adds context to a rusqlite error.
pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Writer { context, source }
}

/// Opens the writer's connection with the store's durability settings.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db("opening the SQLite writer connection"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db("setting the busy timeout"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
    )
    .map_err(db("configuring the SQLite writer connection"))?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// Starts a write transaction, first rolling back one left open by a writer that was dropped
/// mid-transaction (its batches were never committed, so they must not be).
pub(crate) fn begin(conn: &Connection) -> Result<()> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")
            .map_err(db("rolling back an abandoned transaction"))?;
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(db("starting a write transaction"))
}

/// Commits the open transaction.
pub(crate) fn commit(conn: &Connection) -> Result<()> {
    conn.execute_batch("COMMIT")
        .map_err(db("committing a batch"))
}

/// Appends an audit event inside the open transaction (the same statements as
/// `audit::append_audit!`, through this connection).
pub(crate) fn append_audit(conn: &Connection, event: &crate::audit::AuditEvent) -> Result<()> {
    let (id, prev): (i64, Vec<u8>) = conn
        .query_row(crate::audit::ADVANCE_HEAD, [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db("advancing the audit log"))?;
    let hash = crate::audit::chain_hash(&prev, id, event);
    conn.execute(
        crate::audit::INSERT_EVENT,
        rusqlite::params![
            id,
            event.at.to_storage_text(),
            event.operation.as_str(),
            event.actor,
            event.organisation,
            event.role,
            event.session,
            event.source,
            event.object_type,
            event.object_id,
            event.purpose,
            event.recipient,
            event.row_count,
            event.detail,
            prev,
            hash,
        ],
    )
    .map_err(db("writing an audit event"))?;
    conn.execute(crate::audit::SET_HEAD_HASH, rusqlite::params![hash])
        .map_err(db("advancing the audit log"))?;
    Ok(())
}

/// Rolls back the open transaction, if any.
pub(crate) fn rollback(conn: &Connection) -> Result<()> {
    if conn.is_autocommit() {
        return Ok(());
    }
    conn.execute_batch("ROLLBACK").map_err(db("rolling back"))
}

/// Stores a batch inside the open transaction: listings upserted, new captures inserted, repeats
/// widen stored spans.
pub(crate) fn write_batch(
    conn: &Connection,
    run: RunId,
    batch: &[ValidCapture],
) -> Result<BatchOutcome> {
    let mut spans = plan::listing_spans(batch);
    // In key order, consecutive upserts land on neighbouring pages of the key index.
    spans.sort_unstable_by(|a, b| (a.source, a.external_id).cmp(&(b.source, b.external_id)));
    let max_before: i64 = conn
        .query_row(MAX_LISTING_ID, [], |row| row.get(0))
        .map_err(db("reading the highest listing id"))?;

    let mut ids: HashMap<(&str, &str), i64> = HashMap::with_capacity(spans.len());
    {
        let mut upsert = conn
            .prepare_cached(UPSERT_LISTING)
            .map_err(db("preparing the listing upsert"))?;
        for span in &spans {
            let id: i64 = upsert
                .query_row(
                    params![
                        span.source,
                        span.external_id,
                        span.first.to_storage_text(),
                        span.last.to_storage_text()
                    ],
                    |row| row.get(0),
                )
                .map_err(db("upserting a listing"))?;
            ids.insert((span.source, span.external_id), id);
        }
    }

    // Only listings that existed before this batch can have stored captures.
    let mut existing = Vec::new();
    {
        let mut stored = conn
            .prepare_cached(STORED_CAPTURES)
            .map_err(db("preparing the stored-capture lookup"))?;
        for span in &spans {
            let id = ids[&(span.source, span.external_id)];
            if id > max_before {
                continue;
            }
            let mut rows = stored
                .query([id])
                .map_err(db("looking up stored captures"))?;
            while let Some(row) = rows.next().map_err(db("reading stored captures"))? {
                let hash: Vec<u8> = row.get(1).map_err(db("reading a content hash"))?;
                let first: String = row.get(2).map_err(db("reading a capture time"))?;
                let last: String = row.get(3).map_err(db("reading a capture time"))?;
                existing.push(Existing {
                    id: row.get(0).map_err(db("reading a capture id"))?,
                    listing: (span.source.to_owned(), span.external_id.to_owned()),
                    content_hash: crate::sql::hash_from_row(hash)?,
                    first: ts(&first)?,
                    last: ts(&last)?,
                });
            }
        }
    }

    let (groups, repeats) = plan::capture_groups(batch);
    let write = plan::plan(groups, repeats, &existing);

    let mut stored = 0_u64;
    {
        let mut insert = conn
            .prepare_cached(INSERT_CAPTURE)
            .map_err(db("preparing the capture insert"))?;
        for group in &write.inserts {
            let listing_id = ids[&group.listing];
            stored += insert
                .execute(params![
                    listing_id,
                    &group.capture.content_hash.0[..],
                    group.first.to_storage_text(),
                    group.last.to_storage_text(),
                    group.capture.raw_format,
                    group.capture.raw_zstd.as_slice(),
                    run.0,
                ])
                .map_err(db("inserting a capture"))? as u64;
        }
    }
    {
        let mut widen = conn
            .prepare_cached(WIDEN_CAPTURE)
            .map_err(db("preparing the span widening"))?;
        for (id, first, last) in &write.widen {
            widen
                .execute(params![id, first.to_storage_text(), last.to_storage_text()])
                .map_err(db("widening a capture's time span"))?;
        }
    }
    let raced = write.inserts.len() as u64 - stored;
    Ok(BatchOutcome {
        stored,
        duplicates: write.duplicates + raced,
    })
}
