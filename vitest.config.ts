import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // CDK synthesis bundles every Lambda with esbuild: give those tests room.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Vitest keeps a core for its main process by default: on the 2-core CI
    // machine that is one worker and twice the time (754 s instead of 394 s).
    // The main process mostly waits; the test files share nothing that a
    // second worker could race on (synth waits on a lock; ports are picked by the OS).
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
