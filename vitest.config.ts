import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // CDK synthesis bundles every Lambda with esbuild: give those tests room.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
