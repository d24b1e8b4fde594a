import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real servers and real handshakes share two cores: keep files from starving each other.
    maxWorkers: 2,
    // NOTE: no retry, in CI or anywhere: a retry hides the flake a user would meet (our product is deterministic verdicts).
    retry: 0,
  },
});
