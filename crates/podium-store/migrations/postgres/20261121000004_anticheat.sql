-- Anti-cheat: flags (detections with evidence and review) and per player-and-board submission
-- counts. Refused attempts of one player on one board share one flag per detection
-- (`attempts` counts them), so a flood of refusals cannot grow the table.

CREATE TABLE score_flags (
    id                TEXT COLLATE "C" PRIMARY KEY,
    account_id        TEXT COLLATE "C" NOT NULL,
    game_id           TEXT COLLATE "C" NOT NULL,
    board_id          TEXT COLLATE "C" NOT NULL,
    identity_id       TEXT COLLATE "C" NOT NULL,
    score_event_id    TEXT COLLATE "C",
    score_id          TEXT COLLATE "C",
    flag_type         TEXT COLLATE "C" NOT NULL,
    confidence        TEXT COLLATE "C" NOT NULL,
    status            TEXT COLLATE "C" NOT NULL,
    metadata          TEXT COLLATE "C" NOT NULL,
    attempts          BIGINT NOT NULL,
    reviewer_id       TEXT COLLATE "C",
    reviewer_decision TEXT COLLATE "C",
    reviewed_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    deleted_at        BIGINT
);
CREATE UNIQUE INDEX score_flags_refused ON score_flags (identity_id, board_id, flag_type) WHERE score_event_id IS NULL;
CREATE INDEX score_flags_account ON score_flags (account_id, created_at);
CREATE INDEX score_flags_event ON score_flags (score_event_id);

CREATE TABLE score_submission_metadata (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL,
    game_id            TEXT COLLATE "C" NOT NULL,
    board_id           TEXT COLLATE "C" NOT NULL,
    identity_id        TEXT COLLATE "C" NOT NULL,
    submission_count   BIGINT NOT NULL,
    rejected_count     BIGINT NOT NULL,
    last_submission_at BIGINT NOT NULL,
    last_score_value   DOUBLE PRECISION,
    score_event_id     TEXT COLLATE "C"
);
CREATE UNIQUE INDEX score_submission_metadata_slot ON score_submission_metadata (identity_id, board_id);
-- Only columns that never change are indexed, so counting a submission rewrites one row and no index.
CREATE INDEX score_submission_metadata_account ON score_submission_metadata (account_id, board_id);

-- Counts of the submissions accepted before this migration (ids: `sub_` + a valid lower-case ULID).
INSERT INTO score_submission_metadata
    (id, account_id, game_id, board_id, identity_id, submission_count, rejected_count, last_submission_at)
SELECT 'sub_0' || substr(md5(random()::text), 1, 25), account_id, game_id, board_id, identity_id,
       COUNT(*), 0, MAX(created_at)
FROM score_events GROUP BY account_id, game_id, board_id, identity_id;
