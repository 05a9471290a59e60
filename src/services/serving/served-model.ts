import { logger } from '../../infra/logger';
import { prepareModelForward, type ModelForward } from '../../ml/model-forward';
import { tf as loadTf } from '../../ml/tf-backend';
import type { LoadedModelVersion } from '../model-versions/model-version.service';

/** A loaded version with the forward pass it is served by. */
export interface ServedModel extends LoadedModelVersion {
  forward: ModelForward;
}

/** Prepares a loaded version's forward pass for serving (compiled when it can be) and says which one it got. */
export function servedModel(loaded: LoadedModelVersion): ServedModel {
  const forward = prepareModelForward(loadTf(), loaded.model);
  logger.info({ modelVersionId: loaded.version.id, forwardEngine: forward.engine, reason: forward.reason }, 'model version loaded for serving');
  return { ...loaded, forward };
}
