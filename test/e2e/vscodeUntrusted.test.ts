/**
 * Kernel Lens in Restricted Mode: workspace trust on (VS Code's default), the trust prompt
 * answered "No". The extension declares untrustedWorkspaces as supported, since it only
 * reads, so it still activates, indexes and serves the outline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { embeddedRoot } from '../../extension/kernelSources/paths';
import { openQuickInput, openSession, quickInputLabels, statusItem, type Session } from './harness';

void describe('Kernel Lens in an untrusted workspace (en)', { timeout: 240_000 }, () => {
  let session: Session;
  before(async () => {
    session = await openSession('untrusted', { workspaceTrust: true });
    const folder = embeddedRoot();
    await session.page.goto(`${session.codeServer.url}/?folder=${encodeURIComponent(folder)}`);
  });
  after(async () => {
    await session?.close();
  });

  void it('is asked for trust, and refusing it gives Restricted Mode', async () => {
    const { page } = session;
    const refuse = page.locator('.monaco-dialog-box .monaco-button', {
      hasText: /No, I don.t trust/,
    });
    await refuse.waitFor({ timeout: 60_000 });
    await session.shot('untrusted-prompt');
    await refuse.click();
    await page
      .locator('.statusbar-item', { hasText: 'Restricted Mode' })
      .waitFor({ timeout: 30_000 });
  });

  void it('activates and indexes all the same', async () => {
    const item = statusItem(session.page, /Kernel Lens: Linux 6\.1\.\d+ indexed \(3\d\d files\)/);
    await item.waitFor({ timeout: 60_000 });
  });

  void it('serves the outline of net/socket.c', async () => {
    const { page } = session;
    await openQuickInput(page, 'socket.c');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'socket.c' })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page
      .locator('.tabs-container .tab', { hasText: 'socket.c' })
      .waitFor({ timeout: 30_000 });
    await openQuickInput(page, '@SYSCALL_DEFINE3(connect');
    const label = 'SYSCALL_DEFINE3(connect)';
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: label })
      .first()
      .waitFor({ timeout: 30_000 });
    assert.ok((await quickInputLabels(page)).includes(label));
    await session.shot('untrusted-restricted-mode');
    await page.keyboard.press('Escape');
  });
});
