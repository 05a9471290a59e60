import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';

/** Text of a CSV in examples/data (found from the project root, so the compiled benchmarks read it too). */
export function exampleCsv(name: 'breast_cancer'): string {
  return readFileSync(path.join(projectRoot, 'examples', 'data', `${name}.csv`), 'utf8');
}
