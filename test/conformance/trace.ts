// The normalized trace both sides of the conformance comparison are turned into: the real
// kernel's (a capture plus the programs' output) and the simulator's (`kernel-lens sim --json`).
// Normalizing both through the same functions is what makes them comparable: host names
// instead of addresses, sequence numbers relative to each side's ISN, options in tcpdump's
// words, connections keyed by the pair of hosts and their order, not by ephemeral ports.

// --- the simulator's JSON (mirrors the `sim --json` shape given in issue 5)

/** `kernel-lens sim <scenario> --json` output. */
export interface SimOutput {
  scenario: string; // e.g. "normal"
  kernel: { version: string }; // e.g. "6.18.44"
  params: Record<string, number | string | boolean>;
  steps: SimStep[];
}

export interface SimStep {
  t_ms: number;
  host: string; // e.g. "client", "server", "client2"
  kind: 'syscall' | 'send' | 'deliver' | 'drop' | 'state' | 'timer';
  /** `result` is null on the step where a blocking call starts to wait; its return is a
   * later step of the same call. */
  syscall?: {
    call: string;
    result: number | null;
    errno?: string;
    value?: string;
    revents?: string;
  };
  segment?: {
    src: string; // "client:40000"
    dst: string; // "server:8080"
    flags: string; // "S.", as tcpdump writes it
    seq: number;
    ack: number;
    len: number;
    win: number;
    options: unknown; // normalized by canonicalOptions
  };
  state?: { socket: string; from: string; to: string };
  stack?: unknown[];
}

// --- the normalized trace

/** One segment of one connection, as its sender sent it. */
export interface Segment {
  tMs: number; // since the scenario's time zero
  from: string; // host name, e.g. "client"
  to: string;
  flags: string; // tcpdump notation
  seq: number; // relative to the sender's ISN (absolute when the sender sent no SYN)
  ack: number; // relative to the receiver's ISN; 0 without the ACK flag
  len: number;
  win: number; // raw header field
  options: string[]; // canonical, e.g. ["mss 1460", "sackOK", "TS", "wscale 7"]
}

/** The segments exchanged between two hosts' sockets, one 4-tuple. */
export interface Connection {
  /** "<host>~<host>#<n>": the two hosts sorted, n counts their connections by first segment. */
  key: string;
  segments: Segment[];
}

/** One system call's outcome. */
export interface Call {
  tMs: number; // when it returned
  host: string;
  call: string; // "connect", "accept", "getsockopt", ...
  result: number;
  errno?: string; // "ECONNREFUSED" when result < 0
  value?: string; // getsockopt(SO_ERROR)'s pending error, "0" when none
}

/** A socket that still exists at the end of the scenario. */
export interface FinalState {
  host: string;
  state: string; // canonical, e.g. "ESTABLISHED", "SYN_RECV", "TIME_WAIT"
}

export interface Trace {
  scenario: string;
  source: 'real' | 'sim';
  kernel: string;
  params: Record<string, number>;
  connections: Connection[];
  calls: Call[];
  /** Sockets alive at the end, per host; undefined when the source could not tell. */
  finalStates?: FinalState[];
}

// --- shared normalization

/** A segment before normalization: absolute numbers, endpoints as host + port. */
export interface RawSegment {
  tMs: number;
  srcHost: string;
  srcPort: number;
  dstHost: string;
  dstPort: number;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  options: string[];
}

/** Groups segments into connections and makes seq/ack relative to each side's ISN. */
export function buildConnections(raw: readonly RawSegment[]): Connection[] {
  const sorted = [...raw].sort((a, b) => a.tMs - b.tMs);
  interface Building {
    hosts: string;
    first: number;
    isn: Map<string, number>; // sender endpoint -> ISN
    segs: RawSegment[];
  }
  const byTuple = new Map<string, Building>();
  for (const s of sorted) {
    const a = `${s.srcHost}:${s.srcPort}`;
    const b = `${s.dstHost}:${s.dstPort}`;
    const tuple = a < b ? `${a}|${b}` : `${b}|${a}`;
    let c = byTuple.get(tuple);
    if (!c) {
      const hosts = [s.srcHost, s.dstHost].sort().join('~');
      c = { hosts, first: s.tMs, isn: new Map(), segs: [] };
      byTuple.set(tuple, c);
    }
    // The first SYN an endpoint sends fixes its ISN; retransmissions repeat it.
    if (s.flags.includes('S') && !c.isn.has(a)) {
      c.isn.set(a, s.seq);
    }
    c.segs.push(s);
  }

  const ordinal = new Map<string, number>();
  const out: Connection[] = [];
  for (const c of [...byTuple.values()].sort((x, y) => x.first - y.first)) {
    const n = (ordinal.get(c.hosts) ?? 0) + 1;
    ordinal.set(c.hosts, n);
    out.push({
      key: `${c.hosts}#${n}`,
      segments: c.segs.map((s) => {
        const srcIsn = c.isn.get(`${s.srcHost}:${s.srcPort}`);
        const dstIsn = c.isn.get(`${s.dstHost}:${s.dstPort}`);
        const hasAck = s.flags.includes('.');
        return {
          tMs: s.tMs,
          from: s.srcHost,
          to: s.dstHost,
          flags: s.flags,
          seq: srcIsn === undefined ? s.seq : (s.seq - srcIsn) >>> 0,
          ack: !hasAck ? 0 : dstIsn === undefined ? s.ack : (s.ack - dstIsn) >>> 0,
          len: s.len,
          win: s.win,
          options: s.options,
        };
      }),
    });
  }
  return out;
}

/**
 * Options in one canonical form: tcpdump's names, with the values that are not random (MSS,
 * window scale), NOP and EOL padding where it is, TS without its (randomly offset) values.
 * Accepts the forms a simulator may reasonably emit: tcpdump-like strings ("mss 1460",
 * "TS val 1 ecr 0"), objects with a kind/type/name, or one object keyed by option name.
 */
export function canonicalOptions(options: unknown): string[] {
  const out: string[] = [];
  const add = (name: string, value: unknown): void => {
    const n = name.toLowerCase().replace(/[^a-z]/g, '');
    if (n === 'mss' || n === 'maxseg' || n === 'maxsegsize') {
      out.push(`mss ${Number(value)}`);
    } else if (n === 'sackok' || n === 'sackpermitted' || n === 'sackperm') {
      if (value !== false) out.push('sackOK');
    } else if (n === 'ts' || n === 'timestamp' || n === 'timestamps') {
      if (value !== false) out.push('TS');
    } else if (n === 'wscale' || n === 'windowscale' || n === 'ws') {
      out.push(`wscale ${Number(value)}`);
    } else if (n === 'sack' || n === 'sackblocks') {
      // SACK blocks (a D-SACK in simultaneous open): the kind only, blocks are ISN-based.
      out.push('sack');
    } else if (n === 'nop' || n === 'eol') {
      // Kept: where Linux pads (mss, nop, nop, TS... without SACK) is part of its header.
      out.push(n);
    } else {
      out.push(value === undefined || value === true ? name : `${name} ${String(value)}`);
    }
  };
  if (Array.isArray(options)) {
    for (const o of options) {
      if (typeof o === 'string') {
        const [name = '', value] = o.trim().split(/\s+/);
        add(name, value);
      } else if (o && typeof o === 'object') {
        const r = o as Record<string, unknown>;
        const name = String(r['kind'] ?? r['type'] ?? r['name'] ?? '');
        add(name, r['value'] ?? r['val'] ?? true);
      }
    }
  } else if (options && typeof options === 'object') {
    for (const [name, value] of Object.entries(options as Record<string, unknown>)) {
      add(name, typeof value === 'object' && value !== null ? true : value);
    }
  }
  return out;
}

/** Socket state names from ss ("ESTAB", "SYN-RECV"), the kernel (TCP_FIN_WAIT1) or a model
 * ("FIN-WAIT-1", "Established") in the kernel's spelling without the TCP_ prefix. */
export function canonicalState(name: string): string {
  const k = name
    .toUpperCase()
    .replace(/^TCP_/, '')
    .replace(/[^A-Z0-9]/g, '');
  const aliases: Record<string, string> = {
    ESTAB: 'ESTABLISHED',
    ESTABLISHED: 'ESTABLISHED',
    SYNSENT: 'SYN_SENT',
    SYNRECV: 'SYN_RECV',
    SYNRECEIVED: 'SYN_RECV',
    NEWSYNRECV: 'SYN_RECV', // ss shows request socks as SYN-RECV too
    FINWAIT1: 'FIN_WAIT1',
    FINWAIT2: 'FIN_WAIT2',
    TIMEWAIT: 'TIME_WAIT',
    CLOSEWAIT: 'CLOSE_WAIT',
    LASTACK: 'LAST_ACK',
    CLOSING: 'CLOSING',
    LISTEN: 'LISTEN',
    CLOSE: 'CLOSED',
    CLOSED: 'CLOSED',
    UNCONN: 'CLOSED',
  };
  return aliases[k] ?? k;
}

// --- the simulator's side

/** Normalizes `sim --json` output. Segments are taken from `send` steps (what left a host,
 * dropped or not), which is what a capture at each sender shows. Steps after `endMs` (when
 * the real run listed its sockets and stopped capturing) are left out, so both traces cover
 * the same span. */
export function traceFromSim(sim: SimOutput, endMs = Infinity): Trace {
  const raw: RawSegment[] = [];
  const calls: Call[] = [];
  const lastState = new Map<string, { host: string; state: string }>();
  for (const step of sim.steps) {
    if (step.t_ms > endMs) {
      continue;
    }
    if (step.kind === 'send' && step.segment) {
      const s = step.segment;
      const [srcHost = '', srcPort = '0'] = s.src.split(':');
      const [dstHost = '', dstPort = '0'] = s.dst.split(':');
      raw.push({
        tMs: step.t_ms,
        srcHost,
        srcPort: Number(srcPort),
        dstHost,
        dstPort: Number(dstPort),
        flags: s.flags,
        seq: s.seq >>> 0,
        ack: s.ack >>> 0,
        len: s.len,
        win: s.win,
        options: canonicalOptions(s.options),
      });
    } else if (step.kind === 'syscall' && step.syscall) {
      const sc = step.syscall;
      if (sc.result === null) {
        // A blocking call starting to wait: the real programs print only returns.
        continue;
      }
      const call: Call = { tMs: step.t_ms, host: step.host, call: sc.call, result: sc.result };
      if (sc.errno) call.errno = sc.errno;
      // Only SO_ERROR's value is compared (recv's "value" is the data read).
      if (sc.value !== undefined && sc.call === 'getsockopt') call.value = String(sc.value);
      calls.push(call);
    } else if (step.kind === 'state' && step.state) {
      // A request sock ("server:8080<client:40000", NEW_SYN_RECV) becomes the child socket
      // of the same 4-tuple ("server:8080>client:40000"): one socket, as ss shows it.
      const tuple = step.state.socket.replace(/[<>]/g, '|');
      lastState.set(`${step.host}/${tuple}`, {
        host: step.host,
        state: canonicalState(step.state.to),
      });
    }
  }
  const params: Record<string, number> = {};
  for (const [k, v] of Object.entries(sim.params)) {
    if (typeof v === 'number') params[k] = v;
  }
  const finalStates = [...lastState.values()].filter((s) => s.state !== 'CLOSED');
  return {
    scenario: sim.scenario,
    source: 'sim',
    kernel: sim.kernel.version,
    params,
    connections: buildConnections(raw),
    calls,
    finalStates,
  };
}
