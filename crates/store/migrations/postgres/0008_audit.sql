-- The audit log (DPA 2018 s.62): who collected, altered, consulted, disclosed, combined, erased
-- or exported what, and when; sign-ins, failed sign-ins and refusals too. Never content: an event
-- names its object by type and id. Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE,
-- and the privileges are revoked from PUBLIC; deploy Lantern under a role that does not own the
-- table) and chained: each event's hash covers its fields and the previous event's hash
-- (`lantern audit verify`). `audit_head` holds the last id and hash: appending updates it first,
-- which serialises appenders (a row lock) and shows a cut tail.
CREATE TABLE audit_events (
    id            BIGINT      PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    operation     TEXT        NOT NULL CHECK (operation IN ('collect', 'alter', 'consult',
                      'disclose', 'combine', 'erase', 'export', 'break_glass', 'sign_in',
                      'sign_in_failed', 'sign_out', 'refused')),
    actor         TEXT        NOT NULL,
    organisation  TEXT,
    role          TEXT,
    session       TEXT,
    source        TEXT,
    object_type   TEXT,
    object_id     TEXT,
    purpose       TEXT,
    recipient     TEXT,
    row_count     BIGINT,
    detail        TEXT,
    prev_hash     BYTEA       NOT NULL,
    hash          BYTEA       NOT NULL
);

CREATE INDEX audit_events_by_actor ON audit_events (actor, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;

CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_id    BIGINT  NOT NULL,
    last_hash  BYTEA   NOT NULL
);

INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
