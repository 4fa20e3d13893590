/**
 * The call-graph view in a real VS Code (code-server 4.100.3, English) on the embedded Linux
 * 6.1 sources: "Kernel Lens: Show Call Graph" for connect(), the indirect edge to
 * tcp_v4_connect labelled with its provenance, clicking a function opens its definition
 * beside the graph, clicking the edge opens the initializer, keyboard, search, the
 * every-candidate toggle, the side-bar call tree, Mermaid export, and the view coming back
 * after a window reload. One session, steps in order; screenshots in test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { embeddedRoot, packageRoot } from '../../extension/kernelSources/paths';
import { OUTPUT, openSession, runCommand, statusItem, type Session } from './harness';

const TCP_V4_CONNECT = 'net/ipv4/tcp_ipv4.c#tcp_v4_connect';

/** The browser globals the page-side callbacks use (test/ is type-checked without the DOM). */
interface PageGlobals {
  getComputedStyle(element: unknown): { getPropertyValue(name: string): string };
  document: {
    querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
    querySelector(selector: string): { value?: string } | null;
  };
}

/** 1-based line of the first line of a file of the embedded tree matching `pattern`. */
function lineOf(file: string, pattern: RegExp): number {
  const lines = readFileSync(join(embeddedRoot(), file), 'utf8').split('\n');
  const i = lines.findIndex((l) => pattern.test(l));
  assert.ok(i >= 0, `${pattern} in ${file}`);
  return i + 1;
}

/**
 * The harness repackages the .vsix when the client, server or manifest changed; the webview
 * bundle is not among its inputs, so a stale package is removed here when the bundle is newer.
 */
function dropStaleVsix(): void {
  const vsix = join(OUTPUT, 'kernel-lens.vsix');
  if (!existsSync(vsix)) return;
  const bundles = ['callGraph.js', 'callGraph.css'].map((f) =>
    statSync(join(packageRoot(), 'dist', 'webview', f)),
  );
  if (bundles.some((b) => b.mtimeMs > statSync(vsix).mtimeMs)) rmSync(vsix, { force: true });
}

/** The call-graph page inside the webview's two iframes. */
function graphFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** The editor group whose active tab is `fileName`, and the line number at its cursor. */
async function cursorLineIn(page: Page, fileName: string): Promise<number> {
  const group = page.locator('.editor-group-container', {
    has: page.locator('.tab.active', { hasText: fileName }),
  });
  await group.first().waitFor({ timeout: 30_000 });
  const active = group.first().locator('.margin-view-overlays .active-line-number');
  await active.first().waitFor({ timeout: 30_000 });
  return Number((await active.first().innerText()).trim());
}

/** Waits until some editor's cursor is on `line` (opening a file is asynchronous). */
async function cursorReaches(page: Page, line: number): Promise<void> {
  await page.waitForFunction(
    (want) =>
      [
        ...(globalThis as unknown as PageGlobals).document.querySelectorAll(
          '.editor-group-container .active-line-number',
        ),
      ].some((e) => e.textContent?.trim() === String(want)),
    line,
    { timeout: 30_000 },
  );
}

void describe('Kernel Lens call graph in VS Code (en)', { timeout: 300_000 }, () => {
  let session: Session;
  let frame: FrameLocator;
  before(async () => {
    dropStaleVsix();
    session = await openSession('call-graph');
    const { page } = session;
    await runCommand(page, 'Kernel Lens: Open Embedded Linux 6.1 Sources');
    await page.waitForURL(/workspace=/, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({ timeout: 90_000 });
    frame = graphFrame(page);
  });
  after(async () => {
    await session?.close();
  });

  void it('shows the graph of connect() from the command, the path of interest drawn', async () => {
    const { page } = session;
    await runCommand(page, 'Kernel Lens: Show Call Graph');
    const row = page.locator('.quick-input-list .monaco-list-row', {
      hasText: 'connect(): start the handshake',
    });
    await row.first().waitFor({ timeout: 30_000 });
    await row.first().click();
    const node = frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"]`);
    await node.waitFor({ timeout: 60_000 });
    for (const name of ['SYSCALL_DEFINE3(connect)', '__sys_connect_file', 'inet_stream_connect']) {
      await frame.locator('g.node', { hasText: name }).first().waitFor({ timeout: 10_000 });
    }
    assert.match(await frame.locator('.status').innerText(), /\d+ of \d+ functions shown/);
    assert.equal(
      await frame.locator('g.node.entry .name').textContent(),
      'SYSCALL_DEFINE3(connect)',
    );
    await session.shot('call-graph-connect');
  });

  void it('labels the indirect edge to tcp_v4_connect via tcp_prot.connect, dashed', async () => {
    const edge = frame.locator(`g.edge.indirect[data-to="${TCP_V4_CONNECT}"]`);
    assert.equal(await edge.count(), 1);
    assert.equal(await edge.locator('.edge-label text').textContent(), 'via tcp_prot.connect');
    const dash = await edge
      .locator('path.line')
      .evaluate((p) =>
        (globalThis as unknown as PageGlobals)
          .getComputedStyle(p)
          .getPropertyValue('stroke-dasharray'),
      );
    assert.notEqual(dash, 'none');
    // A direct call is drawn solid.
    const direct = frame.locator('g.edge:not(.indirect) path.line').first();
    assert.equal(
      await direct.evaluate((p) =>
        (globalThis as unknown as PageGlobals)
          .getComputedStyle(p)
          .getPropertyValue('stroke-dasharray'),
      ),
      'none',
    );
    const upper = frame.locator(
      'g.edge.indirect[data-to$="#inet_stream_connect"] .edge-label text',
    );
    assert.equal(await upper.textContent(), 'via inet_stream_ops.connect');
  });

  void it('opens net/ipv4/tcp_ipv4.c at tcp_v4_connect when the node is clicked', async () => {
    const { page } = session;
    await frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"]`).click();
    await cursorReaches(page, lineOf('net/ipv4/tcp_ipv4.c', /^int tcp_v4_connect\(/));
    const line = await cursorLineIn(page, 'tcp_ipv4.c');
    assert.equal(line, lineOf('net/ipv4/tcp_ipv4.c', /^int tcp_v4_connect\(/));
    await page
      .locator('.editor-group-container .view-line', {
        hasText: 'int tcp_v4_connect(struct sock *sk',
      })
      .first()
      .waitFor({ timeout: 10_000 });
    // Beside the graph: the panel keeps its own group.
    assert.equal(await page.locator('.editor-group-container').count(), 2);
    await session.shot('call-graph-open-definition');
  });

  void it('opens the initializer line when the indirect edge is clicked', async () => {
    const { page } = session;
    await frame.locator(`g.edge.indirect[data-to="${TCP_V4_CONNECT}"] .edge-label`).click();
    await cursorReaches(page, lineOf('net/ipv4/tcp_ipv4.c', /\.connect\s*=\s*tcp_v4_connect/));
    assert.equal(
      await cursorLineIn(page, 'tcp_ipv4.c'),
      lineOf('net/ipv4/tcp_ipv4.c', /\.connect\s*=\s*tcp_v4_connect/),
    );
  });

  void it('moves between nodes with the keyboard and opens with Enter', async () => {
    const { page } = session;
    const entry = frame.locator('g.node.entry');
    await entry.focus();
    await entry.press('ArrowDown');
    const focused = () =>
      frame
        .locator('body')
        .evaluate((b) => b.ownerDocument.activeElement?.getAttribute('data-node'));
    assert.equal(await focused(), 'net/socket.c#__sys_connect');
    await frame.locator('g.node[data-node="net/socket.c#__sys_connect"]').press('ArrowUp');
    assert.equal(await focused(), 'net/socket.c#SYSCALL_DEFINE3(connect)');
    await frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"]`).focus();
    await frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"]`).press('Enter');
    await cursorReaches(page, lineOf('net/ipv4/tcp_ipv4.c', /^int tcp_v4_connect\(/));
    assert.equal(
      await cursorLineIn(page, 'tcp_ipv4.c'),
      lineOf('net/ipv4/tcp_ipv4.c', /^int tcp_v4_connect\(/),
    );
  });

  void it('expands a collapsed function and finds one by search', async () => {
    const tcpConnect = frame.locator('g.node[data-node="net/ipv4/tcp_output.c#tcp_connect"]');
    assert.equal(await tcpConnect.count(), 0);
    // tcp_v4_connect ends the path, so its callees start hidden: its toggle says +N.
    const toggle = frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"] g.toggle`);
    assert.match((await toggle.textContent()) ?? '', /\+\d+$/);
    await toggle.click();
    await tcpConnect.waitFor({ timeout: 30_000 });
    await frame.locator(`g.node[data-node="${TCP_V4_CONNECT}"] g.toggle.open`).click();
    await tcpConnect.waitFor({ state: 'detached', timeout: 30_000 });
    const search = frame.locator('#search');
    await search.fill('tcp_connect');
    await search.press('Enter');
    await tcpConnect.waitFor({ timeout: 30_000 });
    assert.match((await tcpConnect.getAttribute('class')) ?? '', /\bselected\b/);
    assert.match((await tcpConnect.getAttribute('class')) ?? '', /\bmatch\b/);
    await session.shot('call-graph-search');
  });

  void it('shows every candidate of sock->ops->connect with the toggle', async () => {
    const dgram = frame.locator('g.node', { hasText: 'inet_dgram_connect' });
    assert.equal(await dgram.count(), 0);
    await frame.locator('#all-candidates').check();
    await dgram.first().waitFor({ timeout: 60_000 });
    await frame.locator('#all-candidates').uncheck();
    await dgram.first().waitFor({ state: 'detached', timeout: 60_000 });
  });

  void it('lists the same calls in the side-bar call tree', async () => {
    const { page } = session;
    const header = page.locator('.pane-header', { hasText: 'Call Tree' });
    await header.waitFor({ timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const rows = page.locator('.pane-body .monaco-list-row');
    await rows.filter({ hasText: 'SYSCALL_DEFINE3(connect)' }).first().waitFor({ timeout: 30_000 });
    await rows.filter({ hasText: '__sys_connect' }).first().waitFor({ timeout: 30_000 });
    await session.shot('call-graph-tree');
  });

  void it('exports the drawn graph as Mermaid text', async () => {
    const { page } = session;
    await frame.locator('#export-mermaid').click();
    const line = page.locator('.editor-group-container .view-line', { hasText: 'flowchart TD' });
    await line.first().waitFor({ timeout: 30_000 });
    // The edges are further down than the editor shows: find the indirect one.
    await line.first().click();
    await page.keyboard.press('Control+F');
    await page
      .locator('.find-widget textarea, .find-widget input')
      .first()
      .fill('via tcp_prot.connect');
    await page.keyboard.press('Enter');
    await page
      .locator('.editor-group-container .view-line', {
        // Monaco renders spaces as no-break spaces.
        hasText: /-\.->\|"via[\s\u00a0]tcp_prot\.connect"\|/,
      })
      .first()
      .waitFor({ timeout: 10_000 });
    await session.shot('call-graph-mermaid');
    await page.keyboard.press('Escape');
  });

  void it('exports the drawn graph as a standalone SVG file', async () => {
    const { page } = session;
    const target = join(session.profile.home, 'call-graph-connect.svg');
    rmSync(target, { force: true });
    await frame.locator('#export-svg').click();
    // code-server's save dialog is VS Code's simple file dialog: a quick input holding the
    // proposed path (the home folder here: the embedded sources belong to the extension).
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (want) =>
        (globalThis as unknown as PageGlobals).document.querySelector('.quick-input-widget input')
          ?.value === want,
      target,
      { timeout: 30_000 },
    );
    await page.keyboard.press('Enter');
    const toast = page.locator('.notification-toast', { hasText: 'Call graph saved to' });
    await toast.waitFor({ timeout: 30_000 });
    assert.ok((await toast.innerText()).includes(target), await toast.innerText());
    const svg = readFileSync(target, 'utf8');
    assert.match(svg, /^<\?xml/);
    assert.ok(svg.includes('>via tcp_prot.connect</text>'));
    assert.ok(svg.includes('>tcp_v4_connect</text>'));
    // Colours are resolved: the file renders outside VS Code.
    assert.ok(!svg.includes('var(--vscode'));
    assert.match(svg, /stroke-dasharray="6(px)?,? 4(px)?"/);
  });

  void it('comes back with the same view after the window reloads', async () => {
    const { page } = session;
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({ timeout: 90_000 });
    const restored = graphFrame(page);
    // The search's reveal of tcp_connect was part of the saved view.
    await restored
      .locator('g.node[data-node="net/ipv4/tcp_output.c#tcp_connect"]')
      .waitFor({ timeout: 60_000 });
    assert.equal(await restored.locator('#search').inputValue(), 'tcp_connect');
    // ... selected, and scrolled into the panel's view.
    const node = restored.locator('g.node.selected[data-node="net/ipv4/tcp_output.c#tcp_connect"]');
    const box = await node.boundingBox();
    const area = await restored.locator('.graph-area').boundingBox();
    assert.ok(box && area);
    assert.ok(
      box.x >= area.x && box.x + box.width <= area.x + area.width + 1 && box.y >= area.y,
      JSON.stringify({ box, area }),
    );
    await session.shot('call-graph-restored');
  });

  void it('zooms: + enlarges the drawing, Fit brings it back into the panel', async () => {
    const svg = frame.locator('svg.graph');
    const size = async () => Number(await svg.getAttribute('width'));
    const area = await frame.locator('.graph-area').evaluate((a) => a.clientWidth);
    await frame.locator('#collapse-all').click();
    await frame.locator('g.node').nth(1).waitFor();
    const before = await size();
    for (let i = 0; i < 4; i++) await frame.locator('#zoom-in').click();
    assert.ok(Math.abs((await size()) - before * 1.25 ** 4) < 1);
    assert.ok((await size()) > area, `${await size()} > ${area}`);
    await frame.locator('#zoom-fit').click();
    assert.ok((await size()) <= area, `${await size()} <= ${area}`);
    await session.shot('call-graph-fit');
  });

  void it('reveals a function of the side-bar tree in the graph', async () => {
    const { page } = session;
    const row = page.locator('.pane-body .monaco-list-row', { hasText: /^__sys_connect$/ }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click({ button: 'right' });
    // A click right as the menu opens can be taken for the end of the right-click: point at
    // the item first, then click it.
    const item = page.locator('.context-view .action-label', { hasText: 'Reveal in Call Graph' });
    await item.hover();
    await item.click();
    try {
      await frame
        .locator('g.node.selected[data-node="net/socket.c#__sys_connect"]')
        .waitFor({ timeout: 30_000 });
    } finally {
      await session.shot('call-graph-tree-reveal');
    }
  });

  void it('toggles real-kernel breakpoints on nodes ("b", context menu), stored, in sync with the editor', async () => {
    const { page } = session;
    const SYS_CONNECT = 'net/socket.c#__sys_connect';
    const dot = (id: string) =>
      graphFrame(page).locator(`g.node.breakpoint[data-node="${id}"] > circle.breakpoint-dot`);
    const toast = (text: string) => page.locator('.notification-toast', { hasText: text }).first();
    // "b" on the focused node.
    const node = frame.locator(`g.node[data-node="${SYS_CONNECT}"]`);
    await node.focus();
    await node.press('b');
    await dot(SYS_CONNECT).waitFor({ timeout: 10_000 });
    await toast('the next real-kernel run also stops in __sys_connect').waitFor({
      timeout: 10_000,
    });
    // The node's context menu: a syscall's definition stops in its __do_sys_ body.
    await frame.locator('g.node.entry').click({ button: 'right' });
    const item = page.locator('.context-view .action-label', {
      hasText: 'Toggle Real-Kernel Breakpoint on This Function',
    });
    await item.hover();
    await item.click();
    const entryId = await frame.locator('g.node.entry').getAttribute('data-node');
    assert.ok(entryId);
    await dot(entryId).waitFor({ timeout: 10_000 });
    await toast('the next real-kernel run also stops in __do_sys_connect').waitFor({
      timeout: 10_000,
    });
    // The dot is drawn in the editor's breakpoint colour.
    const colours = await dot(SYS_CONNECT).evaluate((c) => {
      const g = globalThis as unknown as PageGlobals;
      const probe = c.ownerDocument.createElementNS('http://www.w3.org/2000/svg', 'circle');
      // Through the CSSOM: the page's policy refuses style attributes.
      (
        probe as unknown as { style: { setProperty(n: string, v: string): void } }
      ).style.setProperty('fill', 'var(--vscode-debugIcon-breakpointForeground)');
      c.parentNode!.appendChild(probe);
      const want = g.getComputedStyle(probe).getPropertyValue('fill');
      probe.remove();
      return { fill: g.getComputedStyle(c).getPropertyValue('fill'), want };
    });
    assert.equal(colours.fill, colours.want);
    await session.shot('call-graph-breakpoints');

    // Stored per workspace: after a window reload the page gets the same list from the host.
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({ timeout: 90_000 });
    await dot(SYS_CONNECT).waitFor({ timeout: 60_000 });
    await dot(entryId).waitFor({ timeout: 10_000 });

    // Removed with "b" again; then added back from the editor, and the graph follows.
    const restored = graphFrame(page).locator(`g.node[data-node="${SYS_CONNECT}"]`);
    await restored.focus();
    await restored.press('b');
    await dot(SYS_CONNECT).waitFor({ state: 'detached', timeout: 10_000 });
    await restored.press('Enter');
    const line = lineOf('net/socket.c', /^int __sys_connect\(/);
    await cursorReaches(page, line);
    await runCommand(page, 'Kernel Lens: Toggle Real-Kernel Breakpoint on This Function');
    await dot(SYS_CONNECT).waitFor({ timeout: 30_000 });
    await session.shot('call-graph-breakpoint-from-editor');
  });

  void it('follows the colour theme: light, dark and high contrast', async () => {
    const { page } = session;
    const boxStyle = (selector: string) =>
      graphFrame(page)
        .locator(selector)
        .first()
        .evaluate((b) => {
          // The theme's plain look, read from a copy of the node drawn far off the view and
          // neither selected nor a search match: the node itself may be selected (an earlier
          // test opened it), focused (the page gives the focus back after a reload) or under
          // the mouse, and each changes its outline.
          const node = b.closest('.node');
          const copy = node?.cloneNode(true) as typeof node;
          if (!node || !copy) return '';
          copy.removeAttribute('tabindex');
          copy.classList.remove('selected', 'match');
          copy.setAttribute('transform', 'translate(-100000 -100000)');
          node.parentNode?.appendChild(copy);
          const box = copy.querySelector('.box') ?? copy;
          const style = (globalThis as unknown as PageGlobals).getComputedStyle(box);
          const text = `${style.getPropertyValue('fill')} ${style.getPropertyValue('stroke')} ${style.getPropertyValue('stroke-width')}`;
          copy.remove();
          return text;
        });
    // The entry's box: drawn in every state of the view (the zoom step collapsed the rest).
    const plainBox = 'g.node.entry .box';
    // code-server starts in Light Modern.
    await graphFrame(page).locator('body.vscode-light').waitFor();
    const light = await boxStyle(plainBox);
    // The user setting, as the Settings editor writes it; this code-server reads the file
    // when the window loads (its watcher does not pick up a change made from outside).
    const settingsFile = join(session.profile.userDataDir, 'User', 'settings.json');
    const useTheme = async (theme: string, bodyClass: string) => {
      const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
      writeFileSync(settingsFile, JSON.stringify({ ...settings, 'workbench.colorTheme': theme }));
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await graphFrame(page).locator(`body.${bodyClass}`).waitFor({ timeout: 90_000 });
      await graphFrame(page).locator('g.node.entry').waitFor({ timeout: 90_000 });
    };
    await useTheme('Default Dark Modern', 'vscode-dark');
    const dark = await boxStyle(plainBox);
    assert.notEqual(dark, light);
    await session.shot('call-graph-dark');
    await useTheme('Default High Contrast', 'vscode-high-contrast');
    const contrast = await boxStyle(plainBox);
    assert.match(contrast, / 2(px)?$/);
    assert.notEqual(contrast, dark);
    await session.shot('call-graph-high-contrast');
  });
});
