-- Activity scores: users' days, all-time sums and the per-user history index are rewritten
-- every few seconds under load (a third of a large game's rows each time). As ordinary SQLite
-- tables each row lives twice, in the table and in its primary key's index, and every upsert
-- walks both; as WITHOUT ROWID tables the primary key is the table. Same columns, same data.

CREATE TABLE activity_event_users_new (
    game_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (game_id, user_id, seq, event_id)
) WITHOUT ROWID;
INSERT INTO activity_event_users_new SELECT game_id, user_id, seq, event_id FROM activity_event_users;
DROP TABLE activity_event_users;
ALTER TABLE activity_event_users_new RENAME TO activity_event_users;

CREATE TABLE activity_days_new (
    game_id    TEXT NOT NULL REFERENCES games (id),
    user_id    TEXT NOT NULL,
    day        BIGINT NOT NULL,
    friends    BIGINT NOT NULL,
    meetups    BIGINT NOT NULL,
    games      BIGINT NOT NULL,
    popularity BIGINT NOT NULL,
    active     BOOLEAN NOT NULL,
    streak     BIGINT NOT NULL,
    multiplier DOUBLE PRECISION NOT NULL,
    total      BIGINT NOT NULL,
    PRIMARY KEY (game_id, day, user_id)
) WITHOUT ROWID;
INSERT INTO activity_days_new
SELECT game_id, user_id, day, friends, meetups, games, popularity, active, streak, multiplier, total FROM activity_days;
DROP TABLE activity_days;
ALTER TABLE activity_days_new RENAME TO activity_days;

CREATE TABLE activity_totals_new (
    game_id    TEXT NOT NULL REFERENCES games (id),
    user_id    TEXT NOT NULL,
    friends    BIGINT NOT NULL,
    meetups    BIGINT NOT NULL,
    games      BIGINT NOT NULL,
    popularity BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    PRIMARY KEY (game_id, user_id)
) WITHOUT ROWID;
INSERT INTO activity_totals_new SELECT game_id, user_id, friends, meetups, games, popularity, total FROM activity_totals;
DROP TABLE activity_totals;
ALTER TABLE activity_totals_new RENAME TO activity_totals;
