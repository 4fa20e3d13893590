/**
 * Steps of the navigation e2e tests, done as a person does them: Quick Open a file, Go to
 * Line/Column (Ctrl+G "line:column"), F12, the hover keybinding, the call-hierarchy command.
 * Every wait is on what the workbench shows (the status bar's cursor position, a tab, a
 * hover, a peek row), never on time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { openQuickInput } from './harness';

/** 1-based line and column of `needle` at or after `lineText` on the first line containing it. */
export function positionIn(
  root: string,
  file: string,
  lineText: string,
  needle: string,
): { line: number; column: number } {
  const lines = readFileSync(join(root, file), 'latin1').split('\n');
  const index = lines.findIndex((l) => l.includes(lineText));
  if (index < 0) throw new Error(`no line containing "${lineText}" in ${file}`);
  const text = lines[index]!;
  const at = text.indexOf(needle, text.indexOf(lineText));
  return { line: index + 1, column: at + 1 };
}

/** Opens a file of the workspace with Quick Open (Ctrl+P), by its path relative to the root. */
export async function openFile(page: Page, relPath: string): Promise<void> {
  const name = relPath.split('/').pop()!;
  const dir = relPath.slice(0, relPath.length - name.length - 1);
  await openQuickInput(page, relPath);
  // The row whose description is the folder: `socket.c` exists in more than one place.
  const row = page
    .locator('.quick-input-list .monaco-list-row', { hasText: name })
    .filter({ hasText: dir })
    .first();
  await row.waitFor({ timeout: 60_000 });
  await row.click();
  await activeTab(page, name).waitFor({ timeout: 30_000 });
}

/** The editor tab in front, by file name. */
export function activeTab(page: Page, name: string): Locator {
  return page.locator('.tabs-container .tab.active', { hasText: name });
}

/**
 * The status bar's cursor position item, e.g. "Ln 733, Col 5". Its column is the visual one
 * (tabs expanded), so callers give it only where no tab precedes the cursor.
 */
export function cursorItem(page: Page, line: number, column?: number): Locator {
  const col = column === undefined ? '' : ` Col ${column}\\b`;
  return page.locator('.statusbar-item', { hasText: new RegExp(`^Ln ${line},${col}`) });
}

/** Moves the cursor with Go to Line/Column and waits until the status bar shows it there. */
export async function goTo(page: Page, line: number, column: number): Promise<void> {
  await page
    .locator('.editor-instance .monaco-editor')
    .first()
    .click({ position: { x: 200, y: 10 } });
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  // Go to Line counts characters (a tab is one), the status bar shows tabs expanded.
  await cursorItem(page, line).waitFor({ timeout: 15_000 });
}

/** Shows the hover at the cursor (editor.action.showHover) and returns the visible hover. */
export async function hoverAtCursor(page: Page, hasText: string | RegExp): Promise<Locator> {
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText }).first();
  // A chord can be lost on a loaded machine (the second key read as a key of its own), and a
  // hover closed empty does not come back by itself: ask again, as a person would.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    try {
      await hover.waitFor({ timeout: 10_000 });
      return hover;
    } catch (err) {
      if (attempt >= 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
}
