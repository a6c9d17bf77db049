-- Community variables, their values (in order) and their assignments to categories.
-- Timestamps are BIGINT microseconds (UTC).

CREATE TABLE community_variables (
    id             TEXT PRIMARY KEY,
    leaderboard_id TEXT NOT NULL REFERENCES community_leaderboards (id),
    name           TEXT COLLATE "C" NOT NULL,
    slug           TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_variables_slug ON community_variables (leaderboard_id, slug);

CREATE TABLE community_variable_values (
    id          TEXT PRIMARY KEY,
    variable_id TEXT NOT NULL REFERENCES community_variables (id),
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL
);
CREATE INDEX community_variable_values_variable ON community_variable_values (variable_id, position);

CREATE TABLE community_variable_categories (
    variable_id TEXT NOT NULL REFERENCES community_variables (id),
    category_id TEXT NOT NULL REFERENCES community_categories (id),
    required    BOOLEAN NOT NULL,
    obsoleting  BOOLEAN NOT NULL,
    PRIMARY KEY (variable_id, category_id)
);
CREATE INDEX community_variable_categories_category ON community_variable_categories (category_id);
