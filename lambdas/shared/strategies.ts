/**
 * The ECS strategies, in a module of their own: the handlers' event schemas
 * name them without importing (and building at cold start) the whole config
 * schema.
 */
export const STRATEGIES = ['rolling', 'canary', 'blue-green'] as const;

/** One of {@link STRATEGIES}. */
export type Strategy = (typeof STRATEGIES)[number];
