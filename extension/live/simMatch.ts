/**
 * The fidelity check of issue 7: each real stop is matched to the simulated step that
 * predicted it (same function, same socket role), and a stop no step predicts is said so.
 * Pure: no I/O, no vscode; the simulator engine is pure too.
 *
 * Matching is per host and in order: a stop takes the first step of its role after the last
 * step that host matched, so the two sides may interleave differently in the real run and in
 * the model without that counting as a disagreement.
 */
import type { SimStep } from '../../webview/simulator/engine/index';
import type { RealDifferenceView } from '../protocol/simulatorWebview';
import type { Stop } from './stops';

/** Which side a stop belongs to: the server's process and sockets, or the client's. */
export type Role = 'server' | 'client';

/** The syscall a breakpoint function implements, as the simulator names the call. */
const SYSCALL_CALLS: Readonly<Record<string, string>> = {
  __sys_socket: 'socket',
  __sys_bind: 'bind',
  __sys_listen: 'listen',
  __sys_accept4: 'accept',
  __sys_connect: 'connect',
};

/** States only a server-side socket has on the way to ESTABLISHED, and only a client's. */
const SERVER_STATES: ReadonlySet<string> = new Set(['LISTEN', 'SYN_RECV', 'NEW_SYN_RECV']);
const CLIENT_STATES: ReadonlySet<string> = new Set(['SYN_SENT']);

/**
 * The role of each stop. A syscall's role is what it does: bind, listen and accept are the
 * server's, connect the client's, and socket() takes the role of the next of those its process
 * makes (one process may be both, as in the backlog mode). A TCP function's role is the state
 * of its socket (softirq runs in any task); sockets after the handshake (ESTABLISHED,
 * FIN_WAIT1, ...) exist on both sides: no role, and not compared.
 */
export function rolesOf(stops: readonly Stop[]): (Role | undefined)[] {
  const own = (s: Stop): Role | undefined => {
    const call = SYSCALL_CALLS[s.function];
    if (call === 'bind' || call === 'listen' || call === 'accept') return 'server';
    if (call === 'connect' || s.function === 'tcp_v4_connect') return 'client';
    if (s.socketState && SERVER_STATES.has(s.socketState)) return 'server';
    if (s.socketState && CLIENT_STATES.has(s.socketState)) return 'client';
    return undefined;
  };
  return stops.map((s, i) => {
    if (s.function !== '__sys_socket') return own(s);
    const next = stops
      .slice(i + 1)
      .find(
        (n) =>
          n.task.pid === s.task.pid && n.function in SYSCALL_CALLS && n.function !== '__sys_socket',
      );
    return next ? own(next) : undefined;
  });
}

export interface Agreement {
  readonly stop: Stop;
  readonly role: Role | undefined;
  /** The simulated step that predicted the stop; undefined when none did (or no role). */
  readonly step: SimStep | undefined;
}

function roleOfHost(host: string | undefined): Role | undefined {
  if (host?.startsWith('server')) return 'server';
  if (host?.startsWith('client')) return 'client';
  return undefined;
}

function onHost(step: SimStep, role: Role): boolean {
  return step.host === role || step.host.startsWith(role);
}

/**
 * The syscall steps where a call is made: not the later step where a call that blocked
 * returns (connect's `result: null`, then its `0` once the handshake is done), which no
 * breakpoint on the syscall's entry sees.
 */
export function syscallEntries(steps: readonly SimStep[]): Set<number> {
  const waiting = new Set<string>(); // "host call" of calls that blocked and have not returned
  const out = new Set<number>();
  for (const s of steps) {
    if (s.kind !== 'syscall' || !s.syscall) continue;
    const key = `${s.host} ${s.syscall.call}`;
    if (waiting.delete(key)) continue;
    out.add(s.index);
    if (s.syscall.result === null) waiting.add(key);
  }
  return out;
}

/**
 * Matches every real stop to the simulated step that predicted it. Syscalls and kernel
 * functions keep separate places per host, because the model records a blocking call's
 * syscall step after the kernel work it did (connect: state, SYN, then the syscall). One step
 * predicts several nested stops (tcp_rcv_state_process, then tcp_finish_connect below it in
 * the same stack): a stop may take the step of the previous match if its function is deeper in
 * that step's stack.
 */
export function matchToSimulation(stops: readonly Stop[], steps: readonly SimStep[]): Agreement[] {
  const roles = rolesOf(stops);
  const entries = syscallEntries(steps);
  const lastCall = new Map<string, number>(); // host → index of its last matched syscall step
  const lastFn = new Map<string, { index: number; depth: number }>(); // ... and function step
  return stops.map((stop, i) => {
    // A socket() whose process has made no other call yet (the newest stop of a run going
    // on): the side of the model's next socket() call.
    const role =
      roles[i] ??
      (stop.function === '__sys_socket'
        ? roleOfHost(
            steps.find(
              (s) =>
                s.syscall?.call === 'socket' &&
                entries.has(s.index) &&
                s.index > (lastCall.get(s.host) ?? -1),
            )?.host,
          )
        : undefined);
    if (!role) return { stop, role, step: undefined };
    const call = SYSCALL_CALLS[stop.function];
    let step: SimStep | undefined;
    if (call) {
      step = steps.find(
        (s) =>
          onHost(s, role) &&
          s.index > (lastCall.get(s.host) ?? -1) &&
          s.syscall?.call === call &&
          entries.has(s.index),
      );
      if (step) lastCall.set(step.host, step.index);
    } else {
      // A step that changes this very state is the best witness; any step whose stack runs
      // the function comes next (a send in the middle of the handling, say).
      const fits = (s: SimStep, sameState: boolean): number => {
        if (!onHost(s, role)) return -1;
        if (sameState && s.state?.from !== stop.socketState) return -1;
        const depth = s.stack.findIndex((f) => f.function === stop.function);
        const last = lastFn.get(s.host);
        const before =
          last && (s.index < last.index || (s.index === last.index && depth <= last.depth));
        return depth < 0 || before ? -1 : depth;
      };
      step =
        (stop.socketState ? steps.find((s) => fits(s, true) >= 0) : undefined) ??
        steps.find((s) => fits(s, false) >= 0);
      if (step) lastFn.set(step.host, { index: step.index, depth: fits(step, false) });
    }
    return { stop, role, step };
  });
}

/**
 * The simulator scenario that models each mode of the test program. The backlog mode's one
 * process plays the server and three clients against a backlog of 1; accept-overflow has
 * client hosts of its own (client, client2, ...) and its own counts, so the comparison of
 * that mode says where the two differ rather than expecting them to agree.
 */
export const SCENARIO_OF_MODE: Readonly<Record<string, string | undefined>> = {
  handshake: 'normal',
  refused: 'refused',
  backlog: 'accept-overflow',
};

// --- where they disagree

/**
 * Why a compared stop and the simulation disagree: no step of the stop's side predicts it
 * (`elsewhere`: a step of the other side runs it), the socket state at the stop and the one
 * the matched step leaves, the segment's flags ("SYN,ACK") and those of the segment the step
 * handles, or steps of the same host that run a breakpoint function, passed over without a
 * stop. The simulator page shows these as they are (extension/protocol/simulatorWebview.ts).
 */
export type Difference = RealDifferenceView;

export interface Comparison extends Agreement {
  /** Empty when the stop was predicted and nothing differs (or it was not compared). */
  readonly differences: readonly Difference[];
}

/** tcpdump's letters ("S.", "R.", "F.") as the stops name flags ("SYN,ACK"), in tcpFlags' order. */
export function flagNames(letters: string): string {
  const names: [string, string][] = [
    ['S', 'SYN'],
    ['F', 'FIN'],
    ['R', 'RST'],
    ['P', 'PSH'],
    ['.', 'ACK'],
    ['U', 'URG'],
    ['E', 'ECE'],
    ['W', 'CWR'],
  ];
  return names
    .filter(([l]) => letters.includes(l))
    .map(([, n]) => n)
    .join(',');
}

/**
 * For each step, the breakpoint functions it enters: those in its stack that the previous
 * step of the same host was not already in (same callers up to that frame). A step that goes
 * on with the work of the one before (the SYN-ACK sent from inside the SYN's handling) enters
 * nothing new.
 */
export function functionEntries(
  steps: readonly SimStep[],
  functions: readonly string[],
): Map<number, string[]> {
  const wanted = new Set(functions);
  const previous = new Map<string, readonly string[]>(); // host → function names of its last step
  const out = new Map<number, string[]>();
  for (const s of steps) {
    const names = s.stack.map((f) => f.function);
    const before = previous.get(s.host) ?? [];
    previous.set(s.host, names);
    if (s.kind === 'syscall') continue; // syscalls are compared by call, not by stack
    const entered: string[] = [];
    names.forEach((fn, depth) => {
      if (!wanted.has(fn) || entered.includes(fn) || names.indexOf(fn) !== depth) return;
      const same = names.slice(0, depth + 1).every((n, k) => before[k] === n);
      if (!same) entered.push(fn);
    });
    if (entered.length) out.set(s.index, entered);
  }
  return out;
}

/**
 * The step where the call of `fn` that `step` runs in began: the earliest of the steps of its
 * host just before it whose stacks have the same callers up to `fn`.
 */
export function callStart(steps: readonly SimStep[], step: SimStep, fn: string): number {
  const names = step.stack.map((f) => f.function);
  const depth = names.indexOf(fn);
  if (depth < 0) return step.index;
  const prefix = names.slice(0, depth + 1);
  let start = step.index;
  for (const s of steps.filter((x) => x.host === step.host && x.index < step.index).reverse()) {
    if (!prefix.every((p, k) => s.stack[k]?.function === p)) break;
    start = s.index;
  }
  return start;
}

/**
 * matchToSimulation, and for each compared stop what differs: no predicting step (and whether
 * the other side's steps run the function), the socket state, the segment's flags, and the
 * steps of that host the real kernel went past without stopping although they run one of
 * `functions` (the run's breakpoints). Syscalls and kernel functions are followed apart, as
 * the matching does.
 */
export function compareToSimulation(
  stops: readonly Stop[],
  steps: readonly SimStep[],
  functions: readonly string[],
): Comparison[] {
  const agreements = matchToSimulation(stops, steps);
  const calls = syscallEntries(steps);
  const breakCalls = new Set(functions.map((f) => SYSCALL_CALLS[f]).filter((c) => c));
  const entered = functionEntries(
    steps,
    functions.filter((f) => !(f in SYSCALL_CALLS)),
  );
  const matched = new Set<number>();
  const lastCall = new Map<string, number>();
  const lastFn = new Map<string, number>();
  return agreements.map((a) => {
    const { stop, role, step } = a;
    if (!role) return { ...a, differences: [] };
    if (!step) {
      const other: Role = role === 'server' ? 'client' : 'server';
      const call = SYSCALL_CALLS[stop.function];
      const there = steps.find(
        (s) =>
          onHost(s, other) &&
          (call
            ? s.syscall?.call === call && calls.has(s.index)
            : s.stack.some((f) => f.function === stop.function)),
      );
      return {
        ...a,
        differences: [
          {
            kind: 'unpredicted',
            ...(there ? { elsewhere: { role: other, step: there.index } } : {}),
          },
        ],
      };
    }
    const differences: Difference[] = [];
    if (stop.socketState && step.state && step.state.from !== stop.socketState)
      differences.push({ kind: 'state', real: stop.socketState, simulated: step.state.from });
    if (stop.segment) {
      const delivered = steps
        .slice(0, step.index + 1)
        .reverse()
        .find((s) => s.host === step.host && s.kind === 'deliver' && s.segment);
      const simulated = delivered?.segment ? flagNames(delivered.segment.flags) : undefined;
      if (simulated !== undefined && simulated !== stop.segment)
        differences.push({ kind: 'segment', real: stop.segment, simulated });
    }
    const isCall = stop.function in SYSCALL_CALLS;
    const last = (isCall ? lastCall : lastFn).get(step.host) ?? -1;
    // The step where the call the stop is in began (a step may go on with the previous one's
    // call: the reset's handling, then the state it leaves), which is then no step passed by.
    if (!isCall) matched.add(callStart(steps, step, stop.function));
    const skipped = steps
      .filter(
        (s) =>
          s.host === step.host &&
          s.index > last &&
          s.index < step.index &&
          !matched.has(s.index) &&
          (isCall
            ? calls.has(s.index) && breakCalls.has(s.syscall?.call ?? '')
            : entered.has(s.index)),
      )
      .map((s) => s.index);
    if (skipped.length) differences.push({ kind: 'skipped', steps: skipped });
    matched.add(step.index);
    (isCall ? lastCall : lastFn).set(step.host, Math.max(last, step.index));
    return { ...a, differences };
  });
}

/** One line: "= step 11 server state (tcp_rcv_state_process)" or "≠ no server step …". */
export function describeAgreement(a: Agreement): string {
  if (!a.role) return '  not compared (after the handshake both sides have such sockets)';
  if (a.step) {
    const what = a.step.syscall ? `${a.step.kind} ${a.step.syscall.call}` : a.step.kind;
    return `= step ${a.step.index} (${a.step.host} ${what})`;
  }
  return `≠ no ${a.role} step of the simulation runs ${a.stop.function} here`;
}
