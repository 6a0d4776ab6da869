-- Full-text search over listings (issue 8): one document per listing, built by the analysis from
-- the listing's evidence (identifiers, places, indicator codes, the masked template), never from
-- raw capture text. The row id is the listing's id.

CREATE VIRTUAL TABLE listing_search USING fts5(
    document,
    tokenize = 'unicode61 remove_diacritics 2'
);
