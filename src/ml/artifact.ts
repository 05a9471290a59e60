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

/**
 * The weight values as a typed array of this realm. TensorFlow.js's own weight encoder
 * (`model.save`) checks `instanceof Float32Array`, which fails for arrays the native backend made
 * in another realm (as under jest's per-file contexts); a copy made here always passes.
 */
async function ownWeightBytes(values: Promise<unknown>, dtype: string, name: string): Promise<Buffer> {
  const data = (await values) as ArrayLike<number>;
  const copy = dtype === 'float32' ? Float32Array.from(data) : dtype === 'int32' ? Int32Array.from(data) : undefined;
  if (!copy) throw new InvalidStateError(`weight ${name} has dtype ${dtype}, which artifacts do not store`);
  return Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength);
}

/**
 * Serializes `model` (topology and weights) into one buffer and hashes it. The layout is what
 * `model.save` writes (the topology of `toJSON`, weight specs by original name, weights
 * concatenated in order), so `tf.loadLayersModel(tf.io.fromMemory(...))` reads it back.
 */
export async function saveModelArtifact(tf: Tf, model: LayersModel): Promise<ModelArtifact> {
  const weightSpecs: Array<{ name: string; shape: number[]; dtype: string }> = [];
  const weightChunks: Buffer[] = [];
  for (const weight of model.weights) {
    const shape = weight.shape.map((size) => size ?? 0);
    weightSpecs.push({ name: weight.originalName, shape, dtype: weight.dtype });
    weightChunks.push(await ownWeightBytes(weight.read().data(), weight.dtype, weight.originalName));
  }
  const header: ArtifactHeader = {
    modelTopology: model.toJSON(null, false) as object,
    weightSpecs,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  preamble.write(MAGIC, 0, 'ascii');
  preamble.writeUInt32LE(FORMAT_VERSION, 4);
  preamble.writeUInt32LE(headerBytes.length, 8);
  const bytes = Buffer.concat([preamble, headerBytes, ...weightChunks]);
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
