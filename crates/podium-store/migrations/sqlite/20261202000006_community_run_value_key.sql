-- A run's variable values as one key ("variable=value" pairs in variable order, comma-joined),
-- so the identical and must-improve rules find the runs of the same runners and values with
-- one index seek. Kept by every write that changes a run's values.
ALTER TABLE community_runs ADD COLUMN value_key TEXT NOT NULL DEFAULT '';
UPDATE community_runs SET value_key = COALESCE((
    SELECT string_agg(v.variable_id || '=' || v.value_id, ',' ORDER BY v.variable_id)
    FROM community_run_values v WHERE v.run_id = community_runs.id), '');
CREATE INDEX community_runs_values ON community_runs (category_id, runner_key, value_key);
-- The new index covers every lookup by category and runner set; without the old one the
-- planner cannot pick it and scan a runner's every run for the values.
DROP INDEX community_runs_runners;
