-- Full-text search over listings (issue 8): one document per listing, built by the analysis from
-- the listing's evidence (identifiers, places, indicator codes, the masked template), never from
-- raw capture text.

CREATE TABLE listing_search (
    listing_id  BIGINT   PRIMARY KEY REFERENCES listings (id),
    document    TEXT     NOT NULL,
    terms       TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED
);
CREATE INDEX listing_search_terms ON listing_search USING GIN (terms);
