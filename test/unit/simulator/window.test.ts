/**
 * The receive window of an established connection: the tcpModel functions that follow
 * tcp_win_from_space, tcp_init_buffer_space, tcp_initialize_rcv_mss, __tcp_select_window,
 * tcp_select_window and tcp_grow_window, and the windows a scenario puts on the wire with them.
 * The numbers marked "measured" come from Linux 6.18 on this project's machines (tcpdump and
 * `ss -tmi` in network namespaces, tcp_rmem "4096 131072 33554432").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultOf, paramsFor, parseKernelVersion } from '../../../webview/simulator/engine/index';
import { resolveParams } from '../../../webview/simulator/engine/params';
import {
  freeWindow,
  growWindow,
  initBufferSpace,
  initialRcvMss,
  selectWindow,
  winFromSpace,
  type RcvSpace,
} from '../../../webview/simulator/engine/tcpModel';
import { run, sent } from './helpers';

const V61 = parseKernelVersion('6.1');
const V612 = parseKernelVersion('6.12');

/** A veth server after the handshake (MSS 1460, timestamps, no scaling), nothing queued. */
const veth: RcvSpace = {
  freeSpace: 65536,
  allowedSpace: 65536,
  windowClamp: 64088,
  rcvSsthresh: 64088,
  rcvWnd: 65160,
  rcvWscale: 0,
  rcvMss: 536,
  shrinkWindow: false,
};
/** __tcp_select_window then tcp_select_window, from the veth server's state. */
const select = (
  s: Partial<RcvSpace> & { curWin: number; workaroundSignedWindows?: boolean },
): { rcvWnd: number; field: number } => {
  const space = { ...veth, ...s };
  return selectWindow({
    newWin: freeWindow(space),
    curWin: s.curWin,
    rcvWscale: space.rcvWscale,
    shrinkWindow: space.shrinkWindow,
    workaroundSignedWindows: s.workaroundSignedWindows ?? false,
  });
};

void describe('tcp_win_from_space', () => {
  void it('before 6.6: space less space >> tcp_adv_win_scale (a negative scale shifts right)', () => {
    assert.equal(winFromSpace(V61, 131072, 1), 65536);
    assert.equal(winFromSpace(V61, 131072, 2), 98304);
    assert.equal(winFromSpace(V61, 131072, -2), 32768);
    assert.equal(winFromSpace(V61, 131072 - 837, 1), 65118); // 130235 - 65117
  });

  void it('from 6.6: space * scaling_ratio >> 8, tcp_adv_win_scale ignored', () => {
    assert.equal(winFromSpace(V612, 131072, 2), 65536);
    assert.equal(winFromSpace(V612, 131072, 1, 139), 71168);
    assert.equal(winFromSpace(V612, 131072 - 837, 1), 65117);
  });
});

void describe('tcp_init_buffer_space', () => {
  void it('a 1500-byte link: one segment is kept out of the window, rcv_ssthresh 64088 (measured)', () => {
    for (const windowClamp of [65535, 65535 << 7]) {
      assert.deepEqual(
        initBufferSpace({
          windowClamp,
          rcvSsthresh: 65160,
          maxwin: 65536,
          advmss: 1448,
          appWin: 31,
        }),
        { windowClamp: 64088, rcvSsthresh: 64088 },
        String(windowClamp),
      );
    }
  });

  void it('loopback: a segment as large as the buffer is not reserved, rcv_ssthresh stays 65483 (measured)', () => {
    assert.deepEqual(
      initBufferSpace({
        windowClamp: 65535 << 10,
        rcvSsthresh: 65483,
        maxwin: 65536,
        advmss: 65483,
        appWin: 31,
      }),
      { windowClamp: 65536, rcvSsthresh: 65483 },
    );
  });

  void it('tcp_app_win keeps its share of the buffer; 0 reserves nothing', () => {
    const base = { windowClamp: 65535 << 7, rcvSsthresh: 65160, maxwin: 65536, advmss: 1448 };
    assert.equal(initBufferSpace({ ...base, appWin: 2 }).windowClamp, 49152); // 65536 - 16384
    assert.deepEqual(initBufferSpace({ ...base, appWin: 0 }), {
      windowClamp: 65536,
      rcvSsthresh: 65160,
    });
  });
});

void describe('tcp_initialize_rcv_mss', () => {
  void it('536 unless the MSS or half the window is smaller, never below 88', () => {
    assert.equal(initialRcvMss(1448, 1448, 65160), 536);
    assert.equal(initialRcvMss(524, 524, 65160), 524);
    assert.equal(initialRcvMss(1448, 1448, 600), 300);
    assert.equal(initialRcvMss(1448, 48, 65160), 88);
  });
});

void describe('__tcp_select_window', () => {
  void it('plenty of space: capped at rcv_ssthresh, then a multiple of rcv_mss unscaled', () => {
    assert.equal(freeWindow(veth), 63784); // 119 * 536 below 64088
  });

  void it('unscaled, a window within one rcv_mss below the free space is kept', () => {
    assert.equal(freeWindow({ ...veth, rcvWnd: 63900 }), 63900);
    assert.equal(freeWindow({ ...veth, rcvWnd: 63500 }), 63784);
  });

  void it('scaled: the free space rounded up to the scale unit', () => {
    assert.equal(freeWindow({ ...veth, rcvWscale: 7 }), 64128); // ALIGN(64088, 128)
  });

  void it('under half the buffer free: rounded down to the scale, 0 below 1/16 of it or one segment', () => {
    assert.equal(freeWindow({ ...veth, freeSpace: 20000, rcvWscale: 7 }), 19968);
    assert.equal(freeWindow({ ...veth, freeSpace: 4000 }), 0); // < 65536 / 16
    assert.equal(freeWindow({ ...veth, freeSpace: 500, allowedSpace: 4096, windowClamp: 4096 }), 0);
  });

  void it('an MSS as large as the whole space: the free space itself once it is far above the last window', () => {
    const tiny = {
      ...veth,
      allowedSpace: 1000,
      windowClamp: 1000,
      rcvSsthresh: 1000,
      rcvMss: 1000,
    };
    assert.equal(freeWindow({ ...tiny, freeSpace: 1000, rcvWnd: 100 }), 1000);
  });

  void it('tcp_shrink_window with a scale: no rounding to rcv_mss, 0 below one scale unit', () => {
    const shrink = { ...veth, rcvWscale: 7, shrinkWindow: true };
    assert.equal(freeWindow({ ...shrink, freeSpace: 40000 }), 39936);
    assert.equal(
      freeWindow({ ...shrink, freeSpace: 100, allowedSpace: 1024, windowClamp: 1024, rcvMss: 88 }),
      0,
    );
  });
});

void describe('tcp_select_window', () => {
  void it('never moves the right edge left: 5 unread bytes leave 65160 - 5 (measured: 65155, 65154 after the FIN)', () => {
    assert.deepEqual(select({ freeSpace: 65117, curWin: 65155 }), { rcvWnd: 65155, field: 65155 });
    assert.deepEqual(select({ rcvWnd: 65155, curWin: 65154 }), { rcvWnd: 65154, field: 65154 });
    // The client: 64240 offered in its SYN, one byte (the FIN) received.
    assert.deepEqual(select({ rcvWnd: 64240, curWin: 64239 }), { rcvWnd: 64239, field: 64239 });
  });

  void it('scaled, what is left is rounded up to the scale unit', () => {
    assert.deepEqual(select({ rcvWscale: 7, rcvWnd: 64240, curWin: 64240 }), {
      rcvWnd: 64256,
      field: 502,
    });
  });

  void it('a window larger than the old one is offered as is', () => {
    assert.deepEqual(select({ rcvSsthresh: 65000, windowClamp: 65000, curWin: 10000 }), {
      rcvWnd: 64856, // 121 * 536
      field: 64856,
    });
  });

  void it('the field is capped at 65535 unscaled (rcv_wnd is not), 32767 with tcp_workaround_signed_windows', () => {
    const big = { allowedSpace: 71168, windowClamp: 71168, freeSpace: 71168, rcvSsthresh: 70170 };
    assert.deepEqual(select({ ...big, curWin: 0 }), { rcvWnd: 69680, field: 65535 }); // 130 * 536
    assert.equal(select({ ...big, curWin: 0, workaroundSignedWindows: true }).field, 32767);
    assert.equal(select({ rcvWscale: 2, rcvWnd: 300000, curWin: 300000 }).field, 65535);
  });

  void it('a full buffer: zero is wanted, but the rest of the old window is still offered unless shrinking is allowed', () => {
    assert.equal(select({ freeSpace: 1000, curWin: 30000 }).field, 30000);
    const shrink = { rcvWscale: 7, shrinkWindow: true, freeSpace: 1000, curWin: 30000 };
    assert.deepEqual(select(shrink), { rcvWnd: 0, field: 0 });
  });
});

void describe('tcp_grow_window', () => {
  const win139 = (space: number): number => winFromSpace(V612, space, 1, 139);

  void it('1000 bytes after 5 on loopback (6.18): rcv_ssthresh 65483 -> 70170, all the room there is (measured)', () => {
    assert.equal(
      growWindow({
        rcvSsthresh: 65483,
        windowClamp: win139(131072),
        freeSpace: win139(131072 - 1837),
        winFromSpace: win139,
        truesize: 1000, // 1832 less the 832 of the skb head (truesize_adjust)
        len: 1000,
        advmss: 65483,
        rcvMss: 1000,
        rmemMax: 33554432,
      }),
      70170,
    );
  });

  void it('no room under the clamp, or a payload too small for its truesize: no growth', () => {
    const base = {
      rcvSsthresh: 64088,
      windowClamp: 64088,
      freeSpace: 65000,
      winFromSpace: (space: number) => winFromSpace(V61, space, 1),
      truesize: 200,
      len: 200,
      advmss: 1448,
      rcvMss: 536,
      rmemMax: 6291456,
    };
    assert.equal(growWindow(base), 64088);
    // Room, and a whole skb (head included, no truesize_adjust) of 1032 for 200 bytes: only
    // the slow check can allow it, and with rcv_ssthresh this large it does not.
    assert.equal(
      growWindow({ ...base, windowClamp: 65536, truesize: 1032, rmemMax: 131072 }),
      64088,
    );
    // Same skb with a large tcp_rmem[2]: 2 * rcv_mss.
    assert.equal(growWindow({ ...base, windowClamp: 65536, truesize: 1032 }), 64088 + 912);
  });
});

void describe('windows on the wire', () => {
  const wins = (version: string, params: Record<string, number | string>): number[] =>
    sent(run('normal', version, { link: 'veth', ...params })).map((s) => s.segment!.win);

  void it('unscaled, 5 unread bytes then a FIN: the right edge stays (the conformance capture)', () => {
    for (const v of ['6.1', '6.12', '6.18']) {
      // S, S., ., P., ., F., F., .
      assert.deepEqual(
        wins(v, { tcp_window_scaling: 0, tcp_sack: 0 }),
        [64240, 65160, 64240, 64240, 65155, 64240, 65154, 64239],
        v,
      );
    }
  });

  void it('scaled by 7: every window after the handshake is 502 or 510, the right edge rounded up', () => {
    assert.deepEqual(wins('6.1', {}), [64240, 65160, 502, 502, 510, 502, 510, 502]);
  });

  void it("tcp_workaround_signed_windows: every window at most 32767, the SYNs' included", () => {
    for (const tcp_window_scaling of [0, 1]) {
      const w = wins('6.12', { tcp_window_scaling, tcp_workaround_signed_windows: 1 });
      assert.deepEqual(w.slice(0, 2), [32767, 32767]); // tcp_select_initial_window
      // rcv_ssthresh starts at that window, so it stays: capped in the field when unscaled,
      // rounded up to the scale unit (32768 >> 7) when scaled.
      const after = tcp_window_scaling ? 256 : 32767;
      assert.deepEqual(w.slice(2), Array<number>(6).fill(after));
    }
  });
});

void describe('what a queued segment costs, by version', () => {
  void it('skb_head_truesize defaults to what each kernel measured: 1280 on 6.1, 832 from 6.3 (small-head cache)', () => {
    const spec = paramsFor(V61).find((p) => p.name === 'skb_head_truesize')!;
    // gdb on Debian's 6.1.176 (live tier): a 5-byte segment at tcp_data_queue has truesize 1285.
    assert.equal(defaultOf(spec, V61), 1280);
    assert.equal(resolveParams(V61, {}, {})['skb_head_truesize'], 1280);
    // `ss -tm` on 6.18.44 (conformance host): 837 for 5 unread bytes.
    assert.equal(defaultOf(spec, V612), 832);
    assert.equal(resolveParams(parseKernelVersion('6.18.44'), {}, {})['skb_head_truesize'], 832);
    // The user's value wins on either.
    assert.equal(resolveParams(V61, {}, { skb_head_truesize: 900 })['skb_head_truesize'], 900);
  });
});
