-- The drift vector is the one copy of a prediction's inputs; the JSON is kept only when no vector can hold them.
ALTER TABLE "predictions" ALTER COLUMN "inputs" DROP NOT NULL;
