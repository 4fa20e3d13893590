// Reads the TCP/IPv4 segments of a pcap file (what `tcpdump -w` writes), with every header
// field the comparison needs. Parsing the file ourselves, rather than tcpdump's text, keeps
// the microsecond timestamps, the raw window and the option bytes exact.
// Format: https://www.tcpdump.org/manpages/pcap-savefile.5.html

/** One TCP segment as it was on the wire. */
export interface WireSegment {
  /** Capture time, microseconds since the epoch (CLOCK_REALTIME, as the programs print). */
  tUs: number;
  srcIp: string; // e.g. "192.0.2.2"
  srcPort: number;
  dstIp: string;
  dstPort: number;
  seq: number; // absolute, unsigned 32-bit
  ack: number;
  /** The TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ...). */
  flagBits: number;
  /** Raw header field, not scaled. */
  win: number;
  /** Payload bytes. */
  len: number;
  options: TcpOption[];
}

/** A TCP option, decoded the way tcpdump names them. */
export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'TS'; val: number; ecr: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'other'; code: number };

// Link types (https://www.tcpdump.org/linktypes.html) that tcpdump writes for the devices
// the runner creates: veth (Ethernet), TUN (raw IP), and Linux cooked capture for `-i any`.
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const DLT_RAW = 12;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_LINUX_SLL = 113;

/** Parses a whole pcap file. Non-IPv4 and non-TCP frames are skipped. */
export function parsePcap(buf: Buffer<ArrayBufferLike>): WireSegment[] {
  if (buf.length < 24) {
    // tcpdump killed before it wrote its header captured nothing.
    return [];
  }
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nanos = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      throw new Error(`not a pcap file (magic ${magicLE.toString(16)})`);
    }
    le = false;
    nanos = magicBE === 0xa1b23c4d;
  }
  const u32 = (off: number): number => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20) & 0x0fffffff;

  const out: WireSegment[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const capLen = u32(off + 8);
    const start = off + 16;
    off = start + capLen;
    if (off > buf.length) {
      // A record cut short by killing tcpdump mid-write: the rest is unusable.
      break;
    }
    const tUs = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    const ipStart = ipOffset(buf, start, capLen, linkType);
    if (ipStart === undefined) {
      continue;
    }
    const seg = parseIpv4Tcp(buf, ipStart, start + capLen, tUs);
    if (seg) {
      out.push(seg);
    }
  }
  return out;
}

/** Where the IPv4 header starts in a frame, or undefined when the frame is not IPv4. */
function ipOffset(
  buf: Buffer<ArrayBufferLike>,
  start: number,
  len: number,
  linkType: number,
): number | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return len >= 14 && buf.readUInt16BE(start + 12) === 0x0800 ? start + 14 : undefined;
    case LINKTYPE_LINUX_SLL:
      return len >= 16 && buf.readUInt16BE(start + 14) === 0x0800 ? start + 16 : undefined;
    case LINKTYPE_RAW:
    case DLT_RAW:
    case LINKTYPE_IPV4:
      return len >= 1 && buf[start]! >> 4 === 4 ? start : undefined;
    default:
      throw new Error(`unsupported pcap link type ${linkType}`);
  }
}

function ipString(buf: Buffer<ArrayBufferLike>, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

function parseIpv4Tcp(
  buf: Buffer<ArrayBufferLike>,
  ip: number,
  end: number,
  tUs: number,
): WireSegment | undefined {
  if (ip + 20 > end || buf[ip]! >> 4 !== 4 || buf[ip + 9] !== 6) {
    return undefined;
  }
  const ihl = (buf[ip]! & 0x0f) * 4;
  const totalLen = buf.readUInt16BE(ip + 2);
  const tcp = ip + ihl;
  if (tcp + 20 > end) {
    return undefined;
  }
  const dataOff = (buf[tcp + 12]! >> 4) * 4;
  return {
    tUs,
    srcIp: ipString(buf, ip + 12),
    dstIp: ipString(buf, ip + 16),
    srcPort: buf.readUInt16BE(tcp),
    dstPort: buf.readUInt16BE(tcp + 2),
    seq: buf.readUInt32BE(tcp + 4),
    ack: buf.readUInt32BE(tcp + 8),
    flagBits: buf[tcp + 13]!,
    win: buf.readUInt16BE(tcp + 14),
    // From the IP length, not the capture length: Ethernet pads short frames.
    len: totalLen - ihl - dataOff,
    options: parseOptions(buf, tcp + 20, Math.min(tcp + dataOff, end)),
  };
}

/** Decodes TCP options (RFC 9293 section 3.2; TS RFC 7323; SACK-permitted RFC 2018). */
export function parseOptions(
  buf: Buffer<ArrayBufferLike>,
  start: number,
  end: number,
): TcpOption[] {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === 0) {
      out.push({ kind: 'eol' });
      break;
    }
    if (code === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = buf[i + 1] ?? 0;
    if (len < 2 || i + len > end) {
      break;
    }
    if (code === 2 && len === 4) {
      out.push({ kind: 'mss', value: buf.readUInt16BE(i + 2) });
    } else if (code === 4 && len === 2) {
      out.push({ kind: 'sackOK' });
    } else if (code === 8 && len === 10) {
      out.push({ kind: 'TS', val: buf.readUInt32BE(i + 2), ecr: buf.readUInt32BE(i + 6) });
    } else if (code === 5 && (len - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let b = i + 2; b < i + len; b += 8)
        blocks.push([buf.readUInt32BE(b), buf.readUInt32BE(b + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (code === 3 && len === 3) {
      out.push({ kind: 'wscale', value: buf[i + 2]! });
    } else {
      out.push({ kind: 'other', code });
    }
    i += len;
  }
  return out;
}

/** The flags as tcpdump prints them: "S", "S.", ".", "P.", "F.", "FP.", "R", "R."...
 * (tcpdump's order is F S R P . U E W; checked against its output in pcap.test.ts.) */
export function tcpdumpFlags(bits: number): string {
  const order: [number, string][] = [
    [0x01, 'F'],
    [0x02, 'S'],
    [0x04, 'R'],
    [0x08, 'P'],
    [0x10, '.'],
    [0x20, 'U'],
    [0x40, 'E'],
    [0x80, 'W'],
  ];
  const s = order.map(([bit, c]) => (bits & bit ? c : '')).join('');
  return s === '' ? 'none' : s;
}
