/**
 * The simulator's controls outside its page, in a real VS Code (code-server 4.100.3, English),
 * on a whole Linux 6.12 tree opened as the workspace: the run follows 6.12's rules and its
 * lines are that tree's; the global keybindings step while the editor keeps the focus; the
 * "Kernel Stack (Simulator)" view lists the step's frames and opens one on click; the parameter
 * form reruns a scenario with the values typed into it. Needs the whole trees
 * (`node dist/cli.js fetch --trees`, which test/run.sh does). Screenshots in test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import type { RunView } from '../../extension/protocol/simulatorWebview';
import { buildRun, type RunContext } from '../../extension/simulatorHost/runView';
import { openSession, statusItem, type Session } from './harness';
import { activeTab, cursorItem } from './navigationSteps';
import {
  activeFileTab,
  highlightOn,
  innermost,
  marks,
  openSimulatorOnNormal,
  simFrame,
  treeRunContext,
} from './simulatorSteps';

void describe('simulator controls in VS Code (en, whole 6.12 tree)', { timeout: 600_000 }, () => {
  const tree = kernelTreePath('6.12');
  let session: Session;
  let frame: FrameLocator;
  let index: KernelIndex;
  let context: RunContext;
  let normal: RunView;

  /** Where the page is: its 1-based step number. */
  const shownStep = async (): Promise<number> => Number(await frame.locator('#jump').inputValue());

  /** Is the keyboard focus in a text editor of the workbench (not in the simulator's page)? */
  const editorHasFocus = async (): Promise<boolean> =>
    (await session.page.evaluate(
      `!!(document.activeElement && document.activeElement.closest('.monaco-editor'))`,
    )) as boolean;

  before(async () => {
    session = await openSession('simulator-controls', {
      env: { KERNEL_LENS_CACHE: indexCacheDir() },
    });
    const { page } = session;
    await page.goto(`${session.codeServer.url}/?folder=${encodeURIComponent(tree)}`);
    // A cold scan of a whole tree takes about 95 s here, a cached one about 10 s.
    await statusItem(page, /Kernel Lens: Linux 6\.12\.\d+ indexed/).waitFor({ timeout: 240_000 });
    // The expected runs: the same engine and data, each anchor resolved in the same 6.12 tree.
    index = await KernelIndex.open(tree, { cacheDir: indexCacheDir(), log: () => undefined });
    context = treeRunContext(index, 'workspace');
    normal = await buildRun({ scenario: 'normal', params: {}, seed: 1, drops: [] }, 1, context);
    assert.deepEqual(normal.unresolved, []);
    frame = simFrame(page);
  });
  after(async () => {
    index?.dispose();
    await session?.close();
  });

  void it('runs with 6.12’s rules and highlights the first step’s line in the 6.12 tree', async () => {
    const { page } = session;
    const status = await openSimulatorOnNormal(page);
    assert.match(await status.innerText(), /rules of Linux 6\.12\.\d+/);
    assert.match(await status.innerText(), /lines in Linux 6\.12\.\d+ \(workspace\)/);
    const first = innermost(normal, 0);
    await activeFileTab(page, first.file!).waitFor({ timeout: 30_000 });
    await highlightOn(page, 0, first.line!);
    await session.shot('simulator-6.12-step1');
  });

  void it('steps with Ctrl+Alt+] and Ctrl+Alt+[ while the editor keeps the focus', async () => {
    const { page } = session;
    await page.keyboard.press('Control+1'); // the first editor group: socket.c or a step's file
    await page.waitForFunction(
      `!!(document.activeElement && document.activeElement.closest('.monaco-editor'))`,
    );
    const seen = (await marks(page)).length;
    await page.keyboard.press('Control+Alt+BracketRight');
    await highlightOn(page, seen, innermost(normal, 1).line!);
    assert.equal(await shownStep(), 2);
    assert.ok(await editorHasFocus(), 'the editor kept the focus');
    await page.keyboard.press('Control+Alt+BracketRight');
    await highlightOn(page, seen + 1, innermost(normal, 2).line!);
    assert.equal(await shownStep(), 3);
    const back = (await marks(page)).length;
    await page.keyboard.press('Control+Alt+BracketLeft');
    await highlightOn(page, back, innermost(normal, 1).line!);
    assert.equal(await shownStep(), 2);
    assert.ok(await editorHasFocus(), 'the editor kept the focus');
  });

  void it('plays and pauses with Ctrl+Alt+\\', async () => {
    const { page } = session;
    const from = await shownStep();
    await page.keyboard.press('Control+Alt+Backslash');
    const deadline = Date.now() + 30_000;
    while ((await shownStep()) < from + 2) {
      assert.ok(Date.now() < deadline, 'play moved on');
      await page.waitForTimeout(100);
    }
    await page.keyboard.press('Control+Alt+Backslash');
    const paused = await shownStep();
    await page.waitForTimeout(1500);
    // One step may already be on its way when the pause arrives. (The steps play took were
    // the page's own: they leave the focus wherever it is.)
    assert.ok((await shownStep()) <= paused + 1, 'paused');
  });

  void it('lists the step’s frames in Kernel Stack (Simulator) and opens one on click', async () => {
    const { page } = session;
    // The client's connect(): its stack runs from the syscall down into TCP.
    const at = normal.steps.findIndex(
      (s) => s.host === 'client' && s.syscall?.call === 'connect' && s.frames.length >= 3,
    );
    assert.ok(at > 0, 'the normal run has a connect step with a stack');
    await frame.locator('#jump').fill(String(at + 1));
    await frame.locator('#jump').press('Enter');
    await highlightOn(page, 0, innermost(normal, at).line!);
    const pane = page.locator('.pane', {
      has: page.locator('.pane-header', { hasText: /Kernel Stack \(Simulator\)/i }),
    });
    const header = pane.locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const frames = normal.steps[at]!.frames;
    const rows = pane.locator('.monaco-list-row');
    await rows.first().waitFor({ timeout: 30_000 });
    assert.equal(await rows.count(), frames.length);
    // Innermost frame first, as a debugger lists them; each row names its function and its
    // file:line, relative to the tree.
    const listed = [...frames].reverse();
    for (let i = 0; i < listed.length; i++) {
      const text = await rows.nth(i).innerText();
      assert.ok(text.includes(listed[i]!.function), `row ${i}: ${text}`);
      if (listed[i]!.file) assert.ok(text.includes(`${listed[i]!.file}:${listed[i]!.line}`), text);
      assert.doesNotMatch(text, /file:\/\//, 'paths are relative to the tree');
    }
    // The outermost frame with a line: the syscall's entry, in another file than the highlight.
    const outer = listed.length - 1 - frames.findIndex((f) => f.file && f.line);
    const target = listed[outer]!;
    await rows.nth(outer).click();
    await activeTab(page, basename(target.file!)).waitFor({ timeout: 30_000 });
    await cursorItem(page, target.line!).waitFor({ timeout: 30_000 });
    await session.shot('simulator-6.12-kernel-stack');
  });

  void it('reruns accept-overflow from the parameter form (backlog 2, 5 clients)', async () => {
    await frame.locator('#scenario').selectOption('accept-overflow');
    const params = { backlog: 2, clients: 5 };
    const defaults = await buildRun(
      { scenario: 'accept-overflow', params: {}, seed: 1, drops: [] },
      2,
      context,
    );
    await frame.locator('#status', { hasText: defaults.title }).waitFor({ timeout: 60_000 });
    await frame.locator('#params > summary').click();
    await frame.locator('#param-backlog').fill(String(params.backlog));
    await frame.locator('#param-clients').fill(String(params.clients));
    await frame.locator('#run').click();
    const expected = await buildRun(
      { scenario: 'accept-overflow', params, seed: 1, drops: [] },
      3,
      context,
    );
    assert.ok(expected.hosts.includes('client5'));
    await frame
      .locator('#count', { hasText: ` / ${expected.steps.length}` })
      .waitFor({ timeout: 60_000 });
    await frame.locator('body').press('End');
    const last = expected.steps.length - 1;
    const deadline = Date.now() + 30_000;
    while ((await shownStep()) !== last + 1) {
      assert.ok(Date.now() < deadline, 'End reached the last step');
      await session.page.waitForTimeout(100);
    }
    // The listener's accept queue at the end, against the backlog typed into the form.
    const listener = expected.snapshots[last]!.sockets.find((k) => k.backlog !== undefined);
    assert.ok(listener?.acceptQueue, 'the run ends with a listener');
    assert.equal(listener.backlog, params.backlog);
    const label = frame.locator('.queue.accept .queue-label').first();
    assert.match(
      await label.innerText(),
      new RegExp(`: ${listener.acceptQueue.length} / backlog ${params.backlog}$`),
    );
    assert.equal(
      await frame.locator('.queue.accept').first().locator('.cell.used').count(),
      listener.acceptQueue.length,
    );
    // The lanes: one per host, client5 included.
    for (const host of expected.hosts)
      await frame.locator(`ol.calls[data-host="${host}"]`).waitFor({ timeout: 10_000 });
    await session.shot('simulator-6.12-accept-overflow-backlog-2');
  });
});
