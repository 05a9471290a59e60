import type { Task } from '../datasets/label-rules';
import type { Architecture } from '../../ml/model-builder';

/** A model definition: what it predicts, from which dataset, with which architecture. */
export interface Model {
  id: string;
  name: string;
  task: Task;
  datasetId: string;
  architecture: Architecture;
  createdAt: Date;
  /** Set while archived: hidden from lists, takes no new runs, studies or deployments. */
  archivedAt: Date | null;
}
