-- Community members and their bearer tokens. Timestamps are BIGINT microseconds (UTC).
-- Names are unique ignoring case (name_key is the lowercased name) and e-mail addresses are
-- unique, among live members only: a deleted account frees both.

CREATE TABLE community_members (
    id            TEXT PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL,
    name_key      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    about         TEXT NOT NULL,
    admin         BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    deleted_at    BIGINT
);
CREATE UNIQUE INDEX community_members_name_key_live ON community_members (name_key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX community_members_email_live ON community_members (email) WHERE deleted_at IS NULL;

CREATE TABLE community_tokens (
    hash       TEXT PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES community_members (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX community_tokens_member ON community_tokens (member_id);
