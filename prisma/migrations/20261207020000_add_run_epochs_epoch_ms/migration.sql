-- RunEpoch.epochMs: the wall time of the epoch alone; elapsed_ms stays the time since training started.
ALTER TABLE "run_epochs" ADD COLUMN "epoch_ms" DOUBLE PRECISION;

-- Epochs recorded before: the gap between this epoch's elapsed_ms and the previous epoch's (the
-- first epoch: its elapsed_ms), never below 0 (a re-queued run may have replaced only some epochs).
UPDATE "run_epochs" AS e
SET "epoch_ms" = GREATEST(e."elapsed_ms" - COALESCE(
  (SELECT p."elapsed_ms" FROM "run_epochs" AS p WHERE p."run_id" = e."run_id" AND p."epoch" = e."epoch" - 1), 0), 0);

ALTER TABLE "run_epochs" ALTER COLUMN "epoch_ms" SET NOT NULL;
