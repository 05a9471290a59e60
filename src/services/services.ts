import type { Config } from '../config/config';
import type { PrismaClient } from '../infra/db/prisma-client';
import { DatasetService } from './datasets/dataset.service';
import type { EventPublisher } from './events/event-publisher';
import { ModelService } from './models/model.service';

/** The domain services of one process, shared by resolvers and jobs alike. */
export interface DomainServices {
  datasets: DatasetService;
  models: ModelService;
}

export function createDomainServices(prisma: PrismaClient, events: EventPublisher, config: Config): DomainServices {
  const datasets = new DatasetService(prisma, events, { maxBytes: config.maxDatasetBytes, maxColumns: config.maxDatasetColumns });
  return { datasets, models: new ModelService(prisma, events, datasets) };
}
