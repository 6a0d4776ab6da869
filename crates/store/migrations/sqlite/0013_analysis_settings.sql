-- Each analysis run records a digest of what, besides the evidence, decides its records (the
-- risk model and the analysis' own settings): an incremental analysis under other settings would
-- leave the clusters it does not remake scored the old way, so it runs in full instead. Runs
-- from before this migration have none, and the next analysis runs in full.
ALTER TABLE analysis_runs ADD COLUMN settings_digest TEXT;
