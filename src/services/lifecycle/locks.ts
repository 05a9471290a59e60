import type { ModelVersion, Prisma } from '../../generated/prisma/client';
import { isUuid } from '../../domain/common/uuid';
import { NotFoundError } from '../../domain/errors';

type Tx = Prisma.TransactionClient;

export interface LockedModel {
  id: string;
  name: string;
  archived_at: Date | null;
}

/** The model row, locked: the lifecycle of a model's versions serializes with alias moves and deployments on it. @throws NotFoundError (field `id`) */
export async function lockModel(tx: Tx, id: string): Promise<LockedModel> {
  const model = (isUuid(id) ? await tx.$queryRaw<LockedModel[]>`SELECT id, name, archived_at FROM models WHERE id = ${id}::uuid FOR UPDATE` : []).at(0);
  if (!model) throw new NotFoundError('model', id, { field: 'id' });
  return model;
}

/** A version with its model row locked, the version read again under the lock. @throws NotFoundError (field `id`) */
export async function lockVersion(tx: Tx, id: string): Promise<{ model: LockedModel; version: ModelVersion }> {
  const found = isUuid(id) ? await tx.modelVersion.findUnique({ where: { id }, select: { modelId: true } }) : null;
  if (!found) throw new NotFoundError('model version', id, { field: 'id' });
  const model = await lockModel(tx, found.modelId);
  const version = await tx.modelVersion.findUnique({ where: { id } });
  if (!version) throw new NotFoundError('model version', id, { field: 'id' });
  return { model, version };
}
