import type { PrismaClient } from '../../src/infra/db/prisma-client';
import { createRunParents } from './run-fixtures';

/** A placeholder model version (no artifact) and deployments of it named `names`: what prediction rows reference. */
export async function createLogParents(prisma: PrismaClient, names: readonly string[]): Promise<{ modelVersionId: string; deploymentIds: string[] }> {
  const parents = await createRunParents(prisma);
  const dataset = await prisma.datasetVersion.findUniqueOrThrow({ where: { id: parents.datasetVersionId } });
  const version = await prisma.modelVersion.create({
    data: {
      modelId: parents.modelId,
      version: 1,
      datasetVersionId: dataset.id,
      datasetContentHash: dataset.contentHash,
      artifactSha256: 'f'.repeat(64),
      artifactBytes: 0,
      preprocessing: {},
      hyperparameters: {},
      environment: {},
    },
  });
  const deploymentIds: string[] = [];
  for (const name of names) deploymentIds.push((await prisma.deployment.create({ data: { name, modelId: parents.modelId, modelVersionId: version.id } })).id);
  return { modelVersionId: version.id, deploymentIds };
}
