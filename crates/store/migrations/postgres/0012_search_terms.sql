-- The search terms stop being a generated column: the analysis save has the server make them
-- (the same `to_tsvector('simple', document)`) on a second connection while its own connection
-- writes evidence, records and link states, so a full analysis' million documents are parsed
-- beside the other writes instead of inside the search table's insert. Stored values are kept;
-- every writer now supplies them (the save, and erasure's document rewrite).
ALTER TABLE listing_search ALTER COLUMN terms DROP EXPRESSION;
ALTER TABLE listing_search ALTER COLUMN terms SET NOT NULL;
