-- CreateEnum
CREATE TYPE "ModelVersionKind" AS ENUM ('STANDARD', 'TRIAL');

-- CreateEnum
CREATE TYPE "DeploymentAliasUpdate" AS ENUM ('SWITCH', 'CANARY');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "DeploymentEventKind" ADD VALUE 'ALIAS_FOLLOW_CHANGED';
ALTER TYPE "DeploymentEventKind" ADD VALUE 'ARCHIVED';
ALTER TYPE "DeploymentEventKind" ADD VALUE 'RESTORED';

-- DropIndex
DROP INDEX "model_versions_model_id_version_key";

-- AlterTable
ALTER TABLE "datasets" ADD COLUMN     "archived_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "deployment_events" ADD COLUMN     "alias_event_id" UUID;

-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "alias_canary_percent" DOUBLE PRECISION,
ADD COLUMN     "alias_update" "DeploymentAliasUpdate",
ADD COLUMN     "archived_at" TIMESTAMPTZ(3),
ADD COLUMN     "follow_alias" TEXT;

-- AlterTable
ALTER TABLE "model_alias_events" ALTER COLUMN "to_model_version_id" DROP NOT NULL;

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "archived_at" TIMESTAMPTZ(3),
ADD COLUMN     "kind" "ModelVersionKind" NOT NULL DEFAULT 'STANDARD';

-- AlterTable
ALTER TABLE "models" ADD COLUMN     "archived_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "archived_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "deployments_model_id_follow_alias_idx" ON "deployments"("model_id", "follow_alias");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_kind_version_key" ON "model_versions"("model_id", "kind", "version");


-- Versions that study trials registered become TRIAL versions, apart from the registered ones,
-- except those already in use (an alias points at it, or a deployment serves, canaries or keeps it
-- as its rollback target) and each study's best version (which a finished study now promotes):
-- they stay STANDARD with the number they have. Deployments made before this migration stay pinned.
UPDATE "model_versions" AS mv SET "kind" = 'TRIAL'
FROM "runs" AS r
WHERE mv."run_id" = r."id" AND r."kind" = 'TRIAL'
  AND NOT EXISTS (SELECT 1 FROM "model_aliases" AS a WHERE a."model_version_id" = mv."id")
  AND NOT EXISTS (
    SELECT 1 FROM "deployments" AS d
    WHERE mv."id" IN (d."model_version_id", d."canary_model_version_id", d."previous_model_version_id")
  )
  AND NOT EXISTS (
    SELECT 1 FROM "runs" AS s
    WHERE s."id" = r."parent_run_id" AND s."summary"->>'bestModelVersionId' = mv."id"::text
  );
