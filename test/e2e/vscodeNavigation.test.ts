/**
 * Ops-aware navigation in a real VS Code (code-server 4.100.3, English) on the embedded
 * Linux 6.1 sources: Go to Definition through `sock->ops->connect`, the call hierarchy of
 * tcp_v4_connect and the hover with the project's annotation. One session, steps in order;
 * screenshots in test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSession, runCommand, statusItem, type Session } from './harness';
import {
  activeTab,
  cursorItem,
  goTo,
  hoverAtCursor,
  openFile,
  positionIn,
} from './navigationSteps';

void describe(
  'ops-aware navigation in VS Code (en, embedded 6.1 sources)',
  { timeout: 300_000 },
  () => {
    let session: Session;
    let root: string;
    before(async () => {
      session = await openSession('navigation-en');
      root = join(session.extensionDir, 'kernel-snippets', 'linux-6.1');
      const workspace = join(session.extensionDir, 'kernel-snippets', 'linux-6.1.code-workspace');
      await session.page.goto(
        `${session.codeServer.url}/?workspace=${encodeURIComponent(workspace)}`,
      );
      await statusItem(session.page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({
        timeout: 90_000,
      });
    });
    after(async () => {
      await session?.close();
    });

    void it('Go to Definition on connect in sock->ops->connect(...) in __sys_connect_file lands on inet_stream_connect', async () => {
      const { page } = session;
      await openFile(page, 'net/socket.c');
      const at = positionIn(
        root,
        'net/socket.c',
        'sock->ops->connect(sock, (struct sockaddr *)address',
        'connect',
      );
      await goTo(page, at.line, at.column);
      await session.shot('en-definition-before');
      await page.keyboard.press('F12');
      await activeTab(page, 'af_inet.c').waitFor({ timeout: 30_000 });
      const target = positionIn(
        root,
        'net/ipv4/af_inet.c',
        'int inet_stream_connect(',
        'inet_stream_connect',
      );
      await cursorItem(page, target.line, target.column).waitFor({ timeout: 10_000 });
      const line = page.locator('.editor-instance .view-line', {
        hasText: 'int inet_stream_connect(struct socket *sock',
      });
      assert.equal(await line.count(), 1);
      await session.shot('en-definition-inet_stream_connect');
    });

    void it('the call hierarchy of tcp_v4_connect shows __inet_stream_connect calling it via tcp_prot.connect', async () => {
      const { page } = session;
      await openFile(page, 'net/ipv4/tcp_ipv4.c');
      const at = positionIn(
        root,
        'net/ipv4/tcp_ipv4.c',
        'int tcp_v4_connect(struct sock *sk',
        'tcp_v4_connect',
      );
      await goTo(page, at.line, at.column);
      await runCommand(page, 'Calls: Show Call Hierarchy');
      // The peek lists the callers (VS Code's default direction), each with the item's detail.
      const row = page
        .locator('.monaco-list-row', { hasText: '__inet_stream_connect' })
        .filter({ hasText: 'via tcp_prot.connect' });
      await row.first().waitFor({ timeout: 60_000 });
      assert.match(
        await row.first().innerText(),
        /__inet_stream_connect[\s\S]*via tcp_prot\.connect/,
      );
      await session.shot('en-call-hierarchy-tcp_v4_connect');
      await page.keyboard.press('Escape');
    });

    void it('a hover on inet_stream_connect shows the signature, where it is called from, and the annotation', async () => {
      const { page } = session;
      await openFile(page, 'net/ipv4/af_inet.c');
      const at = positionIn(
        root,
        'net/ipv4/af_inet.c',
        '.connect	   = inet_stream_connect',
        'inet_stream_connect',
      );
      await goTo(page, at.line, at.column);
      const hover = await hoverAtCursor(page, 'Kernel Lens note');
      const text = await hover.innerText();
      assert.match(text, /int inet_stream_connect\(struct socket \*sock/);
      assert.match(text, /Called via inet_stream_ops\.connect from __sys_connect_file/);
      assert.match(text, /inet_stream_ops\.connect, reached from connect\(2\)/);
      assert.match(
        text,
        /Linux 6\.1\.176, 6\.12\.117 · net\/ipv4\/af_inet\.c · inet_stream_connect/,
      );
      await session.shot('en-hover-inet_stream_connect');
      await page.keyboard.press('Escape');
    });
  },
);
