-- Organisations, accounts and server-side sessions (issue 8), leads shared with partner
-- organisations, and the organisation that recorded each visit. No account exists after install.

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('POLICE', 'LA', 'NHS', 'NGO', 'GLAA', 'OPCC',
                            'HOME_OFFICE', 'OTHER')),
    created_at  TEXT    NOT NULL
) STRICT;

-- password_hash is a PHC string (Argon2id); usernames are stored lower-case.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    org_id               INTEGER NOT NULL REFERENCES organisations (id),
    role                 TEXT    NOT NULL CHECK (role IN ('police_analyst', 'outreach_worker',
                                     'partner_practitioner', 'opcc_analyst', 'auditor',
                                     'administrator')),
    password_hash        TEXT    NOT NULL,
    active               INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at           TEXT    NOT NULL,
    password_changed_at  TEXT    NOT NULL
) STRICT;

-- A session is found by the SHA-256 of its cookie token: the token itself is never stored.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL,
    address     TEXT    NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed logins, for the rate limit (per account name, known or not, and per address).
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    username  TEXT    NOT NULL,
    address   TEXT    NOT NULL,
    at        TEXT    NOT NULL
) STRICT;
CREATE INDEX login_failures_by_user ON login_failures (username, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

-- A location shared with a partner organisation, with the sanitised note its people see.
CREATE TABLE location_shares (
    location_id  TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES organisations (id),
    note         TEXT    NOT NULL,
    shared_by    INTEGER NOT NULL REFERENCES users (id),
    shared_at    TEXT    NOT NULL,
    PRIMARY KEY (location_id, org_id)
) STRICT;
CREATE INDEX location_shares_by_org ON location_shares (org_id, location_id);

ALTER TABLE visits ADD COLUMN org_id INTEGER REFERENCES organisations (id);
CREATE INDEX visits_by_org ON visits (org_id, visited_at);

-- Records by the cluster they belong to (cluster pages: the cluster and its listings).
CREATE INDEX analysis_records_by_cluster
    ON analysis_records (kind, json_extract(record, '$.cluster'));
