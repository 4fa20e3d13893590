/**
 * The simulator view's pure logic (no DOM): relative sequence numbers, the TCP header as
 * 32-bit rows, the sequence diagram's lanes and arrows, the syscall timelines. render.ts draws
 * what these return; test/unit/simulatorView/ checks them without a browser.
 */
import type {
  RunView,
  SegmentView,
  StepView,
  SyscallView,
} from '../../../extension/protocol/simulatorWebview';

// --- sequence numbers

/** "client:47610>server:8080": one direction of one connection. */
export const flowKey = (src: string, dst: string): string => `${src}>${dst}`;

/**
 * The first sequence number seen in each direction (the ISN when the flow starts with its
 * SYN), as tcpdump takes it for its relative numbers. Only `send` steps count: a deliver or
 * drop repeats a segment that was sent before.
 */
export function flowBases(steps: readonly StepView[]): Map<string, number> {
  const bases = new Map<string, number>();
  for (const s of steps) {
    if (s.kind !== 'send' || !s.segment) continue;
    const key = flowKey(s.segment.src, s.segment.dst);
    if (!bases.has(key)) bases.set(key, s.segment.seq);
  }
  return bases;
}

/**
 * The seq and ack a diagram prints: absolute (tcpdump -S), or relative to each direction's
 * first sequence number, so the SYN-ACK's ack of a client ISN x + 1 reads 1. An ack is
 * null when the ACK flag is clear (the field is then not meaningful).
 */
export function shownSeqAck(
  segment: SegmentView,
  bases: ReadonlyMap<string, number>,
  relative: boolean,
): { seq: number; ack: number | null } {
  const hasAck = segment.flags.includes('.');
  if (!relative) return { seq: segment.seq, ack: hasAck ? segment.ack : null };
  const own = bases.get(flowKey(segment.src, segment.dst));
  const peer = bases.get(flowKey(segment.dst, segment.src));
  return {
    seq: own === undefined ? segment.seq : (segment.seq - own) >>> 0,
    ack: !hasAck ? null : peer === undefined ? segment.ack : (segment.ack - peer) >>> 0,
  };
}

/** The host part of "client2:40000". */
export const hostOf = (endpoint: string): string => endpoint.slice(0, endpoint.lastIndexOf(':'));

// --- the TCP header as the familiar 32-bit rows (RFC 9293 section 3.1)

export interface HeaderCell {
  readonly label: string; // "Source Port", "SYN", "MSS"
  readonly bits: number; // width in bits (the 32 of a row add up)
  readonly value: string; // "47610", "1", "65495"
  /** A flag bit that is set. */
  readonly set?: boolean;
  /** The rest of an option that began on the row above. */
  readonly continued?: boolean;
}

export type HeaderRow = readonly HeaderCell[];

const FLAG_BITS = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'] as const;

function bytesOf(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

const be16 = (b: readonly number[], i: number): number => (b[i]! << 8) | b[i + 1]!;
const be32 = (b: readonly number[], i: number): number =>
  ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** One option as it lies in the option bytes: where, how long, and what it says. */
interface OptionSpan {
  start: number;
  length: number;
  label: string;
  value: string;
}

function optionSpans(b: readonly number[], from: number, to: number): OptionSpan[] {
  const out: OptionSpan[] = [];
  for (let i = from; i < to;) {
    const kind = b[i]!;
    if (kind === 0) {
      out.push({ start: i, length: to - i, label: 'EOL', value: '' });
      break;
    }
    if (kind === 1) {
      out.push({ start: i, length: 1, label: 'NOP', value: '' });
      i += 1;
      continue;
    }
    const len = Math.max(2, b[i + 1] ?? 2);
    const span = { start: i, length: Math.min(len, to - i) };
    if (kind === 2) out.push({ ...span, label: 'MSS', value: String(be16(b, i + 2)) });
    else if (kind === 3) out.push({ ...span, label: 'WScale', value: String(b[i + 2]) });
    else if (kind === 4) out.push({ ...span, label: 'SACK-Permitted', value: '' });
    else if (kind === 8)
      out.push({
        ...span,
        label: 'Timestamps',
        value: `val ${be32(b, i + 2)} ecr ${be32(b, i + 6)}`,
      });
    else if (kind === 5) {
      const blocks: string[] = [];
      for (let j = i + 2; j + 8 <= i + len; j += 8) blocks.push(`${be32(b, j)}-${be32(b, j + 4)}`);
      out.push({ ...span, label: 'SACK', value: blocks.join(' ') });
    } else out.push({ ...span, label: `kind ${kind}`, value: `len ${len}` });
    i += len;
  }
  return out;
}

/**
 * The header's rows from its transmitted bytes (SegmentView.header.hex): ports; seq; ack;
 * data offset, reserved bits, the eight flags, window; checksum, urgent pointer; then the
 * options, each cut where a row ends (a timestamp option spans three rows).
 */
export function headerRows(hex: string): HeaderRow[] {
  const b = bytesOf(hex);
  if (b.length < 20) return [];
  const doff = b[12]! >> 4;
  const flags = b[13]!;
  const rows: HeaderRow[] = [
    [
      { label: 'Source Port', bits: 16, value: String(be16(b, 0)) },
      { label: 'Destination Port', bits: 16, value: String(be16(b, 2)) },
    ],
    [{ label: 'Sequence Number', bits: 32, value: String(be32(b, 4)) }],
    [{ label: 'Acknowledgment Number', bits: 32, value: String(be32(b, 8)) }],
    [
      { label: 'Data Offset', bits: 4, value: String(doff) },
      { label: 'Rsrvd', bits: 4, value: String(b[12]! & 0xf) },
      ...FLAG_BITS.map((label, i) => {
        const set = (flags & (0x80 >> i)) !== 0;
        return { label, bits: 1, value: set ? '1' : '0', set };
      }),
      { label: 'Window', bits: 16, value: String(be16(b, 14)) },
    ],
    [
      { label: 'Checksum', bits: 16, value: `0x${be16(b, 16).toString(16).padStart(4, '0')}` },
      { label: 'Urgent Pointer', bits: 16, value: String(be16(b, 18)) },
    ],
  ];
  const end = Math.min(b.length, doff * 4);
  const optionRows: HeaderCell[][] = [];
  for (const o of optionSpans(b, 20, end)) {
    for (let at = o.start; at < o.start + o.length;) {
      const row = Math.floor((at - 20) / 4);
      const rowEnd = 20 + (row + 1) * 4;
      const take = Math.min(o.start + o.length, rowEnd) - at;
      (optionRows[row] ??= []).push({
        label: o.label,
        bits: take * 8,
        value: at === o.start ? o.value : '',
        ...(at === o.start ? {} : { continued: true }),
      });
      at += take;
    }
  }
  return [...rows, ...optionRows.filter((r) => r !== undefined)];
}

/** The segment to show in the header view at a step: its own, else the latest before it. */
export function segmentAt(steps: readonly StepView[], index: number): StepView | undefined {
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--)
    if (steps[i]!.segment) return steps[i];
  return undefined;
}

// --- the sequence diagram

export interface Arrow {
  readonly send: number; // step index where the segment left its host
  /** Step index where it arrived or was dropped; absent while in flight at the end. */
  readonly end?: number;
  readonly from: string; // host
  readonly to: string;
  readonly fate: 'delivered' | 'dropped' | 'inFlight';
  /** The same flow, sequence number, flags and length were sent before. */
  readonly retransmission: boolean;
  readonly segment: SegmentView;
}

export interface Layout {
  /** Lane centre x of each host, in the order given. */
  readonly lanes: ReadonlyMap<string, number>;
  readonly width: number;
  readonly height: number;
  readonly rowHeight: number;
  readonly top: number;
  readonly arrows: readonly Arrow[];
}

/** Pairs each send with the deliver or drop of the same segment (first in, first out). */
export function arrowsOf(steps: readonly StepView[]): Arrow[] {
  const open = new Map<string, { send: number; from: string; retransmission: boolean }[]>();
  const seen = new Set<string>();
  const arrows: (Arrow & { end?: number })[] = [];
  const slot = new Map<number, number>(); // send step -> index in arrows
  const keyOf = (s: SegmentView): string =>
    `${s.src}|${s.dst}|${s.seq}|${s.ack}|${s.flags}|${s.len}`;
  for (const step of steps) {
    const seg = step.segment;
    if (!seg) continue;
    const key = keyOf(seg);
    if (step.kind === 'send') {
      const identity = `${flowKey(seg.src, seg.dst)}|${seg.seq}|${seg.flags}|${seg.len}`;
      const retransmission = seen.has(identity);
      seen.add(identity);
      const entry = { send: step.index, from: step.host, retransmission };
      (open.get(key) ?? open.set(key, []).get(key)!).push(entry);
      slot.set(step.index, arrows.length);
      arrows.push({
        send: step.index,
        from: step.host,
        to: hostOf(seg.dst),
        fate: 'inFlight',
        retransmission,
        segment: seg,
      });
    } else if (step.kind === 'deliver' || step.kind === 'drop') {
      const sent = open.get(key)?.shift();
      if (!sent) continue;
      const i = slot.get(sent.send)!;
      arrows[i] = {
        ...arrows[i]!,
        end: step.index,
        fate: step.kind === 'deliver' ? 'delivered' : 'dropped',
      };
    }
  }
  return arrows;
}

/** Lane positions and the diagram's size: one row per step, lanes evenly spaced. */
export function laneLayout(
  hosts: readonly string[],
  steps: readonly StepView[],
  width: number,
  rowHeight = 22,
): Layout {
  const margin = 70;
  const usable = Math.max(width - 2 * margin, 1);
  const lanes = new Map<string, number>();
  hosts.forEach((h, i) =>
    lanes.set(h, hosts.length === 1 ? width / 2 : margin + (usable * i) / (hosts.length - 1)),
  );
  const top = 30;
  return {
    lanes,
    width,
    height: top + rowHeight * (steps.length + 1),
    rowHeight,
    top,
    arrows: arrowsOf(steps),
  };
}

/** The y of a step's row centre. */
export const rowY = (layout: Layout, index: number): number =>
  layout.top + layout.rowHeight * index + layout.rowHeight / 2;

// --- syscall timelines

export interface CallEntry {
  /** The step where the call started (or returned at once). */
  readonly start: number;
  /** The step where it returned; absent: still waiting at the end of the run. */
  readonly end?: number;
  readonly call: string; // "connect"
  readonly args: string; // "fd=3, server:8080"
  readonly result?: SyscallView;
}

/** Each host's calls in order, a blocking call as one entry from its wait to its return. */
export function syscallTimelines(run: RunView): Map<string, CallEntry[]> {
  const out = new Map<string, CallEntry[]>(run.hosts.map((h) => [h, []]));
  const waiting = new Map<string, number>(); // host|call|args -> entry index
  for (const step of run.steps) {
    const c = step.syscall;
    if (step.kind !== 'syscall' || !c) continue;
    const list = out.get(step.host) ?? out.set(step.host, []).get(step.host)!;
    const key = `${step.host}|${c.call}|${c.args ?? ''}`;
    if (c.result === null) {
      waiting.set(key, list.length);
      list.push({ start: step.index, call: c.call, args: c.args ?? '' });
      continue;
    }
    const open = waiting.get(key);
    if (open !== undefined) {
      waiting.delete(key);
      list[open] = { ...list[open]!, end: step.index, result: c };
    } else {
      list.push({
        start: step.index,
        end: step.index,
        call: c.call,
        args: c.args ?? '',
        result: c,
      });
    }
  }
  return out;
}

/** How a call reads at step `index`: not yet made, waiting, or returned with its result. */
export function callStatus(entry: CallEntry, index: number): 'future' | 'blocked' | 'returned' {
  if (entry.start > index) return 'future';
  if (entry.end === undefined || entry.end > index) return 'blocked';
  return 'returned';
}

/** "= 0", "= 4", "= -1 ECONNREFUSED" */
export function resultText(c: SyscallView): string {
  if (c.result === null) return '';
  const extra = c.revents
    ? ` [${c.revents}]`
    : c.value !== undefined && c.call !== 'recv'
      ? ` [${c.value}]`
      : '';
  return `= ${c.result}${c.errno ? ` ${c.errno}` : ''}${extra}`;
}

// --- playback

/** A step index kept inside the run. */
export const clampStep = (run: RunView, index: number): number =>
  Math.max(0, Math.min(run.steps.length - 1, Math.floor(index)));
