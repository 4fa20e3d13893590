/**
 * The handshake simulator in a real VS Code (code-server 4.100.3, English) on the embedded
 * Linux 6.1 sources: open it on the normal scenario, step to the server's SYN-ACK, check the
 * header view (SYN and ACK set, ack = client ISN + 1) and that the editor beside shows the
 * anchor's file with that anchor's line highlighted (the line computed here with
 * resolveAnchor on the same tree), step back to the previous step's line, and run the refused
 * scenario to its ECONNREFUSED. Measures step -> highlighted line with one editor beside and
 * with the next step's editor ("Next line below"), and VS Code's own switch between two open
 * files in the same window for reference; writes the figures to
 * test-output/e2e/simulator-latency.json. Screenshots in test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { indexCacheDir, packageRoot } from '../../extension/kernelSources/paths';
import type { RunView } from '../../extension/protocol/simulatorWebview';
import { buildRun } from '../../extension/simulatorHost/runView';
import { OUTPUT, openSession, runCommand, statusItem, type Session } from './harness';
import { goTo, openFile, positionIn } from './navigationSteps';
import {
  activeFileTab,
  highlightOn,
  innermost,
  marks,
  nextMarkOn,
  openSimulatorOnNormal,
  simFrame,
  treeRunContext,
  watchHighlight,
} from './simulatorSteps';

/**
 * The harness repackages the .vsix when the client, server or manifest changed; the webview
 * bundle is not among its inputs, so a package older than the simulator page is removed.
 */
function dropStaleVsix(): void {
  const vsix = join(OUTPUT, 'kernel-lens.vsix');
  if (!existsSync(vsix)) return;
  const bundles = ['simulator.js', 'simulator.css'].map((f) =>
    statSync(join(packageRoot(), 'dist', 'webview', f)),
  );
  if (bundles.some((b) => b.mtimeMs > statSync(vsix).mtimeMs)) rmSync(vsix, { force: true });
}

/**
 * When the extension host took each step and how long it took it to send the highlight, read
 * from the extension's log ("step N → file:line highlighted X ms after the page's message",
 * stamped with the host's wall clock): splits a step's latency into the page's message reaching
 * the host, the host's own work (the open of another file included) and the workbench drawing.
 */
function hostSteps(userDataDir: string): { step: number; receivedAt: number; hostMs: number }[] {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return [];
  const out: { step: number; receivedAt: number; hostMs: number }[] = [];
  for (const session of readdirSync(logs))
    for (const host of readdirSync(join(logs, session)).filter((d) => d.startsWith('exthost'))) {
      const file = join(logs, session, host, 'kernel-lens.kernel-lens', 'Kernel Lens.log');
      if (!existsSync(file)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(
        /^(\S+ \S+) \[info\] simulator: step (\d+) → \S+ highlighted ([\d.]+) ms after/gm,
      )) {
        const doneAt = Date.parse(`${m[1]!.replace(' ', 'T')}`);
        out.push({
          step: Number(m[2]) - 1,
          receivedAt: doneAt - Number(m[3]),
          hostMs: Number(m[3]),
        });
      }
    }
  return out;
}

/**
 * One step's latency: from the page taking the step to the highlighted line (ms), from the
 * key press sent by the test (fromKey), and whether the step moved to another file.
 */
interface Latency {
  ms: number;
  fromKey: number;
  otherFile: boolean;
  /** Wall-clock ends (ms since the epoch), to line them up with the extension's log. */
  stepAt: number;
  shownAt: number;
}

/** How long the test "reads" a step before the next key: a person reads for seconds. */
const READING_MS = 300;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

void describe(
  'handshake simulator beside the source in VS Code (en, embedded 6.1)',
  { timeout: 420_000 },
  () => {
    let session: Session;
    let frame: FrameLocator;
    let normal: RunView;
    let index: KernelIndex;
    /** Per step of the normal run, in the default layout (one editor beside the simulator). */
    const latencies: Latency[] = [];
    /** The same, with kernelLens.simulator.nextStepEditor on (the next step's file on screen). */
    const withNextEditor: Latency[] = [];
    /** VS Code's own switch between two open files (Ctrl+PageUp/Down), key to the lines drawn. */
    const tabSwitches: number[] = [];

    /**
     * Presses → in the page to go to step `i` (0-based), waits for the highlight on the line
     * the expected run gives for it (a new decoration: each step's label is new), and records
     * the time from the key press to that highlight.
     */
    async function stepForward(i: number, sink: Latency[] = latencies): Promise<void> {
      const { page } = session;
      const before = (await marks(page)).length;
      const t0 = Date.now();
      await frame.locator('body').press('ArrowRight');
      const expected = innermost(normal, i);
      await highlightOn(page, before, expected.line!);
      const all = await marks(page);
      const shown = all[all.length - 1]!.t;
      // When the page took the step (its own record, same wall clock): without the time
      // Playwright needs to deliver the key into the nested webview frames.
      const [at, stepAt] = ((await frame.locator('body').getAttribute('data-step-at')) ?? '').split(
        '@',
      );
      assert.equal(Number(at), i);
      sink.push({
        ms: shown - Number(stepAt),
        fromKey: shown - t0,
        otherFile: innermost(normal, i - 1).file !== expected.file,
        stepAt: Number(stepAt),
        shownAt: shown,
      });
      assert.equal(await frame.locator('#jump').inputValue(), String(i + 1));
    }

    before(async () => {
      dropStaleVsix();
      session = await openSession('simulator-en');
      const { page } = session;
      const root = join(session.extensionDir, 'kernel-snippets', 'linux-6.1');
      const workspace = join(session.extensionDir, 'kernel-snippets', 'linux-6.1.code-workspace');
      await page.goto(`${session.codeServer.url}/?workspace=${encodeURIComponent(workspace)}`);
      await statusItem(page, /Kernel Lens: Linux 6\.1\.\d+ indexed/).waitFor({ timeout: 120_000 });
      // The expected run: the same engine and data, each anchor resolved with resolveAnchor on
      // the same tree the extension reads (the installed copy of the embedded sources).
      index = await KernelIndex.open(root, { cacheDir: indexCacheDir(), log: () => undefined });
      normal = await buildRun(
        { scenario: 'normal', params: {}, seed: 1, drops: [] },
        1,
        treeRunContext(index, 'embedded'),
      );
      assert.deepEqual(normal.unresolved, []);
      frame = simFrame(page);
    });
    after(async () => {
      index?.dispose();
      await session?.close();
    });

    void it('opens on the normal scenario and highlights the first step’s line beside it', async () => {
      const { page } = session;
      await openSimulatorOnNormal(page);
      await frame.locator('#explanation-text').waitFor();
      const first = innermost(normal, 0);
      await activeFileTab(page, first.file!).waitFor({ timeout: 30_000 });
      await highlightOn(page, 0, first.line!);
      await session.shot('simulator-normal-step1');
    });

    void it('steps to the server’s SYN-ACK: SYN and ACK set, ack = client ISN + 1, its anchor’s line highlighted', async () => {
      const { page } = session;
      const synIndex = normal.steps.findIndex((s) => s.kind === 'send' && s.segment?.flags === 'S');
      const synackIndex = normal.steps.findIndex(
        (s) => s.kind === 'send' && s.host === 'server' && s.segment?.flags === 'S.',
      );
      assert.ok(synIndex > 0 && synackIndex > synIndex);
      let clientIsn: number | undefined;
      for (let i = 1; i <= synackIndex; i++) {
        await stepForward(i);
        if (i === synIndex) {
          clientIsn = Number(
            await frame.locator('#tcp-header td[data-field="Sequence Number"] .value').innerText(),
          );
        }
      }
      assert.equal(clientIsn, normal.steps[synIndex]!.segment!.seq);

      // The header view: the SYN-ACK's flags and its acknowledgment of the client's ISN + 1.
      const header = frame.locator('#tcp-header');
      assert.match(
        (await header.locator('td[data-field="SYN"]').getAttribute('class')) ?? '',
        /\bset\b/,
      );
      assert.match(
        (await header.locator('td[data-field="ACK"]').getAttribute('class')) ?? '',
        /\bset\b/,
      );
      assert.doesNotMatch(
        (await header.locator('td[data-field="RST"]').getAttribute('class')) ?? '',
        /\bset\b/,
      );
      const ack = Number(
        await header.locator('td[data-field="Acknowledgment Number"] .value').innerText(),
      );
      assert.equal(ack, (clientIsn! + 1) >>> 0);
      assert.match(await frame.locator('#header-summary').innerText(), /\[S\.\] seq 0 ack 1/);

      // The editor beside: the anchor's file, the anchor's line in that tree highlighted.
      const expected = innermost(normal, synackIndex);
      await activeFileTab(page, expected.file!).waitFor();
      const last = (await marks(page)).at(-1)!;
      assert.equal(last.line, expected.line);
      // The simulator kept the focus: the keyboard still drives the page.
      assert.equal(
        await page.evaluate('document.activeElement && document.activeElement.tagName'),
        'IFRAME',
        'the focus stays in the simulator webview',
      );
      await session.shot('simulator-normal-synack');
    });

    void it('steps back: the highlight returns to the previous step’s line', async () => {
      const { page } = session;
      const synackIndex = normal.steps.findIndex(
        (s) => s.kind === 'send' && s.host === 'server' && s.segment?.flags === 'S.',
      );
      const previous = innermost(normal, synackIndex - 1);
      const before = (await marks(page)).length;
      await frame.locator('body').press('ArrowLeft');
      await highlightOn(page, before, previous.line!);
      assert.equal(await frame.locator('#jump').inputValue(), String(synackIndex));
      await activeFileTab(page, previous.file!).waitFor();
      await session.shot('simulator-normal-step-back');
    });

    void it('every further step of the normal run highlights its own line, in its own file', async () => {
      const { page } = session;
      const synackIndex = normal.steps.findIndex(
        (s) => s.kind === 'send' && s.host === 'server' && s.segment?.flags === 'S.',
      );
      for (let i = synackIndex; i < normal.steps.length; i++) {
        await stepForward(i);
        const f = innermost(normal, i);
        await activeFileTab(page, f.file!).waitFor();
      }
      await session.shot('simulator-normal-last-step');
    });

    void it('the refused scenario: the client’s connect returns ECONNREFUSED', async () => {
      await frame.locator('#scenario').selectOption('refused');
      await frame
        .locator('#status', { hasText: 'Connection refused' })
        .waitFor({ timeout: 60_000 });
      await frame.locator('body').press('End');
      const connect = frame.locator('ol.calls[data-host="client"] li[data-call="connect"]');
      await connect.filter({ hasText: 'ECONNREFUSED' }).waitFor({ timeout: 10_000 });
      assert.match(
        await connect.last().innerText(),
        /connect\(fd=3, server:8080\)\s*= -1 ECONNREFUSED/,
      );
      assert.match((await connect.last().getAttribute('class')) ?? '', /\bfailed\b/);
      await session.shot('simulator-refused');
    });

    void it('comes back after a window reload on the same scenario and step (state + serializer)', async () => {
      const { page } = session;
      const before = await frame.locator('#jump').inputValue();
      await page.reload();
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await frame
        .locator('#status', { hasText: 'Connection refused' })
        .waitFor({ timeout: 120_000 });
      const deadline = Date.now() + 30_000;
      while ((await frame.locator('#jump').inputValue()) !== before) {
        assert.ok(Date.now() < deadline, `step ${before} restored`);
        await page.waitForTimeout(100);
      }
      await frame
        .locator('ol.calls[data-host="client"] li[data-call="connect"]', {
          hasText: 'ECONNREFUSED',
        })
        .waitFor({ timeout: 10_000 });
      await session.shot('simulator-after-reload');
    });

    void it('the Simulate CodeLens above tcp_synack_options opens the simulator at the first step that runs it', async () => {
      const { page } = session;
      await watchHighlight(page);
      await page.keyboard.press('Control+1');
      await openFile(page, 'net/ipv4/tcp_output.c');
      const root = join(session.extensionDir, 'kernel-snippets', 'linux-6.1');
      const at = positionIn(
        root,
        'net/ipv4/tcp_output.c',
        'static unsigned int tcp_synack_options(',
        'tcp_synack_options',
      );
      await goTo(page, at.line, at.column);
      const lens = page.locator('.codelens-decoration a:visible', {
        hasText: 'Simulate tcp_synack_options',
      });
      await lens.first().waitFor({ timeout: 60_000 });
      await session.shot('simulator-codelens');
      await lens.first().click();
      const first = normal.steps.findIndex((st) =>
        st.frames.some((f) => f.function === 'tcp_synack_options'),
      );
      await frame
        .locator('#status', { hasText: 'Handshake, 5 bytes, close' })
        .waitFor({ timeout: 60_000 });
      await highlightOn(page, 0, innermost(normal, first).line!);
      assert.equal(await frame.locator('#jump').inputValue(), String(first + 1));
      await session.shot('simulator-from-codelens');
    });

    void it('reference: VS Code switching between two open files (Ctrl+PageUp/PageDown)', async () => {
      const { page } = session;
      // Two files kept open in the first group, each away from its top.
      await page.keyboard.press('Control+1');
      const root = join(session.extensionDir, 'kernel-snippets', 'linux-6.1');
      // Each at a function whose name is in that file only, to tell on screen which one shows.
      const files = [
        { file: 'net/ipv4/tcp_input.c', word: 'tcp_rcv_synsent_state_process' },
        { file: 'net/ipv4/af_inet.c', word: 'inet_shutdown' },
      ];
      for (const { file, word } of files) {
        await openFile(page, file);
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Enter'); // keep it open (not a preview)
        const at = positionIn(root, file, `${word}(`, word);
        await goTo(page, at.line, at.column);
        // Only these two in the group.
        if (file === files[0]!.file) await runCommand(page, 'View: Close Other Editors in Group');
      }
      const tabs = page.locator('.editor-group-container.active .tabs-container .tab');
      assert.equal(await tabs.count(), 2);
      const words = files.map((f) => f.word);
      await page.evaluate(`(() => {
        window.__klKey = 0;
        window.__klLines = [];
        addEventListener('keydown', () => { window.__klKey = Date.now(); }, true);
        new MutationObserver(() => {
          const lines = document.querySelector('.editor-group-container.active .view-lines');
          window.__klLines.push({ t: Date.now(), text: lines ? lines.textContent : '' });
          if (window.__klLines.length > 200) window.__klLines.splice(0, 100);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      // Ctrl+PageUp to the first, Ctrl+PageDown to the second: from a group's last editor,
      // Ctrl+PageDown would go on to the next group (the simulator's).
      for (let n = 0; n < 20; n++) {
        const word = JSON.stringify(words[n % 2]);
        await page.keyboard.press(n % 2 === 0 ? 'Control+PageUp' : 'Control+PageDown');
        const ms = await page.waitForFunction(
          `(() => {
            const seen = window.__klLines.find((x) => x.t >= window.__klKey && x.text.includes(${word}));
            return seen ? seen.t - window.__klKey : false;
          })()`,
          undefined,
          { timeout: 10_000 },
        );
        tabSwitches.push((await ms.jsonValue()) as number);
        await page.waitForTimeout(READING_MS);
      }
    });

    void it('with the next step’s editor: the next line waits below, each step moves only the highlight, and unticking closes it', async () => {
      try {
        await withNextStepEditor();
      } catch (err) {
        await session.shot('simulator-next-step-editor-failed');
        throw err;
      }
    });

    async function withNextStepEditor(): Promise<void> {
      const { page } = session;
      // The page's "Next line below" box, which turns kernelLens.simulator.nextStepEditor on.
      await frame.locator('#next-editor').check();
      // Back to the simulator's page (a click on its status line), where the keys go.
      await frame.locator('#status').click();
      // Back to the first step; once the setting is seen, the second step's line shows below.
      // (The second editor is made once, when the setting turns on: a key pressed while it is
      // made may go to the source editor.)
      const second = innermost(normal, 1);
      for (let attempt = 0; ; attempt++) {
        await frame.locator('body').press('ArrowRight');
        await page.waitForTimeout(1000);
        await frame.locator('body').press('Home');
        try {
          await nextMarkOn(page, second.line!, 10_000);
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
        }
      }
      assert.equal(await frame.locator('#jump').inputValue(), '1');
      // Two source editors and the simulator.
      assert.equal(await page.locator('.editor-group-container').count(), 3);
      await session.shot('simulator-next-step-editor');
      for (let i = 1; i < normal.steps.length; i++) {
        // A reader reads the step before the next one: the next line is on screen by then.
        await nextMarkOn(page, innermost(normal, i).line!);
        await page.waitForTimeout(READING_MS);
        await stepForward(i, withNextEditor);
        await activeFileTab(page, innermost(normal, i).file!).waitFor();
      }
      // The simulator kept the focus all along, the pane included.
      assert.equal(
        await page.evaluate('document.activeElement && document.activeElement.tagName'),
        'IFRAME',
      );
      await session.shot('simulator-next-step-editor-last-step');
      // Unticked, the second editor goes: the source and the simulator are left.
      await frame.locator('#next-editor').uncheck();
      await page.waitForFunction(
        `document.querySelectorAll('.editor-group-container').length === 2`,
        undefined,
        { timeout: 10_000 },
      );
    }

    void it('step to highlighted line: median latency', () => {
      assert.ok(latencies.length >= 10, `measured ${latencies.length} steps`);
      const all = median(latencies.map((l) => l.ms));
      const sameFile = latencies.filter((l) => !l.otherFile).map((l) => l.ms);
      const otherFile = latencies.filter((l) => l.otherFile).map((l) => l.ms);
      // The figures depend on the machine's load (code-server, its extension host and the
      // browser share it), so the load is written beside them.
      // The same steps, split where the extension's log says the host took them.
      const logged = hostSteps(session.profile.userDataDir);
      const parts = latencies.flatMap((l) => {
        const h = logged.find((x) => x.receivedAt >= l.stepAt - 5 && x.receivedAt <= l.shownAt);
        return h
          ? [
              {
                otherFile: l.otherFile,
                toHost: h.receivedAt - l.stepAt,
                host: h.hostMs,
                toScreen: l.shownAt - (h.receivedAt + h.hostMs),
              },
            ]
          : [];
      });
      const split = (other: boolean) => {
        const xs = parts.filter((p) => p.otherFile === other);
        return xs.length
          ? {
              steps: xs.length,
              pageToHostMs: Math.round(median(xs.map((p) => p.toHost))),
              hostMs: Math.round(median(xs.map((p) => p.host))),
              hostToScreenMs: Math.round(median(xs.map((p) => p.toScreen))),
            }
          : null;
      };
      const summary = (xs: Latency[]) =>
        xs.length
          ? {
              medianMs: median(xs.map((l) => l.ms)),
              sameFileMedianMs: median(xs.filter((l) => !l.otherFile).map((l) => l.ms)),
              otherFileMedianMs: median(xs.filter((l) => l.otherFile).map((l) => l.ms)),
              steps: xs.length,
            }
          : null;
      const next = summary(withNextEditor);
      const tabSwitch = tabSwitches.length ? median(tabSwitches) : null;
      const figures = {
        medianMs: all,
        fromKeyMedianMs: median(latencies.map((l) => l.fromKey)),
        sameFileMedianMs: sameFile.length ? median(sameFile) : null,
        otherFileMedianMs: otherFile.length ? median(otherFile) : null,
        /**
         * Medians of the three parts: the page's message reaching the extension host, the
         * host's work (for another file: VS Code opening it, which the host awaits), and the
         * workbench drawing the decoration after the host sent it.
         */
        breakdown: { sameFile: split(false), otherFile: split(true) },
        /** The same steps with kernelLens.simulator.nextStepEditor on. */
        nextStepEditor: next ? { ...next, samples: withNextEditor } : null,
        /** VS Code alone: Ctrl+PageUp/Down between two open files, key to the new lines drawn. */
        vscodeTabSwitchMedianMs: tabSwitch,
        vscodeTabSwitchSamples: tabSwitches,
        loadAverage: loadavg(),
        cpus: cpus().length,
        samples: latencies,
      };
      const fmt = (b: ReturnType<typeof split>): string =>
        b ? `${b.pageToHostMs} + ${b.hostMs} + ${b.hostToScreenMs} ms` : 'n/a';
      writeFileSync(
        join(OUTPUT, 'simulator-latency.json'),
        `${JSON.stringify(figures, null, 2)}\n`,
      );
      console.log(
        `# step -> highlighted line: median ${all} ms over ${latencies.length} steps ` +
          `(same file ${figures.sameFileMedianMs} ms, another file ${figures.otherFileMedianMs} ms; ` +
          `from the key press ${figures.fromKeyMedianMs} ms; ` +
          `page -> host -> screen: same file ${fmt(figures.breakdown.sameFile)}, ` +
          `another file ${fmt(figures.breakdown.otherFile)}; ` +
          (next
            ? `with the next step's editor: median ${next.medianMs} ms (same file ${next.sameFileMedianMs} ms, ` +
              `another file ${next.otherFileMedianMs} ms); `
            : '') +
          `VS Code's own switch between two open files ${tabSwitch} ms; ` +
          `load ${loadavg()
            .map((l) => l.toFixed(1))
            .join(' ')} on ${cpus().length} cpus)`,
      );
    });
  },
);
