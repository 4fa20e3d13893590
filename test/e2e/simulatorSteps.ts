/**
 * Steps the simulator end-to-end tests share: finding the simulator page, the step the
 * highlight should be on, and watching the editors for that highlight.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { resolveAnchor } from '../../extension/core/anchors';
import type { KernelIndex } from '../../extension/core/kernelIndex';
import type { FrameView, RunView } from '../../extension/protocol/simulatorWebview';
import type { RunContext } from '../../extension/simulatorHost/runView';
import { parseKernelVersion } from '../../webview/simulator/engine/index';
import { runCommand } from './harness';
import { openFile } from './navigationSteps';

/**
 * What the extension computes a run with, computed here independently: the tree's version
 * rules, and each code point resolved with resolveAnchor on the same tree the extension reads.
 */
export function treeRunContext(index: KernelIndex, source: 'embedded' | 'workspace'): RunContext {
  const version = index.version!.text;
  return {
    version: parseKernelVersion(version),
    tree: { version, source },
    displayLanguage: 'en',
    lookup: async (a) => {
      const r = await resolveAnchor(index, a);
      return r.ok ? { file: r.file, line: r.line } : { reason: r.reason };
    },
  };
}

/** The active tab of an editor group showing `file` (by its exact base name). */
export function activeFileTab(page: Page, file: string) {
  const name = basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page
    .locator('.tabs-container .tab.active', { hasText: new RegExp(`(^|\\W)${name}(\\W|$)`) })
    .first();
}

/** The simulator page inside the webview's two iframes. */
export function simFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** The line the simulator should highlight at a step: its innermost resolved frame. */
export function innermost(run: RunView, index: number): FrameView {
  const f = [...run.steps[index]!.frames].reverse().find((x) => x.file && x.line);
  assert.ok(f, `step ${index + 1} has a resolved frame`);
  return f;
}

/**
 * Watches the editors for the step highlight (an extension decoration: a `ced-*` class in
 * .view-overlays) and records, with the time, the line number the gutter shows beside it,
 * whenever the decoration moves or changes (each step's label makes a new class).
 */
export async function watchHighlight(page: Page): Promise<void> {
  // Browser-side code, as text: the test project has no DOM types.
  await page.evaluate(`(() => {
    window.__klMarks = [];
    window.__klNext = [];
    // Each decorated line, with its mark's role: the next step's label starts with ▷ (rendered
    // as the label element's text or its ::after content, depending on the VS Code version).
    // A decoration type has one label, so its role is read once: a computed style on every
    // mutation of the workbench would slow the very drawing the test times.
    const roles = new Map();
    const read = () => {
      const found = {};
      for (const cdr of document.querySelectorAll('.view-overlays .cdr[class*="ced-"]')) {
        const row = cdr.parentElement;
        const editor = cdr.closest('.monaco-editor');
        if (!row || !editor) continue;
        const top = row.style.top;
        const margin = Array.from(editor.querySelectorAll('.margin-view-overlays > div')).find(
          (d) => d.style.top === top,
        );
        const numbers = margin && margin.querySelector('.line-numbers');
        // The step's label is an inline decoration on the same line, with a class of the same
        // decoration type ("ced-2-TextEditorDecorationType12-0" and "…12-4"): two marks can
        // share a line.
        const view = Array.from(editor.querySelectorAll('.view-lines > .view-line')).find(
          (d) => d.style.top === top,
        );
        const type = /(ced-\\S*)-\\d+(\\s|$)/.exec(cdr.className);
        const label = view && type && view.querySelector('[class*="' + type[1] + '-"]');
        let role = type && roles.get(type[1]);
        if (!role && label) {
          const text = label.textContent + getComputedStyle(label, '::after').content;
          role = text.includes('▷') ? 'next' : 'current';
          roles.set(type[1], role);
        }
        role = role || 'current';
        if (found[role]) continue;
        found[role] = {
          t: Date.now(),
          line: Number(numbers ? numbers.textContent.trim() : 0),
          cls: cdr.className + ' ' + (label ? label.className : ''),
        };
      }
      return found;
    };
    const last = { current: '', next: '' };
    new MutationObserver(() => {
      const found = read();
      for (const [role, list] of [['current', window.__klMarks], ['next', window.__klNext]]) {
        const m = found[role];
        const key = m ? m.cls + '@' + m.line : '';
        if (m && key !== last[role] && m.line > 0) {
          last[role] = key;
          list.push(m);
        }
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['class', 'style'],
    });
  })()`);
}

export interface Mark {
  t: number; // Date.now() in the page
  line: number; // the gutter's line number beside the highlight
  cls: string;
}

export async function marks(page: Page): Promise<Mark[]> {
  return (await page.evaluate('window.__klMarks')) as Mark[];
}

/** Waits until the latest next-step mark sits on `line`. */
export async function nextMarkOn(page: Page, line: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    `(() => { const m = window.__klNext; return m.length > 0 && m[m.length - 1].line === ${line}; })()`,
    undefined,
    { timeout },
  );
}

/** Waits until a highlight newer than the first `seen` marks sits on `line`. */
export async function highlightOn(page: Page, seen: number, line: number): Promise<void> {
  await page.waitForFunction(
    `(() => { const m = window.__klMarks; return m.length > ${seen} && m[m.length - 1].line === ${line}; })()`,
    undefined,
    { timeout: 30_000 },
  );
}

/**
 * From a window on the tree: net/socket.c in the first column, the highlight watched, and the
 * simulator opened beside it on its normal scenario. Resolves with the page's status line.
 */
export async function openSimulatorOnNormal(page: Page): Promise<Locator> {
  await openFile(page, 'net/socket.c');
  await watchHighlight(page);
  await runCommand(page, 'Kernel Lens: Open Handshake Simulator');
  const status = simFrame(page).locator('#status', { hasText: 'Handshake, 5 bytes, close' });
  await status.waitFor({ timeout: 90_000 });
  return status;
}
