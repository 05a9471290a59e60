import type { DeploymentEvent } from '../../services/deployments/deployment.service';
import { definePageLoader } from '../common/page-loader';

/** A page of each deployment's changes. */
export const deploymentEventPages = definePageLoader<DeploymentEvent>('deploymentEventPages', (ids, args, ctx) =>
  ctx.services.deployments.pageEvents(ids, args),
);
