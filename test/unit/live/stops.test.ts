// The pure parts of a live run: breakpoint plan, stops from MI records, the repeated-stop
// filter, and the order check the real test relies on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMiLine, type MiTuple } from '../../../extension/live/mi';
import { cString } from '../../../extension/live/session';
import {
  breakpointPlan,
  checkOrder,
  commCondition,
  DuplicateStopFilter,
  framesFromMi,
  stopReason,
  stopsOfTask,
  tcpFlags,
  type Stop,
} from '../../../extension/live/stops';

function results(line: string): MiTuple {
  const r = parseMiLine(line);
  assert.ok(r.type === 'exec' || r.type === 'result');
  return r.results;
}

function stop(seq: number, fn: string, pid: number, socketState?: string, segment?: string): Stop {
  return {
    seq,
    function: fn,
    breakpoint: 1,
    frame: { level: 0, func: fn, addr: '0x1', file: 'net/socket.c', line: 1 },
    backtrace: [],
    task: { pid, comm: 'kl-live' },
    ...(socketState ? { socketState } : {}),
    ...(segment ? { segment } : {}),
    pc: '1',
    sp: '2',
    ms: 1,
  };
}

void describe('breakpointPlan', () => {
  void it('filters the syscalls by task, breaks on the entry address of tcp_v4_conn_request', () => {
    const plan = breakpointPlan();
    assert.deepEqual(
      plan.map((b) => b.location),
      [
        '__sys_socket',
        '__sys_bind',
        '__sys_listen',
        '__sys_accept4',
        '__sys_connect',
        'tcp_v4_connect',
        'tcp_rcv_state_process',
        '*tcp_v4_conn_request',
        'tcp_finish_connect',
      ],
    );
    assert.deepEqual(
      plan.filter((b) => b.filterByComm).map((b) => b.function),
      ['__sys_socket', '__sys_bind', '__sys_listen', '__sys_accept4', '__sys_connect'],
    );
    assert.ok(plan.filter((b) => b.function.startsWith('tcp_')).every((b) => b.readsSocket));
  });

  void it('refuses a task name gdb could not quote or the kernel would truncate', () => {
    assert.match(commCondition('kl-live'), /\$_streq\(.*->comm, "kl-live"\)/);
    assert.throws(() => commCondition('a"b'));
    assert.throws(() => commCondition('sixteen-chars-xx'));
  });
});

void describe('stops from MI records', () => {
  void it('reads a breakpoint hit, the exit and a stop without a reason (the attach)', () => {
    const hit = stopReason(
      results(
        '*stopped,reason="breakpoint-hit",disp="keep",bkptno="8",frame={addr="0xffffffff818714d0",func="tcp_v4_conn_request",args=[],file="net/ipv4/tcp_ipv4.c",fullname="/t/net/ipv4/tcp_ipv4.c",line="1487",arch="i386:x86-64"},thread-id="1",stopped-threads="all"',
      ),
    );
    assert.deepEqual(hit, {
      kind: 'breakpoint',
      breakpoint: 8,
      frame: {
        level: 0,
        func: 'tcp_v4_conn_request',
        addr: '0xffffffff818714d0',
        file: 'net/ipv4/tcp_ipv4.c',
        fullname: '/t/net/ipv4/tcp_ipv4.c',
        line: 1487,
      },
    });
    assert.deepEqual(stopReason(results('*stopped,reason="exited-normally"')), {
      kind: 'exited',
      code: 0,
    });
    assert.deepEqual(stopReason(results('*stopped,reason="exited",exit-code="01"')), {
      kind: 'exited',
      code: 1,
    });
    const attach = stopReason(
      results(
        '*stopped,frame={addr="0x000000000000fff0",func="exception_stacks",args=[],arch="i386:x86-64"},thread-id="1",stopped-threads="all"',
      ),
    );
    assert.equal(attach.kind, 'other');
  });

  void it('reads a backtrace, frames without a file included', () => {
    const frames = framesFromMi(
      results(
        '9^done,stack=[frame={level="0",addr="0xffffffff8177c720",func="__sys_bind",file="net/socket.c",line="1798"},frame={level="7",addr="0x0000000000000002",func="fixed_percpu_data"}]',
      ),
    );
    assert.deepEqual(frames, [
      {
        level: 0,
        func: '__sys_bind',
        addr: '0xffffffff8177c720',
        file: 'net/socket.c',
        line: 1798,
      },
      { level: 7, func: 'fixed_percpu_data', addr: '0x0000000000000002' },
    ]);
  });

  void it('reads the task name out of a char array value', () => {
    assert.equal(cString('"kl-live\\000\\000\\000\\000\\000\\000\\000\\000"'), 'kl-live');
    assert.equal(cString('"ksoftirqd/0\\000\\000\\000\\000"'), 'ksoftirqd/0');
    assert.equal(cString(`"ip", '\\000' <repeats 13 times>`), 'ip');
    assert.equal(cString('<optimized out>'), undefined);
  });
});

void describe('tcpFlags', () => {
  void it('names the flags of the TCP header byte 13, SYN first', () => {
    assert.equal(tcpFlags(0x02), 'SYN');
    assert.equal(tcpFlags(0x12), 'SYN,ACK');
    assert.equal(tcpFlags(0x14), 'RST,ACK');
    assert.equal(tcpFlags(0x11), 'FIN,ACK');
    assert.equal(tcpFlags(0x18), 'PSH,ACK');
    assert.equal(tcpFlags(0xc2), 'SYN,ECE,CWR');
    assert.equal(tcpFlags(0), '');
  });
});

void describe('DuplicateStopFilter', () => {
  const key = { breakpoint: 7, pc: '100', sp: '200', args: '1 2' };
  void it('drops a stop that repeats the previous one exactly', () => {
    const f = new DuplicateStopFilter();
    assert.equal(f.isDuplicate(key), false);
    assert.equal(f.isDuplicate({ ...key }), true);
    assert.equal(f.dropped, 1);
  });
  void it('keeps a second call from the same depth with other arguments (the next segment)', () => {
    const f = new DuplicateStopFilter();
    f.isDuplicate(key);
    assert.equal(f.isDuplicate({ ...key, args: '1 3' }), false);
    assert.equal(f.isDuplicate({ ...key, sp: '208' }), false);
    assert.equal(f.isDuplicate({ ...key, breakpoint: 8 }), false);
  });
  void it('keeps a repeat that is not consecutive, and anything after reset()', () => {
    const f = new DuplicateStopFilter();
    f.isDuplicate(key);
    f.isDuplicate({ ...key, pc: '101' });
    assert.equal(f.isDuplicate(key), false);
    f.reset();
    assert.equal(f.isDuplicate(key), false);
    assert.equal(f.dropped, 0);
  });
});

void describe('checkOrder', () => {
  // The handshake as one run on this machine interleaved it (server pid 81, client 82).
  const run = [
    stop(0, '__sys_socket', 81),
    stop(1, '__sys_bind', 81),
    stop(2, '__sys_listen', 81),
    stop(3, '__sys_accept4', 81),
    stop(4, '__sys_socket', 82),
    stop(5, '__sys_connect', 82),
    stop(6, 'tcp_v4_connect', 82, 'CLOSE'),
    stop(7, 'tcp_rcv_state_process', 82, 'LISTEN', 'SYN'),
    stop(8, 'tcp_v4_conn_request', 82, 'LISTEN', 'SYN'),
    stop(9, 'tcp_rcv_state_process', 82, 'SYN_SENT', 'SYN,ACK'),
    stop(10, 'tcp_finish_connect', 82, 'SYN_SENT', 'SYN,ACK'),
    stop(11, 'tcp_rcv_state_process', 14, 'SYN_RECV', 'ACK'),
  ];
  const handshake = [
    { function: 'tcp_v4_connect', label: 'connect' },
    { function: 'tcp_rcv_state_process', socketState: 'LISTEN', label: 'listener gets the SYN' },
    { function: 'tcp_v4_conn_request', label: 'request' },
    { function: 'tcp_finish_connect', label: 'client established' },
    { function: 'tcp_rcv_state_process', socketState: 'SYN_RECV', label: 'child gets the ACK' },
  ];

  void it('matches an expected subsequence with other stops between', () => {
    const r = checkOrder(run, handshake);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.matched.map((s) => s?.seq),
      [6, 7, 8, 10, 11],
    );
  });

  void it('matches on the flags of the segment when asked', () => {
    const synAck = { function: 'tcp_rcv_state_process', segment: 'SYN,ACK', label: 'SYN-ACK' };
    assert.equal(checkOrder(run, [synAck]).matched[0]?.seq, 9);
    const rst = { function: 'tcp_rcv_state_process', segment: 'RST,ACK', label: 'reset' };
    assert.match(checkOrder(run, [rst]).problems[0]!, /reset .* on RST,ACK\) never stopped/);
  });

  void it('says which stop is missing and which came too early', () => {
    const noChild = checkOrder(run.slice(0, 11), handshake);
    assert.equal(noChild.problems.length, 1);
    assert.match(noChild.problems[0]!, /child gets the ACK .*SYN_RECV.* never stopped/);
    const swapped = [run[7]!, run[6]!, ...run.slice(8)];
    const early = checkOrder(swapped, handshake);
    assert.match(early.problems[0]!, /listener gets the SYN .* came too early/);
  });

  void it('separates the processes by pid', () => {
    assert.deepEqual(
      stopsOfTask(run, 82)
        .map((s) => s.function)
        .slice(0, 3),
      ['__sys_socket', '__sys_connect', 'tcp_v4_connect'],
    );
    assert.equal(stopsOfTask(run, 81).length, 4);
  });
});
