-- Players (identities), the append-only score events, and the ranked entries derived from them.

CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    game_id      TEXT NOT NULL REFERENCES games (id),
    player_key   TEXT,
    display_name TEXT,
    kind         TEXT NOT NULL,
    trust_tier   TEXT,
    status       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX identities_player_key ON identities (game_id, player_key) WHERE player_key IS NOT NULL;
CREATE INDEX identities_account ON identities (account_id, created_at);

-- Immutable: rows are inserted, never updated or deleted.
CREATE TABLE score_events (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    board_id      TEXT NOT NULL,
    identity_id   TEXT NOT NULL,
    value         REAL NOT NULL,
    event_payload TEXT NOT NULL,
    is_test       BOOLEAN NOT NULL,
    timezone      TEXT,
    country       TEXT,
    city          TEXT,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX score_events_account ON score_events (account_id, created_at);
CREATE INDEX score_events_board ON score_events (board_id, created_at);
CREATE INDEX score_events_replay ON score_events (created_at, id);

-- Ranked entries. `slot` is the identity for boards with one entry per player and NULL for
-- RUN_RUNS (NULLs never clash in a unique index). `value_bits` holds the IEEE-754 bits of
-- `value` so that the rankings can be loaded as exact integers in bulk (text forms of doubles
-- are not exact on every SQLite).
CREATE TABLE scores (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    board_id      TEXT NOT NULL,
    identity_id   TEXT NOT NULL,
    slot          TEXT,
    is_test       BOOLEAN NOT NULL,
    player_name   TEXT NOT NULL,
    value         REAL NOT NULL,
    value_bits    INTEGER NOT NULL,
    value_display TEXT,
    metadata      TEXT,
    status        TEXT NOT NULL,
    timezone      TEXT,
    country       TEXT,
    city          TEXT,
    event_id      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX scores_slot ON scores (board_id, is_test, slot);
CREATE INDEX scores_board ON scores (board_id, is_test);
CREATE INDEX scores_identity ON scores (identity_id, board_id);
