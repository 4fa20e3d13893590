/**
 * Kernel Lens in a real VS Code whose display language is zh-cn (a stand-in language pack,
 * see makeProfile): the contributed command titles and the extension's own strings come
 * from package.nls.zh-cn.json and l10n/bundle.l10n.zh-cn.json.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openQuickInput, openSession, quickInputLabels, statusItem, type Session } from './harness';

void describe('Kernel Lens in VS Code (zh-cn)', { timeout: 240_000 }, () => {
  let session: Session;
  before(async () => {
    session = await openSession('zh-cn', { locale: 'zh-cn' });
    const workspace = join(session.extensionDir, 'kernel-snippets', 'linux-6.1.code-workspace');
    await session.page.goto(
      `${session.codeServer.url}/?workspace=${encodeURIComponent(workspace)}`,
    );
  });
  after(async () => {
    await session?.close();
  });

  void it('shows the index state in Chinese', async () => {
    const item = statusItem(session.page, /Kernel Lens：Linux 6\.1\.\d+ 已索引（\d+ 个文件）/);
    await item.waitFor({ timeout: 60_000 });
    assert.match(await item.innerText(), /已索引（3\d\d 个文件）/);
  });

  void it('shows the command title in Chinese', async () => {
    const { page } = session;
    await openQuickInput(page, '>打开内置');
    const title = 'Kernel Lens: 打开内置的 Linux 6.1 源码';
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: title })
      .first()
      .waitFor({ timeout: 30_000 });
    assert.ok((await quickInputLabels(page)).includes(title));
    await session.shot('zh-cn-command-palette');
    await page.keyboard.press('Escape');
  });
});
