/**
 * Stored predictions as the services and resolvers see them: a plain type with no database type in
 * it. `src/services/predictions/prediction-repository.ts` is the only code that touches the
 * `predictions` table (the serving log's group commit included) and maps rows to this.
 */
import type { PredictionOutput } from '../../ml/serving/prediction-request';

/** The true label (a class name) or value (regression) recorded for a prediction. */
export type PredictionActual = string | number;

/** One served instance's answer, written before the answer was sent; its actual may arrive later. */
export interface Prediction {
  id: string;
  deploymentId: string;
  /** The version that served it (stable or canary). */
  modelVersionId: string;
  requestKey: string;
  /** Position of the instance in its request. */
  instanceIndex: number;
  output: PredictionOutput;
  /** Time to validate, preprocess and run the model for the whole request. */
  latencyMs: number;
  createdAt: Date;
  actual: PredictionActual | null;
  actualRecordedAt: Date | null;
}
