-- Board templates: the defaults, schedule and patterns recurring boards are stamped out from.
-- `board_defaults` is the JSON of the board fields every period's board gets. A board a
-- template stamped out carries the template, its number in the series and when its period
-- began; (template_id, series) is unique among all boards, deleted ones included, so each
-- period is stamped out once however many nodes run the scheduler.
CREATE TABLE board_templates (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    game_id          TEXT NOT NULL REFERENCES games (id),
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL,
    name_pattern     TEXT NOT NULL,
    slug_pattern     TEXT NOT NULL,
    schedule         TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    duration_seconds INTEGER,
    board_defaults   TEXT NOT NULL,
    is_active        BOOLEAN NOT NULL,
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER
);
CREATE UNIQUE INDEX board_templates_slug_live ON board_templates (game_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX board_templates_account ON board_templates (account_id, created_at);

ALTER TABLE boards ADD COLUMN template_id TEXT REFERENCES board_templates (id);
ALTER TABLE boards ADD COLUMN series INTEGER;
ALTER TABLE boards ADD COLUMN period_start INTEGER;
CREATE UNIQUE INDEX boards_template_series ON boards (template_id, series) WHERE template_id IS NOT NULL;
