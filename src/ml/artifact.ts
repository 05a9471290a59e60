/**
 * A trained model as one self-contained byte string (topology and weights) with its sha256, and
 * the checked way back.
 *
 * Layout: the 4 ASCII bytes `MLPM`, a uint32 (little-endian) format version, a uint32 header
 * length, the header as UTF-8 JSON (`modelTopology`, `weightSpecs`, `format`, `generatedBy`,
 * `convertedBy`), then the weight bytes exactly as TensorFlow.js saves them.
 */
import { createHash } from 'node:crypto';
import { InvalidStateError } from '../domain/errors';
import type { LayersModel, Tf } from './tf-types';

const MAGIC = 'MLPM';
const FORMAT_VERSION = 1;
const PREAMBLE_BYTES = 12;

export interface ModelArtifact {
  bytes: Buffer;
  /** Lower-case hex sha256 of `bytes`. */
  sha256: string;
}

interface ArtifactHeader {
  modelTopology: object;
  weightSpecs: unknown[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Lower-case hex sha256 of a buffer. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serializes `model` (topology and weights) into one buffer and hashes it. */
export async function saveModelArtifact(tf: Tf, model: LayersModel): Promise<ModelArtifact> {
  let header: ArtifactHeader | undefined;
  let weights: ArrayBuffer | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      header = {
        modelTopology: artifacts.modelTopology as object,
        weightSpecs: artifacts.weightSpecs ?? [],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  preamble.write(MAGIC, 0, 'ascii');
  preamble.writeUInt32LE(FORMAT_VERSION, 4);
  preamble.writeUInt32LE(headerBytes.length, 8);
  const bytes = Buffer.concat([preamble, headerBytes, Buffer.from(weights!)]);
  return { bytes, sha256: sha256Hex(bytes) };
}

/**
 * Verifies the sha256 of an artifact and loads the model from it.
 * @throws InvalidStateError when the hash differs from `expectedSha256` (naming both) or the bytes
 *   are not a model artifact.
 */
export async function loadModelArtifact(tf: Tf, bytes: Uint8Array, expectedSha256: string): Promise<LayersModel> {
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256.toLowerCase()) {
    throw new InvalidStateError(
      `model artifact failed its integrity check: expected sha256 ${expectedSha256}, got ${actual}; the stored artifact was altered or corrupted`,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < PREAMBLE_BYTES || buffer.toString('ascii', 0, 4) !== MAGIC) {
    throw new InvalidStateError('model artifact is not in the mlplane model format');
  }
  const version = buffer.readUInt32LE(4);
  if (version !== FORMAT_VERSION) {
    throw new InvalidStateError(`model artifact format version ${version} is not supported`);
  }
  const headerLength = buffer.readUInt32LE(8);
  const weightsStart = PREAMBLE_BYTES + headerLength;
  if (weightsStart > buffer.length) throw new InvalidStateError('model artifact is truncated');
  let header: ArtifactHeader;
  try {
    header = JSON.parse(buffer.toString('utf8', PREAMBLE_BYTES, weightsStart)) as ArtifactHeader;
  } catch {
    throw new InvalidStateError('model artifact header is not valid JSON');
  }
  const weightData = buffer.buffer.slice(buffer.byteOffset + weightsStart, buffer.byteOffset + buffer.length);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: header.modelTopology,
      weightSpecs: header.weightSpecs as never,
      weightData,
      format: header.format,
      generatedBy: header.generatedBy,
      convertedBy: header.convertedBy,
    }),
  );
}
