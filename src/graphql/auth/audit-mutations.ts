import { defaultFieldResolver, getOperationAST, Kind, parse, type GraphQLSchema } from 'graphql';
import { ForbiddenError, UnauthenticatedError } from '../../domain/errors';
import type { GraphQLContext } from '../context';
import { errorCodeOf } from '../errors';

const TARGET_KEY = /^(id|deployment|[A-Za-z]+Id)$/;

function targetsIn(value: unknown, into: Set<string>): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, item] of Object.entries(value)) {
    // Kept as sent: the audit log escapes what PostgreSQL cannot store and shortens long ones.
    if (TARGET_KEY.test(key) && typeof item === 'string') into.add(item);
  }
}

/** The ids (and deployment names) a mutation's arguments name: top-level and in `input`. */
export function auditTargets(args: Record<string, unknown>): string[] {
  const targets = new Set<string>();
  targetsIn(args, targets);
  targetsIn(args.input, targets);
  return [...targets];
}

/** The ids of what a mutation returned: its `id`, and those of objects one level down (payloads). */
function resultIds(result: unknown): string[] {
  if (result === null || typeof result !== 'object') return [];
  const ids: string[] = [];
  const own = (result as { id?: unknown }).id;
  if (typeof own === 'string') ids.push(own);
  for (const value of Object.values(result)) {
    const id = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

/** How a failed call is audited: DENIED when refused for its key, role or deployment, else FAILED; with the client's error code. */
export function auditFailure(error: unknown): { outcome: 'FAILED' | 'DENIED'; errorCode: string } {
  const refused = error instanceof ForbiddenError || error instanceof UnauthenticatedError;
  return { outcome: refused ? 'DENIED' : 'FAILED', errorCode: errorCodeOf(error) };
}

/**
 * Mutations on the serving path (thousands a second): their accepted calls are audited in batches
 * (`AuditLog.recordSoon`, off the request's path) instead of one insert each; refused and failed
 * calls are audited at once like any other.
 */
const AUDIT_IN_BATCHES: ReadonlySet<string> = new Set(['predict']);

/**
 * Runs every Mutation field inside the audit log, which records who did what to which ids and how
 * it ended (see `AuditLog.audit`): refusals by the auth checker (which runs inside the field's
 * resolver) as DENIED, other errors as FAILED with their code. Only Mutation fields are wrapped, so
 * reads pay nothing.
 */
export function auditMutationFields(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    const inBatches = AUDIT_IN_BATCHES.has(field.name);
    field.resolve = async (root, args: Record<string, unknown>, context: GraphQLContext, info) => {
      const entry = {
        principal: context.principal.name,
        role: context.principal.role,
        operation: info.fieldName,
        targetIds: auditTargets(args),
        requestId: context.requestId,
        clientAddress: context.clientAddress,
      };
      if (!inBatches) return context.services.audit.audit(entry, async () => resolve(root, args, context, info), { resultIds, failure: auditFailure });
      try {
        const result: unknown = await resolve(root, args, context, info);
        context.services.audit.recordSoon({ ...entry, outcome: 'SUCCEEDED' });
        return result;
      } catch (error) {
        await context.services.audit.record({ ...entry, ...auditFailure(error) });
        throw error;
      }
    };
  }
}

/** Most root fields read from one refused document (the alias limit keeps real ones below it). */
const MAX_REFUSED_FIELDS = 20;

/**
 * The root fields of the mutation an unauthenticated HTTP body asks for (none for a query, a
 * subscription, or a body that does not parse), so that refused mutations are audited too.
 */
export function refusedMutationFields(body: unknown, maxTokens: number): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return [];
  try {
    const operation = getOperationAST(parse(query, { maxLexicalTokens: maxTokens }), typeof operationName === 'string' ? operationName : undefined);
    if (operation?.operation !== 'mutation') return [];
    return operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : [])).slice(0, MAX_REFUSED_FIELDS);
  } catch {
    return [];
  }
}
