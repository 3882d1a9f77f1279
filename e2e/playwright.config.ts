// End-to-end tests: the real daemon (`tandem serve`) with real temp folders, driven through the UI
// in Debian's Chromium (Playwright cannot download its own browsers here). Electron-only specs
// live in e2e/electron and skip, saying why, where Electron's binary is missing.
import { defineConfig } from '@playwright/test';
import { CHROMIUM_LAUNCH } from './support/chromium.js';

export default defineConfig({
  testDir: '.',
  testMatch: ['specs/**/*.spec.ts', 'electron/**/*.spec.ts'],
  outputDir: '../test-results/e2e',
  // Each test runs its own daemon and browser; two cores cannot run several such tests at once
  // without their timings (watcher settle, progress) turning into noise.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [
    ['list'],
    [
      'json',
      { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? '../test-results/e2e/report.json' },
    ],
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: CHROMIUM_LAUNCH,
  },
});
