-- Players (identities), the append-only score events, and the ranked entries derived from them.

CREATE TABLE identities (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    game_id      TEXT COLLATE "C" NOT NULL REFERENCES games (id),
    player_key   TEXT COLLATE "C",
    display_name TEXT COLLATE "C",
    kind         TEXT COLLATE "C" NOT NULL,
    trust_tier   TEXT COLLATE "C",
    status       TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX identities_player_key ON identities (game_id, player_key) WHERE player_key IS NOT NULL;
CREATE INDEX identities_account ON identities (account_id, created_at);

-- Immutable: rows are inserted, never updated or deleted.
CREATE TABLE score_events (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL,
    game_id       TEXT COLLATE "C" NOT NULL,
    board_id      TEXT COLLATE "C" NOT NULL,
    identity_id   TEXT COLLATE "C" NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    event_payload TEXT COLLATE "C" NOT NULL,
    is_test       BOOLEAN NOT NULL,
    timezone      TEXT COLLATE "C",
    country       TEXT COLLATE "C",
    city          TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX score_events_account ON score_events (account_id, created_at);
CREATE INDEX score_events_board ON score_events (board_id, created_at);
CREATE INDEX score_events_replay ON score_events (created_at, id);

-- Ranked entries. `slot` is the identity for boards with one entry per player and NULL for
-- RUN_RUNS (NULLs never clash in a unique index). `value_bits` holds the IEEE-754 bits of
-- `value` so that the rankings can be loaded as exact integers in bulk (text forms of doubles
-- are not exact on every SQLite).
CREATE TABLE scores (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account_id    TEXT COLLATE "C" NOT NULL,
    game_id       TEXT COLLATE "C" NOT NULL,
    board_id      TEXT COLLATE "C" NOT NULL,
    identity_id   TEXT COLLATE "C" NOT NULL,
    slot          TEXT COLLATE "C",
    is_test       BOOLEAN NOT NULL,
    player_name   TEXT COLLATE "C" NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    value_bits    BIGINT NOT NULL,
    value_display TEXT COLLATE "C",
    metadata      TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL,
    timezone      TEXT COLLATE "C",
    country       TEXT COLLATE "C",
    city          TEXT COLLATE "C",
    event_id      TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX scores_slot ON scores (board_id, is_test, slot);
CREATE INDEX scores_board ON scores (board_id, is_test);
CREATE INDEX scores_identity ON scores (identity_id, board_id);
