/**
 * Integrated gradients (Sundararajan et al., 2017) for one instance: the attribution of input i is
 * (x_i - b_i) times the average gradient of the output along the straight path from the baseline
 * b to x. Attributions add up to f(x) - f(b) (completeness) up to the error of the path integral,
 * which is approximated with the trapezoidal rule; the steps double until that error is small.
 *
 * The default baseline is the all-zero feature vector: every numeric feature at its training mean
 * (standardization maps the mean to 0) and no category set for categorical ones.
 */
import { ValidationError } from '../../domain/errors';
import { featureWidth, type PreprocessingSpec } from '../preprocessing';
import type { LayersModel, Tensor, Tf } from '../tf-types';

export const INTEGRATED_GRADIENTS = 'INTEGRATED_GRADIENTS';

export interface IntegratedGradientsOptions {
  tf: Tf;
  model: LayersModel;
  spec: PreprocessingSpec;
  /** One preprocessed row (`spec.inputWidth` values). */
  input: Float32Array;
  /** Preprocessed baseline row. @default all zeros */
  baseline?: Float32Array;
  /**
   * Class whose probability is explained (multiclass; default the predicted class). Binary models
   * explain the probability of the positive class `classes[1]`; regression models the value.
   */
  classIndex?: number;
  /** Starting number of path steps. @default 64 */
  steps?: number;
  /** Largest number of path steps. @default 1024 */
  maxSteps?: number;
  /** Accepted completeness error relative to |f(x) - f(b)|. @default 0.005 */
  tolerance?: number;
}

export interface FeatureAttribution {
  /** Source column; a categorical column's one-hot inputs are summed into it. */
  feature: string;
  attribution: number;
}

export interface IntegratedGradientsResult {
  method: typeof INTEGRATED_GRADIENTS;
  /** Explained class (classification). */
  classIndex?: number;
  label?: string;
  /** f(x) and f(baseline): a probability, or a value in label units for regression. */
  output: number;
  baselineOutput: number;
  /** One per feature column, in spec order. */
  attributions: FeatureAttribution[];
  /** One per model input (matrix column). */
  inputAttributions: Float32Array;
  /** |sum of attributions - (output - baselineOutput)|. */
  completenessError: number;
  steps: number;
}

/**
 * Explains one instance.
 * @throws ValidationError when the input or baseline width does not match the spec, or the class is out of range.
 */
export function integratedGradients(options: IntegratedGradientsOptions): IntegratedGradientsResult {
  const { tf, model, spec, input } = options;
  const width = spec.inputWidth;
  const baseline = options.baseline ?? new Float32Array(width);
  if (input.length !== width || baseline.length !== width) {
    throw new ValidationError(`an instance has ${width} model inputs; got ${input.length} (baseline ${baseline.length})`, { field: 'input' });
  }
  const classIndex = targetClass(tf, model, spec, input, options.classIndex);
  let outputColumn = 0;
  if (spec.task === 'MULTICLASS_CLASSIFICATION') {
    if (classIndex === undefined) throw new Error('a multiclass explanation has no target class');
    outputColumn = classIndex;
  }
  const scale = spec.label.kind === 'TARGET' ? spec.label.scale : 1;
  const offset = spec.label.kind === 'TARGET' ? spec.label.mean : 0;
  const maxSteps = options.maxSteps ?? 1024;
  const tolerance = options.tolerance ?? 0.005;
  let steps = Math.max(1, options.steps ?? 64);
  for (;;) {
    const path = pathAttributions(tf, model, input, baseline, outputColumn, steps);
    const output = path.output * scale + offset;
    const baselineOutput = path.baselineOutput * scale + offset;
    const inputAttributions = path.attributions.map((value) => value * scale);
    const total = inputAttributions.reduce((sum, value) => sum + value, 0);
    const completenessError = Math.abs(total - (output - baselineOutput));
    const accepted = completenessError <= Math.max(tolerance * Math.abs(output - baselineOutput), 1e-5 * Math.max(1, scale));
    if (accepted || steps * 2 > maxSteps) {
      return {
        method: INTEGRATED_GRADIENTS,
        classIndex,
        label: classIndex === undefined || spec.label.kind !== 'CLASSES' ? undefined : spec.label.classes[classIndex],
        output,
        baselineOutput,
        attributions: spec.features.map((feature) => ({
          feature: feature.name,
          attribution: sumRange(inputAttributions, feature.offset, featureWidth(feature)),
        })),
        inputAttributions,
        completenessError,
        steps,
      };
    }
    steps *= 2;
  }
}

function targetClass(tf: Tf, model: LayersModel, spec: PreprocessingSpec, input: Float32Array, requested: number | undefined): number | undefined {
  if (spec.label.kind !== 'CLASSES') return undefined;
  if (spec.task === 'BINARY_CLASSIFICATION') return 1;
  const k = spec.label.classes.length;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 0 || requested >= k) {
      throw new ValidationError(`class index must be from 0 to ${k - 1}, got ${requested}`, { field: 'classIndex' });
    }
    return requested;
  }
  const probabilities = tf.tidy(() => (model.predict(tf.tensor2d(input, [1, input.length])) as Tensor).dataSync());
  let best = 0;
  for (let c = 1; c < k; c++) if (probabilities[c] > probabilities[best]) best = c;
  return best;
}

/** Trapezoidal integrated gradients of one output column, all path points in one batch. */
function pathAttributions(
  tf: Tf,
  model: LayersModel,
  input: Float32Array,
  baseline: Float32Array,
  outputColumn: number,
  steps: number,
): { attributions: Float32Array; output: number; baselineOutput: number } {
  const width = input.length;
  const points = new Float32Array((steps + 1) * width);
  for (let s = 0; s <= steps; s++) {
    const alpha = s / steps;
    for (let i = 0; i < width; i++) points[s * width + i] = baseline[i] + alpha * (input[i] - baseline[i]);
  }
  const [gradients, outputs] = tf.tidy(() => {
    const path = tf.tensor2d(points, [steps + 1, width]);
    const column = (x: Tensor) => tf.slice(model.apply(x, { training: false }) as Tensor, [0, outputColumn], [-1, 1]);
    const grads = tf.grad((x: Tensor) => tf.sum(column(x)))(path);
    return [grads, column(path)];
  });
  const g = gradients.dataSync();
  const f = outputs.dataSync();
  tf.dispose([gradients, outputs]);
  const attributions = new Float32Array(width);
  for (let i = 0; i < width; i++) {
    let sum = (g[i] + g[steps * width + i]) / 2;
    for (let s = 1; s < steps; s++) sum += g[s * width + i];
    attributions[i] = (input[i] - baseline[i]) * (sum / steps);
  }
  return { attributions, output: f[steps], baselineOutput: f[0] };
}

function sumRange(values: Float32Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += values[i];
  return sum;
}
