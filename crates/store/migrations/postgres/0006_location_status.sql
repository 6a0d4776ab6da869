-- Locations by status, so that "new this week" is read through an index, not a scan of every
-- location record.
CREATE INDEX analysis_records_by_status
    ON analysis_records (kind, ((record::jsonb) ->> 'status'));
