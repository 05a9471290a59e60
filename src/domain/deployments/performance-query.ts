/** A deployment's performance query: windows of how many labelled predictions, and how many windows. */
import { z } from 'zod';
import { parseInput } from '../common/input-schema';
import { formatLimit, integerAtLeast, integerFrom } from '../common/input-fields';

/** Largest window, and most predictions one performance query reads. */
export const MAX_PERFORMANCE_WINDOW = 10_000;
export const MAX_WINDOWED_PREDICTIONS = 100_000;

export interface PerformanceQuery {
  window: number;
  windows: number;
}

/** The bounds of a performance query; the predictions read are checked once both arguments hold. */
export const performanceQuerySchema = z
  .object({
    window: integerFrom(1, MAX_PERFORMANCE_WINDOW),
    windows: integerAtLeast(1),
  })
  .refine(({ window, windows }) => window * windows <= MAX_WINDOWED_PREDICTIONS, {
    path: ['windows'],
    error: `must keep window x windows at most ${formatLimit(MAX_WINDOWED_PREDICTIONS)}`,
    when: (payload) => payload.issues.length === 0,
  });

/** @throws ValidationError naming each argument at fault (`window`, `windows`). */
export function checkPerformanceQuery(query: PerformanceQuery): PerformanceQuery {
  return parseInput(performanceQuerySchema, query, '');
}
