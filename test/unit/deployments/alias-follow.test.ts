import { aliasFollowOf, aliasMoveReason, planAliasMove, sameFollow, type AliasFollow, type ServingState } from '../../../src/domain/deployments/alias-follow';
import { ValidationError } from '../../../src/domain/errors';

const SWITCH: AliasFollow = { alias: 'production', mode: 'SWITCH', canaryPercent: null };
const CANARY: AliasFollow = { alias: 'production', mode: 'CANARY', canaryPercent: 10 };
const stable = (id: string): ServingState => ({ stableVersionId: id, canary: null });
const withCanary = (id: string, canaryId: string, percent = 25): ServingState => ({ stableVersionId: id, canary: { versionId: canaryId, percent } });

describe('what an alias move does to a deployment that follows the alias', () => {
  it('SWITCH: the new version becomes stable; nothing when it already is', () => {
    expect(planAliasMove(stable('v1'), SWITCH, 'v2')).toEqual({ kind: 'UPDATED', stableVersionId: 'v2', previousVersionId: 'v1', endedCanary: null });
    expect(planAliasMove(stable('v1'), SWITCH, 'v1')).toBeNull();
  });

  it('SWITCH during a canary: promotes the canary when the alias moved to it, else switches and ends the canary', () => {
    expect(planAliasMove(withCanary('v1', 'v2'), SWITCH, 'v2')).toEqual({
      kind: 'CANARY_PROMOTED',
      stableVersionId: 'v2',
      previousVersionId: 'v1',
      percent: 25,
    });
    expect(planAliasMove(withCanary('v1', 'v2'), SWITCH, 'v3')).toEqual({
      kind: 'UPDATED',
      stableVersionId: 'v3',
      previousVersionId: 'v1',
      endedCanary: { versionId: 'v2', percent: 25 },
    });
    // The alias moved to the stable version: the deployment already serves it; a canary someone started stays.
    expect(planAliasMove(withCanary('v1', 'v2'), SWITCH, 'v1')).toBeNull();
  });

  it('CANARY: the new version starts as a canary at the follow percent, replacing a running one', () => {
    expect(planAliasMove(stable('v1'), CANARY, 'v2')).toEqual({ kind: 'CANARY_STARTED', canaryVersionId: 'v2', percent: 10, replacedCanary: null });
    expect(planAliasMove(withCanary('v1', 'v2'), CANARY, 'v3')).toEqual({
      kind: 'CANARY_STARTED',
      canaryVersionId: 'v3',
      percent: 10,
      replacedCanary: { versionId: 'v2', percent: 25 },
    });
  });

  it('CANARY: nothing when the version already runs as canary or is stable without one; the canary ends when the alias goes back to stable', () => {
    expect(planAliasMove(withCanary('v1', 'v2'), CANARY, 'v2')).toBeNull();
    expect(planAliasMove(stable('v1'), CANARY, 'v1')).toBeNull();
    expect(planAliasMove(withCanary('v1', 'v2'), CANARY, 'v1')).toEqual({ kind: 'ROLLED_BACK', endedCanary: { versionId: 'v2', percent: 25 } });
  });

  it('names the move, the mover and what happened to a canary in the reason', () => {
    const label = (id: string) => id;
    const move = { alias: 'production', from: 'v1', to: 'v3', actor: 'alice' };
    expect(aliasMoveReason(move, planAliasMove(stable('v1'), SWITCH, 'v3')!, label)).toBe('alias "production" moved from v1 to v3 by alice');
    expect(aliasMoveReason(move, planAliasMove(withCanary('v1', 'v2'), SWITCH, 'v3')!, label)).toBe(
      'alias "production" moved from v1 to v3 by alice; the canary of v2 (25%) ended',
    );
    expect(aliasMoveReason({ ...move, to: 'v2' }, planAliasMove(withCanary('v1', 'v2'), SWITCH, 'v2')!, label)).toBe(
      'alias "production" moved from v1 to v2 by alice; its canary became the stable version',
    );
    expect(aliasMoveReason(move, planAliasMove(withCanary('v1', 'v2'), CANARY, 'v3')!, label)).toBe(
      'alias "production" moved from v1 to v3 by alice; it replaces the canary of v2 (25%)',
    );
    expect(aliasMoveReason({ ...move, from: 'v3', to: 'v1' }, planAliasMove(withCanary('v1', 'v3'), CANARY, 'v1')!, label)).toBe(
      'alias "production" moved from v3 to v1 by alice, the stable version: the canary of v3 (25%) ended',
    );
    expect(aliasMoveReason({ ...move, from: null }, planAliasMove(stable('v1'), SWITCH, 'v3')!, label)).toBe('alias "production" was set to v3 by alice');
  });
});

describe('alias follow settings', () => {
  const fields = 'input';

  it('defaults to SWITCH and takes a canary percent with CANARY only', () => {
    expect(aliasFollowOf('production', undefined, undefined, fields)).toEqual(SWITCH);
    expect(aliasFollowOf('production', 'CANARY', 10, fields)).toEqual(CANARY);
    expect(sameFollow(aliasFollowOf('production', 'SWITCH', null, fields), SWITCH)).toBe(true);
    expect(sameFollow(CANARY, { ...CANARY, canaryPercent: 20 })).toBe(false);
    expect(sameFollow(null, null)).toBe(true);
    expect(sameFollow(SWITCH, null)).toBe(false);
  });

  it.each([
    ['a percent with SWITCH', 'SWITCH' as const, 10, /goes with aliasUpdate CANARY/],
    ['CANARY without a percent', 'CANARY' as const, null, /needs the canary percent/],
    ['CANARY at 100%', 'CANARY' as const, 100, /greater than 0 and less than 100/],
    ['CANARY at 0%', 'CANARY' as const, 0, /greater than 0 and less than 100/],
  ])('refuses %s, naming the percent field', (_case, mode, percent, message) => {
    let thrown: unknown;
    try {
      aliasFollowOf('production', mode, percent, fields);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).location).toEqual({ field: 'input.aliasCanaryPercent' });
    expect((thrown as ValidationError).message).toMatch(message);
  });
});
