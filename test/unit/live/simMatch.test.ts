// Real stops against the simulator's predictions: the stops as one live run saw them on this
// machine, the steps from the simulator engine's own scenarios (normal, refused); and the
// same held stop by stop as VS Code's live run does (extension/client/liveComparison.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../../extension/kernelSources/paths';
import {
  callStart,
  compareToSimulation,
  describeAgreement,
  flagNames,
  functionEntries,
  matchToSimulation,
  rolesOf,
  syscallEntries,
} from '../../../extension/live/simMatch';
import { defaultFunctions } from '../../../extension/live/stops';
import {
  LiveComparison,
  liveRules,
  realStopView,
  verdictOf,
} from '../../../extension/client/liveComparison';
import type { Stop } from '../../../extension/live/stops';
import {
  parseKernelVersion,
  runScenario,
  type ScenarioSpec,
  type SimStep,
} from '../../../webview/simulator/engine/index';

function simulate(name: string): SimStep[] {
  const file = join(packageRoot(), 'kernel-snippets', 'simulator', 'scenarios', `${name}.json`);
  const spec = JSON.parse(readFileSync(file, 'utf8')) as ScenarioSpec;
  return runScenario(spec, { version: parseKernelVersion('6.1'), seed: 1 }).steps;
}

let seq = 0;
function stop(fn: string, pid: number, socketState?: string, segment?: string): Stop {
  return {
    seq: seq++,
    function: fn,
    breakpoint: 1,
    frame: { level: 0, func: fn, addr: '0x1' },
    backtrace: [],
    task: { pid, comm: 'kl-live' },
    ...(socketState ? { socketState } : {}),
    ...(segment ? { segment } : {}),
    pc: '1',
    sp: '2',
    ms: 1,
  };
}

// The handshake mode as `kernel-lens live` printed it (server pid 81, client 82).
const handshake = [
  stop('__sys_socket', 81),
  stop('__sys_bind', 81),
  stop('__sys_listen', 81),
  stop('__sys_accept4', 81),
  stop('__sys_socket', 82),
  stop('__sys_connect', 82),
  stop('tcp_v4_connect', 82, 'CLOSE'),
  stop('tcp_rcv_state_process', 82, 'LISTEN', 'SYN'),
  stop('tcp_v4_conn_request', 82, 'LISTEN', 'SYN'),
  stop('tcp_rcv_state_process', 82, 'SYN_SENT', 'SYN,ACK'),
  stop('tcp_finish_connect', 82, 'SYN_SENT', 'SYN,ACK'),
  stop('tcp_rcv_state_process', 14, 'SYN_RECV', 'ACK'),
  stop('tcp_rcv_state_process', 14, 'FIN_WAIT1', 'FIN,ACK'),
];

void describe('matchToSimulation', () => {
  void it('finds the step that predicted every stop of the handshake, per side', () => {
    const steps = simulate('normal');
    const agreements = matchToSimulation(handshake, steps);
    const compared = agreements.filter((a) => a.role);
    assert.equal(compared.length, 12, 'the FIN_WAIT1 stop has no side');
    for (const a of compared) assert.ok(a.step, describeAgreement(a));
    assert.deepEqual(
      agreements.map((a) => a.role),
      [
        ...Array(4).fill('server'),
        ...Array(3).fill('client'),
        'server',
        'server',
        'client',
        'client',
        'server',
        undefined,
      ],
    );
    for (const a of compared) assert.ok(a.step!.host.startsWith(a.role!), describeAgreement(a));
    const [, , , , , connect, v4connect, listenSyn, request, synSent, finish, child] = agreements;
    assert.equal(connect!.step!.syscall?.call, 'connect');
    // The state each stop saw is the one the predicting step leaves.
    assert.equal(v4connect!.step!.state?.from, 'CLOSE');
    assert.equal(listenSyn!.step!.state?.from, 'LISTEN');
    assert.equal(child!.step!.state?.from, 'SYN_RECV');
    assert.equal(child!.step!.state?.to, 'ESTABLISHED');
    // Nested calls share the step whose stack holds both.
    assert.equal(request!.step, listenSyn!.step);
    assert.equal(finish!.step, synSent!.step);
    assert.match(describeAgreement(agreements[12]!), /not compared/);
  });

  void it('says so when the model predicts no such stop', () => {
    const refused = [
      stop('__sys_socket', 81),
      stop('__sys_connect', 81),
      stop('tcp_v4_connect', 81, 'CLOSE'),
      stop('tcp_rcv_state_process', 81, 'SYN_SENT', 'RST,ACK'),
      stop('tcp_finish_connect', 81, 'SYN_SENT', 'SYN,ACK'),
    ];
    const agreements = matchToSimulation(refused, simulate('refused'));
    assert.ok(agreements.slice(0, 4).every((a) => a.step));
    assert.equal(agreements[4]!.step, undefined);
    assert.match(describeAgreement(agreements[4]!), /no client step .* tcp_finish_connect/);
  });
});

void describe('a socket() with nothing after it yet', () => {
  void it("takes the side of the model's next socket() call", () => {
    seq = 0;
    const steps = simulate('normal');
    const first = matchToSimulation([stop('__sys_socket', 81)], steps)[0]!;
    assert.equal(first.role, 'server');
    assert.equal(first.step?.host, 'server');
    const server = ['__sys_socket', '__sys_bind', '__sys_listen', '__sys_accept4'];
    const then = matchToSimulation(
      [...server.map((fn) => stop(fn, 81)), stop('__sys_socket', 82)],
      steps,
    ).at(-1)!;
    assert.equal(then.role, 'client');
    assert.equal(then.step?.host, 'client');
  });
});

void describe('rolesOf', () => {
  void it("gives socket() the role of its process's next call, one process being both sides", () => {
    const one = [
      stop('__sys_socket', 81),
      stop('__sys_bind', 81),
      stop('__sys_socket', 81),
      stop('__sys_connect', 81),
      stop('__sys_socket', 81),
    ];
    assert.deepEqual(rolesOf(one), ['server', 'server', 'client', 'client', undefined]);
  });
});

void describe('syscallEntries', () => {
  void it("leaves out the return of a call that blocked (connect's 0 after its null)", () => {
    const steps = simulate('normal');
    const connects = steps.filter((s) => s.syscall?.call === 'connect').map((s) => s.index);
    assert.equal(connects.length, 2);
    const entries = syscallEntries(steps);
    assert.ok(entries.has(connects[0]!));
    assert.ok(!entries.has(connects[1]!));
  });

  void it('matches each client of accept-overflow to its own connect, never to a return', () => {
    seq = 0;
    const backlog = [
      stop('__sys_socket', 90),
      stop('__sys_bind', 90),
      stop('__sys_listen', 90),
      ...[0, 1, 2].flatMap(() => [stop('__sys_socket', 90), stop('__sys_connect', 90)]),
    ];
    const steps = simulate('accept-overflow');
    const connects = matchToSimulation(backlog, steps)
      .filter((a) => a.stop.function === '__sys_connect')
      .map((a) => a.step);
    assert.deepEqual(
      connects.map((s) => [s?.host, s?.syscall?.result]),
      [
        ['client', null],
        ['client2', null],
        ['client3', null],
      ],
    );
  });
});

void describe('flagNames', () => {
  void it("names tcpdump's letters as the stops do", () => {
    assert.equal(flagNames('S'), 'SYN');
    assert.equal(flagNames('S.'), 'SYN,ACK');
    assert.equal(flagNames('R.'), 'RST,ACK');
    assert.equal(flagNames('.'), 'ACK');
    assert.equal(flagNames('F.'), 'FIN,ACK');
  });
});

void describe('functionEntries', () => {
  void it('counts a function once per call, not on every step that runs inside it', () => {
    const steps = simulate('normal');
    const entries = functionEntries(steps, ['tcp_rcv_state_process', 'tcp_v4_conn_request']);
    const server = [...entries].filter(([i]) => steps[i]!.host === 'server');
    // The SYN (conn_request inside), the final ACK on the child, then after the handshake.
    assert.deepEqual(server[0]![1], ['tcp_rcv_state_process', 'tcp_v4_conn_request']);
    const synAck = steps.find((s) => s.host === 'server' && s.segment?.flags === 'S.')!;
    assert.ok(!entries.has(synAck.index), 'the SYN-ACK is sent from the same call');
  });
});

void describe('compareToSimulation', () => {
  void it('finds nothing to say on the handshake as the real kernel ran it', () => {
    const compared = compareToSimulation(handshake, simulate('normal'), defaultFunctions());
    for (const c of compared)
      assert.deepEqual(
        c.differences,
        [],
        `${describeAgreement(c)} ${JSON.stringify(c.differences)}`,
      );
    assert.equal(compared[5]!.step?.syscall?.call, 'connect');
  });

  void it('says which state and flags differ, and which steps had no stop', () => {
    seq = 0;
    const steps = simulate('normal');
    const odd = [
      stop('__sys_socket', 81),
      stop('__sys_bind', 81),
      // listen and accept never stopped; then the SYN is seen in a state the model lacks.
      stop('__sys_socket', 82),
      stop('__sys_connect', 82),
      stop('tcp_rcv_state_process', 82, 'LISTEN', 'SYN,ACK'),
    ];
    const [, , , , syn] = compareToSimulation(odd, steps, defaultFunctions());
    assert.ok(syn!.step);
    assert.deepEqual(syn!.differences, [{ kind: 'segment', real: 'SYN,ACK', simulated: 'SYN' }]);
    const skipping = compareToSimulation(
      [...odd.slice(0, 4), stop('__sys_accept4', 81)],
      steps,
      defaultFunctions(),
    );
    const listen = steps.find((s) => s.syscall?.call === 'listen')!.index;
    assert.deepEqual(skipping[4]!.differences, [{ kind: 'skipped', steps: [listen] }]);
    const state = compareToSimulation(
      [stop('tcp_v4_connect', 82, 'SYN_SENT')],
      steps,
      defaultFunctions(),
    );
    assert.deepEqual(state[0]!.differences, [
      { kind: 'state', real: 'SYN_SENT', simulated: 'CLOSE' },
    ]);
  });

  void it('finds nothing to say on the refused connect as the real kernel ran it', () => {
    seq = 0;
    const refused = [
      stop('__sys_socket', 81),
      stop('__sys_connect', 81),
      stop('tcp_v4_connect', 81, 'CLOSE'),
      // The reset's handling spans two steps (tcp_reset, then the state it leaves): one call.
      stop('tcp_rcv_state_process', 81, 'SYN_SENT', 'RST,ACK'),
    ];
    const steps = simulate('refused');
    const compared = compareToSimulation(refused, steps, defaultFunctions());
    for (const c of compared)
      assert.deepEqual(
        c.differences,
        [],
        `${describeAgreement(c)} ${JSON.stringify(c.differences)}`,
      );
    const reset = compared[3]!.step!;
    assert.equal(reset.state?.from, 'SYN_SENT');
    assert.ok(callStart(steps, reset, 'tcp_rcv_state_process') < reset.index);
  });

  void it('points at the other side when only its steps run the function', () => {
    seq = 0;
    const [c] = compareToSimulation(
      [stop('tcp_v4_conn_request', 82, 'SYN_SENT')],
      simulate('normal'),
      defaultFunctions(),
    );
    assert.equal(c!.role, 'client');
    assert.equal(c!.step, undefined);
    const d = c!.differences[0];
    assert.equal(d?.kind, 'unpredicted');
    assert.equal(d?.kind === 'unpredicted' ? d.elsewhere?.role : undefined, 'server');
  });
});

void describe('LiveComparison', () => {
  void it('holds the handshake against "normal", stop by stop', () => {
    seq = 0;
    const live = new LiveComparison('handshake', defaultFunctions(), '6.1.158');
    assert.equal(live.scenario, 'normal');
    assert.equal(live.rules.text.startsWith('6.1'), true);
    const calls = ['__sys_socket', '__sys_bind', '__sys_listen', '__sys_accept4'];
    for (const fn of calls) assert.equal(verdictOf(live.add(stop(fn, 81))!), 'agrees');
    live.add(stop('__sys_socket', 82));
    const connect = live.add(stop('__sys_connect', 82))!;
    assert.equal(verdictOf(connect), 'agrees');
    assert.equal(connect.step?.syscall?.call, 'connect');
    assert.equal(connect.step?.host, 'client');
    const view = realStopView(connect);
    assert.deepEqual(view, {
      number: 6,
      function: '__sys_connect',
      task: { comm: 'kl-live', pid: 82 },
      role: 'client',
      step: connect.step!.index,
      differences: [],
    });
    assert.equal(live.current(), connect);
  });

  void it('says when no step predicts a stop, and which scenario models each mode', () => {
    seq = 0;
    const live = new LiveComparison('refused', defaultFunctions(), 'not a version');
    assert.equal(live.scenario, 'refused');
    assert.equal(live.rules.text, liveRules('6.1').text);
    live.add(stop('__sys_socket', 81));
    live.add(stop('__sys_connect', 81));
    const odd = live.add(stop('tcp_finish_connect', 81, 'SYN_SENT', 'SYN,ACK'))!;
    assert.equal(verdictOf(odd), 'unpredicted');
    assert.equal(realStopView(odd).step, undefined);
    assert.equal(realStopView(odd).differences[0]?.kind, 'unpredicted');
    assert.equal(
      new LiveComparison('backlog', defaultFunctions(), '6.1').scenario,
      'accept-overflow',
    );
  });
});
