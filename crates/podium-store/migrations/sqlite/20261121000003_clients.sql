-- Game clients: devices, their sessions (tokens stored as SHA-256 hashes), spent nonces, and a
-- normalised player name on ranked entries for the player-name check.

CREATE TABLE devices (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    game_id            TEXT NOT NULL REFERENCES games (id),
    identity_id        TEXT NOT NULL REFERENCES identities (id),
    client_fingerprint TEXT NOT NULL,
    platform           TEXT,
    status             TEXT NOT NULL,
    first_seen_at      INTEGER NOT NULL,
    last_seen_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_fingerprint ON devices (game_id, client_fingerprint);

CREATE TABLE identity_sessions (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    game_id            TEXT NOT NULL REFERENCES games (id),
    identity_id        TEXT NOT NULL REFERENCES identities (id),
    device_id          TEXT NOT NULL REFERENCES devices (id),
    test_mode          BOOLEAN NOT NULL,
    access_hash        TEXT NOT NULL,
    refresh_hash       TEXT NOT NULL,
    access_expires_at  INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    revoked_at         INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX identity_sessions_access ON identity_sessions (access_hash);
CREATE UNIQUE INDEX identity_sessions_refresh ON identity_sessions (refresh_hash);
CREATE INDEX identity_sessions_account ON identity_sessions (account_id, created_at);
CREATE INDEX identity_sessions_identity ON identity_sessions (identity_id);

-- A nonce is issued without a write (it is signed); spending it inserts its id here, so it can
-- be spent once on any node. Rows are purged after the nonce expires.
CREATE TABLE spent_nonces (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX spent_nonces_expiry ON spent_nonces (expires_at);

ALTER TABLE scores ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE scores SET name_key = lower(trim(player_name));
CREATE INDEX scores_name_key ON scores (board_id, name_key);
