import { z } from 'zod';
import { formatLimit } from '../common/input-fields';

/** Longest note an alert's resolution may carry. */
export const MAX_RESOLUTION_NOTE_LENGTH = 2_000;

/** The note of an alert's resolution: trimmed, null when blank. */
export const resolutionNoteSchema = z
  .string()
  .trim()
  .max(MAX_RESOLUTION_NOTE_LENGTH, { error: `is longer than ${formatLimit(MAX_RESOLUTION_NOTE_LENGTH)} characters` })
  .nullish()
  .transform((note) => note || null);
