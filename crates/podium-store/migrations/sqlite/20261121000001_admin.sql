-- Admin resources: accounts, users, API keys, games, boards, and node settings.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC); JSON is TEXT.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE UNIQUE INDEX accounts_slug_live ON accounts (slug) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    super_admin  BOOLEAN NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_account ON users (account_id, created_at);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    status       TEXT NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE games (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    name               TEXT NOT NULL,
    slug               TEXT NOT NULL,
    anti_cheat_enabled BOOLEAN NOT NULL,
    anti_cheat         TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deleted_at         INTEGER
);
CREATE UNIQUE INDEX games_slug_live ON games (account_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX games_account ON games (account_id, created_at);

CREATE TABLE boards (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    game_id             TEXT NOT NULL REFERENCES games (id),
    name                TEXT NOT NULL,
    slug                TEXT NOT NULL,
    short_code          TEXT NOT NULL,
    description         TEXT,
    icon                TEXT,
    unit                TEXT,
    tags                TEXT NOT NULL,
    board_type          TEXT NOT NULL,
    sort_direction      TEXT NOT NULL,
    keep_strategy       TEXT NOT NULL,
    is_active           BOOLEAN NOT NULL,
    is_published        BOOLEAN NOT NULL,
    starts_at           INTEGER,
    ends_at             INTEGER,
    unique_player_names BOOLEAN NOT NULL,
    min_value           REAL,
    max_value           REAL,
    ratio_config        TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER
);
CREATE UNIQUE INDEX boards_slug_live ON boards (game_id, slug) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX boards_short_code ON boards (short_code);
CREATE INDEX boards_account ON boards (account_id, created_at);
CREATE INDEX boards_game ON boards (game_id);
