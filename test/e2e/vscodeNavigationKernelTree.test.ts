/**
 * Go to Definition through an ops table on a whole Linux 6.12 tree opened as the workspace:
 * in net/socket.c, `connect` in `READ_ONCE(sock->ops)->connect(...)` inside
 * __sys_connect_file lands in net/ipv4/af_inet.c on inet_stream_connect. The index cache is
 * the machine's (KERNEL_LENS_CACHE), so the tree is scanned once per machine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import { openSession, statusItem, type Session } from './harness';
import { activeTab, cursorItem, goTo, openFile, positionIn } from './navigationSteps';

void describe(
  'ops-aware Go to Definition on a whole Linux 6.12 tree (en)',
  { timeout: 480_000 },
  () => {
    let session: Session;
    const tree = kernelTreePath('6.12');
    before(async () => {
      session = await openSession('navigation-kernel-tree', {
        env: { KERNEL_LENS_CACHE: indexCacheDir() },
      });
      await session.page.goto(`${session.codeServer.url}/?folder=${encodeURIComponent(tree)}`);
      // A cold scan of a whole tree takes minutes, a cached one about 10 s.
      await statusItem(session.page, /Kernel Lens: Linux 6\.12\.\d+ indexed/).waitFor({
        timeout: 300_000,
      });
    });
    after(async () => {
      await session?.close();
    });

    void it('F12 on connect in READ_ONCE(sock->ops)->connect(...) lands on inet_stream_connect in net/ipv4/af_inet.c', async () => {
      const { page } = session;
      await openFile(page, 'net/socket.c');
      const at = positionIn(
        tree,
        'net/socket.c',
        'READ_ONCE(sock->ops)->connect(sock, (struct sockaddr *)address',
        'connect(',
      );
      await goTo(page, at.line, at.column);
      await page.keyboard.press('F12');
      await activeTab(page, 'af_inet.c').waitFor({ timeout: 60_000 });
      const target = positionIn(
        tree,
        'net/ipv4/af_inet.c',
        'int inet_stream_connect(',
        'inet_stream_connect',
      );
      await cursorItem(page, target.line, target.column).waitFor({ timeout: 10_000 });
      await session.shot('kernel-tree-6.12-definition-inet_stream_connect');
      // The breadcrumbs name the tree's net/ipv4/af_inet.c, not another af_inet.c, then the
      // function (once the document's symbols have come from the server).
      const breadcrumbs = page.locator('.breadcrumbs-control', { hasText: 'inet_stream_connect' });
      await breadcrumbs.first().waitFor({ timeout: 30_000 });
      const crumbs = await breadcrumbs.first().innerText();
      assert.match(crumbs, /net\s*\S?\s*ipv4\s*\S?\s*af_inet\.c/);
      assert.match(crumbs, /inet_stream_connect/);
    });
  },
);
