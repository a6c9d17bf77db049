-- Community leaderboards and the appointments of their moderators (a hard-deleted row each).
-- Timestamps are BIGINT microseconds (UTC).

CREATE TABLE community_leaderboards (
    id         TEXT PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    slug       TEXT COLLATE "C" NOT NULL,
    rules      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_leaderboards_slug ON community_leaderboards (slug);

CREATE TABLE community_modships (
    id             TEXT PRIMARY KEY,
    member_id      TEXT NOT NULL REFERENCES community_members (id),
    leaderboard_id TEXT NOT NULL REFERENCES community_leaderboards (id),
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_modships_modship ON community_modships (member_id, leaderboard_id);
CREATE INDEX community_modships_leaderboard ON community_modships (leaderboard_id);
