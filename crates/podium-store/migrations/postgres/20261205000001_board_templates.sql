-- Board templates: the defaults, schedule and patterns recurring boards are stamped out from.
-- `board_defaults` is the JSON of the board fields every period's board gets. A board a
-- template stamped out carries the template, its number in the series and when its period
-- began; (template_id, series) is unique among all boards, deleted ones included, so each
-- period is stamped out once however many nodes run the scheduler.
CREATE TABLE board_templates (
    id               TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    game_id          TEXT COLLATE "C" NOT NULL REFERENCES games (id),
    name             TEXT COLLATE "C" NOT NULL,
    slug             TEXT COLLATE "C" NOT NULL,
    name_pattern     TEXT COLLATE "C" NOT NULL,
    slug_pattern     TEXT COLLATE "C" NOT NULL,
    schedule         TEXT COLLATE "C" NOT NULL,
    time_zone        TEXT COLLATE "C" NOT NULL,
    duration_seconds BIGINT,
    board_defaults   TEXT COLLATE "C" NOT NULL,
    is_active        BOOLEAN NOT NULL,
    starts_at        BIGINT NOT NULL,
    ends_at          BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    deleted_at       BIGINT
);
CREATE UNIQUE INDEX board_templates_slug_live ON board_templates (game_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX board_templates_account ON board_templates (account_id, created_at);

ALTER TABLE boards ADD COLUMN template_id TEXT COLLATE "C" REFERENCES board_templates (id);
ALTER TABLE boards ADD COLUMN series BIGINT;
ALTER TABLE boards ADD COLUMN period_start BIGINT;
CREATE UNIQUE INDEX boards_template_series ON boards (template_id, series) WHERE template_id IS NOT NULL;
