import type { ClassType } from 'type-graphql';
import { loadConfig } from '../../src/config/config';
import { startApiProcess } from '../../src/app/api-process';
import type { PgPubSub } from '../../src/infra/events/pg-pubsub';
import { logger as rootLogger, type Logger } from '../../src/infra/logger';
import type { Services } from '../../src/graphql/context';
import type { ApiServer, ReadinessReport } from '../../src/graphql/server';
import type { Role } from '../../src/domain/auth/principal';
import { ConflictError } from '../../src/domain/errors';
import { useApiKey } from './graphql-client';
import type { HostResolver } from '../../src/services/alerts/webhook-target';
import type { Clock } from '../../src/domain/limits/token-bucket';

export interface TestServerOptions {
  databaseUrl: string;
  /** Test-only resolver classes served next to mlplane's own. */
  extraResolvers?: ClassType[];
  logger?: Logger;
  shutdownGraceMs?: number;
  /** Replaces the real readiness check (database reachable, migrations applied). */
  readiness?: () => Promise<ReadinessReport>;
  /** Environment variables on top of the process's (configuration under test). */
  env?: NodeJS.ProcessEnv;
  /** Name of the ADMIN key the server creates and test clients send by default. @default 'test-admin' (taken: `test-admin-<port>`) */
  adminKeyName?: string;
  /** Resolves webhook host names (a fake DNS table); the system resolver by default. */
  hostResolver?: HostResolver;
  /** The rate limiters' clock (tests move it by hand to refill buckets). */
  clock?: Clock;
  /** Serves the built web dashboard (web/dist) at `/`. */
  dashboardDir?: string;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** The same endpoint for graphql-ws. */
  wsUrl: string;
  /** Base URL for `/healthz` and `/readyz`. */
  origin: string;
  server: ApiServer;
  pubSub: PgPubSub;
  services: Services;
  /** The ADMIN key created at start (none with MLPLANE_AUTH=disabled); postGraphQL and connectWsClient send it by default. */
  adminKey: string | undefined;
  /** The name of `adminKey`: the actor of what tests do with the default key. */
  adminKeyName: string | undefined;
  /** Creates a key of `role` named `name` and returns its secret. */
  createKey(name: string, role: Role, deployments?: string[]): Promise<string>;
  /** `Authorization` headers of a key named `name` (created once per database, EDITOR unless `role`), to act as that name. */
  headersFor(name: string, role?: Role): Promise<Record<string, string>>;
  /** Stops the server, its monitors, then closes the pub/sub and the database pools. */
  close(): Promise<void>;
}

/** Keys created by `headersFor`, per database and name (servers on one database share them). */
const namedKeys = new Map<string, Promise<string>>();

/**
 * Rate limits are off in test servers unless a test sets them (`env`): one test drives far more
 * requests per second from 127.0.0.1 than any client should, and that is not what it tests.
 */
const RATE_LIMITS_OFF: NodeJS.ProcessEnv = {
  MLPLANE_RATE_LIMIT_PER_MINUTE: '0',
  MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE: '0',
  MLPLANE_PREDICT_RATE_LIMIT_PER_MINUTE: '0',
};

/**
 * An API server on a free loopback port, started by the same composition root as `serve`
 * (`startApiProcess`), over `databaseUrl`: two of these on one database behave like two `serve`
 * replicas. Tests may add resolvers and replace the readiness check.
 */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const config = loadConfig({ ...RATE_LIMITS_OFF, ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, PORT: '0', MLPLANE_HOST: '127.0.0.1' });
  const api = await startApiProcess(config, options.databaseUrl, options.logger ?? rootLogger, {
    extraResolvers: options.extraResolvers,
    readiness: options.readiness,
    shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    prismaPoolSize: 4,
    hostResolver: options.hostResolver,
    clock: options.clock,
    dashboardDir: options.dashboardDir ?? null,
  });
  const createKey = async (name: string, role: Role, deployments?: string[]) => (await api.services.apiKeys.createKey({ name, role, deployments })).token;
  let adminKey: string | undefined;
  let adminKeyName: string | undefined;
  if (config.auth === 'keys') {
    adminKeyName = options.adminKeyName ?? 'test-admin';
    try {
      adminKey = await createKey(adminKeyName, 'ADMIN').catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
        adminKeyName = `${adminKeyName}-${new URL(api.url).port}`;
        return createKey(adminKeyName, 'ADMIN');
      });
    } catch (error) {
      await api.close();
      throw error;
    }
    useApiKey(api.url, adminKey);
  }
  return {
    url: api.url,
    wsUrl: api.url.replace(/^http/, 'ws'),
    origin: new URL(api.url).origin,
    server: api.server,
    pubSub: api.pubSub,
    services: api.services,
    adminKey,
    adminKeyName,
    createKey,
    headersFor: async (name, role = 'EDITOR') => {
      const cacheKey = `${options.databaseUrl} ${name}`;
      let key = namedKeys.get(cacheKey);
      if (!key) namedKeys.set(cacheKey, (key = createKey(name, role)));
      return { authorization: `Bearer ${await key}` };
    },
    close: () => api.close(),
  };
}
