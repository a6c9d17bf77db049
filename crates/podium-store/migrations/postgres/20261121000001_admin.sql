-- Admin resources: accounts, users, API keys, games, boards, and node settings.
-- Timestamps are BIGINT microseconds since the Unix epoch (UTC); JSON is TEXT.
-- Sortable text uses the "C" collation so that lists order bytewise, as on SQLite.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    slug       TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX accounts_slug_live ON accounts (slug) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    email        TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    super_admin  BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_account ON users (account_id, created_at);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    name         TEXT COLLATE "C" NOT NULL,
    prefix       TEXT COLLATE "C" NOT NULL,
    key_hash     TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE games (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name               TEXT COLLATE "C" NOT NULL,
    slug               TEXT COLLATE "C" NOT NULL,
    anti_cheat_enabled BOOLEAN NOT NULL,
    anti_cheat         TEXT COLLATE "C" NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    deleted_at         BIGINT
);
CREATE UNIQUE INDEX games_slug_live ON games (account_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX games_account ON games (account_id, created_at);

CREATE TABLE boards (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    account_id          TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    game_id             TEXT COLLATE "C" NOT NULL REFERENCES games (id),
    name                TEXT COLLATE "C" NOT NULL,
    slug                TEXT COLLATE "C" NOT NULL,
    short_code          TEXT COLLATE "C" NOT NULL,
    description         TEXT COLLATE "C",
    icon                TEXT COLLATE "C",
    unit                TEXT COLLATE "C",
    tags                TEXT COLLATE "C" NOT NULL,
    board_type          TEXT COLLATE "C" NOT NULL,
    sort_direction      TEXT COLLATE "C" NOT NULL,
    keep_strategy       TEXT COLLATE "C" NOT NULL,
    is_active           BOOLEAN NOT NULL,
    is_published        BOOLEAN NOT NULL,
    starts_at           BIGINT,
    ends_at             BIGINT,
    unique_player_names BOOLEAN NOT NULL,
    min_value           DOUBLE PRECISION,
    max_value           DOUBLE PRECISION,
    ratio_config        TEXT COLLATE "C",
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    deleted_at          BIGINT
);
CREATE UNIQUE INDEX boards_slug_live ON boards (game_id, slug) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX boards_short_code ON boards (short_code);
CREATE INDEX boards_account ON boards (account_id, created_at);
CREATE INDEX boards_game ON boards (game_id);
