//! The store's behavioural contract, run on SQLite always and on PostgreSQL whenever
//! `LANTERN_TEST_PG_URL` is set (each test in a database of its own, created and dropped).

use lantern_store::{
    CaptureOrder, CaptureStore, IngestTx, NewRun, RunCounts, RunId, RunMode, RunStatus, Store,
    VisitStore,
};
use lantern_testkit::backends;
use lantern_testkit::fixtures::capture;

async fn start(store: &Store) -> RunId {
    let run = NewRun {
        actor: "test".into(),
        mode: RunMode::Partial,
        files: vec!["f.jsonl".into()],
        started_at: lantern_core::Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
    };
    store.start_run(&run).await.unwrap()
}

async fn write(
    store: &Store,
    run: RunId,
    batch: &[lantern_core::ValidCapture],
) -> lantern_store::BatchOutcome {
    let mut tx = store.begin(run).await.unwrap();
    let outcome = tx.write_batch(batch.to_vec()).await.unwrap();
    tx.commit(None).await.unwrap();
    outcome
}

#[tokio::test]
async fn migrations_apply_once_and_match_the_build() {
    for db in backends("store contract: migrations").await {
        let store = Store::open(&db.target).await.unwrap();
        store.close().await;
        let store = Store::open(&db.target).await.unwrap();
        let applied: Vec<(i64, String)> = store
            .applied_migrations()
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.version, m.description))
            .collect();
        let known: Vec<(i64, String)> = store
            .known_migrations()
            .into_iter()
            .map(|(v, d)| (v, d.to_owned()))
            .collect();
        assert_eq!(applied, known, "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn a_capture_is_stored_once_per_listing_and_content() {
    for db in backends("store contract: idempotent writes").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        let batch = vec![
            capture("site-a", "1", "2026-10-01T10:00:00Z", "hello"),
            capture("site-a", "1", "2026-10-01T11:00:00Z", "hello"), // same content, later
            capture("site-a", "1", "2026-10-01T12:00:00Z", "hello again"), // edited
            capture("site-b", "1", "2026-10-01T10:00:00Z", "hello"), // other site, other listing
        ];
        let first = write(&store, run, &batch).await;
        assert_eq!((first.stored, first.duplicates), (3, 1), "{}", db.backend);
        let digest = store.content_digest().await.unwrap();

        let again = write(&store, run, &batch).await;
        assert_eq!((again.stored, again.duplicates), (0, 4), "{}", db.backend);
        assert_eq!(
            store.content_digest().await.unwrap(),
            digest,
            "{}: re-writing changed the store",
            db.backend
        );
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.listings, counts.captures), (2, 3), "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn repeats_widen_time_spans_without_new_rows() {
    for db in backends("store contract: time spans").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        write(
            &store,
            run,
            &[capture("s", "1", "2026-10-05T00:00:00Z", "same")],
        )
        .await;
        let later = write(
            &store,
            run,
            &[capture("s", "1", "2026-10-09T00:00:00Z", "same")],
        )
        .await;
        let earlier = write(
            &store,
            run,
            &[capture("s", "1", "2026-10-01T00:00:00.5Z", "same")],
        )
        .await;
        assert_eq!((later.stored, earlier.stored), (0, 0), "{}", db.backend);
        let mut seen = Vec::new();
        store
            .for_each_listing(&mut |l| {
                seen.push((l.first_seen.to_rfc3339(), l.last_seen.to_rfc3339()));
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(
            seen,
            vec![(
                "2026-10-01T00:00:00.5Z".into(),
                "2026-10-09T00:00:00Z".into()
            )],
            "{}",
            db.backend
        );
        assert_eq!(store.counts().await.unwrap().captures, 1);
        store.close().await;
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_nothing() {
    for db in backends("store contract: rollback").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        let mut tx = store.begin(run).await.unwrap();
        tx.write_batch(vec![capture("s", "1", "2026-10-01T00:00:00Z", "a")])
            .await
            .unwrap();
        tx.write_batch(vec![capture("s", "2", "2026-10-01T00:00:00Z", "b")])
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.listings, counts.captures), (0, 0), "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn a_transaction_dropped_mid_way_leaves_nothing_and_frees_the_writer() {
    for db in backends("store contract: dropped transaction").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        {
            let mut tx = store.begin(run).await.unwrap();
            tx.write_batch(vec![capture("s", "1", "2026-10-01T00:00:00Z", "a")])
                .await
                .unwrap();
            // Dropped without commit or rollback, as when an ingest fails between batches.
        }
        // Bookkeeping goes through another connection: the abandoned write lock must be gone.
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            store.finish_run(run, &RunCounts::default(), RunStatus::Completed),
        )
        .await
        .expect("recording the run waited on the abandoned transaction")
        .unwrap();
        let outcome = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            write(
                &store,
                run,
                &[capture("s", "2", "2026-10-01T00:00:00Z", "b")],
            ),
        )
        .await
        .expect("the next transaction waited on the abandoned one");
        assert_eq!(outcome.stored, 1, "{}", db.backend);
        let counts = store.counts().await.unwrap();
        assert_eq!((counts.listings, counts.captures), (1, 1), "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn listings_come_back_in_code_point_order_with_their_captures() {
    for db in backends("store contract: listing order").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        let batch = vec![
            capture("site-a", "b", "2026-10-01T00:00:00Z", "x"),
            capture("site-a", "B", "2026-10-01T00:00:00Z", "x"),
            capture("site-a", "a", "2026-10-01T00:00:00Z", "x"),
            capture("site-a", "a", "2026-10-02T00:00:00Z", "y"),
            capture("site-a", "é", "2026-10-01T00:00:00Z", "x"),
        ];
        write(&store, run, &batch).await;
        let mut seen = Vec::new();
        store
            .for_each_listing(&mut |l| {
                seen.push((l.external_id, l.raws.len()));
                Ok(())
            })
            .await
            .unwrap();
        let expected = vec![
            ("B".to_owned(), 1),
            ("a".to_owned(), 2),
            ("b".to_owned(), 1),
            ("é".to_owned(), 1),
        ];
        assert_eq!(seen, expected, "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn runs_record_who_and_how_many() {
    for db in backends("store contract: ingest runs").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        let counts = RunCounts {
            read: 5,
            accepted: 4,
            stored: 3,
            duplicates: 1,
            rejected: 1,
        };
        store
            .finish_run(run, &counts, RunStatus::Completed)
            .await
            .unwrap();
        let stored = store.run(run).await.unwrap().unwrap();
        assert_eq!(
            (stored.actor.as_str(), stored.status.as_str(), stored.counts),
            ("test", "completed", counts)
        );
        assert_eq!(store.run(RunId(run.0 + 1000)).await.unwrap(), None);
        store.close().await;
    }
}

#[tokio::test]
async fn both_backends_store_the_same_contents() {
    let dbs = backends("store contract: cross-backend digest").await;
    let mut digests = Vec::new();
    for db in &dbs {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        let batch: Vec<_> = (0..50)
            .map(|i| {
                capture(
                    "site-a",
                    &format!("{}", i % 20),
                    &format!("2026-10-01T00:00:{:02}Z", i),
                    &format!("body {}", i % 30),
                )
            })
            .collect();
        write(&store, run, &batch).await;
        digests.push(store.content_digest().await.unwrap());
        store.close().await;
    }
    assert!(
        digests.windows(2).all(|w| w[0] == w[1]),
        "digests differ: {digests:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_file_is_private_and_durable() {
    use std::os::unix::fs::PermissionsExt;

    use sqlx::Connection;

    let db = lantern_testkit::TestDb::sqlite();
    let store = Store::open(&db.target).await.unwrap();
    let Store::Sqlite(sqlite) = &store else {
        panic!("expected SQLite")
    };
    let path = sqlite.path().to_owned();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "database file mode");
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "data directory mode");
    store.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        page_size,
        i64::from(lantern_store::sqlite::NEW_STORE_PAGE_SIZE),
        "a new store's page size"
    );
    let hashsize: i64 =
        sqlx::query_scalar("SELECT v FROM listing_search_config WHERE k = 'hashsize'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        hashsize,
        16 << 20,
        "terms the search index buffers in memory"
    );
}

fn stored(
    kind: lantern_store::RecordKind,
    a: &str,
    b: &str,
    json: &str,
) -> lantern_store::StoredRecord {
    lantern_store::StoredRecord {
        kind,
        sort_a: a.into(),
        sort_b: b.into(),
        digest: json.len() as i64,
        json: json.into(),
    }
}

#[tokio::test]
async fn analysis_saves_evidence_records_and_deletions() {
    use lantern_store::{AnalysisSave, AnalysisStore, RecordKind};
    for db in backends("store contract: analysis").await {
        let store = Store::open(&db.target).await.unwrap();
        assert_eq!(store.last_analysis().await.unwrap(), None);
        assert_eq!(store.max_capture_id().await.unwrap(), 0);
        assert_eq!(
            store.listings_extent().await.unwrap(),
            lantern_store::ListingsExtent::default()
        );
        let run = start(&store).await;
        write(
            &store,
            run,
            &[
                capture("site-b", "2", "2026-10-01T10:00:00Z", "two"),
                capture("site-a", "1", "2026-10-01T11:00:00Z", "one"),
            ],
        )
        .await;
        assert_eq!(
            store.listings_extent().await.unwrap(),
            lantern_store::ListingsExtent {
                count: 2,
                latest_sighting: Some(
                    lantern_core::Timestamp::parse("2026-10-01T11:00:00Z").unwrap()
                ),
            },
            "how many listings, and the latest last_seen of any"
        );
        let through = store.max_capture_id().await.unwrap();
        let read = |order| {
            let store = &store;
            async move {
                let mut captures = Vec::new();
                store
                    .captures_between(0, through, order, &mut |c| {
                        captures.push((c.capture_id, c.listing_id));
                        Ok(())
                    })
                    .await
                    .unwrap();
                captures
            }
        };
        let captures = read(CaptureOrder::Stored).await;
        assert_eq!(captures.len(), 2, "{}", db.backend);
        assert!(captures[0].0 < captures[1].0, "in id order");
        let by_listing = read(CaptureOrder::ByListing).await;
        assert_eq!(by_listing.len(), 2, "{}", db.backend);
        assert!(by_listing[0].1 < by_listing[1].1, "in listing order");
        let save = |evidence: Vec<(i64, Vec<u8>)>,
                    write: Vec<lantern_store::StoredRecord>,
                    delete: Vec<lantern_store::RecordKey>| {
            AnalysisSave {
                mode: "full",
                started_at: lantern_core::Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
                through_capture_id: through,
                evidence_version: 1,
                settings_digest: "settings-1".into(),
                captures_read: 2,
                reanalysed: Vec::new(),
                replace_all_evidence: false,
                search: evidence
                    .iter()
                    .map(|(id, _)| (*id, format!("listing{id} 07700900123 Digbeth")))
                    .collect(),
                links: evidence
                    .iter()
                    .map(|(id, _)| {
                        (
                            *id,
                            lantern_store::LinkState {
                                last_seen: lantern_core::Timestamp::parse("2026-10-01T11:00:00Z")
                                    .unwrap(),
                                cluster: format!("cluster-{id}"),
                                sketch: vec![*id as u8, 9],
                            },
                        )
                    })
                    .collect(),
                replace_all_links: false,
                audit: None,
                evidence,
                write,
                delete,
            }
        };
        let first = vec![
            stored(RecordKind::Advert, "site-b", "2", "{\"b\":2}"),
            stored(RecordKind::Advert, "site-a", "1", "{\"a\":1}"),
            stored(
                RecordKind::Location,
                "loc-1",
                "",
                "{\"l\":1,\"status\":\"new\"}",
            ),
        ];
        let evidence = captures.iter().map(|(_, l)| (*l, vec![1, 2, 3])).collect();
        let outcome = store
            .save_analysis(save(evidence, first.clone(), Vec::new()))
            .await
            .unwrap();
        assert_eq!((outcome.written, outcome.deleted), (3, 0), "{}", db.backend);
        // Search documents are written with the evidence, found by any term, replaced not
        // duplicated when written again.
        let terms = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        let hits = store
            .search_listings(&terms(&["digbeth"]), 10)
            .await
            .unwrap();
        assert_eq!(hits.len(), 2, "{}", db.backend);
        let one = format!("listing{}", captures[0].1);
        let hits = store
            .search_listings(&terms(&[&one, "07700900123"]), 10)
            .await
            .unwrap();
        assert_eq!(hits.len(), 1, "{}: {hits:?}", db.backend);
        assert!(
            store
                .search_listings(&terms(&["\"a\" OR *"]), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Locations by status, through the index.
        let new = store.locations_with_status("new").await.unwrap();
        assert_eq!(new, ["{\"l\":1,\"status\":\"new\"}"], "{}", db.backend);
        assert!(
            store
                .locations_with_status("known")
                .await
                .unwrap()
                .is_empty()
        );
        let last = store.last_analysis().await.unwrap().unwrap();
        assert_eq!(
            (
                last.through_capture_id,
                last.mode.as_str(),
                last.settings_digest.as_deref()
            ),
            (through, "full", Some("settings-1")),
            "the run as saved, with the digest of its settings"
        );
        let mut adverts = Vec::new();
        let n = store
            .for_each_record(RecordKind::Advert, &mut |j| {
                adverts.push(j.to_owned());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            adverts,
            ["{\"a\":1}", "{\"b\":2}"],
            "ordered by listing key"
        );
        // Evidence by listing id; listings in key order with the link state saved.
        let ids: Vec<i64> = captures.iter().map(|(_, l)| *l).collect();
        let mut evidence = Vec::new();
        store
            .evidence_of(&[ids[1], ids[0], 999_999], &mut |id, blob| {
                evidence.push((id, blob));
                Ok(())
            })
            .await
            .unwrap();
        evidence.sort();
        let mut expected: Vec<(i64, Vec<u8>)> = ids.iter().map(|id| (*id, vec![1, 2, 3])).collect();
        expected.sort();
        assert_eq!(evidence, expected, "{}", db.backend);
        let mut listed = Vec::new();
        store
            .listings(true, &mut |l| {
                listed.push((l.source, l.link.map(|k| (k.cluster, k.sketch))));
                Ok(())
            })
            .await
            .unwrap();
        let state = |id: i64| Some((format!("cluster-{id}"), vec![id as u8, 9]));
        let by_source = |s: &str| {
            captures
                .iter()
                .map(|(_, l)| *l)
                .find(|l| listed.iter().any(|(src, k)| src == s && *k == state(*l)))
        };
        assert_eq!(listed.len(), 2, "{}", db.backend);
        assert_eq!(listed[0].0, "site-a", "ordered by listing key");
        assert!(
            by_source("site-a").is_some() && by_source("site-b").is_some(),
            "{listed:?}"
        );
        let mut bare = Vec::new();
        store
            .listings(false, &mut |l| {
                bare.push(l.link.is_none());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(bare, [true, true]);
        // The digests come back by key; one record rewritten and one deleted.
        let held = store.record_digests().await.unwrap();
        assert_eq!(held.len(), 3);
        assert_eq!(
            held[&(RecordKind::Location, "loc-1".to_owned(), String::new())],
            first[2].digest
        );
        // The second save also rewrites one listing's evidence and search document: an upsert
        // into tables that already hold rows.
        let mut again = save(
            vec![(ids[0], vec![4, 5])],
            vec![stored(RecordKind::Advert, "site-b", "2", "{\"b\":22}")],
            vec![(RecordKind::Location, "loc-1".to_owned(), String::new())],
        );
        again.search = vec![(ids[0], format!("listing{} Moseley", ids[0]))];
        let changed = store.save_analysis(again).await.unwrap();
        assert_eq!((changed.written, changed.deleted), (1, 1), "{}", db.backend);
        let mut evidence = Vec::new();
        store
            .evidence_of(&ids, &mut |id, blob| {
                evidence.push((id, blob));
                Ok(())
            })
            .await
            .unwrap();
        evidence.sort();
        let mut expected = vec![(ids[0], vec![4, 5]), (ids[1], vec![1, 2, 3])];
        expected.sort();
        assert_eq!(evidence, expected, "{}", db.backend);
        let found = |hits: Vec<String>| hits.len();
        let moseley = store.search_listings(&terms(&["moseley"]), 10).await;
        assert_eq!(found(moseley.unwrap()), 1, "{}", db.backend);
        let digbeth = store.search_listings(&terms(&["digbeth"]), 10).await;
        assert_eq!(found(digbeth.unwrap()), 1, "{}: replaced", db.backend);
        if db.backend == "postgres" {
            // The save has the server make each document's terms; they must be exactly what
            // the search query's own parsing expects.
            raw(
                &store,
                &db,
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM listing_search \
                 WHERE terms IS DISTINCT FROM to_tsvector('simple', document)) \
                 THEN RAISE EXCEPTION 'stored terms differ from the documents'; END IF; END $$",
            )
            .await
            .unwrap();
        }
        let mut adverts = Vec::new();
        store
            .for_each_record(RecordKind::Advert, &mut |j| {
                adverts.push(j.to_owned());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(adverts, ["{\"a\":1}", "{\"b\":22}"]);
        let mut locations = 0;
        store
            .for_each_record(RecordKind::Location, &mut |_| {
                locations += 1;
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(locations, 0);
        store.close().await;
    }
}

#[tokio::test]
async fn a_failed_analysis_save_leaves_nothing_and_frees_the_writer() {
    use lantern_store::{AnalysisSave, AnalysisStore, LinkState, RecordKind};
    for db in backends("store contract: failed analysis save").await {
        let store = Store::open(&db.target).await.unwrap();
        let run = start(&store).await;
        write(
            &store,
            run,
            &[capture("site-a", "1", "2026-10-01T11:00:00Z", "one")],
        )
        .await;
        let through = store.max_capture_id().await.unwrap();
        let mut listing = 0;
        store
            .listings(false, &mut |l| {
                listing = l.listing_id;
                Ok(())
            })
            .await
            .unwrap();
        let state = |cluster: &str| LinkState {
            last_seen: lantern_core::Timestamp::parse("2026-10-01T11:00:00Z").unwrap(),
            cluster: cluster.into(),
            sketch: vec![1],
        };
        let save = |links: Vec<(i64, LinkState)>| AnalysisSave {
            mode: "full",
            started_at: lantern_core::Timestamp::parse("2026-11-01T00:00:00Z").unwrap(),
            through_capture_id: through,
            evidence_version: 1,
            settings_digest: String::new(),
            captures_read: 1,
            reanalysed: Vec::new(),
            replace_all_evidence: true,
            evidence: vec![(listing, vec![1, 2, 3])],
            search: vec![(listing, "listing one Digbeth".into())],
            write: vec![stored(RecordKind::Advert, "site-a", "1", "{\"a\":1}")],
            delete: Vec::new(),
            replace_all_links: true,
            links,
            audit: None,
        };
        // The link state of a listing that does not exist is refused (written last, after the
        // evidence, search document and record): none of them may stay.
        let refused = store
            .save_analysis(save(vec![(listing, state("c-1")), (999_999, state("c-2"))]))
            .await;
        assert!(refused.is_err(), "{}: a dangling link state", db.backend);
        assert!(
            store.record_digests().await.unwrap().is_empty(),
            "{}",
            db.backend
        );
        assert_eq!(store.last_analysis().await.unwrap(), None, "{}", db.backend);
        let terms = ["digbeth".to_owned()];
        assert!(store.search_listings(&terms, 10).await.unwrap().is_empty());
        let mut evidence = 0;
        store
            .evidence_of(&[listing], &mut |_, _| {
                evidence += 1;
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(evidence, 0, "{}", db.backend);
        // The writer is free: an ingest and a good save both go through.
        let run = start(&store).await;
        write(
            &store,
            run,
            &[capture("site-a", "2", "2026-10-02T11:00:00Z", "two")],
        )
        .await;
        let saved = store
            .save_analysis(save(vec![(listing, state("c-1"))]))
            .await
            .unwrap();
        assert_eq!(saved.written, 1, "{}", db.backend);
        assert_eq!(store.search_listings(&terms, 10).await.unwrap().len(), 1);
        store.close().await;
    }
}

/// Runs `sql` on the store's database directly, as someone with access to the file or server
/// (not through Lantern); returns the error text when it fails.
async fn raw(store: &Store, db: &lantern_testkit::TestDb, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    match store {
        Store::Sqlite(sqlite) => {
            let url = format!("sqlite://{}", sqlite.path().display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Store::Postgres(_) => {
            let url = db.database_url().unwrap();
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}

#[tokio::test]
async fn the_audit_log_is_append_only_chained_and_shows_tampering() {
    use lantern_store::{AuditEvent, AuditFilter, AuditStore, Operation, Verification};
    for db in backends("store contract: audit").await {
        let store = Store::open(&db.target).await.unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap(),
            Verification::Intact { events: 0 }
        );
        let at = |s: &str| lantern_core::Timestamp::parse(s).unwrap();
        let mut ids = Vec::new();
        for (i, (op, actor)) in [
            (Operation::SignIn, "analyst1"),
            (Operation::Consult, "analyst1"),
            (Operation::Export, "cli:ops"),
            (Operation::Refused, "partner1"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut e = AuditEvent::new(at(&format!("2026-11-30T10:0{i}:00Z")), op, actor)
                .about("location", &format!("loc-{i}"));
            e.source = Some("127.0.0.1".into());
            if op == Operation::Export {
                e = e.rows(42);
            }
            ids.push(store.append_audit(&e).await.unwrap());
        }
        assert_eq!(ids, [1, 2, 3, 4], "{}", db.backend);
        assert_eq!(
            store.verify_audit().await.unwrap(),
            Verification::Intact { events: 4 },
            "{}",
            db.backend
        );
        // Filters, newest first.
        let filter = |f: AuditFilter| AuditFilter { limit: 10, ..f };
        let mine = store
            .audit_events(&filter(AuditFilter {
                actor: Some("analyst1".into()),
                ..AuditFilter::default()
            }))
            .await
            .unwrap();
        assert_eq!(
            mine.iter().map(|e| e.id).collect::<Vec<_>>(),
            [2, 1],
            "{}",
            db.backend
        );
        let exports = store
            .audit_events(&filter(AuditFilter {
                operation: Some(Operation::Export),
                since: Some(at("2026-11-30T10:01:00Z")),
                ..AuditFilter::default()
            }))
            .await
            .unwrap();
        assert_eq!(exports.len(), 1, "{}", db.backend);
        assert_eq!(exports[0].event.row_count, Some(42));
        assert_eq!(exports[0].event.at, at("2026-11-30T10:02:00Z"));

        // Append-only: the database itself refuses edits and deletions.
        for sql in [
            "UPDATE audit_events SET actor = 'nobody' WHERE id = 2",
            "DELETE FROM audit_events WHERE id = 4",
        ] {
            let refused = raw(&store, &db, sql).await.unwrap_err();
            assert!(refused.contains("append-only"), "{}: {refused}", db.backend);
        }
        // Someone who removes the guard and edits a row is caught by the chain, at that row.
        let drop_guard = match &store {
            Store::Sqlite(_) => "DROP TRIGGER audit_events_no_update",
            Store::Postgres(_) => "DROP TRIGGER audit_events_no_change ON audit_events",
        };
        raw(&store, &db, drop_guard).await.unwrap();
        raw(
            &store,
            &db,
            "UPDATE audit_events SET actor = 'nobody' WHERE id = 2",
        )
        .await
        .unwrap();
        match store.verify_audit().await.unwrap() {
            Verification::Broken { id, reason } => {
                assert_eq!(id, 2, "{}: {reason}", db.backend);
            }
            other => panic!("{}: tampering not found: {other:?}", db.backend),
        }
        store.close().await;
    }
}
