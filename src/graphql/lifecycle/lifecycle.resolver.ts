import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Allow } from '../auth/access';
import type { GraphQLContext } from '../context';
import { Dataset } from '../datasets/dataset.type';
import { DeploymentChangePayload } from '../deployments/deployment.type';
import { ModelVersion } from '../model-versions/model-version.type';
import { Model } from '../models/model.type';
import { Study } from '../optimization/study.type';
import { DeletionResult } from './lifecycle.type';
import { runIdOfStudy } from '../optimization/study-id';

const ARCHIVED = 'It keeps everything it holds and stays readable by id or name, but leaves the default lists (`includeArchived: true` shows it)';
const DELETE =
  'ADMIN only. Deletes it and what belongs to it in one transaction, returning the counts; refused with IN_USE (`extensions.usedBy` names each user) while something that does not belong to it uses it.';

/**
 * Archive, restore and delete for datasets, models, model versions, studies and deployments (see
 * `src/services/lifecycle`). Archiving and restoring need EDITOR; deleting needs ADMIN.
 */
@Resolver()
export class LifecycleResolver {
  @Allow('EDITOR')
  @Mutation(() => Dataset, { description: `Archives a dataset. ${ARCHIVED}, and takes no new versions or models until restored.` })
  async archiveDataset(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.archiveDataset(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Dataset, { description: 'Restores an archived dataset.' })
  async restoreDataset(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.restoreDataset(id);
  }

  @Allow('ADMIN')
  @Mutation(() => DeletionResult, {
    description: `Deletes a dataset with its versions. ${DELETE} Refused while models are defined on it or other models' versions were evaluated on it.`,
  })
  async deleteDataset(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.deletion.deleteDataset(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Model, {
    description: `Archives a model. ${ARCHIVED}, and takes no new runs, studies or deployments until restored. Refused with IN_USE while a deployment that is not archived serves it.`,
  })
  async archiveModel(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.archiveModel(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Model, { description: 'Restores an archived model.' })
  async restoreModel(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.restoreModel(id);
  }

  @Allow('ADMIN')
  @Mutation(() => DeletionResult, {
    description: `Deletes a model with its versions (artifacts, evaluations), aliases and their history, runs, studies and trials (epochs, RUN_FAILED alerts). ${DELETE} Refused while it has deployments (archived ones too) or a run or study is queued or running.`,
  })
  async deleteModel(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.deletion.deleteModel(id);
  }

  @Allow('EDITOR')
  @Mutation(() => ModelVersion, {
    description: `Archives a model version. ${ARCHIVED} (Model.versions), and cannot be aliased or deployed until restored. Refused with IN_USE while an alias points at it or a deployment serves it, runs it as canary or keeps it as rollback target.`,
  })
  async archiveModelVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.archiveModelVersion(id);
  }

  @Allow('EDITOR')
  @Mutation(() => ModelVersion, { description: 'Restores an archived model version.' })
  async restoreModelVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.restoreModelVersion(id);
  }

  @Allow('ADMIN')
  @Mutation(() => DeletionResult, {
    description: `Deletes a model version with its artifact and evaluations (its run stays). ${DELETE} Refused while an alias points at it, or a deployment serves it, runs it as canary, keeps it as rollback target or holds predictions it made.`,
  })
  async deleteModelVersion(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.deletion.deleteModelVersion(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Study, { description: `Archives a study with its trial runs. ${ARCHIVED} (\`runs\`). Refused while it is queued or running.` })
  async archiveStudy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.archiveStudy(runIdOfStudy(id));
  }

  @Allow('EDITOR')
  @Mutation(() => Study, { description: 'Restores an archived study with its trial runs.' })
  async restoreStudy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.archive.restoreStudy(runIdOfStudy(id));
  }

  @Allow('ADMIN')
  @Mutation(() => DeletionResult, {
    description: `Deletes a study with its trial runs (epochs, alerts) and their trial versions. ${DELETE} Refused while it is queued or running, or a version promoted from its trials exists.`,
  })
  async deleteStudy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.deletion.deleteStudy(runIdOfStudy(id));
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, {
    description: `Archives a deployment: it serves no predictions (predict and explainPrediction answer INVALID_STATE) and is no longer drift-checked. ${ARCHIVED}. An ARCHIVED event, pushed on deploymentChanged.`,
  })
  async archiveDeployment(@Ctx() ctx: GraphQLContext, @Arg('deployment', { description: 'Deployment name.' }) deployment: string) {
    return ctx.services.deployments.archiveDeployment(deployment, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => DeploymentChangePayload, {
    description: 'Restores an archived deployment: it serves the versions it had. A RESTORED event, pushed on deploymentChanged.',
  })
  async restoreDeployment(@Ctx() ctx: GraphQLContext, @Arg('deployment', { description: 'Deployment name.' }) deployment: string) {
    return ctx.services.deployments.restoreDeployment(deployment, ctx.principal.name);
  }

  @Allow('ADMIN')
  @Mutation(() => DeletionResult, {
    description: `Deletes an archived deployment with its events, predictions (and their actuals), drift reports, alert rules and alerts; PREDICTOR keys that named it keep their other deployments. ${DELETE} Refused with INVALID_STATE unless it is archived first.`,
  })
  async deleteDeployment(@Ctx() ctx: GraphQLContext, @Arg('deployment', { description: 'Deployment name.' }) deployment: string) {
    return ctx.services.deletion.deleteDeployment(deployment);
  }
}
