/**
 * What creating an API key takes, checked before anything is stored: a name (trimmed), a role, an
 * optional expiry, and for PREDICTOR keys only the deployments (names or ids) they may serve.
 */
import { z } from 'zod';
import { RESERVED_KEY_NAMES, ROLES } from './principal';

/** API key names: recorded as the actor of everything the key does. */
export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The shape of a new key's input; `now` is the time an expiry must be after. */
export function apiKeyInputSchema(now: Date) {
  return z
    .object({
      name: z
        .string()
        .trim()
        .regex(API_KEY_NAME_PATTERN, { error: 'must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)' })
        .refine((name) => !RESERVED_KEY_NAMES.includes(name), { error: "is reserved for mlplane's own actions" }),
      role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
      expiresAt: z
        .date()
        .refine((expiresAt) => expiresAt.getTime() > now.getTime(), { error: 'must be in the future' })
        .nullish(),
      deployments: z.array(z.string()).nullish(),
    })
    .superRefine(({ role, deployments }, context) => {
      const listed = deployments?.length ?? 0;
      if (ROLES.includes(role) && role !== 'PREDICTOR' && listed > 0) {
        context.addIssue({ code: 'custom', path: ['deployments'], message: 'apply to PREDICTOR keys only' });
      }
      if (role === 'PREDICTOR' && listed === 0)
        context.addIssue({ code: 'custom', path: ['deployments'], message: 'must name at least one deployment for a PREDICTOR key' });
    });
}
