/**
 * What uses an entity, so that deleting or archiving it can be refused with the reason: each
 * user is named (id and name where it has them) with how it uses the entity.
 */

/** The kinds of things that can use another. */
export type UsageKind = 'ALIAS' | 'DEPLOYMENT' | 'MODEL' | 'MODEL_VERSION' | 'EVALUATION' | 'PREDICTIONS' | 'RUN';

export interface Usage {
  kind: UsageKind;
  /** Its id, when it has one. */
  id: string | null;
  /** Its name (alias, deployment or model name, `version 3 of "seed"`), when it has one. */
  name: string | null;
  /** How it uses the entity, e.g. `serves it`, `points at it`, `holds 1,204 predictions of it`. */
  how: string;
}

/** Most users named in a refusal; the message counts the rest. */
export const MAX_USAGES_NAMED = 20;

const KIND_WORDS: Record<UsageKind, string> = {
  ALIAS: 'alias',
  DEPLOYMENT: 'deployment',
  MODEL: 'model',
  MODEL_VERSION: 'model',
  EVALUATION: 'evaluation',
  PREDICTIONS: 'deployment',
  RUN: 'run',
};

function describeUsage(usage: Usage): string {
  const who =
    usage.kind === 'MODEL_VERSION'
      ? (usage.name ?? `version ${String(usage.id)}`)
      : `${KIND_WORDS[usage.kind]} ${usage.name !== null ? `"${usage.name}"` : (usage.id ?? '')}`;
  return `${who} ${usage.how}`;
}

/** `alias "production" points at it; deployment "web" serves it` (at most {@link MAX_USAGES_NAMED}, then a count). */
export function describeUsages(usages: readonly Usage[]): string {
  const named = usages.slice(0, MAX_USAGES_NAMED).map(describeUsage);
  const rest = usages.length - named.length;
  return named.join('; ') + (rest > 0 ? `; and ${rest} more` : '');
}
