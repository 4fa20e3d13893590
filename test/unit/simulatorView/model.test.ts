/**
 * The simulator view's pure logic (webview/simulator/view/model.ts) on real engine runs, built
 * the way the panel builds them (extension/simulatorHost/runView.ts) but without a tree: the
 * relative and absolute seq/ack, the TCP header's 32-bit rows, the lanes and arrows (drops and
 * retransmissions), the syscall timelines with blocked calls and errnos.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKernelVersion } from '../../../webview/simulator/engine/index';
import { buildRun } from '../../../extension/simulatorHost/runView';
import type { RunRequest, RunView, StepView } from '../../../extension/protocol/simulatorWebview';
import {
  arrowsOf,
  callStatus,
  flowBases,
  headerRows,
  laneLayout,
  resultText,
  rowY,
  segmentAt,
  shownSeqAck,
  syscallTimelines,
} from '../../../webview/simulator/view/model';

const version = parseKernelVersion('6.1.176');

function run(scenario: string, params: RunRequest['params'] = {}, drops: RunRequest['drops'] = []) {
  return buildRun({ scenario, params, seed: 1, drops }, 1, {
    version,
    tree: { source: 'none' },
    displayLanguage: 'en',
    noLookupReason: 'no tree in unit tests',
  });
}

const sends = (r: RunView, flags: string): StepView[] =>
  r.steps.filter((s) => s.kind === 'send' && s.segment?.flags === flags);

void describe('simulator view model', () => {
  void it('relative seq/ack count from each direction’s first sequence number', async () => {
    const r = await run('normal');
    const bases = flowBases(r.steps);
    const syn = sends(r, 'S')[0]!.segment!;
    const synack = sends(r, 'S.')[0]!.segment!;
    assert.equal(bases.get(`${syn.src}>${syn.dst}`), syn.seq);
    assert.deepEqual(shownSeqAck(syn, bases, true), { seq: 0, ack: null });
    // The SYN-ACK acknowledges the client's ISN + 1, which reads 1 relative.
    assert.deepEqual(shownSeqAck(synack, bases, true), { seq: 0, ack: 1 });
    assert.deepEqual(shownSeqAck(synack, bases, false), {
      seq: synack.seq,
      ack: (syn.seq + 1) >>> 0,
    });
    const data = sends(r, 'P.')[0]!.segment!;
    assert.deepEqual(shownSeqAck(data, bases, true), { seq: 1, ack: 1 });
  });

  void it('a flow without a SYN (a RST to a closed port) is relative to its own first seq', async () => {
    const r = await run('refused');
    const bases = flowBases(r.steps);
    const rst = sends(r, 'R.')[0]!.segment!;
    const syn = sends(r, 'S')[0]!.segment!;
    assert.deepEqual(shownSeqAck(rst, bases, true), { seq: 0, ack: 1 });
    assert.equal(rst.ack, (syn.seq + 1) >>> 0);
  });

  void it('the header rows are the 32-bit layout, with the SYN-ACK’s flags and options', async () => {
    const r = await run('normal');
    const step = sends(r, 'S.')[0]!;
    const seg = step.segment!;
    const rows = headerRows(seg.header!.hex);
    for (const row of rows)
      assert.equal(
        row.reduce((n, c) => n + c.bits, 0),
        32,
      );
    assert.deepEqual(
      rows[0]!.map((c) => c.value),
      [seg.src.split(':')[1], seg.dst.split(':')[1]],
    );
    assert.equal(rows[1]![0]!.value, String(seg.seq));
    assert.equal(rows[2]![0]!.value, String(seg.ack));
    const flag = (name: string) => rows[3]!.find((c) => c.label === name)!;
    assert.equal(flag('SYN').set, true);
    assert.equal(flag('ACK').set, true);
    assert.equal(flag('FIN').set, false);
    assert.equal(flag('RST').set, false);
    assert.equal(rows[3]![0]!.value, String(seg.header!.doff));
    assert.equal(rows[3]!.find((c) => c.label === 'Window')!.value, String(seg.win));
    assert.equal(rows[4]![0]!.value, seg.header!.checksum);
    // Options: 5 fixed rows plus doff - 5 option rows; MSS, SACK-permitted, timestamps
    // (split over rows), NOP, window scale, as Linux writes them.
    assert.equal(rows.length, seg.header!.doff);
    const options = rows.slice(5).flat();
    const mss = options.find((c) => c.label === 'MSS')!;
    assert.equal(mss.value, seg.options.find((o) => o.startsWith('mss'))!.split(' ')[1]);
    const ts = options.filter((c) => c.label === 'Timestamps');
    assert.ok(ts.length >= 2 && ts.slice(1).every((c) => c.continued));
    assert.match(ts[0]!.value, /^val \d+ ecr \d+$/);
    assert.equal(options.find((c) => c.label === 'WScale')!.value, '7');
  });

  void it('the header view shows the latest segment at or before a step', async () => {
    const r = await run('normal');
    const first = r.steps.findIndex((s) => s.segment);
    assert.equal(segmentAt(r.steps, first - 1), undefined);
    assert.equal(segmentAt(r.steps, first), r.steps[first]);
    // A step without a segment (a state change) shows the latest one before it.
    const later = r.steps.findIndex((s, i) => i > first && !s.segment);
    let latest = later - 1;
    while (!r.steps[latest]!.segment) latest--;
    assert.equal(segmentAt(r.steps, later), r.steps[latest]);
  });

  void it('lanes: one per host, evenly spaced; every segment an arrow from sender to receiver', async () => {
    const r = await run('normal');
    assert.deepEqual(r.hosts, ['server', 'client']);
    const layout = laneLayout(r.hosts, r.steps, 500);
    assert.equal(layout.lanes.get('server'), 70);
    assert.equal(layout.lanes.get('client'), 430);
    assert.ok(rowY(layout, 1) > rowY(layout, 0));
    assert.equal(layout.arrows.length, r.steps.filter((s) => s.kind === 'send').length);
    for (const a of layout.arrows) {
      assert.equal(a.fate, 'delivered');
      assert.ok(a.end! >= a.send);
      assert.notEqual(a.from, a.to);
      assert.equal(r.steps[a.end!]!.host, a.to);
    }
  });

  void it('drops and retransmissions: the first SYN dropped, the same SYN sent again', async () => {
    const r = await run('syn-loss', { drop_syns: 1 });
    const arrows = arrowsOf(r.steps);
    const syns = arrows.filter((a) => a.segment.flags === 'S');
    assert.equal(syns[0]!.fate, 'dropped');
    assert.equal(syns[0]!.retransmission, false);
    assert.equal(syns[1]!.fate, 'delivered');
    assert.equal(syns[1]!.retransmission, true);
    assert.equal(syns[1]!.segment.seq, syns[0]!.segment.seq);
  });

  void it('a drop rule from the panel is added to the scenario’s rules', async () => {
    const r = await run('normal', {}, [{ from: 'server', flags: 'S.', first: 1 }]);
    const synacks = arrowsOf(r.steps).filter((a) => a.segment.flags === 'S.');
    assert.equal(synacks[0]!.fate, 'dropped');
    assert.ok(synacks.slice(1).some((a) => a.fate === 'delivered' && a.retransmission));
  });

  void it('syscall timelines: accept blocks until the handshake completes; refused connect returns ECONNREFUSED', async () => {
    const normal = await run('normal');
    const server = syscallTimelines(normal).get('server')!;
    assert.deepEqual(
      server.map((c) => c.call),
      ['socket', 'setsockopt', 'bind', 'listen', 'accept', 'recv', 'recv', 'close', 'close'],
    );
    const accept = server.find((c) => c.call === 'accept')!;
    assert.ok(accept.end! > accept.start);
    assert.equal(callStatus(accept, accept.start - 1), 'future');
    assert.equal(callStatus(accept, accept.start), 'blocked');
    assert.equal(callStatus(accept, accept.end! - 1), 'blocked');
    assert.equal(callStatus(accept, accept.end!), 'returned');
    assert.equal(resultText(accept.result!), '= 4');

    const refused = await run('refused');
    const connect = syscallTimelines(refused)
      .get('client')!
      .find((c) => c.call === 'connect')!;
    assert.equal(connect.result!.errno, 'ECONNREFUSED');
    assert.equal(resultText(connect.result!), '= -1 ECONNREFUSED');
  });

  void it('frames name why they are unresolved without a tree; explanations follow the language', async () => {
    const r = await run('normal');
    assert.ok(
      r.steps.every((s) => s.frames.every((f) => f.unresolved === 'no tree in unit tests')),
    );
    assert.match(r.steps[0]!.text, /socket\(\)/);
    const zh = await buildRun({ scenario: 'normal', params: {}, seed: 1, drops: [] }, 2, {
      version,
      tree: { source: 'none' },
      displayLanguage: 'zh-cn',
    });
    assert.match(zh.title, /三次握手/);
    assert.notEqual(zh.steps[0]!.text, r.steps[0]!.text);
  });
});
