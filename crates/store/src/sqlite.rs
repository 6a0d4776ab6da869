//! The embedded default: one SQLite file in the data directory, WAL journal, foreign keys on,
//! `synchronous = FULL` so that a committed batch survives a crash or power cut.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use lantern_core::{Timestamp, ValidCapture};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{DbContext, Result, StoreError};
use crate::model::StoredRaw;
use crate::model::{
    AppliedMigration, BatchOutcome, IngestRun, ListingCaptures, NewRun, RunCounts, RunId,
    RunStatus, StoreCounts,
};
use crate::sqlite_writer;
use crate::{CaptureStore, IngestTx, migrations, sql};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "lantern.sqlite3";

/// The page size a new store's file is made with.
pub const NEW_STORE_PAGE_SIZE: u32 = 16_384;

/// A store in one SQLite file: a sqlx pool for reads and bookkeeping, and one ingest writer
/// connection (module `sqlite_writer`), opened on first use and kept for its page cache.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    path: PathBuf,
    writer: Arc<Mutex<Option<WriterConnection>>>,
}

/// The writer's connection (a newtype so that the store can derive `Debug`).
struct WriterConnection(rusqlite::Connection);

impl WriterConnection {
    /// The writer's connection held in `slot`, opened first if it is not yet.
    fn opened<'a>(
        slot: &'a mut Option<WriterConnection>,
        path: &Path,
    ) -> Result<&'a rusqlite::Connection> {
        let conn = match slot.take() {
            Some(conn) => conn,
            None => WriterConnection(sqlite_writer::open(path)?),
        };
        Ok(&slot.insert(conn).0)
    }
}

impl std::fmt::Debug for WriterConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterConnection")
    }
}

/// An open write transaction on SQLite (taken with `BEGIN IMMEDIATE`, so it never deadlocks on
/// upgrade). It holds the store's writer connection until it ends; dropped without a commit, it
/// rolls back.
pub struct SqliteTx {
    writer: Option<OwnedMutexGuard<Option<WriterConnection>>>,
    run: RunId,
}

impl SqliteTx {
    /// Runs `f` on the writer connection on a blocking thread.
    async fn with_writer<T: Send + 'static>(
        &mut self,
        context: &'static str,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let guard = self.writer.take().ok_or(StoreError::Corrupt(
            "the write transaction was already ended".into(),
        ))?;
        let (guard, result) = tokio::task::spawn_blocking(move || {
            let result = match guard.as_ref() {
                Some(conn) => f(&conn.0),
                None => Err(StoreError::Corrupt(
                    "the writer connection is closed".into(),
                )),
            };
            (guard, result)
        })
        .await
        .map_err(|source| StoreError::Task { context, source })?;
        self.writer = Some(guard);
        result
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        // A transaction abandoned by an error or a cancelled task: roll back now so the write
        // lock is released at once (rolling back a WAL transaction only drops cached pages).
        if let Some(conn) = self.writer.as_ref().and_then(|g| g.as_ref()) {
            let _ = sqlite_writer::rollback(&conn.0);
        }
    }
}

/// A stored timestamp (fixed-width UTC text) back into a `Timestamp`.
pub(crate) fn ts(text: &str) -> Result<Timestamp> {
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
            // A new store's page size (an existing one keeps its own). At 1M listings a full
            // analysis writes 3.3 GB; with 16 KiB pages instead of SQLite's 4 KiB most records fit
            // their page instead of spilling into overflow pages, the file is 12% smaller and the
            // save 25% faster (BENCHMARKS.md).
            .page_size(NEW_STORE_PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // 32 MiB of page cache per connection: index pages of a large store stay hot.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory")
            // Deleted content is overwritten with zeros, so that text erased by retention (and
            // every older copy of it) leaves the file.
            .pragma("secure_delete", "on");
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
        Ok(Self {
            pool,
            path,
            writer: Arc::new(Mutex::new(None)),
        })
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
        drop(self.writer.lock().await.take());
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
        let mut guard = Arc::clone(&self.writer).lock_owned().await;
        let path = self.path.clone();
        let guard = tokio::task::spawn_blocking(move || {
            sqlite_writer::begin(WriterConnection::opened(&mut guard, &path)?)?;
            Ok::<_, StoreError>(guard)
        })
        .await
        .map_err(|source| StoreError::Task {
            context: "starting a write transaction",
            source,
        })??;
        Ok(SqliteTx {
            writer: Some(guard),
            run,
        })
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
    async fn write_batch(&mut self, batch: Vec<ValidCapture>) -> Result<BatchOutcome> {
        let run = self.run;
        self.with_writer("writing a batch", move |conn| {
            sqlite_writer::write_batch(conn, run, &batch)
        })
        .await
    }

    /// Commits every batch written in this transaction (with its audit event).
    async fn commit(mut self, audit: Option<&crate::audit::AuditEvent>) -> Result<()> {
        let audit = audit.cloned();
        self.with_writer("committing a batch", move |conn| {
            if let Some(event) = &audit {
                sqlite_writer::append_audit(conn, event)?;
            }
            sqlite_writer::commit(conn)
        })
        .await
    }

    /// Discards every batch written in this transaction.
    async fn rollback(mut self) -> Result<()> {
        self.with_writer("rolling back", sqlite_writer::rollback)
            .await
    }
}

crate::analysis::analysis_store_impl!(SqliteStore, sqlx::Sqlite, ts);

crate::visits::visit_store_impl!(
    SqliteStore,
    |t: Timestamp| t.to_storage_text(),
    ts,
    crate::visits::CLUSTER_RECORDS_SQLITE,
    crate::visits::SEARCH_SQLITE,
    crate::visits::fts5_query,
    crate::visits::LOCATIONS_WITH_STATUS_SQLITE
);

impl SqliteStore {
    /// Checkpoints the write-ahead log into the database file and truncates it.
    pub async fn checkpoint(&self) -> Result<()> {
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await
            .context("checkpointing the write-ahead log")?;
        let busy: i64 = row.get(0);
        if busy != 0 {
            return Err(StoreError::Corrupt(
                "the write-ahead log could not be checkpointed: another connection is using the \
                 store; run again when it is idle"
                    .into(),
            ));
        }
        Ok(())
    }
}

crate::retention::retention_store_impl!(
    SqliteStore,
    sqlx::Sqlite,
    |t: Timestamp| t.to_storage_text(),
    ts,
    "UPDATE listing_search SET document = $2 WHERE rowid = $1"
);

crate::audit::audit_store_impl!(
    SqliteStore,
    sqlx::Sqlite,
    |t: Timestamp| t.to_storage_text(),
    |s: String| ts(&s)
);

crate::accounts::account_store_impl!(SqliteStore, |t: Timestamp| t.to_storage_text(), ts);

/// Bulk reads of the analysis, through rusqlite (module `sqlite_reader`). They block the calling
/// thread (telling a multi-threaded runtime so) and are `async` only to share the analysis
/// contract's shape with PostgreSQL's. The save runs on the writer connection.
#[allow(clippy::unused_async)]
impl SqliteStore {
    pub(crate) async fn bulk_captures_between(
        &self,
        after: i64,
        through: i64,
        order: crate::analysis::CaptureOrder,
        f: &mut dyn FnMut(crate::analysis::CaptureRow) -> std::io::Result<()>,
    ) -> Result<()> {
        crate::sqlite_reader::captures_between(&self.path, after, through, order, f)
    }

    pub(crate) async fn bulk_listings(
        &self,
        with_links: bool,
        f: &mut dyn FnMut(crate::analysis::ListingRow) -> std::io::Result<()>,
    ) -> Result<()> {
        crate::sqlite_reader::listings(&self.path, with_links, f)
    }

    pub(crate) async fn bulk_record_digests(
        &self,
    ) -> Result<std::collections::HashMap<crate::analysis::RecordKey, i64>> {
        crate::sqlite_reader::record_digests(&self.path)
    }

    pub(crate) async fn bulk_records_of_kind(
        &self,
        kind: crate::analysis::RecordKind,
        f: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        crate::sqlite_reader::records_of_kind(&self.path, kind, f)
    }

    /// The analysis save, on the store's writer connection (module `sqlite_analysis_save`).
    pub(crate) async fn bulk_save_analysis(
        &self,
        save: crate::analysis::AnalysisSave,
    ) -> Result<crate::analysis::SaveOutcome> {
        let mut guard = Arc::clone(&self.writer).lock_owned().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            crate::sqlite_analysis_save::save_analysis(
                WriterConnection::opened(&mut guard, &path)?,
                save,
                crate::analysis::RECORD_INDEXES_SQLITE,
            )
        })
        .await
        .map_err(|source| StoreError::Task {
            context: "saving the analysis",
            source,
        })?
    }
}
