import { createRandom } from '../../src/domain/random';
import type { Matrix } from '../../src/ml/tf-types';

/** Rows of standard-normal features and a 0/1 label from a fixed (seeded) linear rule plus noise. */
export function syntheticBinaryData(rows: number, features: number, seed: number): { x: Matrix; y: Matrix } {
  const random = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const weights = Array.from({ length: features }, () => normal());
  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = 0;
    for (let c = 0; c < features; c++) {
      const v = normal();
      x[r * features + c] = v;
      z += v * weights[c];
    }
    y[r] = z + 0.5 * normal() > 0 ? 1 : 0;
  }
  return { x: { data: x, rows, cols: features }, y: { data: y, rows, cols: 1 } };
}
