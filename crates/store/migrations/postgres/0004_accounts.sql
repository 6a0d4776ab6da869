-- Organisations, accounts and server-side sessions (issue 8), leads shared with partner
-- organisations, and the organisation that recorded each visit. No account exists after install.

CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL UNIQUE,
    kind        TEXT        NOT NULL CHECK (kind IN ('POLICE', 'LA', 'NHS', 'NGO', 'GLAA', 'OPCC',
                                'HOME_OFFICE', 'OTHER')),
    created_at  TIMESTAMPTZ NOT NULL
);

-- password_hash is a PHC string (Argon2id); usernames are stored lower-case.
CREATE TABLE users (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username             TEXT        NOT NULL UNIQUE,
    org_id               BIGINT      NOT NULL REFERENCES organisations (id),
    role                 TEXT        NOT NULL CHECK (role IN ('police_analyst', 'outreach_worker',
                                         'partner_practitioner', 'opcc_analyst', 'auditor',
                                         'administrator')),
    password_hash        TEXT        NOT NULL,
    active               BOOLEAN     NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    password_changed_at  TIMESTAMPTZ NOT NULL
);

-- A session is found by the SHA-256 of its cookie token: the token itself is never stored.
CREATE TABLE sessions (
    token_hash  TEXT        PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    csrf        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    address     TEXT        NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed logins, for the rate limit (per account name, known or not, and per address).
CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username  TEXT        NOT NULL,
    address   TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

-- A location shared with a partner organisation, with the sanitised note its people see.
CREATE TABLE location_shares (
    location_id  TEXT        COLLATE "C" NOT NULL,
    org_id       BIGINT      NOT NULL REFERENCES organisations (id),
    note         TEXT        NOT NULL,
    shared_by    BIGINT      NOT NULL REFERENCES users (id),
    shared_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (location_id, org_id)
);
CREATE INDEX location_shares_by_org ON location_shares (org_id, location_id);

ALTER TABLE visits ADD COLUMN org_id BIGINT REFERENCES organisations (id);
CREATE INDEX visits_by_org ON visits (org_id, visited_at);

-- Records by the cluster they belong to (cluster pages: the cluster and its listings).
CREATE INDEX analysis_records_by_cluster
    ON analysis_records (kind, ((record::jsonb) ->> 'cluster'));
