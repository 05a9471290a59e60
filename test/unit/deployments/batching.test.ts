import { DEFAULT_BATCHING, patchBatching } from '../../../src/domain/deployments/batching';
import { ValidationError } from '../../../src/domain/errors';

describe('batching settings', () => {
  it('patches a setting, keeps an absent one and resets a null one to its default', () => {
    const current = { maxBatchSize: 64, maxDelayMs: 5 };
    expect(patchBatching(current, { maxBatchSize: 128 })).toEqual({ maxBatchSize: 128, maxDelayMs: 5 });
    expect(patchBatching(current, { maxDelayMs: null })).toEqual({ maxBatchSize: 64, maxDelayMs: DEFAULT_BATCHING.maxDelayMs });
    expect(patchBatching(current, { maxBatchSize: null, maxDelayMs: 0 })).toEqual({ maxBatchSize: DEFAULT_BATCHING.maxBatchSize, maxDelayMs: 0 });
  });

  it('reports every bad setting at once, each naming its field', () => {
    let thrown: unknown;
    try {
      patchBatching(DEFAULT_BATCHING, { maxBatchSize: 65_537, maxDelayMs: 0.5 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).violations).toEqual([
      { field: 'input.maxBatchSize', message: 'input.maxBatchSize must be an integer from 1 to 65,536, got 65537' },
      { field: 'input.maxDelayMs', message: 'input.maxDelayMs must be an integer from 0 to 100, got 0.5' },
    ]);
  });
});
