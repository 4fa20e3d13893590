/**
 * The JSON a run prints (`kernel-lens sim <scenario> --json`): the contract with scripts,
 * notably the conformance tier that compares a run with tcpdump captures of the real kernel.
 *
 * The shape is the one issue 5 fixes:
 *   {scenario, kernel: {version}, params, steps: [{t_ms, host, kind, syscall?, segment?,
 *    state?, stack: [{function, file, line}]}]}
 * Fields beyond it are optional additions, named below, that a strict reader may ignore.
 */
import type { SimResult, SimStep, CodeRef } from './types';

/** One whole run. */
export interface SimRunJson {
  scenario: string; // e.g. "accept-overflow"
  kernel: {
    version: string; // the version whose rules the model followed, e.g. "6.12"
    /** The tree the stack lines were resolved in (absolute path), when one was used. */
    tree?: string;
  };
  /** Every parameter with the value the run used, set or default: {"backlog": 1, ...}. */
  params: Record<string, number | string>;
  seed: number; // addition: the seed that fixed ISNs, ports and timestamp offsets
  steps: SimStepJson[];
}

export type StepKind = 'syscall' | 'send' | 'deliver' | 'drop' | 'state' | 'timer';

export interface SimStepJson {
  t_ms: number; // virtual time since the scenario started, e.g. 1000
  host: string; // "client", "server", "client2", ...
  kind: StepKind;
  syscall?: SyscallJson;
  segment?: SegmentJson;
  state?: StateJson;
  /** Addition, for kind "timer": which kernel timer fired, e.g. "retransmit" or "synack". */
  timer?: string;
  /** Addition: the version rule the model applied at this step, e.g. "syn_linear_timeouts". */
  rule?: string;
  /** Outermost caller first; the last frame is the line that runs. */
  stack: StackFrameJson[];
  /** Addition: a one-line English explanation of the step. */
  text?: string;
}

export interface SyscallJson {
  call: string; // the system call's name: "connect", "accept", "recv", ...
  /**
   * What the call returned: 0, a file descriptor, a byte count, poll's count; -1 with errno
   * set on failure; null on the step where a blocking call starts to wait (its return is a
   * later step with the same call and a result).
   */
  result: number | null;
  errno?: string; // "ECONNREFUSED", "EINPROGRESS", ...
  /** Addition: the arguments as a C programmer writes them, e.g. "fd=3, server:8080". */
  args?: string;
  /** Addition, for poll: the returned events, e.g. "POLLOUT|POLLWRNORM". */
  revents?: string;
  /** Addition, for getsockopt(SO_ERROR): the error read, "0" when none. */
  value?: string;
}

export interface SegmentJson {
  src: string; // "client:40000"
  dst: string; // "server:8080"
  flags: string; // as tcpdump prints them: "S", "S.", ".", "P.", "F.", "R", "R."
  seq: number; // absolute sequence number (tcpdump -S)
  ack: number; // the header's acknowledgment field (0 when the ACK flag is clear)
  len: number; // payload bytes
  win: number; // the header's window field, unscaled, as tcpdump prints it
  options: string[]; // as tcpdump prints them: ["mss 65495", "sackOK", "TS val 1 ecr 0", "nop", "wscale 7"]
  /** Addition: the header fields tcpdump -v shows, and the header bytes. */
  header?: {
    doff: number; // data offset in 32-bit words, e.g. 10
    checksum: string; // "0x1c2d", over the IPv4 pseudo-header, header and payload
    urg: number; // urgent pointer
    src_ip: string;
    dst_ip: string;
    hex: string; // the TCP header with options, as transmitted
  };
  /** Addition: sequence numbers relative to each side's ISN, as tcpdump prints them by default. */
  rel_seq?: number;
  rel_ack?: number;
}

export interface StateJson {
  socket: string; // "client:40000>server:8080", "server:8080" (listener), "server:8080<client:40000" (request)
  from: string; // kernel state names: "CLOSE", "SYN_SENT", "NEW_SYN_RECV", "ESTABLISHED", ...
  to: string;
}

export interface StackFrameJson {
  function: string; // "tcp_conn_request"
  file: string; // relative to the tree root: "net/ipv4/tcp_input.c"; "" when it did not resolve
  line: number; // 1-based; 0 when it did not resolve
  /** Addition: why the anchor did not resolve (the run still prints, the frame says so). */
  unresolved?: string;
}

/** Where one code reference lands in the open tree; a miss carries its reason. */
/** `function` differs from the reference's where the code moved (an anchor variant). */
export type FrameResolution =
  { file: string; line: number; function?: string } | { reason: string };

/**
 * Converts an engine result to the printed JSON. `resolve` maps each code reference to
 * file:line in the open tree (the host side does that through the core index).
 */
export function toSimJson(
  result: SimResult,
  resolve: (ref: CodeRef) => FrameResolution,
  describe: (step: SimStep) => string | undefined,
  tree?: string,
): SimRunJson {
  const cache = new Map<string, FrameResolution>();
  const frame = (ref: CodeRef): StackFrameJson => {
    let hit = cache.get(ref.point);
    if (!hit) {
      hit = resolve(ref);
      cache.set(ref.point, hit);
    }
    return 'reason' in hit
      ? { function: ref.function, file: '', line: 0, unresolved: hit.reason }
      : { function: hit.function ?? ref.function, file: hit.file, line: hit.line };
  };
  return {
    scenario: result.scenario,
    kernel:
      tree === undefined
        ? { version: result.version.text }
        : { version: result.version.text, tree },
    params: { ...result.params },
    seed: result.seed,
    steps: result.steps.map((step) => {
      const out: SimStepJson = {
        t_ms: step.t,
        host: step.host,
        kind: step.kind,
        stack: step.stack.map(frame),
      };
      if (step.syscall) out.syscall = { ...step.syscall };
      if (step.segment) out.segment = { ...step.segment };
      if (step.state) out.state = { ...step.state };
      if (step.timer) out.timer = step.timer;
      if (step.rule) out.rule = step.rule;
      const text = describe(step);
      if (text !== undefined) out.text = text;
      return out;
    }),
  };
}
