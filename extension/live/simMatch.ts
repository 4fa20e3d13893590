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

function onHost(step: SimStep, role: Role): boolean {
  return step.host === role || step.host.startsWith(role);
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
  const lastCall = new Map<string, number>(); // host → index of its last matched syscall step
  const lastFn = new Map<string, { index: number; depth: number }>(); // ... and function step
  return stops.map((stop, i) => {
    const role = roles[i];
    if (!role) return { stop, role, step: undefined };
    const call = SYSCALL_CALLS[stop.function];
    let step: SimStep | undefined;
    if (call) {
      step = steps.find(
        (s) =>
          onHost(s, role) &&
          s.index > (lastCall.get(s.host) ?? -1) &&
          s.kind === 'syscall' &&
          s.syscall?.call === call,
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
 * The simulator scenario that models each mode of the test program. The backlog mode has none:
 * its one process opens three client sockets, where accept-overflow has three client hosts,
 * and without telling the real sockets apart the per-host order cannot be checked.
 */
export const SCENARIO_OF_MODE: Readonly<Record<string, string | undefined>> = {
  handshake: 'normal',
  refused: 'refused',
};

/** One line: "= step 11 server state (tcp_rcv_state_process)" or "≠ no server step …". */
export function describeAgreement(a: Agreement): string {
  if (!a.role) return '  not compared (after the handshake both sides have such sockets)';
  if (a.step) {
    const what = a.step.syscall ? `${a.step.kind} ${a.step.syscall.call}` : a.step.kind;
    return `= step ${a.step.index} (${a.step.host} ${what})`;
  }
  return `≠ no ${a.role} step of the simulation runs ${a.stop.function} here`;
}
