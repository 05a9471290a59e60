import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Text of a CSV in test/fixtures. */
export function fixtureCsv(name: 'iris' | 'breast_cancer' | 'diabetes' | 'digits'): string {
  return readFileSync(path.join(__dirname, '..', 'fixtures', `${name}.csv`), 'utf8');
}
