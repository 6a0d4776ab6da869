-- Safeguarding visits to locations found by the analysis (domain-uk.md §8.2). A visit names no
-- person unless consent, a child or immediate risk is recorded; the application enforces it and
-- this table refuses names without one of them.

CREATE TABLE visits (
    id                INTEGER PRIMARY KEY,
    location_id       TEXT    NOT NULL,
    visited_at        TEXT    NOT NULL,
    recorded_at       TEXT    NOT NULL,
    recorded_by       TEXT    NOT NULL,
    team              TEXT,
    purpose           TEXT    NOT NULL CHECK (purpose IN ('safeguarding', 'enforcement', 'joint')),
    outcome           TEXT    NOT NULL CHECK (outcome IN ('NO_ANSWER', 'DECLINED_ENGAGEMENT',
                          'ENGAGED_NO_CONCERN', 'ENGAGED_SUPPORT_ACCEPTED',
                          'CONCERN_INDICATORS_PRESENT', 'POTENTIAL_VICTIM_IDENTIFIED',
                          'CHILD_IDENTIFIED', 'IMMEDIATE_RISK')),
    indicators        TEXT    NOT NULL,
    referrals         TEXT    NOT NULL,
    follow_up         TEXT,
    follow_up_due     TEXT,
    consent_recorded  INTEGER NOT NULL CHECK (consent_recorded IN (0, 1)),
    names             TEXT,
    notes             TEXT,
    closes_location   INTEGER NOT NULL CHECK (closes_location IN (0, 1)),
    CHECK (names IS NULL OR consent_recorded = 1 OR outcome IN ('CHILD_IDENTIFIED', 'IMMEDIATE_RISK'))
) STRICT;

CREATE INDEX visits_by_location ON visits (location_id, visited_at);
