/**
 * A GDB/MI client: runs `gdb --interpreter=mi3` in its own process group and talks to it with
 * numbered commands. Every wait is bounded; a dead gdb fails every pending wait at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  MiStreamParser,
  type MiAsyncRecord,
  type MiRecord,
  type MiResultRecord,
  type MiTuple,
} from './mi';
import { killGroup, track } from './processes';

export class GdbError extends Error {}

interface Pending {
  readonly command: string;
  readonly resolve: (r: MiResultRecord) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** Console output (`~` records) that arrived while this command ran. */
  readonly console: string[];
}

interface StopWaiter {
  readonly resolve: (r: MiAsyncRecord) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface GdbOptions {
  readonly gdb?: string; // default "gdb"
  /** Arguments after the MI options, e.g. the vmlinux path. */
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** Every record and stderr line, for a transcript. */
  readonly trace?: (line: string) => void;
}

export class GdbMi {
  readonly process: ChildProcess;
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stops: MiAsyncRecord[] = [];
  private stopWaiter: StopWaiter | undefined;
  private exited: Error | undefined;
  private readonly stderr: string[] = [];
  /** `*stopped` records discarded because the target was resumed after them. */
  readonly staleStops: MiAsyncRecord[] = [];
  /** Console output not tied to a command (e.g. while the target runs). */
  readonly console: string[] = [];

  constructor(options: GdbOptions = {}) {
    this.process = spawn(
      options.gdb ?? 'gdb',
      ['--interpreter=mi3', '--nx', '--quiet', ...(options.args ?? [])],
      { cwd: options.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    track(this.process);
    const trace = options.trace;
    const parser = new MiStreamParser(
      (r) => this.onRecord(r),
      (line, e) => trace?.(`unparsed: ${line} (${e.message})`),
    );
    this.process.stdout!.setEncoding('utf8');
    this.process.stdout!.on('data', (chunk: string) => {
      if (trace) for (const l of chunk.split('\n')) if (l) trace(`< ${l}`);
      parser.push(chunk);
    });
    this.process.stderr!.setEncoding('utf8');
    this.process.stderr!.on('data', (chunk: string) => {
      this.stderr.push(chunk);
      trace?.(`stderr: ${chunk.trimEnd()}`);
    });
    this.process.on('error', (e) =>
      this.fail(new GdbError(`gdb could not be started: ${e.message}`)),
    );
    this.process.on('exit', (code, signal) =>
      this.fail(
        new GdbError(
          `gdb exited (${signal ?? `code ${code}`})${this.stderr.length ? `: ${this.stderr.join('').trim().slice(-500)}` : ''}`,
        ),
      ),
    );
    this.trace = trace;
  }

  private readonly trace: ((line: string) => void) | undefined;

  get pid(): number | undefined {
    return this.process.pid;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  private onRecord(r: MiRecord): void {
    switch (r.type) {
      case 'result': {
        const p = r.token !== undefined ? this.pending.get(r.token) : undefined;
        if (!p) return; // an answer to nothing we wait for (gdb's own, or a timed-out command)
        this.pending.delete(r.token!);
        clearTimeout(p.timer);
        // gdb writes in order: a `*stopped` queued before this `^running` belongs to an earlier
        // halt (the attach's own stop, or a repeated report of the last one), never to this run.
        if (r.resultClass === 'running') {
          this.staleStops.push(...this.stops.splice(0));
        }
        if (r.resultClass === 'error') {
          const msg = typeof r.results['msg'] === 'string' ? r.results['msg'] : 'error';
          p.reject(new GdbError(`${p.command}: ${msg}`));
        } else p.resolve(r);
        return;
      }
      case 'exec':
        if (r.asyncClass === 'stopped') {
          const w = this.stopWaiter;
          if (w) {
            this.stopWaiter = undefined;
            clearTimeout(w.timer);
            w.resolve(r);
          } else this.stops.push(r);
        }
        return;
      case 'console': {
        const p = [...this.pending.values()].at(-1);
        (p ? p.console : this.console).push(r.text);
        return;
      }
      default:
        return;
    }
  }

  private fail(e: Error): void {
    if (this.exited) return;
    this.exited = e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    const w = this.stopWaiter;
    this.stopWaiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }

  /** Sends one MI command and waits for its result record. */
  command(
    command: string,
    timeoutMs = 10_000,
  ): Promise<{ results: MiTuple; resultClass: string; console: string }> {
    if (this.exited) return Promise.reject(this.exited);
    const token = this.nextToken++;
    return new Promise((resolve, reject) => {
      const console: string[] = [];
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new GdbError(`${command}: no answer from gdb within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, {
        command,
        console,
        timer,
        reject,
        resolve: (r) =>
          resolve({ results: r.results, resultClass: r.resultClass, console: console.join('') }),
      });
      this.trace?.(`> ${token}${command}`);
      this.process.stdin!.write(`${token}${command}\n`);
    });
  }

  /** A CLI command through MI (`-interpreter-exec console`), with its console output. */
  async cli(command: string, timeoutMs = 10_000): Promise<string> {
    const quoted = `"${command.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    return (await this.command(`-interpreter-exec console ${quoted}`, timeoutMs)).console;
  }

  /** The next `*stopped` record (one that already arrived, or the next to come). */
  waitForStop(timeoutMs: number): Promise<MiAsyncRecord> {
    const queued = this.stops.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(this.exited);
    if (this.stopWaiter) return Promise.reject(new GdbError('already waiting for a stop'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stopWaiter = undefined;
        reject(new GdbError(`the target did not stop within ${timeoutMs} ms`));
      }, timeoutMs);
      this.stopWaiter = { resolve, reject, timer };
    });
  }

  /** Asks gdb to quit, then ends its process group whatever it did. */
  async dispose(): Promise<void> {
    if (this.alive) {
      try {
        this.process.stdin!.write('-gdb-exit\n');
      } catch {
        // The pipe is already closed: the kill below still runs.
      }
      await waitExit(this.process, 1500);
    }
    await killGroup(this.process);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
