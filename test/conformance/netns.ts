// Network namespaces, links, nftables, sysctls and processes for one conformance run.
// Everything created here is recorded in a Sandbox and removed by Sandbox.destroy(), which
// the runner calls in a `finally`: processes are killed by their own pid, then the namespaces
// are deleted, which takes their veth/TUN devices and nftables tables with them.
// Every wait is bounded. Traffic never leaves the two namespaces a run creates.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs a command to completion (bounded), throwing with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** A process started inside a namespace, its stdout kept as lines. */
export class NsProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly label: string,
    ns: string,
    cmd: string,
    args: readonly string[],
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (into: string[]) => {
      let partial = '';
      return (chunk: Buffer): void => {
        partial += chunk.toString('utf8');
        const parts = partial.split('\n');
        partial = parts.pop() ?? '';
        into.push(...parts.filter((l) => l.length > 0));
        this.waiters.splice(0).forEach((w) => w());
      };
    };
    this.child.stdout!.on('data', collect(this.lines));
    this.child.stderr!.on('data', collect(this.stderr));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.stderr.push(String(e));
        this.exitCode = null;
        resolve(null);
      });
      this.child.on('exit', (code) => {
        this.exitCode = code;
        this.waiters.splice(0).forEach((w) => w());
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The exit code once the process has exited by itself (null when killed by a signal). */
  get code(): number | null | undefined {
    return this.exitCode;
  }

  /** Waits until stdout or stderr has a line matching `re`; fails after `timeoutMs` or when
   * the process exits first. */
  async waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = [...this.lines, ...this.stderr].find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (!this.running) {
        throw new Error(`${this.label} exited before printing ${re}: ${this.stderr.join(' | ')}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.label}: no ${re} within ${timeoutMs} ms: ${this.stderr.join(' | ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the process to exit by itself, at most `timeoutMs`; true when it did. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** Signals the process (by its own pid) and waits for it; escalates to SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    if (!(await this.waitExit(2000))) {
      this.child.kill('SIGKILL');
      await this.waitExit(2000);
    }
  }
}

let counter = 0;

/** Namespaces not yet deleted, for the last-chance clean-up below. */
const live = new Set<string>();
// If the process exits with a run still going (a test timed out and the runner moved on),
// delete its namespaces synchronously; their processes die with them or with us.
process.once('exit', () => {
  for (const ns of live) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { timeout: 5000, stdio: 'ignore' });
    } catch {
      // Already gone, or ip failed: the next run's sweepLeftovers() retries.
    }
  }
});

/** The namespaces and processes of one run. */
export class Sandbox {
  readonly namespaces: string[] = [];
  readonly processes: NsProcess[] = [];

  /** Creates a namespace with its loopback up. Names carry the pid so parallel runs and
   * leftovers of a killed run are told apart. */
  async namespace(role: string): Promise<string> {
    const name = `kl-${role}-${process.pid}-${++counter}`;
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    live.add(name);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  start(label: string, ns: string, cmd: string, args: readonly string[]): NsProcess {
    const p = new NsProcess(label, ns, cmd, args);
    this.processes.push(p);
    return p;
  }

  async sysctl(ns: string, key: string, value: number | string): Promise<void> {
    await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${key}=${value}`]);
  }

  /** Loads an nftables ruleset (text) into a namespace. */
  async nft(ns: string, ruleset: string): Promise<void> {
    await runWithInput('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], ruleset);
  }

  async destroy(): Promise<void> {
    for (const p of this.processes) {
      await p.stop('SIGKILL');
    }
    for (const ns of this.namespaces.splice(0)) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      live.delete(ns);
    }
  }
}

function runWithInput(cmd: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10_000, encoding: 'utf8' }, (err, out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(out);
    });
    child.stdin!.end(input);
  });
}

/** Deletes namespaces a killed earlier run left behind: ours are named kl-<role>-<pid>-<n>,
 * and only those whose pid is gone are touched. */
export async function sweepLeftovers(): Promise<string[]> {
  const removed: string[] = [];
  const list = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^kl-(?:c|s|probe)-(\d+)(?:-\d+)?$/.exec(name);
    if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/** Why this machine cannot run the tier, or undefined when it can. */
export async function unavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    return 'not root: network namespaces, tcpdump and nftables need root';
  }
  for (const tool of ['ip', 'tcpdump', 'nft', 'ss', 'sysctl']) {
    const found = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) =>
      existsSync(`${d}/${tool}`),
    );
    if (!found) return `${tool} is not installed (test/setup/tier-conformance.sh installs it)`;
  }
  const probe = `kl-probe-${process.pid}`;
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (e) {
    return `cannot create a network namespace: ${(e as Error).message}`;
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => undefined);
  }
  return undefined;
}
