-- Safeguarding visits to locations found by the analysis (domain-uk.md §8.2). A visit names no
-- person unless consent, a child or immediate risk is recorded; the application enforces it and
-- this table refuses names without one of them.

CREATE TABLE visits (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id       TEXT        COLLATE "C" NOT NULL,
    visited_at        TIMESTAMPTZ NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL,
    recorded_by       TEXT        NOT NULL,
    team              TEXT,
    purpose           TEXT        NOT NULL CHECK (purpose IN ('safeguarding', 'enforcement', 'joint')),
    outcome           TEXT        NOT NULL CHECK (outcome IN ('NO_ANSWER', 'DECLINED_ENGAGEMENT',
                          'ENGAGED_NO_CONCERN', 'ENGAGED_SUPPORT_ACCEPTED',
                          'CONCERN_INDICATORS_PRESENT', 'POTENTIAL_VICTIM_IDENTIFIED',
                          'CHILD_IDENTIFIED', 'IMMEDIATE_RISK')),
    indicators        TEXT        NOT NULL,
    referrals         TEXT        NOT NULL,
    follow_up         TEXT,
    follow_up_due     TEXT,
    consent_recorded  BOOLEAN     NOT NULL,
    names             TEXT,
    notes             TEXT,
    closes_location   BOOLEAN     NOT NULL,
    CHECK (names IS NULL OR consent_recorded OR outcome IN ('CHILD_IDENTIFIED', 'IMMEDIATE_RISK'))
);

CREATE INDEX visits_by_location ON visits (location_id, visited_at);
