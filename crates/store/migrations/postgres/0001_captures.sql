-- Listings, the captures seen of them, and the ingest runs that stored them.
-- Listing keys use the C collation so that they sort by code point, exactly as on SQLite.

CREATE TABLE ingest_runs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    actor         TEXT        NOT NULL,
    mode          TEXT        NOT NULL CHECK (mode IN ('partial', 'all_or_nothing')),
    files         TEXT        NOT NULL,
    lines_read    BIGINT      NOT NULL DEFAULT 0,
    accepted      BIGINT      NOT NULL DEFAULT 0,
    stored        BIGINT      NOT NULL DEFAULT 0,
    duplicates    BIGINT      NOT NULL DEFAULT 0,
    rejected      BIGINT      NOT NULL DEFAULT 0,
    status        TEXT        NOT NULL CHECK (status IN ('running', 'completed', 'rolled_back', 'failed'))
);

CREATE TABLE listings (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT        COLLATE "C" NOT NULL,
    external_id   TEXT        COLLATE "C" NOT NULL,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    UNIQUE (source, external_id)
);

-- One row per distinct content of a listing. The raw record (the JSON line verbatim, or for CSV a
-- JSON object of the row's columns) is the single source of truth: every field and fact is
-- derived from it, so erasing it erases the capture.
CREATE TABLE captures (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    listing_id         BIGINT      NOT NULL REFERENCES listings (id),
    content_hash       BYTEA       NOT NULL,
    first_captured_at  TIMESTAMPTZ NOT NULL,
    last_captured_at   TIMESTAMPTZ NOT NULL,
    raw_format         TEXT        NOT NULL CHECK (raw_format IN ('jsonl', 'csv')),
    raw_zstd           BYTEA       NOT NULL,
    ingest_run_id      BIGINT      NOT NULL REFERENCES ingest_runs (id),
    UNIQUE (listing_id, content_hash)
);

CREATE INDEX captures_by_run ON captures (ingest_run_id);
