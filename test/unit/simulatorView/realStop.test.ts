/**
 * The simulator page's "Real kernel" strip (webview/simulator/view/realStop.ts): what it says
 * of a live run's stop against the run shown, and the `sim/real` message's guard. No DOM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isToWebviewMessage,
  STRING_KEYS,
  type RealStopView,
  type RunView,
  type Strings,
} from '../../../extension/protocol/simulatorWebview';
import { realStopLines } from '../../../webview/simulator/view/realStop';

// The English texts the host sends (simulatorPanel.ts pageStrings), those the strip uses.
const strings = {
  ...Object.fromEntries(STRING_KEYS.map((k) => [k, k])),
  realKernel: 'Real kernel',
  realStop: 'Stop {0}: {1} in {2} (pid {3})',
  realSocket: 'socket {0}',
  realSegment: 'segment {0}',
  realAgrees: 'Simulated step {0} ({1}) predicted this stop; they agree.',
  realDiffers: 'Simulated step {0} ({1}) predicted this stop, but they disagree:',
  realNoStep: 'No simulated step of the {0} predicts this stop in {1}.',
  realElsewhere: 'The simulator runs it on the {0} side instead (step {1}).',
  realState: 'The real socket is {0}; the simulated one is {1}.',
  realSegmentDiffers: 'The real segment is {0}; the simulated one is {1}.',
  realSkipped: 'The real kernel did not stop at simulated step(s) {0}.',
  realNotCompared: 'Not compared: after the handshake both sides have such sockets.',
} as Strings;

const connect: RealStopView = {
  runId: 7,
  number: 6,
  function: '__sys_connect',
  task: { comm: 'kl-live', pid: 82 },
  role: 'client',
  step: 9,
  differences: [],
};
const run = { runId: 7 } as RunView;
/** The stop without one of its optional fields. */
function without(v: RealStopView, key: 'step' | 'role'): RealStopView {
  const copy: Record<string, unknown> = { ...v };
  delete copy[key];
  return copy as unknown as RealStopView;
}

void describe('the Real kernel strip', () => {
  void it('names the stop and the step that agrees (1-based, as the page counts)', () => {
    const lines = realStopLines(connect, strings, run);
    assert.equal(lines.verdict, 'agrees');
    assert.equal(lines.title, 'Stop 6: __sys_connect in kl-live (pid 82)');
    assert.equal(lines.read, '');
    assert.equal(lines.headline, 'Simulated step 10 (client) predicted this stop; they agree.');
    assert.equal(lines.step, 9);
    // Another run shown (the user picked a scenario): no step of it to offer.
    assert.equal(realStopLines(connect, strings, { runId: 8 } as RunView).step, undefined);
  });

  void it('says plainly where they disagree', () => {
    const lines = realStopLines(
      {
        ...connect,
        function: 'tcp_rcv_state_process',
        socketState: 'LISTEN',
        segment: 'SYN,ACK',
        role: 'server',
        step: 10,
        differences: [
          { kind: 'segment', real: 'SYN,ACK', simulated: 'SYN' },
          { kind: 'skipped', steps: [3, 4] },
        ],
      },
      strings,
      run,
    );
    assert.equal(lines.verdict, 'differs');
    assert.equal(lines.read, 'socket LISTEN · segment SYN,ACK');
    assert.match(lines.headline, /step 11 \(server\) .* but they disagree/);
    assert.deepEqual(lines.details, [
      'The real segment is SYN,ACK; the simulated one is SYN.',
      'The real kernel did not stop at simulated step(s) 4, 5.',
    ]);
    const none = realStopLines(
      {
        ...without(connect, 'step'),
        function: 'tcp_finish_connect',
        differences: [{ kind: 'unpredicted', elsewhere: { role: 'server', step: 2 } }],
      },
      strings,
      run,
    );
    assert.equal(none.verdict, 'unpredicted');
    assert.equal(
      none.headline,
      'No simulated step of the client predicts this stop in tcp_finish_connect.',
    );
    assert.deepEqual(none.details, ['The simulator runs it on the server side instead (step 3).']);
    assert.equal(none.step, undefined);
    const after = realStopLines(without(connect, 'role'), strings, run);
    assert.equal(after.verdict, 'notCompared');
  });
});

void describe('sim/real', () => {
  void it('is in the protocol, and its guard checks the stop', () => {
    assert.ok(isToWebviewMessage({ type: 'sim/real', real: connect, reveal: true }));
    assert.ok(isToWebviewMessage({ type: 'sim/real', real: null, reveal: false }));
    for (const bad of [
      { type: 'sim/real', real: connect },
      { type: 'sim/real', real: { ...connect, step: '9' }, reveal: true },
      { type: 'sim/real', real: { ...connect, task: 'kl-live' }, reveal: true },
      { type: 'sim/real', real: { ...connect, differences: [{ kind: 'odd' }] }, reveal: true },
      {
        type: 'sim/real',
        real: { ...connect, differences: [{ kind: 'skipped', steps: ['1'] }] },
        reveal: true,
      },
    ]) {
      assert.equal(isToWebviewMessage(bad), false, JSON.stringify(bad));
    }
  });
});
