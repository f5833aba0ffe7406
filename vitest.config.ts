import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // End-to-end tests start real simulation processes; the machines have two cores and are shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Several e2e suites time real processes; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest-report.json' },
  },
});
