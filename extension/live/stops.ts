/**
 * What a live run stops on and what a stop is: the breakpoint plan, the typed stop built from
 * gdb's records, the filter for the duplicate stops QEMU reports, and the check of an observed
 * sequence of stops against an expected order per process. Pure: no I/O, no vscode.
 */
import { int, list, str, tuple, type MiTuple, type MiValue } from './mi';

// --- the breakpoint plan

export interface BreakpointSpec {
  /** The function, as the user and the stops name it. */
  readonly function: string;
  /** What gdb is given: "__sys_socket", or "*tcp_v4_conn_request" for the entry address. */
  readonly location: string;
  /** Stop only when the current task's comm is the test program's (syscalls only). */
  readonly filterByComm: boolean;
  /** Read `sk`'s TCP state at the stop (functions that take a `struct sock *sk`). */
  readonly readsSocket: boolean;
  /** Read the TCP flags of `skb`'s segment (functions that take the received `skb`). */
  readonly readsSegment: boolean;
}

/** The five syscalls' kernel entry points: busybox's `ip` calls some of them during boot. */
export const SYSCALL_FUNCTIONS = [
  '__sys_socket',
  '__sys_bind',
  '__sys_listen',
  '__sys_accept4',
  '__sys_connect',
] as const;

/**
 * The handshake. These run in whichever task sent the segment (or ksoftirqd), so they are not
 * filtered by task; on a guest with only loopback, every TCP segment is the program's.
 */
export const HANDSHAKE_FUNCTIONS = [
  'tcp_v4_connect',
  'tcp_rcv_state_process',
  'tcp_v4_conn_request',
  'tcp_finish_connect',
] as const;

/** Handshake functions that take the received segment as `struct sk_buff *skb`. */
const SEGMENT_FUNCTIONS: ReadonlySet<string> = new Set([
  'tcp_rcv_state_process',
  'tcp_v4_conn_request',
  'tcp_finish_connect',
]);

/**
 * gcc emits two locations for tcp_v4_conn_request in Debian's 6.1 build (the function and a
 * partial-inlining clone), so a plain breakpoint stops twice per SYN; the entry address stops
 * once (../shared/docs/live-kernel.md, "Quirks seen").
 */
const BY_ADDRESS: ReadonlySet<string> = new Set(['tcp_v4_conn_request']);

export function breakpointPlan(
  functions: readonly string[] = defaultFunctions(),
): BreakpointSpec[] {
  const syscalls: ReadonlySet<string> = new Set(SYSCALL_FUNCTIONS);
  return functions.map((fn) => ({
    function: fn,
    location: BY_ADDRESS.has(fn) ? `*${fn}` : fn,
    filterByComm: syscalls.has(fn),
    readsSocket: fn.startsWith('tcp_'),
    readsSegment: SEGMENT_FUNCTIONS.has(fn),
  }));
}

export function defaultFunctions(): string[] {
  return [...SYSCALL_FUNCTIONS, ...HANDSHAKE_FUNCTIONS];
}

/** The current task on x86-64: the per-CPU `current_task`, read through the GS base. */
export const CURRENT_TASK =
  '((struct task_struct *)*(unsigned long *)($gs_base + (unsigned long)&current_task))';

/** gdb condition: the current task's comm is `comm` (at most 15 characters, as the kernel keeps it). */
export function commCondition(comm: string): string {
  if (!/^[\w.-]{1,15}$/.test(comm))
    throw new Error(`not a usable task name: ${JSON.stringify(comm)}`);
  return `$_streq(${CURRENT_TASK}->comm, "${comm}")`;
}

/**
 * The flags byte of the TCP header (byte 13: CWR ECE URG ACK PSH RST SYN FIN, high bit first)
 * of `skb`'s segment, read through the header offset the IP layer set.
 */
export const SEGMENT_FLAGS_EXPRESSION =
  '(int)*((unsigned char *)skb->head + skb->transport_header + 13)';

/** "SYN", "SYN,ACK", "RST,ACK", ... from the flags byte. */
export function tcpFlags(byte: number): string {
  const names: [number, string][] = [
    [0x02, 'SYN'],
    [0x01, 'FIN'],
    [0x04, 'RST'],
    [0x08, 'PSH'],
    [0x10, 'ACK'],
    [0x20, 'URG'],
    [0x40, 'ECE'],
    [0x80, 'CWR'],
  ];
  return names
    .filter(([bit]) => byte & bit)
    .map(([, name]) => name)
    .join(',');
}

// --- stops

export interface Frame {
  readonly level: number;
  readonly func: string; // e.g. "__sys_connect"
  readonly addr: string; // e.g. "0xffffffff81a2c4e0"
  readonly file?: string; // as the debug info names it, e.g. "net/socket.c"
  readonly fullname?: string; // after substitute-path, e.g. "/root/.cache/.../net/socket.c"
  readonly line?: number;
}

/** TCP states as include/net/tcp_states.h numbers them. */
export const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
] as const;

export interface Stop {
  /** 0-based order among the stops kept. */
  readonly seq: number;
  /** The breakpoint's function (the planned name, not gdb's, which may be a clone's). */
  readonly function: string;
  readonly breakpoint: number;
  readonly frame: Frame;
  /** Innermost first. */
  readonly backtrace: readonly Frame[];
  readonly task: { readonly pid: number; readonly comm: string };
  /** `sk->sk_state` when the function takes a socket and it could be read. */
  readonly socketState?: string;
  /** The TCP flags of the segment being processed, e.g. "SYN,ACK", when it could be read. */
  readonly segment?: string;
  readonly pc: string;
  readonly sp: string;
  /** Milliseconds from the continue to the stop. */
  readonly ms: number;
}

export function frameFromMi(v: MiValue | undefined): Frame | undefined {
  const t = tuple(v);
  if (!t) return undefined;
  const file = str(t['file']);
  const fullname = str(t['fullname']);
  const line = int(t['line']);
  return {
    level: int(t['level']) ?? 0,
    func: str(t['func']) ?? '??',
    addr: str(t['addr']) ?? '',
    ...(file !== undefined ? { file } : {}),
    ...(fullname !== undefined ? { fullname } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}

/** The frames of a `-stack-list-frames` answer. */
export function framesFromMi(results: MiTuple): Frame[] {
  return (list(results['stack']) ?? []).map(frameFromMi).filter((f): f is Frame => f !== undefined);
}

/** What a `*stopped` record says, before the stop is enriched with task and stack. */
export type StopReason =
  | { readonly kind: 'breakpoint'; readonly breakpoint: number; readonly frame: Frame }
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string; readonly frame?: Frame }
  | { readonly kind: 'other'; readonly reason: string; readonly frame?: Frame };

export function stopReason(results: MiTuple): StopReason {
  const reason = str(results['reason']) ?? '';
  const frame = frameFromMi(results['frame']);
  switch (reason) {
    case 'breakpoint-hit':
      if (frame) return { kind: 'breakpoint', breakpoint: int(results['bkptno']) ?? -1, frame };
      break;
    case 'exited-normally':
      return { kind: 'exited', code: 0 };
    case 'exited':
      return { kind: 'exited', code: parseInt(str(results['exit-code']) ?? '0', 8) };
    case 'signal-received':
      return {
        kind: 'signal',
        signal: str(results['signal-name']) ?? '?',
        ...(frame ? { frame } : {}),
      };
  }
  return { kind: 'other', reason: reason || 'unknown', ...(frame ? { frame } : {}) };
}

// --- duplicate stops

/**
 * QEMU's gdb stub sometimes reports one breakpoint hit twice, a few ms apart, with identical
 * registers (about 1 run in 6 on these machines). A repeat is a stop right after another at the
 * same breakpoint with the same pc, sp and argument registers: a real second call from the same
 * stack depth (two segments in a row through the same path) differs in its arguments.
 */
export interface StopKey {
  readonly breakpoint: number;
  readonly pc: string;
  readonly sp: string;
  readonly args: string; // e.g. "$rdi $rsi" values joined
}

export class DuplicateStopFilter {
  private last: StopKey | undefined;
  dropped = 0;

  /** True when the stop repeats the one just before it and must be ignored. */
  isDuplicate(key: StopKey): boolean {
    const prev = this.last;
    this.last = key;
    const same =
      prev !== undefined &&
      prev.breakpoint === key.breakpoint &&
      prev.pc === key.pc &&
      prev.sp === key.sp &&
      prev.args === key.args;
    if (same) this.dropped++;
    return same;
  }

  /** Forget the previous stop (after a step, the next stop is new whatever its registers). */
  reset(): void {
    this.last = undefined;
  }
}

// --- matching an observed run against an expected order

/** One expected stop: a function, optionally with the socket state it must see. */
export interface ExpectedStop {
  readonly function: string;
  readonly socketState?: string;
  readonly segment?: string;
  /** A label for messages, e.g. "server socket". */
  readonly label: string;
}

export interface OrderResult {
  /** For each expected stop, the observed stop matched to it, or undefined. */
  readonly matched: readonly (Stop | undefined)[];
  /** Human-readable problems; empty when the order holds. */
  readonly problems: readonly string[];
}

function fits(stop: Stop, want: ExpectedStop): boolean {
  return (
    stop.function === want.function &&
    (want.socketState === undefined || stop.socketState === want.socketState) &&
    (want.segment === undefined || stop.segment === want.segment)
  );
}

/**
 * Checks that `expected` occurs in `stops` as a subsequence (other stops may come between:
 * the other process's, teardown), matching each expected stop to the earliest fitting stop
 * after the previous match.
 */
export function checkOrder(stops: readonly Stop[], expected: readonly ExpectedStop[]): OrderResult {
  const matched: (Stop | undefined)[] = [];
  const problems: string[] = [];
  let from = 0;
  for (const want of expected) {
    const i = stops.findIndex((s, k) => k >= from && fits(s, want));
    if (i < 0) {
      const anywhere = stops.find((s) => fits(s, want));
      problems.push(
        anywhere
          ? `${want.label} (${want.function}) came too early: stop #${anywhere.seq}, before what precedes it`
          : `${want.label} (${want.function}${want.socketState ? ` in ${want.socketState}` : ''}${want.segment ? ` on ${want.segment}` : ''}) never stopped`,
      );
      matched.push(undefined);
      continue;
    }
    matched.push(stops[i]);
    from = i + 1;
  }
  return { matched, problems };
}

/** The stops of one task, in order. */
export function stopsOfTask(stops: readonly Stop[], pid: number): Stop[] {
  return stops.filter((s) => s.task.pid === pid);
}

/** One line per stop: "#3 __sys_listen net/socket.c:1876 [kl-live 52]". */
export function describeStop(stop: Stop): string {
  const where = stop.frame.file ? `${stop.frame.file}:${stop.frame.line ?? '?'}` : stop.frame.addr;
  const state = stop.socketState ? ` sk=${stop.socketState}` : '';
  const segment = stop.segment ? ` seg=${stop.segment}` : '';
  return `#${stop.seq} ${stop.function} ${where} [${stop.task.comm} ${stop.task.pid}]${state}${segment}`;
}
