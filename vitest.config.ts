import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test files wait on sockets and timers rather than compute: two at once keep a 2-core CI
    // machine busy (vitest's default there is one) and the whole run well inside CI's time.
    maxWorkers: 2,
    globalSetup: ['test/setup/build-dist.ts'],
  },
});
