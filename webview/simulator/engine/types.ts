/**
 * The engine's result types: what a run produces, step by step, before any code reference is
 * resolved to a file and line. The printed form is in output.ts.
 */
import type { KernelVersion } from './versionRules';
import type { SegmentJson, StateJson, StepKind, SyscallJson } from './output';
import type { CodePoint } from './codePoints';

/** One frame of a step's kernel call stack: a named code point (see codePoints.ts). */
export interface CodeRef {
  point: CodePoint; // e.g. "tcp_conn_request.acceptq_full"
  function: string; // e.g. "tcp_conn_request"
}

/** The words of a step's explanation: a key into explanations.<lang>.json and its values. */
export interface Explanation {
  key: string; // e.g. "syn.dropped.acceptq_full"
  args: Record<string, string | number>;
}

export interface SimStep {
  index: number;
  t: number; // virtual milliseconds since the start
  host: string;
  kind: StepKind;
  syscall?: SyscallJson;
  segment?: SegmentJson;
  state?: StateJson;
  timer?: string;
  rule?: string;
  stack: CodeRef[];
  explain: Explanation;
}

/** What one socket looks like after a step: enough for a view to draw hosts and queues. */
export interface SocketView {
  id: number;
  host: string;
  name: string; // same naming as StateJson.socket
  kind: 'socket' | 'request' | 'timewait';
  state: string;
  fd?: number;
  /** For listeners. */
  backlog?: number; // sk_max_ack_backlog after the somaxconn clamp
  acceptQueue?: string[]; // names of the children waiting for accept(), oldest first
  synQueue?: string[]; // names of the request socks (NEW_SYN_RECV)
  /** Sequence state (absent for listeners). */
  sndUna?: number;
  sndNxt?: number;
  rcvNxt?: number;
  /** Bytes received and not yet read. */
  recvQueue?: number;
  /** Error pending in sk_err, e.g. "ECONNREFUSED". */
  error?: string;
  /** Timers that are armed: name and virtual time of expiry. */
  timers: { name: string; at: number }[];
}

export interface ProgramView {
  host: string;
  /** Index of the next operation of the host's program; equal to its length when done. */
  pc: number;
  /** The call the program waits in, e.g. "accept(fd=3)". */
  blockedIn?: string;
  done: boolean;
}

/** The world after a step: a view steps backwards by showing an earlier snapshot. */
export interface WorldSnapshot {
  t: number;
  sockets: SocketView[];
  programs: ProgramView[];
  /** Segments in flight on the link: src, dst, flags, arrival time. */
  inFlight: { src: string; dst: string; flags: string; at: number }[];
}

export interface SimResult {
  scenario: string;
  version: KernelVersion;
  seed: number;
  params: Record<string, number | string>;
  steps: SimStep[];
  /** snapshots[i] is the world right after steps[i]. */
  snapshots: WorldSnapshot[];
  /** Why the run stopped: every program finished and no timer is armed, or the horizon. */
  end: { t: number; reason: 'quiet' | 'horizon'; blocked: string[] };
}
