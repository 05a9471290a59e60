import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';

/** Text of a CSV in test/fixtures (found from the project root, so compiled benchmarks read it too). */
export function fixtureCsv(name: 'iris' | 'breast_cancer' | 'diabetes' | 'digits'): string {
  return readFileSync(path.join(projectRoot, 'test', 'fixtures', `${name}.csv`), 'utf8');
}
