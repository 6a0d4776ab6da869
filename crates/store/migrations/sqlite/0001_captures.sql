-- Listings, the captures seen of them, and the ingest runs that stored them.
-- Timestamps are UTC text in the fixed-width form 2026-10-03T21:14:00.000000Z, whose byte order is time order.

CREATE TABLE ingest_runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    actor         TEXT    NOT NULL,
    mode          TEXT    NOT NULL CHECK (mode IN ('partial', 'all_or_nothing')),
    files         TEXT    NOT NULL,
    lines_read    INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    stored        INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'rolled_back', 'failed'))
) STRICT;

CREATE TABLE listings (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    first_seen    TEXT    NOT NULL,
    last_seen     TEXT    NOT NULL,
    UNIQUE (source, external_id)
) STRICT;

-- One row per distinct content of a listing. The raw record (the JSON line verbatim, or for CSV a
-- JSON object of the row's columns) is the single source of truth: every field and fact is
-- derived from it, so erasing it erases the capture.
CREATE TABLE captures (
    id                 INTEGER PRIMARY KEY,
    listing_id         INTEGER NOT NULL REFERENCES listings (id),
    content_hash       BLOB    NOT NULL,
    first_captured_at  TEXT    NOT NULL,
    last_captured_at   TEXT    NOT NULL,
    raw_format         TEXT    NOT NULL CHECK (raw_format IN ('jsonl', 'csv')),
    raw_zstd           BLOB    NOT NULL,
    ingest_run_id      INTEGER NOT NULL REFERENCES ingest_runs (id),
    UNIQUE (listing_id, content_hash)
) STRICT;

CREATE INDEX captures_by_run ON captures (ingest_run_id);
