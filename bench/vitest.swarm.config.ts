/** bench:swarm's measurements run under vitest only to reuse the test fixtures (real Redis, FerretDB). */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bench/**/*.vitest.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    reporters: ['dot'],
  },
});
