-- Game clients: devices, their sessions (tokens stored as SHA-256 hashes), spent nonces, and a
-- normalised player name on ranked entries for the player-name check.

CREATE TABLE devices (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    game_id            TEXT COLLATE "C" NOT NULL REFERENCES games (id),
    identity_id        TEXT COLLATE "C" NOT NULL REFERENCES identities (id),
    client_fingerprint TEXT COLLATE "C" NOT NULL,
    platform           TEXT COLLATE "C",
    status             TEXT COLLATE "C" NOT NULL,
    first_seen_at      BIGINT NOT NULL,
    last_seen_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX devices_fingerprint ON devices (game_id, client_fingerprint);

CREATE TABLE identity_sessions (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    game_id            TEXT COLLATE "C" NOT NULL REFERENCES games (id),
    identity_id        TEXT COLLATE "C" NOT NULL REFERENCES identities (id),
    device_id          TEXT COLLATE "C" NOT NULL REFERENCES devices (id),
    test_mode          BOOLEAN NOT NULL,
    access_hash        TEXT COLLATE "C" NOT NULL,
    refresh_hash       TEXT COLLATE "C" NOT NULL,
    access_expires_at  BIGINT NOT NULL,
    refresh_expires_at BIGINT NOT NULL,
    revoked_at         BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_sessions_access ON identity_sessions (access_hash);
CREATE UNIQUE INDEX identity_sessions_refresh ON identity_sessions (refresh_hash);
CREATE INDEX identity_sessions_account ON identity_sessions (account_id, created_at);
CREATE INDEX identity_sessions_identity ON identity_sessions (identity_id);

-- A nonce is issued without a write (it is signed); spending it inserts its id here, so it can
-- be spent once on any node. Rows are purged after the nonce expires.
CREATE TABLE spent_nonces (
    id         TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX spent_nonces_expiry ON spent_nonces (expires_at);

ALTER TABLE scores ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE scores SET name_key = lower(trim(player_name));
CREATE INDEX scores_name_key ON scores (board_id, name_key);
