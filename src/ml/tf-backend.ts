/**
 * The one place that loads TensorFlow.js. Loading is lazy: nothing is required until a function
 * here is first called, so a process that never trains or predicts never maps libtensorflow.
 *
 * `@tensorflow/tfjs-node` (native libtensorflow, backend `tensorflow`) is tried first; when it
 * does not load, the pure-JS `@tensorflow/tfjs` (backend `cpu`) is used and a warning says why.
 * Either way {@link tf} returns the `@tensorflow/tfjs` namespace that tfjs-node registered its
 * backend in, so `useBackend('cpu')` and `useBackend('tensorflow')` both work in one process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as tfjsNode from '@tensorflow/tfjs-node';
import { InvalidStateError } from '../domain/errors';
import { logger } from '../infra/logger';
import type { Tf } from './tf-types';

/** The backends mlplane uses: native libtensorflow, or TensorFlow.js's pure-JS kernels. */
export type BackendName = 'tensorflow' | 'cpu';

/** The `@tensorflow/tfjs-node` namespace: `tf` plus `node` (TensorBoard, image decoding) and `io.fileSystem`. */
export type TfNode = typeof tfjsNode;

/** How `npm ci` got the native addon, as recorded by scripts/install-tfjs-node.js. */
export type InstallRoute = 'tfjs-node-download' | 'local-wheel' | 'already-installed' | 'none';

/** What this process runs TensorFlow.js on, for health, run lineage and logs. */
export interface BackendInfo {
  /** The backend new tensors are created on. */
  active: BackendName;
  /** True when tfjs-node and its native addon loaded. */
  nativeAvailable: boolean;
  /** Why the native backend is unavailable; absent when it is available. */
  reason?: string;
  /** Version of `@tensorflow/tfjs`. */
  tfjsVersion: string;
  /** libtensorflow's `TF_Version()` when the native backend is loaded, else the installer's record. */
  libtensorflowVersion?: string;
  /** The route the installer recorded in `node_modules/.mlplane/tfjs-install.json`; absent without a record. */
  installRoute?: InstallRoute;
}

interface InstallRecord {
  route?: InstallRoute;
  ok?: boolean;
  libtensorflowVersion?: string;
}

interface LoadedTf {
  tf: Tf;
  node?: TfNode;
  reason?: string;
}

/** The part of tfjs-node's kernel backend that exposes the addon (not in its public typings). */
interface NativeBackend {
  binding?: { TF_Version?: string };
}

let loaded: LoadedTf | undefined;

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.trim().split('\n')[0] ?? message;
}

function load(): LoadedTf {
  if (loaded) return loaded;
  // libtensorflow reads these once, when it is mapped: they must be set before tfjs-node is required.
  // oneDNN's custom ops made small kernels slower here (docs STACK.md); level 2 hides its info lines.
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

  let node: TfNode | undefined;
  let reason: string | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, not imported, so that a missing native addon is a reason, not a crash
    node = require('@tensorflow/tfjs-node') as TfNode;
  } catch (err) {
    reason = `@tensorflow/tfjs-node did not load: ${firstLine(err)}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after tfjs-node, which must register its backend first
  const tf = require('@tensorflow/tfjs') as Tf;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- typed as always a factory, findBackendFactory returns null for an unregistered name
  if (node && tf.findBackendFactory('tensorflow') === null) {
    // tfjs-node registers its backend in the tfjs-core it resolves; a second copy would hide it from `tf`.
    reason = '@tensorflow/tfjs-node loaded but registered its backend in another copy of @tensorflow/tfjs-core';
    node = undefined;
  }

  // Production mode only silences tfjs's console output, such as the "install our node backend"
  // banner the cpu backend prints on first use, which is noise when cpu is chosen on purpose.
  tf.enableProdMode();
  loaded = { tf, node, reason };
  if (node) {
    logger.info({ backend: tf.getBackend(), libtensorflow: nativeVersion(tf) }, 'TensorFlow.js loaded with the native backend');
  } else {
    // tfjs-node activates its backend itself; without it no backend is active until one is set.
    // The cpu backend initialises synchronously, so it is active when this call returns.
    void tf.setBackend('cpu');
    logger.warn({ backend: tf.getBackend(), reason }, 'native TensorFlow backend unavailable; running on the pure-JS cpu backend');
  }
  return loaded;
}

function nativeVersion(tf: Tf): string | undefined {
  return (tf.engine().findBackend('tensorflow') as NativeBackend | null)?.binding?.TF_Version;
}

function readInstallRecord(): InstallRecord | undefined {
  try {
    // The record sits in node_modules/.mlplane; @tensorflow/tfjs is always installed next to it.
    const nodeModules = path.resolve(path.dirname(require.resolve('@tensorflow/tfjs/package.json')), '..', '..');
    return JSON.parse(readFileSync(path.join(nodeModules, '.mlplane', 'tfjs-install.json'), 'utf8')) as InstallRecord;
  } catch {
    return undefined;
  }
}

/** The `@tensorflow/tfjs` namespace, loading TensorFlow.js on first call. */
export function tf(): Tf {
  return load().tf;
}

/** The tfjs-node namespace (TensorBoard writer, file-system model IO) when the native backend loaded. */
export function tfNode(): TfNode | undefined {
  return load().node;
}

/** True once TensorFlow.js has been loaded in this process; never loads it. */
export function isTfLoaded(): boolean {
  return loaded !== undefined;
}

/** The backends usable in this process, fastest-for-large-models first. */
export function availableBackends(): BackendName[] {
  return load().node ? ['tensorflow', 'cpu'] : ['cpu'];
}

/**
 * Makes `name` the active backend for new tensors.
 * @throws InvalidStateError when `name` is not available here (the native backend did not load).
 */
export async function useBackend(name: BackendName): Promise<void> {
  const { tf: handle, reason } = load();
  if (!availableBackends().includes(name)) {
    throw new InvalidStateError(`TensorFlow.js backend "${name}" is not available: ${reason ?? 'not registered'}`);
  }
  if (!(await handle.setBackend(name))) {
    throw new InvalidStateError(`TensorFlow.js backend "${name}" failed to initialise`);
  }
}

/** The active backend, whether the native one is available and why not, and the versions in use. */
export function backendInfo(): BackendInfo {
  const { tf: handle, node, reason } = load();
  const active = handle.getBackend();
  if (active !== 'tensorflow' && active !== 'cpu') {
    throw new InvalidStateError(`unexpected TensorFlow.js backend "${active}" is active`);
  }
  const record = readInstallRecord();
  const info: BackendInfo = {
    active,
    nativeAvailable: node !== undefined,
    tfjsVersion: handle.version.tfjs,
  };
  if (reason !== undefined) info.reason = reason;
  const libtensorflowVersion = (node && nativeVersion(handle)) ?? (record?.ok ? record.libtensorflowVersion : undefined);
  if (libtensorflowVersion !== undefined) info.libtensorflowVersion = libtensorflowVersion;
  if (record?.route !== undefined) info.installRoute = record.route;
  return info;
}
