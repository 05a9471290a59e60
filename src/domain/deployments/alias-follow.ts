import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { canaryPercentSchema } from './deployment-rules';

/**
 * Deployments that follow an alias, as MLflow's `models:/<name>@<alias>` resolves the alias when it
 * loads: what a deployment does when the alias it follows moves. Free of storage: the deployment
 * service applies the plan in the transaction that moves the alias.
 */

/** SWITCH: the alias's new version becomes the stable one. CANARY: it starts as a canary at `canaryPercent`. */
export type AliasUpdateMode = 'SWITCH' | 'CANARY';

export interface AliasFollow {
  alias: string;
  mode: AliasUpdateMode;
  /** The canary share for CANARY; null for SWITCH. */
  canaryPercent: number | null;
}

export interface ServingState {
  stableVersionId: string;
  canary: { versionId: string; percent: number } | null;
}

/** What a move of the followed alias to `targetVersionId` does to a deployment; null: nothing. */
export type AliasMovePlan =
  /** The target becomes the stable version; a running canary of another version ends. */
  | { kind: 'UPDATED'; stableVersionId: string; previousVersionId: string; endedCanary: { versionId: string; percent: number } | null }
  /** The target was the canary: it becomes the stable version. */
  | { kind: 'CANARY_PROMOTED'; stableVersionId: string; previousVersionId: string; percent: number }
  /** The target starts as a canary (replacing a running canary of another version). */
  | { kind: 'CANARY_STARTED'; canaryVersionId: string; percent: number; replacedCanary: { versionId: string; percent: number } | null }
  /** The alias went back to the stable version: the canary (of the version it left) ends. */
  | { kind: 'ROLLED_BACK'; endedCanary: { versionId: string; percent: number } }
  | null;

/**
 * The plan for a deployment serving `state` that follows an alias with `follow`, when the alias
 * moves to `targetVersionId` (a version of the deployment's model):
 *
 * - SWITCH: nothing when the target is already stable; the canary is promoted when the target is the
 *   canary; otherwise the target becomes stable and a running canary of another version ends.
 * - CANARY: nothing when the target already serves as the canary, or is stable with no canary;
 *   the canary ends when the alias went back to the stable version; otherwise the target starts as
 *   the canary at the follow's percent, replacing a running canary.
 */
export function planAliasMove(state: ServingState, follow: AliasFollow, targetVersionId: string): AliasMovePlan {
  const { stableVersionId, canary } = state;
  if (follow.mode === 'SWITCH') {
    if (targetVersionId === stableVersionId) return null;
    if (canary && canary.versionId === targetVersionId) {
      return { kind: 'CANARY_PROMOTED', stableVersionId: targetVersionId, previousVersionId: stableVersionId, percent: canary.percent };
    }
    return { kind: 'UPDATED', stableVersionId: targetVersionId, previousVersionId: stableVersionId, endedCanary: canary };
  }
  if (targetVersionId === stableVersionId) return canary ? { kind: 'ROLLED_BACK', endedCanary: canary } : null;
  if (canary && canary.versionId === targetVersionId) return null;
  return { kind: 'CANARY_STARTED', canaryVersionId: targetVersionId, percent: follow.canaryPercent ?? 0, replacedCanary: canary };
}

/**
 * How a deployment made (or updated) by alias follows it, as its input gives it: `aliasUpdate`
 * (default SWITCH) and `aliasCanaryPercent`, which goes with CANARY only and is needed there.
 */
export const aliasFollowInputSchema = z
  .object({
    aliasUpdate: z.enum(['SWITCH', 'CANARY']).nullish(),
    aliasCanaryPercent: canaryPercentSchema.nullish(),
  })
  .superRefine(({ aliasUpdate, aliasCanaryPercent }, context) => {
    if ((aliasUpdate ?? 'SWITCH') === 'SWITCH' && aliasCanaryPercent != null) {
      context.addIssue({
        code: 'custom',
        path: ['aliasCanaryPercent'],
        message: 'is for CANARY: a canary percent for alias moves goes with aliasUpdate CANARY',
      });
    }
    if (aliasUpdate === 'CANARY' && aliasCanaryPercent == null) {
      context.addIssue({ code: 'custom', path: ['aliasCanaryPercent'], message: 'is missing: aliasUpdate CANARY needs the canary percent of alias moves' });
    }
  });

/**
 * The follow settings of a deployment made (or updated) by alias.
 * @param prefix the field path of the input holding `aliasUpdate` and `aliasCanaryPercent`
 * @throws ValidationError when a canary percent comes without CANARY, CANARY comes without one, or it is out of range.
 */
export function aliasFollowOf(
  alias: string,
  mode: AliasUpdateMode | null | undefined,
  canaryPercent: number | null | undefined,
  prefix = 'input',
): AliasFollow {
  const { aliasUpdate, aliasCanaryPercent } = parseInput(aliasFollowInputSchema, { aliasUpdate: mode, aliasCanaryPercent: canaryPercent }, prefix);
  return aliasUpdate === 'CANARY' ? { alias, mode: 'CANARY', canaryPercent: aliasCanaryPercent ?? null } : { alias, mode: 'SWITCH', canaryPercent: null };
}

/** Whether two follow settings are the same. */
export function sameFollow(a: AliasFollow | null, b: AliasFollow | null): boolean {
  return a === b || (a !== null && b !== null && a.alias === b.alias && a.mode === b.mode && a.canaryPercent === b.canaryPercent);
}

/** `SWITCH` or `CANARY 10%`, as event reasons show the setting. */
export function describeFollow(follow: AliasFollow): string {
  return follow.mode === 'SWITCH' ? `follows alias "${follow.alias}" (SWITCH)` : `follows alias "${follow.alias}" (CANARY ${String(follow.canaryPercent)}%)`;
}

/** An alias move as an event reason reads it: version labels (`v3`) and who moved it. */
export interface AliasMoveLabels {
  alias: string;
  from: string | null;
  to: string;
  actor: string;
}

/**
 * The reason of the DeploymentEvent an alias move makes: `alias "production" moved from v1 to v3
 * by alice`, and what happened to a canary. `labelOf` names a version (`v2`).
 */
export function aliasMoveReason(move: AliasMoveLabels, plan: NonNullable<AliasMovePlan>, labelOf: (versionId: string) => string): string {
  const moved =
    move.from === null
      ? `alias "${move.alias}" was set to ${move.to} by ${move.actor}`
      : `alias "${move.alias}" moved from ${move.from} to ${move.to} by ${move.actor}`;
  const canary = (c: { versionId: string; percent: number }) => `the canary of ${labelOf(c.versionId)} (${c.percent}%)`;
  switch (plan.kind) {
    case 'UPDATED':
      return plan.endedCanary ? `${moved}; ${canary(plan.endedCanary)} ended` : moved;
    case 'CANARY_PROMOTED':
      return `${moved}; its canary became the stable version`;
    case 'CANARY_STARTED':
      return plan.replacedCanary ? `${moved}; it replaces ${canary(plan.replacedCanary)}` : moved;
    case 'ROLLED_BACK':
      return `${moved}, the stable version: ${canary(plan.endedCanary)} ended`;
  }
}
