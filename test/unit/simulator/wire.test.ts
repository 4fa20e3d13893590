/**
 * Header bytes, options and checksums, checked against an independent computation here (a
 * plain 32-bit sum over a Buffer) rather than against the engine's own helper.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeHeader,
  formatOptions,
  tcpChecksum,
  tcpdumpFlags,
  type Segment,
} from '../../../webview/simulator/engine/index';
import { run, sent } from './helpers';

/** RFC 1071 over pseudo-header + segment, written without the engine's code. */
function referenceChecksum(srcIp: string, dstIp: string, tcp: Buffer): number {
  const pseudo = Buffer.alloc(12);
  srcIp.split('.').forEach((b, i) => pseudo.writeUInt8(Number(b), i));
  dstIp.split('.').forEach((b, i) => pseudo.writeUInt8(Number(b), 4 + i));
  pseudo.writeUInt8(6, 9);
  pseudo.writeUInt16BE(tcp.length, 10);
  const all = Buffer.concat([pseudo, tcp, Buffer.alloc(tcp.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum >>> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const syn: Segment = {
  srcHost: 'client',
  dstHost: 'server',
  srcIp: '127.0.0.1',
  dstIp: '127.0.0.1',
  sport: 47610,
  dport: 8080,
  seq: 3475751722,
  ack: 0,
  flags: 0x02,
  window: 65495,
  urg: 0,
  options: [
    { kind: 'mss', value: 65495 },
    { kind: 'sackOK' },
    { kind: 'ts', val: 2227966999, ecr: 0 },
    { kind: 'wscale', shift: 7 },
  ],
  payload: new Uint8Array(0),
};

void describe('TCP header on the wire', () => {
  void it('lays out a Linux SYN: ports, seq, doff 10, flags, window, options in tcp_options_write order', () => {
    const h = Buffer.from(encodeHeader(syn));
    assert.equal(h.length, 40);
    assert.equal(h.readUInt16BE(0), 47610);
    assert.equal(h.readUInt16BE(2), 8080);
    assert.equal(h.readUInt32BE(4), 3475751722);
    assert.equal(h.readUInt32BE(8), 0);
    assert.equal(h[12]! >> 4, 10);
    assert.equal(h[13], 0x02);
    assert.equal(h.readUInt16BE(14), 65495);
    assert.equal(h.readUInt16BE(18), 0);
    // MSS, then SACK-permitted sharing a word with the timestamp kind, TS, then NOP + wscale.
    assert.equal(h.subarray(20, 28).toString('hex'), '0204ffd704020' + '80a');
    assert.equal(h.readUInt32BE(28), 2227966999);
    assert.equal(h.readUInt32BE(32), 0);
    assert.equal(h.subarray(36, 40).toString('hex'), '01030307');
    assert.deepEqual(formatOptions(syn.options), [
      'mss 65495',
      'sackOK',
      'TS val 2227966999 ecr 0',
      'nop',
      'wscale 7',
    ]);
  });

  void it('computes the checksum over the IPv4 pseudo-header as an independent sum does', () => {
    const h = Buffer.from(encodeHeader(syn));
    const stored = h.readUInt16BE(16);
    h.writeUInt16BE(0, 16);
    assert.equal(stored, referenceChecksum('127.0.0.1', '127.0.0.1', h));
    assert.equal(stored, tcpChecksum(syn));
  });

  void it('makes a received segment verify: the sum over everything, checksum included, is 0xffff', () => {
    const data: Segment = {
      ...syn,
      srcIp: '10.0.0.2',
      dstIp: '10.0.0.1',
      flags: 0x18,
      ack: 12345,
      options: [],
      payload: Uint8Array.from(Buffer.from('hello')),
    };
    const tcp = Buffer.concat([Buffer.from(encodeHeader(data)), Buffer.from(data.payload)]);
    // Re-summing with the checksum in place gives 0 after inversion (RFC 1071's receiver check).
    assert.equal(referenceChecksum('10.0.0.2', '10.0.0.1', tcp), 0);
    // An odd-length payload is padded with a zero byte for the sum only.
    const odd: Segment = { ...data, payload: Uint8Array.from(Buffer.from('abc')) };
    const oddTcp = Buffer.concat([Buffer.from(encodeHeader(odd)), Buffer.from(odd.payload)]);
    assert.equal(referenceChecksum('10.0.0.2', '10.0.0.1', oddTcp), 0);
  });

  void it('prints flags as tcpdump does', () => {
    assert.equal(tcpdumpFlags(0x02), 'S');
    assert.equal(tcpdumpFlags(0x12), 'S.');
    assert.equal(tcpdumpFlags(0x10), '.');
    assert.equal(tcpdumpFlags(0x18), 'P.');
    assert.equal(tcpdumpFlags(0x11), 'F.');
    assert.equal(tcpdumpFlags(0x04), 'R');
    assert.equal(tcpdumpFlags(0x14), 'R.');
    assert.equal(tcpdumpFlags(0x19), 'FP.');
  });

  void it('gives every segment of every run a checksum that verifies and a header that matches its fields', () => {
    for (const name of ['normal', 'syn-flood', 'simultaneous-open', 'listener-close']) {
      for (const step of sent(run(name, '6.12', { link: 'veth' }))) {
        const s = step.segment!;
        const h = Buffer.from(s.header!.hex, 'hex');
        assert.equal(h.readUInt32BE(4), s.seq, `${name} seq`);
        assert.equal(h.readUInt32BE(8), s.ack, `${name} ack`);
        assert.equal(h.readUInt16BE(14), s.win, `${name} win`);
        assert.equal(h[12]! >> 4, s.header!.doff);
        assert.equal(`0x${h.readUInt16BE(16).toString(16).padStart(4, '0')}`, s.header!.checksum);
        const payload = Buffer.alloc(s.len, 0);
        // Payloads in these scenarios are "hello" when present.
        if (s.len) payload.write('hello');
        assert.equal(
          referenceChecksum(s.header!.src_ip, s.header!.dst_ip, Buffer.concat([h, payload])),
          0,
          `${name} ${s.flags} checksum`,
        );
      }
    }
  });
});
