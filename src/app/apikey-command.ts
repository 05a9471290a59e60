import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import type { Config } from '../config/config';
import { ROLES } from '../domain/auth/principal';
import { DomainError } from '../domain/errors';
import { migrate } from '../infra/db/migrator';
import { createPrismaClient } from '../infra/db/prisma-client';
import { NotifyEventPublisher } from '../infra/events/notify-event-publisher';
import { ApiKeyService, type ApiKey } from '../services/auth/api-key.service';
import { resolveDatabase } from './database';

export const APIKEY_USAGE = `usage: mlplane apikey <create|list|revoke>

  create --name NAME --role ${ROLES.join('|')} [--deployment NAME]... [--expires ISO-TIME | --expires-in-days N]
         prints the new key (alone, on stdout: KEY=$(mlplane apikey create ...)); it is not shown again
  list   every key: name, role, deployments, created, expires, last used, revoked
  revoke NAME|ID
         the key stops working at once; running servers close its sockets (NOTIFY)

Works with the server stopped: uses DATABASE_URL, else the embedded PostgreSQL in MLPLANE_DATA_DIR
(refused while a server runs on that embedded database: use createApiKey over GraphQL then).
`;

/** Where the command writes: the key and tables on `out`, messages on `err`. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const STANDARD_OUTPUT: CommandOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

class UsageError extends Error {}

/**
 * The pid of a PostgreSQL that a live mlplane process runs on this data dir, if any. Starting the
 * embedded database would stop it (an orphan is stopped on start), taking the running server's
 * database away; a postmaster whose parent is gone (re-parented to pid 1) is an orphan, not in use.
 */
async function embeddedServerInUse(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return parent > 1 ? pid : undefined;
}

function expiryOf(values: { expires?: string; 'expires-in-days'?: string }, now: Date): Date | null {
  if (values.expires && values['expires-in-days']) throw new UsageError('give --expires or --expires-in-days, not both');
  if (values.expires) {
    const at = new Date(values.expires);
    if (Number.isNaN(at.getTime())) throw new UsageError(`--expires must be an ISO time, got "${values.expires}"`);
    return at;
  }
  if (values['expires-in-days']) {
    const days = Number(values['expires-in-days']);
    if (!(days > 0)) throw new UsageError(`--expires-in-days must be a positive number, got "${values['expires-in-days']}"`);
    return new Date(now.getTime() + days * 86_400_000);
  }
  return null;
}

function table(keys: ApiKey[]): string {
  const iso = (date: Date | null) => (date ? date.toISOString() : '-');
  const rows = [
    ['NAME', 'ROLE', 'DEPLOYMENTS', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
    ...keys.map((key) => [
      key.name,
      key.role,
      key.deploymentIds.length ? key.deploymentIds.join(',') : '-',
      iso(key.createdAt),
      iso(key.expiresAt),
      iso(key.lastUsedAt),
      iso(key.revokedAt),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Runs one `apikey` sub-command against `apiKeys`; throws UsageError or a DomainError. */
async function runSubcommand(apiKeys: ApiKeyService, args: string[], output: CommandOutput): Promise<void> {
  const subcommand = args.at(0);
  const rest = args.slice(1);
  switch (subcommand) {
    case 'create': {
      const { values } = parseArgs({
        args: rest,
        options: {
          name: { type: 'string' },
          role: { type: 'string' },
          deployment: { type: 'string', multiple: true },
          expires: { type: 'string' },
          'expires-in-days': { type: 'string' },
        },
        strict: true,
      });
      if (!values.name || !values.role) throw new UsageError('create needs --name and --role');
      const { key, token } = await apiKeys.createKey({
        name: values.name,
        role: values.role.toUpperCase(),
        deployments: values.deployment,
        expiresAt: expiryOf(values, apiKeys.now()),
      });
      output.out(`${token}\n`);
      output.err(`created API key "${key.name}" (${key.role}${key.expiresAt ? `, expires ${key.expiresAt.toISOString()}` : ''}); it is not shown again\n`);
      return;
    }
    case 'list':
      output.out(table(await apiKeys.listKeys()));
      return;
    case 'revoke': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('revoke needs one key name or id');
      const key = await apiKeys.revokeKey(positionals[0], 'key');
      output.err(`revoked API key "${key.name}" at ${key.revokedAt?.toISOString() ?? 'an unrecorded time'}\n`);
      return;
    }
    default:
      throw new UsageError(subcommand === undefined || subcommand === 'help' ? '' : `unknown apikey command "${subcommand}"`);
  }
}

/**
 * `mlplane apikey ...`: manages keys directly in the database (migrated first), so it works with the
 * server stopped. Sets `process.exitCode` 2 for usage errors, 1 for refused input.
 */
export async function runApiKeyCommand(config: Config, args: string[], output: CommandOutput = STANDARD_OUTPUT): Promise<void> {
  if (args.length === 0 || args[0] === 'help' || args[0] === '--help') {
    output.err(APIKEY_USAGE);
    return;
  }
  if (!config.databaseUrl) {
    const pid = await embeddedServerInUse(config.dataDir);
    if (pid !== undefined) {
      output.err(
        `mlplane is running on the embedded PostgreSQL in ${config.dataDir} (pid ${pid}): stop it first, ` +
          'or manage keys over GraphQL with an ADMIN key (createApiKey, apiKeys, revokeApiKey).\n',
      );
      process.exitCode = 1;
      return;
    }
  }
  const database = await resolveDatabase(config, 'apikey');
  const prisma = createPrismaClient(database.url, 2);
  const publishPool = new Pool({ connectionString: database.url, max: 1 });
  try {
    await migrate(database.url);
    await runSubcommand(new ApiKeyService(prisma, new NotifyEventPublisher(publishPool)), args, output);
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && error.name === 'TypeError' && 'code' in error)) {
      output.err(`${error.message ? `${error.message}\n\n` : ''}${APIKEY_USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof DomainError) {
      output.err(`${error.message}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  } finally {
    await prisma.$disconnect();
    await publishPool.end();
    await database.stop();
  }
}
