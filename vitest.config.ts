import { defineConfig } from 'vitest/config';

// Three projects: unit (pure logic, no services), integration (real dockerd,
// rsyslog, Elasticsearch started by test/services), e2e (the CLI as a user runs it).
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.cache/vitest-report.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/helpers/tools-setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/tools-setup.ts', 'test/helpers/services-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/tools-setup.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
