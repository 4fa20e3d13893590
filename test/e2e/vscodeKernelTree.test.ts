/**
 * Kernel-tree detection in a real VS Code: a whole Linux 6.12 tree opened as the workspace is
 * the tree Kernel Lens indexes, and the setting kernelLens.kernelRoot overrides it (the
 * server restarts on the change). Needs the whole trees (`node dist/cli.js fetch --trees`,
 * which test/run.sh does). The index cache is the machine's (KERNEL_LENS_CACHE), so a whole
 * tree is scanned once per machine, not once per run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { embeddedRoot, indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import { openSession, runCommand, statusItem, type Session } from './harness';

void describe('Kernel Lens on a whole kernel tree (en)', { timeout: 420_000 }, () => {
  let session: Session;
  const tree = kernelTreePath('6.12');
  before(async () => {
    session = await openSession('kernel-tree', { env: { KERNEL_LENS_CACHE: indexCacheDir() } });
    await session.page.goto(`${session.codeServer.url}/?folder=${encodeURIComponent(tree)}`);
  });
  after(async () => {
    await session?.close();
  });

  void it('detects the workspace as a kernel tree and indexes it', async () => {
    const { page } = session;
    // A cold scan of a whole tree takes about 95 s here, a cached one about 10 s.
    const item = statusItem(page, /Kernel Lens: Linux 6\.12\.\d+ indexed \(\d+ files\)/);
    await item.waitFor({ timeout: 240_000 });
    const files = Number(/\((\d+) files\)/.exec(await item.innerText())?.[1]);
    assert.ok(files > 20_000, `${files} files indexed`);
    await item.hover();
    await page.locator('.monaco-hover', { hasText: tree }).first().waitFor({ timeout: 10_000 });
    await session.shot('kernel-tree-6.12-workspace');
  });

  void it('follows kernelLens.kernelRoot when it is set', async () => {
    const { page } = session;
    // As a person would: the Settings editor, search, type the path.
    await runCommand(page, 'Preferences: Open User Settings');
    const search = page.locator(
      '.settings-editor .suggest-input-container .monaco-editor textarea',
    );
    await search.waitFor({ timeout: 30_000 });
    await search.focus();
    await page.keyboard.type('kernelLens.kernelRoot');
    const input = page.locator('.settings-editor input[aria-label="kernelLens.kernelRoot"]');
    await input.waitFor({ timeout: 30_000 });
    await input.fill(embeddedRoot());
    await input.press('Tab');
    const item = statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed \(3\d\d files\)/);
    await item.waitFor({ timeout: 120_000 });
    await item.hover();
    await page
      .locator('.monaco-hover', { hasText: '(setting)' })
      .first()
      .waitFor({ timeout: 10_000 });
    await session.shot('kernel-tree-setting-override');
  });
});
