import type { ServerResponse } from 'node:http';

/** Writes `body` as JSON with `status`: what Express's `res.status(status).json(body)` writes, for handlers outside Express. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('content-length', Buffer.byteLength(text));
  response.end(text);
}

/** An HTTP-level refusal (the request never reached GraphQL) in GraphQL's error shape. */
export function graphqlErrorBody(
  message: string,
  code: string,
  requestId: string,
): { errors: { message: string; extensions: { code: string; requestId: string } }[] } {
  return { errors: [{ message, extensions: { code, requestId } }] };
}

/** Adds `field` to the response's `Vary` header unless it is listed there already (or `*` is). */
export function appendVary(response: ServerResponse, field: string): void {
  const current = response.getHeader('vary');
  const listed =
    current === undefined
      ? []
      : String(current)
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '');
  if (listed.some((name) => name === '*' || name.toLowerCase() === field.toLowerCase())) return;
  response.setHeader('vary', [...listed, field].join(', '));
}
