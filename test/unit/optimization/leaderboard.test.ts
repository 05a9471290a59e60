import { bestTrial, rankTrials } from '../../../src/domain/optimization/leaderboard';
import type { TrialRecord } from '../../../src/domain/optimization/trial';

function trial(number: number, state: TrialRecord['state'], value: number | null): TrialRecord {
  return { number, state, value, params: { learningRate: number / 100 }, intermediateValues: [] };
}

const trials = [
  trial(0, 'COMPLETE', 0.3),
  trial(1, 'PRUNED', null),
  trial(2, 'COMPLETE', 0.1),
  trial(3, 'COMPLETE', 0.3),
  trial(4, 'FAILED', null),
  trial(5, 'RUNNING', null),
  trial(6, 'COMPLETE', 0.2),
  trial(7, 'COMPLETE', NaN),
];

describe('rankTrials', () => {
  it('ranks completed trials by objective, ties by trial number', () => {
    expect(rankTrials(trials, 'MINIMIZE').map((e) => [e.rank, e.trialNumber, e.value])).toEqual([
      [1, 2, 0.1],
      [2, 6, 0.2],
      [3, 0, 0.3],
      [4, 3, 0.3],
    ]);
    expect(rankTrials(trials, 'MAXIMIZE').map((e) => e.trialNumber)).toEqual([0, 3, 6, 2]);
  });

  it('carries the params of each trial', () => {
    expect(rankTrials(trials, 'MINIMIZE')[0].params).toEqual({ learningRate: 0.02 });
  });
});

describe('bestTrial', () => {
  it('is the first entry, or null before any trial completes', () => {
    expect(bestTrial(trials, 'MAXIMIZE')?.trialNumber).toBe(0);
    expect(bestTrial([trial(0, 'RUNNING', null), trial(1, 'PRUNED', null)], 'MINIMIZE')).toBeNull();
  });
});
