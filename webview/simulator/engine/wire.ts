/**
 * TCP segments as they are on the wire: header layout, the options in the order Linux writes
 * them (net/ipv4/tcp_output.c tcp_options_write), the checksum over the IPv4 pseudo-header
 * (RFC 9293 3.1; Linux: __tcp_v4_send_check), and tcpdump's way of printing them.
 */

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack'; blocks: [number, number][] };

/** A segment with its IPv4 addresses (needed for the checksum) and the hosts' names. */
export interface Segment {
  srcHost: string;
  dstHost: string;
  srcIp: string; // dotted quad
  dstIp: string;
  sport: number;
  dport: number;
  seq: number; // u32
  ack: number; // u32, 0 when the ACK flag is clear
  flags: number;
  window: number; // the 16-bit field, already scaled down
  urg: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** Sequence space length: payload plus one for SYN and one for FIN. */
export function segLen(seg: Segment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

export const u32 = (n: number): number => n >>> 0;
/** a < b in sequence space (RFC 9293 3.4, Linux before()). */
export const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const after = (a: number, b: number): boolean => before(b, a);

// --- options

const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WINDOW = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_SACK = 5;
const TCPOPT_TIMESTAMP = 8;

/**
 * Option bytes in tcp_options_write's order: MSS; then timestamps, sharing their first word
 * with SACK-permitted when both are on (else NOP NOP); SACK-permitted alone after NOP NOP;
 * window scale after one NOP. Always a multiple of 4 bytes.
 */
export function encodeOptions(options: readonly TcpOption[]): number[] {
  const out: number[] = [];
  const mss = options.find((o) => o.kind === 'mss');
  const ts = options.find((o) => o.kind === 'ts');
  const sack = options.some((o) => o.kind === 'sackOK');
  const ws = options.find((o) => o.kind === 'wscale');
  const word = (n: number): void =>
    void out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  if (mss) out.push(TCPOPT_MSS, 4, (mss.value >> 8) & 255, mss.value & 255);
  if (ts) {
    if (sack) out.push(TCPOPT_SACK_PERM, 2, TCPOPT_TIMESTAMP, 10);
    else out.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, 10);
    word(ts.val);
    word(ts.ecr);
  } else if (sack) {
    out.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, 2);
  }
  if (ws) out.push(TCPOPT_NOP, TCPOPT_WINDOW, 3, ws.shift);
  const sackBlocks = options.find((o) => o.kind === 'sack');
  if (sackBlocks) {
    out.push(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK, 2 + 8 * sackBlocks.blocks.length);
    for (const [start, end] of sackBlocks.blocks) {
      word(start);
      word(end);
    }
  }
  return out;
}

/** How tcpdump prints the option bytes: one entry per option, NOPs included. */
export function formatOptions(options: readonly TcpOption[]): string[] {
  const bytes = encodeOptions(options);
  const out: string[] = [];
  const be32 = (i: number): number =>
    u32((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!);
  for (let i = 0; i < bytes.length;) {
    const kind = bytes[i]!;
    if (kind === TCPOPT_NOP) {
      out.push('nop');
      i += 1;
      continue;
    }
    const len = bytes[i + 1]!;
    if (kind === TCPOPT_MSS) out.push(`mss ${(bytes[i + 2]! << 8) | bytes[i + 3]!}`);
    else if (kind === TCPOPT_SACK_PERM) out.push('sackOK');
    else if (kind === TCPOPT_TIMESTAMP) out.push(`TS val ${be32(i + 2)} ecr ${be32(i + 6)}`);
    else if (kind === TCPOPT_WINDOW) out.push(`wscale ${bytes[i + 2]!}`);
    else if (kind === TCPOPT_SACK) {
      const blocks: string[] = [];
      for (let j = i + 2; j < i + len; j += 8) blocks.push(`{${be32(j)}:${be32(j + 4)}}`);
      out.push(`sack ${blocks.length} ${blocks.join('')}`);
    }
    i += len;
  }
  return out;
}

// --- header and checksum

function ipBytes(ip: string): number[] {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts;
}

/** The one's-complement sum of 16-bit words (RFC 1071), folded, not yet inverted. */
function onesSum(bytes: ArrayLike<number>, start = 0): number {
  let sum = start;
  for (let i = 0; i < bytes.length; i += 2)
    sum += (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The TCP header with options, checksum field zero. */
function headerBytes(seg: Segment): number[] {
  const opts = encodeOptions(seg.options);
  const doff = (20 + opts.length) / 4;
  const h = [
    seg.sport >> 8,
    seg.sport & 255,
    seg.dport >> 8,
    seg.dport & 255,
    (seg.seq >>> 24) & 255,
    (seg.seq >>> 16) & 255,
    (seg.seq >>> 8) & 255,
    seg.seq & 255,
    (seg.ack >>> 24) & 255,
    (seg.ack >>> 16) & 255,
    (seg.ack >>> 8) & 255,
    seg.ack & 255,
    doff << 4,
    seg.flags & 255,
    (seg.window >> 8) & 255,
    seg.window & 255,
    0,
    0,
    (seg.urg >> 8) & 255,
    seg.urg & 255,
  ];
  return h.concat(opts);
}

/**
 * The TCP checksum: the one's complement of the one's-complement sum of the pseudo-header
 * (source and destination address, zero, protocol 6, TCP length), the header with a zero
 * checksum field, and the payload (Linux: tcp_v4_check over csum_partial of the segment).
 */
export function tcpChecksum(seg: Segment): number {
  const header = headerBytes(seg);
  const tcpLen = header.length + seg.payload.length;
  const pseudo = [...ipBytes(seg.srcIp), ...ipBytes(seg.dstIp), 0, 6, tcpLen >> 8, tcpLen & 255];
  // The header is a whole number of 16-bit words, so summing the parts one after the other
  // gives the same as summing their concatenation.
  let sum = onesSum(pseudo);
  sum = onesSum(header, sum);
  sum = onesSum(seg.payload, sum);
  const csum = ~sum & 0xffff;
  return csum;
}

/** The header as transmitted, checksum filled in. */
export function encodeHeader(seg: Segment): Uint8Array {
  const h = headerBytes(seg);
  const c = tcpChecksum(seg);
  h[16] = c >> 8;
  h[17] = c & 255;
  return Uint8Array.from(h);
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** tcpdump's flag letters, in the order print-tcp.c's table lists them; ACK is ".". */
export function tcpdumpFlags(flags: number): string {
  const table: [number, string][] = [
    [FIN, 'F'],
    [SYN, 'S'],
    [RST, 'R'],
    [PSH, 'P'],
    [ACK, '.'],
    [URG, 'U'],
    [ECE, 'E'],
    [CWR, 'W'],
  ];
  const s = table
    .filter(([bit]) => flags & bit)
    .map(([, c]) => c)
    .join('');
  return s === '' ? 'none' : s;
}
