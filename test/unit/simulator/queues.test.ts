/**
 * The listener's two queues with the kernel's own checks: the accept queue is full when it
 * holds MORE than the backlog (sk_acceptq_is_full), the request socks overflow into SYN
 * cookies when there are more of them than the backlog (inet_csk_reqsk_queue_is_full), the
 * backlog is clamped to somaxconn (__sys_listen), and a closed listener resets its queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKernelVersion, runScenario } from '../../../webview/simulator/engine/index';
import { calls, flags, run, scenario, sent } from './helpers';

void describe('accept queue', () => {
  void it('backlog 1 lets two connections in; the next SYN is dropped and retried until ETIMEDOUT', () => {
    const r = run('accept-overflow', '6.1');
    const adds = r.steps.filter((s) => s.explain.key === 'acceptq.add');
    assert.deepEqual(
      adds.map((s) => s.explain.args['queued']),
      [1, 2],
    );
    const drops = r.steps.filter((s) => s.explain.key === 'syn.drop.acceptq_full');
    assert.ok(
      drops.length >= 7,
      `client4's SYN and its retransmissions are dropped (${drops.length})`,
    );
    assert.ok(drops.every((s) => String(s.explain.args['from']).startsWith('client4:')));
    const c4 = calls(r, 'client4', 'connect')[0]!;
    assert.equal(c4.syscall!.errno, 'ETIMEDOUT');
    // client3 completed its side of the handshake; its final ACK was ignored by the server.
    assert.equal(calls(r, 'client3', 'connect')[0]!.syscall!.result, 0);
    assert.ok(r.steps.some((s) => s.explain.key === 'ack.drop.acceptq_full'));
    // At the end two children wait in the queue of a listener with backlog 1.
    const listener = r.snapshots[r.snapshots.length - 1]!.sockets.find(
      (s) => s.state === 'LISTEN',
    )!;
    assert.equal(listener.backlog, 1);
    assert.equal(listener.acceptQueue!.length, 2);
  });

  void it('tcp_abort_on_overflow=1 answers the final ACK with RST, and the client sees ECONNRESET', () => {
    const r = run('accept-overflow', '6.12', { tcp_abort_on_overflow: 1 });
    const rst = sent(r, 'server').find((s) => s.segment!.flags === 'R')!;
    assert.match(rst.segment!.dst, /^client3:/);
    const recv = calls(r, 'client3', 'recv')[0]!;
    assert.deepEqual([recv.syscall!.result, recv.syscall!.errno], [-1, 'ECONNRESET']);
    // The SYN drop does not depend on the sysctl: client4 still times out, silently.
    assert.equal(calls(r, 'client4', 'connect')[0]!.syscall!.errno, 'ETIMEDOUT');
  });

  void it('listen() clamps the backlog to somaxconn', () => {
    const r = run('accept-overflow', '6.1', { backlog: 50, somaxconn: 1 });
    assert.ok(r.steps.some((s) => s.explain.key === 'syscall.listen.clamped'));
    const listener = r.snapshots[r.snapshots.length - 1]!.sockets.find(
      (s) => s.state === 'LISTEN',
    )!;
    assert.equal(listener.backlog, 1);
    assert.equal(listener.acceptQueue!.length, 2);
  });

  void it('with a large backlog every client is queued', () => {
    const r = run('accept-overflow', '6.1', { backlog: 8 });
    assert.equal(r.steps.filter((s) => s.explain.key === 'acceptq.add').length, 4);
    assert.ok(!r.steps.some((s) => s.kind === 'drop'));
  });
});

void describe('SYN queue and syncookies', () => {
  void it('syn-flood: after backlog + 1 request socks, SYNs get cookies and a real client still gets in', () => {
    const r = run('syn-flood', '6.1');
    const reqs = r.steps.filter((s) => s.explain.key === 'req.new');
    assert.equal(reqs.length, 9); // backlog 8: the queue is full at 9 (">")
    const cookies = r.steps.filter((s) => s.explain.key === 'syn.cookie');
    assert.equal(cookies.length, 32 - 9 + 1); // the rest of the flood, and the real client
    assert.ok(r.steps.some((s) => s.explain.key === 'cookie.valid'));
    const accept = calls(r, 'server', 'accept')[0]!;
    assert.ok((accept.syscall!.result ?? -1) > 0);
    assert.equal(calls(r, 'server', 'recv')[0]!.syscall!.value, 'hello');
    // The cookie encodes an MSS from the table: 1460 for loopback's 65495.
    assert.equal(cookies[cookies.length - 1]!.explain.args['mss'], 1460);
    // The flood's request socks retransmit their SYN-ACKs (dropped on the way) and expire.
    assert.equal(r.steps.filter((s) => s.explain.key === 'req.expired').length, 9);
  });

  void it('syn-flood with tcp_syncookies=0 drops SYNs and the client has to retransmit', () => {
    const r = run('syn-flood', '6.1', { tcp_syncookies: 0 });
    assert.ok(r.steps.some((s) => s.explain.key === 'syn.drop.synq_full'));
    assert.ok(!r.steps.some((s) => s.explain.key === 'syn.cookie'));
    const clientSyns = sent(r, 'client').filter((s) => s.segment!.flags === 'S');
    assert.ok(clientSyns.length > 1);
  });

  void it('tcp_syncookies=2 answers every SYN with a cookie and keeps no request sock', () => {
    const r = run('normal', '6.12', { tcp_syncookies: 2 });
    assert.ok(r.steps.some((s) => s.explain.key === 'syn.cookie'));
    assert.ok(!r.steps.some((s) => s.explain.key === 'req.new'));
    assert.equal(calls(r, 'server', 'recv')[0]!.syscall!.value, 'hello');
  });
});

void describe('listener closed with connections queued', () => {
  void it('sends RST to each queued child; the clients read ECONNRESET', () => {
    const r = run('listener-close', '6.1', { clients: 3 });
    const rsts = sent(r, 'server').filter((s) => s.segment!.flags === 'R.');
    assert.equal(rsts.length, 3);
    for (const c of ['client', 'client2', 'client3']) {
      const recv = calls(r, c, 'recv')[0]!;
      assert.deepEqual([recv.syscall!.result, recv.syscall!.errno], [-1, 'ECONNRESET'], c);
      assert.equal(recv.t, 1000);
    }
    assert.deepEqual(flags(sent(r, 'client')), ['S', '.']);
  });
});

void describe('request socks of a closed listener', () => {
  void it('stay until their timer finds the listener gone, then the listener is freed too', () => {
    // A SYN-ACK that never arrives keeps client2's request sock pending when the server closes.
    const spec = scenario('listener-close');
    const lossy = {
      ...spec,
      network: { rules: [{ action: 'drop' as const, from: 'server', to: 'client', flags: 'S.' }] },
    };
    const run2 = runScenario(lossy, {
      version: parseKernelVersion('6.1'),
      seed: 1,
      params: { clients: 1, hold_ms: 500 },
    });
    const gone = run2.steps.find((s) => s.explain.key === 'req.listener_gone')!;
    assert.equal(gone.t, 10 + 1000); // the first SYN-ACK timer after the close at 500 ms
    const after = run2.snapshots[gone.index]!;
    assert.ok(!after.sockets.some((s) => s.host === 'server'), JSON.stringify(after.sockets));
    // The client's SYN retransmission then meets no listener: RST, ECONNREFUSED.
    assert.equal(calls(run2, 'client', 'connect')[0]!.syscall!.errno, 'ECONNREFUSED');
  });
});
