import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Lives in test/ because the repository's top level is fixed; run with --config test/vitest.config.ts.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['gateway/**/*.test.ts', 'internal/**/*.test.ts', 'control-gateway/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // After the unit tests, with its own worker limit.
          sequence: { groupOrder: 1 },
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file starts real gateway processes; two at a time suits the 2-core machines.
          maxWorkers: 2,
        },
      },
    ],
  },
})
