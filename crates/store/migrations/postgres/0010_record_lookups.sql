-- The values the web looks records up by (the cluster of a listing, cluster or location; the
-- status of a location), kept as columns beside each record and written with it, so that writing
-- a record no longer parses its JSON twice for the indexes. A column holds the record's
-- top-level field when it is a string, and NULL otherwise.
ALTER TABLE analysis_records ADD COLUMN cluster TEXT, ADD COLUMN status TEXT;
UPDATE analysis_records SET
    cluster = CASE WHEN jsonb_typeof((record::jsonb) -> 'cluster') = 'string'
        THEN (record::jsonb) ->> 'cluster' END,
    status = CASE WHEN jsonb_typeof((record::jsonb) -> 'status') = 'string'
        THEN (record::jsonb) ->> 'status' END;
DROP INDEX analysis_records_by_cluster;
DROP INDEX analysis_records_by_status;
CREATE INDEX analysis_records_by_cluster ON analysis_records (kind, cluster);
CREATE INDEX analysis_records_by_status ON analysis_records (kind, status);
