/**
 * The resolver on a small synthetic tree, one construct per case: what each indirect call
 * resolves to and why. The real trees are covered by test/kernel/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallGraph, type CallEdge } from '../../../extension/core/callGraph';
import { KernelIndex } from '../../../extension/core/kernelIndex';

const FILES: Record<string, string> = {
  Makefile: 'VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 0\n',
  'include/linux/container_of.h': [
    '#define container_of(ptr, type, member) ({ void *__mptr = (void *)(ptr); ((type *)(__mptr - offsetof(type, member))); })',
    '#define container_of_const(ptr, type, member) _Generic(ptr, const typeof(*(ptr)) *: ((const type *)container_of(ptr, type, member)), default: ((type *)container_of(ptr, type, member)))',
    '#define READ_ONCE(x) ({ __READ_ONCE(x); })',
    '#define __READ_ONCE(x) (*(const volatile __unqual_scalar_typeof(x) *)&(x))',
  ].join('\n'),
  'include/net/sock.h': [
    'struct proto { int (*connect)(struct sock *sk); void (*close)(struct sock *sk); };',
    'struct sock_common { struct proto *skc_prot; };',
    'struct sock {',
    '\tstruct sock_common __sk_common;',
    '#define sk_prot __sk_common.skc_prot',
    '\tvoid (*sk_data_ready)(struct sock *sk);',
    '};',
    'struct af_ops { int (*conn_request)(struct sock *sk); };',
    'struct icsk { struct sock sk; const struct af_ops *icsk_af_ops; };',
    '#define inet_csk(ptr) container_of_const(ptr, struct icsk, sk)',
  ].join('\n'),
  'net/socket.c': [
    'int tcp_connect_impl(struct sock *sk) { return 0; }',
    'int udp_connect_impl(struct sock *sk) { return 1; }',
    'int tcp_conn_request(struct sock *sk) { return 2; }',
    'void sock_def_readable(struct sock *sk) { }',
    'struct proto tcp_prot = { .connect = tcp_connect_impl, };',
    'struct proto udp_prot = { .connect = udp_connect_impl, };',
    'const struct af_ops ipv4_specific = { .conn_request = tcp_conn_request, };',
    'void sock_init_data(struct sock *sk)',
    '{',
    '\tsk->sk_data_ready = sock_def_readable;',
    '}',
    'int through_alias(struct sock *sk)',
    '{',
    '\treturn (*sk->sk_prot->connect)(sk);',
    '}',
    'int through_read_once(struct sock *sk)',
    '{',
    '\treturn READ_ONCE(sk->sk_prot)->connect(sk);',
    '}',
    'int through_macro_accessor(struct sock *sk)',
    '{',
    '\treturn inet_csk(sk)->icsk_af_ops->conn_request(sk);',
    '}',
    'void through_assignment(struct sock *sk)',
    '{',
    '\tsk->sk_data_ready(sk);',
    '}',
    'int unknown_receiver(void *p)',
    '{',
    '\treturn mystery(p)->connect(p);',
    '}',
  ].join('\n'),
};

let root: string;
let graph: CallGraph;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'kernel-lens-resolver-'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  graph = new CallGraph(await KernelIndex.open(root, { noCache: true }));
});
after(() => rmSync(root, { recursive: true, force: true }));

function callees(fn: string): CallEdge[] {
  return graph.callees(graph.entry(fn));
}

void describe('Resolver on a synthetic tree', () => {
  void it('(*sk->sk_prot->connect)(...) through a field alias: every proto.connect, with provenance', () => {
    const edges = callees('through_alias');
    assert.deepEqual(edges.map((e) => [e.callee, e.via, e.viaLine]).sort(), [
      ['tcp_connect_impl', 'tcp_prot.connect', 5],
      ['udp_connect_impl', 'udp_prot.connect', 6],
    ]);
    assert.ok(edges.every((e) => e.kind === 'indirect' && e.line === 14));
  });

  void it('READ_ONCE(x)->field passes the type of x through', () => {
    assert.deepEqual(
      callees('through_read_once')
        .map((e) => e.callee)
        .sort(),
      ['tcp_connect_impl', 'udp_connect_impl'],
    );
  });

  void it('a macro accessor is typed by expanding it (container_of_const)', () => {
    const [edge] = callees('through_macro_accessor');
    assert.equal(edge?.callee, 'tcp_conn_request');
    assert.equal(edge?.via, 'ipv4_specific.conn_request');
  });

  void it('a function pointer set by assignment, with the assignment as provenance', () => {
    const [edge] = callees('through_assignment');
    assert.equal(edge?.callee, 'sock_def_readable');
    assert.equal(edge?.viaKind, 'assignment');
    assert.equal(edge?.viaLine, 10);
  });

  void it('an unknown receiver type is an unresolved edge that says why', () => {
    const [edge] = callees('unknown_receiver');
    assert.equal(edge?.kind, 'unresolved');
    assert.equal(edge?.callee, 'mystery(p)->connect');
    assert.match(edge?.reason ?? '', /type of mystery\(p\) is not known/);
  });

  void it('impls lists every initializer of the field', () => {
    assert.deepEqual(
      graph
        .impls('struct proto', 'connect')
        .map((i) => i.initializer)
        .sort(),
      ['tcp_prot', 'udp_prot'],
    );
  });
});
