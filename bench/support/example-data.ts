import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';

/** Path of a CSV in examples/data (found from the project root, so the compiled benchmarks find it too), e.g. for a Python baseline. */
export function exampleCsvPath(name: 'breast_cancer'): string {
  return path.join(projectRoot, 'examples', 'data', `${name}.csv`);
}

/** Text of a CSV in examples/data. */
export function exampleCsv(name: 'breast_cancer'): string {
  return readFileSync(exampleCsvPath(name), 'utf8');
}
