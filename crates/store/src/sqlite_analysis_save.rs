//! The analysis save on SQLite through rusqlite: one transaction on the store's writer
//! connection, each table written row by row through one prepared statement.
//!
//! Why not sqlx here: at 1M listings a full save writes 2.16M records, a million evidence blobs,
//! search documents and link states; sqlx's SQLite driver hands every statement and its copied
//! arguments to a worker thread, and its multi-row statements are built and bound a value at a
//! time. The statements are the same parameterised text as PostgreSQL's (module `analysis`), one
//! row each.

use rusqlite::{Connection, params};

use crate::analysis::{self, AnalysisSave, LinkState, RecordIndex, RecordLookups, SaveOutcome};
use crate::error::{Result, StoreError};
use crate::sqlite_writer::{self, db};

/// Records whose lookups are read at a time.
const LOOKUP_CHUNK: usize = 4_096;

/// Clears the whole search index by dropping the table and making it again exactly as the
/// migrations left it (0005 made it; 0009 and 0011 configured it; a test compares the two).
/// Deleting a million documents one by one, each removing its terms from the index at once
/// (`secure-delete`), took 6 s per 20,000 at 1M listings: a `--full` re-run spent 824 s on its
/// save. Dropping the table frees its pages (zeroed: `secure_delete`) in 3 s.
pub(crate) const RECREATE_SEARCH: &str = "DROP TABLE listing_search;
CREATE VIRTUAL TABLE listing_search USING fts5(
    document,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO listing_search (listing_search, rank) VALUES ('secure-delete', 1);
INSERT INTO listing_search (listing_search, rank) VALUES ('hashsize', 16777216);";

/// Replaces a listing's search document: FTS5 tables have no upsert.
const DELETE_SEARCH: &str = "DELETE FROM listing_search WHERE rowid = $1";

/// Writes `save` in one transaction on `conn` (rolled back on any error). The evidence, search
/// documents and link states are dropped as they are written: at 1M listings they are a gigabyte
/// of the analysis' peak memory, which falls at the start of the save.
pub(crate) fn save_analysis(
    conn: &Connection,
    save: AnalysisSave,
    record_indexes: &[RecordIndex],
) -> Result<SaveOutcome> {
    sqlite_writer::begin(conn)?;
    let outcome = write(conn, save, record_indexes)
        .and_then(|outcome| sqlite_writer::commit(conn).map(|()| outcome));
    if outcome.is_err() {
        // Best effort: the error being returned is the one that matters.
        let _ = sqlite_writer::rollback(conn);
    }
    outcome
}

fn write(
    conn: &Connection,
    mut save: AnalysisSave,
    record_indexes: &[RecordIndex],
) -> Result<SaveOutcome> {
    let listings_updated = save.evidence.len() as i64;
    let replace_all = save.replace_all_evidence;
    write_evidence(conn, std::mem::take(&mut save.evidence), replace_all)?;
    write_search(conn, std::mem::take(&mut save.search), replace_all)?;
    write_records(conn, &save, record_indexes)?;
    write_links(
        conn,
        std::mem::take(&mut save.links),
        save.replace_all_links,
    )?;
    let outcome = SaveOutcome {
        written: save.write.len() as u64,
        deleted: save.delete.len() as u64,
    };
    let mut unmark = conn
        .prepare(analysis::UNMARK_REANALYSE)
        .map_err(db("taking listings off the list to analyse again"))?;
    for id in &save.reanalysed {
        unmark
            .execute(params![id])
            .map_err(db("taking a listing off the list to analyse again"))?;
    }
    if let Some(event) = &save.audit {
        sqlite_writer::append_audit(conn, event)?;
    }
    conn.execute(
        analysis::INSERT_RUN,
        params![
            save.started_at.to_storage_text(),
            lantern_core::Timestamp::now().to_storage_text(),
            save.mode,
            save.through_capture_id,
            save.evidence_version,
            save.captures_read as i64,
            listings_updated,
            outcome.written as i64,
            outcome.deleted as i64,
            save.settings_digest,
        ],
    )
    .map_err(db("recording the analysis run"))?;
    Ok(outcome)
}

fn write_evidence(
    conn: &Connection,
    evidence: Vec<(i64, Vec<u8>)>,
    replace_all: bool,
) -> Result<()> {
    if replace_all {
        conn.execute(analysis::DELETE_ALL_EVIDENCE, [])
            .map_err(db("clearing evidence"))?;
    }
    let upsert = format!(
        "{}VALUES ($1, $2){}",
        analysis::UPSERT_EVIDENCE,
        analysis::UPSERT_EVIDENCE_TAIL
    );
    let mut upsert = conn.prepare(&upsert).map_err(db("writing evidence"))?;
    for (id, blob) in evidence {
        upsert
            .execute(params![id, blob])
            .map_err(db("writing evidence"))?;
    }
    Ok(())
}

fn write_search(conn: &Connection, search: Vec<(i64, String)>, replace_all: bool) -> Result<()> {
    if replace_all {
        conn.execute_batch(RECREATE_SEARCH)
            .map_err(db("clearing the search index"))?;
    }
    let insert = format!("{}VALUES ($1, $2)", analysis::INSERT_SEARCH_SQLITE);
    let mut insert = conn
        .prepare(&insert)
        .map_err(db("writing search documents"))?;
    let mut delete = conn
        .prepare(DELETE_SEARCH)
        .map_err(db("clearing search documents"))?;
    for (id, document) in search {
        // After clearing the whole index there is nothing to replace.
        if !replace_all {
            delete
                .execute(params![id])
                .map_err(db("clearing a search document"))?;
        }
        insert
            .execute(params![id, document])
            .map_err(db("writing a search document"))?;
    }
    Ok(())
}

fn write_records(
    conn: &Connection,
    save: &AnalysisSave,
    record_indexes: &[RecordIndex],
) -> Result<()> {
    let mut delete = conn
        .prepare(analysis::DELETE_RECORD)
        .map_err(db("deleting records"))?;
    for (kind, a, b) in &save.delete {
        delete
            .execute(params![kind.as_str(), a, b])
            .map_err(db("deleting a record"))?;
    }
    let rebuild = save.replace_all_evidence
        && !record_indexes.is_empty()
        && save.write.len() >= analysis::REBUILD_INDEXES_FROM
        && {
            let held: i64 = conn
                .query_row(analysis::COUNT_RECORDS, [], |row| row.get(0))
                .map_err(db("counting records"))?;
            save.write.len() as i64 >= held
        };
    if rebuild {
        for &(_, drop, _) in record_indexes {
            conn.execute(drop, [])
                .map_err(db("dropping a record index before a bulk write"))?;
        }
    }
    let upsert = format!(
        "{}VALUES ($1, $2, $3, $4, $5, $6, $7){}",
        analysis::UPSERT_RECORDS,
        analysis::UPSERT_RECORDS_TAIL
    );
    let mut upsert = conn.prepare(&upsert).map_err(db("writing records"))?;
    let ordered = analysis::in_write_order(&save.write);
    // Each record's lookups are read from its JSON on the other core, a chunk ahead of the
    // writes.
    std::thread::scope(|scope| {
        let (send, lookups) = std::sync::mpsc::sync_channel(2);
        let ahead = ordered.chunks(LOOKUP_CHUNK);
        scope.spawn(move || {
            for chunk in ahead {
                let read: Result<Vec<RecordLookups>> =
                    chunk.iter().map(|record| record.lookups()).collect();
                if send.send(read).is_err() {
                    break;
                }
            }
        });
        for (chunk, read) in ordered.chunks(LOOKUP_CHUNK).zip(lookups) {
            for (record, lookups) in chunk.iter().zip(read?) {
                upsert
                    .execute(params![
                        record.kind.as_str(),
                        record.sort_a,
                        record.sort_b,
                        record.digest,
                        record.json,
                        lookups.cluster,
                        lookups.status
                    ])
                    .map_err(db("writing a record"))?;
            }
        }
        Ok::<(), StoreError>(())
    })?;
    if rebuild {
        for &(_, _, create) in record_indexes {
            conn.execute(create, [])
                .map_err(db("building a record index again after a bulk write"))?;
        }
    }
    Ok(())
}

fn write_links(conn: &Connection, links: Vec<(i64, LinkState)>, replace_all: bool) -> Result<()> {
    if replace_all {
        conn.execute(analysis::DELETE_ALL_LINKS, [])
            .map_err(db("clearing link states"))?;
    }
    let upsert = format!(
        "{}VALUES ($1, $2, $3, $4){}",
        analysis::UPSERT_LINKS,
        analysis::UPSERT_LINKS_TAIL
    );
    let mut upsert = conn.prepare(&upsert).map_err(db("writing link states"))?;
    for (id, state) in links {
        upsert
            .execute(params![
                id,
                state.last_seen.to_storage_text(),
                state.cluster,
                state.sketch
            ])
            .map_err(db("writing a link state"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use crate::analysis::{AnalysisSave, AnalysisStore};

    /// The search table as the store holds it: its statement and its configuration.
    async fn search_table(store: &crate::SqliteStore) -> (String, Vec<(String, i64)>) {
        let sql: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'listing_search'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        let config = sqlx::query("SELECT k, v FROM listing_search_config ORDER BY k")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        (sql, config)
    }

    async fn matching(store: &crate::SqliteStore, term: &str) -> Vec<i64> {
        sqlx::query_scalar("SELECT rowid FROM listing_search WHERE listing_search MATCH $1")
            .bind(term)
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    fn save(replace_all: bool, search: Vec<(i64, String)>) -> AnalysisSave {
        AnalysisSave {
            mode: if replace_all { "full" } else { "incremental" },
            started_at: lantern_core::Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
            through_capture_id: 0,
            evidence_version: 1,
            settings_digest: String::new(),
            captures_read: 0,
            replace_all_evidence: replace_all,
            evidence: Vec::new(),
            write: Vec::new(),
            delete: Vec::new(),
            search,
            replace_all_links: replace_all,
            links: Vec::new(),
            audit: None,
            reanalysed: Vec::new(),
        }
    }

    /// A full save clears the search index by making the table again: it must come back exactly
    /// as the migrations made and configured it (a changed migration must change
    /// `RECREATE_SEARCH` too), holding only the new documents.
    #[tokio::test]
    async fn a_full_save_makes_the_search_table_again_as_the_migrations_did() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(dir.path()).await.unwrap();
        let migrated = search_table(&store).await;
        assert!(
            migrated.1.contains(&("secure-delete".to_owned(), 1)),
            "{migrated:?}"
        );
        store
            .save_analysis(save(false, vec![(1, "alpha digbeth".into())]))
            .await
            .unwrap();
        assert_eq!(matching(&store, "alpha").await, [1]);
        store
            .save_analysis(save(true, vec![(2, "beta digbeth".into())]))
            .await
            .unwrap();
        assert_eq!(search_table(&store).await, migrated);
        assert!(matching(&store, "alpha").await.is_empty());
        assert_eq!(matching(&store, "digbeth").await, [2]);
    }
}
