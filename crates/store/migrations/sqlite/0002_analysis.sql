-- The analysis: each listing's evidence folded from its captures, the results it gave (the
-- export's records, as written), and the runs that produced them.

-- Evidence per listing (zstd-compressed JSON of lantern_analysis::ListingEvidence); replaced whole
-- when new captures of the listing are analysed.
CREATE TABLE listing_evidence (
    listing_id    INTEGER PRIMARY KEY REFERENCES listings (id),
    evidence      BLOB    NOT NULL
) STRICT;

CREATE TABLE analysis_runs (
    id                  INTEGER PRIMARY KEY,
    started_at          TEXT    NOT NULL,
    finished_at         TEXT    NOT NULL,
    mode                TEXT    NOT NULL CHECK (mode IN ('incremental', 'full')),
    through_capture_id  INTEGER NOT NULL,
    evidence_version    INTEGER NOT NULL,
    captures_read       INTEGER NOT NULL,
    listings_updated    INTEGER NOT NULL,
    records_written     INTEGER NOT NULL,
    records_deleted     INTEGER NOT NULL
) STRICT;

-- The export's records as the last analysis wrote them. Ordered for export by (sort_a, sort_b):
-- adverts by (source, external_id); clusters by their first listing's key; locations by id.
CREATE TABLE analysis_records (
    kind     TEXT    NOT NULL CHECK (kind IN ('advert', 'cluster', 'location')),
    sort_a   TEXT    NOT NULL,
    sort_b   TEXT    NOT NULL,
    digest   INTEGER NOT NULL,
    record   TEXT    NOT NULL,
    PRIMARY KEY (kind, sort_a, sort_b)
) STRICT, WITHOUT ROWID;
