-- A run's metric values on its row ("metric=value" pairs in metric id order, comma-joined,
-- each value in its shortest exact decimal form), so the identical and must-improve rules read
-- the stored runs of a runner set and values without their metric rows. Runs stored before
-- this column are left NULL and the rules read their metrics from community_run_metrics, as
-- before. Metric values never change after a run is submitted, so the column needs no upkeep.
ALTER TABLE community_runs ADD COLUMN metric_key TEXT;
-- The rules' lookup by category, runner set and values. A B-tree entry holds at most 2 704
-- bytes and a run of a hundred runners has a runner key of 3 099, so the index holds the keys'
-- digests (SHA-256: md5 is refused on FIPS-mode servers; the keys are ids, '=' and ',', so the
-- text-to-bytea cast, which would read backslashes as escapes, takes them byte for byte); the
-- lookup compares the keys themselves as well.
CREATE INDEX community_runs_rules ON community_runs
    (category_id, sha256(runner_key::bytea), sha256(value_key::bytea));
DROP INDEX community_runs_values;
