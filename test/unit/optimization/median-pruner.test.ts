import { createMedianPruner } from '../../../src/domain/optimization/median-pruner';
import type { TrialRecord } from '../../../src/domain/optimization/trial';

/** A trial whose objective at epochs 1, 2, ... is `curve`. */
function trial(number: number, state: TrialRecord['state'], curve: number[]): TrialRecord {
  const intermediateValues = curve.map((value, i) => ({ step: i + 1, value }));
  return { number, state, params: {}, value: state === 'COMPLETE' ? curve[curve.length - 1] : null, intermediateValues };
}

// Six completed trials; at epoch 5 their val_loss is 0.40, 0.42, 0.45, 0.38, 0.50, 0.44:
// sorted 0.38 0.40 0.42 0.44 0.45 0.50, median (0.42 + 0.44) / 2 = 0.43.
const AT_EPOCH_5 = [0.4, 0.42, 0.45, 0.38, 0.5, 0.44];
const completed = AT_EPOCH_5.map((v, n) => trial(n, 'COMPLETE', [v + 0.4, v + 0.3, v + 0.2, v + 0.1, v, v - 0.05]));

// Optuna 5.0.0's MedianPruner(n_startup_trials=5, n_warmup_steps=2), given the same curves with steps
// counted from 0, decides the same for the bad, good, recovered and warm-up trials below
// (should_prune: True, False, False, False at epoch 2, True at epoch 3).
const pruner = createMedianPruner({ direction: 'MINIMIZE', metric: 'val_loss', nStartupTrials: 5, nWarmupSteps: 2 });

describe('createMedianPruner', () => {
  it('prunes a clearly worse trial and says why', () => {
    const bad = trial(6, 'RUNNING', [0.9, 0.8, 0.7, 0.65, 0.61]);
    expect(pruner.evaluate(bad, [...completed, bad])).toEqual({
      prune: true,
      reason: 'val_loss 0.61 at epoch 5 is worse than the median 0.43 of 6 finished trials at epoch 5',
    });
  });

  it('keeps a good trial', () => {
    const good = trial(6, 'RUNNING', [0.8, 0.6, 0.5, 0.45, 0.39]);
    expect(pruner.evaluate(good, completed)).toEqual({
      prune: false,
      reason: 'val_loss 0.39 at epoch 5 is not worse than the median 0.43 of 6 finished trials at epoch 5',
    });
  });

  it('judges the best value so far, as Optuna does', () => {
    // 0.41 at epoch 3 is better than the epoch-5 median 0.43, although epoch 5 itself (0.6) is worse.
    const recovered = trial(6, 'RUNNING', [0.9, 0.5, 0.41, 0.55, 0.6]);
    const decision = pruner.evaluate(recovered, completed);
    expect(decision.prune).toBe(false);
    expect(decision.reason).toBe('best val_loss 0.41 up to epoch 5 is not worse than the median 0.43 of 6 finished trials at epoch 5');
  });

  it('never prunes during the warm-up epochs', () => {
    // Epoch-2 median of the completed trials is 0.73; 5.0 is far worse, but epochs 1 and 2 are warm-up.
    const decision = pruner.evaluate(trial(6, 'RUNNING', [5, 5]), completed);
    expect(decision).toEqual({ prune: false, reason: 'epoch 2 is within the 2 warm-up epochs' });
    expect(pruner.evaluate(trial(6, 'RUNNING', [5, 5, 5]), completed).prune).toBe(true);
  });

  it('waits for nStartupTrials completed trials; pruned and running ones do not count', () => {
    const others = [trial(4, 'PRUNED', [0.1, 0.1, 0.1]), trial(5, 'RUNNING', [0.1, 0.1, 0.1])];
    const decision = pruner.evaluate(trial(6, 'RUNNING', [5, 5, 5]), [...completed.slice(0, 4), ...others]);
    expect(decision).toEqual({ prune: false, reason: 'only 4 trials have finished; pruning starts after 5' });
  });

  it('prunes a lower value when maximizing', () => {
    const accuracy = createMedianPruner({ direction: 'MAXIMIZE', metric: 'val_accuracy', nStartupTrials: 3 });
    // At epoch 2 the completed accuracies are 0.8, 0.9, 0.85: median 0.85.
    const history = [0.8, 0.9, 0.85].map((v, n) => trial(n, 'COMPLETE', [v - 0.1, v, v]));
    expect(accuracy.evaluate(trial(3, 'RUNNING', [0.6, 0.7]), history)).toEqual({
      prune: true,
      reason: 'val_accuracy 0.7 at epoch 2 is worse than the median 0.85 of 3 finished trials at epoch 2',
    });
    expect(accuracy.evaluate(trial(3, 'RUNNING', [0.6, 0.86]), history).prune).toBe(false);
  });

  it('prunes a trial whose objective is NaN at every epoch', () => {
    expect(pruner.evaluate(trial(6, 'RUNNING', [NaN, NaN, NaN]), completed)).toEqual({
      prune: true,
      reason: 'val_loss is NaN at every epoch up to 3',
    });
  });

  it('does not prune at an epoch no completed trial reached', () => {
    const long = trial(6, 'RUNNING', [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]);
    expect(pruner.evaluate(long, completed)).toEqual({ prune: false, reason: 'only 0 finished trials reached epoch 7; 1 needed' });
  });
});
