-- A run's metric values on its row ("metric=value" pairs in metric id order, comma-joined,
-- each value in its shortest exact decimal form), and one index that holds everything the
-- identical and must-improve rules read: a submission's check is one index range per runner
-- set and values, with no row or metric lookups. Runs stored before this column are left
-- NULL (a database's own text form of a double is not always exact) and the rules read their
-- metrics from community_run_metrics, as before. Metric values never change after a run is
-- submitted, so the column needs no upkeep.
ALTER TABLE community_runs ADD COLUMN metric_key TEXT;
CREATE INDEX community_runs_rules ON community_runs (category_id, runner_key, value_key, status, metric_key, id);
-- The new index starts with the old one's columns and serves every lookup it served (SQLite puts
-- no limit on the size of an index entry: a hundred runners' key fits).
DROP INDEX community_runs_values;
