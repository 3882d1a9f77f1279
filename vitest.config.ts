import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // renderer tests pick jsdom with a `// @vitest-environment jsdom` line at their top
    include: ['electron/**/*.test.ts', 'bench/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
