//! End-to-end tests of the `lantern` binary: real files in, real stores (SQLite always,
//! PostgreSQL when `LANTERN_TEST_PG_URL` is set), exit codes and messages out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use lantern_store::{CaptureStore, Store};
use lantern_testkit::{TestDb, backends};

const GOOD: &str = r#"{"source":"site-a","external_id":"1","captured_at":"2026-10-03T21:14:00Z","title":"Mia in Digbeth","body":"Hi, I'm Mia. Call 07700 900123","contact":{"phone":"07700 900123","email":"Mia@Example.com"}}"#;

/// `lantern --data-dir dir`, with no store chosen through the environment.
fn lantern_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lantern").unwrap();
    cmd.env_remove("LANTERN_DATABASE_URL")
        .env_remove("LANTERN_DATA_DIR")
        .arg("--data-dir")
        .arg(dir);
    cmd
}

fn lantern(db: &TestDb) -> Command {
    let mut cmd = lantern_in(&db.data_dir());
    if let Some(url) = db.database_url() {
        cmd.arg("--database-url").arg(url);
    }
    cmd
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    lantern(db).args(args).output().unwrap()
}

/// Runs `lantern args` on `db`, asserting it succeeded.
fn run_ok(db: &TestDb, args: &[&str]) -> Output {
    let out = run(db, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_file(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content)
        .unwrap();
    path
}

fn good(id: usize) -> String {
    GOOD.replace(r#""external_id":"1""#, &format!(r#""external_id":"{id}""#))
}

/// Each bad line of the contract with the field that must be named.
fn bad_jsonl_lines() -> Vec<(Vec<u8>, &'static str)> {
    let base = r#""source":"site-a","external_id":"9","captured_at":"2026-10-03T21:14:00Z""#;
    let with = |extra: &str| format!("{{{base},{extra}}}").into_bytes();
    let mut invalid_utf8 = with(r#""body":"caf"#);
    invalid_utf8.extend_from_slice(b"\xe9\"}");
    let overlong = with(&format!(r#""body":"{}""#, "x".repeat(1024 * 1024)));
    vec![
        (b"{\"source\":\"site-a\",".to_vec(), "line"),                                         // broken JSON
        (b"[1,2,3]".to_vec(), "line"),                                                        // not an object
        (b"\"just text\"".to_vec(), "line"),                                                  // a JSON string
        (br#"{"external_id":"9","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#.to_vec(), "source"), // missing
        (br#"{"source":"s","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#.to_vec(), "external_id"),
        (br#"{"source":"s","external_id":"9","body":"b"}"#.to_vec(), "captured_at"),
        (with(r#""title":"t""#), "body"),                                                    // missing body
        (br#"{"source":5,"external_id":"9","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#.to_vec(), "source"),
        (with(r#""body":{"text":"b"}"#), "body"),                                            // mistyped
        (br#"{"source":"s","external_id":"9","captured_at":"03/10/2026 21:14","body":"b"}"#.to_vec(), "captured_at"),
        (br#"{"source":"s","external_id":"9","captured_at":"2026-10-03T21:14:00","body":"b"}"#.to_vec(), "captured_at"),
        (with(r#""body":"b","posted_at":"yesterday""#), "posted_at"),
        (invalid_utf8, "line"),
        (overlong, "line"),
        (with(r#""body":"""#), "body"),                                                      // empty body, no title
        (with(r#""body":"  ","title":" ""#), "body"),                                        // blank body and title
        (format!(r#"{{"source":"{}","external_id":"9","captured_at":"2026-10-03T21:14:00Z","body":"b"}}"#, "s".repeat(65)).into_bytes(), "source"),
        (br#"{"source":"s","external_id":"","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#.to_vec(), "external_id"),
        (with(r#""body":"b","contact":"07700 900123""#), "contact"),
        (with(r#""body":"b","contact":{"phone":7700900123}"#), "contact.phone"),
        (with(r#""body":"b","location":{"lat":"52.48","lon":-1.89}"#), "location.lat"),
        (with(r#""body":"b","location":{"lat":123.0,"lon":-1.89}"#), "location.lat"),
        (with(r#""body":"b","location":{"lat":52.48}"#), "location.lon"),
        (with(r#""body":"b","images":"phash:d1c4e0f0e0c0c0c0""#), "images"),
        (with(r#""body":"b","images":["phash:d1c4e0f0e0c0c0c0","md5:abc"]"#), "images[1]"),
        (with(r#""body":"nul \u0000 inside""#), "body"),
        (with(r#""body":"b","title":["t"]"#), "title"),
        (br#"{"source":null,"external_id":"9","captured_at":"2026-10-03T21:14:00Z","body":"b"}"#.to_vec(), "source"),
        (br#"{"source":"s","external_id":"9","captured_at":"1900-01-01T00:00:00Z","body":"b"}"#.to_vec(), "captured_at"),
    ]
}

/// A bad line as written into a test file.
struct BadLine {
    line: usize,
    bytes: Vec<u8>,
    field: &'static str,
}

/// A file of good lines with every kind of bad line between them; returns the file, the bad
/// lines, and the number of good lines.
fn mixed_file(dir: &Path) -> (PathBuf, Vec<BadLine>, usize) {
    let mut content = Vec::new();
    let mut bad = Vec::new();
    let mut line = 0;
    let mut goods = 0;
    for (i, (bytes, field)) in bad_jsonl_lines().into_iter().enumerate() {
        content.extend_from_slice(good(i).as_bytes());
        content.push(b'\n');
        line += 1;
        goods += 1;
        content.extend_from_slice(&bytes);
        content.push(b'\n');
        line += 1;
        bad.push(BadLine { line, bytes, field });
    }
    content.extend_from_slice(b"\n"); // a blank line is not a record
    (write_file(dir, "mixed.jsonl", &content), bad, goods)
}

#[tokio::test]
async fn bad_lines_are_reported_precisely_and_the_rest_is_stored_once() {
    for db in backends("cli: mixed good and bad lines").await {
        let (file, bad, goods) = mixed_file(db.scratch());
        assert!(bad.len() >= 20);
        let file_arg = file.to_str().unwrap();
        let out = run(&db, &["ingest", "--show-rejections", "100", file_arg]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(3), "{}: {stderr}", db.backend);
        for BadLine { line, field, .. } in &bad {
            let expected = format!("rejected {file_arg}:{line}: {field}: ");
            assert!(
                stderr.contains(&expected),
                "{}: missing {expected:?} in\n{stderr}",
                db.backend
            );
        }
        let summary = format!(
            "read {}, accepted {goods}, stored {goods} new, duplicates 0, rejected {}",
            goods + bad.len(),
            bad.len()
        );
        assert!(stdout.contains(&summary), "{}: {stdout}", db.backend);

        // The rejects file holds the bad lines verbatim, in order; its path was printed.
        let rejects_dir = db.data_dir().join("rejects");
        let rejects: Vec<_> = std::fs::read_dir(&rejects_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let records = rejects
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".rejects.jsonl"))
            .unwrap();
        assert!(
            stderr.contains(&records.display().to_string()),
            "rejects path printed"
        );
        let mut expected = Vec::new();
        for BadLine { bytes, .. } in &bad {
            expected.extend_from_slice(bytes);
            expected.push(b'\n');
        }
        assert!(
            std::fs::read(records).unwrap() == expected,
            "{}: rejects file is not verbatim",
            db.backend
        );
        let reasons = rejects
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".reasons.txt"))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(reasons).unwrap().lines().count(),
            bad.len()
        );

        let store = Store::open(&db.target).await.unwrap();
        let digest = store.content_digest().await.unwrap();
        assert_eq!(store.counts().await.unwrap().captures, goods as u64);
        store.close().await;

        // A second run stores nothing new and says so.
        let again = run(&db, &["ingest", file_arg]);
        let stdout = text(&again.stdout);
        assert_eq!(again.status.code(), Some(3));
        assert!(
            stdout.contains(&format!("stored 0 new, duplicates {goods}")),
            "{}: {stdout}",
            db.backend
        );
        assert!(stdout.contains("nothing new"), "{stdout}");
        let store = Store::open(&db.target).await.unwrap();
        assert_eq!(
            store.content_digest().await.unwrap(),
            digest,
            "{}: second run changed the store",
            db.backend
        );
        store.close().await;
    }
}

#[tokio::test]
async fn csv_bad_rows_are_reported_by_column() {
    for db in backends("cli: CSV rows").await {
        let csv = "source,external_id,captured_at,body,title,location_lat,location_lon,images,contact_phone\n\
            site-a,1,2026-10-03T21:14:00Z,\"Hi, I'm Mia\",Mia,52.48,-1.89,phash:d1c4e0f0e0c0c0c0,07700 900123\n\
            site-a,2,2026-10-03T21:14:00Z,missing columns\n\
            site-a,3,2026-10-03T21:14:00Z,body,title,north,-1.89,,\n\
            site-a,4,2026-10-03T21:14:00Z,,,,,,\n\
            ,5,2026-10-03T21:14:00Z,body,,,,,\n\
            site-a,6,2026-10-03T21:14:00Z,body,,,,phash:nothex,\n\
            site-a,7,2026-10-03T21:14:00Z,\"multi\nline body\",,,,,\n\
            site-a,8,2026-10-03T21:14:00Z,body,,,,,,extra\n";
        let file = write_file(db.scratch(), "captures.csv", csv.as_bytes());
        let file_arg = file.to_str().unwrap();
        let out = run(&db, &["ingest", file_arg]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for (line, field) in [
            (3, "line"),
            (4, "location_lat"),
            (5, "body"),
            (6, "source"),
            (7, "images[0]"),
            (10, "line"),
        ] {
            assert!(
                stderr.contains(&format!("{file_arg}:{line}: {field}: ")),
                "{}: line {line} {field}\n{stderr}",
                db.backend
            );
        }
        assert!(
            text(&out.stdout).contains("read 8, accepted 2, stored 2 new"),
            "{}",
            text(&out.stdout)
        );
        let rejects = std::fs::read_dir(db.data_dir().join("rejects"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".rejects.csv"))
            .unwrap();
        let kept = std::fs::read_to_string(rejects).unwrap();
        assert!(
            kept.starts_with("source,external_id,captured_at,body,title,"),
            "header first: {kept}"
        );
        assert_eq!(kept.lines().count(), 7, "header and six rows: {kept}");
    }
}

#[tokio::test]
async fn all_or_nothing_stores_nothing_when_any_line_is_bad() {
    for db in backends("cli: --all-or-nothing").await {
        let file = write_file(
            db.scratch(),
            "a.jsonl",
            format!("{}\n{{oops\n{}\n", good(1), good(2)).as_bytes(),
        );
        let out = run(&db, &["ingest", "--all-or-nothing", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3));
        assert!(
            text(&out.stdout).contains("nothing stored"),
            "{}",
            text(&out.stdout)
        );
        let store = Store::open(&db.target).await.unwrap();
        assert_eq!(store.counts().await.unwrap().captures, 0, "{}", db.backend);
        store.close().await;

        let clean = write_file(
            db.scratch(),
            "b.jsonl",
            format!("{}\n{}\n", good(1), good(2)).as_bytes(),
        );
        let out = run(
            &db,
            &["ingest", "--all-or-nothing", clean.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let store = Store::open(&db.target).await.unwrap();
        assert_eq!(store.counts().await.unwrap().captures, 2);
        store.close().await;
    }
}

#[test]
fn gzip_and_format_flag_and_usage_errors() {
    let db = TestDb::sqlite();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{}\n{}\n", good(1), good(2)).as_bytes())
        .unwrap();
    let file = write_file(db.scratch(), "week.jsonl.gz", &gz.finish().unwrap());
    let out = run(&db, &["ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("stored 2 new"));

    let odd_name = write_file(
        db.scratch(),
        "capture.txt",
        format!("{}\n", good(3)).as_bytes(),
    );
    let out = run(&db, &["ingest", odd_name.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--format"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &db,
        &["ingest", "--format", "jsonl", odd_name.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = run(&db, &["ingest", "/nonexistent/file.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/file.jsonl"));
    assert_eq!(
        run(&db, &["ingest"]).status.code(),
        Some(2),
        "no files is a usage error"
    );
    assert_eq!(run(&db, &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["ingest", "--help"],
        vec!["export", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["geo", "--help"],
        vec!["simulate", "--help"],
        vec!["eval", "--help"],
        vec!["geo", "lookup", "--help"],
        vec!["geo", "find-in-text", "--help"],
    ] {
        let out = Command::cargo_bin("lantern")
            .unwrap()
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stdout).len() > 200,
            "{args:?} help is too thin: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn export_writes_every_field_of_the_spec() {
    let db = TestDb::sqlite();
    let file = write_file(db.scratch(), "a.jsonl", format!("{GOOD}\n").as_bytes());
    assert_eq!(
        run(&db, &["ingest", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
    // Nothing is exported before an analysis, and the error says what to do.
    let out = run(&db, &["export", "adverts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("run `lantern analyse`"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&db, &["analyse", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 listings in 1 clusters"),
        "{}",
        text(&out.stdout)
    );

    let out = run(&db, &["export", "adverts"]);
    assert_eq!(out.status.code(), Some(0));
    let advert: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    for field in [
        "source",
        "external_id",
        "cluster",
        "locations",
        "phones",
        "emails",
        "first_seen",
        "last_seen",
        "risk",
        "risk_band",
        "reasons",
    ] {
        assert!(advert.get(field).is_some(), "adverts lacks {field}");
    }
    assert_eq!(advert["phones"], serde_json::json!(["+447700900123"]));
    assert_eq!(advert["emails"], serde_json::json!(["mia@example.com"]));
    assert_eq!(advert["first_seen"], "2026-10-03T21:14:00Z");

    let out_file = db.scratch().join("clusters.jsonl");
    let out = run(
        &db,
        &["export", "clusters", "--out", out_file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0));
    let cluster: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&out_file).unwrap().trim()).unwrap();
    for field in [
        "cluster",
        "size",
        "phones",
        "locations",
        "places",
        "first_seen",
        "last_seen",
        "risk",
        "risk_band",
        "reasons",
    ] {
        assert!(cluster.get(field).is_some(), "clusters lacks {field}");
    }
    assert_eq!(cluster["cluster"], advert["cluster"]);

    // "Mia in Digbeth": a lead at place precision, new, linked from the advert.
    let out = run(
        &db,
        &["export", "locations", "--new-since", "2026-10-01T00:00:00Z"],
    );
    assert_eq!(out.status.code(), Some(0));
    let location: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    for field in [
        "location",
        "label",
        "postcode",
        "local_authority",
        "lat",
        "lon",
        "precision",
        "first_seen",
        "last_seen",
        "listings",
        "status",
        "risk",
        "risk_band",
    ] {
        assert!(location.get(field).is_some(), "locations lacks {field}");
    }
    assert_eq!(location["label"], "Digbeth");
    assert_eq!(location["precision"], "place");
    assert_eq!(location["local_authority"], "E08000025");
    assert_eq!(location["status"], "new");
    assert_eq!(location["kind"], "lead");
    assert_eq!(
        advert["locations"],
        serde_json::json!([location["location"]])
    );
    assert_eq!(
        cluster["locations"],
        serde_json::json!([location["location"]])
    );
    let later = run(
        &db,
        &["export", "locations", "--new-since", "2026-10-04T00:00:00Z"],
    );
    assert_eq!(later.status.code(), Some(0));
    assert!(later.stdout.is_empty(), "{}", text(&later.stdout));
    assert_eq!(
        run(&db, &["export", "locations", "--new-since", "last week"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn demo_runs_twice_and_stores_once() {
    let db = TestDb::sqlite();
    let first = run(&db, &["demo", "--no-serve"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(out.contains("The store now holds 400 listing(s)"), "{out}");
    assert!(!out.contains("stored 0 new"), "{out}");
    assert!(
        out.contains("baseline: exact phone match"),
        "the demo scores itself: {out}"
    );
    let second = run(&db, &["demo", "--no-serve"]);
    let out = text(&second.stdout);
    assert!(out.contains("nothing new"), "{out}");
    assert!(out.contains("The store now holds 400 listing(s)"), "{out}");

    // Without --no-serve it serves the web application with a one-time login.
    use std::io::{BufRead, BufReader, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
        .env_remove("LANTERN_DATABASE_URL")
        .arg("--data-dir")
        .arg(db.data_dir())
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut login, mut address) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("one-time password") {
            login = Some(line.clone());
        }
        if let Some(rest) = line.strip_prefix("Lantern is serving on http://") {
            address = rest.split('/').next().map(str::to_owned);
            break;
        }
    }
    let login = login.expect("a one-time login is printed");
    assert!(login.contains("sign in as demo.analyst"), "{login}");
    let address = address.expect("the address is printed");
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!("GET /login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("Sign in"), "{response}");
}

/// Kills `lantern ingest` part-way through a large file, re-runs it, and checks the store holds
/// exactly what one clean run stores.
#[tokio::test]
async fn a_killed_ingest_rerun_ends_with_exactly_the_right_data() {
    for db in backends("cli: kill during ingest").await {
        let mut content = Vec::new();
        lantern_testkit::CaptureGenerator::new(42)
            .write_jsonl(60_000, &mut content)
            .unwrap();
        let file = write_file(db.scratch(), "large.jsonl", &content);
        let file_arg = file.to_str().unwrap().to_owned();

        // Reference: a clean run into a database of its own.
        let reference_db = if db.backend == "sqlite" {
            TestDb::sqlite()
        } else {
            TestDb::postgres().await.unwrap()
        };
        assert_eq!(
            run(&reference_db, &["ingest", "--batch-size", "500", &file_arg])
                .status
                .code(),
            Some(0)
        );
        let reference = Store::open(&reference_db.target).await.unwrap();
        let expected = (
            reference.content_digest().await.unwrap(),
            reference.counts().await.unwrap().captures,
        );
        reference.close().await;

        // Start, wait for some batches to commit, kill.
        let store = Store::open(&db.target).await.unwrap();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("lantern"))
            .args(lantern(&db).get_args())
            .args(["ingest", "--batch-size", "500", &file_arg])
            .env_remove("LANTERN_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut committed = 0;
        for _ in 0..6_000 {
            committed = store.counts().await.unwrap().captures;
            if committed >= 2_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let after_kill = store.counts().await.unwrap().captures;
        assert!(
            committed > 0 && after_kill < expected.1,
            "{}: the kill must land mid-ingest ({after_kill} of {})",
            db.backend,
            expected.1
        );
        // Every committed batch was logged in its own transaction: the collections cover
        // exactly the captures stored, killed or not.
        assert_eq!(collected(&store).await, after_kill, "{}", db.backend);
        store.close().await;

        // Re-run: the store ends exactly as after one clean run.
        let out = run(&db, &["ingest", "--batch-size", "500", &file_arg]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let store = Store::open(&db.target).await.unwrap();
        let got = (
            store.content_digest().await.unwrap(),
            store.counts().await.unwrap().captures,
        );
        assert_eq!(collected(&store).await, expected.1, "{}", db.backend);
        assert!(matches!(
            lantern_store::AuditStore::verify_audit(&store)
                .await
                .unwrap(),
            lantern_store::Verification::Intact { .. }
        ));
        store.close().await;
        assert_eq!(
            got, expected,
            "{}: store after kill and re-run differs from a clean run",
            db.backend
        );
    }
}

/// Captures the audit log says were collected (the sum of its collections' row counts).
async fn collected(store: &Store) -> u64 {
    use lantern_store::{AuditFilter, AuditStore, Operation};
    let events = store
        .audit_events(&AuditFilter {
            operation: Some(Operation::Collect),
            limit: 1_000_000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    events
        .iter()
        .filter(|e| e.event.object_type.as_deref() == Some("ingest_run"))
        .map(|e| e.event.row_count.unwrap_or(0) as u64)
        .sum()
}

fn geo(args: &[&str], stdin: Option<&str>) -> (Option<i32>, serde_json::Value) {
    let mut cmd = Command::cargo_bin("lantern").unwrap();
    cmd.arg("geo").args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)));
    (out.status.code(), json)
}

#[test]
fn geo_lookup_prints_json_and_says_when_nothing_is_found() {
    let (code, json) = geo(&["lookup", "b56dy"], None);
    assert_eq!(code, Some(0));
    assert_eq!(json["outcome"], "found");
    assert_eq!(json["matched"], "B5 6DY");
    assert_eq!(json["precision"], "postcode_unit");
    assert_eq!(json["borough"]["code"], "E08000025");
    assert!(json["point"]["lat"].as_f64().unwrap() > 52.47);

    let (code, json) = geo(&["lookup", "WS10"], None);
    assert_eq!(code, Some(0));
    assert!(
        json["borough"].is_null(),
        "a split district has no single borough"
    );
    assert_eq!(json["boroughs"].as_array().unwrap().len(), 2);

    let (code, json) = geo(&["lookup", "Jewellery", "Quarter"], None);
    assert_eq!((code, json["outcome"].as_str()), (Some(0), Some("found")));

    let (code, json) = geo(&["lookup", "SW1A 1AA"], None);
    assert_eq!(
        (code, json["outcome"].as_str()),
        (Some(4), Some("outside_region"))
    );
    let (code, json) = geo(&["lookup", "Atlantis"], None);
    assert_eq!(
        (code, json["outcome"].as_str()),
        (Some(4), Some("not_found"))
    );
    let (code, json) = geo(&["lookup", "Willenhall"], None);
    assert_eq!(
        (code, json["outcome"].as_str()),
        (Some(4), Some("ambiguous"))
    );
}

#[test]
fn geo_find_in_text_reads_arguments_and_standard_input() {
    let sentence = "New in Digbeth, incall B5 6DY";
    for (args, stdin) in [
        (vec!["find-in-text", sentence], None),
        (vec!["find-in-text"], Some(sentence)),
        (vec!["find-in-text", "-"], Some(sentence)),
    ] {
        let (code, json) = geo(&args, stdin);
        assert_eq!(code, Some(0), "{args:?}");
        let mentions = json["mentions"].as_array().unwrap();
        let spans: Vec<(u64, u64, &str)> = mentions
            .iter()
            .map(|m| {
                (
                    m["start"].as_u64().unwrap(),
                    m["end"].as_u64().unwrap(),
                    m["text"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(spans, [(7, 14, "Digbeth"), (23, 29, "B5 6DY")], "{args:?}");
        assert_eq!(json["best"]["matched"], "B5 6DY");
    }
}

#[test]
fn geo_about_prints_the_required_attributions() {
    let out = Command::cargo_bin("lantern")
        .unwrap()
        .args(["geo", "about"])
        .output()
        .unwrap();
    let notice = text(&out.stdout);
    for attribution in [
        "Contains OS data © Crown copyright and database right 2025",
        "Royal Mail",
        "Office for National Statistics",
        "Open Parliament Licence",
        "GeoNames",
    ] {
        assert!(notice.contains(attribution), "missing {attribution:?}");
    }
}

#[test]
fn simulate_is_deterministic_and_eval_scores_the_store_against_its_truth() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let done = run(
            &db,
            &[
                "simulate",
                "--seed",
                "9",
                "--listings",
                "300",
                "--weeks",
                "5",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
        assert!(
            text(&done.stdout).contains("wrote 300 listings"),
            "{}",
            text(&done.stdout)
        );
    }
    for file in [
        "captures.jsonl",
        "truth/listings.csv",
        "truth/premises.csv",
        "truth/controllers.csv",
    ] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(
            !x.is_empty() && x == y,
            "{file} differs between runs of one seed"
        );
    }
    assert!(
        std::fs::read_to_string(a.join("README.txt"))
            .unwrap()
            .contains("drama ranges")
    );

    let captures = a.join("captures.jsonl");
    assert_eq!(
        run(&db, &["ingest", captures.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&db, &["analyse", "--quiet"]).status.code(), Some(0));
    let json_path = dir.path().join("eval.json");
    let eval = run(
        &db,
        &[
            "eval",
            "--truth",
            a.to_str().unwrap(),
            "--json",
            json_path.to_str().unwrap(),
        ],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", text(&eval.stderr));
    assert!(
        text(&eval.stdout).contains("pairwise"),
        "{}",
        text(&eval.stdout)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(report["truth_listings"], 300);
    assert_eq!(report["scored_listings"], 300);
    let clusters = &report["clusters"];
    assert_eq!(clusters["everything_merged"]["pairwise"]["recall"], 1.0);
    assert_eq!(
        clusters["every_listing_alone"]["pairwise"]["precision"],
        1.0
    );
    assert_eq!(clusters["every_listing_alone"]["pairwise"]["recall"], 0.0);
    // Extraction finds the phones of contact fields, titles and bodies, obscured or not.
    let phones = &report["phones"]["scores"];
    assert!(phones["precision"].as_f64().unwrap() >= 0.99, "{phones}");
    assert!(phones["recall"].as_f64().unwrap() >= 0.99, "{phones}");
    let risk = &report["risk"];
    assert!(risk["roc_auc"].as_f64().unwrap() > 0.5, "{risk}");
    assert!(
        risk["independent_banded_high"].as_f64().unwrap() <= 0.02,
        "{risk}"
    );
    let new = &report["new_locations"];
    assert!(new["found"].as_u64().unwrap() > 0, "{new}");
    assert!(new["scores"]["precision"].as_f64().unwrap() >= 0.8, "{new}");
    let merged = clusters["independent_in_network_cluster"].as_f64().unwrap();
    assert!(merged <= 0.01, "independents put with a network: {merged}");

    let missing = run(
        &db,
        &[
            "eval",
            "--truth",
            dir.path().join("nowhere").to_str().unwrap(),
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("listings.csv"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn extract_prints_facts_with_spans() {
    let text = "Hi, call o7seven00 9OO 123 or mail mia at example dot com. £80 30min, 24/7";
    let out = Command::cargo_bin("lantern")
        .unwrap()
        .args(["extract", "--text", text])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let phones = json["phones"].as_array().unwrap();
    assert_eq!(phones.len(), 1, "decoys are not phones: {json}");
    assert_eq!(phones[0]["e164"], "+447700900123");
    assert_eq!(phones[0]["obfuscated"], true);
    let (start, end) = (
        phones[0]["start"].as_u64().unwrap() as usize,
        phones[0]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "o7seven00 9OO 123");
    assert_eq!(json["emails"][0]["address"], "mia@example.com");
    // The disguised number is itself an indicator (IND-ADV-004), spanning the number.
    let indicators = json["indicators"].as_array().unwrap();
    assert_eq!(indicators[0]["code"], "IND-ADV-004");
    assert_eq!(indicators[0]["text"], "o7seven00 9OO 123");
}

#[test]
fn indicators_lists_filters_and_checks_a_catalogue() {
    let run = |args: &[&str]| {
        Command::cargo_bin("lantern")
            .unwrap()
            .arg("indicators")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--domain", "ADV", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 9);
    assert!(codes.iter().all(|c| c.starts_with("IND-ADV-")));
    let table = text(&run(&["--search", "passport"]).stdout);
    assert!(table.contains("IND-SIT-001"), "{table}");
    assert!(table.ends_with("1 indicator(s)\n"), "{table}");
    // An edited catalogue that scores a contra-indicator is refused, naming entry and field.
    let dir = tempfile::tempdir().unwrap();
    let shipped = include_str!("../../../data/indicators.toml");
    let broken = shipped.replacen(
        "kind = \"contra_indicator\"\nscored = false",
        "kind = \"contra_indicator\"\nscored = true",
        1,
    );
    assert_ne!(broken, shipped);
    let file = write_file(dir.path(), "edit.toml", broken.as_bytes());
    let out = run(&["--catalogue", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("(IND-ADV-X01): scored: a contra-indicator is never scored"),
        "{err}"
    );
}

#[test]
fn listings_sharing_a_phone_are_exported_as_one_cluster_with_its_reason() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"source":"site-a","external_id":"1","captured_at":"2026-10-01T10:00:00Z","body":"Mia, call 07700 900321"}"#,
        r#"{"source":"site-b","external_id":"9","captured_at":"2026-10-02T10:00:00Z","body":"Ruby here, ring o7seven00 9OO 321"}"#,
        r#"{"source":"site-c","external_id":"5","captured_at":"2026-10-03T10:00:00Z","body":"Jade, 07700 900999"}"#,
    ];
    let file = write_file(dir.path(), "c.jsonl", lines.join("\n").as_bytes());
    assert_eq!(
        run(&db, &["ingest", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(run(&db, &["analyse", "--quiet"]).status.code(), Some(0));
    let adverts = text(&run(&db, &["export", "adverts"]).stdout);
    let clusters: Vec<String> = adverts
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["cluster"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(clusters.len(), 3);
    assert_eq!(clusters[0], clusters[1], "the same number, once disguised");
    assert_ne!(clusters[0], clusters[2]);
    let export = text(&run(&db, &["export", "clusters"]).stdout);
    let records: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    let pair = records
        .iter()
        .find(|r| r["size"] == 2)
        .expect("a cluster of two");
    assert_eq!(pair["phones"], serde_json::json!(["+447700900321"]));
    // Risk reasons come first (here the disguised number, with its text), then why the
    // listings were linked.
    let reasons: Vec<&str> = pair["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(reasons[0].starts_with("IND-ADV-004"), "{pair}");
    assert!(reasons[0].contains("o7seven00 9OO 321"), "{pair}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("linked by sharing a phone number")),
        "{pair}"
    );
}

/// Writes a simulated scenario into `dir` (seed, listings, weeks), asserting it worked.
fn simulate(dir: &Path, seed: &str, listings: &str, weeks: &str) {
    let out = Command::cargo_bin("lantern")
        .unwrap()
        .args([
            "simulate",
            "--seed",
            seed,
            "--listings",
            listings,
            "--weeks",
            weeks,
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// The three exports of a store, as text.
fn exports(db: &TestDb) -> [String; 3] {
    ["adverts", "clusters", "locations"].map(|what| {
        let out = run(db, &["export", what]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    })
}

/// Postcode units of the bundled gazetteer that the test below puts in adverts, so that several
/// clusters share premises (the simulator names areas, never units).
const SHARED_UNITS: [&str; 4] = ["B5 6DY", "B1 1BB", "WS1 1AA", "B18 6NF"];

/// `line` with, for one listing in five, a postcode unit instead of its district; which unit
/// moves with the capture's day, so premises gain listings and clusters as weeks pass.
fn with_shared_premises(line: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    let number: usize = v["external_id"].as_str().unwrap()[1..].parse().unwrap();
    let day: usize = v["captured_at"].as_str().unwrap()[8..10].parse().unwrap();
    if number.is_multiple_of(5) {
        v["location"] = serde_json::json!({ "postcode": SHARED_UNITS[(number / 5 + day / 6) % 4] });
    }
    v.to_string()
}

/// A visit recorded through the command line (closing the location when `closed`).
fn record_visit(db: &TestDb, location: &str, closed: bool) {
    let mut args = vec![
        "visit",
        "record",
        "--location",
        location,
        "--purpose",
        "safeguarding",
        "--outcome",
        "NO_ANSWER",
        "--at",
        "2026-09-22T10:00:00Z",
    ];
    if closed {
        args.push("--closed");
    }
    let out = run(db, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test]
async fn incremental_analysis_equals_a_full_one_and_a_rerun_writes_nothing() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "7", "800", "4");
    let all: Vec<String> = std::fs::read_to_string(sim.path().join("captures.jsonl"))
        .unwrap()
        .lines()
        .map(with_shared_premises)
        .collect();
    // Weekly batches (the scenario starts on 2026-09-07), then a small late batch.
    let mut weeks: Vec<Vec<&str>> = vec![Vec::new(); 5];
    for line in &all {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let at = v["captured_at"].as_str().unwrap();
        let week = ["2026-09-14", "2026-09-21", "2026-09-28", "2026-10-04T12"]
            .iter()
            .filter(|end| at >= **end)
            .count();
        weeks[week].push(line);
    }
    assert!(
        weeks.iter().all(|w| !w.is_empty()),
        "every batch has captures"
    );
    let batches: Vec<PathBuf> = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            write_file(
                sim.path(),
                &format!("batch{i}.jsonl"),
                w.join("\n").as_bytes(),
            )
        })
        .collect();
    let whole = write_file(sim.path(), "whole.jsonl", all.join("\n").as_bytes());

    let growing = backends("cli: incremental analysis").await;
    let fresh = backends("cli: full analysis").await;
    let single = backends("cli: one batch").await;
    for ((a, b), c) in growing.iter().zip(&fresh).zip(&single) {
        // Store `a` is analysed incrementally after each batch, `b` in full; after every batch
        // their exports must be equal.
        for (i, file) in batches.iter().enumerate() {
            for db in [a, b] {
                let out = run(db, &["ingest", file.to_str().unwrap()]);
                assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            }
            let out = run(a, &["analyse", "--quiet"]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            let mode = if i == 0 { "(full)" } else { "(incremental)" };
            assert!(text(&out.stdout).contains(mode), "{}", text(&out.stdout));
            let out = run(b, &["analyse", "--quiet", "--full"]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            if i == 1 {
                // Visits between analyses: a lead visited, a premises closed.
                let locations = exports(a)[2].clone();
                let lead = locations.lines().find(|l| l.contains("\"kind\":\"lead\""));
                let premises = locations
                    .lines()
                    .find(|l| l.contains("\"kind\":\"premises\""));
                for (line, closed) in [(lead, false), (premises, true)] {
                    let v: serde_json::Value = serde_json::from_str(line.unwrap()).unwrap();
                    let id = v["location"].as_str().unwrap();
                    record_visit(a, id, closed);
                    record_visit(b, id, closed);
                }
            }
            let (x, y) = (exports(a), exports(b));
            for (what, (x, y)) in ["adverts", "clusters", "locations"]
                .iter()
                .zip(x.iter().zip(&y))
            {
                assert!(
                    x == y,
                    "{}: after batch {i}, {what} of the incremental analysis differ from a full one",
                    a.backend
                );
            }
        }
        let incremental = exports(a);
        assert!(incremental[2].lines().count() > 50, "locations were found");
        let premises = incremental[2]
            .lines()
            .filter(|l| l.contains("\"kind\":\"premises\""))
            .count();
        assert!(premises >= 4, "the shared units are premises: {premises}");
        let again = text(&run(a, &["analyse", "--quiet"]).stdout);
        assert!(again.contains("(incremental)"), "{again}");
        assert!(again.contains(" 0 new capture(s)"), "{again}");
        assert!(again.contains("0 record(s) written, 0 removed"), "{again}");

        // The same captures ingested in one batch give the same adverts and clusters (its
        // locations differ by the visits only).
        assert_eq!(
            run(c, &["ingest", whole.to_str().unwrap()]).status.code(),
            Some(0)
        );
        assert_eq!(run(c, &["analyse", "--quiet"]).status.code(), Some(0));
        assert_eq!(exports(c)[0], incremental[0], "{}: adverts", a.backend);
        assert_eq!(exports(c)[1], incremental[1], "{}: clusters", a.backend);
    }
}

/// A capture of a listing in `district`, with its own phone, at `at`.
fn capture_in(id: &str, phone: &str, district: &str, at: &str) -> String {
    serde_json::json!({
        "source": "site-a",
        "external_id": id,
        "captured_at": at,
        "title": format!("Listing {id}"),
        "body": format!("Call {phone}, visiting {district}"),
        "contact": { "phone": phone },
        "location": { "postcode": district },
    })
    .to_string()
}

/// Two batches: listing 1 seen on 2026-09-01 and 09-05 in B5 (phone `phones[0]`), then listing
/// 2 seen `later` in WS1 (phone `phones[1]`).
fn b5_then_ws1(dir: &Path, phones: [&str; 2], later: &str) -> (PathBuf, PathBuf) {
    let first = write_file(
        dir,
        "first.jsonl",
        [
            capture_in("1", phones[0], "B5", "2026-09-01T10:00:00Z"),
            capture_in("1", phones[0], "B5", "2026-09-05T10:00:00Z"),
        ]
        .join("\n")
        .as_bytes(),
    );
    let later = write_file(
        dir,
        "later.jsonl",
        capture_in("2", phones[1], "WS1", later).as_bytes(),
    );
    (first, later)
}

/// The exported location labelled `label`.
fn location_labelled(db: &TestDb, label: &str) -> serde_json::Value {
    let locations = exports(db)[2].clone();
    let line = locations
        .lines()
        .find(|l| l.contains(&format!("\"label\":\"{label}\"")))
        .unwrap();
    serde_json::from_str(line).unwrap()
}

#[tokio::test]
async fn a_location_that_only_ages_is_rewritten_by_an_incremental_analysis() {
    // Listing 1 was seen on the 1st and 5th, in B5: new at the first analysis (the 5th). A later
    // batch holds only listing 2 on the 9th: listing 1 and its cluster are untouched, but its
    // location is no longer new (first seen more than seven days before the 9th) and not
    // short-lived either (last seen after the 2nd).
    let dir = tempfile::tempdir().unwrap();
    let (first, later) = b5_then_ws1(
        dir.path(),
        ["07700 900401", "07700 900402"],
        "2026-09-09T10:00:00Z",
    );
    let status_of_b5 = |db: &TestDb| {
        let v = location_labelled(db, "B5");
        (
            v["status"].as_str().unwrap().to_owned(),
            v["short_lived"].clone(),
        )
    };
    let growing = backends("cli: ageing location").await;
    let fresh = backends("cli: ageing location, full").await;
    for (a, b) in growing.iter().zip(&fresh) {
        assert_eq!(
            run(a, &["ingest", first.to_str().unwrap()]).status.code(),
            Some(0)
        );
        assert_eq!(run(a, &["analyse", "--quiet"]).status.code(), Some(0));
        assert_eq!(status_of_b5(a).0, "new", "{}", a.backend);
        assert_eq!(
            run(a, &["ingest", later.to_str().unwrap()]).status.code(),
            Some(0)
        );
        let out = text(&run(a, &["analyse", "--quiet"]).stdout);
        assert!(out.contains("(incremental)"), "{out}");
        assert_eq!(
            status_of_b5(a),
            ("known".to_owned(), serde_json::json!(false)),
            "{}",
            a.backend
        );
        for file in [&first, &later] {
            assert_eq!(
                run(b, &["ingest", file.to_str().unwrap()]).status.code(),
                Some(0)
            );
        }
        assert_eq!(
            run(b, &["analyse", "--quiet", "--full"]).status.code(),
            Some(0)
        );
        assert_eq!(exports(a), exports(b), "{}", a.backend);
    }
}

#[tokio::test]
async fn an_incremental_analysis_puts_right_a_stale_location_status() {
    // Listing 1 is seen on the 1st and 5th in B5, so B5 is new at the first analysis. Its stored
    // record is then made to say `known` (as a record written under other rules would), and a
    // batch on the 6th leaves B5 untouched and still new: the incremental analysis must rewrite
    // the stale status although only a location's time or visits usually move it.
    use lantern_store::{AnalysisSave, AnalysisStore, RecordKind, StoredRecord};
    let dir = tempfile::tempdir().unwrap();
    let (first, later) = b5_then_ws1(
        dir.path(),
        ["07700 900411", "07700 900412"],
        "2026-09-06T10:00:00Z",
    );
    let b5 = |db: &TestDb| location_labelled(db, "B5");
    let growing = backends("cli: stale location status").await;
    let fresh = backends("cli: stale location status, full").await;
    for (a, b) in growing.iter().zip(&fresh) {
        run_ok(a, &["ingest", first.to_str().unwrap()]);
        run_ok(a, &["analyse", "--quiet"]);
        let mut stale = b5(a);
        assert_eq!(stale["status"], "new", "{}", a.backend);
        stale["status"] = "known".into();
        let store = Store::open(&a.target).await.unwrap();
        let last = store.last_analysis().await.unwrap().unwrap();
        store
            .save_analysis(AnalysisSave {
                mode: "incremental",
                started_at: lantern_core::Timestamp::now(),
                through_capture_id: last.through_capture_id,
                evidence_version: last.evidence_version,
                settings_digest: last.settings_digest.clone().unwrap(),
                captures_read: 0,
                replace_all_evidence: false,
                evidence: Vec::new(),
                write: vec![StoredRecord {
                    kind: RecordKind::Location,
                    sort_a: stale["location"].as_str().unwrap().to_owned(),
                    sort_b: String::new(),
                    digest: 1,
                    json: stale.to_string(),
                }],
                delete: Vec::new(),
                search: Vec::new(),
                replace_all_links: false,
                links: Vec::new(),
                audit: None,
                reanalysed: Vec::new(),
            })
            .await
            .unwrap();
        store.close().await;
        assert_eq!(b5(a)["status"], "known", "{}: the stale record", a.backend);

        run_ok(a, &["ingest", later.to_str().unwrap()]);
        let out = text(&run_ok(a, &["analyse", "--quiet"]).stdout);
        assert!(out.contains("(incremental)"), "{out}");
        assert_eq!(b5(a)["status"], "new", "{}", a.backend);
        for file in [&first, &later] {
            run_ok(b, &["ingest", file.to_str().unwrap()]);
        }
        run_ok(b, &["analyse", "--quiet", "--full"]);
        assert_eq!(exports(a), exports(b), "{}", a.backend);
    }
}

#[test]
fn plan_visits_routes_the_most_urgent_locations_per_team() {
    let db = TestDb::sqlite();
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "9", "300", "5");
    let plan_args = [
        "plan",
        "visits",
        "--date",
        "2026-10-10",
        "--teams",
        "2",
        "--per-team",
        "3",
    ];
    let early = run(&db, &plan_args);
    assert_eq!(early.status.code(), Some(1), "no analysis yet");
    assert!(
        text(&early.stderr).contains("lantern analyse"),
        "{}",
        text(&early.stderr)
    );
    let captures = sim.path().join("captures.jsonl");
    assert_eq!(
        run(&db, &["ingest", captures.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&db, &["analyse", "--quiet"]).status.code(), Some(0));

    let out = run(&db, &plan_args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let routes = plan["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{plan}");
    let mut planned: Vec<f64> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for r in routes {
        let stops = r["stops"].as_array().unwrap();
        assert!(!stops.is_empty() && stops.len() <= 3);
        for (k, s) in stops.iter().enumerate() {
            assert_eq!(s["order"], k + 1);
            assert!(
                ids.insert(s["location"].as_str().unwrap().to_owned()),
                "a stop twice"
            );
            planned.push(s["risk"].as_f64().unwrap());
            if s["risk_band"] == "high" {
                assert!(!s["reasons"].as_array().unwrap().is_empty(), "{s}");
            }
        }
    }
    // The planned stops are the most urgent open locations of the export.
    let locations = text(&run(&db, &["export", "locations"]).stdout);
    let mut open: Vec<f64> = locations
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| {
            let last = l["last_seen"].as_str().unwrap();
            let first = l["first_seen"].as_str().unwrap();
            last >= "2026-09-12" && first < "2026-10-11"
        })
        .map(|l| (l["risk"].as_f64().unwrap() * 1000.0).round() / 1000.0)
        .collect();
    open.sort_by(|a, b| b.total_cmp(a));
    let least_planned = planned.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        least_planned >= open[planned.len() - 1] - 1e-9,
        "{planned:?} vs {:?}",
        &open[..8]
    );

    let html = run(&db, &[&plan_args[..], &["--format", "html"]].concat());
    assert!(text(&html.stdout).starts_with("<!doctype html>"));
    assert!(!text(&html.stdout).contains("<script"));
    let csv = run(&db, &[&plan_args[..], &["--format", "csv"]].concat());
    assert_eq!(text(&csv.stdout).lines().count(), planned.len() + 1);
    let nowhere = run(&db, &[&plan_args[..], &["--area", "Atlantis"]].concat());
    assert_eq!(nowhere.status.code(), Some(1));
    assert!(text(&nowhere.stderr).contains("not one of the seven boroughs"));
    let walsall = run(&db, &[&plan_args[..], &["--area", "Walsall"]].concat());
    let plan: serde_json::Value = serde_json::from_slice(&walsall.stdout).unwrap();
    for r in plan["routes"].as_array().unwrap() {
        for s in r["stops"].as_array().unwrap() {
            assert_eq!(s["local_authority"], "E08000030", "{s}");
        }
    }
}

#[tokio::test]
async fn a_recorded_visit_marks_its_location_and_survives_reanalysis() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "5", "200", "3");
    let captures = sim.path().join("captures.jsonl");
    for db in backends("cli: visits").await {
        assert_eq!(
            run(&db, &["ingest", captures.to_str().unwrap()])
                .status
                .code(),
            Some(0)
        );
        assert_eq!(run(&db, &["analyse", "--quiet"]).status.code(), Some(0));
        let plan_args = ["plan", "visits", "--date", "2026-09-25", "--per-team", "2"];
        let plan: serde_json::Value = serde_json::from_slice(&run(&db, &plan_args).stdout).unwrap();
        let first = plan["routes"][0]["stops"][0]["location"]
            .as_str()
            .unwrap()
            .to_owned();
        let second = plan["routes"][0]["stops"][1]["location"]
            .as_str()
            .unwrap()
            .to_owned();

        // Refused: a name without consent; nothing is stored.
        let refused = run(
            &db,
            &[
                "visit",
                "record",
                "--location",
                &first,
                "--purpose",
                "safeguarding",
                "--outcome",
                "ENGAGED_NO_CONCERN",
                "--names",
                "Someone",
            ],
        );
        assert_eq!(refused.status.code(), Some(1), "{}", db.backend);
        assert!(
            text(&refused.stderr).contains("--names"),
            "{}",
            text(&refused.stderr)
        );
        let listed = run(&db, &["visit", "list", "--location", &first]);
        assert_eq!(text(&listed.stdout).trim(), "[]");

        let ok = run(
            &db,
            &[
                "visit",
                "record",
                "--location",
                &first,
                "--purpose",
                "safeguarding",
                "--outcome",
                "CONCERN_INDICATORS_PRESENT",
                "--indicator",
                "IND-ENV-004",
                "--at",
                "2026-09-25T14:00:00Z",
                "--follow-up",
                "revisit with an interpreter",
                "--follow-up-due",
                "2026-10-02",
            ],
        );
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}: {}",
            db.backend,
            text(&ok.stderr)
        );
        let closed = run(
            &db,
            &[
                "visit",
                "record",
                "--location",
                &second,
                "--purpose",
                "joint",
                "--outcome",
                "NO_ANSWER",
                "--closed",
                "--at",
                "2026-09-25T15:00:00Z",
            ],
        );
        assert_eq!(closed.status.code(), Some(0), "{}", text(&closed.stderr));
        let visits: serde_json::Value =
            serde_json::from_slice(&run(&db, &["visit", "list", "--location", &first]).stdout)
                .unwrap();
        assert_eq!(visits[0]["indicators"], serde_json::json!(["IND-ENV-004"]));
        assert_eq!(visits[0]["purpose"], "safeguarding");

        let status_of = |db: &TestDb| -> std::collections::HashMap<String, String> {
            text(&run(db, &["export", "locations"]).stdout)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .map(|v| {
                    (
                        v["location"].as_str().unwrap().to_owned(),
                        v["status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let statuses = status_of(&db);
        assert_eq!(statuses[&first], "visited", "{}", db.backend);
        assert_eq!(statuses[&second], "closed");
        // The plan leaves them out; a new analysis keeps them, rewriting nothing.
        let again: serde_json::Value =
            serde_json::from_slice(&run(&db, &plan_args).stdout).unwrap();
        let planned: Vec<&str> = again["routes"][0]["stops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["location"].as_str().unwrap())
            .collect();
        assert!(!planned.contains(&first.as_str()) && !planned.contains(&second.as_str()));
        let re = text(&run(&db, &["analyse", "--quiet", "--full"]).stdout);
        assert!(
            re.contains("0 record(s) written, 0 removed"),
            "{}: {re}",
            db.backend
        );
        assert_eq!(status_of(&db), statuses);
    }
}

#[test]
fn calibrate_fits_weights_to_visit_outcomes_and_writes_only_when_asked() {
    let db = TestDb::sqlite();
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "3", "400", "4");
    let captures = sim.path().join("captures.jsonl");
    assert_eq!(
        run(&db, &["ingest", captures.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&db, &["analyse", "--quiet"]).status.code(), Some(0));
    let too_few = run(&db, &["calibrate"]);
    assert_eq!(too_few.status.code(), Some(1));
    assert!(
        text(&too_few.stderr).contains("needs at least 20"),
        "{}",
        text(&too_few.stderr)
    );

    // Visit outcomes from the scenario's truth: concern where a network advertised.
    let truth = std::fs::read_to_string(sim.path().join("truth/listings.csv")).unwrap();
    let header: Vec<&str> = truth.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (src, ext, exp) = (col("source"), col("external_id"), col("exploitative"));
    let exploitative: std::collections::HashMap<(String, String), bool> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[src].to_owned(), f[ext].to_owned()), f[exp] == "true")
        })
        .collect();
    let mut concern: std::collections::BTreeMap<String, bool> = std::collections::BTreeMap::new();
    for line in text(&run(&db, &["export", "adverts"]).stdout).lines() {
        let a: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            a["source"].as_str().unwrap().to_owned(),
            a["external_id"].as_str().unwrap().to_owned(),
        );
        for l in a["locations"].as_array().unwrap() {
            let e = concern.entry(l.as_str().unwrap().to_owned()).or_default();
            *e |= exploitative[&key];
        }
    }
    let positives: Vec<&String> = concern
        .iter()
        .filter(|(_, c)| **c)
        .map(|(l, _)| l)
        .take(25)
        .collect();
    let negatives: Vec<&String> = concern
        .iter()
        .filter(|(_, c)| !**c)
        .map(|(l, _)| l)
        .take(35)
        .collect();
    assert!(
        positives.len() >= 10,
        "{} positive locations",
        positives.len()
    );
    for (locations, outcome) in [
        (&positives, "CONCERN_INDICATORS_PRESENT"),
        (&negatives, "ENGAGED_NO_CONCERN"),
    ] {
        for l in locations.iter() {
            let out = run(
                &db,
                &[
                    "visit",
                    "record",
                    "--location",
                    l,
                    "--purpose",
                    "safeguarding",
                    "--outcome",
                    outcome,
                    "--at",
                    "2026-10-01T12:00:00Z",
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        }
    }
    let report = run(&db, &["calibrate", "--json"]);
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(r["examples"], positives.len() + negatives.len());
    assert!(r["written"].is_null(), "nothing written without --write");
    assert!(
        r["weights"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["after"].as_f64().unwrap() >= 0.0)
    );
    let file = db.scratch().join("fitted.toml");
    let written = run(&db, &["calibrate", "--write", file.to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    assert!(
        text(&written.stdout).contains("held-out ROC AUC"),
        "{}",
        text(&written.stdout)
    );
    let fitted = std::fs::read_to_string(&file).unwrap();
    assert!(
        fitted.contains("[structure]") && !fitted.contains("X01"),
        "{fitted}"
    );
    let out = run(
        &db,
        &[
            "--risk-model",
            file.to_str().unwrap(),
            "analyse",
            "--quiet",
            "--full",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A model that weights a contra-indicator is refused at start.
    let bad = db.scratch().join("bad.toml");
    std::fs::write(
        &bad,
        fitted.replace("[indicators]\n", "[indicators]\n\"IND-ADV-X01\" = 1.0\n"),
    )
    .unwrap();
    let out = run(
        &db,
        &["--risk-model", bad.to_str().unwrap(), "analyse", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("IND-ADV-X01 may not be scored"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn an_analysis_under_another_risk_model_runs_in_full() {
    // An incremental analysis keeps the records of clusters nothing changed; under another risk
    // model those would keep the old model's scores, so the analysis runs in full and says why.
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "6", "200", "3");
    let captures = sim.path().join("captures.jsonl");
    let model = write_file(
        sim.path(),
        "model.toml",
        include_str!("../../../data/risk.toml")
            .replace("bias = -3.0", "bias = -1.5")
            .as_bytes(),
    );
    let model = model.to_str().unwrap();
    let growing = backends("cli: another risk model").await;
    let fresh = backends("cli: another risk model, full").await;
    for (a, b) in growing.iter().zip(&fresh) {
        run_ok(a, &["ingest", "-q", captures.to_str().unwrap()]);
        run_ok(a, &["analyse", "--quiet"]);
        let before = exports(a);

        let out = text(&run_ok(a, &["--risk-model", model, "analyse", "--quiet"]).stdout);
        assert!(out.contains("(full)"), "{}: {out}", a.backend);
        assert!(
            out.contains("Ran in full: the risk model or the analysis' settings differ"),
            "{out}"
        );
        run_ok(b, &["ingest", "-q", captures.to_str().unwrap()]);
        run_ok(b, &["--risk-model", model, "analyse", "--quiet", "--full"]);
        let after = exports(a);
        assert_eq!(after, exports(b), "{}", a.backend);
        assert_ne!(after[1], before[1], "the model moved the clusters' scores");

        // Under the same model again, nothing to do.
        let again = text(&run_ok(a, &["--risk-model", model, "analyse", "--quiet"]).stdout);
        assert!(again.contains("(incremental)"), "{again}");
        assert!(again.contains("0 record(s) written, 0 removed"), "{again}");
        assert!(!again.contains("Ran in full"), "{again}");
        // And back under the embedded model: in full once more, as it was first.
        let back = text(&run_ok(a, &["analyse", "--quiet"]).stdout);
        assert!(back.contains("(full)"), "{back}");
        assert_eq!(exports(a), before, "{}", a.backend);
    }
}

#[tokio::test]
async fn every_command_touching_personal_data_leaves_exactly_one_audit_event() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "5", "200", "3");
    let captures = sim.path().join("captures.jsonl");
    for db in backends("cli: audit").await {
        let ok = |args: &[&str]| run_ok(&db, args);
        ok(&["ingest", "-q", captures.to_str().unwrap()]);
        ok(&["analyse", "--quiet"]);
        let adverts = text(&ok(&["export", "adverts"]).stdout).lines().count();
        ok(&["export", "locations", "--new-since", "2026-09-14T00:00:00Z"]);
        let plan: serde_json::Value = serde_json::from_slice(
            &ok(&["plan", "visits", "--date", "2026-09-25", "--per-team", "2"]).stdout,
        )
        .unwrap();
        let location = plan["routes"][0]["stops"][0]["location"]
            .as_str()
            .unwrap()
            .to_owned();
        record_visit(&db, &location, false);
        // Refused (a name without consent): nothing stored, nothing logged.
        let refused = run(
            &db,
            &[
                "visit",
                "record",
                "--location",
                &location,
                "--purpose",
                "safeguarding",
                "--outcome",
                "NO_ANSWER",
                "--names",
                "Someone",
            ],
        );
        assert_eq!(refused.status.code(), Some(1));
        // Commands that touch no personal data log nothing.
        ok(&["geo", "lookup", "B5 6DY"]);
        ok(&["indicators", "--domain", "ADV"]);
        let verified = text(&ok(&["audit", "verify"]).stdout);
        assert!(
            verified.contains("intact: 5 event(s)"),
            "{}: {verified}",
            db.backend
        );

        let first = text(&ok(&["audit", "query", "--limit", "100"]).stdout);
        let events: Vec<serde_json::Value> = first
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let seen: Vec<(String, String, Option<i64>)> = events
            .iter()
            .rev()
            .map(|e| {
                (
                    e["operation"].as_str().unwrap().to_owned(),
                    format!(
                        "{}:{}",
                        e["object_type"].as_str().unwrap(),
                        e["object_id"].as_str().unwrap()
                    ),
                    e["row_count"].as_i64(),
                )
            })
            .collect();
        let stored = seen[0].2;
        assert!(stored.is_some_and(|n| n > 200), "{}: {seen:?}", db.backend);
        assert_eq!(
            seen,
            [
                ("collect".to_owned(), "ingest_run:1".to_owned(), stored),
                ("combine".to_owned(), "analysis:full".to_owned(), Some(200)),
                (
                    "export".to_owned(),
                    "export:adverts".to_owned(),
                    Some(adverts as i64)
                ),
                (
                    "export".to_owned(),
                    "export:locations".to_owned(),
                    seen[3].2
                ),
                ("collect".to_owned(), format!("location:{location}"), None),
            ],
            "{}",
            db.backend
        );
        for e in &events {
            assert!(e["actor"].as_str().unwrap().starts_with("cli:"), "{e}");
            assert!(e["hash"].as_str().unwrap().len() == 64, "{e}");
        }
        // The reading itself is an event, with how many events it returned.
        let second = text(&ok(&["audit", "query", "--operation", "consult"]).stdout);
        let consult: serde_json::Value =
            serde_json::from_str(second.lines().next().unwrap()).unwrap();
        assert_eq!(consult["object_type"], "audit_log");
        assert_eq!(consult["row_count"], 5);
        let verified = text(&ok(&["audit", "verify"]).stdout);
        assert!(
            verified.contains("intact: 7 event(s)"),
            "{}: {verified}",
            db.backend
        );
        let bad = run(&db, &["audit", "query", "--operation", "peek"]);
        assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
        assert!(text(&bad.stderr).contains("unknown operation"));
    }
}

#[tokio::test]
async fn the_backup_drill_restores_every_row_and_the_audit_chain() {
    let sim = tempfile::tempdir().unwrap();
    simulate(sim.path(), "5", "200", "3");
    let captures = sim.path().join("captures.jsonl");
    for db in backends("cli: backup drill").await {
        let ok = |args: &[&str]| run_ok(&db, args);
        ok(&["ingest", "-q", captures.to_str().unwrap()]);
        ok(&["analyse", "--quiet"]);
        let backup = db.scratch().join("lantern-backup.sqlite3");
        if db.backend != "sqlite" {
            // PostgreSQL is backed up with its own tools: the command says so and writes nothing.
            let out = run(&db, &["backup", "--out", backup.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(1));
            assert!(
                text(&out.stderr).contains("pg_dump"),
                "{}",
                text(&out.stderr)
            );
            assert!(!backup.exists());
            continue;
        }
        let location = text(&ok(&["export", "locations"]).stdout)
            .lines()
            .next()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["location"].clone())
            .unwrap();
        record_visit(&db, location.as_str().unwrap(), false);
        let source = db.data_dir().join("lantern.sqlite3");
        let before = lantern_store::backup::snapshot(&source).unwrap();

        let out: serde_json::Value =
            serde_json::from_slice(&ok(&["backup", "--out", backup.to_str().unwrap()]).stdout)
                .unwrap();
        assert_eq!(
            out["checksum"], before.checksum,
            "the backup holds the store as it was"
        );
        assert!(out["tables"]["captures"].as_i64().unwrap() > 200);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "a backup is as private as the store");
        }
        let again = run(&db, &["backup", "--out", backup.to_str().unwrap()]);
        assert_eq!(
            again.status.code(),
            Some(1),
            "a backup never overwrites a file"
        );

        // Restore into a fresh data directory: every table's rows and the checksum match.
        let other = db.scratch().join("restored");
        let restore = |replace: bool| {
            let mut cmd = lantern_in(&other);
            cmd.args(["restore", "--from", backup.to_str().unwrap()]);
            if replace {
                cmd.arg("--replace");
            }
            cmd.output().unwrap()
        };
        let out = restore(false);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let restored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(restored["checksum"], before.checksum);
        assert_eq!(
            restored["tables"],
            serde_json::to_value(
                before
                    .tables
                    .iter()
                    .map(|(t, n)| (t.clone(), *n))
                    .collect::<std::collections::BTreeMap<_, _>>()
            )
            .unwrap()
        );
        let refused = restore(false);
        assert_eq!(refused.status.code(), Some(1));
        assert!(
            text(&refused.stderr).contains("--replace"),
            "{}",
            text(&refused.stderr)
        );
        assert_eq!(restore(true).status.code(), Some(0));

        // The restored store works: the same exports, and its audit chain (with the backup's
        // own export logged in the source, and the restore logged in the copy) verifies.
        let copy = |args: &[&str]| {
            let out = lantern_in(&other).args(args).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                text(&out.stderr)
            );
            text(&out.stdout)
        };
        for what in ["adverts", "clusters", "locations"] {
            assert_eq!(copy(&["export", what]), text(&ok(&["export", what]).stdout));
        }
        assert!(copy(&["audit", "verify"]).contains("intact"));
        let alters = copy(&["audit", "query", "--operation", "alter"]);
        let last: serde_json::Value = serde_json::from_str(alters.lines().next().unwrap()).unwrap();
        assert_eq!(
            last["object_type"], "store",
            "the restore is logged in the copy"
        );
        let source_log = text(&ok(&["audit", "query", "--operation", "export"]).stdout);
        assert!(
            source_log.contains("\"object_type\":\"backup\""),
            "{source_log}"
        );
    }
}

/// Whether the SQLite store in `dir` (the database file or its write-ahead log) holds `marker`.
fn store_file_holds(dir: &Path, marker: &str) -> bool {
    ["lantern.sqlite3", "lantern.sqlite3-wal"]
        .iter()
        .any(|name| {
            std::fs::read(dir.join(name))
                .is_ok_and(|bytes| bytes.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
}

/// `lantern retention run` (with `extra` arguments) on `db`: listings erased, visit summaries
/// erased, reviews queued.
fn retention_run(db: &TestDb, extra: &[&str]) -> (u64, u64, u64, serde_json::Value) {
    let mut args = vec!["retention", "run"];
    args.extend_from_slice(extra);
    let report: serde_json::Value = serde_json::from_slice(&run_ok(db, &args).stdout).unwrap();
    let n = |field: &str| report[field].as_u64().unwrap();
    (
        n("listings_erased"),
        n("visits_erased"),
        n("reviews_queued"),
        report,
    )
}

#[tokio::test]
async fn retention_erases_aged_text_keeps_the_facts_and_leaves_no_trace_in_the_file() {
    const MARKER: &str = "quokkamarker";
    const NOTE: &str = "wombatnote";
    let files = tempfile::tempdir().unwrap();
    let old = serde_json::json!({
        "source": "site-a",
        "external_id": "old",
        "captured_at": "2026-05-01T10:00:00Z",
        "title": "Listing old",
        "body": format!("Call 07700 900301, {MARKER} visiting B5"),
        "contact": { "phone": "07700 900301" },
        "location": { "postcode": "B5 6DY" },
    })
    .to_string();
    let now = lantern_core::Timestamp::now().to_rfc3339();
    let recent = capture_in("recent", "07700 900302", "B1 1BB", &now);
    let input = write_file(
        files.path(),
        "c.jsonl",
        format!("{old}\n{recent}\n").as_bytes(),
    );
    for db in backends("cli: retention").await {
        let ok = |args: &[&str]| run_ok(&db, args);
        let sqlite = db.database_url().is_none();
        ok(&["ingest", "-q", input.to_str().unwrap()]);
        ok(&["analyse", "--quiet"]);
        let location = text(&ok(&["export", "locations"]).stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|l| l["label"].as_str().is_some_and(|s| s.contains("B1 1BB")))
            .map(|l| l["location"].as_str().unwrap().to_owned())
            .expect("the recent listing's premises");
        let visit = |outcome: &str, at: &str, notes: &str| {
            ok(&[
                "visit",
                "record",
                "--location",
                &location,
                "--purpose",
                "safeguarding",
                "--outcome",
                outcome,
                "--at",
                at,
                "--notes",
                notes,
            ]);
        };
        visit("ENGAGED_NO_CONCERN", "2025-06-01T10:00:00Z", NOTE);
        visit(
            "CONCERN_INDICATORS_PRESENT",
            "2025-06-02T10:00:00Z",
            "follow up",
        );
        if sqlite {
            let dir = db.data_dir();
            assert!(store_file_holds(&dir, MARKER), "the advert text is stored");
            assert!(store_file_holds(&dir, NOTE), "the visit note is stored");
        }
        let erasures = || {
            text(&ok(&["audit", "query", "--operation", "erase"]).stdout)
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .collect::<Vec<_>>()
        };

        // A dry run reports and changes nothing.
        let (listings, visits, queued, report) = retention_run(&db, &["--dry-run"]);
        assert_eq!(
            (listings, visits, queued),
            (1, 1, 1),
            "{}: {report}",
            db.backend
        );
        assert!(erasures().is_empty());

        let (listings, visits, queued, report) = retention_run(&db, &[]);
        assert_eq!(
            (listings, visits, queued),
            (1, 1, 1),
            "{}: {report}",
            db.backend
        );
        // Exactly one erase event per record erased, naming its rule, holding no content.
        let events = erasures();
        let mut seen: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                (
                    e["object_type"].as_str().unwrap().to_owned(),
                    e["purpose"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                (
                    "listing_text".into(),
                    "retention:listing-text-no-concern".into()
                ),
                ("visit_summary".into(), "retention:visit-no-concern".into()),
            ],
            "{}",
            db.backend
        );
        let log = text(&ok(&["audit", "query", "--limit", "1000"]).stdout);
        assert!(!log.contains(MARKER) && !log.contains(NOTE));
        assert!(text(&ok(&["audit", "verify"]).stdout).contains("intact"));
        if sqlite {
            let dir = db.data_dir();
            assert!(
                !store_file_holds(&dir, MARKER),
                "erased advert text left in the file"
            );
            assert!(
                !store_file_holds(&dir, NOTE),
                "erased visit note left in the file"
            );
        }

        // The derived facts stay: the listing keeps its phone, its text is gone from search.
        let adverts = text(&ok(&["export", "adverts"]).stdout);
        assert!(adverts.contains("+447700900301"), "{adverts}");
        assert!(!adverts.contains(MARKER));
        let clusters = text(&ok(&["export", "clusters"]).stdout);
        assert!(!clusters.contains(MARKER), "{clusters}");
        let visits = text(&ok(&["visit", "list", "--location", &location]).stdout);
        assert!(!visits.contains(NOTE), "{visits}");
        assert!(visits.contains("ENGAGED_NO_CONCERN"), "{visits}");

        // The concern visit waits for a person's review.
        let reviews: Vec<serde_json::Value> = text(&ok(&["retention", "reviews"]).stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(reviews.len(), 1, "{}: {reviews:?}", db.backend);
        assert_eq!(reviews[0]["rule"], "visit-concern");

        // Running again erases and queues nothing more.
        let (listings, visits, queued, report) = retention_run(&db, &[]);
        assert_eq!(
            (listings, visits, queued),
            (0, 0, 0),
            "{}: {report}",
            db.backend
        );
        assert_eq!(erasures().len(), 2);

        // A decision needs a rationale; a kept record is not queued again before its date.
        let id = reviews[0]["id"].to_string();
        let refused = run(
            &db,
            &["retention", "decide", &id, "--erase", "--rationale", " "],
        );
        assert_eq!(refused.status.code(), Some(1));
        ok(&[
            "retention",
            "decide",
            &id,
            "--keep",
            "--until",
            "2099-01-01",
            "--rationale",
            "NRM case open",
        ]);
        // The decision is one alteration of the review, its rationale not in the log.
        let alters: Vec<serde_json::Value> =
            text(&ok(&["audit", "query", "--operation", "alter"]).stdout)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .filter(|e: &serde_json::Value| e["object_type"] == "retention_review")
                .collect();
        assert_eq!(alters.len(), 1, "{}: {alters:?}", db.backend);
        assert_eq!(alters[0]["object_id"].as_str(), Some(id.as_str()));
        assert!(!alters[0].to_string().contains("NRM case open"));
        assert!(
            text(&ok(&["retention", "reviews"]).stdout)
                .trim()
                .is_empty()
        );
        assert_eq!(retention_run(&db, &[]).2, 0, "kept: not queued again");

        // A full analysis starts erased listings from the facts kept.
        ok(&["analyse", "--full", "--quiet"]);
        let adverts = text(&ok(&["export", "adverts"]).stdout);
        assert!(adverts.contains("+447700900301"), "{adverts}");
        assert!(!text(&ok(&["export", "clusters"]).stdout).contains(MARKER));
    }
}
