/**
 * Numeric options (`--limit`, `--interval`): whole numbers within bounds,
 * refused with the flag named and the range to use.
 */
import * as z from 'zod';
import { UsageError } from '../exit-codes.ts';

/** `text` as a whole number from `min` to `max`; `fallback` when the option was not given. */
export function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(text.trim() === '' ? Number.NaN : text);
  if (!parsed.success) throw new UsageError(`${flag}: '${text}' is not a whole number from ${min} to ${max}; e.g. ${flag} ${fallback}`);
  return parsed.data;
}
