import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../../infra/logger';
import { graphqlErrorBody, sendJson } from './json-response';

/** What a GraphQL request over HTTP brings to its context. */
export interface HttpRequestFacts {
  requestId: string;
  clientAddress: string | null;
  headers: IncomingHttpHeaders;
  /** The parsed body (audited when the request is refused). */
  body: unknown;
}

export interface GraphQLPostOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  bodyLimitBytes: number;
  /**
   * What every request of the server gets before its route (request id, security headers, the
   * cross-site check): returns the request id, or null when it answered the request itself.
   */
  preamble: (request: IncomingMessage, response: ServerResponse, path: string) => string | null;
  context: (facts: HttpRequestFacts) => Promise<TContext>;
  logger: Logger;
}

/** Why a body was not read: the status and the message of the answer. */
class BodyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UTF8_BOM = '\uFEFF';

/**
 * Whether the request is a `POST` of a JSON body (UTF-8, not compressed) to exactly `path`: the
 * requests {@link createGraphQLPostHandler} serves. Every other request to the path (GraphiQL,
 * `GET`, preflights, other media types, compressed bodies) goes through Express as before.
 */
export function isGraphQLJsonPost(request: IncomingMessage, path: string): boolean {
  if (request.method !== 'POST') return false;
  const url = request.url ?? '';
  if (url !== path && !url.startsWith(`${path}?`)) return false;
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  const [mediaType, ...parameters] = (request.headers['content-type'] ?? '').split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=');
    return name.trim().toLowerCase() !== 'charset' || value.trim().replace(/^"|"$/g, '').toLowerCase() === 'utf-8';
  });
}

/**
 * The serving path's GraphQL endpoint without Express: `predict` and every other JSON `POST
 * /graphql` is read, executed by Apollo and answered here, with what the Express route did around
 * it (the same preamble, the same body limit and JSON rules as `express.json()`, refusals in
 * GraphQL's error shape with the request id). Express's router, body parser and Apollo's Express
 * integration cost about a tenth of a one-row prediction's CPU, for nothing this route uses.
 */
export function createGraphQLPostHandler<TContext extends BaseContext>(
  options: GraphQLPostOptions<TContext>,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { apollo, bodyLimitBytes, preamble, context, logger } = options;
  return (request, response) => {
    const url = request.url ?? '';
    const query = url.indexOf('?');
    const requestId = preamble(request, response, query < 0 ? url : url.slice(0, query));
    if (requestId === null) return;
    readJsonBody(request, bodyLimitBytes)
      .then(
        async (body) => {
          const headers = new HeaderMap();
          for (const [name, value] of Object.entries(request.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const answer = await apollo.executeHTTPGraphQLRequest({
            httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : url.slice(query), body },
            context: () => context({ requestId, clientAddress: request.socket.remoteAddress ?? null, headers: request.headers, body }),
          });
          for (const [name, value] of answer.headers) response.setHeader(name, value);
          response.statusCode = answer.status ?? 200;
          if (answer.body.kind === 'complete') {
            response.setHeader('content-length', Buffer.byteLength(answer.body.string));
            response.end(answer.body.string);
            return;
          }
          for await (const chunk of answer.body.asyncIterator) response.write(chunk);
          response.end();
        },
        (error: unknown) => {
          if (error instanceof BodyRefusal) {
            if (error.status === 413) response.setHeader('connection', 'close');
            sendJson(response, error.status, graphqlErrorBody(error.message, 'BAD_REQUEST', requestId));
          } else {
            // The client went away while sending: there is no one to answer.
            request.destroy();
          }
        },
      )
      .catch((error: unknown) => {
        logger.error({ err: error, requestId }, 'HTTP request failed');
        if (response.headersSent) response.destroy();
        else sendJson(response, 500, graphqlErrorBody(`Internal server error (request id ${requestId})`, 'INTERNAL_SERVER_ERROR', requestId));
      });
  };
}

/**
 * The request's body as JSON, by `express.json()`'s rules: at most `limitBytes` (413, from the
 * declared length or while it streams, after which reading stops), an empty body is `{}`, and only
 * an object or an array is accepted (400, as a malformed body).
 */
function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > limitBytes) {
      reject(new BodyRefusal(413, 'request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onFailure);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        stop();
        request.pause();
        reject(new BodyRefusal(413, 'request entity too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      try {
        resolve(parseJsonBody(Buffer.concat(chunks, size).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    };
    const onFailure = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => onFailure(new Error('the client closed the request before its body ended'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onFailure);
    request.on('close', onClose);
  });
}

function parseJsonBody(raw: string): unknown {
  const text = raw.startsWith(UTF8_BOM) ? raw.slice(1) : raw;
  if (text.length === 0) return {};
  const first = text.trimStart().charAt(0);
  if (first !== '{' && first !== '[') throw new BodyRefusal(400, 'the request body must be a JSON object or array');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyRefusal(400, (error as Error).message);
  }
}
