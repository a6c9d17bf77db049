-- Submission counts get their own timestamps (the reference has them): when the player first
-- submitted to the board, and when the counts last changed. Rows from before know only their
-- last submission, which stands in for both.
ALTER TABLE score_submission_metadata ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE score_submission_metadata ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE score_submission_metadata SET created_at = last_submission_at, updated_at = last_submission_at;
