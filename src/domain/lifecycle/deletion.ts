/**
 * What a deletion removed, by kind, so that nothing is lost without the caller being told: the
 * deleted entity and everything that belonged to it (cascaded), each with a count.
 */

export type DeletedKind =
  | 'DATASET'
  | 'DATASET_VERSION'
  | 'MODEL'
  | 'MODEL_VERSION'
  | 'EVALUATION'
  | 'MODEL_ALIAS'
  | 'MODEL_ALIAS_EVENT'
  | 'RUN'
  | 'ALERT'
  | 'DEPLOYMENT'
  | 'DEPLOYMENT_EVENT'
  | 'PREDICTION'
  | 'DRIFT_REPORT'
  | 'ALERT_RULE'
  | 'API_KEY_GRANT';

export interface DeletedCount {
  kind: DeletedKind;
  count: number;
}

export interface DeletionReport {
  /** The id of the deleted entity. */
  id: string;
  /** Every kind the deletion removed rows of, with how many (the entity itself first). */
  deleted: DeletedCount[];
}
