// Compares a real kernel's trace with the simulator's for the same scenario and parameters.
// Pure: no I/O, so test/unit/conformance/ checks it on small hand-made traces.
//
// What is compared (issue 5, "Conformance against the real kernel"):
//   - per connection and direction, the segments aligned on their flags: flags, relative
//     seq/ack, length, options (in order, with their padding), window; segments only one
//     side sent are reported as such;
//   - retransmission intervals, within a tolerance for timer granularity;
//   - per host, the system calls aligned on their names: result, errno, SO_ERROR value, and
//     when they returned (a wider tolerance: it includes process scheduling);
//   - the sockets left at the end, per host and state.
// Every difference is one line naming the scenario and the step. A difference that matches an
// entry of knownDifferences.json is reported as known, with its reason, never dropped.

import type { Call, Connection, FinalState, Segment, Trace } from './trace';

export type Aspect =
  | 'connection'
  | 'missing'
  | 'extra'
  | 'flags'
  | 'seq'
  | 'ack'
  | 'len'
  | 'win'
  | 'options'
  | 'interval'
  | 'call'
  | 'result'
  | 'errno'
  | 'time'
  | 'state';

export interface Difference {
  scenario: string;
  /** The step: "client~server#1 client>server segment 2 (S.)", "client call 3 (connect)". */
  where: string;
  aspect: Aspect;
  real: string;
  sim: string;
  /** Set when a written-down known difference explains it. */
  known?: { id: string; reason: string };
}

/** One entry of knownDifferences.json. Every present field must match (strings are regular
 * expressions, anchored); absent fields match anything. */
export interface KnownDifference {
  id: string; // e.g. "host-mss-loopback"
  scenario: string; // a scenario name, or "*"
  aspect?: string; // e.g. "options", or "extra|missing"
  where?: string;
  real?: string;
  sim?: string;
  reason: string;
}

export interface Tolerance {
  /** Allowed relative error of a time, e.g. 0.2 for ±20%. */
  relative: number;
  /** Allowed absolute error in ms, whichever of the two is larger wins. */
  absoluteMs: number;
}

/** Retransmission timers run on jiffies and are armed a little after the event they follow:
 * ±20% or ±20 ms. Call return times also include process scheduling: ±20% or ±200 ms. */
export const DEFAULT_TOLERANCES = {
  interval: { relative: 0.2, absoluteMs: 20 },
  callTime: { relative: 0.2, absoluteMs: 200 },
} as const;

export interface CompareOptions {
  known?: readonly KnownDifference[];
  interval?: Tolerance;
  callTime?: Tolerance;
}

export function compareTraces(real: Trace, sim: Trace, opts: CompareOptions = {}): Difference[] {
  const diffs: Difference[] = [];
  const scenario = real.scenario;
  const push = (where: string, aspect: Aspect, r: string, s: string): void => {
    diffs.push({ scenario, where, aspect, real: r, sim: s });
  };
  compareConnections(
    real.connections,
    sim.connections,
    opts.interval ?? DEFAULT_TOLERANCES.interval,
    push,
  );
  compareCalls(real.calls, sim.calls, opts.callTime ?? DEFAULT_TOLERANCES.callTime, push);
  if (real.finalStates && sim.finalStates) {
    compareStates(real.finalStates, sim.finalStates, push);
  }
  return diffs.map((d) => explain(d, opts.known ?? []));
}

type Push = (where: string, aspect: Aspect, real: string, sim: string) => void;

// --- segments

function compareConnections(
  real: Connection[],
  sim: Connection[],
  tol: Tolerance,
  push: Push,
): void {
  const simByKey = new Map(sim.map((c) => [c.key, c]));
  const realKeys = new Set(real.map((c) => c.key));
  for (const r of real) {
    const s = simByKey.get(r.key);
    if (!s) {
      push(r.key, 'connection', flagLine(r.segments), 'absent');
      continue;
    }
    const directions = new Set([...r.segments, ...s.segments].map((x) => `${x.from}>${x.to}`));
    for (const dir of [...directions].sort()) {
      compareDirection(
        `${r.key} ${dir}`,
        r.segments.filter((x) => `${x.from}>${x.to}` === dir),
        s.segments.filter((x) => `${x.from}>${x.to}` === dir),
        tol,
        push,
      );
    }
  }
  for (const s of sim) {
    if (!realKeys.has(s.key)) {
      push(s.key, 'connection', 'absent', flagLine(s.segments));
    }
  }
}

function flagLine(segs: readonly Segment[]): string {
  return segs.map((s) => `${s.from}>${s.to} ${s.flags}`).join(', ');
}

function compareDirection(
  where: string,
  real: Segment[],
  sim: Segment[],
  tol: Tolerance,
  push: Push,
): void {
  const realGaps = retransmissionGaps(real);
  const simGaps = retransmissionGaps(sim);
  for (const step of align(real, sim, (a, b) => a.flags === b.flags)) {
    if (step.real === undefined) {
      const s = sim[step.sim!]!;
      push(`${where} segment ${step.sim! + 1}`, 'missing', 'not sent', describe(s));
      continue;
    }
    if (step.sim === undefined) {
      const r = real[step.real]!;
      push(`${where} segment ${step.real + 1}`, 'extra', describe(r), 'not sent');
      continue;
    }
    const r = real[step.real]!;
    const s = sim[step.sim]!;
    const at = `${where} segment ${step.real + 1} (${r.flags})`;
    if (r.seq !== s.seq) push(at, 'seq', String(r.seq), String(s.seq));
    if (r.ack !== s.ack) push(at, 'ack', String(r.ack), String(s.ack));
    if (r.len !== s.len) push(at, 'len', String(r.len), String(s.len));
    if (r.win !== s.win) push(at, 'win', String(r.win), String(s.win));
    // In order: Linux writes mss, sackOK, TS, wscale in a fixed order, part of the header.
    const ro = r.options.join(',');
    const so = s.options.join(',');
    if (ro !== so) push(at, 'options', `[${r.options.join(', ')}]`, `[${s.options.join(', ')}]`);
    const rg = realGaps[step.real];
    const sg = simGaps[step.sim];
    if (rg !== undefined || sg !== undefined) {
      if (rg === undefined || sg === undefined || !within(rg, sg, tol)) {
        push(at, 'interval', gapText(rg), gapText(sg));
      }
    }
  }
}

function describe(s: Segment): string {
  return `${s.flags} seq ${s.seq} ack ${s.ack} len ${s.len} at ${s.tMs.toFixed(0)} ms`;
}

function gapText(gap: number | undefined): string {
  return gap === undefined ? 'first transmission' : `retransmitted after ${gap.toFixed(0)} ms`;
}

function within(real: number, sim: number, tol: Tolerance): boolean {
  return Math.abs(real - sim) <= Math.max(tol.relative * Math.abs(sim), tol.absoluteMs);
}

/** For each segment of one direction, the time since the previous copy of the same segment
 * (same flags, seq and length: a retransmission), or undefined for a first transmission.
 * Pure ACKs are not retransmitted, only re-sent, so they are never counted. */
export function retransmissionGaps(segs: readonly Segment[]): (number | undefined)[] {
  const last = new Map<string, number>();
  return segs.map((s) => {
    const carries = s.len > 0 || /[SF]/.test(s.flags);
    if (!carries) {
      return undefined;
    }
    const id = `${s.flags}/${s.seq}/${s.len}`;
    const prev = last.get(id);
    last.set(id, s.tMs);
    return prev === undefined ? undefined : s.tMs - prev;
  });
}

// --- alignment

interface Aligned {
  real?: number;
  sim?: number;
}

/** Longest-common-subsequence alignment of two lists under `same`; unmatched elements come
 * out alone, in order. Lists here are short (tens of elements). */
export function align<T>(
  a: readonly T[],
  b: readonly T[],
  same: (x: T, y: T) => boolean,
): Aligned[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = same(a[i]!, b[j]!)
        ? lcs[i + 1]![j + 1]! + 1
        : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Aligned[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[i]!, b[j]!)) {
      out.push({ real: i++, sim: j++ });
    } else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push({ real: i++ });
    } else {
      out.push({ sim: j++ });
    }
  }
  return out;
}

// --- calls

/** What a call's result means, independent of descriptor numbers. */
function outcome(c: Call): string {
  if (c.result < 0) {
    return `-1 ${c.errno ?? '(no errno)'}`;
  }
  if (c.call === 'socket' || c.call === 'accept') {
    return 'a descriptor';
  }
  return c.value !== undefined ? `${c.result} (${c.value})` : String(c.result);
}

function compareCalls(real: Call[], sim: Call[], tol: Tolerance, push: Push): void {
  const hosts = new Set([...real, ...sim].map((c) => c.host));
  for (const host of [...hosts].sort()) {
    const r = real.filter((c) => c.host === host);
    const s = sim.filter((c) => c.host === host);
    for (const step of align(r, s, (a, b) => a.call === b.call)) {
      if (step.real === undefined) {
        const c = s[step.sim!]!;
        push(`${host} call ${step.sim! + 1} (${c.call})`, 'call', 'not made', outcome(c));
        continue;
      }
      if (step.sim === undefined) {
        const c = r[step.real]!;
        push(`${host} call ${step.real + 1} (${c.call})`, 'call', outcome(c), 'not made');
        continue;
      }
      const rc = r[step.real]!;
      const sc = s[step.sim]!;
      const at = `${host} call ${step.real + 1} (${rc.call})`;
      if ((rc.errno ?? '') !== (sc.errno ?? '') && (rc.result < 0 || sc.result < 0)) {
        push(at, 'errno', outcome(rc), outcome(sc));
      } else if (outcome(rc) !== outcome(sc)) {
        push(at, 'result', outcome(rc), outcome(sc));
      }
      if (!within(rc.tMs, sc.tMs, tol)) {
        push(
          at,
          'time',
          `returned at ${rc.tMs.toFixed(0)} ms`,
          `returned at ${sc.tMs.toFixed(0)} ms`,
        );
      }
    }
  }
}

// --- final states

function compareStates(real: FinalState[], sim: FinalState[], push: Push): void {
  const hosts = new Set([...real, ...sim].map((s) => s.host));
  for (const host of [...hosts].sort()) {
    const r = real
      .filter((s) => s.host === host)
      .map((s) => s.state)
      .sort();
    const s = sim
      .filter((x) => x.host === host)
      .map((x) => x.state)
      .sort();
    if (r.join(',') !== s.join(',')) {
      push(`${host} sockets at the end`, 'state', `[${r.join(', ')}]`, `[${s.join(', ')}]`);
    }
  }
}

// --- known differences

function explain(d: Difference, known: readonly KnownDifference[]): Difference {
  const test = (pattern: string | undefined, text: string): boolean =>
    pattern === undefined || new RegExp(`^(?:${pattern})$`).test(text);
  const hit = known.find(
    (k) =>
      (k.scenario === '*' || k.scenario === d.scenario) &&
      test(k.aspect, d.aspect) &&
      test(k.where, d.where) &&
      test(k.real, d.real) &&
      test(k.sim, d.sim),
  );
  return hit ? { ...d, known: { id: hit.id, reason: hit.reason } } : d;
}

/** One line per difference, e.g.
 * `normal: client~server#1 server>client segment 1 (S.) win: real 65160, sim 64240`. */
export function formatDifference(d: Difference): string {
  const base = `${d.scenario}: ${d.where} ${d.aspect}: real ${d.real}, sim ${d.sim}`;
  return d.known ? `${base} [known ${d.known.id}: ${d.known.reason}]` : base;
}
