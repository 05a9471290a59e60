import type { Page, PageRequest } from '../../domain/common/pagination';
import { NAME_PATTERN, type DatasetVersion } from '../../domain/datasets/dataset';
import type { Task } from '../../domain/datasets/label-rules';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError, Violations } from '../../domain/errors';
import type { Model } from '../../domain/models/model';
import { checkModelFits, shapeOn, type ModelBudget } from '../../domain/models/model-size';
import { validateArchitecture, type Architecture, type HiddenLayerSpec, type OutputLayerSpec } from '../../ml/model-builder';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { DatasetService } from '../datasets/dataset.service';
import type { EventPublisher } from '../events/event-publisher';
import { isUniqueViolation } from '../prisma-errors';
import { ModelRepository } from './model-repository';

export interface CreateModelInput {
  name: string;
  datasetId: string;
  /** Defaults to the dataset's task. */
  task?: Task | null;
  layers: HiddenLayerSpec[];
  outputLayer?: OutputLayerSpec | null;
}

/** Whether a model of `modelTask` can learn a dataset labelled for `datasetTask`. */
function taskFits(modelTask: Task, datasetTask: Task): boolean {
  return modelTask === datasetTask || (modelTask === 'MULTICLASS_CLASSIFICATION' && datasetTask === 'BINARY_CLASSIFICATION');
}

/** Model definitions: creation with validated architecture, and queries (stored through {@link ModelRepository}). */
export class ModelService {
  private readonly repository: ModelRepository;

  constructor(
    prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly datasets: DatasetService,
    private readonly budget: ModelBudget,
  ) {
    this.repository = new ModelRepository(prisma);
  }

  /** @throws ValidationError listing every problem of the input (name, task, each layer setting); NotFoundError for an unknown dataset. */
  async createModel(input: CreateModelInput): Promise<Model> {
    const problems = new Violations();
    if (!NAME_PATTERN.test(input.name)) {
      problems.add(`name "${input.name.slice(0, 60)}" must be 1-200 characters of letters, digits, space and . _ : / -`, { field: 'input.name' });
    }
    const dataset = await this.datasets.requireDataset(input.datasetId, 'input.datasetId');
    if (dataset.archivedAt)
      throw new InvalidStateError(`dataset "${dataset.name}" is archived: restore it first (restoreDataset)`, { field: 'input.datasetId' });
    const task = input.task ?? dataset.task;
    if (!taskFits(task, dataset.task)) {
      problems.add(`a ${task} model cannot learn dataset "${dataset.name}", whose label makes it ${dataset.task}`, { field: 'input.task' });
    }
    const architecture: Architecture = {
      layers: input.layers.map(withoutNulls),
      ...(input.outputLayer ? { outputLayer: withoutNulls(input.outputLayer) } : {}),
    };
    problems.check(() => validateArchitecture(architecture, task, 'input'));
    problems.throwIfAny();
    const latest = await this.datasets.latestVersion(dataset.id);
    if (latest) this.checkFits(architecture, task, latest, 1, 'input.layers');
    try {
      const model = await this.repository.insert({ name: input.name, task, datasetId: dataset.id, architecture });
      logger.info({ modelId: model.id, name: model.name }, 'model created');
      await this.events.publish('modelCreated', { id: model.id });
      return model;
    } catch (error) {
      if (isUniqueViolation(error, 'name')) throw new ConflictError(`a model named "${input.name}" already exists`, { field: 'input.name' });
      throw error;
    }
  }

  /** Models, newest first; archived ones only when asked. */
  async listModels(request: PageRequest, options: { includeArchived?: boolean | null } = {}): Promise<Page<Model>> {
    return this.repository.page(request, options.includeArchived ?? false);
  }

  /** Looks a model up by id or by name (exactly one of them). */
  async findModel(key: { id?: string | null; name?: string | null }): Promise<Model | null> {
    if ((key.id == null) === (key.name == null)) {
      throw new ValidationError('give exactly one of id and name', { field: key.id == null ? 'id' : 'name' });
    }
    return key.id != null ? this.repository.findById(key.id) : this.repository.findByName(key.name ?? '');
  }

  async requireModel(id: string, field = 'modelId'): Promise<Model> {
    const model = await this.repository.findById(id);
    if (!model) throw new NotFoundError('model', id, { field });
    return model;
  }

  /**
   * The model and the dataset version a run of it trains on, checked: both exist (NOT_FOUND on
   * `input.modelId` / `input.datasetVersionId`), the version belongs to the model's dataset, and the
   * stored architecture is still valid. Neither the model nor the dataset may be archived (INVALID_STATE).
   */
  async requireTrainingTarget(modelId: string, datasetVersionId: string): Promise<{ model: Model; version: DatasetVersion }> {
    const model = await this.requireModel(modelId, 'input.modelId');
    if (model.archivedAt) throw new InvalidStateError(`model "${model.name}" is archived: restore it first (restoreModel)`, { field: 'input.modelId' });
    const version = await this.datasets.requireVersion(datasetVersionId, 'input.datasetVersionId');
    if (version.datasetId !== model.datasetId) {
      throw new ValidationError(`dataset version ${version.id} belongs to another dataset than model "${model.name}" was defined on`, {
        field: 'input.datasetVersionId',
      });
    }
    const dataset = await this.datasets.requireDataset(version.datasetId, 'input.datasetVersionId');
    if (dataset.archivedAt)
      throw new InvalidStateError(`dataset "${dataset.name}" is archived: restore it first (restoreDataset)`, { field: 'input.datasetVersionId' });
    validateArchitecture(model.architecture, model.task, 'model');
    return { model, version };
  }

  /**
   * Refuses a model too big for a worker (see `model-size.ts`): on `version`, `batchRows` rows per
   * step, the version's rows in memory.
   * @throws ValidationError with the parameter count, the step's cost or the memory estimate and the limit.
   */
  checkFits(architecture: Architecture, task: Task, version: DatasetVersion, batchRows: number, field: string, batchField?: string): void {
    const shape = shapeOn(
      version,
      architecture.layers.map((layer) => layer.units),
      task === 'MULTICLASS_CLASSIFICATION',
    );
    checkModelFits(shape, { batch: batchRows, dataset: version.rowCount, batchField }, this.budget, field);
  }

  async findModelsByIds(ids: readonly string[]): Promise<Model[]> {
    return this.repository.findByIds(ids);
  }
}

/** GraphQL gives null for omitted optional input fields; the stored architecture keeps only what was set. */
function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}
