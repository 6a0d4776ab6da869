//! Bulk reads for the analysis on SQLite through rusqlite: a read-only connection per read,
//! rows handed to the caller one by one with no per-row hand-off between threads (sqlx's SQLite
//! driver passes each row through a channel, which dominated reading a million listings).
//!
//! The read runs on the calling thread: inside a multi-threaded runtime it tells the runtime so
//! (`block_in_place`); in a single-threaded one (tests) it simply blocks.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::analysis::{CaptureRow, LinkState, ListingRow, RecordKey, RecordKind};
use crate::error::{Result, StoreError};
use crate::model::StoredRaw;
use crate::sqlite::ts;
use crate::sqlite_writer::db;

/// A read-only connection to the store's file.
fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db("opening a SQLite reader"))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(db("setting the reader's busy timeout"))?;
    conn.execute_batch("PRAGMA cache_size = -65536;")
        .map_err(db("configuring the reader"))?;
    Ok(conn)
}

/// Runs a blocking read on this thread, telling a multi-threaded runtime first.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Every capture with `after < id <= through` whose text is not erased, in `order`.
pub(crate) fn captures_between(
    path: &Path,
    after: i64,
    through: i64,
    order: crate::analysis::CaptureOrder,
    f: &mut dyn FnMut(CaptureRow) -> std::io::Result<()>,
) -> Result<()> {
    blocking(|| {
        let conn = open(path)?;
        let mut stmt = conn.prepare(order.sql()).map_err(db("reading captures"))?;
        let mut rows = stmt
            .query(params![after, through])
            .map_err(db("reading captures"))?;
        while let Some(row) = rows.next().map_err(db("reading captures"))? {
            f(CaptureRow {
                capture_id: row.get(0).map_err(db("reading a capture"))?,
                listing_id: row.get(1).map_err(db("reading a capture"))?,
                raw: StoredRaw {
                    format: row.get(2).map_err(db("reading a capture"))?,
                    zstd: row.get(3).map_err(db("reading a capture"))?,
                },
            })
            .map_err(StoreError::Callback)?;
        }
        Ok(())
    })
}

/// Every listing, ordered by `(source, external_id)`, with its link state when asked for. With
/// link states, two reads on two connections at once, joined here by listing id: the listings in
/// key order and the link states in table order. The joined read made SQLite look up each
/// listing's link state in its table, a million searches of the tree at 1M listings.
pub(crate) fn listings(
    path: &Path,
    with_links: bool,
    f: &mut dyn FnMut(ListingRow) -> std::io::Result<()>,
) -> Result<()> {
    blocking(|| {
        if !with_links {
            return each_listing(path, f);
        }
        let (listings, links) = std::thread::scope(|scope| {
            let links = scope.spawn(|| link_states(path));
            let mut listings = Vec::new();
            let read = each_listing(path, &mut |row| {
                listings.push(row);
                Ok(())
            });
            let links = links
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (read.map(|()| listings), links)
        });
        let (listings, mut links) = (listings?, links?);
        for mut row in listings {
            if let Ok(at) = links.binary_search_by_key(&row.listing_id, |(id, _)| *id) {
                row.link = links[at].1.take();
            }
            f(row).map_err(StoreError::Callback)?;
        }
        Ok(())
    })
}

/// Every listing in key order, without its link state.
fn each_listing(path: &Path, f: &mut dyn FnMut(ListingRow) -> std::io::Result<()>) -> Result<()> {
    let conn = open(path)?;
    let mut stmt = conn
        .prepare(crate::analysis::LISTINGS)
        .map_err(db("reading listings"))?;
    let mut rows = stmt.query([]).map_err(db("reading listings"))?;
    while let Some(row) = rows.next().map_err(db("reading listings"))? {
        let first: String = row.get(3).map_err(db("reading a listing"))?;
        let last: String = row.get(4).map_err(db("reading a listing"))?;
        f(ListingRow {
            listing_id: row.get(0).map_err(db("reading a listing"))?,
            source: row.get(1).map_err(db("reading a listing"))?,
            external_id: row.get(2).map_err(db("reading a listing"))?,
            first_seen: ts(&first)?,
            last_seen: ts(&last)?,
            link: None,
        })
        .map_err(StoreError::Callback)?;
    }
    Ok(())
}

/// Every link state by listing id, in id order (the table's own order).
fn link_states(path: &Path) -> Result<Vec<(i64, Option<LinkState>)>> {
    let conn = open(path)?;
    let mut stmt = conn
        .prepare(LINK_STATES)
        .map_err(db("reading link states"))?;
    let mut rows = stmt.query([]).map_err(db("reading link states"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db("reading link states"))? {
        let seen: String = row.get(1).map_err(db("reading a link state"))?;
        out.push((
            row.get(0).map_err(db("reading a link state"))?,
            Some(LinkState {
                last_seen: ts(&seen)?,
                cluster: row.get(2).map_err(db("reading a link state"))?,
                sketch: row.get(3).map_err(db("reading a link state"))?,
            }),
        ));
    }
    Ok(out)
}

/// Every link state in listing id order: the table's rowid order, so a plain walk of it.
const LINK_STATES: &str =
    "SELECT listing_id, last_seen, cluster, sketch FROM listing_links ORDER BY listing_id";

/// Every stored record of `kind`, in export order, its JSON handed to `f`; how many.
pub(crate) fn records_of_kind(
    path: &Path,
    kind: RecordKind,
    f: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> Result<u64> {
    blocking(|| {
        let conn = open(path)?;
        let mut stmt = conn
            .prepare(crate::analysis::RECORDS_OF_KIND)
            .map_err(db("reading records"))?;
        let mut rows = stmt
            .query(params![kind.as_str()])
            .map_err(db("reading records"))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(db("reading records"))? {
            let json = row
                .get_ref(0)
                .and_then(|v| Ok(v.as_str()?))
                .map_err(db("reading a record"))?;
            f(json).map_err(StoreError::Callback)?;
            count += 1;
        }
        Ok(count)
    })
}

/// The digest of every stored record, by key.
pub(crate) fn record_digests(path: &Path) -> Result<HashMap<RecordKey, i64>> {
    blocking(|| {
        let conn = open(path)?;
        let mut stmt = conn
            .prepare(crate::analysis::RECORD_DIGESTS)
            .map_err(db("reading record digests"))?;
        let mut rows = stmt.query([]).map_err(db("reading record digests"))?;
        let mut held = HashMap::new();
        while let Some(row) = rows.next().map_err(db("reading record digests"))? {
            let kind: String = row.get(0).map_err(db("reading a record digest"))?;
            let kind = RecordKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("analysis record of kind {kind:?}")))?;
            held.insert(
                (
                    kind,
                    row.get(1).map_err(db("reading a record digest"))?,
                    row.get(2).map_err(db("reading a record digest"))?,
                ),
                row.get(3).map_err(db("reading a record digest"))?,
            );
        }
        Ok(held)
    })
}
