/**
 * Kernel Lens in a real VS Code (code-server 4.100.3), in English: activation, the status
 * bar's index state, "Open Embedded Linux 6.1 Sources" (net/socket.c, read-only) and the
 * outline of net/socket.c through Go to Symbol in Editor. One session, steps in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  openQuickInput,
  openSession,
  quickInputLabels,
  runCommand,
  statusItem,
  type Session,
} from './harness';

void describe('Kernel Lens in VS Code (en)', { timeout: 240_000 }, () => {
  let session: Session;
  before(async () => {
    session = await openSession('en');
  });
  after(async () => {
    await session?.close();
  });

  void it('opens the embedded sources from an empty window, net/socket.c in front', async () => {
    const { page } = session;
    await runCommand(page, 'Kernel Lens: Open Embedded Linux 6.1 Sources');
    // The window reloads into the embedded workspace; the extension activates there and
    // opens net/socket.c.
    await page.waitForURL(/workspace=/, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const tab = page.locator('.tabs-container .tab', { hasText: 'socket.c' });
    await tab.waitFor({ timeout: 60_000 });
    assert.equal(await tab.count(), 1);
  });

  void it('shows the index state in the status bar', async () => {
    const { page } = session;
    // "indexing" first, then the result: the item's text is the extension's own signal.
    const item = statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed \(\d+ files\)/);
    await item.waitFor({ timeout: 60_000 });
    assert.match(await item.innerText(), /indexed \(3\d\d files\)/);
    await session.shot('en-embedded-socket-c');
  });

  void it('keeps net/socket.c read-only', async () => {
    const { page } = session;
    const firstLine = page.locator('.editor-instance .view-line').first();
    const before = await firstLine.innerText();
    await firstLine.click();
    await page.keyboard.type('EDITED_BY_TEST');
    await page
      .locator('.monaco-editor-overlaymessage', { hasText: 'read-only' })
      .waitFor({ timeout: 10_000 });
    await session.shot('en-read-only');
    assert.equal(await firstLine.innerText(), before);
    assert.equal(await page.locator('.view-line', { hasText: 'EDITED_BY_TEST' }).count(), 0);
    await page.keyboard.press('Escape');
  });

  void it('lists SYSCALL_DEFINE3(connect) and __sys_connect_file in Go to Symbol in Editor', async () => {
    const { page } = session;
    for (const [query, label] of [
      ['@SYSCALL_DEFINE3(connect', 'SYSCALL_DEFINE3(connect)'],
      ['@__sys_connect_file', '__sys_connect_file'],
    ] as const) {
      await openQuickInput(page, query);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
      await row.waitFor({ timeout: 30_000 });
      const labels = await quickInputLabels(page);
      assert.ok(labels.includes(label), `${label} is listed in ${JSON.stringify(labels)}`);
      await session.shot(`en-symbol-${label.replace(/\W+/g, '-')}`);
      await page.keyboard.press('Escape');
    }
  });

  void it('shows the outline of net/socket.c with its ops tables', async () => {
    const { page } = session;
    await page.locator('.pane-header', { hasText: 'Outline' }).click();
    const row = page
      .locator('.outline-pane .monaco-list-row', { hasText: 'socket_file_ops' })
      .first();
    await row.waitFor({ timeout: 30_000 });
    await session.shot('en-outline');
  });

  void it('answers Show Index Status from the server', async () => {
    const { page } = session;
    await runCommand(page, 'Kernel Lens: Show Index Status');
    const toast = page.locator('.notification-toast', {
      hasText: /Kernel Lens: ready\. Linux 6\.1\.\d+ at /,
    });
    await toast.waitFor({ timeout: 30_000 });
    // The close button shows on hover only.
    await toast.hover();
    await toast.locator('.codicon-notifications-clear').click();
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
  });

  void it('keeps its commands while the server is down, says so, and restarts it', async () => {
    const { page } = session;
    await runCommand(page, 'Kernel Lens: Stop Language Server');
    await statusItem(page, 'Kernel Lens: server stopped').waitFor({ timeout: 30_000 });
    await runCommand(page, 'Kernel Lens: Show Index Status');
    const toast = page.locator('.notification-toast', {
      hasText: 'the language server is not running',
    });
    await toast.waitFor({ timeout: 30_000 });
    await session.shot('en-server-down');
    await toast.locator('.monaco-button', { hasText: 'Restart Server' }).click();
    await statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({ timeout: 60_000 });
  });
});
