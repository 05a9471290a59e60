-- Dynamic batching settings per deployment ({ maxBatchSize, maxDelayMs }; empty = defaults).
ALTER TABLE "deployments" ADD COLUMN "serving" JSONB NOT NULL DEFAULT '{}';
