/**
 * One live run: the kernel and the initramfs from the cache, QEMU halted, gdb attached over
 * 127.0.0.1, breakpoints set, then stop after stop until the guest powers off. Node only (no
 * vscode): the CLI, the test and the editor drive the same class.
 *
 * Whatever happens (error, cancel, the caller forgetting to dispose), QEMU and gdb end: each
 * leads its own process group, dispose() kills both groups, and Node's exit kills what is left.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FetchError } from '../kernelSources/fetch';
import { exportRun, type ExportedRun } from './exportRun';
import { GdbError, GdbMi } from './gdb';
import { preambleCommands, breakpointCommand, type GdbSetup } from './gdbScript';
import { ensureInitramfs, PROGRAM_COMM, ToolMissingError, type ProgramMode } from './initramfs';
import { ensureLiveKernel, liveCacheDir, type LiveKernel } from './kernelImage';
import { miQuote, str, tuple, type MiTuple } from './mi';
import { processGone, sleep } from './processes';
import { freeLocalPort, QemuProcess } from './qemu';
import {
  breakpointPlan,
  CURRENT_TASK,
  defaultFunctions,
  DuplicateStopFilter,
  framesFromMi,
  SEGMENT_FLAGS_EXPRESSION,
  stopReason,
  tcpFlags,
  TCP_STATES,
  type BreakpointSpec,
  type Frame,
  type Stop,
} from './stops';

/** A breakpoint gdb refused (a function vmlinux lacks): the message is for the user. */
export class UnknownBreakpointError extends FetchError {}

export interface LiveOptions {
  readonly mode?: ProgramMode; // default "handshake"
  /** Functions to break on; default: the five syscalls and the handshake. */
  readonly functions?: readonly string[];
  readonly log?: (message: string) => void;
  /** Every MI line in and out. */
  readonly trace?: (line: string) => void;
  /** Longest wait for one stop (the first includes the boot). */
  readonly stopTimeoutMs?: number;
  /** Frames kept per backtrace. */
  readonly backtraceDepth?: number;
  /** Told the pids (process group leaders) of QEMU and gdb as soon as both are spawned. */
  readonly onStarted?: (pids: readonly number[]) => void;
}

export type Step =
  | { readonly kind: 'stop'; readonly stop: Stop }
  | { readonly kind: 'exited'; readonly code: number; readonly ms: number };

export interface Timings {
  prepareMs: number; // kernel + initramfs from the cache (or fetched)
  symbolsMs: number; // gdb loads vmlinux
  attachMs: number; // target remote
  breakpointsMs: number; // includes the DWARF index on a cold cache
}

/** Where gdb keeps its DWARF index between runs. */
export function gdbIndexCacheDir(): string {
  return join(liveCacheDir(), 'gdb-index');
}

/** What gdb is told for a run of the test program on `kernel`, its stub on 127.0.0.1:`port`. */
export function gdbSetupFor(
  kernel: LiveKernel,
  port: number,
  functions?: readonly string[],
): GdbSetup {
  return {
    vmlinux: kernel.vmlinux,
    sourceTree: kernel.sourceTree,
    version: kernel.version,
    indexCacheDir: gdbIndexCacheDir(),
    port,
    comm: PROGRAM_COMM,
    ...(functions ? { functions } : {}),
  };
}

/**
 * `kernel-lens live --export DIR`: the kernel and initramfs from the cache (fetched or built
 * when missing), and the QEMU command, gdb script and launch.json for them, written to `dir`.
 */
export async function exportLive(
  dir: string,
  options: {
    mode: ProgramMode;
    port: number;
    functions?: readonly string[];
    log?: (message: string) => void;
  },
): Promise<ExportedRun & { kernel: LiveKernel }> {
  const { kernel, initrd } = await prepareLive(options.log ?? (() => {}));
  const written = exportRun(dir, {
    setup: gdbSetupFor(kernel, options.port, options.functions),
    qemu: {
      vmlinuz: kernel.vmlinuz,
      initrd,
      mode: options.mode,
      port: options.port,
      serialLog: join(dir, 'serial.log'),
    },
  });
  return { ...written, kernel };
}

/** The kernel (fetched once) and the initramfs (built once), from the cache. */
export async function prepareLive(
  log: (message: string) => void,
): Promise<{ kernel: LiveKernel; initrd: string }> {
  const kernel = await ensureLiveKernel(log);
  const initrd = await ensureInitramfs(log);
  return { kernel, initrd };
}

export class LiveSession {
  private readonly duplicates = new DuplicateStopFilter();
  private readonly byNumber = new Map<number, BreakpointSpec>();
  /** Breakpoint changes asked for while the kernel runs, by function (see setBreakpoint). */
  private readonly pendingBreakpoints = new Map<string, boolean>();
  /** Whether the kernel runs (gdb waits for a stop and takes no other command). */
  private running = false;
  private turn: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private disposed: Promise<void> | undefined;
  readonly stops: Stop[] = [];

  private constructor(
    readonly kernel: LiveKernel,
    readonly qemu: QemuProcess,
    readonly gdb: GdbMi,
    readonly setup: GdbSetup,
    readonly workDir: string,
    readonly timings: Timings,
    private readonly options: LiveOptions,
  ) {}

  /** Fetches (cached), builds the initramfs, boots QEMU halted, attaches gdb, sets breakpoints. */
  static async start(options: LiveOptions = {}): Promise<LiveSession> {
    const log = options.log ?? (() => {});
    const t0 = Date.now();
    const { kernel, initrd } = await prepareLive(log);
    const timings: Timings = {
      prepareMs: Date.now() - t0,
      symbolsMs: 0,
      attachMs: 0,
      breakpointsMs: 0,
    };

    mkdirSync(join(liveCacheDir(), 'runs'), { recursive: true });
    const workDir = mkdtempSync(join(liveCacheDir(), 'runs', 'run-'));
    mkdirSync(gdbIndexCacheDir(), { recursive: true });
    const port = await freeLocalPort();
    const mode = options.mode ?? 'handshake';
    const qemu = new QemuProcess({
      vmlinuz: kernel.vmlinuz,
      initrd,
      mode,
      port,
      serialLog: join(workDir, 'serial.log'),
    });
    let gdb: GdbMi | undefined;
    try {
      gdb = new GdbMi(options.trace ? { trace: options.trace } : {});
      const setup = gdbSetupFor(kernel, port, options.functions);
      const session = new LiveSession(kernel, qemu, gdb, setup, workDir, timings, options);
      options.onStarted?.(session.pids());
      await session.attach(log);
      return session;
    } catch (error) {
      await Promise.all([gdb?.dispose(), qemu.kill()]);
      rmSync(workDir, { recursive: true, force: true });
      if (error instanceof GdbError && /could not be started|ENOENT/.test(error.message))
        throw new ToolMissingError('gdb is missing: apt-get install gdb');
      throw error;
    }
  }

  private async attach(log: (m: string) => void): Promise<void> {
    const { gdb, setup, timings } = this;
    for (const c of preambleCommands(setup)) await gdb.cli(c);
    let t = Date.now();
    log(`gdb: loading ${setup.vmlinux}…`);
    await gdb.command(`-file-exec-and-symbols ${miQuote(setup.vmlinux)}`, 180_000);
    timings.symbolsMs = Date.now() - t;

    t = Date.now();
    // QEMU opens its stub a moment after it starts: retry for a bounded while.
    for (let attempt = 0; ; attempt++) {
      const problem = this.qemu.problem();
      if (problem) throw problem;
      try {
        await gdb.command(`-target-select remote 127.0.0.1:${setup.port}`, 15_000);
        break;
      } catch (error) {
        if (attempt >= 40 || !(error instanceof GdbError) || !gdb.alive) throw error;
        await sleep(250);
      }
    }
    timings.attachMs = Date.now() - t;

    t = Date.now();
    log('gdb: setting breakpoints (the first run indexes the DWARF: up to a minute)…');
    for (const spec of breakpointPlan(setup.functions)) await this.insertBreakpoint(spec);
    timings.breakpointsMs = Date.now() - t;
  }

  private async insertBreakpoint(spec: BreakpointSpec): Promise<void> {
    const { gdb, setup } = this;
    // The same text as the exported script, so both agree; MI reports the number.
    const before = await this.breakpointNumbers();
    try {
      await gdb.cli(breakpointCommand(spec, setup.comm), 300_000);
    } catch (error) {
      if (!(error instanceof GdbError) || !gdb.alive) throw error;
      throw new UnknownBreakpointError(
        `cannot break on ${spec.function}: ${error.message.replace(/^.*?: /, '')}`,
      );
    }
    const added = (await this.breakpointNumbers()).filter((n) => !before.includes(n));
    if (added.length === 0) throw new GdbError(`gdb set no breakpoint on ${spec.location}`);
    for (const n of added) this.byNumber.set(n, spec);
  }

  /**
   * Adds (`on`) or removes a breakpoint on `fn` during the run, as the user toggles it in the
   * editor or the call graph. gdb takes commands only while the kernel is stopped: then it
   * changes at once ("now"); while the kernel runs (or is about to), the change waits and
   * lands at its next stop, before it resumes ("next-stop"). The plan's own functions are never removed: the
   * comparison with the simulator counts on their stops.
   */
  async setBreakpoint(fn: string, on: boolean): Promise<'now' | 'next-stop'> {
    this.pendingBreakpoints.set(fn, on);
    if (this.running) return 'next-stop';
    await this.inTurn(() => this.applyPendingBreakpoints());
    return 'now';
  }

  /** gdb work one piece at a time: a breakpoint change never runs into a resume. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const done = this.turn.then(work, work);
    this.turn = done.catch(() => undefined);
    return done;
  }

  private async applyPendingBreakpoints(): Promise<void> {
    const changes = [...this.pendingBreakpoints];
    this.pendingBreakpoints.clear();
    for (const [fn, on] of changes) {
      const numbers = [...this.byNumber].filter(([, s]) => s.function === fn).map(([n]) => n);
      if (on && numbers.length === 0) await this.insertBreakpoint(breakpointPlan([fn])[0]!);
      if (!on && numbers.length > 0 && !defaultFunctions().includes(fn)) {
        await this.gdb.command(`-break-delete ${numbers.join(' ')}`);
        for (const n of numbers) this.byNumber.delete(n);
      }
    }
  }

  private async breakpointNumbers(): Promise<number[]> {
    const r = await this.gdb.command('-break-list');
    const body = tuple(r.results['BreakpointTable'])?.['body'];
    const rows = Array.isArray(body) ? body : [];
    return rows.map((row) => Number(str(tuple(row)?.['number']) ?? NaN)).filter((n) => !isNaN(n));
  }

  /** Runs until the next kept stop (duplicates are dropped) or until the guest powers off. */
  async continue(): Promise<Step> {
    return this.resumed(async () => {
      for (;;) {
        const t = Date.now();
        await this.gdb.command('-exec-continue');
        const step = await this.waitStep(t, true);
        if (step) return step;
        // A dropped duplicate stopped the kernel too: a change asked for meanwhile lands now.
        await this.applyPendingBreakpoints();
      }
    });
  }

  /** `next`, `step` or `finish` from the current stop. */
  async step(kind: 'next' | 'step' | 'finish'): Promise<Step> {
    return this.resumed(async () => {
      const t = Date.now();
      await this.gdb.command(`-exec-${kind}`);
      this.duplicates.reset();
      const step = await this.waitStep(t, false);
      // A step never repeats a stop, so waitStep returns one.
      return step ?? { kind: 'exited', code: -1, ms: Date.now() - t };
    });
  }

  /** Runs the kernel with `go`: breakpoint changes asked for while it runs wait (setBreakpoint). */
  private resumed(go: () => Promise<Step>): Promise<Step> {
    // From the moment a resume is asked for, a change waits: it lands just before the kernel
    // resumes (if still in time) or at its next stop.
    this.running = true;
    return this.inTurn(async () => {
      try {
        await this.applyPendingBreakpoints();
        return await go();
      } finally {
        this.running = false;
      }
    });
  }

  /** Waits for gdb's next `*stopped`; undefined when it was a duplicate to skip. */
  private async waitStep(t: number, dropDuplicates: boolean): Promise<Step | undefined> {
    const record = await this.gdb.waitForStop(this.options.stopTimeoutMs ?? 120_000);
    const ms = Date.now() - t;
    const reason = stopReason(record.results);
    if (reason.kind === 'exited') return { kind: 'exited', code: reason.code, ms };
    const frame = reason.frame;
    if (!frame)
      throw new GdbError(`gdb stopped without a frame: ${JSON.stringify(record.results)}`);
    const regs = await this.registers();
    const spec = reason.kind === 'breakpoint' ? this.byNumber.get(reason.breakpoint) : undefined;
    if (
      dropDuplicates &&
      reason.kind === 'breakpoint' &&
      this.duplicates.isDuplicate({ breakpoint: reason.breakpoint, ...regs })
    ) {
      this.options.log?.(`dropped a repeated stop at ${frame.func} (same pc, sp and arguments)`);
      return undefined;
    }
    const stop: Stop = {
      seq: this.seq++,
      function: spec?.function ?? frame.func,
      breakpoint: reason.kind === 'breakpoint' ? reason.breakpoint : 0,
      frame,
      backtrace: await this.backtrace(),
      task: await this.task(),
      ...(spec?.readsSocket || !spec ? await this.socketState() : {}),
      ...(spec?.readsSegment || !spec ? await this.segment() : {}),
      pc: regs.pc,
      sp: regs.sp,
      ms,
    };
    this.stops.push(stop);
    return { kind: 'stop', stop };
  }

  /** Evaluates an expression in the current frame; undefined when gdb cannot. */
  async evaluate(expression: string): Promise<string | undefined> {
    try {
      const r = await this.gdb.command(`-data-evaluate-expression ${miQuote(expression)}`);
      return str(r.results['value']);
    } catch (error) {
      if (error instanceof GdbError && this.gdb.alive) return undefined;
      throw error;
    }
  }

  private async registers(): Promise<{ pc: string; sp: string; args: string }> {
    const v = await this.evaluate(
      '{(unsigned long)$pc, (unsigned long)$sp, (unsigned long)$rdi, (unsigned long)$rsi}',
    );
    const [pc = '?', sp = '?', ...args] = (v ?? '')
      .replace(/[{}]/g, '')
      .split(',')
      .map((s) => s.trim());
    return { pc, sp, args: args.join(' ') };
  }

  private async task(): Promise<{ pid: number; comm: string }> {
    const pid = Number(await this.evaluate(`${CURRENT_TASK}->pid`));
    const comm = await this.evaluate(`${CURRENT_TASK}->comm`);
    return { pid: Number.isFinite(pid) ? pid : -1, comm: cString(comm) ?? '?' };
  }

  private async socketState(): Promise<{ socketState?: string }> {
    const v = await this.evaluate('(int)sk->__sk_common.skc_state');
    const n = v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
    const name = n !== undefined ? TCP_STATES[n] : undefined;
    return name ? { socketState: name } : {};
  }

  private async segment(): Promise<{ segment?: string }> {
    const v = await this.evaluate(SEGMENT_FLAGS_EXPRESSION);
    return v !== undefined && /^\d+$/.test(v) ? { segment: tcpFlags(Number(v)) } : {};
  }

  async backtrace(): Promise<Frame[]> {
    const depth = this.options.backtraceDepth ?? 40;
    const r = await this.gdb.command(`-stack-list-frames 0 ${depth - 1}`, 20_000);
    return framesFromMi(r.results as MiTuple);
  }

  /** Repeated stops dropped so far. */
  get droppedDuplicates(): number {
    const stale = this.gdb.staleStops.filter((r) => r.results['reason'] === 'breakpoint-hit');
    return this.duplicates.dropped + stale.length;
  }

  /** What the guest printed on its serial console. */
  serialOutput(): string {
    if (this.finalSerial !== undefined) return this.finalSerial;
    const path = this.qemu.options.serialLog;
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  /** The serial log, kept when dispose() removes the run's folder. */
  private finalSerial: string | undefined;

  /** Every process this session started (for the caller to check they are gone). */
  pids(): number[] {
    return [this.qemu.pid, this.gdb.pid].filter((p): p is number => p !== undefined);
  }

  /** Ends gdb and QEMU (process groups); safe to call more than once. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.gdb.dispose();
      // The guest powers off at the end of a run; otherwise its group is killed.
      await this.qemu.waitExit(500);
      await this.qemu.kill();
      this.finalSerial = this.serialOutput();
      rmSync(this.workDir, { recursive: true, force: true });
    })();
    return this.disposed;
  }

  /** Whether every process this session started is gone. */
  allGone(): boolean {
    return this.pids().every(processGone);
  }
}

/** `"kl-live\000\000…"` or `"kl-live", '\000' <repeats 8 times>` → "kl-live". */
export function cString(v: string | undefined): string | undefined {
  const m = v === undefined ? null : /^"((?:[^"\\]|\\.)*)"/.exec(v);
  if (!m) return undefined;
  return m[1]!.replace(/\\000.*$/, '').replace(/\\(.)/g, '$1');
}

export interface RunResult {
  readonly stops: readonly Stop[];
  readonly exited: boolean;
  readonly serial: string;
  readonly droppedDuplicates: number;
  readonly timings: Timings & { runMs: number; totalMs: number };
  readonly pids: readonly number[];
}

/**
 * A whole run: start, continue after every stop (telling `onStop`), until the guest powers off,
 * `maxStops` is reached or `deadlineMs` passes; then dispose. Every wait is bounded.
 */
export async function runLive(
  options: LiveOptions & {
    readonly onStop?: (stop: Stop) => void;
    readonly maxStops?: number;
    readonly deadlineMs?: number;
  } = {},
): Promise<RunResult> {
  const t0 = Date.now();
  const session = await LiveSession.start(options);
  let exited = false;
  try {
    const runStart = Date.now();
    const deadline = t0 + (options.deadlineMs ?? 600_000);
    while (session.stops.length < (options.maxStops ?? 200)) {
      if (Date.now() > deadline)
        throw new GdbError(`the live run passed its deadline (${options.deadlineMs} ms)`);
      const step = await session.continue();
      if (step.kind === 'exited') {
        exited = true;
        break;
      }
      options.onStop?.(step.stop);
    }
    const runMs = Date.now() - runStart;
    await session.dispose();
    return {
      stops: session.stops,
      exited,
      serial: session.serialOutput(),
      droppedDuplicates: session.droppedDuplicates,
      timings: { ...session.timings, runMs, totalMs: Date.now() - t0 },
      pids: session.pids(),
    };
  } finally {
    await session.dispose();
  }
}
