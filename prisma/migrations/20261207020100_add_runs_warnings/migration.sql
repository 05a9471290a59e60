-- Run.warnings: what the run's settings warn about (e.g. fewer than 100 gradient steps), set when it is queued.
-- Runs from before have none recorded: [].
ALTER TABLE "runs" ADD COLUMN "warnings" JSONB NOT NULL DEFAULT '[]';
