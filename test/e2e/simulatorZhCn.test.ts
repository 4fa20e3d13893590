/**
 * The handshake simulator with VS Code's display language set to zh-cn (a stand-in language
 * pack, see the harness): the page's controls, the scenario's title and the step's
 * explanation come in Chinese, and the highlight beside still works.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildRun } from '../../extension/simulatorHost/runView';
import { parseKernelVersion } from '../../webview/simulator/engine/index';
import { openSession, runCommand, statusItem, type Session } from './harness';

void describe('handshake simulator in VS Code (zh-cn, embedded 6.1)', { timeout: 300_000 }, () => {
  let session: Session;
  before(async () => {
    session = await openSession('simulator-zh-cn', { locale: 'zh-cn' });
    const workspace = join(session.extensionDir, 'kernel-snippets', 'linux-6.1.code-workspace');
    await session.page.goto(
      `${session.codeServer.url}/?workspace=${encodeURIComponent(workspace)}`,
    );
    await statusItem(session.page, /Kernel Lens/)
      .first()
      .waitFor({ timeout: 120_000 });
  });
  after(async () => {
    await session?.close();
  });

  void it('shows the controls, the scenario and the explanation in Chinese', async () => {
    const { page } = session;
    // The same run in Chinese, without a tree: its texts are what the page must show.
    const zh = await buildRun({ scenario: 'normal', params: {}, seed: 1, drops: [] }, 1, {
      version: parseKernelVersion('6.1.176'),
      tree: { source: 'none' },
      displayLanguage: 'zh-cn',
    });
    await runCommand(page, '打开握手模拟器');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await frame.locator('#status', { hasText: zh.title }).waitFor({ timeout: 90_000 });
    assert.match(zh.title, /三次握手/);
    assert.equal(await frame.locator('#explanation-text').innerText(), zh.steps[0]!.text);
    assert.match(await frame.locator('#step').innerText(), /单步/);
    assert.equal(await frame.locator('html').getAttribute('lang'), 'zh-cn');
    await frame.locator('body').press('ArrowRight');
    await frame
      .locator('#explanation-text', { hasText: zh.steps[1]!.text })
      .waitFor({ timeout: 10_000 });
    // The highlight beside carries the Chinese step label's decoration as well.
    await page.locator('.view-overlays .cdr[class*="ced-"]').first().waitFor({ timeout: 30_000 });
    await session.shot('simulator-zh-cn');
  });
});
