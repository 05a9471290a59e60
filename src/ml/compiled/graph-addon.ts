/**
 * Loads mlplane's graph addon (native/train-step, built by scripts/install-train-step.js against
 * the libtensorflow tfjs-node uses). Loading is lazy and never throws: without the addon (no native
 * backend, or its build failed at install) the compiled training step is unavailable and
 * {@link graphAddon} says why, and runs train on the eager path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config/paths';
import { logger } from '../../infra/logger';
import { tfNode } from '../tf-backend';

/** An output of an operation: [operation index, output index]. */
export type GraphOutput = readonly [number, number];
/** An input of an operation: one output, or a list of outputs for a list input (e.g. ConcatV2's values). */
export type GraphInput = GraphOutput | readonly GraphOutput[];
/** Feed values: float32 or int32. */
export type FeedValues = Float32Array | Int32Array;
export type AttrValue =
  | readonly [string, 'type' | 'int' | 'float', number]
  | readonly [string, 'bool', boolean]
  | readonly [string, 'shape', readonly number[] | null]
  | readonly [string, 'string', string]
  | readonly [string, 'tensor', readonly [FeedValues, readonly number[]]];

declare const handle: unique symbol;
export type GraphHandle = { readonly [handle]: 'graph' };
export type SessionHandle = { readonly [handle]: 'session' };
export type RunnerHandle = { readonly [handle]: 'runner' };

/** The addon's exports (native/train-step/train_step.cc). */
export interface GraphAddon {
  version(): string;
  newGraph(): GraphHandle;
  addOperation(
    graph: GraphHandle,
    type: string,
    name: string,
    inputs: readonly GraphInput[],
    attrs: readonly AttrValue[],
    controlInputs: readonly number[],
  ): number;
  numOutputs(graph: GraphHandle, op: number): number;
  /** Operations computing d(sum ys)/d xs, named under `prefix`. @throws when an op has no registered gradient. */
  addGradients(graph: GraphHandle, prefix: string, ys: readonly GraphOutput[], xs: readonly GraphOutput[]): GraphOutput[];
  /** 0 threads lets TensorFlow choose (one per core). */
  newSession(graph: GraphHandle, intraOpThreads: number, interOpThreads: number): SessionHandle;
  closeSession(session: SessionHandle): void;
  prepare(session: SessionHandle, feeds: readonly GraphOutput[], fetches: readonly GraphOutput[], targets: readonly number[]): RunnerHandle;
  /** One TF_SessionRun: a value and a shape per feed; returns one array per fetch. */
  run(runner: RunnerHandle, values: readonly FeedValues[], shapes: readonly (readonly number[])[]): FeedValues[];
}

export type AddonState = { available: true; addon: GraphAddon } | { available: false; reason: string };

/** Where scripts/install-train-step.js leaves the addon and its record. */
export const ADDON_PATH = path.join(projectRoot, 'native', 'train-step', 'build', 'Release', 'mlplane_train_step.node');
const RECORD_PATH = path.join(projectRoot, 'node_modules', '.mlplane', 'train-step-install.json');

let state: AddonState | undefined;

function installDetail(): string {
  try {
    const record = JSON.parse(readFileSync(RECORD_PATH, 'utf8')) as { ok?: boolean; detail?: string };
    return record.ok ? '' : ` (install: ${record.detail ?? 'failed'})`;
  } catch {
    return ' (no install record: run npm ci)';
  }
}

/** The graph addon, or why it is unavailable (logged once). */
export function graphAddon(): AddonState {
  if (state) return state;
  if (!tfNode()) {
    state = { available: false, reason: 'the native TensorFlow backend is not loaded' };
  } else {
    try {
      // tfjs-node has mapped libtensorflow already; the addon links against the same library.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon at a path known at run time, loaded only when the backend is
      state = { available: true, addon: require(ADDON_PATH) as GraphAddon };
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      state = { available: false, reason: `the graph addon did not load: ${message}${installDetail()}` };
    }
  }
  if (state.available) logger.info({ libtensorflow: state.addon.version() }, 'compiled training steps available (graph addon loaded)');
  else logger.warn({ reason: state.reason }, 'compiled training steps unavailable; native runs train eagerly');
  return state;
}
