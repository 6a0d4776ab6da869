-- What the last analysis knew of each listing, so that the next one can be incremental: the
-- listing's last capture time then, the cluster it was given, and its sketch (compact linking
-- inputs and premises keys, lantern_analysis::Sketch). Rewritten for the listings an analysis
-- touched; every listing's row is rewritten by a full analysis.
CREATE TABLE listing_links (
    listing_id  BIGINT      PRIMARY KEY REFERENCES listings (id),
    last_seen   TIMESTAMPTZ NOT NULL,
    cluster     TEXT        NOT NULL,
    sketch      BYTEA       NOT NULL
);
