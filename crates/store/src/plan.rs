//! Pure planning of one batch write, shared by both backends: which listings to upsert, which
//! captures are new, which stored captures only widen their time span.

use std::collections::HashMap;

use lantern_core::{Timestamp, ValidCapture};

/// A listing's capture times within one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingSpan<'a> {
    /// Site or feed.
    pub source: &'a str,
    /// Id on the site.
    pub external_id: &'a str,
    /// Earliest capture in the batch.
    pub first: Timestamp,
    /// Latest capture in the batch.
    pub last: Timestamp,
}

/// One distinct capture (listing and content) of a batch, with the time span it was seen over.
#[derive(Debug, Clone)]
pub struct CaptureGroup<'a> {
    /// Its listing's `(source, external_id)`.
    pub listing: (&'a str, &'a str),
    /// The first capture in the batch with this content.
    pub capture: &'a ValidCapture,
    /// Earliest capture time of this content in the batch.
    pub first: Timestamp,
    /// Latest capture time of this content in the batch.
    pub last: Timestamp,
}

/// A stored capture of one of the batch's listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Capture row id.
    pub id: i64,
    /// Its listing's `(source, external_id)`.
    pub listing: (String, String),
    /// Its content hash.
    pub content_hash: [u8; 32],
    /// Stored first capture time.
    pub first: Timestamp,
    /// Stored last capture time.
    pub last: Timestamp,
}

/// What to write for a batch.
#[derive(Debug, Default)]
pub struct WritePlan<'a> {
    /// Captures to insert.
    pub inserts: Vec<CaptureGroup<'a>>,
    /// Stored captures whose span widens: `(id, first, last)`.
    pub widen: Vec<(i64, Timestamp, Timestamp)>,
    /// Valid captures that store nothing new.
    pub duplicates: u64,
}

/// The distinct listings of a batch, in order of first appearance, with their time spans.
pub fn listing_spans(batch: &[ValidCapture]) -> Vec<ListingSpan<'_>> {
    let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(batch.len());
    let mut spans: Vec<ListingSpan<'_>> = Vec::new();
    for item in batch {
        let (source, external_id) = item.capture.listing_key();
        let at = item.capture.captured_at;
        match index.get(&(source, external_id)) {
            Some(&i) => {
                spans[i].first = spans[i].first.min(at);
                spans[i].last = spans[i].last.max(at);
            }
            None => {
                index.insert((source, external_id), spans.len());
                spans.push(ListingSpan {
                    source,
                    external_id,
                    first: at,
                    last: at,
                });
            }
        }
    }
    spans
}

/// Groups a batch by (listing, content hash); returns the groups and how many captures repeated
/// a group already in the batch.
pub fn capture_groups(batch: &[ValidCapture]) -> (Vec<CaptureGroup<'_>>, u64) {
    let mut index: HashMap<(&str, &str, [u8; 32]), usize> = HashMap::with_capacity(batch.len());
    let mut groups: Vec<CaptureGroup<'_>> = Vec::with_capacity(batch.len());
    let mut repeats = 0;
    for item in batch {
        let listing = item.capture.listing_key();
        let at = item.capture.captured_at;
        match index.get(&(listing.0, listing.1, item.content_hash.0)) {
            Some(&i) => {
                repeats += 1;
                groups[i].first = groups[i].first.min(at);
                groups[i].last = groups[i].last.max(at);
            }
            None => {
                index.insert((listing.0, listing.1, item.content_hash.0), groups.len());
                groups.push(CaptureGroup {
                    listing,
                    capture: item,
                    first: at,
                    last: at,
                });
            }
        }
    }
    (groups, repeats)
}

/// Splits the groups into inserts and span widenings, given the matching stored captures.
pub fn plan<'a>(
    groups: Vec<CaptureGroup<'a>>,
    repeats: u64,
    existing: &[Existing],
) -> WritePlan<'a> {
    let stored: HashMap<(&str, &str, [u8; 32]), &Existing> = existing
        .iter()
        .map(|e| {
            (
                (e.listing.0.as_str(), e.listing.1.as_str(), e.content_hash),
                e,
            )
        })
        .collect();
    let mut out = WritePlan {
        duplicates: repeats,
        ..WritePlan::default()
    };
    for group in groups {
        match stored.get(&(
            group.listing.0,
            group.listing.1,
            group.capture.content_hash.0,
        )) {
            None => out.inserts.push(group),
            Some(e) => {
                out.duplicates += 1;
                let (first, last) = (e.first.min(group.first), e.last.max(group.last));
                if first != e.first || last != e.last {
                    out.widen.push((e.id, first, last));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use lantern_testkit::fixtures::capture;

    use super::*;

    fn valid(id: &str, body: &str, at: &str) -> ValidCapture {
        capture("s", id, at, body)
    }

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn merges_repeats_within_a_batch_and_widens_stored_spans() {
        let batch = vec![
            valid("1", "a", "2026-10-02T00:00:00Z"),
            valid("1", "a", "2026-10-01T00:00:00Z"),
            valid("1", "b", "2026-10-03T00:00:00Z"),
            valid("2", "a", "2026-10-05T00:00:00Z"),
        ];
        let spans = listing_spans(&batch);
        assert_eq!(spans.len(), 2);
        assert_eq!(
            (spans[0].first, spans[0].last),
            (t("2026-10-01T00:00:00Z"), t("2026-10-03T00:00:00Z"))
        );
        let (groups, repeats) = capture_groups(&batch);
        assert_eq!((groups.len(), repeats), (3, 1));
        let existing = vec![
            Existing {
                id: 7,
                listing: ("s".into(), "1".into()),
                content_hash: batch[0].content_hash.0,
                first: t("2026-10-01T12:00:00Z"),
                last: t("2026-10-01T12:00:00Z"),
            },
            Existing {
                id: 8,
                listing: ("s".into(), "2".into()),
                content_hash: batch[3].content_hash.0,
                first: t("2026-10-01T00:00:00Z"),
                last: t("2026-10-09T00:00:00Z"),
            },
        ];
        let plan = plan(groups, repeats, &existing);
        assert_eq!(plan.inserts.len(), 1);
        assert_eq!(plan.inserts[0].capture.capture.body, "b");
        assert_eq!(plan.duplicates, 3);
        assert_eq!(
            plan.widen,
            vec![(7, t("2026-10-01T00:00:00Z"), t("2026-10-02T00:00:00Z"))]
        );
    }
}
