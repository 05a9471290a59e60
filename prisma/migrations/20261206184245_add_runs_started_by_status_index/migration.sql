-- CreateIndex
CREATE INDEX "runs_started_by_status_idx" ON "runs"("started_by", "status");
