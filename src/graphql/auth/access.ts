import type { GraphQLField } from 'graphql';
import { Authorized, Extensions, type AuthCheckerFn } from 'type-graphql';
import { allows, mayServe, type AccessRule, type Principal } from '../../domain/auth/principal';
import { ForbiddenError } from '../../domain/errors';
import type { GraphQLContext } from '../context';

/** Where a field's rule is kept on the built schema (`field.extensions.access`), for transports and tests. */
export const ACCESS_EXTENSION = 'access';

/**
 * Declares who may resolve a field: any of `rules` (a role, or one above it; PREDICTOR only itself).
 * Every Query, Mutation and Subscription field carries one (a test walks the schema); object fields
 * carry one only when they are narrower than the operation that reached them (webhook URLs).
 */
export function Allow(...rules: [AccessRule, ...AccessRule[]]): MethodDecorator & PropertyDecorator {
  const authorized = Authorized(...rules);
  const extensions = Extensions({ [ACCESS_EXTENSION]: rules });
  return (target: object, property: string | symbol, descriptor?: PropertyDescriptor) => {
    authorized(target, property, descriptor as PropertyDescriptor & TypedPropertyDescriptor<unknown>);
    extensions(target, property, descriptor as PropertyDescriptor & TypedPropertyDescriptor<unknown>);
  };
}

/** The rules declared on a built schema field, if any. */
export function accessRulesOf(field: GraphQLField<unknown, unknown>): readonly AccessRule[] | undefined {
  const rules = field.extensions[ACCESS_EXTENSION];
  return Array.isArray(rules) ? (rules as AccessRule[]) : undefined;
}

/** The FORBIDDEN error naming the role a field needs. */
export function forbidden(principal: Principal, fieldName: string, rules: readonly AccessRule[]): ForbiddenError {
  return new ForbiddenError(`${fieldName} requires the ${rules.join(' or ')} role; key "${principal.name}" has ${principal.role}`, { field: fieldName });
}

/** @throws ForbiddenError when the principal's key does not name this deployment (PREDICTOR keys). */
export function requireServable(principal: Principal, deployment: { id: string; name: string }, field = 'input.deployment'): void {
  if (!mayServe(principal, deployment.id)) {
    throw new ForbiddenError(`key "${principal.name}" may not use deployment "${deployment.name}"`, { field });
  }
}

/**
 * type-graphql's auth checker: allows, or throws FORBIDDEN naming the role needed (a refused
 * mutation is audited as DENIED by `auditMutationFields`).
 */
export const authChecker: AuthCheckerFn<GraphQLContext, AccessRule> = ({ context, info }, rules) => {
  if (allows(context.principal, rules)) return true;
  throw forbidden(context.principal, info.fieldName, rules);
};
