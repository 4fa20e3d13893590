/**
 * code-server 4.100.3 (VS Code 1.100.3 in a browser) as `npm start` and the e2e tests use it:
 * make sure it is installed, install a .vsix into a given profile, start it on 127.0.0.1 in
 * its own process group, stop the whole group. The recipe and its reasons are in
 * ../shared/docs/vscode-e2e.md; the installation itself is test/setup/tier-e2e.sh.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheHome, packageRoot } from '../kernelSources/paths';

export const CODE_SERVER_VERSION = '4.100.3';

/** Where tier-e2e.sh installs code-server. */
export function codeServerHome(): string {
  return join(cacheHome(), `code-server-${CODE_SERVER_VERSION}`);
}

function entryScript(): string {
  return join(codeServerHome(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Installs code-server (and chromium, ripgrep) through tier-e2e.sh unless its marker is there. */
export function ensureCodeServer(): void {
  if (existsSync(join(codeServerHome(), '.installed'))) return;
  execFileSync('bash', [join(packageRoot(), 'test', 'setup', 'tier-e2e.sh')], { stdio: 'inherit' });
}

/** The folders of one code-server profile. Tests make a fresh one per run. */
export interface Profile {
  /** Holds everything below; e.g. test-output/e2e/run-en/. */
  readonly dir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** HOME for code-server and the extension host, so nothing touches the real home. */
  readonly home: string;
  /** VS Code's display language, e.g. "zh-cn"; English when absent. */
  readonly locale?: string;
  /**
   * Workspace trust as a person has it: asked for on opening a folder, Restricted Mode
   * when refused. Off by default, so tests and `npm start` get no trust prompt.
   */
  readonly workspaceTrust?: boolean;
}

export interface ProfileOptions {
  readonly locale?: string;
  readonly workspaceTrust?: boolean;
}

/** User settings of a new profile: no telemetry, update checks or welcome page. */
const DEFAULT_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.startupEditor': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.tips.enabled': false,
};

export function makeProfile(dir: string, options: ProfileOptions = {}): Profile {
  const { locale, workspaceTrust } = options;
  const profile: Profile = {
    dir,
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    home: join(dir, 'home'),
    ...(locale ? { locale } : {}),
    ...(workspaceTrust ? { workspaceTrust } : {}),
  };
  for (const d of [profile.userDataDir, profile.extensionsDir, profile.home]) {
    mkdirSync(d, { recursive: true });
  }
  mkdirSync(join(profile.userDataDir, 'User'), { recursive: true });
  // Written once: a kept profile (npm start's) keeps the person's own settings.
  const settings = join(profile.userDataDir, 'User', 'settings.json');
  if (!existsSync(settings)) {
    const trust = { 'security.workspace.trust.enabled': !!workspaceTrust };
    writeFileSync(settings, JSON.stringify({ ...DEFAULT_SETTINGS, ...trust }, null, 2));
  }
  if (locale && locale !== 'en') writeStandInLanguagePack(profile, locale);
  return profile;
}

/**
 * code-server shows a non-English UI only when languagepacks.json lists a pack for the
 * locale, and none can be downloaded here. A stand-in pack with no translations of its own
 * is enough for VS Code to switch `vscode.env.language`, so extensions' own zh-cn strings
 * (package.nls.zh-cn.json, l10n/bundle.l10n.zh-cn.json) are used (vscode-e2e.md, "Testing in
 * Chinese"). Its extension list must not be empty, or the workbench throws.
 */
function writeStandInLanguagePack(profile: Profile, locale: string): void {
  const translations = join(profile.dir, `stand-in-${locale}.json`);
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  writeFileSync(
    join(profile.userDataDir, 'languagepacks.json'),
    JSON.stringify({
      [locale]: {
        hash: `stand-in-${locale}-1`,
        extensions: [{ extensionIdentifier: { id: `stand-in.${locale}` }, version: '0.0.1' }],
        translations: { vscode: translations },
        label: locale,
      },
    }),
  );
}

function baseArgs(profile: Profile): string[] {
  return [
    '--user-data-dir',
    profile.userDataDir,
    '--extensions-dir',
    profile.extensionsDir,
    ...(profile.locale ? ['--locale', profile.locale] : []),
  ];
}

function childEnv(profile: Profile, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, HOME: profile.home, ...extra };
}

/** `code-server --install-extension <vsix>` into the profile (about 2 s). */
export async function installExtension(profile: Profile, vsix: string): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [entryScript(), ...baseArgs(profile), '--install-extension', vsix, '--force'],
    { env: childEnv(profile), timeout: 120_000 },
  );
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; we release it just before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningCodeServer {
  /** e.g. "http://127.0.0.1:41231" */
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything code-server printed, for a failing test's message. */
  output(): string;
  /** Stops code-server and every process it started (one process group). */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly port?: number;
  /** Extra environment for code-server and the extension host. */
  readonly env?: NodeJS.ProcessEnv;
  /** Echo code-server's output (for `npm start`). */
  readonly inherit?: boolean;
}

/** Starts code-server on 127.0.0.1 and resolves once /healthz answers (about 1-2 s). */
export async function startCodeServer(
  profile: Profile,
  options: StartOptions = {},
): Promise<RunningCodeServer> {
  const port = options.port ?? (await freePort());
  const config = join(profile.dir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const child = spawn(
    process.execPath,
    [
      entryScript(),
      '--config',
      config,
      ...baseArgs(profile),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(profile.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    {
      env: childEnv(profile, options.env),
      // detached = setsid: its own process group, so stop() reaches the file watcher and the
      // extension host too (killing only the parent leaves the watcher behind).
      detached: true,
      stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // The group may outlive its leader for a moment; make sure nothing of it stays.
    signalGroup(child, 'SIGKILL');
  };

  try {
    await waitForHealth(url, exited, 60_000);
  } catch (err) {
    await stop();
    throw new Error(`code-server did not start: ${(err as Error).message}\n${output}`);
  }
  return { url, process: child, output: () => output, stop };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is gone already.
  }
}

/** Polls GET /healthz: code-server's own readiness signal (a network answer, not a sleep). */
async function waitForHealth(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error('code-server exited');
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${url}/healthz in ${timeoutMs} ms`);
}
