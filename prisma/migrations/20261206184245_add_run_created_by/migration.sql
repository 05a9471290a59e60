-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "created_by" TEXT;

-- CreateIndex
CREATE INDEX "runs_created_by_status_idx" ON "runs"("created_by", "status");
