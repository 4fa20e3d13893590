/**
 * The hover's annotation in Chinese: VS Code's display language zh-cn (the stand-in language
 * pack of makeProfile) reaches the language server as initializationOptions.locale, and the
 * hover on inet_stream_connect shows the zh-CN note and Chinese dispatch text. Checked
 * through the DOM (screenshots need a CJK font to show the characters).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSession, statusItem, type Session } from './harness';
import { goTo, hoverAtCursor, openFile, positionIn } from './navigationSteps';

void describe(
  'hover annotation in VS Code (zh-cn, embedded 6.1 sources)',
  { timeout: 240_000 },
  () => {
    let session: Session;
    let root: string;
    before(async () => {
      session = await openSession('navigation-zh-cn', { locale: 'zh-cn' });
      root = join(session.extensionDir, 'kernel-snippets', 'linux-6.1');
      const workspace = join(session.extensionDir, 'kernel-snippets', 'linux-6.1.code-workspace');
      await session.page.goto(
        `${session.codeServer.url}/?workspace=${encodeURIComponent(workspace)}`,
      );
      await statusItem(session.page, /Kernel Lens：Linux 6\.1\.\d+ 已索引/).waitFor({
        timeout: 90_000,
      });
    });
    after(async () => {
      await session?.close();
    });

    void it('a hover on inet_stream_connect shows the Chinese annotation', async () => {
      const { page } = session;
      await openFile(page, 'net/ipv4/af_inet.c');
      const at = positionIn(
        root,
        'net/ipv4/af_inet.c',
        'int inet_stream_connect(struct socket *sock',
        'inet_stream_connect',
      );
      await goTo(page, at.line, at.column);
      const hover = await hoverAtCursor(page, 'Kernel Lens 注解');
      const text = await hover.innerText();
      assert.match(
        text,
        /inet_stream_ops\.connect，connect\(2\) 经\s*sock->ops->connect\s*到达这里/,
      );
      assert.match(text, /经\s*inet_stream_ops\.connect\s*被 __sys_connect_file/);
      assert.doesNotMatch(text, /Kernel Lens note/);
      await session.shot('zh-cn-hover-inet_stream_connect');
    });
  },
);
