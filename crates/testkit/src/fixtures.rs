//! Builders for validated captures, for tests below the file readers.

use lantern_core::{Capture, Contact, ExternalId, Location, Source, Timestamp, ValidCapture};

/// A valid capture of listing `(source, external_id)` with `body`, captured at `at` (RFC 3339).
/// The raw record is the JSON line of those fields, compressed as ingest stores it.
pub fn capture(source: &str, external_id: &str, at: &str, body: &str) -> ValidCapture {
    let capture = Capture {
        source: Source::parse(source).expect("valid source"),
        external_id: ExternalId::parse(external_id).expect("valid external id"),
        captured_at: Timestamp::parse(at).expect("valid timestamp"),
        url: Some(format!("https://{source}.example/ad/{external_id}")),
        posted_at: None,
        title: Some(format!("Listing {external_id}")),
        body: body.to_owned(),
        poster: None,
        contact: Contact {
            phone: Some("07700 900123".into()),
            ..Contact::default()
        },
        location: Location::default(),
        age: None,
        rates: None,
        images: vec![],
    };
    let raw = serde_json::json!({
        "source": source, "external_id": external_id, "captured_at": at, "body": body,
        "url": capture.url, "title": capture.title, "contact": {"phone": "07700 900123"},
    });
    let raw_zstd =
        zstd::bulk::compress(raw.to_string().as_bytes(), 1).expect("compressing in memory");
    ValidCapture {
        line: 1,
        content_hash: capture.content_hash(),
        capture,
        raw_zstd,
        raw_format: "jsonl",
    }
}
