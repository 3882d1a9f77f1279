// The page object: Tandem's UI as a user sees it, by the names its controls announce.
import { expect, type Locator, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { SCREENSHOTS, type TandemDaemon } from './tandemDaemon.js';

export class TandemApp {
  constructor(
    readonly page: Page,
    readonly tandem: TandemDaemon,
  ) {}

  async open(): Promise<void> {
    await this.page.goto(this.tandem.url);
    // The link's token was traded for a cookie and removed from the address bar.
    await expect(this.page).not.toHaveURL(/token=/);
  }

  get sidebar(): Locator {
    return this.page.getByRole('navigation', { name: 'Pairs' });
  }

  pairButton(name: string | RegExp): Locator {
    return this.sidebar.getByRole('button', { name });
  }

  async addPair(source: string, target: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Add pair' }).first().click();
    const dialog = this.page.getByRole('dialog', { name: 'New pair' });
    await dialog.getByLabel('Source folder', { exact: true }).fill(source);
    await dialog.getByLabel('Target folder', { exact: true }).fill(target);
    const create = dialog.getByRole('button', { name: 'Create pair' });
    await expect(create).toBeEnabled();
    await create.click();
    await expect(dialog).toBeHidden();
    await expect(
      this.pairButton(new RegExp(`^${path.basename(source)} → ${path.basename(target)}`)),
    ).toBeVisible();
  }

  tab(name: 'Pending' | 'History' | 'Settings'): Locator {
    return this.page.getByRole('tab', { name });
  }

  get pendingList(): Locator {
    return this.page
      .getByRole('grid', { name: 'Pending changes' })
      .or(this.page.getByRole('list', { name: 'Pending changes' }));
  }

  /** The pending row showing this path. */
  row(rel: string): Locator {
    return this.pendingList
      .getByRole('checkbox', { name: `Select ${rel}` })
      .locator('xpath=ancestor::*[@role="row" or @role="listitem"][1]');
  }

  async scanNow(): Promise<void> {
    await this.page.getByRole('button', { name: 'Scan now' }).click();
  }

  /**
   * "Approve all" once the list shows these paths. Approving all approves the list as shown, so
   * a click before a late row appears leaves that row pending, as it would for a person.
   */
  async approveAll(...shown: string[]): Promise<void> {
    for (const p of shown) await expect(this.row(p)).toBeVisible();
    await this.page.getByRole('button', { name: 'Approve all' }).click();
  }

  async waitInSync(): Promise<void> {
    await expect(
      this.page.getByText('Nothing pending — source and target are identical.'),
    ).toBeVisible();
  }

  async screenshot(name: string): Promise<void> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }
}
