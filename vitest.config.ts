import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    teardownTimeout: 60_000,
    coverage: {
      provider: 'v8',
      // v8 coverage reports only loaded files unless told what to include; untested files must show up.
      include: ['src/**/*.ts', 'dev/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'dev/**/*.test.ts', 'test/unit/**/*.test.ts'],
          // Property tests of hundreds of runs take ~1 s alone but over 5 s on a shared 2-core machine under load.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/integration-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One control plane and one Redis serve every file; files run one at a time on 2 cores.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // npm run test:reliability — fault, crash, bad-input and security suites that print figures
          // (test/setup/reliability-env.ts prints the table and writes test/reliability/results/latest.json).
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/setup/reliability-env.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
