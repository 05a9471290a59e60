/**
 * Samples for the drift tests, defined by integer formulas so that scipy-reference.py builds the
 * same float64 values: a sum of three scrambled uniform grids (a rough bell shape on [0, 3)).
 */
export function grid(n: number, a: number, b: number, c: number, offset = 0): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (((i * a) % 1000) + ((i * b) % 1000) + ((i * c) % 1000)) / 1000 + offset);
}
