-- The change log (several nodes on one database): what each node committed, numbered in
-- commit order, for the other nodes' in-memory copies. Appends hold the log's lock until they
-- commit, so the numbers are dense and a reader never passes a number that commits later.
-- `committer_applied`: the committing node applied the change before logging it (it skips it
-- when reading); otherwise the change was logged in its data's own transaction and every node,
-- the committer included, applies it in number order.
CREATE TABLE node_changes (
    seq BIGINT PRIMARY KEY,
    node TEXT NOT NULL,
    committer_applied BOOLEAN NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX node_changes_at ON node_changes (at);
