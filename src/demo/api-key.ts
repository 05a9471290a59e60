import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY_FILE } from '../app/first-admin-key';

/** The key the demo sends, and where it came from (printed, so a refused key is easy to trace). */
export interface DemoApiKey {
  key: string | undefined;
  /** `MLPLANE_API_KEY`, the admin-key file's path, or why there is none. */
  source: string;
}

/**
 * `MLPLANE_API_KEY` when set; else the ADMIN key a first start wrote to
 * `<MLPLANE_DATA_DIR or ./.mlplane>/admin-key`; else none (a server with keys on then answers 401).
 */
export function demoApiKey(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): DemoApiKey {
  const fromEnv = env.MLPLANE_API_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'MLPLANE_API_KEY' };
  const file = path.resolve(cwd, env.MLPLANE_DATA_DIR || '.mlplane', ADMIN_KEY_FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return { key, source: file };
  }
  return { key: undefined, source: `none (MLPLANE_API_KEY is unset and ${file} does not exist)` };
}
