import { defineConfig } from 'vitest/config';

/**
 * The tests a mutation run executes: the handlers' own unit tests, mirrored
 * under test/lambdas. The rehearsal, CLI and CDK suites also call handlers,
 * but at minutes per run they would make every mutant cost minutes.
 */
export default defineConfig({
  test: {
    include: ['test/lambdas/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
