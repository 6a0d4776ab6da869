//! The embedded default: one SQLite file in the data directory, WAL journal, foreign keys on,
//! `synchronous = FULL` so that a committed batch survives a crash or power cut.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::TryStreamExt;
use lantern_core::{Timestamp, ValidCapture};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use crate::error::{DbContext, Result, StoreError};
use crate::model::StoredRaw;
use crate::model::{
    AppliedMigration, BatchOutcome, IngestRun, ListingCaptures, NewRun, RunCounts, RunId,
    RunStatus, StoreCounts,
};
use crate::plan::{self, Existing};
use crate::{CaptureStore, IngestTx, migrations, sql};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "lantern.sqlite3";

/// A store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

/// An open write transaction on SQLite (taken with `BEGIN IMMEDIATE`, so it never deadlocks on
/// upgrade).
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    run: RunId,
}

// Batch writes: multi-row statements cut into a few fixed shapes.

/// Rows per multi-row statement, largest first. Batches are cut greedily into these sizes so that
/// every statement has one of a few shapes, each prepared once and cached: preparing a fresh
/// thousand-row statement for every batch cost more than executing it. The largest size keeps
/// the widest statement (7 parameters a row) far below SQLite's 32,766 parameters.
const CHUNK_SIZES: [usize; 4] = [256, 32, 4, 1];

/// Cuts `items` into runs whose lengths come from [`CHUNK_SIZES`].
fn chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        let size = CHUNK_SIZES
            .iter()
            .copied()
            .find(|&size| size <= rest.len())?;
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

const UPSERT_LISTINGS_HEAD: &str =
    "INSERT INTO listings (source, external_id, first_seen, last_seen) ";

const UPSERT_LISTINGS_TAIL: &str = " ON CONFLICT (source, external_id) DO UPDATE SET \
     first_seen = min(listings.first_seen, excluded.first_seen), \
     last_seen = max(listings.last_seen, excluded.last_seen)";

/// Every stored capture of some listings, named by key (followed by `VALUES` rows of
/// `(source, external_id)` and [`EXISTING_TAIL`]); the planner matches content hashes in memory.
/// The keys drive the join: written as `(source, external_id) IN (VALUES …)`, SQLite scanned
/// every capture for every statement.
const EXISTING_HEAD: &str = "WITH k (source, external_id) AS (";
const EXISTING_TAIL: &str = ") SELECT c.id, l.source, l.external_id, c.content_hash, \
     c.first_captured_at, c.last_captured_at FROM k \
     JOIN listings l ON l.source = k.source AND l.external_id = k.external_id \
     JOIN captures c ON c.listing_id = l.id";

/// Inserts new captures, finding each listing's id by key inside the database: followed by
/// `VALUES` rows of `(source, external_id, content_hash, first_at, last_at, raw_format, raw_zstd)`,
/// then [`INSERT_CAPTURES_MIDDLE`], the run id, and [`INSERT_CAPTURES_TAIL`].
const INSERT_CAPTURES_HEAD: &str =
    "WITH v (source, external_id, content_hash, first_at, last_at, raw_format, raw_zstd) AS (";
const INSERT_CAPTURES_MIDDLE: &str = ") INSERT INTO captures (listing_id, content_hash, first_captured_at, \
     last_captured_at, raw_format, raw_zstd, ingest_run_id) \
     SELECT l.id, v.content_hash, v.first_at, v.last_at, v.raw_format, v.raw_zstd, ";
/// `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint.
const INSERT_CAPTURES_TAIL: &str = " FROM v JOIN listings l ON l.source = v.source AND l.external_id = v.external_id \
     WHERE true ON CONFLICT (listing_id, content_hash) DO NOTHING";

/// Widens stored capture spans, many at once: followed by `(id, first, last)` value rows and
/// [`WIDEN_CAPTURES_TAIL`].
const WIDEN_CAPTURES_HEAD: &str = "WITH v (id, first_at, last_at) AS (";
const WIDEN_CAPTURES_TAIL: &str = ") UPDATE captures SET first_captured_at = v.first_at, \
     last_captured_at = v.last_at FROM v WHERE captures.id = v.id";

fn ts(text: &str) -> Result<Timestamp> {
    Timestamp::from_storage_text(text)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {text:?}: {e}")))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        context: format!("creating data directory {}", dir.display()),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io)
}

fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Io {
            context: format!("creating database file {}", path.display()),
            source,
        })
}

impl SqliteStore {
    /// Opens (creating with owner-only permissions if needed) the store in `data_dir` and applies
    /// pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        create_private_file(&path)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // 32 MiB of page cache per connection: index pages of a large store stay hot.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .context("opening the SQLite database")?;
        // sqlx takes no lock for SQLite migrations; two processes starting together on a new
        // file would both try to apply them. An exclusive lock on a side file serialises them.
        let lock_path = data_dir.join("migrate.lock");
        let lock = std::fs::File::create(&lock_path)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|source| StoreError::Io {
                context: format!("locking {}", lock_path.display()),
                source,
            })?;
        let migrated = migrations::migrator(migrations::SQLITE).run(&pool).await;
        drop(lock);
        migrated?;
        Ok(Self { pool, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CaptureStore for SqliteStore {
    type Tx = SqliteTx;

    /// Closes the pool, checkpointing the WAL.
    async fn close(&self) {
        self.pool.close().await;
    }

    /// Records the start of an ingest run.
    async fn start_run(&self, run: &NewRun) -> Result<RunId> {
        let files = serde_json::to_string(&run.files).unwrap_or_default();
        let id: i64 = sqlx::query_scalar(sql::START_RUN)
            .bind(run.started_at.to_storage_text())
            .bind(&run.actor)
            .bind(run.mode.as_str())
            .bind(files)
            .fetch_one(&self.pool)
            .await
            .context("recording the ingest run")?;
        Ok(RunId(id))
    }

    /// Records how a run ended.
    async fn finish_run(&self, run: RunId, counts: &RunCounts, status: RunStatus) -> Result<()> {
        sqlx::query(sql::FINISH_RUN)
            .bind(Timestamp::now().to_storage_text())
            .bind(counts.read as i64)
            .bind(counts.accepted as i64)
            .bind(counts.stored as i64)
            .bind(counts.duplicates as i64)
            .bind(counts.rejected as i64)
            .bind(status.as_str())
            .bind(run.0)
            .execute(&self.pool)
            .await
            .context("recording the end of the ingest run")?;
        Ok(())
    }

    /// A stored run.
    async fn run(&self, run: RunId) -> Result<Option<IngestRun>> {
        let row = sqlx::query(sql::GET_RUN)
            .bind(run.0)
            .fetch_optional(&self.pool)
            .await
            .context("reading a run")?;
        Ok(row.map(|r| sql::run_from_row(&r)))
    }

    /// Opens a write transaction for batches of `run`.
    async fn begin(&self, run: RunId) -> Result<SqliteTx> {
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("starting a write transaction")?;
        Ok(SqliteTx { tx, run })
    }

    /// Row counts.
    async fn counts(&self) -> Result<StoreCounts> {
        let row = sqlx::query(sql::COUNTS)
            .fetch_one(&self.pool)
            .await
            .context("counting rows")?;
        Ok(sql::counts_from_row(&row))
    }

    /// A digest of every stored listing and capture: equal digests mean equal contents.
    async fn content_digest(&self) -> Result<String> {
        let mut digest = sql::Digest::default();
        let mut rows = sqlx::query(sql::DIGEST_ROWS).fetch(&self.pool);
        while let Some(row) = rows
            .try_next()
            .await
            .context("reading rows for the digest")?
        {
            digest.add(
                row.get(0),
                row.get(1),
                &ts(row.get(2))?,
                &ts(row.get(3))?,
                row.get(4),
                &ts(row.get(5))?,
                &ts(row.get(6))?,
                row.get(7),
            );
        }
        Ok(digest.finish())
    }

    /// Calls `f` for every listing, ordered by `(source, external_id)`.
    async fn for_each_listing(
        &self,
        f: &mut dyn FnMut(ListingCaptures) -> std::io::Result<()>,
    ) -> Result<()> {
        let mut grouper = sql::ListingGrouper::default();
        let mut rows = sqlx::query(sql::LISTING_CAPTURES).fetch(&self.pool);
        while let Some(row) = rows.try_next().await.context("reading listings")? {
            let id: i64 = row.get(0);
            if let Some(done) = grouper.next_listing(id) {
                f(done).map_err(StoreError::Callback)?;
            }
            grouper.add(
                id,
                row.get(1),
                row.get(2),
                ts(row.get(3))?,
                ts(row.get(4))?,
                StoredRaw {
                    format: row.get(5),
                    zstd: row.get(6),
                },
            );
        }
        if let Some(done) = grouper.finish() {
            f(done).map_err(StoreError::Callback)?;
        }
        Ok(())
    }

    /// Migrations applied to this database.
    async fn applied_migrations(&self) -> Result<Vec<AppliedMigration>> {
        let rows = sqlx::query(sql::APPLIED_MIGRATIONS)
            .fetch_all(&self.pool)
            .await
            .context("listing migrations")?;
        Ok(rows
            .iter()
            .map(|r| AppliedMigration {
                version: r.get(0),
                description: r.get(1),
            })
            .collect())
    }
}

impl IngestTx for SqliteTx {
    /// Stores a batch: listings upserted, new captures inserted, repeats widen stored spans.
    async fn write_batch(&mut self, batch: &[ValidCapture]) -> Result<BatchOutcome> {
        let spans = plan::listing_spans(batch);
        for chunk in chunks(&spans) {
            let mut q = QueryBuilder::<Sqlite>::new(UPSERT_LISTINGS_HEAD);
            q.push_values(chunk, |mut b, span| {
                b.push_bind(span.source)
                    .push_bind(span.external_id)
                    .push_bind(span.first.to_storage_text())
                    .push_bind(span.last.to_storage_text());
            });
            q.push(UPSERT_LISTINGS_TAIL);
            q.build()
                .execute(&mut *self.tx)
                .await
                .context("upserting listings")?;
        }

        let mut existing = Vec::new();
        for chunk in chunks(&spans) {
            let mut q = QueryBuilder::<Sqlite>::new(EXISTING_HEAD);
            q.push_values(chunk, |mut b, span| {
                b.push_bind(span.source).push_bind(span.external_id);
            });
            q.push(EXISTING_TAIL);
            let rows = q
                .build()
                .fetch_all(&mut *self.tx)
                .await
                .context("looking up stored captures")?;
            for row in rows {
                existing.push(Existing {
                    id: row.get(0),
                    listing: (row.get(1), row.get(2)),
                    content_hash: sql::hash_from_row(row.get(3))?,
                    first: ts(row.get(4))?,
                    last: ts(row.get(5))?,
                });
            }
        }
        let (groups, repeats) = plan::capture_groups(batch);
        let write = plan::plan(groups, repeats, &existing);

        let mut stored = 0;
        for chunk in chunks(&write.inserts) {
            let mut q = QueryBuilder::<Sqlite>::new(INSERT_CAPTURES_HEAD);
            q.push_values(chunk, |mut b, g| {
                b.push_bind(g.listing.0)
                    .push_bind(g.listing.1)
                    .push_bind(&g.capture.content_hash.0[..])
                    .push_bind(g.first.to_storage_text())
                    .push_bind(g.last.to_storage_text())
                    .push_bind(g.capture.raw_format)
                    .push_bind(g.capture.raw_zstd.as_slice());
            });
            q.push(INSERT_CAPTURES_MIDDLE);
            q.push_bind(self.run.0);
            q.push(INSERT_CAPTURES_TAIL);
            stored += q
                .build()
                .execute(&mut *self.tx)
                .await
                .context("inserting captures")?
                .rows_affected();
        }
        for chunk in chunks(&write.widen) {
            let mut q = QueryBuilder::<Sqlite>::new(WIDEN_CAPTURES_HEAD);
            q.push_values(chunk, |mut b, (id, first, last)| {
                b.push_bind(*id)
                    .push_bind(first.to_storage_text())
                    .push_bind(last.to_storage_text());
            });
            q.push(WIDEN_CAPTURES_TAIL);
            q.build()
                .execute(&mut *self.tx)
                .await
                .context("widening captures' time spans")?;
        }
        let raced = write.inserts.len() as u64 - stored;
        Ok(BatchOutcome {
            stored,
            duplicates: write.duplicates + raced,
        })
    }

    /// Commits every batch written in this transaction.
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.context("committing a batch")
    }

    /// Discards every batch written in this transaction.
    async fn rollback(self) -> Result<()> {
        self.tx.rollback().await.context("rolling back")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_in_few_shapes() {
        for n in [0, 1, 3, 4, 5, 255, 256, 257, 1_999, 2_000] {
            let items: Vec<usize> = (0..n).collect();
            let cut: Vec<&[usize]> = chunks(&items).collect();
            assert_eq!(cut.concat(), items, "n = {n}");
            assert!(
                cut.iter().all(|c| CHUNK_SIZES.contains(&c.len())),
                "n = {n}"
            );
            assert!(
                cut.windows(2).all(|w| w[0].len() >= w[1].len()),
                "largest first, n = {n}"
            );
        }
    }
}
