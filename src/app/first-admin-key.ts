import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../domain/errors';
import { Pool } from 'pg';
import { createPrismaClient } from '../infra/db/prisma-client';
import { NotifyEventPublisher } from '../infra/events/notify-event-publisher';
import { ApiKeyService } from '../services/auth/api-key.service';

/** Name of the key a first start creates. */
export const FIRST_ADMIN_KEY_NAME = 'admin';
/** File in the data dir that holds the first ADMIN key (mode 0600), for the README's examples. */
export const ADMIN_KEY_FILE = 'admin-key';

/** The framed block printed once, on stdout, when the first key is created. */
export function adminKeyBanner(key: string, graphqlUrl: string, file: string): string {
  const lines = [
    'mlplane created its first API key (role ADMIN). It is shown only this once:',
    '',
    `  ${key}`,
    '',
    `Also written to ${file} (mode 0600).`,
    `GraphiQL: ${graphqlUrl} (paste the key in the "API key" field)`,
    `curl: -H "Authorization: Bearer $(cat ${file})"`,
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 2;
  const bar = `+${'-'.repeat(width)}+`;
  return [bar, ...lines.map((line) => `| ${line.padEnd(width - 1)}|`), bar, ''].join('\n');
}

/**
 * On a first start (no key in the database, revoked ones included) creates an ADMIN key named
 * `admin`, writes it to `<dataDir>/admin-key` with mode 0600, and prints it once in a framed block.
 * Another process that created it first (two replicas starting together) wins; this one does nothing.
 * @returns the file written, or undefined when keys already existed.
 */
export async function ensureFirstAdminKey(
  apiKeys: ApiKeyService,
  dataDir: string,
  graphqlUrl: string,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<string | undefined> {
  if ((await apiKeys.countKeys()) > 0) return undefined;
  let token: string;
  try {
    token = (await apiKeys.createKey({ name: FIRST_ADMIN_KEY_NAME, role: 'ADMIN' })).token;
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  const file = path.join(dataDir, ADMIN_KEY_FILE);
  await fs.mkdir(dataDir, { recursive: true });
  // Written with mode 0600 from the first byte; a stale file of an older database is replaced.
  await fs.rm(file, { force: true });
  await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  write(adminKeyBanner(token, graphqlUrl, file));
  return file;
}

/**
 * {@link ensureFirstAdminKey} from a process that runs no API itself (the primary of
 * `serve --processes N`): it opens, and closes again, its own connections to the database.
 */
export async function ensureFirstAdminKeyIn(databaseUrl: string, dataDir: string, graphqlUrl: string): Promise<string | undefined> {
  const prisma = createPrismaClient(databaseUrl, 1);
  const publishPool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await ensureFirstAdminKey(new ApiKeyService(prisma, new NotifyEventPublisher(publishPool)), dataDir, graphqlUrl);
  } finally {
    await publishPool.end();
    await prisma.$disconnect();
  }
}
