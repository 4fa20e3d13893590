/**
 * The simulator webview protocol's guards (extension/protocol/simulatorWebview.ts): what is in
 * the protocol passes, anything else is rejected; and the Simulate CodeLens sites on the
 * embedded kernel sources' text.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  isFromWebviewMessage,
  isToWebviewMessage,
} from '../../../extension/protocol/simulatorWebview';
import { lensSites } from '../../../extension/simulatorHost/lensSites';
import { findFirstStep, simulatedFunctions } from '../../../extension/simulatorHost/runView';
import { scenarioNames } from '../../../extension/simulatorHost/data';
import { embeddedRoot } from '../../../extension/kernelSources/paths';
import { parseKernelVersion } from '../../../webview/simulator/engine/index';

const request = { scenario: 'normal', params: { backlog: 1 }, seed: 1, drops: [] };

void describe('simulator webview protocol', () => {
  void it('accepts the webview’s messages', () => {
    assert.ok(isFromWebviewMessage({ type: 'ready' }));
    assert.ok(isFromWebviewMessage({ type: 'sim/run', messageId: 1, request, step: 0 }));
    assert.ok(isFromWebviewMessage({ type: 'sim/step', runId: 3, index: 12 }));
    assert.ok(isFromWebviewMessage({ type: 'frame/open', runId: 3, index: 12, frame: 0 }));
    assert.ok(isFromWebviewMessage({ type: 'sim/nextEditor', on: true }));
  });

  void it('rejects what is not in the protocol', () => {
    for (const bad of [
      null,
      'ready',
      {},
      { type: 'sim/eval', code: '1' },
      { type: 'sim/step', runId: '3', index: 1 },
      { type: 'sim/step', runId: 3 },
      { type: 'sim/run', messageId: 1, request: { ...request, seed: 'x' }, step: 0 },
      { type: 'sim/run', messageId: 1, request: { ...request, drops: [{ first: 1.5 }] }, step: 0 },
      { type: 'sim/run', messageId: 1, request: { ...request, params: { a: {} } }, step: 0 },
      { type: 'sim/nextEditor', on: 'yes' },
      { type: 'sim/nextEditor' },
      { type: 'toString' },
    ]) {
      assert.equal(isFromWebviewMessage(bad), false, JSON.stringify(bad));
    }
  });

  void it('checks the host’s messages too', () => {
    assert.ok(isToWebviewMessage({ type: 'sim/control', action: 'step' }));
    assert.equal(isToWebviewMessage({ type: 'sim/control', action: 'explode' }), false);
    assert.equal(isToWebviewMessage({ type: 'sim/show', run: {}, step: 0 }), false);
    assert.equal(isToWebviewMessage({ type: 'ready' }), false);
    assert.ok(isToWebviewMessage({ type: 'sim/nextEditor', on: false }));
    assert.equal(isToWebviewMessage({ type: 'sim/nextEditor', on: 1 }), false);
  });
});

void describe('Simulate CodeLens', () => {
  const functions = simulatedFunctions();
  const file = (rel: string) => join(embeddedRoot(), rel);
  const skip = !existsSync(file('net/socket.c')) && 'the embedded sources are not fetched';

  void it(
    'sits above the syscall entries and the handshake functions, not prototypes or calls',
    { skip },
    () => {
      const socket = lensSites(readFileSync(file('net/socket.c'), 'utf8'), functions);
      const syscalls = socket.filter((s) => s.target.kind === 'syscall').map((s) => s.target.name);
      for (const call of ['socket', 'bind', 'listen', 'accept', 'connect'])
        assert.ok(syscalls.includes(call), `SYSCALL_DEFINE of ${call}`);
      const text = readFileSync(file('net/ipv4/tcp_input.c'), 'utf8').split('\n');
      const input = lensSites(text.join('\n'), functions);
      const names = input.map((s) => s.target.name);
      for (const fn of [
        'tcp_conn_request',
        'tcp_rcv_state_process',
        'tcp_rcv_synsent_state_process',
      ])
        assert.equal(names.filter((n) => n === fn).length, 1, fn);
      for (const site of input) {
        assert.match(text[site.line]!, new RegExp(`\\b${site.target.name}\\s*\\(`));
        assert.doesNotMatch(text[site.line]!, /;\s*$/);
      }
    },
  );

  void it('finds the first step that runs a function or a syscall', () => {
    const v = parseKernelVersion('6.1.176');
    const names = scenarioNames();
    const synack = findFirstStep({ kind: 'function', name: 'tcp_synack_options' }, v, names);
    assert.equal(synack?.scenario, 'normal');
    const connect = findFirstStep({ kind: 'syscall', name: 'connect' }, v, names);
    assert.equal(connect?.scenario, 'normal');
    assert.equal(
      findFirstStep({ kind: 'function', name: 'no_such_function' }, v, names),
      undefined,
    );
    // A function only a failure path runs is found in the scenario that fails that way.
    const reset = findFirstStep({ kind: 'function', name: 'tcp_v4_send_reset' }, v, names);
    assert.ok(reset && reset.scenario !== 'normal');
  });
});
