-- CreateEnum
CREATE TYPE "DeploymentEventKind" AS ENUM ('DEPLOYED', 'UPDATED', 'CANARY_STARTED', 'CANARY_PROMOTED', 'ROLLED_BACK');

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "model_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "previous_model_version_id" UUID,
    "canary_model_version_id" UUID,
    "canary_percent" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_events" (
    "id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "kind" "DeploymentEventKind" NOT NULL,
    "from_model_version_id" UUID,
    "to_model_version_id" UUID NOT NULL,
    "canary_percent" DOUBLE PRECISION,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "predictions" (
    "id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "request_key" TEXT NOT NULL,
    "instance_index" INTEGER NOT NULL,
    "inputs" JSONB NOT NULL,
    "output" JSONB NOT NULL,
    "latency_ms" DOUBLE PRECISION NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "actual" JSONB,
    "actual_recorded_at" TIMESTAMPTZ(3),

    CONSTRAINT "predictions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deployments_name_key" ON "deployments"("name");

-- CreateIndex
CREATE INDEX "deployments_created_at_id_idx" ON "deployments"("created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "deployment_events_deployment_id_sequence_key" ON "deployment_events"("deployment_id", "sequence");

-- CreateIndex
CREATE INDEX "predictions_deployment_id_created_at_idx" ON "predictions"("deployment_id", "created_at");

-- CreateIndex
CREATE INDEX "predictions_deployment_id_request_key_idx" ON "predictions"("deployment_id", "request_key");

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_previous_model_version_id_fkey" FOREIGN KEY ("previous_model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_canary_model_version_id_fkey" FOREIGN KEY ("canary_model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_events" ADD CONSTRAINT "deployment_events_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
