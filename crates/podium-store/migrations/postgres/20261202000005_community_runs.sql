-- Community runs: their runners (the set, kept when an account is deleted), participations
-- (what each runner filled in), variable values, metric values, judgements; and bans.
-- Timestamps are BIGINT microseconds (UTC); played_on is a day number (days since 1970-01-01).
-- runner_key is the sorted runner ids joined by commas: the "same runners" of the duplicate
-- and must-improve rules.

CREATE TABLE community_runs (
    id             TEXT PRIMARY KEY,
    category_id    TEXT NOT NULL REFERENCES community_categories (id),
    leaderboard_id TEXT NOT NULL REFERENCES community_leaderboards (id),
    submitted_by   TEXT NOT NULL REFERENCES community_members (id),
    runner_key     TEXT NOT NULL,
    played_on      BIGINT NOT NULL,
    submitted_at   BIGINT NOT NULL,
    status         TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX community_runs_runners ON community_runs (category_id, runner_key);
CREATE INDEX community_runs_category ON community_runs (category_id, submitted_at, id);
CREATE INDEX community_runs_queue ON community_runs (leaderboard_id, status, submitted_at, id);
CREATE INDEX community_runs_status ON community_runs (category_id, status, submitted_at, id);

CREATE TABLE community_run_runners (
    run_id    TEXT NOT NULL REFERENCES community_runs (id),
    member_id TEXT NOT NULL REFERENCES community_members (id),
    position  BIGINT NOT NULL,
    PRIMARY KEY (run_id, member_id)
);
CREATE INDEX community_run_runners_member ON community_run_runners (member_id);

CREATE TABLE community_participations (
    id        TEXT PRIMARY KEY,
    run_id    TEXT NOT NULL REFERENCES community_runs (id),
    member_id TEXT NOT NULL REFERENCES community_members (id),
    comment   TEXT,
    vod_url   TEXT,
    filled_at BIGINT
);
CREATE INDEX community_participations_run ON community_participations (run_id);
CREATE INDEX community_participations_member ON community_participations (member_id, filled_at);

CREATE TABLE community_run_values (
    run_id      TEXT NOT NULL REFERENCES community_runs (id),
    category_id TEXT NOT NULL,
    variable_id TEXT NOT NULL,
    value_id    TEXT NOT NULL,
    PRIMARY KEY (run_id, variable_id)
);
CREATE INDEX community_run_values_value ON community_run_values (value_id);
CREATE INDEX community_run_values_variable ON community_run_values (variable_id, category_id);

CREATE TABLE community_run_metrics (
    run_id    TEXT NOT NULL REFERENCES community_runs (id),
    metric_id TEXT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, metric_id)
);
CREATE INDEX community_run_metrics_metric ON community_run_metrics (metric_id);

CREATE TABLE community_judgements (
    id         TEXT PRIMARY KEY,
    run_id     TEXT NOT NULL REFERENCES community_runs (id),
    judge_id   TEXT NOT NULL REFERENCES community_members (id),
    note       TEXT NOT NULL,
    approved   BOOLEAN,
    created_at BIGINT NOT NULL
);
CREATE INDEX community_judgements_run ON community_judgements (run_id, created_at, id);

CREATE TABLE community_bans (
    id             TEXT PRIMARY KEY,
    member_id      TEXT NOT NULL REFERENCES community_members (id),
    leaderboard_id TEXT REFERENCES community_leaderboards (id),
    reason         TEXT NOT NULL,
    banned_by      TEXT NOT NULL REFERENCES community_members (id),
    created_at     BIGINT NOT NULL,
    lifted_at      BIGINT,
    lifted_by      TEXT REFERENCES community_members (id)
);
CREATE INDEX community_bans_member ON community_bans (member_id, created_at);
CREATE INDEX community_bans_leaderboard ON community_bans (leaderboard_id, created_at);
