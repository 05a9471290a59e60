import { MIN_GRADIENT_STEPS, plannedGradientSteps, storedWarnings, trainingWarnings } from '../../../src/domain/runs/training-warnings';

const split = { train: 0.7, validation: 0.15, test: 0.15 };

describe('training warnings', () => {
  it('counts the steps the settings give: epochs x ceil(training rows / batch), the training rows as splitRows makes them', () => {
    // 569 rows x 0.7 = 398.3: 398 training rows; ceil(398 / 32) = 13 batches.
    expect(plannedGradientSteps({ epochs: 10, batchSize: 32, split }, 569)).toEqual({ trainRows: 398, batchRows: 32, batchesPerEpoch: 13, steps: 130 });
    // A batch larger than the training rows is one full batch; null (runs from before the default) is full batch too.
    expect(plannedGradientSteps({ epochs: 20, batchSize: 1000, split }, 569)).toEqual({ trainRows: 398, batchRows: 398, batchesPerEpoch: 1, steps: 20 });
    expect(plannedGradientSteps({ epochs: 20, batchSize: null, split }, 569).steps).toBe(20);
  });

  it('warns below 100 steps, naming the count and what to change, and not from 100 on', () => {
    // The case: 20 full-batch epochs are 20 gradient steps. 178 x 0.7 = 124.6 training rows: floor 124, and
    // the 2 rows left over go to validation and test, whose remainders (0.7) are larger: 124.
    const [warning, ...rest] = trainingWarnings({ epochs: 20, batchSize: null, split }, 178);
    expect(rest).toEqual([]);
    expect(warning.code).toBe('FEW_GRADIENT_STEPS');
    expect(warning.message).toBe(
      "these settings give 20 gradient steps (20 epochs x 1 batch of up to 124 of 124 training rows), fewer than 100: the model is likely to underfit; raise epochs or lower batchSize (Keras' defaults: 10 epochs, batches of 32)",
    );
    // iris with Keras' defaults: 105 training rows, 4 batches x 10 epochs = 40 steps.
    expect(trainingWarnings({ epochs: 10, batchSize: 32, split }, 150)[0].message).toMatch(
      /^these settings give 40 gradient steps \(10 epochs x 4 batches of up to 32 of 105 training rows\)/,
    );
    // 100 steps exactly is enough.
    expect(MIN_GRADIENT_STEPS).toBe(100);
    expect(trainingWarnings({ epochs: 25, batchSize: 32, split: { train: 0.8, validation: 0.2, test: 0 } }, 160)).toEqual([]);
    expect(trainingWarnings({ epochs: 24, batchSize: 32, split: { train: 0.8, validation: 0.2, test: 0 } }, 160)).toHaveLength(1);
  });

  it('reads stored warnings, and none from rows that have none', () => {
    const warnings = trainingWarnings({ epochs: 1, batchSize: 32, split }, 100);
    expect(storedWarnings(JSON.parse(JSON.stringify(warnings)))).toEqual(warnings);
    expect(storedWarnings([])).toEqual([]);
    expect(storedWarnings(null)).toEqual([]);
    expect(storedWarnings([{ code: 'OTHER', message: 'x' }])).toEqual([]);
  });
});
