-- Activity scores: users' days, all-time sums and the per-user history index are written a
-- second at a time instead of with every batch (they derive from the stored events). The
-- watermark says which events they already hold: every event of the game with seq <= seq;
-- start-up replays the events above it. Stored data before this migration held everything.

CREATE TABLE activity_flushed (
    game_id TEXT PRIMARY KEY REFERENCES games (id),
    seq     BIGINT NOT NULL
);

INSERT INTO activity_flushed (game_id, seq)
SELECT game_id, MAX(seq) FROM activity_events GROUP BY game_id;
