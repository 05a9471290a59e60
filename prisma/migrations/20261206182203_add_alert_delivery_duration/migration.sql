-- AlterTable
ALTER TABLE "alert_deliveries" ADD COLUMN     "last_duration_ms" DOUBLE PRECISION;
