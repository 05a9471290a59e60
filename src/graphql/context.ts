import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import DataLoader from 'dataloader';
import type { Principal } from '../domain/auth/principal';
import type { Logger } from '../infra/logger';
import type { DomainServices } from '../services/services';
import type { HealthProbe } from './health/health-probe';

/**
 * What the composition root hands to resolvers. Each area adds the service its resolvers call;
 * resolvers reach nothing else (no Prisma client, no pub/sub) except through these.
 */
export interface Services extends DomainServices {
  health: HealthProbe;
}

/** A per-request DataLoader kind: how to batch-load values of type `V` by keys of type `K`. */
export interface LoaderDefinition<K, V, C = K> {
  readonly name: string;
  batch(keys: readonly K[], context: GraphQLContext): Promise<ReadonlyArray<V | Error>>;
  readonly options?: DataLoader.Options<K, V, C>;
}

/** Declares a DataLoader kind once, at module level; each request then gets its own instance through `context.loaders`. */
export function defineLoader<K, V, C = K>(
  name: string,
  batch: LoaderDefinition<K, V, C>['batch'],
  options?: DataLoader.Options<K, V, C>,
): LoaderDefinition<K, V, C> {
  return { name, batch, options };
}

/** The DataLoaders of one request (or of one subscription event), created on first use. */
export class RequestLoaders {
  /** Keyed by the definition's identity (each definition has its own key, value and cache-key types). */
  private readonly loaders = new Map<object, DataLoader<unknown, unknown, unknown>>();

  constructor(private readonly context: () => GraphQLContext) {}

  /** This request's loader of the given kind. */
  get<K, V, C = K>(definition: LoaderDefinition<K, V, C>): DataLoader<K, V, C> {
    let loader = this.loaders.get(definition) as DataLoader<K, V, C> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, C>((keys) => definition.batch(keys, this.context()), definition.options);
      this.loaders.set(definition, loader);
    }
    return loader;
  }
}

/** The context every resolver receives. */
export interface GraphQLContext {
  /** Correlates the response, its log lines and any masked error message. */
  readonly requestId: string;
  /** The request's logger: every line carries `requestId`. */
  readonly logger: Logger;
  readonly services: Services;
  readonly loaders: RequestLoaders;
  /**
   * Who is asking: the API key the transport authenticated (once per HTTP request, once per
   * graphql-ws connection and re-checked per operation), or the open principal when auth is disabled
   * on loopback. `principal.name` is the actor recorded in histories.
   */
  readonly principal: Principal;
  /** The caller's network address (audit rows). */
  readonly clientAddress: string | null;
}

/** What a transport knows about the request when it asks for a context. */
export interface ContextRequest {
  requestId: string;
  transport: 'http' | 'ws';
  headers: IncomingHttpHeaders;
  /** Resolved by the transport before any GraphQL runs. */
  principal: Principal;
  clientAddress: string | null;
}

/** Builds the context of one operation; the server calls it once per HTTP request or graphql-ws operation. */
export type ContextFactory = (request: ContextRequest) => GraphQLContext | Promise<GraphQLContext>;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is a plain token (it ends up in logs), else a new UUID. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

/** The standard context factory: the composition root passes its services and the base logger. */
export function createContextFactory(services: Services, logger: Logger): ContextFactory {
  return ({ requestId, transport, principal, clientAddress }) => {
    const context: GraphQLContext = {
      requestId,
      logger: logger.child({ requestId, transport, principal: principal.name }),
      services,
      loaders: new RequestLoaders(() => context),
      principal,
      clientAddress,
    };
    return context;
  };
}

/**
 * The same request with fresh DataLoaders, for one event of a subscription: a loader must not
 * serve an entity cached when the subscription started (or at a previous event).
 */
export function forEvent(context: GraphQLContext): GraphQLContext {
  const copy: GraphQLContext = { ...context, loaders: new RequestLoaders(() => copy) };
  return copy;
}
