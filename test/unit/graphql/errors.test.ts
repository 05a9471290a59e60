import { GraphQLError, locatedError, parse, type OperationDefinitionNode } from 'graphql';
import pino from 'pino';
import { AuthorizationError } from 'type-graphql';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { formatGraphQLError, isServerFault, type ErrorScope } from '../../../src/graphql/errors';

function capture(): { scope: ErrorScope; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { scope: { requestId: 'req-7', logger }, lines };
}

/** What graphql-js hands on when a resolver of `{ field }` throws `error`. */
function thrownByResolver(error: unknown): GraphQLError {
  const document = parse('{ field }');
  const field = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0];
  return locatedError(error, [field], ['field']);
}

describe('formatGraphQLError', () => {
  it('maps each domain error to its code, with the location at fault and graphql-js placement', () => {
    const { scope, lines } = capture();
    expect(formatGraphQLError(thrownByResolver(new ValidationError('not a number', { row: 4, column: 'age' })), scope)).toEqual({
      message: 'not a number',
      locations: [{ line: 1, column: 3 }],
      path: ['field'],
      extensions: { code: 'BAD_USER_INPUT', row: 4, column: 'age', errors: [{ message: 'not a number', row: 4, column: 'age' }] },
    });
    expect(formatGraphQLError(thrownByResolver(new ValidationError('bad', { field: 'input.name', index: 2 })), scope).extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.name',
      index: 2,
      errors: [{ message: 'bad', field: 'input.name', index: 2 }],
    });
    expect(formatGraphQLError(thrownByResolver(new NotFoundError('model', 'm1')), scope).extensions).toEqual({ code: 'NOT_FOUND' });
    expect(formatGraphQLError(thrownByResolver(new ConflictError('taken')), scope).extensions).toEqual({ code: 'CONFLICT' });
    expect(formatGraphQLError(thrownByResolver(new InvalidStateError('finished')), scope).extensions).toEqual({ code: 'INVALID_STATE' });
    expect(lines).toEqual([]);
  });

  it('lists every violation of a request, at most 100, and counts the rest', () => {
    const { scope } = capture();
    const two = ValidationError.of([
      { message: 'units must be 1 to 4096', field: 'input.layers[0].units' },
      { message: 'bad cell', row: 3, column: 'age' },
    ]);
    expect(formatGraphQLError(thrownByResolver(two), scope)).toMatchObject({
      message: 'units must be 1 to 4096 (and 1 more problem: see extensions.errors)',
      extensions: {
        code: 'BAD_USER_INPUT',
        field: 'input.layers[0].units',
        errors: [
          { message: 'units must be 1 to 4096', field: 'input.layers[0].units' },
          { message: 'bad cell', row: 3, column: 'age' },
        ],
      },
    });
    const many = ValidationError.of(Array.from({ length: 130 }, (_, i) => ({ message: `bad ${i}`, field: `input.items[${i}]` })));
    const formatted = formatGraphQLError(thrownByResolver(many), scope);
    expect(formatted.message).toBe('bad 0 (and 129 more problems: see extensions.errors)');
    expect((formatted.extensions!.errors as unknown[]).length).toBe(100);
    expect(formatted.extensions!.errorsOmitted).toBe(30);
    expect((formatted.extensions!.errors as Array<{ message: string }>)[99].message).toBe('bad 99');
  });

  it("turns type-graphql's authorization error into FORBIDDEN", () => {
    const { scope } = capture();
    expect(formatGraphQLError(thrownByResolver(new AuthorizationError()), scope).extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('keeps the code of request errors that carry one, wherever it sits, without the HTTP hints', () => {
    const { scope, lines } = capture();
    const inner = new GraphQLError('Cannot query field "nope" on type "Query".');
    const apolloWrapped = new GraphQLError(inner.message, {
      originalError: inner,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
    });
    expect(formatGraphQLError(apolloWrapped, scope)).toEqual({
      message: 'Cannot query field "nope" on type "Query".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const deliberate = thrownByResolver(new GraphQLError('slow down', { extensions: { code: 'RATE_LIMITED' } }));
    expect(formatGraphQLError(deliberate, scope)).toMatchObject({ message: 'slow down', path: ['field'], extensions: { code: 'RATE_LIMITED' } });
    expect(lines).toEqual([]);
  });

  it('turns a lost or unreachable database into SERVICE_UNAVAILABLE, logged at warn, not as a bug', () => {
    const { scope, lines } = capture();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const prismaWrapped = Object.assign(new Error('driver adapter error'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } });
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    for (const cause of [refused, prismaWrapped, terminated, new Error('timeout exceeded when trying to connect')]) {
      const formatted = formatGraphQLError(thrownByResolver(cause), scope);
      expect(formatted.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', requestId: 'req-7' });
      expect(formatted.message).toBe('The database is unavailable; retry shortly (request id req-7)');
    }
    expect(lines.map((line) => line.level)).toEqual([40, 40, 40, 40]);
    // A query that is wrong is not an outage.
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(formatGraphQLError(thrownByResolver(syntax), scope).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('masks anything else with the request id and logs it with its stack', () => {
    const { scope, lines } = capture();
    const secret = new Error('password=hunter2');
    expect(formatGraphQLError(thrownByResolver(secret), scope)).toEqual({
      message: 'Internal server error (request id req-7)',
      locations: [{ line: 1, column: 3 }],
      path: ['field'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-7' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, requestId: 'req-7', path: ['field'], err: { message: 'password=hunter2' } });
    expect((lines[0].err as { stack: string }).stack).toContain('errors.test.ts');

    // A code outside the public set is no reason to show the message.
    const odd = thrownByResolver(new GraphQLError('internal detail', { extensions: { code: 'ECONNRESET' } }));
    expect(formatGraphQLError(odd, scope).message).toBe('Internal server error (request id req-7)');
    expect(formatGraphQLError('a string was thrown', scope).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-7' });
  });
});

describe('isServerFault', () => {
  it('is true only for what a client would see as INTERNAL_SERVER_ERROR or SERVICE_UNAVAILABLE', () => {
    expect(isServerFault(thrownByResolver(new Error('boom')))).toBe(true);
    expect(isServerFault(thrownByResolver(Object.assign(new Error('22P05 untranslatable character'), { code: '22P05' })))).toBe(true);
    expect(isServerFault(thrownByResolver(new GraphQLError('down', { extensions: { code: 'SERVICE_UNAVAILABLE' } })))).toBe(true);
    expect(isServerFault(thrownByResolver(new ValidationError('bad', { field: 'input.x' })))).toBe(false);
    expect(isServerFault(thrownByResolver(new NotFoundError('deployment', 'x')))).toBe(false);
    expect(isServerFault(thrownByResolver(new GraphQLError('slow down', { extensions: { code: 'RATE_LIMITED' } })))).toBe(false);
  });
});
