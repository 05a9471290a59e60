import type { Prisma } from '../../generated/prisma/client';
import { NotFoundError } from '../../domain/errors';
import type { ModelVersion } from '../../domain/models/model-version';
import { lockModelRow, type LockedModel } from '../models/model-repository';
import { findVersion, modelIdOfVersion } from '../model-versions/model-version-repository';

type Tx = Prisma.TransactionClient;

export type { LockedModel } from '../models/model-repository';

/** The model row, locked: the lifecycle of a model's versions serializes with alias moves and deployments on it. @throws NotFoundError (field `id`) */
export async function lockModel(tx: Tx, id: string): Promise<LockedModel> {
  const model = await lockModelRow(tx, id);
  if (!model) throw new NotFoundError('model', id, { field: 'id' });
  return model;
}

/** A version with its model row locked, the version read again under the lock. @throws NotFoundError (field `id`) */
export async function lockVersion(tx: Tx, id: string): Promise<{ model: LockedModel; version: ModelVersion }> {
  const modelId = await modelIdOfVersion(tx, id);
  if (!modelId) throw new NotFoundError('model version', id, { field: 'id' });
  const model = await lockModel(tx, modelId);
  const version = await findVersion(tx, id);
  if (!version) throw new NotFoundError('model version', id, { field: 'id' });
  return { model, version };
}
