// The real side's normalization (runner.realTrace) on recorded pieces of a run: wire segments
// as the pcap reader returns them, the programs' JSON lines and `ss -tanH` lines. And the
// scenario arithmetic the runner schedules with.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { WireSegment } from '../../conformance/pcap';
import { parseNetstat, realTrace } from '../../conformance/runner';
import { plan, synBackoffMs, synTimeoutMs } from '../../conformance/scenarios';

const T0 = 1_700_000_000_000_000; // µs

function wire(
  tMs: number,
  src: string,
  dst: string,
  flagBits: number,
  seq: number,
  ack: number,
): WireSegment {
  const [srcIp = '', srcPort = '0'] = src.split(':');
  const [dstIp = '', dstPort = '0'] = dst.split(':');
  return {
    tUs: T0 + tMs * 1000,
    srcIp,
    srcPort: Number(srcPort),
    dstIp,
    dstPort: Number(dstPort),
    seq,
    ack,
    flagBits,
    win: 502,
    len: 0,
    options:
      flagBits & 0x02
        ? [{ kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }]
        : [],
  };
}

void describe('realTrace', () => {
  const pl = plan('listener-close', { clients: 2 }, {});
  const trace = realTrace(
    pl,
    '6.18.44',
    { tcp_syncookies: 1, tcp_rmem: '4096 131072 6291456' },
    T0,
    [
      wire(0.3, '192.0.2.2:41000', '192.0.2.1:8080', 0x02, 100, 0),
      wire(0.4, '192.0.2.1:8080', '192.0.2.2:41000', 0x12, 900, 101),
      wire(20.3, '192.0.2.3:41000', '192.0.2.1:8080', 0x02, 5000, 0),
      // Not one of the scenario's hosts: ignored.
      wire(21, '10.9.9.9:1', '192.0.2.1:8080', 0x02, 1, 0),
    ],
    [
      {
        host: 'client2',
        lines: [
          `{"t_us":${T0 + 20_000},"pid":9,"call":"socket","sock":"s","result":3}`,
          `{"t_us":${T0 + 20_100},"pid":9,"call":"bind","sock":"s","result":0,"arg":"192.0.2.3:0","harness":true}`,
          `{"t_us":${T0 + 230_000},"pid":9,"call":"recv","sock":"s","result":-1,"errno":"ECONNRESET"}`,
          'kl-actor: a line that is not JSON',
        ],
      },
    ],
    [
      'LISTEN 0      8      192.0.2.1:8080 0.0.0.0:*',
      'SYN-RECV 0 0 192.0.2.1:8080 192.0.2.3:41000',
      'ESTAB 0 0 192.0.2.99:1 192.0.2.1:8080',
    ],
  );

  void it('names hosts by address and keys connections by host pair', () => {
    assert.deepEqual(
      trace.connections.map((c) => [
        c.key,
        c.segments.map((s) => `${s.from} ${s.flags} ${s.seq} ${s.ack}`),
      ]),
      [
        ['client~server#1', ['client S 0 0', 'server S. 0 1']],
        ['client2~server#1', ['client2 S 0 0']],
      ],
    );
    assert.deepEqual(trace.connections[0]!.segments[0]!.options, ['mss 1460', 'nop', 'wscale 7']);
    assert.equal(trace.connections[0]!.segments[1]!.tMs, 0.4);
  });

  void it('keeps the programs calls on the scenario clock, without the harness binds', () => {
    assert.deepEqual(
      trace.calls.map((c) => [c.tMs, c.host, c.call, c.result, c.errno]),
      [
        [20, 'client2', 'socket', 3, undefined],
        [230, 'client2', 'recv', -1, 'ECONNRESET'],
      ],
    );
  });

  void it('lists the sockets left per host in the kernel spelling', () => {
    assert.deepEqual(trace.finalStates, [
      { host: 'server', state: 'LISTEN' },
      { host: 'server', state: 'SYN_RECV' },
    ]);
    assert.equal(trace.params['tcp_syncookies'], 1);
    assert.equal(trace.params['tcp_rmem'], undefined, 'multi-number sysctls are not trace params');
  });
});

void describe('scenario arithmetic', () => {
  void it('follows the SYN backoff with and without linear timeouts', () => {
    assert.deepEqual(synBackoffMs(6, 0), [1000, 2000, 4000, 8000, 16000, 32000]);
    assert.deepEqual(synBackoffMs(7, 4), [1000, 1000, 1000, 1000, 1000, 2000, 4000]);
  });

  void it('gives up at the earlier of the retry count and the modelled time', () => {
    // Without linear timeouts, 2 retries: 1 + 2 + 4 s.
    assert.equal(synTimeoutMs(2, 0), 7000);
    // With 4 linear timeouts the count allows 6 retries (10 s), the time limit still 7 s:
    // what this host showed (SYNs at 0..5 s, ETIMEDOUT at 7 s).
    assert.equal(synTimeoutMs(2, 4), 7000);
    assert.equal(synTimeoutMs(6, 0), 127_000);
  });

  void it('gives every client its own address and a harness source bind from the second on', () => {
    const p = plan('accept-overflow', {}, { tcp_syn_linear_timeouts: 4 });
    assert.deepEqual(
      p.hosts.map((h) => `${h.name}=${h.ip}`),
      ['server=192.0.2.1', 'client=192.0.2.2', 'client2=192.0.2.3', 'client3=192.0.2.4'],
    );
    const c2 = p.actors.find((a) => a.host === 'client2')!;
    assert.deepEqual(c2.actions.slice(0, 4), [
      'at:160',
      'socket:c',
      'source:c:192.0.2.3',
      'syncnt:c:2',
    ]);
    assert.ok(
      !p.actors.find((a) => a.host === 'client')!.actions.some((x) => x.startsWith('source')),
    );
  });

  void it('drops the first k SYNs with a byte quota the runner checks afterwards', () => {
    const p = plan('syn-loss', { drop_syns: 3 }, { tcp_syn_linear_timeouts: 4 });
    assert.equal(p.expectServerDrops, 3);
    assert.match(p.serverRules[0]!, /quota until 180 bytes/);
  });
});

void describe('parseNetstat', () => {
  void it('pairs the name and value lines of TcpExt and Tcp', () => {
    const counters = parseNetstat([
      'TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows',
      'TcpExt: 3 1 0',
      'IpExt: InNoRoutes',
      'IpExt: 7',
      'Tcp: RtoAlgorithm ActiveOpens',
      'Tcp: 1 2',
    ]);
    assert.deepEqual(counters, {
      SyncookiesSent: 3,
      SyncookiesRecv: 1,
      ListenOverflows: 0,
      RtoAlgorithm: 1,
      ActiveOpens: 2,
    });
  });
});
