import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../domain/auth/principal';
import type { Logger } from '../infra/logger';
import { connectionAuthorization, resolveCredentials, type Authenticator } from './auth/authenticate';
import { KEY_REVOKED_CLOSE_CODE, KeySessions } from './auth/key-sessions';
import { requestIdFrom, type ContextFactory, type GraphQLContext } from './context';
import { formatGraphQLError, unscopedErrors, type ErrorScope } from './errors';
import { connectionIdentity } from './limits/client-identity';
import type { AdmitOperation } from './limits/operation-admission';
import { TOO_MANY_SOCKETS_CLOSE_CODE, type SocketCaps } from './limits/socket-caps';
import type { QueryLimits } from './query-limits';
import { guardSlowSubscribers } from './slow-subscribers';
import { subscribeWithFreshLoaders } from './subscribe-per-event';

/** RFC 6455 "going away": the server is shutting down; graphql-ws clients treat it as retryable. */
export const SHUTDOWN_CLOSE_CODE = 1001;
/** graphql-ws `Unauthorized`: `connection_init` carried no API key. A bad key closes with 4403 (Forbidden). */
export const NO_KEY_CLOSE_CODE = 4401;

export interface GraphQLWsOptions {
  httpServer: HttpServer;
  path: string;
  schema: GraphQLSchema;
  contextFactory: ContextFactory;
  logger: Logger;
  limits: QueryLimits;
  /** graphql-armor's rules, the same ones the HTTP transport validates with. */
  validationRules: readonly ValidationRule[];
  /** A client whose oldest unread message is older than this has its socket closed. @default 10000 */
  slowSubscriberMs?: number;
  /** Checks the key of `connection_init`, and again before every operation. */
  auth: Authenticator;
  /** Why an upgrade is refused (foreign Origin or Host): answered with that HTTP status before the socket opens. */
  refusal?: (request: IncomingMessage) => { status: number; message: string } | null;
  /** Rate limits and list-item budget, the same as over HTTP; a refusal is the operation's error. */
  admit?: AdmitOperation;
  /** Caps on sockets and subscriptions per socket. */
  caps?: SocketCaps;
}

/** A socket with more than this many bytes queued in the server (user space) is closed at once. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface GraphQLWsTransport {
  /** Open sockets (diagnostics and tests). */
  readonly connections: number;
  /**
   * Stops accepting sockets, closes each open one with {@link SHUTDOWN_CLOSE_CODE} and waits up to
   * `graceMs` for clients to acknowledge, then cuts those that did not.
   */
  close(graceMs: number): Promise<void>;
}

interface OperationState {
  scope: ErrorScope;
  operationType?: string;
  started: bigint;
  /** Counted against the socket's subscription cap (until the operation ends). */
  admitted?: boolean;
}

interface ConnectionExtra extends Record<PropertyKey, unknown> {
  connectionId: string;
  operations: Map<string, OperationState>;
  /** Set at `connection_init`; the token is re-checked before each operation. */
  principal?: Principal;
  token?: string | null;
  /** Stops tracking the socket for revocation and expiry. */
  forget?: () => void;
  /** Set once the socket is counted against its client's cap. */
  client?: string;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { ...error.extensions, code },
  });
}

/** Forgets an operation and logs its duration (once: the second call finds nothing). */
function endOperation(operations: Map<string, OperationState>, id: string): void {
  const state = operations.get(id);
  operations.delete(id);
  if (!state) return;
  state.scope.logger.info({ operationType: state.operationType, durationMs: Number(process.hrtime.bigint() - state.started) / 1e6 }, 'graphql-ws operation');
}

/** graphql-ws on `path` of the HTTP server, with the same parse limits, validation, context and errors as HTTP. */
export function attachGraphQLWs(options: GraphQLWsOptions): GraphQLWsTransport {
  const { schema, contextFactory, limits, auth } = options;
  const log = options.logger.child({ transport: 'ws' });
  const sessions = new KeySessions(auth);
  const rules = [...specifiedRules, ...options.validationRules];
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    verifyClient: (info, accept) => {
      const refused = options.refusal?.(info.req) ?? options.caps?.upgradeRefusal(wss.clients.size);
      if (refused) {
        log.warn({ origin: info.origin, host: info.req.headers.host, reason: refused.message }, 'graphql-ws upgrade refused');
        accept(false, refused.status, refused.message);
      } else accept(true);
    },
  });
  const stopGuard = guardSlowSubscribers(wss, { maxStallMs: options.slowSubscriberMs ?? 10_000, maxBufferedBytes: MAX_BUFFERED_BYTES, logger: log });

  const connectionOf = (extra: Partial<ConnectionExtra> & Extra): ConnectionExtra => {
    if (!extra.operations) {
      extra.connectionId = requestIdFrom(extra.request.headers);
      extra.operations = new Map();
    }
    return extra as ConnectionExtra;
  };

  useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema,
      subscribe: subscribeWithFreshLoaders,
      onConnect: async (ctx) => {
        const connection = connectionOf(ctx.extra);
        const credentials = await resolveCredentials(auth, connectionAuthorization(ctx.connectionParams));
        if (!credentials.ok) {
          log.info({ connectionId: connection.connectionId, reason: credentials.reason }, 'graphql-ws connection refused');
          // graphql-ws closes with 4403 after a `false`; a missing key gets 4401 first (the later close is ignored).
          if (credentials.reason === 'missing') ctx.extra.socket.close(NO_KEY_CLOSE_CODE, 'Unauthorized: no API key in connectionParams');
          return false;
        }
        const client = connectionIdentity(credentials.principal, ctx.extra.request);
        if (options.caps && !options.caps.connect(client)) {
          log.warn({ connectionId: connection.connectionId, client }, 'graphql-ws socket over its client cap');
          ctx.extra.socket.close(TOO_MANY_SOCKETS_CLOSE_CODE, options.caps.socketRefusalReason);
          return false;
        }
        connection.client = client;
        connection.principal = credentials.principal;
        connection.token = credentials.token;
        connection.forget = sessions.add(credentials.principal, (code, reason) => ctx.extra.socket.close(code, reason));
        log.debug({ connectionId: connection.connectionId, principal: credentials.principal.name }, 'graphql-ws connection');
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = connectionOf(ctx.extra);
        const requestId = randomUUID();
        const state: OperationState = {
          scope: { requestId, logger: log.child({ requestId, connectionId: connection.connectionId }) },
          started: process.hrtime.bigint(),
        };
        connection.operations.set(id, state);

        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxLexicalTokens: limits.maxTokens });
        } catch (error) {
          return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) return invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          return [
            new GraphQLError(payload.operationName ? `Unknown operation named "${payload.operationName}".` : 'Could not determine which operation to run.', {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
            }),
          ];
        }
        state.operationType = operation.operation;
        if (operation.operation === 'subscription' && options.caps) {
          // Counted in message order, before anything awaits: the operations this socket admitted that
          // graphql-ws still holds (it forgets one as soon as the client's `complete` arrives).
          const admitted = [...connection.operations].filter(([otherId, other]) => other.admitted && otherId in ctx.subscriptions).length;
          const refused = options.caps.subscriptionRefusal(admitted);
          if (refused) return [refused];
          state.admitted = true;
        }
        // The key may have been revoked or expired since connection_init (the socket is closing then).
        const principal = connection.token ? await auth.authenticate(connection.token) : connection.principal;
        if (!principal) {
          ctx.extra.socket.close(KEY_REVOKED_CLOSE_CODE, 'API key revoked or expired');
          return [new GraphQLError('The API key is no longer valid (revoked or expired)', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        const variables = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, {
          maxErrors: 50,
        });
        if (variables.errors) return variables.errors.map((error) => withCode(error, 'BAD_USER_INPUT'));

        const contextValue = await contextFactory({
          requestId,
          transport: 'ws',
          headers: ctx.extra.request.headers,
          principal,
          clientAddress: ctx.extra.request.socket.remoteAddress ?? null,
        });
        state.scope = { requestId, logger: contextValue.logger };
        const admission = await options.admit?.({ context: contextValue, schema, document, operation, variables: payload.variables ?? {} });
        if (admission?.error) return [admission.error];
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return undefined;
        const context = args.contextValue as GraphQLContext;
        const scope = { requestId: context.requestId, logger: context.logger };
        return { ...result, errors: result.errors.map((error) => formatGraphQLError(error, scope)) };
      },
      onError: (ctx, id, _payload, errors) => {
        const scope = connectionOf(ctx.extra).operations.get(id)?.scope ?? unscopedErrors(log);
        const formatted = errors.map((error) => formatGraphQLError(error, scope));
        // An error ends the operation, and graphql-ws calls onComplete only for some of them (not after
        // onSubscribe refused it): end it here, or refused operations would pile up for the socket's life.
        endOperation(connectionOf(ctx.extra).operations, id);
        return formatted;
      },
      onComplete: (ctx, id) => endOperation(connectionOf(ctx.extra).operations, id),
      onClose: (ctx, code) => {
        const connection = connectionOf(ctx.extra);
        connection.forget?.();
        if (connection.client !== undefined) options.caps?.disconnect(connection.client);
        log.debug({ connectionId: connection.connectionId, code }, 'graphql-ws connection closed');
      },
    },
    wss,
  );

  return {
    get connections() {
      return wss.clients.size;
    },
    close: async (graceMs) => {
      stopGuard();
      sessions.dispose();
      const sockets = [...wss.clients];
      const closed = sockets.map(
        (socket: WebSocket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.CLOSED) return resolve();
            socket.once('close', () => resolve());
          }),
      );
      for (const socket of sockets) socket.close(SHUTDOWN_CLOSE_CODE, 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
