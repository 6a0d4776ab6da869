-- Retention and minimisation (domain-uk.md 8.4, 4.5).
-- Retention (domain-uk.md 8.4): a capture's text and a visit's summary can be erased while the
-- facts derived from them stay (the listing's phones, places and indicator codes; the fact that
-- a location was visited, when, with what outcome). `erased_at` says when; erased captures keep
-- their content hash (so the same advert captured again is still known) and an empty body.
ALTER TABLE captures ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE visits ADD COLUMN erased_at TIMESTAMPTZ;

-- What the analysis keeps of a listing's erased captures: their evidence (phones, places,
-- indicator codes, the text's MinHash signature; no template), the base a full analysis starts
-- from for that listing, since their text can no longer be extracted again. The analysis never
-- rewrites this table.
CREATE TABLE retained_evidence (
    listing_id  BIGINT      PRIMARY KEY REFERENCES listings (id),
    evidence    BYTEA       NOT NULL,
    erased_at   TIMESTAMPTZ NOT NULL
);

-- Listings whose text an erasure removed: the next analysis remakes their clusters (a cluster's
-- record carries its template) and takes them off this list in its transaction.
CREATE TABLE listings_to_reanalyse (
    listing_id  BIGINT PRIMARY KEY REFERENCES listings (id)
);

-- Records whose retention rule asks for a person's review, and the decisions: keep (until a
-- date, with a rationale) or erase. One open review per record.
CREATE TABLE retention_reviews (
    id             BIGSERIAL PRIMARY KEY,
    record_kind    TEXT        NOT NULL CHECK (record_kind IN ('listing_text', 'visit_summary')),
    record_id      BIGINT      NOT NULL,
    rule           TEXT        NOT NULL,
    queued_at      TIMESTAMPTZ NOT NULL,
    decision       TEXT        CHECK (decision IN ('keep', 'erase')),
    decided_by     TEXT,
    decided_at     TIMESTAMPTZ,
    rationale      TEXT,
    keep_until     TIMESTAMPTZ,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK (decision IS NULL OR (rationale IS NOT NULL AND decided_by IS NOT NULL)),
    CHECK (decision IS DISTINCT FROM 'keep' OR keep_until IS NOT NULL)
);

CREATE UNIQUE INDEX retention_reviews_open ON retention_reviews (record_kind, record_id)
    WHERE decision IS NULL;

-- The deployment's secrets, made on first use and never shown: `pseudonym` keys the HMAC that
-- turns a phone number or e-mail into a pseudonym (the same number gives the same pseudonym on
-- every page, so pseudonyms still link; without the key they cannot be reversed by trying
-- numbers).
CREATE TABLE deployment_keys (
    name  TEXT PRIMARY KEY,
    key   BYTEA NOT NULL
);
