import { defineConfig } from 'vitest/config';

/**
 * The tests a mutation run executes: the handlers' own unit tests, mirrored
 * under test/lambdas. The rehearsal, CLI and CDK suites also call handlers,
 * but at minutes per run they would make every mutant cost minutes.
 */
export default defineConfig({
  test: {
    include: ['test/lambdas/**/*.test.ts'],
    // Its log level is set before the logger is created, once per module graph: not when modules are shared.
    exclude: ['test/lambdas/logging.test.ts'],
    // One module graph for all test files: a mutant run then costs its tests, not a fresh import
    // of the AWS SDK per file (about 3x faster). Stryker switches mutants at run time, so sharing is safe.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
