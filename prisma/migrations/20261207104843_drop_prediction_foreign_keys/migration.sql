-- The prediction log checks and locks a batch's deployment and model version once per batch
-- (LOCK_PREDICTION_PARENTS in prediction-repository.ts) instead of once per row: per-row foreign-key
-- checks doubled PostgreSQL's CPU per logged prediction. Deletions delete or refuse predictions themselves.

-- DropForeignKey
ALTER TABLE "predictions" DROP CONSTRAINT "predictions_deployment_id_fkey";

-- DropForeignKey
ALTER TABLE "predictions" DROP CONSTRAINT "predictions_model_version_id_fkey";

