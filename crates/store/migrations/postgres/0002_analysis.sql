-- The analysis: each listing's evidence folded from its captures, the results it gave (the
-- export's records, as written), and the runs that produced them.

-- Evidence per listing (zstd-compressed JSON of lantern_analysis::ListingEvidence); replaced whole
-- when new captures of the listing are analysed.
CREATE TABLE listing_evidence (
    listing_id    BIGINT PRIMARY KEY REFERENCES listings (id),
    evidence      BYTEA  NOT NULL
);

CREATE TABLE analysis_runs (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL,
    mode                TEXT        NOT NULL CHECK (mode IN ('incremental', 'full')),
    through_capture_id  BIGINT      NOT NULL,
    evidence_version    BIGINT      NOT NULL,
    captures_read       BIGINT      NOT NULL,
    listings_updated    BIGINT      NOT NULL,
    records_written     BIGINT      NOT NULL,
    records_deleted     BIGINT      NOT NULL
);

-- The export's records as the last analysis wrote them. Ordered for export by (sort_a, sort_b)
-- in the C collation (code-point order, as on SQLite): adverts by (source, external_id);
-- clusters by their first listing's key; locations by id.
CREATE TABLE analysis_records (
    kind     TEXT   NOT NULL CHECK (kind IN ('advert', 'cluster', 'location')),
    sort_a   TEXT   COLLATE "C" NOT NULL,
    sort_b   TEXT   COLLATE "C" NOT NULL,
    digest   BIGINT NOT NULL,
    record   TEXT   NOT NULL,
    PRIMARY KEY (kind, sort_a, sort_b)
);
