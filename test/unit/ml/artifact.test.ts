import { InvalidStateError } from '../../../src/domain/errors';
import { loadModelArtifact, saveModelArtifact, sha256Hex } from '../../../src/ml/artifact';
import { buildModel } from '../../../src/ml/model-builder';
import { predictOutputs } from '../../../src/ml/predictor';
import type { Tf } from '../../../src/ml/tf-types';
import { trainModel } from '../../../src/ml/trainer';
import { prepareFixture } from '../../support/ml-data';
import { loadTf } from '../../support/tf';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf('cpu');
});

describe('model artifacts', () => {
  const fixture = prepareFixture('iris.csv', 'species', 'MULTICLASS_CLASSIFICATION');

  async function trained() {
    const model = buildModel({
      tf,
      architecture: { layers: [{ units: 8, activation: 'relu', dropout: 0.1, l2: 0.001 }] },
      task: 'MULTICLASS_CLASSIFICATION',
      inputWidth: fixture.spec.inputWidth,
      classCount: 3,
      seed: 3,
    });
    await trainModel({
      tf,
      model,
      task: 'MULTICLASS_CLASSIFICATION',
      x: fixture.train.x,
      y: fixture.train.labels!.targets,
      hyperparameters: { epochs: 5, batchSize: 16, optimizer: 'ADAM', learningRate: 0.01 },
      seed: 3,
    });
    return model;
  }

  it('round-trips topology and weights into identical predictions', async () => {
    const model = await trained();
    const artifact = await saveModelArtifact(tf, model);
    expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(artifact.sha256).toBe(sha256Hex(artifact.bytes));
    expect(artifact.bytes.subarray(0, 4).toString('ascii')).toBe('MLPM');
    const loaded = await loadModelArtifact(tf, artifact.bytes, artifact.sha256);
    expect(Array.from(predictOutputs(tf, loaded, fixture.test.x))).toEqual(Array.from(predictOutputs(tf, model, fixture.test.x)));
    expect(loaded.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
    // Saving the loaded model again gives the same bytes: the format is stable.
    expect((await saveModelArtifact(tf, loaded)).sha256).toBe(artifact.sha256);
  });

  it('rejects a tampered artifact, naming both hashes', async () => {
    const artifact = await saveModelArtifact(tf, await trained());
    const tampered = Buffer.from(artifact.bytes);
    tampered[tampered.length - 1] ^= 0x01; // one bit of the last weight
    const error = await loadModelArtifact(tf, tampered, artifact.sha256).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toContain(artifact.sha256);
    expect((error as Error).message).toContain(sha256Hex(tampered));
  });

  it('rejects bytes that are not an artifact even when the hash matches', async () => {
    const junk = Buffer.from('not a model');
    await expect(loadModelArtifact(tf, junk, sha256Hex(junk))).rejects.toThrow(InvalidStateError);
    const truncated = (await saveModelArtifact(tf, await trained())).bytes.subarray(0, 40);
    await expect(loadModelArtifact(tf, truncated, sha256Hex(truncated))).rejects.toThrow('truncated');
  });
});
