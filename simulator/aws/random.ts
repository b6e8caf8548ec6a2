/**
 * Deterministic randomness: every "random" draw of the simulation comes from
 * a generator seeded by a text (the world's `seed` plus what is drawn for),
 * so two runs of the same rehearsal produce the same traffic, the same
 * latencies and the same metrics.
 */
import { createHash } from 'node:crypto';

/** A generator of uniform numbers in [0, 1). */
export type Random = () => number;

/** A 32-bit seed derived from a text. */
function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

/** A mulberry32 generator seeded from `parts` joined by `#`: the same parts always give the same sequence. */
export function randomFrom(...parts: ReadonlyArray<string | number>): Random {
  let state = seedOf(parts.join('#'));
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box-Muller) from two uniform draws. */
export function normalDraw(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A deterministic hex string of `length` characters derived from `parts`. */
export function hexFrom(length: number, ...parts: ReadonlyArray<string | number>): string {
  let hex = '';
  let counter = 0;
  while (hex.length < length) {
    hex += createHash('sha256').update(`${parts.join('#')}#${counter}`).digest('hex');
    counter += 1;
  }
  return hex.slice(0, length);
}
