-- The audit log (DPA 2018 s.62): who collected, altered, consulted, disclosed, combined, erased
-- or exported what, and when; sign-ins, failed sign-ins and refusals too. Never content: an event
-- names its object by type and id. Append-only (the triggers refuse UPDATE and DELETE) and
-- chained: each event's hash covers its fields and the previous event's hash, so an edit, a
-- removal or a reordering breaks the chain (`lantern audit verify`). `audit_head` holds the last
-- id and hash: appending updates it first, which serialises appenders and shows a cut tail.
CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    operation     TEXT    NOT NULL CHECK (operation IN ('collect', 'alter', 'consult', 'disclose',
                      'combine', 'erase', 'export', 'break_glass', 'sign_in', 'sign_in_failed',
                      'sign_out', 'refused')),
    actor         TEXT    NOT NULL,
    organisation  TEXT,
    role          TEXT,
    session       TEXT,
    source        TEXT,
    object_type   TEXT,
    object_id     TEXT,
    purpose       TEXT,
    recipient     TEXT,
    row_count     INTEGER,
    detail        TEXT,
    prev_hash     BLOB    NOT NULL,
    hash          BLOB    NOT NULL
) STRICT;

CREATE INDEX audit_events_by_actor ON audit_events (actor, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_id    INTEGER NOT NULL,
    last_hash  BLOB    NOT NULL
) STRICT;

INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, zeroblob(32));
