import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { TrainingRunHyperparameters } from '../../domain/runs/training-hyperparameters';
import { defaultLoss, LOSSES, type LossName, type Monitor } from '../../ml/hyperparameters';
import type { ModelTask } from '../../ml/tf-types';

/** Values equal the domain's optimizer names. */
export enum OptimizerEnum {
  SGD = 'SGD',
  MOMENTUM = 'MOMENTUM',
  ADAM = 'ADAM',
  RMSPROP = 'RMSPROP',
  ADAGRAD = 'ADAGRAD',
}
registerEnumType(OptimizerEnum, { name: 'Optimizer', description: 'MOMENTUM is SGD with momentum 0.9.' });

/** The domain's loss names, as a GraphQL enum of the same values. */
export const LossEnum = Object.fromEntries(LOSSES.map((loss) => [loss, loss])) as { readonly [K in LossName]: K };
export type LossEnum = LossName;
registerEnumType(LossEnum, {
  name: 'Loss',
  description:
    "What training minimizes, with Keras' formulas (per row, averaged over the output units; a batch's loss is the mean over its rows, times class weights). BINARY_CROSSENTROPY is the only loss of BINARY_CLASSIFICATION and CATEGORICAL_CROSSENTROPY of MULTICLASS_CLASSIFICATION (probabilities clipped to [1e-7, 1 - 1e-7]); REGRESSION takes MEAN_SQUARED_ERROR (its default), MEAN_ABSOLUTE_ERROR or HUBER (delta 1, Keras' default, on the standardized target). Every backend (CPU, TENSORFLOW, TENSORFLOW_COMPILED) trains each of them.",
  valuesConfig: {
    BINARY_CROSSENTROPY: { description: '-(y log p + (1 - y) log(1 - p)).' },
    CATEGORICAL_CROSSENTROPY: { description: '-sum over classes of y log p.' },
    MEAN_SQUARED_ERROR: { description: '(output - y)^2.' },
    MEAN_ABSOLUTE_ERROR: { description: '|output - y|.' },
    HUBER: { description: '0.5 e^2 where |e| <= 1, else |e| - 0.5 (e = output - y, standardized).' },
  },
});

/** Values equal the domain's backend choices. */
export enum TrainingBackendEnum {
  AUTO = 'AUTO',
  TENSORFLOW = 'TENSORFLOW',
  TENSORFLOW_COMPILED = 'TENSORFLOW_COMPILED',
  CPU = 'CPU',
}
registerEnumType(TrainingBackendEnum, {
  name: 'TrainingBackend',
  description:
    'AUTO times a few training steps on every available engine (CPU, eager TENSORFLOW, TENSORFLOW_COMPILED) and keeps the fastest; TENSORFLOW is the native libtensorflow backend, one kernel launch at a time; TENSORFLOW_COMPILED runs each whole training step as one libtensorflow graph call (eagerly, with the reason recorded, when the model or the worker cannot); CPU is the pure-JS backend.',
});

/** Each value maps to a metric name the trainer reports per epoch. */
export enum EarlyStoppingMonitorEnum {
  LOSS = 'LOSS',
  ACCURACY = 'ACCURACY',
  MAE = 'MAE',
  RMSE = 'RMSE',
  VAL_LOSS = 'VAL_LOSS',
  VAL_ACCURACY = 'VAL_ACCURACY',
  VAL_MAE = 'VAL_MAE',
  VAL_RMSE = 'VAL_RMSE',
}
registerEnumType(EarlyStoppingMonitorEnum, {
  name: 'EarlyStoppingMonitor',
  description: 'The epoch metric early stopping watches (VAL_* need a validation split; ACCURACY is for classification, MAE and RMSE for regression).',
});

const TO_MONITOR: Record<EarlyStoppingMonitorEnum, Monitor> = {
  LOSS: 'loss',
  ACCURACY: 'accuracy',
  MAE: 'mae',
  RMSE: 'rmse',
  VAL_LOSS: 'val_loss',
  VAL_ACCURACY: 'val_accuracy',
  VAL_MAE: 'val_mae',
  VAL_RMSE: 'val_rmse',
};
const FROM_MONITOR = Object.fromEntries(Object.entries(TO_MONITOR).map(([key, value]) => [value, key])) as Record<Monitor, EarlyStoppingMonitorEnum>;

@ObjectType({ description: 'Fractions of the rows for each split; they sum to 1.' })
export class SplitFractions {
  @Field(() => Float) train!: number;
  @Field(() => Float) validation!: number;
  @Field(() => Float) test!: number;
}

@ObjectType()
export class EarlyStopping {
  @Field(() => EarlyStoppingMonitorEnum) monitor!: EarlyStoppingMonitorEnum;
  @Field(() => Int, { description: 'Epochs in a row without improvement before training stops.' }) patience!: number;
  @Field(() => Float, { description: 'Smallest change that counts as an improvement.' }) minDelta!: number;
  @Field({ description: 'Whether the weights of the best epoch are put back at the end.' }) restoreBestWeights!: boolean;
}

@ObjectType({ description: "A class's weight in the loss." })
export class ClassWeight {
  @Field() class!: string;
  @Field(() => Float) weight!: number;
}

@ObjectType({ description: 'The hyperparameters a run trained with, defaults filled in.' })
export class TrainingHyperparameters {
  @Field(() => Int) epochs!: number;
  @Field(() => Int, {
    nullable: true,
    description:
      'Rows per gradient step (1: stochastic; at least the training rows: one full batch). Null only for runs queued before the default of 32, which trained full batch.',
  })
  batchSize!: number | null;
  @Field(() => OptimizerEnum) optimizer!: OptimizerEnum;
  @Field(() => Float) learningRate!: number;
  @Field(() => LossEnum, { description: "The loss trained (runs queued before the loss could be chosen answer their task's loss, which they trained with)." })
  loss!: LossEnum;
  @Field(() => SplitFractions) split!: SplitFractions;
  @Field(() => Int, { description: 'Seed of the split and of the initial weights (drawn and recorded when not given).' }) seed!: number;
  @Field(() => EarlyStopping, { nullable: true }) earlyStopping!: EarlyStopping | null;
  @Field(() => [ClassWeight], { nullable: true, description: 'Listed classes weigh as given, the others 1.' })
  classWeights!: ClassWeight[] | null;
  @Field(() => TrainingBackendEnum) backend!: TrainingBackendEnum;
}

/**
 * The stored (normalized) hyperparameters of a run or model version as their GraphQL type.
 * `task` is asked for only when the stored ones predate the choice of loss.
 */
export async function toTrainingHyperparameters(stored: TrainingRunHyperparameters, task: () => Promise<ModelTask>): Promise<TrainingHyperparameters> {
  const loss: LossName = stored.loss ?? defaultLoss(await task());
  return {
    epochs: stored.epochs,
    batchSize: stored.batchSize,
    optimizer: stored.optimizer as OptimizerEnum,
    learningRate: stored.learningRate,
    loss: loss,
    split: stored.split,
    seed: stored.seed,
    earlyStopping: stored.earlyStopping ? { ...stored.earlyStopping, monitor: FROM_MONITOR[stored.earlyStopping.monitor] } : null,
    classWeights: stored.classWeights,
    backend: stored.backend as TrainingBackendEnum,
  };
}

@InputType()
export class SplitFractionsInput {
  @Field(() => Float) train!: number;
  @Field(() => Float, {
    description:
      "0 for none (as Keras' plain fit(X, y)): no validation metrics, and early stopping (or a study objective) on a VAL_* metric is refused; monitor LOSS, the training loss, instead.",
  })
  validation!: number;
  @Field(() => Float, {
    description:
      '0 for none: the run reports no test metrics (summary.testMetrics null), its version has no TEST evaluation and no feature importance; evaluate it with evaluateModelVersion on a dataset version.',
  })
  test!: number;
}

@InputType()
export class EarlyStoppingInput {
  @Field(() => EarlyStoppingMonitorEnum) monitor!: EarlyStoppingMonitorEnum;
  @Field(() => Int, { nullable: true, description: 'Defaults to 5.' }) patience?: number | null;
  @Field(() => Float, { nullable: true, description: 'Defaults to 0.' }) minDelta?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Defaults to true.' }) restoreBestWeights?: boolean | null;
}

@InputType()
export class ClassWeightInput {
  @Field({ description: 'A label class of the dataset version.' }) class!: string;
  @Field(() => Float, { description: 'Greater than 0.' }) weight!: number;
}

@InputType({
  description:
    "Every field is optional; the defaults are Keras' (10 epochs, batches of 32, Adam at 0.001, the task's loss). A run whose settings give fewer than 100 gradient steps (epochs x batches per epoch) is queued with a FEW_GRADIENT_STEPS warning (Run.warnings, and summary.warnings). See TrainingHyperparameters for what a run records.",
})
export class TrainingHyperparametersInput {
  @Field(() => Int, { nullable: true, description: '1 to 10,000; defaults to 10 (Keras).' }) epochs?: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Rows per gradient step, 1 to 1,000,000; defaults to 32 (Keras). 1 for stochastic; the training rows or more for one full batch per epoch.',
  })
  batchSize?: number | null;
  @Field(() => OptimizerEnum, { nullable: true, description: 'Defaults to ADAM.' }) optimizer?: OptimizerEnum | null;
  @Field(() => Float, { nullable: true, description: 'In (0, 10]; defaults per optimizer, as Keras: ADAM, RMSPROP and ADAGRAD 0.001, SGD and MOMENTUM 0.01.' })
  learningRate?: number | null;
  @Field(() => LossEnum, {
    nullable: true,
    description:
      "Defaults to the task's: BINARY_CROSSENTROPY, CATEGORICAL_CROSSENTROPY, or MEAN_SQUARED_ERROR for regression. A loss that does not fit the task is refused (BAD_USER_INPUT).",
  })
  loss?: LossEnum | null;
  @Field(() => SplitFractionsInput, { nullable: true, description: 'Defaults to 0.7 / 0.15 / 0.15; validation and test may be 0.' })
  split?: SplitFractionsInput | null;
  @Field(() => Int, { nullable: true, description: 'Drawn at random and recorded when omitted.' }) seed?: number | null;
  @Field(() => EarlyStoppingInput, { nullable: true, description: 'Off when omitted.' }) earlyStopping?: EarlyStoppingInput | null;
  @Field(() => [ClassWeightInput], { nullable: true, description: 'Classification only.' }) classWeights?: ClassWeightInput[] | null;
  @Field(() => TrainingBackendEnum, { nullable: true, description: 'Defaults to AUTO.' }) backend?: TrainingBackendEnum | null;
}

/**
 * The input as the plain object `parseTrainingHyperparameters` checks (it reports errors under
 * `input.hyperparameters.*`): only the fields the client sent, monitors as metric names.
 */
export function fromTrainingHyperparametersInput(input: TrainingHyperparametersInput | null | undefined): Record<string, unknown> {
  if (!input) return {};
  const { earlyStopping, split, classWeights, ...scalars } = input;
  return {
    ...scalars,
    ...(split ? { split: { train: split.train, validation: split.validation, test: split.test } } : {}),
    ...(earlyStopping ? { earlyStopping: { ...earlyStopping, monitor: TO_MONITOR[earlyStopping.monitor] } } : {}),
    ...(classWeights ? { classWeights: classWeights.map((entry) => ({ class: entry.class, weight: entry.weight })) } : {}),
  };
}
