import type { ModelFitArgs } from '@tensorflow/tfjs';

/**
 * `model.fit` without its progress output (tfjs-node prints a progress bar by default). tfjs does
 * not export its ModelLoggingVerbosity enum, whose SILENT member is 0.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the enum is not exported; 0 is its documented SILENT value
export const SILENT: ModelFitArgs['verbose'] = 0;
