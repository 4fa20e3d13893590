/**
 * Retransmission schedules for both versions, as the kernel's arithmetic gives them:
 * TCP_TIMEOUT_INIT 1 s doubled per retransmission (tcp_retransmit_timer), the give-up rule of
 * tcp_write_timeout / retransmits_timed_out, 6.5+'s tcp_syn_linear_timeouts, and the
 * request sock's SYN-ACK timer (reqsk_timer_handler).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParamError } from '../../../webview/simulator/engine/index';
import { modelTimeout, wheelExpiry } from '../../../webview/simulator/engine/tcpModel';
import { calls, run, sent, times } from './helpers';

/** SYN send times relative to the first SYN, and when connect() returned. */
function synSchedule(
  version: string,
  params: Record<string, number>,
): { syns: number[]; failedAt: number; errno: string | undefined } {
  const r = run('syn-timeout', version, params);
  const syns = times(sent(r, 'client'));
  const connect = calls(r, 'client', 'connect')[0]!;
  return {
    syns: syns.map((t) => t - syns[0]!),
    failedAt: connect.t - syns[0]!,
    errno: connect.syscall!.errno,
  };
}

void describe('SYN retransmission', () => {
  void it('6.1: doubles from 1 s; with tcp_syn_retries 6 connect() fails after 127 s', () => {
    const s = synSchedule('6.1', { syncnt: 0 });
    assert.deepEqual(s.syns, [0, 1000, 3000, 7000, 15000, 31000, 63000]);
    assert.equal(s.failedAt, 127000);
    assert.equal(s.errno, 'ETIMEDOUT');
  });

  // 6.12 Documentation/networking/ip-sysctl.rst, tcp_syn_retries: "67seconds (with
  // tcp_syn_linear_timeouts = 4) till the last retransmission ... the final timeout for an
  // active TCP connection attempt will happen after 131seconds."
  void it('6.12: the first 4 retransmissions stay 1 s apart, then double; fails after 131 s', () => {
    const s = synSchedule('6.12', { syncnt: 0 });
    assert.deepEqual(s.syns, [0, 1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000, 67000]);
    assert.equal(s.failedAt, 131000);
  });

  void it('TCP_SYNCNT 2: 6.1 sends 3 SYNs and fails at 7 s; 6.12 fails at the same model timeout with more SYNs', () => {
    assert.deepEqual(synSchedule('6.1', { syncnt: 2 }), {
      syns: [0, 1000, 3000],
      failedAt: 7000,
      errno: 'ETIMEDOUT',
    });
    // max retransmissions 2 + 4, but retransmits_timed_out's 7 s budget (tcp_model_timeout(2)) ends it first.
    assert.deepEqual(synSchedule('6.12', { syncnt: 2 }), {
      syns: [0, 1000, 2000, 3000, 4000, 5000],
      failedAt: 7000,
      errno: 'ETIMEDOUT',
    });
  });

  void it('6.12 with tcp_syn_linear_timeouts=0 behaves as 6.1; 6.1 has no such sysctl', () => {
    assert.deepEqual(
      synSchedule('6.12', { syncnt: 3, tcp_syn_linear_timeouts: 0 }),
      synSchedule('6.1', { syncnt: 3 }),
    );
    assert.throws(() => run('syn-timeout', '6.1', { tcp_syn_linear_timeouts: 4 }), ParamError);
    // A host kernel newer than both follows the newer rules.
    assert.deepEqual(
      synSchedule('6.18', { syncnt: 3 }).syns,
      synSchedule('6.12', { syncnt: 3 }).syns,
    );
  });

  void it('says which rule it applied', () => {
    const r12 = run('syn-timeout', '6.12');
    assert.ok(r12.steps.some((s) => s.rule === 'syn_linear_timeouts'));
    assert.ok(!run('syn-timeout', '6.1').steps.some((s) => s.rule));
  });

  void it('syn-loss: connect() returns when the third SYN gets through (3 s on 6.1, 2 s on 6.12)', () => {
    for (const [v, at] of [
      ['6.1', 3000],
      ['6.12', 2000],
    ] as const) {
      const r = run('syn-loss', v);
      const connect = calls(r, 'client', 'connect')[0]!;
      assert.equal(connect.syscall!.result, 0);
      assert.equal(connect.t - sent(r, 'client')[0]!.t, at, v);
      assert.equal(r.steps.filter((s) => s.kind === 'drop').length, 2);
    }
  });

  void it('tcp_model_timeout: linear beyond TCP_RTO_MAX', () => {
    assert.equal(modelTimeout(6, 1000, 120000), 127000);
    assert.equal(modelTimeout(8, 1000, 120000), 127000 + 2 * 120000);
    assert.equal(modelTimeout(15, 200, 120000), 924600);
  });
});

void describe('SYN-ACK retransmission (request sock timer)', () => {
  void it('resends at 1, 3, 7, 15, 31 s and drops the request sock at 63 s (tcp_synack_retries 5)', () => {
    for (const v of ['6.1', '6.12']) {
      // The accept queue is full when client3's ACK arrives: its request sock stays, acked.
      const r = run('accept-overflow', v);
      const synacks = sent(r, 'server').filter(
        (s) => s.segment!.flags === 'S.' && s.segment!.dst.startsWith('client3:'),
      );
      const t0 = synacks[0]!.t;
      assert.deepEqual(
        synacks.map((s) => s.t - t0),
        [0, 1000, 3000, 7000, 15000, 31000],
        v,
      );
      const expired = r.steps.find((s) => s.explain.key === 'req.expired')!;
      assert.equal(expired.t - t0, 63000);
      // Each resent SYN-ACK is answered by the client, which is ESTABLISHED already.
      assert.equal(sent(r, 'client3').filter((s) => s.segment!.flags === '.').length, 6);
    }
  });

  void it('tcp_synack_retries=2 gives up at 7 s', () => {
    const r = run('accept-overflow', '6.1', { tcp_synack_retries: 2 });
    const synacks = sent(r, 'server').filter(
      (s) => s.segment!.flags === 'S.' && s.segment!.dst.startsWith('client3:'),
    );
    const t0 = synacks[0]!.t;
    assert.deepEqual(
      synacks.map((s) => s.t - t0),
      [0, 1000, 3000],
    );
    assert.equal(r.steps.find((s) => s.explain.key === 'req.expired')!.t - t0, 7000);
  });
});

void describe('jiffies and the timer wheel (hz)', () => {
  void it('hz=250: a 1 s RTO fires up to 32 ms late (level 1, 8 jiffies), never early; hz=0 is exact', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = run('syn-loss', '6.1', { hz: 250, drop_syns: 1 }, seed);
      const [first, second] = sent(r, 'client').map((s) => s.t);
      const gap = second! - first!;
      assert.ok(gap > 1000 && gap <= 1032, `seed ${seed}: ${gap} ms`);
    }
    const exact = run('syn-loss', '6.1', { hz: 0, drop_syns: 1 });
    const [a, b] = sent(exact, 'client').map((s) => s.t);
    assert.equal(b! - a!, 1000);
  });

  void it('wheel rounding by level: 1 jiffy at level 0, 8 at level 1, 64 at level 2', () => {
    assert.equal(wheelExpiry(1010, 1000), 1011); // 10 jiffies ahead: level 0, +1
    assert.equal(wheelExpiry(1250, 1000), 1256); // 250 ahead: level 1, next multiple of 8
    assert.equal(wheelExpiry(1256, 1000), 1264); // never early: strictly after
    assert.equal(wheelExpiry(2000, 1000), 2048); // 1000 ahead: level 2, multiple of 64
  });

  void it('rejects an hz whose jiffy is not a whole millisecond', () => {
    assert.throws(() => run('normal', '6.1', { hz: 300 }), ParamError);
  });
});
