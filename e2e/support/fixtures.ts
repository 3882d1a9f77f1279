// Each test gets a fresh daemon and folders (`tandem`) and the UI opened on it (`app`).
import { test as base } from '@playwright/test';
import { TandemApp } from './tandemApp.js';
import { startTandem, type TandemDaemon } from './tandemDaemon.js';

export const test = base.extend<{ tandem: TandemDaemon; app: TandemApp }>({
  // eslint-disable-next-line no-empty-pattern
  tandem: async ({}, use, testInfo) => {
    const t = await startTandem();
    await use(t);
    if (testInfo.status !== testInfo.expectedStatus)
      await testInfo.attach('tandem serve', {
        body: `exited: ${t.exited() ?? 'no'}\nstderr:\n${t.stderr()}`,
        contentType: 'text/plain',
      });
    await t.stop();
  },
  app: async ({ page, tandem }, use) => {
    const app = new TandemApp(page, tandem);
    await app.open();
    await use(app);
  },
});

export { expect } from '@playwright/test';
