import { defineConfig } from 'vitest/config';

/** The self-check's own tests only (see gate.ts). */
export default defineConfig({
  test: {
    include: ['test/mutation/self-check/*.check.ts'],
    pool: 'forks',
  },
});
