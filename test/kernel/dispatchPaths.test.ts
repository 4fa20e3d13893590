/**
 * The paths the product exists to show, on whole real trees of both versions: from each
 * syscall down through the ops tables into inet and TCP, and the handshake's server side.
 * Every edge is checked at its true call-site line, read from the source file itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallEdge } from '../../extension/core/callGraph';
import { initializerFieldLine, lineInFunction, SERIES, treeGraph } from './kernelFixtures';

interface Hop {
  readonly caller: string;
  readonly callee: string;
  /** File of the call site. */
  readonly file: string;
  /** Text on the call-site line, used to find it in the source. */
  readonly needle: string;
  /** For an indirect hop: the initializer, its file and field. */
  readonly via?: { readonly table: string; readonly file: string; readonly field: string };
}

function findEdge(edges: readonly CallEdge[], hop: Hop): CallEdge | undefined {
  return edges.find(
    (e) => e.caller === hop.caller && e.callee === hop.callee && e.file === hop.file,
  );
}

async function checkPath(
  series: '6.1' | '6.12',
  entry: string,
  depth: number,
  hops: readonly Hop[],
): Promise<void> {
  const { graph, profile, root } = await treeGraph(series);
  const result = graph.path(entry, { depth, profile });
  for (const hop of hops) {
    const edge = findEdge(result.edges, hop);
    assert.ok(
      edge,
      `${series}: no edge ${hop.caller} → ${hop.callee} in ${hop.file} (path ${entry}, depth ${depth})`,
    );
    assert.equal(
      edge.line,
      lineInFunction(root, hop.file, hop.caller, hop.needle),
      `${series}: line of ${hop.caller} → ${hop.callee}`,
    );
    if (hop.via) {
      assert.equal(edge.kind, 'indirect', `${series}: ${hop.caller} → ${hop.callee} is indirect`);
      assert.equal(edge.via, `${hop.via.table}.${hop.via.field}`);
      assert.equal(edge.viaFile, hop.via.file);
      assert.equal(
        edge.viaLine,
        initializerFieldLine(root, hop.via.file, hop.via.table, hop.via.field),
      );
    } else {
      assert.equal(edge.kind, 'direct', `${series}: ${hop.caller} → ${hop.callee} is direct`);
    }
  }
}

const AF_INET = 'net/ipv4/af_inet.c';
const TCP_IPV4 = 'net/ipv4/tcp_ipv4.c';
const SOCKET = 'net/socket.c';
const inetStreamOps = (field: string) => ({ table: 'inet_stream_ops', file: AF_INET, field });
const tcpProt = (field: string) => ({ table: 'tcp_prot', file: TCP_IPV4, field });
const ipv4Specific = (field: string) => ({ table: 'ipv4_specific', file: TCP_IPV4, field });

for (const series of SERIES) {
  void describe(`dispatch paths on the whole Linux ${series} tree`, () => {
    void it('connect: syscall → inet_stream_ops.connect → tcp_prot.connect → tcp_connect', async () => {
      await checkPath(series, 'connect', 6, [
        {
          caller: 'SYSCALL_DEFINE3(connect)',
          callee: '__sys_connect',
          file: SOCKET,
          needle: '__sys_connect(',
        },
        {
          caller: '__sys_connect',
          callee: '__sys_connect_file',
          file: SOCKET,
          needle: '__sys_connect_file(',
        },
        {
          caller: '__sys_connect_file',
          callee: 'inet_stream_connect',
          file: SOCKET,
          needle: '->connect(',
          via: inetStreamOps('connect'),
        },
        {
          caller: 'inet_stream_connect',
          callee: '__inet_stream_connect',
          file: AF_INET,
          needle: '__inet_stream_connect(',
        },
        {
          caller: '__inet_stream_connect',
          callee: 'tcp_v4_connect',
          file: AF_INET,
          needle: 'sk_prot->connect(',
          via: tcpProt('connect'),
        },
        {
          caller: 'tcp_v4_connect',
          callee: 'tcp_connect',
          file: TCP_IPV4,
          needle: 'tcp_connect(sk)',
        },
      ]);
    });

    void it('socket: __sock_create → inet_family_ops.create = inet_create', async () => {
      await checkPath(series, 'socket', 5, [
        {
          caller: '__sock_create',
          callee: 'inet_create',
          file: SOCKET,
          needle: 'pf->create(',
          via: { table: 'inet_family_ops', file: AF_INET, field: 'create' },
        },
      ]);
    });

    void it('bind: inet_stream_ops.bind = inet_bind → __inet_bind → tcp_prot.get_port', async () => {
      const { graph, profile } = await treeGraph(series);
      const edges = graph.path('bind', { depth: 6, profile }).edges;
      const toBind = edges.find(
        (e) => e.callee === 'inet_bind' && e.via === 'inet_stream_ops.bind',
      );
      assert.ok(toBind, 'bind reaches inet_bind via inet_stream_ops.bind');
      assert.ok(
        edges.some((e) => e.callee === '__inet_bind'),
        'inet_bind reaches __inet_bind',
      );
      assert.ok(
        edges.some(
          (e) =>
            e.caller === '__inet_bind' &&
            e.callee === 'inet_csk_get_port' &&
            e.via === 'tcp_prot.get_port',
        ),
      );
    });

    void it('listen: inet_stream_ops.listen = inet_listen → inet_csk_listen_start', async () => {
      const { graph, profile } = await treeGraph(series);
      const edges = graph.path('listen', { depth: 6, profile }).edges;
      assert.ok(
        edges.some(
          (e) =>
            e.callee === 'inet_listen' && e.via === 'inet_stream_ops.listen' && e.file === SOCKET,
        ),
      );
      assert.ok(edges.some((e) => e.callee === 'inet_csk_listen_start' && e.kind === 'direct'));
    });

    void it('accept: ops->accept = inet_accept (a local `ops` in 6.12) → tcp_prot.accept = inet_csk_accept', async () => {
      const { graph, profile, root } = await treeGraph(series);
      const edges = graph.path('accept4', { depth: 5, profile }).edges;
      const toInet = edges.find((e) => e.caller === 'do_accept' && e.callee === 'inet_accept');
      assert.ok(toInet, 'do_accept reaches inet_accept');
      assert.equal(toInet.via, 'inet_stream_ops.accept');
      assert.equal(toInet.line, lineInFunction(root, SOCKET, 'do_accept', '->accept('));
      const toCsk = edges.find((e) => e.caller === 'inet_accept' && e.callee === 'inet_csk_accept');
      assert.ok(toCsk, 'inet_accept reaches inet_csk_accept');
      assert.equal(toCsk.via, 'tcp_prot.accept');
      assert.equal(toCsk.line, lineInFunction(root, AF_INET, 'inet_accept', '->accept(sk1'));
    });

    void it('handshake, server side: the SYN reaches tcp_conn_request via ipv4_specific.conn_request', async () => {
      await checkPath(series, 'tcp_v4_rcv', 4, [
        {
          caller: 'tcp_v4_do_rcv',
          callee: 'tcp_rcv_state_process',
          file: TCP_IPV4,
          needle: 'tcp_rcv_state_process(',
        },
        {
          caller: 'tcp_rcv_state_process',
          callee: 'tcp_v4_conn_request',
          file: 'net/ipv4/tcp_input.c',
          needle: 'conn_request(sk, skb)',
          via: ipv4Specific('conn_request'),
        },
        {
          caller: 'tcp_v4_conn_request',
          callee: 'tcp_conn_request',
          file: TCP_IPV4,
          needle: 'tcp_conn_request(',
        },
      ]);
    });

    void it('handshake, final ACK: tcp_check_req → ipv4_specific.syn_recv_sock = tcp_v4_syn_recv_sock', async () => {
      await checkPath(series, 'tcp_v4_rcv', 2, [
        { caller: 'tcp_v4_rcv', callee: 'tcp_check_req', file: TCP_IPV4, needle: 'tcp_check_req(' },
        {
          caller: 'tcp_check_req',
          callee: 'tcp_v4_syn_recv_sock',
          file: 'net/ipv4/tcp_minisocks.c',
          needle: 'syn_recv_sock(sk, skb, req',
          via: ipv4Specific('syn_recv_sock'),
        },
      ]);
    });

    void it('impls proto_ops.connect covers inet_stream_ops, inet_dgram_ops and other families', async () => {
      const { graph } = await treeGraph(series);
      const impls = graph.impls('struct proto_ops', 'connect');
      const tables = new Set(impls.map((i) => i.via.replace(/\.connect$/, '')));
      for (const t of [
        'inet_stream_ops',
        'inet_dgram_ops',
        'inet6_stream_ops',
        'unix_stream_ops',
      ]) {
        assert.ok(tables.has(t), `${t} is among ${impls.length} implementations`);
      }
      assert.ok(impls.length > 30, `a whole tree has many families (${impls.length})`);
      const stream = impls.find((i) => i.via === 'inet_stream_ops.connect');
      assert.equal(stream?.function, 'inet_stream_connect');
    });

    void it('callers of tcp_v4_connect: __inet_stream_connect through tcp_prot.connect', async () => {
      const { graph, profile } = await treeGraph(series);
      const edges = graph.callers('tcp_v4_connect', { profile });
      const e = edges.find((x) => x.caller === '__inet_stream_connect');
      assert.ok(e, `callers: ${edges.map((x) => x.caller).join(', ')}`);
      assert.equal(e.via, 'tcp_prot.connect');
      assert.equal(e.kind, 'indirect');
    });

    void it('functions passed as arguments: NF_HOOK(..., ip_rcv_finish) continues into ip_rcv_finish', async () => {
      const { graph, profile } = await treeGraph(series);
      const edges = graph.path('ip_rcv', { depth: 2, profile }).edges;
      const e = edges.find((x) => x.caller === 'NF_HOOK' && x.callee === 'ip_rcv_finish');
      assert.ok(e, 'NF_HOOK calls okfn = ip_rcv_finish');
      assert.equal(e.viaKind, 'argument');
      assert.equal(e.viaFile, 'net/ipv4/ip_input.c');
    });

    void it('assignments: sk->sk_data_ready = sock_def_readable, with the assignment as provenance', async () => {
      const { graph, profile } = await treeGraph(series);
      const edges = graph.path('tcp_data_ready', { depth: 1, profile }).edges;
      const e = edges.find((x) => x.callee === 'sock_def_readable');
      assert.ok(e, 'tcp_data_ready calls sk->sk_data_ready = sock_def_readable');
      assert.equal(e.viaKind, 'assignment');
      assert.equal(e.viaFile, 'net/core/sock.c');
    });
  });
}
