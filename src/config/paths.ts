import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root, found from this file whether it runs from `src/` (ts-jest) or `dist/src/` (compiled). */
function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(__dirname);
export const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');
export const schemaFile = path.join(projectRoot, 'schema.graphql');
/** Where `npm run build:web` puts the dashboard that the API serves at `/`. */
export const dashboardDir = path.join(projectRoot, 'web', 'dist');
/** mlplane's version, from package.json. */
export const packageVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
