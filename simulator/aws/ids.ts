/**
 * Identifiers derived from their content, so that two rehearsals of the same
 * deployment print the same event and deployment ids.
 */
import { createHash } from 'node:crypto';

/** A UUID-shaped id derived from `seed`. */
export function uuidFrom(seed: string): string {
  return createHash('sha256')
    .update(seed)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
}
