-- Activity scores: each game's policy document; the judged events, with the answer given for
-- each (result, JSON) and their users for the history read; users' days and all-time sums.
-- Timestamps are INTEGER microseconds (UTC); days are day numbers (days since 1970-01-01) of
-- the policy's time zone. seq is the order the rules judged a game's events in.

CREATE TABLE activity_policies (
    game_id    TEXT PRIMARY KEY REFERENCES games (id),
    document   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE activity_events (
    game_id     TEXT NOT NULL REFERENCES games (id),
    event_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    event_type  TEXT,
    at          BIGINT,
    received_at BIGINT NOT NULL,
    fields      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    result      TEXT NOT NULL,
    PRIMARY KEY (game_id, event_id)
);
CREATE INDEX activity_events_seq ON activity_events (game_id, seq);

CREATE TABLE activity_event_users (
    game_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (game_id, user_id, seq, event_id)
);

CREATE TABLE activity_days (
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
);

CREATE TABLE activity_totals (
    game_id    TEXT NOT NULL REFERENCES games (id),
    user_id    TEXT NOT NULL,
    friends    BIGINT NOT NULL,
    meetups    BIGINT NOT NULL,
    games      BIGINT NOT NULL,
    popularity BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    PRIMARY KEY (game_id, user_id)
);

-- Fraud flags (events: JSON array of event ids; metadata: JSON evidence), and the points a
-- confirmed flag removed (one row per event and user, so two flags never remove them twice).
CREATE TABLE activity_flags (
    id                TEXT PRIMARY KEY,
    game_id           TEXT NOT NULL REFERENCES games (id),
    user_id           TEXT NOT NULL,
    flag_type         TEXT NOT NULL,
    status            TEXT NOT NULL,
    events            TEXT NOT NULL,
    metadata          TEXT NOT NULL,
    reviewer_id       TEXT,
    reviewer_decision TEXT,
    reviewed_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX activity_flags_game ON activity_flags (game_id, created_at, id);

CREATE TABLE activity_removals (
    game_id  TEXT NOT NULL,
    event_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    flag_id  TEXT NOT NULL,
    PRIMARY KEY (game_id, event_id, user_id)
);

-- Frozen days (the day-end job's progress) and the badges it awarded: the top 3 of each
-- ranking of that day (ties share a rank). id is "day:category:user" (unique, for keysets).
CREATE TABLE activity_frozen_days (
    game_id   TEXT NOT NULL REFERENCES games (id),
    day       BIGINT NOT NULL,
    frozen_at BIGINT NOT NULL,
    PRIMARY KEY (game_id, day)
);

CREATE TABLE activity_badges (
    game_id  TEXT NOT NULL REFERENCES games (id),
    id       TEXT NOT NULL,
    day      BIGINT NOT NULL,
    category TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    rank     BIGINT NOT NULL,
    points   BIGINT NOT NULL,
    PRIMARY KEY (game_id, id)
);
CREATE INDEX activity_badges_user ON activity_badges (game_id, user_id, day);
