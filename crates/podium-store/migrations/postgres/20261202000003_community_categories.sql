-- Community categories and their metrics (in order). Timestamps are BIGINT microseconds (UTC).

CREATE TABLE community_categories (
    id             TEXT PRIMARY KEY,
    leaderboard_id TEXT NOT NULL REFERENCES community_leaderboards (id),
    name           TEXT COLLATE "C" NOT NULL,
    slug           TEXT COLLATE "C" NOT NULL,
    rules          TEXT NOT NULL,
    players_min    BIGINT NOT NULL,
    players_max    BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_categories_slug ON community_categories (leaderboard_id, slug);

CREATE TABLE community_metrics (
    id          TEXT PRIMARY KEY,
    category_id TEXT NOT NULL REFERENCES community_categories (id),
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sort        TEXT NOT NULL,
    required    BOOLEAN NOT NULL
);
CREATE INDEX community_metrics_category ON community_metrics (category_id, position);
