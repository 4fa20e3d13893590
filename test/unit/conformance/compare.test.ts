// The conformance comparison on small hand-made traces: a simulator JSON written the way
// `kernel-lens sim --json` prints it (issue 5), and real traces built the way the runner
// builds them from a capture.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  align,
  compareTraces,
  formatDifference,
  retransmissionGaps,
  type KnownDifference,
} from '../../conformance/compare';
import {
  buildConnections,
  canonicalOptions,
  canonicalState,
  traceFromSim,
  type RawSegment,
  type SimOutput,
  type SimStep,
  type Trace,
} from '../../conformance/trace';

const SYN_OPTS = ['mss 1460', 'sackOK', 'TS val 100 ecr 0', 'nop', 'wscale 7'];

/** A simulator step that sends a segment. */
function send(
  t: number,
  src: string,
  dst: string,
  flags: string,
  seq: number,
  ack: number,
  len = 0,
  options: unknown = ['nop', 'nop', 'TS val 1 ecr 1'],
): SimStep {
  return {
    t_ms: t,
    host: src.split(':')[0]!,
    kind: 'send',
    segment: { src, dst, flags, seq, ack, len, win: 502, options },
    stack: [],
  };
}

function call(
  t: number,
  host: string,
  name: string,
  result: number | null,
  errno?: string,
): SimStep {
  return {
    t_ms: t,
    host,
    kind: 'syscall',
    syscall: errno ? { call: name, result, errno } : { call: name, result },
    stack: [],
  };
}

/** The simulator's `refused`: SYN, RST-ACK, ECONNREFUSED. ISN 1000 for the client. */
const simRefused: SimOutput = {
  scenario: 'refused',
  kernel: { version: '6.18.44' },
  params: { delay_ms: 0 },
  steps: [
    call(0, 'client', 'socket', 3),
    // connect() starts to wait (result null), and returns in a later step.
    call(0, 'client', 'connect', null),
    send(0, 'client:40000', 'server:8080', 'S', 1000, 0, 0, SYN_OPTS),
    { t_ms: 0, host: 'server', kind: 'deliver', stack: [] },
    send(0, 'server:8080', 'client:40000', 'R.', 0, 1001, 0, []),
    {
      t_ms: 0,
      host: 'client',
      kind: 'state',
      state: { socket: 'client:40000', from: 'SYN_SENT', to: 'CLOSE' },
      stack: [],
    },
    call(0, 'client', 'connect', -1, 'ECONNREFUSED'),
  ],
};

/** The same exchange as the real side sees it: other ports, other ISN, same meaning. */
function realRefused(
  over: Partial<{ rstFlags: string; errno: string; synOptions: string[] }> = {},
): Trace {
  const raw: RawSegment[] = [
    {
      tMs: 0.3,
      srcHost: 'client',
      srcPort: 51234,
      dstHost: 'server',
      dstPort: 8080,
      flags: 'S',
      seq: 0xfffffffe,
      ack: 0,
      len: 0,
      win: 502,
      options: over.synOptions ?? ['mss 1460', 'sackOK', 'TS', 'nop', 'wscale 7'],
    },
    {
      tMs: 0.4,
      srcHost: 'server',
      srcPort: 8080,
      dstHost: 'client',
      dstPort: 51234,
      flags: over.rstFlags ?? 'R.',
      seq: 0,
      ack: 0xffffffff,
      len: 0,
      win: 502,
      options: [],
    },
  ];
  return {
    scenario: 'refused',
    source: 'real',
    kernel: '6.18.44',
    params: {},
    connections: buildConnections(raw),
    calls: [
      { tMs: 0.2, host: 'client', call: 'socket', result: 3 },
      {
        tMs: 0.4,
        host: 'client',
        call: 'connect',
        result: -1,
        errno: over.errno ?? 'ECONNREFUSED',
      },
    ],
    finalStates: [],
  };
}

void describe('trace normalization', () => {
  void it('makes seq/ack relative to each side ISN, across the 32-bit wrap', () => {
    const [conn] = realRefused().connections;
    assert.equal(conn!.key, 'client~server#1');
    assert.deepEqual(
      conn!.segments.map((s) => [s.from, s.flags, s.seq, s.ack]),
      [
        ['client', 'S', 0, 0],
        // The RST's sender sent no SYN: its seq stays absolute (0), its ack is relative.
        ['server', 'R.', 0, 1],
      ],
    );
  });

  void it('numbers connections between the same hosts by first segment, not by port', () => {
    const seg = (t: number, port: number): RawSegment => ({
      tMs: t,
      srcHost: 'client',
      srcPort: port,
      dstHost: 'server',
      dstPort: 80,
      flags: 'S',
      seq: 5,
      ack: 0,
      len: 0,
      win: 1,
      options: [],
    });
    const conns = buildConnections([seg(20, 1000), seg(10, 3000), seg(30, 1000)]);
    assert.deepEqual(
      conns.map((c) => [c.key, c.segments.length]),
      [
        ['client~server#1', 1],
        ['client~server#2', 2],
      ],
    );
  });

  void it('reads options in the forms a simulator may print', () => {
    // Padding stays where it is (part of the header); an object form has none to keep.
    const want = ['mss 1460', 'sackOK', 'TS', 'nop', 'wscale 7'];
    assert.deepEqual(canonicalOptions(SYN_OPTS), want);
    assert.deepEqual(
      canonicalOptions([
        { kind: 'mss', value: 1460 },
        { kind: 'sackOK' },
        { kind: 'TS', val: 1, ecr: 0 },
        { kind: 'nop' },
        { kind: 'wscale', value: 7 },
      ]),
      want,
    );
    assert.deepEqual(
      canonicalOptions({ mss: 1460, sackOK: true, timestamps: { val: 1, ecr: 0 }, wscale: 7 }),
      ['mss 1460', 'sackOK', 'TS', 'wscale 7'],
    );
    assert.deepEqual(canonicalOptions(['nop', 'nop', 'sack 1 {1:2}']), ['nop', 'nop', 'sack']);
  });

  void it('spells socket states the kernel way', () => {
    assert.equal(canonicalState('ESTAB'), 'ESTABLISHED');
    assert.equal(canonicalState('SYN-RECV'), 'SYN_RECV');
    assert.equal(canonicalState('TCP_FIN_WAIT1'), 'FIN_WAIT1');
    assert.equal(canonicalState('FIN-WAIT-1'), 'FIN_WAIT1');
    assert.equal(canonicalState('TIME-WAIT'), 'TIME_WAIT');
    assert.equal(canonicalState('CLOSE'), 'CLOSED');
  });

  void it('takes segments from send steps only, calls from syscall steps, states until the end', () => {
    const t = traceFromSim(
      {
        ...simRefused,
        steps: [...simRefused.steps, send(5000, 'client:40000', 'server:8080', 'S', 1000, 0)],
      },
      100,
    );
    assert.equal(t.connections.length, 1);
    assert.equal(t.connections[0]!.segments.length, 2, 'the step after endMs is left out');
    assert.deepEqual(
      t.calls.map((c) => `${c.call} ${c.result} ${c.errno ?? ''}`),
      ['socket 3 ', 'connect -1 ECONNREFUSED'],
    );
    assert.deepEqual(t.finalStates, []);
  });
});

void describe('compareTraces', () => {
  void it('finds nothing when the traces agree', () => {
    assert.deepEqual(compareTraces(realRefused(), traceFromSim(simRefused)), []);
  });

  void it('reports a flag difference as a missing and an extra segment, with the step', () => {
    const diffs = compareTraces(realRefused({ rstFlags: 'R' }), traceFromSim(simRefused));
    assert.deepEqual(diffs.map(formatDifference), [
      'refused: client~server#1 server>client segment 1 extra: real R seq 0 ack 0 len 0 at 0 ms, sim not sent',
      'refused: client~server#1 server>client segment 1 missing: real not sent, sim R. seq 0 ack 1 len 0 at 0 ms',
    ]);
  });

  void it('reports a different errno and different options', () => {
    const diffs = compareTraces(
      realRefused({ errno: 'ETIMEDOUT', synOptions: ['mss 65495', 'sackOK', 'TS', 'wscale 7'] }),
      traceFromSim(simRefused),
    );
    assert.deepEqual(
      diffs.map((d) => `${d.where} ${d.aspect}`),
      ['client~server#1 client>server segment 1 (S) options', 'client call 2 (connect) errno'],
    );
    assert.equal(diffs[1]!.real, '-1 ETIMEDOUT');
    assert.equal(diffs[1]!.sim, '-1 ECONNREFUSED');
  });

  void it('marks a written-down difference as known, with its reason, and keeps it', () => {
    const known: KnownDifference[] = [
      {
        id: 'loopback-mss',
        scenario: '*',
        aspect: 'options',
        real: '.*mss 65495.*',
        reason: 'loopback MTU',
      },
    ];
    const diffs = compareTraces(
      realRefused({ synOptions: ['mss 65495', 'sackOK', 'TS', 'wscale 7'] }),
      traceFromSim(simRefused),
      { known },
    );
    assert.equal(diffs.length, 1);
    assert.deepEqual(diffs[0]!.known, { id: 'loopback-mss', reason: 'loopback MTU' });
    assert.match(formatDifference(diffs[0]!), /\[known loopback-mss: loopback MTU\]$/);
  });

  void it('checks retransmission intervals within the tolerance', () => {
    const synAt = (times: number[], host: string): RawSegment[] =>
      times.map((t) => ({
        tMs: t,
        srcHost: host,
        srcPort: 1,
        dstHost: 'server',
        dstPort: 2,
        flags: 'S',
        seq: 9,
        ack: 0,
        len: 0,
        win: 1,
        options: [],
      }));
    const trace = (times: number[]): Trace => ({
      scenario: 'syn-timeout',
      source: 'real',
      kernel: 'x',
      params: {},
      connections: buildConnections(synAt(times, 'client')),
      calls: [],
    });
    // 1010 and 1034 ms real against 1000 ms modelled: within 20%.
    assert.deepEqual(
      compareTraces(trace([0, 1010, 2044]), { ...trace([0, 1000, 2000]), source: 'sim' }),
      [],
    );
    // 3 s real against 1 s modelled: a difference, on the segment that came late.
    const diffs = compareTraces(trace([0, 1000, 4000]), {
      ...trace([0, 1000, 2000]),
      source: 'sim',
    });
    assert.deepEqual(diffs.map(formatDifference), [
      'syn-timeout: client~server#1 client>server segment 3 (S) interval: real retransmitted after 3000 ms, sim retransmitted after 1000 ms',
    ]);
  });

  void it('compares call return times and final states', () => {
    const real = realRefused();
    real.calls[1] = { ...real.calls[1]!, tMs: 3000 };
    real.finalStates = [{ host: 'client', state: 'TIME_WAIT' }];
    const diffs = compareTraces(real, traceFromSim(simRefused));
    assert.deepEqual(
      diffs.map((d) => `${d.aspect}: ${d.real} / ${d.sim}`),
      ['time: returned at 3000 ms / returned at 0 ms', 'state: [TIME_WAIT] / []'],
    );
  });
});

void describe('helpers', () => {
  void it('aligns on a longest common subsequence', () => {
    assert.deepEqual(
      align(['S', 'S.', '.', 'F.'], ['S', '.', 'P.', 'F.'], (a, b) => a === b),
      [{ real: 0, sim: 0 }, { real: 1 }, { real: 2, sim: 1 }, { sim: 2 }, { real: 3, sim: 3 }],
    );
  });

  void it('counts only copies of SYN, FIN or data as retransmissions', () => {
    const s = (t: number, flags: string, len = 0) => ({
      tMs: t,
      from: 'a',
      to: 'b',
      flags,
      seq: 1,
      ack: 1,
      len,
      win: 1,
      options: [],
    });
    assert.deepEqual(
      retransmissionGaps([
        s(0, 'S'),
        s(1000, 'S'),
        s(1001, '.'),
        s(1002, '.'),
        s(1003, 'P.', 5),
        s(1300, 'P.', 5),
      ]),
      [undefined, 1000, undefined, undefined, undefined, 297],
    );
  });
});
