-- AlterTable
ALTER TABLE "predictions" ADD COLUMN     "vector" BYTEA;
