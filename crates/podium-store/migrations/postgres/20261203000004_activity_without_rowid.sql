-- SQLite's migration of this number makes the activity days, sums and history tables
-- WITHOUT ROWID (the primary key is the table). PostgreSQL has no such choice and keeps the
-- tables as they are: this file keeps the two backends' migration numbers in step.
SELECT 1;
