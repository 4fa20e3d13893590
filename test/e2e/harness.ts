/**
 * The e2e harness: Kernel Lens's .vsix installed into a fresh code-server 4.100.3 profile,
 * driven by Playwright in Debian's Chromium (../shared/docs/vscode-e2e.md).
 *
 * - Every session gets fresh user data, extensions and HOME under test-output/e2e/<name>/.
 * - Waits are on signals the extension gives (its status bar item's text, editor content),
 *   never on sleeps.
 * - Screenshots go to test-output/e2e/ (git-ignored).
 * - close() stops the browser and code-server's whole process group.
 *
 * Needs `npm run build`, the embedded sources (`node dist/cli.js fetch --embedded`) and
 * test/setup/tier-e2e.sh, all of which test/run.sh does before the tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import {
  ensureCodeServer,
  installExtension,
  makeProfile,
  startCodeServer,
  type Profile,
  type RunningCodeServer,
} from '../../extension/launch/codeServer';
import { packageRoot } from '../../extension/kernelSources/paths';

const ROOT = packageRoot();
export const OUTPUT = join(ROOT, 'test-output', 'e2e');
const VSIX = join(OUTPUT, 'kernel-lens.vsix');

/** Files whose change makes the test .vsix stale. */
const VSIX_INPUTS = [
  'dist/client.js',
  'dist/server.js',
  'dist/scanWorker.js',
  'dist/webview/callGraph.js',
  'dist/webview/simulator.js',
  'package.json',
  'kernel-snippets/queries/symbols.scm',
  'kernel-snippets/queries/facts.scm',
];

/**
 * Packages the built extension into test-output/e2e/kernel-lens.vsix (about 5 s), unless the
 * one there is newer than the bundles. The same vsce invocation as `npm run package`.
 */
export function ensureVsix(): string {
  mkdirSync(OUTPUT, { recursive: true });
  const newest = Math.max(...VSIX_INPUTS.map((f) => statSync(join(ROOT, f)).mtimeMs));
  if (existsSync(VSIX) && statSync(VSIX).mtimeMs > newest) return VSIX;
  if (!existsSync(join(ROOT, 'kernel-snippets', 'linux-6.1', 'net', 'socket.c'))) {
    throw new Error('the embedded sources are missing: run `node dist/cli.js fetch --embedded`');
  }
  const partial = join(OUTPUT, `kernel-lens.${process.pid}.partial.vsix`);
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'),
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '--out',
      partial,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Test files may run in parallel (node --test's default): each packages to its own file
  // and renames it into place, which is atomic, so no one installs a half-written .vsix.
  renameSync(partial, VSIX);
  return VSIX;
}

export interface Session {
  readonly page: Page;
  readonly profile: Profile;
  readonly codeServer: RunningCodeServer;
  /** Where the .vsix was installed: <extensions>/kernel-lens.kernel-lens-<version>/. */
  readonly extensionDir: string;
  /** Saves test-output/e2e/<name>.png. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** e.g. "zh-cn" */
  readonly locale?: string;
  /** Ask for workspace trust on opening a folder, as VS Code does by default (see Profile). */
  readonly workspaceTrust?: boolean;
  /** Extra environment for code-server, the extension host and so the language server. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A fresh code-server with the extension installed, and a browser page on its empty window. */
export async function openSession(name: string, options: SessionOptions = {}): Promise<Session> {
  ensureCodeServer();
  const vsix = ensureVsix();
  const dir = join(OUTPUT, name);
  rmSync(dir, { recursive: true, force: true });
  const profile = makeProfile(dir, {
    ...(options.locale ? { locale: options.locale } : {}),
    ...(options.workspaceTrust ? { workspaceTrust: true } : {}),
  });
  await installExtension(profile, vsix);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const extensionDir = join(profile.extensionsDir, `kernel-lens.kernel-lens-${version}`);
  if (!existsSync(extensionDir)) throw new Error(`the .vsix did not install into ${extensionDir}`);

  const codeServer = await startCodeServer(profile, options.env ? { env: options.env } : {});
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(codeServer.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const opened = browser;
    return {
      page,
      profile,
      codeServer,
      extensionDir,
      async shot(shotName: string) {
        const path = join(OUTPUT, `${shotName}.png`);
        await page.screenshot({ path });
        return path;
      },
      async close() {
        await opened.close();
        await codeServer.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await codeServer.stop();
    throw err;
  }
}

// --- workbench helpers

/** The Kernel Lens status bar item (its text is the extension's readiness signal). */
export function statusItem(page: Page, text: string | RegExp): Locator {
  return page.locator('.statusbar-item', { hasText: text });
}

/**
 * Runs a command from the palette by (part of) its title, as a person would. The palette
 * computes its list when it opens, so right after start-up (extension contributions not
 * registered yet) it is reopened until the command shows, for up to `timeoutMs`.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (;;) {
    await openQuickInput(page, `>${title}`);
    try {
      await row.waitFor({ timeout: 3000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await page.keyboard.press('Escape');
    }
  }
  await page.keyboard.press('Enter');
}

/** Opens the quick input (F1) and types `value` into it. */
export async function openQuickInput(page: Page, value: string): Promise<void> {
  // F1 pressed inside a webview that is still loading goes nowhere: leave any iframe first.
  await page.evaluate(
    `(() => { const a = document.activeElement; if (a && a.tagName === 'IFRAME') a.blur(); })()`,
  );
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(value);
}

/** The labels of the quick input's visible rows (without the symbol icon's leading space). */
export async function quickInputLabels(page: Page): Promise<string[]> {
  const labels = await page
    .locator('.quick-input-list .monaco-list-row .label-name')
    .allInnerTexts();
  return labels.map((label) => label.trim());
}
