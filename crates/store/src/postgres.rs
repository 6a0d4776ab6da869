//! PostgreSQL, for force-wide deployments: the system of record with its own replication and
//! backups. Same contract as SQLite; timestamps are `timestamptz`.

use std::time::Duration;

use futures_util::TryStreamExt;
use lantern_core::{Timestamp, ValidCapture};
use sqlx::postgres::{PgPool, PgPoolCopyExt, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};
use time::OffsetDateTime;

use crate::error::{DbContext, Result, StoreError};
use crate::model::StoredRaw;
use crate::model::{
    AppliedMigration, BatchOutcome, IngestRun, ListingCaptures, NewRun, RunCounts, RunId,
    RunStatus, StoreCounts,
};
use crate::plan::{self, Existing};
use crate::postgres_copy::{CopyFields, CopyRow, copy_in, copy_out};
use crate::{CaptureStore, IngestTx, migrations, sql};

/// A store on a PostgreSQL server.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
}

/// An open write transaction on PostgreSQL.
pub struct PostgresTx {
    tx: Transaction<'static, Postgres>,
    run: RunId,
}

const UPSERT_LISTINGS: &str = "INSERT INTO listings (source, external_id, first_seen, last_seen) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) \
     ON CONFLICT (source, external_id) DO UPDATE SET \
     first_seen = LEAST(listings.first_seen, excluded.first_seen), \
     last_seen = GREATEST(listings.last_seen, excluded.last_seen)";

const EXISTING: &str = "SELECT c.id, l.source, l.external_id, c.content_hash, c.first_captured_at, \
     c.last_captured_at FROM UNNEST($1::text[], $2::text[]) AS k (source, external_id) \
     JOIN listings l ON l.source = k.source AND l.external_id = k.external_id \
     JOIN captures c ON c.listing_id = l.id";

const INSERT_CAPTURES: &str = "INSERT INTO captures (listing_id, content_hash, first_captured_at, \
     last_captured_at, raw_format, raw_zstd, ingest_run_id) \
     SELECT l.id, v.content_hash, v.first_at, v.last_at, v.raw_format, v.raw_zstd, $8 \
     FROM UNNEST($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::timestamptz[], $6::text[], \
     $7::bytea[]) AS v (source, external_id, content_hash, first_at, last_at, raw_format, raw_zstd) \
     JOIN listings l ON l.source = v.source AND l.external_id = v.external_id \
     ON CONFLICT (listing_id, content_hash) DO NOTHING";

const WIDEN_CAPTURES: &str = "UPDATE captures SET first_captured_at = v.first_at, last_captured_at = v.last_at \
     FROM UNNEST($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS v (id, first_at, last_at) \
     WHERE captures.id = v.id";

fn ts(value: OffsetDateTime) -> Result<Timestamp> {
    Timestamp::from_datetime(value)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {value}: {e}")))
}

impl PostgresStore {
    /// Connects to `url` and applies pending migrations (serialised by sqlx's advisory lock).
    pub async fn open(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        migrations::migrator(migrations::POSTGRES)
            .run(&pool)
            .await?;
        Ok(Self { pool })
    }
}

impl CaptureStore for PostgresStore {
    type Tx = PostgresTx;

    /// Closes the pool.
    async fn close(&self) {
        self.pool.close().await;
    }

    /// Records the start of an ingest run.
    async fn start_run(&self, run: &NewRun) -> Result<RunId> {
        let files = serde_json::to_string(&run.files).unwrap_or_default();
        let id: i64 = sqlx::query_scalar(sql::START_RUN)
            .bind(run.started_at.as_datetime())
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
            .bind(Timestamp::now().as_datetime())
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
    async fn begin(&self, run: RunId) -> Result<PostgresTx> {
        let tx = self
            .pool
            .begin()
            .await
            .context("starting a write transaction")?;
        Ok(PostgresTx { tx, run })
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

impl IngestTx for PostgresTx {
    /// Stores a batch: listings upserted, new captures inserted, repeats widen stored spans.
    async fn write_batch(&mut self, batch: Vec<ValidCapture>) -> Result<BatchOutcome> {
        let batch = batch.as_slice();
        // PostgreSQL takes whole columns as arrays: four statements a batch, whatever its size,
        // each planned once.
        let spans = plan::listing_spans(batch);
        let sources: Vec<&str> = spans.iter().map(|s| s.source).collect();
        let external_ids: Vec<&str> = spans.iter().map(|s| s.external_id).collect();
        sqlx::query(UPSERT_LISTINGS)
            .bind(&sources)
            .bind(&external_ids)
            .bind(
                spans
                    .iter()
                    .map(|s| s.first.as_datetime())
                    .collect::<Vec<_>>(),
            )
            .bind(
                spans
                    .iter()
                    .map(|s| s.last.as_datetime())
                    .collect::<Vec<_>>(),
            )
            .execute(&mut *self.tx)
            .await
            .context("upserting listings")?;

        let rows = sqlx::query(EXISTING)
            .bind(&sources)
            .bind(&external_ids)
            .fetch_all(&mut *self.tx)
            .await
            .context("looking up stored captures")?;
        let mut existing = Vec::with_capacity(rows.len());
        for row in rows {
            existing.push(Existing {
                id: row.get(0),
                listing: (row.get(1), row.get(2)),
                content_hash: sql::hash_from_row(row.get(3))?,
                first: ts(row.get(4))?,
                last: ts(row.get(5))?,
            });
        }
        let (groups, repeats) = plan::capture_groups(batch);
        let write = plan::plan(groups, repeats, &existing);

        let mut stored = 0;
        if !write.inserts.is_empty() {
            let ins = &write.inserts;
            stored = sqlx::query(INSERT_CAPTURES)
                .bind(ins.iter().map(|g| g.listing.0).collect::<Vec<_>>())
                .bind(ins.iter().map(|g| g.listing.1).collect::<Vec<_>>())
                .bind(
                    ins.iter()
                        .map(|g| &g.capture.content_hash.0[..])
                        .collect::<Vec<_>>(),
                )
                .bind(
                    ins.iter()
                        .map(|g| g.first.as_datetime())
                        .collect::<Vec<_>>(),
                )
                .bind(ins.iter().map(|g| g.last.as_datetime()).collect::<Vec<_>>())
                .bind(ins.iter().map(|g| g.capture.raw_format).collect::<Vec<_>>())
                .bind(
                    ins.iter()
                        .map(|g| g.capture.raw_zstd.as_slice())
                        .collect::<Vec<_>>(),
                )
                .bind(self.run.0)
                .execute(&mut *self.tx)
                .await
                .context("inserting captures")?
                .rows_affected();
        }
        if !write.widen.is_empty() {
            sqlx::query(WIDEN_CAPTURES)
                .bind(write.widen.iter().map(|w| w.0).collect::<Vec<_>>())
                .bind(
                    write
                        .widen
                        .iter()
                        .map(|w| w.1.as_datetime())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    write
                        .widen
                        .iter()
                        .map(|w| w.2.as_datetime())
                        .collect::<Vec<_>>(),
                )
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

    /// Commits every batch written in this transaction (with its audit event).
    async fn commit(mut self, audit: Option<&crate::audit::AuditEvent>) -> Result<()> {
        if let Some(event) = audit {
            crate::audit::append_audit!(self.tx, event, |t: Timestamp| t.as_datetime());
        }
        self.tx.commit().await.context("committing a batch")
    }

    /// Discards every batch written in this transaction.
    async fn rollback(self) -> Result<()> {
        self.tx.rollback().await.context("rolling back")
    }
}

crate::analysis::analysis_store_impl!(PostgresStore, sqlx::Postgres, ts);

crate::visits::visit_store_impl!(
    PostgresStore,
    |t: Timestamp| t.as_datetime(),
    ts,
    crate::visits::CLUSTER_RECORDS_POSTGRES,
    crate::visits::SEARCH_POSTGRES,
    crate::visits::plain_query,
    crate::visits::LOCATIONS_WITH_STATUS_POSTGRES
);

crate::retention::retention_store_impl!(
    PostgresStore,
    sqlx::Postgres,
    |t: Timestamp| t.as_datetime(),
    ts,
    "UPDATE listing_search SET document = $2, terms = to_tsvector('simple', $2) \
     WHERE listing_id = $1"
);

crate::audit::audit_store_impl!(
    PostgresStore,
    sqlx::Postgres,
    |t: Timestamp| t.as_datetime(),
    ts
);

crate::accounts::account_store_impl!(PostgresStore, |t: Timestamp| t.as_datetime(), ts);

/// Bulk reads and the save of the analysis, through sqlx.
impl PostgresStore {
    pub(crate) async fn bulk_captures_between(
        &self,
        after: i64,
        through: i64,
        order: crate::analysis::CaptureOrder,
        f: &mut dyn FnMut(crate::analysis::CaptureRow) -> std::io::Result<()>,
    ) -> Result<()> {
        let mut rows = sqlx::query(order.sql())
            .bind(after)
            .bind(through)
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.context("reading captures")? {
            f(crate::analysis::CaptureRow {
                capture_id: row.get(0),
                listing_id: row.get(1),
                raw: StoredRaw {
                    format: row.get(2),
                    zstd: row.get(3),
                },
            })
            .map_err(StoreError::Callback)?;
        }
        Ok(())
    }

    /// Every listing in key order, with its link state when asked. Two binary COPYs out on two
    /// connections at once, joined here by listing id: at 1M listings the server's joined,
    /// sorted read took 2.3-3.2 s and sqlx's row decoding as much again; the listings alone
    /// (in key order, by their unique index) and the link states alone take it 0.9 and 0.7 s.
    pub(crate) async fn bulk_listings(
        &self,
        with_links: bool,
        f: &mut dyn FnMut(crate::analysis::ListingRow) -> std::io::Result<()>,
    ) -> Result<()> {
        if !with_links {
            return self
                .copy_listings(&mut |row| f(row).map_err(StoreError::Callback))
                .await;
        }
        let (mut listings, mut links) = (Vec::new(), std::collections::HashMap::new());
        let mut listing = |row| {
            listings.push(row);
            Ok(())
        };
        let mut link = |id, state| {
            links.insert(id, state);
            Ok(())
        };
        tokio::try_join!(
            self.copy_listings(&mut listing),
            self.copy_link_states(&mut link)
        )?;
        for mut row in listings {
            row.link = links.remove(&row.listing_id);
            f(row).map_err(StoreError::Callback)?;
        }
        Ok(())
    }

    /// Runs the COPY out joined from `statement`'s fixed fragments on a pooled connection and
    /// hands `row` each of its rows of `columns` fields; returns the rows read.
    async fn copy_query_out(
        &self,
        statement: &[&'static str],
        columns: i16,
        what: &'static str,
        row: impl FnMut(&mut CopyFields<'_>) -> Result<()>,
    ) -> Result<u64> {
        let statement = fixed_sql(statement);
        let data = self.pool.copy_out_raw(&statement.0).await.context(what)?;
        copy_out(data, columns, row).await
    }

    /// Every listing in key order, without its link state.
    async fn copy_listings(
        &self,
        f: &mut dyn FnMut(crate::analysis::ListingRow) -> Result<()>,
    ) -> Result<()> {
        let query = ["COPY (", crate::analysis::LISTINGS, COPY_OUT_TAIL];
        self.copy_query_out(&query, 5, "reading listings", |row| {
            f(crate::analysis::ListingRow {
                listing_id: row.bigint()?,
                source: row.text()?.to_owned(),
                external_id: row.text()?.to_owned(),
                first_seen: copied_timestamp(row.unix_micros()?)?,
                last_seen: copied_timestamp(row.unix_micros()?)?,
                link: None,
            })
        })
        .await?;
        Ok(())
    }

    /// Every stored link state with its listing id, in no order.
    async fn copy_link_states(
        &self,
        f: &mut dyn FnMut(i64, crate::analysis::LinkState) -> Result<()>,
    ) -> Result<()> {
        let query = ["COPY (", LINK_STATES, COPY_OUT_TAIL];
        self.copy_query_out(&query, 4, "reading link states", |row| {
            let id = row.bigint()?;
            let state = crate::analysis::LinkState {
                last_seen: copied_timestamp(row.unix_micros()?)?,
                cluster: row.text()?.to_owned(),
                sketch: row.bytes()?.to_vec(),
            };
            f(id, state)
        })
        .await?;
        Ok(())
    }

    /// Every record of `kind` in key order: a binary COPY out (`kind` is written into the
    /// statement, which COPY cannot bind: it is one of [`RecordKind`]'s fixed names).
    ///
    /// [`RecordKind`]: crate::analysis::RecordKind
    pub(crate) async fn bulk_records_of_kind(
        &self,
        kind: crate::analysis::RecordKind,
        f: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    ) -> Result<u64> {
        let query = [
            "COPY (SELECT record FROM analysis_records WHERE kind = '",
            kind.as_str(),
            "' ORDER BY sort_a, sort_b",
            COPY_OUT_TAIL,
        ];
        self.copy_query_out(&query, 1, "reading records", |row| {
            f(row.text()?).map_err(StoreError::Callback)
        })
        .await
    }

    pub(crate) async fn bulk_record_digests(
        &self,
    ) -> Result<std::collections::HashMap<crate::analysis::RecordKey, i64>> {
        use crate::analysis::RecordKind;
        let mut held = std::collections::HashMap::new();
        let mut rows = sqlx::query(crate::analysis::RECORD_DIGESTS).fetch(&self.pool);
        while let Some(row) = rows
            .try_next()
            .await
            .context("reading stored record digests")?
        {
            let kind: String = row.get(0);
            let kind = RecordKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("analysis record of kind {kind:?}")))?;
            held.insert((kind, row.get(1), row.get(2)), row.get::<i64, _>(3));
        }
        Ok(held)
    }

    /// The search terms of `search`'s documents (see [`SEARCH_TERMS`]), made by the server on a
    /// connection of their own: a million documents' terms take it about a minute, which this
    /// way runs beside the save's other writes instead of after them (the terms column was
    /// generated until migration 12 and held the same values).
    async fn search_terms(&self, search: &[(i64, String)]) -> Result<Vec<Vec<u8>>> {
        let mut terms = Vec::with_capacity(search.len());
        if search.is_empty() {
            return Ok(terms);
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .context("connecting to make search terms")?;
        for chunk in search.chunks(SEARCH_TERMS_CHUNK) {
            let documents: Vec<&str> = chunk.iter().map(|(_, doc)| doc.as_str()).collect();
            let made: Vec<Vec<u8>> = sqlx::query_scalar(SEARCH_TERMS)
                .bind(documents)
                .fetch_all(&mut *conn)
                .await
                .context("making search terms")?;
            if made.len() != chunk.len() {
                return Err(StoreError::Corrupt(format!(
                    "the server made search terms for {} of {} documents",
                    made.len(),
                    chunk.len()
                )));
            }
            terms.extend(made);
        }
        Ok(terms)
    }

    /// The analysis save, in one transaction: each table's rows go through binary COPY (see
    /// [`copy_upsert`]). PostgreSQL keeps the records' indexes through a bulk save; dropping one
    /// would lock readers out until commit.
    pub(crate) async fn bulk_save_analysis(
        &self,
        mut save: crate::analysis::AnalysisSave,
    ) -> Result<crate::analysis::SaveOutcome> {
        use crate::analysis as a;
        let evidence = std::mem::take(&mut save.evidence);
        let evidence_written = evidence.len();
        let search = std::mem::take(&mut save.search);
        let (write, delete) = (a::in_write_order(&save.write), &save.delete);
        let mut tx = self
            .pool
            .begin()
            .await
            .context("starting the analysis write")?;
        // The search terms are made on a second connection while this one writes the rest.
        let writes = async {
            if save.replace_all_evidence {
                sqlx::query(a::DELETE_ALL_EVIDENCE)
                    .execute(&mut *tx)
                    .await
                    .context("clearing evidence")?;
                sqlx::query(a::DELETE_ALL_SEARCH)
                    .execute(&mut *tx)
                    .await
                    .context("clearing the search index")?;
            }
            copy_upsert(&mut tx, &EVIDENCE_TABLE, &evidence, |row, (id, blob)| {
                row.bigint(*id).bytes(blob)?;
                Ok(())
            })
            .await?;
            drop(evidence);
            if !delete.is_empty() {
                delete_records(&mut tx, delete).await?;
            }
            copy_upsert(&mut tx, &RECORDS_TABLE, write.iter().copied(), |row, r| {
                let lookups = r.lookups()?;
                row.text(r.kind.as_str())?
                    .text(&r.sort_a)?
                    .text(&r.sort_b)?
                    .bigint(r.digest)
                    .text(&r.json)?
                    .text_or_null(lookups.cluster.as_deref())?
                    .text_or_null(lookups.status.as_deref())?;
                Ok(())
            })
            .await?;
            if save.replace_all_links {
                sqlx::query(a::DELETE_ALL_LINKS)
                    .execute(&mut *tx)
                    .await
                    .context("clearing link states")?;
            }
            copy_upsert(&mut tx, &LINKS_TABLE, &save.links, |row, (id, state)| {
                row.bigint(*id)
                    .timestamptz(state.last_seen.as_datetime())
                    .text(&state.cluster)?
                    .bytes(&state.sketch)?;
                Ok(())
            })
            .await
        };
        let (terms, ()) = tokio::try_join!(self.search_terms(&search), writes)?;
        let documents = search.iter().zip(&terms);
        copy_upsert(
            &mut tx,
            &SEARCH_TABLE,
            documents,
            |row, ((id, doc), terms)| {
                row.bigint(*id).text(doc)?.bytes(terms)?;
                Ok(())
            },
        )
        .await?;
        let outcome = a::SaveOutcome {
            written: write.len() as u64,
            deleted: delete.len() as u64,
        };
        for id in &save.reanalysed {
            sqlx::query(a::UNMARK_REANALYSE)
                .bind(*id)
                .execute(&mut *tx)
                .await
                .context("taking a listing off the list to analyse again")?;
        }
        if let Some(event) = &save.audit {
            crate::audit::append_audit!(tx, event, |t: Timestamp| t.as_datetime());
        }
        sqlx::query(a::INSERT_RUN)
            .bind(save.started_at.as_datetime())
            .bind(Timestamp::now().as_datetime())
            .bind(save.mode)
            .bind(save.through_capture_id)
            .bind(save.evidence_version)
            .bind(save.captures_read as i64)
            .bind(evidence_written as i64)
            .bind(outcome.written as i64)
            .bind(outcome.deleted as i64)
            .bind(&save.settings_digest)
            .execute(&mut *tx)
            .await
            .context("recording the analysis run")?;
        tx.commit().await.context("committing the analysis")?;
        Ok(outcome)
    }
}

/// Every stored link state, in no order (see [`PostgresStore::bulk_listings`]).
const LINK_STATES: &str = "SELECT listing_id, last_seen, cluster, sketch FROM listing_links";

/// Ends a `COPY (query` that sends its rows out in binary.
const COPY_OUT_TAIL: &str = ") TO STDOUT (FORMAT binary)";

/// A timestamp read from a binary COPY (microseconds since the Unix epoch).
fn copied_timestamp(micros: i64) -> Result<Timestamp> {
    Timestamp::from_unix_micros(micros)
        .map_err(|e| StoreError::Corrupt(format!("timestamp of {micros} µs: {e}")))
}

/// Deletes the records whose keys are given as three parallel arrays.
const DELETE_RECORDS: &str = "DELETE FROM analysis_records r \
     USING UNNEST($1::text[], $2::text[], $3::text[]) AS k (kind, sort_a, sort_b) \
     WHERE r.kind = k.kind AND r.sort_a = k.sort_a AND r.sort_b = k.sort_b";

/// The staging table of a bulk write is this followed by its table's name.
const STAGE_PREFIX: &str = "lantern_stage_";

/// Each document's search terms as `to_tsvector('simple', ...)` makes them, in PostgreSQL's binary
/// form, in the order of the documents given (`$1`).
const SEARCH_TERMS: &str = "SELECT tsvectorsend(to_tsvector('simple', u.document)) \
     FROM UNNEST($1::text[]) WITH ORDINALITY AS u (document, n) ORDER BY u.n";

/// Documents per statement making search terms.
const SEARCH_TERMS_CHUNK: usize = 5_000;

/// Deletes the records with these keys.
async fn delete_records(
    tx: &mut Transaction<'static, Postgres>,
    keys: &[crate::analysis::RecordKey],
) -> Result<()> {
    let mut kinds = Vec::with_capacity(keys.len());
    let (mut sort_a, mut sort_b) = (kinds.clone(), kinds.clone());
    for (kind, ka, kb) in keys {
        kinds.push(kind.as_str());
        sort_a.push(ka.as_str());
        sort_b.push(kb.as_str());
    }
    sqlx::query(DELETE_RECORDS)
        .bind(kinds)
        .bind(sort_a)
        .bind(sort_b)
        .execute(&mut **tx)
        .await
        .context("deleting records")?;
    Ok(())
}

/// A table the analysis save writes in bulk.
struct BulkTable {
    /// Its name.
    name: &'static str,
    /// The columns written, in COPY order, separated by commas.
    columns: &'static str,
    /// The `ON CONFLICT ... DO UPDATE` clause that makes an insert an upsert.
    upsert_tail: &'static str,
}

const EVIDENCE_TABLE: BulkTable = BulkTable {
    name: "listing_evidence",
    columns: "listing_id, evidence",
    upsert_tail: crate::analysis::UPSERT_EVIDENCE_TAIL,
};

const SEARCH_TABLE: BulkTable = BulkTable {
    name: "listing_search",
    columns: "listing_id, document, terms",
    upsert_tail: " ON CONFLICT (listing_id) DO UPDATE SET document = excluded.document, \
         terms = excluded.terms",
};

const RECORDS_TABLE: BulkTable = BulkTable {
    name: "analysis_records",
    columns: "kind, sort_a, sort_b, digest, record, cluster, status",
    upsert_tail: crate::analysis::UPSERT_RECORDS_TAIL,
};

const LINKS_TABLE: BulkTable = BulkTable {
    name: "listing_links",
    columns: "listing_id, last_seen, cluster, sketch",
    upsert_tail: crate::analysis::UPSERT_LINKS_TAIL,
};

/// How many columns a comma-separated list names.
fn column_count(columns: &str) -> i16 {
    1 + columns.bytes().filter(|&b| b == b',').count() as i16
}

/// Writes `rows` into `table` within `tx`, replacing rows with the same key. An empty table
/// (the first analysis, or a full one that has just cleared it) takes the rows by a COPY straight
/// into it; otherwise they are copied into a staging table dropped at commit and upserted from
/// there in one statement.
async fn copy_upsert<T>(
    tx: &mut Transaction<'static, Postgres>,
    table: &BulkTable,
    rows: impl IntoIterator<Item = T>,
    encode: impl FnMut(&mut CopyRow<'_>, T) -> Result<()>,
) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_none() {
        return Ok(());
    }
    let BulkTable {
        name,
        columns,
        upsert_tail,
    } = table;
    let column_count = column_count(columns);
    let holds_rows: bool =
        sqlx::query_scalar(fixed_sql(&["SELECT EXISTS (SELECT 1 FROM ", name, ")"]))
            .fetch_one(&mut **tx)
            .await
            .context("looking for rows to replace")?;
    let copy = |into: &[&'static str]| {
        let mut parts = vec!["COPY "];
        parts.extend_from_slice(into);
        parts.extend_from_slice(&[" (", columns, ") FROM STDIN (FORMAT binary)"]);
        fixed_sql(&parts)
    };
    if !holds_rows {
        copy_in(tx, &copy(&[name]).0, column_count, rows, encode).await?;
        return Ok(());
    }
    let stage = [STAGE_PREFIX, name];
    sqlx::query(fixed_sql(&[
        "CREATE TEMPORARY TABLE ",
        STAGE_PREFIX,
        name,
        " (LIKE ",
        name,
        ") ON COMMIT DROP",
    ]))
    .execute(&mut **tx)
    .await
    .context("making a staging table")?;
    copy_in(tx, &copy(&stage).0, column_count, rows, encode).await?;
    sqlx::query(fixed_sql(&[
        "INSERT INTO ",
        name,
        " (",
        columns,
        ") SELECT ",
        columns,
        " FROM ",
        STAGE_PREFIX,
        name,
        upsert_tail,
    ]))
    .execute(&mut **tx)
    .await
    .context("upserting staged rows")?;
    sqlx::query(fixed_sql(&["DROP TABLE ", STAGE_PREFIX, name]))
        .execute(&mut **tx)
        .await
        .context("dropping a staging table")?;
    Ok(())
}

/// A statement joined from fixed fragments: each is `&'static str`, text written in this file
/// (table and column names, clauses), never a value, so the joined statement is as safe as a
/// literal. Values always travel as bound parameters or COPY data.
fn fixed_sql(parts: &[&'static str]) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(parts.concat())
}
