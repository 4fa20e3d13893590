// The pcap reader on hand-built capture files: one Ethernet frame (what tcpdump writes on a
// veth) and one raw-IP frame (a TUN device), both with the options a Linux SYN carries.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parsePcap, tcpdumpFlags } from '../../conformance/pcap';

/** An IPv4 + TCP packet: 192.0.2.2:40000 -> 192.0.2.1:8080. */
function ipTcp(flags: number, options: number[], payload = 0): Buffer {
  const tcpLen = 20 + options.length;
  const ip = Buffer.alloc(20 + tcpLen + payload);
  ip[0] = 0x45;
  ip.writeUInt16BE(ip.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from([192, 0, 2, 2]).copy(ip, 12);
  Buffer.from([192, 0, 2, 1]).copy(ip, 16);
  const t = 20;
  ip.writeUInt16BE(40000, t);
  ip.writeUInt16BE(8080, t + 2);
  ip.writeUInt32BE(0xfffffff0, t + 4); // near the wrap, on purpose
  ip.writeUInt32BE(7, t + 8);
  ip[t + 12] = (tcpLen / 4) << 4;
  ip[t + 13] = flags;
  ip.writeUInt16BE(64240, t + 14);
  Buffer.from(options).copy(ip, t + 20);
  return ip;
}

function pcap(linkType: number, frames: { sec: number; usec: number; data: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [head];
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(f.sec, 0);
    rec.writeUInt32LE(f.usec, 4);
    rec.writeUInt32LE(f.data.length, 8);
    rec.writeUInt32LE(f.data.length, 12);
    parts.push(rec, f.data);
  }
  return Buffer.concat(parts);
}

// mss 1460, sackOK, TS val 1000 ecr 0, nop, wscale 7: a Linux SYN's options, in its order.
const SYN_OPTIONS = [2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 3, 232, 0, 0, 0, 0, 1, 3, 3, 7];

void describe('parsePcap', () => {
  void it('reads an Ethernet frame with every header field and option', () => {
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const [seg, ...rest] = parsePcap(
      pcap(1, [{ sec: 100, usec: 250, data: Buffer.concat([eth, ipTcp(0x02, SYN_OPTIONS)]) }]),
    );
    assert.equal(rest.length, 0);
    assert.deepEqual(seg, {
      tUs: 100_000_250,
      srcIp: '192.0.2.2',
      srcPort: 40000,
      dstIp: '192.0.2.1',
      dstPort: 8080,
      seq: 0xfffffff0,
      ack: 7,
      flagBits: 0x02,
      win: 64240,
      len: 0,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sackOK' },
        { kind: 'TS', val: 1000, ecr: 0 },
        { kind: 'nop' },
        { kind: 'wscale', value: 7 },
      ],
    });
  });

  void it('reads raw-IP frames (TUN) and takes the payload length from the IP header', () => {
    const segs = parsePcap(
      pcap(101, [
        { sec: 1, usec: 0, data: ipTcp(0x18, [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], 5) },
        // An ARP frame would not even parse as IP; a non-TCP IP packet is skipped.
        {
          sec: 1,
          usec: 1,
          data: Buffer.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]),
        },
      ]),
    );
    assert.equal(segs.length, 1);
    assert.equal(segs[0]!.len, 5);
    assert.equal(tcpdumpFlags(segs[0]!.flagBits), 'P.');
    assert.deepEqual(segs[0]!.options, [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'TS', val: 1, ecr: 2 },
    ]);
  });

  void it('stops at a record cut short, as a killed tcpdump leaves it', () => {
    const whole = pcap(101, [
      { sec: 1, usec: 0, data: ipTcp(0x10, []) },
      { sec: 2, usec: 0, data: ipTcp(0x11, []) },
    ]);
    assert.equal(parsePcap(whole.subarray(0, whole.length - 3)).length, 1);
    assert.deepEqual(parsePcap(Buffer.alloc(0)), []);
  });

  void it('refuses what is not a pcap file', () => {
    assert.throws(() => parsePcap(Buffer.alloc(40, 7)), /not a pcap file/);
  });
});

void describe('tcpdumpFlags', () => {
  void it('writes flags in tcpdump order', () => {
    assert.equal(tcpdumpFlags(0x02), 'S');
    assert.equal(tcpdumpFlags(0x12), 'S.');
    assert.equal(tcpdumpFlags(0x10), '.');
    assert.equal(tcpdumpFlags(0x18), 'P.');
    assert.equal(tcpdumpFlags(0x11), 'F.');
    assert.equal(tcpdumpFlags(0x19), 'FP.');
    assert.equal(tcpdumpFlags(0x04), 'R');
    assert.equal(tcpdumpFlags(0x14), 'R.');
    assert.equal(tcpdumpFlags(0), 'none');
  });
});
