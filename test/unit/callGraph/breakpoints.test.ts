/**
 * Real-kernel breakpoints in the call graph: the kernel function a node stands for, toggling
 * the list, which drawn nodes carry the dot, and the new messages' guards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  breakpointFunction,
  isFromWebviewMessage,
  isToWebviewMessage,
  toggleBreakpoint,
} from '../../../extension/protocol/callGraphWebview';
import { breakpointNodes } from '../../../webview/callGraph/model';

void describe('real-kernel breakpoints', () => {
  void it('stop in the kernel function a graph or outline name stands for', () => {
    assert.equal(breakpointFunction('SYSCALL_DEFINE3(connect)'), '__do_sys_connect');
    assert.equal(breakpointFunction('COMPAT_SYSCALL_DEFINE2(listen)'), '__do_sys_listen');
    assert.equal(breakpointFunction('tcp_v4_connect'), 'tcp_v4_connect');
  });

  void it('toggle: add at the end, remove wherever it is', () => {
    assert.deepEqual(toggleBreakpoint(['a'], 'b'), { list: ['a', 'b'], added: true });
    assert.deepEqual(toggleBreakpoint(['a', 'b', 'c'], 'b'), { list: ['a', 'c'], added: false });
  });

  void it('mark the nodes whose function has one', () => {
    const nodes = [
      { id: 'net/socket.c#SYSCALL_DEFINE3(connect)', name: 'SYSCALL_DEFINE3(connect)' },
      { id: 'net/ipv4/tcp_ipv4.c#tcp_v4_connect', name: 'tcp_v4_connect' },
      { id: 'net/ipv4/tcp_output.c#tcp_connect', name: 'tcp_connect' },
    ];
    assert.deepEqual(
      [...breakpointNodes(nodes, ['__do_sys_connect', 'tcp_v4_connect', 'tcp_rcv_state_process'])],
      [nodes[0]!.id, nodes[1]!.id],
    );
    assert.equal(breakpointNodes(nodes, []).size, 0);
  });

  void it('travel in messages the guards know', () => {
    assert.ok(isFromWebviewMessage({ type: 'breakpoint/toggle', nodeId: 'a#b' }));
    assert.equal(isFromWebviewMessage({ type: 'breakpoint/toggle' }), false);
    assert.ok(isToWebviewMessage({ type: 'breakpoints', functions: ['tcp_v4_connect'] }));
    assert.equal(isToWebviewMessage({ type: 'breakpoints', functions: [1] }), false);
    // The older messages pass too, and what is not in the protocol does not.
    assert.ok(isFromWebviewMessage({ type: 'ready' }));
    assert.ok(
      isFromWebviewMessage({
        type: 'graph/request',
        messageId: 1,
        query: { entry: 'connect', depth: 6, allCandidates: false, choice: 'connect' },
      }),
    );
    assert.equal(isFromWebviewMessage({ type: 'toString' }), false);
    assert.equal(isFromWebviewMessage({ type: 'node/open', nodeId: 3 }), false);
    assert.ok(isToWebviewMessage({ type: 'graph/response', inReplyTo: 1, graph: null }));
  });
});
