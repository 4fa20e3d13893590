/**
 * The navigation features of the language server as another editor uses them: over stdio
 * (`node dist/server.js --stdio`), on the embedded Linux 6.1 sources, with the standalone
 * defaults (profile tcp-ipv4). One session in English, one in Chinese for the hover.
 * Needs `npm run build` and the embedded sources (`node dist/cli.js fetch --embedded`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CallHierarchyIncomingCallsRequest,
  CallHierarchyOutgoingCallsRequest,
  CallHierarchyPrepareRequest,
  DefinitionRequest,
  HoverRequest,
  ImplementationRequest,
  ReferencesRequest,
  WorkspaceSymbolRequest,
  type CallHierarchyItem,
  type Location,
  type MarkupContent,
  type SymbolInformation,
} from 'vscode-languageserver-protocol';
import { embeddedRoot } from '../../../extension/kernelSources/paths';
import { callGraph, resolveCodePoint } from '../../../extension/protocol/lsp';
import { startSession, type LspSession } from './lspSession';

const ROOT = embeddedRoot();
/** `connect` in `sock->ops->connect(sock, ...)` inside __sys_connect_file. */
const OPS_CONNECT = [
  'net/socket.c',
  'sock->ops->connect(sock, (struct sockaddr *)address',
  'connect',
] as const;

function single(result: unknown): Location {
  assert.ok(Array.isArray(result), `a list of locations: ${JSON.stringify(result)}`);
  assert.equal(result.length, 1, JSON.stringify(result));
  return result[0] as Location;
}

/** The text a location covers, read from the tree. */
function textAt(session: LspSession, loc: Location): string {
  const file = session.fileOf(loc.uri);
  const line = session.lineText(file, loc.range.start.line);
  return line.slice(loc.range.start.character, loc.range.end.character);
}

void describe(
  'navigation over stdio on the embedded 6.1 sources (en)',
  { timeout: 120_000 },
  () => {
    let s: LspSession;
    before(async () => {
      s = await startSession(ROOT);
      const status = await s.ready;
      assert.equal(status.state, 'ready', status.message);
    });
    after(async () => {
      await s?.close();
    });

    void it('announces the features', () => {
      const c = s.initialize.capabilities;
      for (const key of [
        'definitionProvider',
        'implementationProvider',
        'callHierarchyProvider',
        'hoverProvider',
        'referencesProvider',
        'workspaceSymbolProvider',
      ] as const) {
        assert.ok(c[key], key);
      }
    });

    void it('definition on sock->ops->connect in __sys_connect_file goes to inet_stream_connect (profile tcp-ipv4)', async () => {
      const uri = await s.open('net/socket.c');
      const loc = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(...OPS_CONNECT),
        }),
      );
      assert.equal(loc.uri, s.uri('net/ipv4/af_inet.c'));
      assert.equal(textAt(s, loc), 'inet_stream_connect');
      assert.match(
        s.lineText('net/ipv4/af_inet.c', loc.range.start.line),
        /^int inet_stream_connect\(/,
      );
    });

    void it('definition on a designated initializer value goes to the function, on its field to the struct member', async () => {
      const uri = await s.open('net/ipv4/af_inet.c');
      const value = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/ipv4/af_inet.c',
            '.connect	   = inet_stream_connect',
            'inet_stream_connect',
          ),
        }),
      );
      assert.equal(textAt(s, value), 'inet_stream_connect');
      assert.match(
        s.lineText('net/ipv4/af_inet.c', value.range.start.line),
        /^int inet_stream_connect\(/,
      );
      const field = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/ipv4/af_inet.c',
            '.connect	   = inet_stream_connect',
            'connect',
          ),
        }),
      );
      assert.equal(field.uri, s.uri('include/linux/net.h'));
      assert.match(s.lineText('include/linux/net.h', field.range.start.line), /\(\*connect\)/);
    });

    void it('definition of ordinary calls, structs and macros goes through the index', async () => {
      const uri = await s.open('net/socket.c');
      const call = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/socket.c',
            'ret = __sys_connect_file(f.file',
            '__sys_connect_file',
          ),
        }),
      );
      assert.equal(call.uri, uri);
      assert.match(s.lineText('net/socket.c', call.range.start.line), /^int __sys_connect_file\(/);
      const struct = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/socket.c',
            'int __sys_connect_file(struct file *file, struct sockaddr_storage',
            'sockaddr_storage',
          ),
        }),
      );
      assert.match(
        s.lineText(s.fileOf(struct.uri), struct.range.start.line),
        /struct (__kernel_)?sockaddr_storage \{/,
      );
      const macro = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/socket.c',
            'if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))',
            'SOCK_CLOEXEC',
          ),
        }),
      );
      assert.match(
        s.lineText(s.fileOf(macro.uri), macro.range.start.line),
        /#define\s+SOCK_CLOEXEC/,
      );
    });

    void it('definition on a field goes to its declaration in the receiver type, or the macro it stands for', async () => {
      const uri = await s.open('net/socket.c');
      const ops = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri },
          position: s.positionOf(OPS_CONNECT[0], OPS_CONNECT[1], 'ops'),
        }),
      );
      assert.equal(ops.uri, s.uri('include/linux/net.h'));
      assert.match(
        s.lineText('include/linux/net.h', ops.range.start.line),
        /const struct proto_ops\s*\*ops;/,
      );
      const af = await s.open('net/ipv4/af_inet.c');
      const prot = single(
        await s.connection.sendRequest(DefinitionRequest.type, {
          textDocument: { uri: af },
          position: s.positionOf(
            'net/ipv4/af_inet.c',
            'err = sk->sk_prot->connect(sk, uaddr, addr_len);',
            'sk_prot',
          ),
        }),
      );
      assert.equal(prot.uri, s.uri('include/net/sock.h'));
      assert.match(
        s.lineText('include/net/sock.h', prot.range.start.line),
        /#define sk_prot\s+__sk_common\.skc_prot/,
      );
    });

    void it('implementation on sock->ops->connect lists every proto_ops.connect, once each', async () => {
      const uri = await s.open('net/socket.c');
      const result = (await s.connection.sendRequest(ImplementationRequest.type, {
        textDocument: { uri },
        position: s.positionOf(...OPS_CONNECT),
      })) as Location[];
      const names = result.map((l) => textAt(s, l));
      assert.ok(names.includes('inet_stream_connect'), names.join(', '));
      assert.ok(names.includes('inet_dgram_connect'), names.join(', '));
      assert.equal(new Set(names).size, names.length, `no duplicates: ${names.join(', ')}`);
    });

    void it('call hierarchy: incoming calls of tcp_v4_connect include __inet_stream_connect via tcp_prot.connect', async () => {
      const item = await prepare(
        'net/ipv4/tcp_ipv4.c',
        'int tcp_v4_connect(struct sock *sk',
        'tcp_v4_connect',
      );
      assert.equal(item.name, 'tcp_v4_connect');
      const incoming =
        (await s.connection.sendRequest(CallHierarchyIncomingCallsRequest.type, { item })) ?? [];
      const caller = incoming.find((c) => c.from.name === '__inet_stream_connect');
      assert.ok(caller, incoming.map((c) => c.from.name).join(', '));
      assert.match(caller.from.detail ?? '', /via tcp_prot\.connect/);
      // The call site is the `connect` of `sk->sk_prot->connect(...)`.
      const site = caller.fromRanges[0]!;
      assert.match(s.lineText('net/ipv4/af_inet.c', site.start.line), /sk->sk_prot->connect\(/);
      assert.equal(textAt(s, { uri: s.uri('net/ipv4/af_inet.c'), range: site }), 'connect');
    });

    void it('call hierarchy: incoming calls of inet_stream_connect reach sock->ops->connect in __sys_connect_file', async () => {
      const item = await prepare(
        'net/ipv4/af_inet.c',
        'int inet_stream_connect(struct socket *sock',
        'inet_stream_connect',
      );
      const incoming =
        (await s.connection.sendRequest(CallHierarchyIncomingCallsRequest.type, { item })) ?? [];
      const caller = incoming.find((c) => c.from.name === '__sys_connect_file');
      assert.ok(caller, incoming.map((c) => c.from.name).join(', '));
      assert.match(caller.from.detail ?? '', /via inet_stream_ops\.connect/);
      assert.equal(caller.from.uri, s.uri('net/socket.c'));
      assert.deepEqual(caller.fromRanges[0]!.start, s.positionOf(...OPS_CONNECT));
    });

    void it('call hierarchy: outgoing calls of __sys_connect_file go to inet_stream_connect only, via inet_stream_ops.connect', async () => {
      const item = await prepare(
        'net/socket.c',
        'int __sys_connect_file(struct file *file',
        '__sys_connect_file',
      );
      const outgoing =
        (await s.connection.sendRequest(CallHierarchyOutgoingCallsRequest.type, { item })) ?? [];
      const names = outgoing.map((c) => c.to.name);
      const target = outgoing.find((c) => c.to.name === 'inet_stream_connect');
      assert.ok(target, names.join(', '));
      assert.match(target.to.detail ?? '', /via inet_stream_ops\.connect/);
      assert.ok(!names.includes('inet_dgram_connect'), `the profile narrows: ${names.join(', ')}`);
      assert.ok(names.includes('sock_from_file'), names.join(', '));
    });

    void it('hover on inet_stream_connect: signature, dispatch and the English annotation with its provenance', async () => {
      const text = await hoverText(
        'net/ipv4/af_inet.c',
        '.connect	   = inet_stream_connect',
        'inet_stream_connect',
      );
      assert.match(
        text,
        /int inet_stream_connect\(struct socket \*sock, struct sockaddr \*uaddr, int addr_len, int flags\)/,
      );
      assert.match(text, /Called via `inet_stream_ops\.connect` from \*\*__sys_connect_file\*\*/);
      assert.match(
        text,
        /Kernel Lens note\*\* · inet_stream_ops\.connect, reached from connect\(2\)/,
      );
      assert.match(
        text,
        /Linux 6\.1\.176, 6\.12\.117 · net\/ipv4\/af_inet\.c · inet_stream_connect/,
      );
    });

    void it('hover on sock->ops->connect names the profile target and every candidate with its table', async () => {
      const text = await hoverText(...OPS_CONNECT);
      assert.match(
        text,
        /Dispatched via `inet_stream_ops\.connect` to \*\*inet_stream_connect\*\* \(profile tcp-ipv4\)/,
      );
      assert.match(text, /- inet_dgram_connect — `inet_dgram_ops\.connect`/);
    });

    void it('hover on the designator of .connect = inet_stream_connect: the member and how many functions fill it', async () => {
      const text = await hoverText(
        'net/ipv4/af_inet.c',
        '.connect	   = inet_stream_connect',
        'connect',
      );
      assert.match(text, /struct proto_ops \{\n\s*int\s+\(\*connect\)/);
      assert.match(text, /\d+ functions are stored in `struct proto_ops\.connect` in this tree/);
    });

    void it('hover on tcp_v4_connect says where it is dispatched from', async () => {
      const text = await hoverText(
        'net/ipv4/tcp_ipv4.c',
        'int tcp_v4_connect(struct sock *sk',
        'tcp_v4_connect',
      );
      assert.match(text, /Called via `tcp_prot\.connect` from .*\*\*__inet_stream_connect\*\*/);
    });

    void it('references of tcp_v4_connect: the ops call sites and the initializer that stores it', async () => {
      const uri = await s.open('net/ipv4/tcp_ipv4.c');
      const refs =
        (await s.connection.sendRequest(ReferencesRequest.type, {
          textDocument: { uri },
          position: s.positionOf(
            'net/ipv4/tcp_ipv4.c',
            'int tcp_v4_connect(struct sock *sk',
            'tcp_v4_connect',
          ),
          context: { includeDeclaration: false },
        })) ?? [];
      const lines = refs.map((r) => s.lineText(s.fileOf(r.uri), r.range.start.line).trim());
      assert.ok(
        lines.some((l) => l.startsWith('err = sk->sk_prot->connect(')),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /^\.connect\s*=\s*tcp_v4_connect,/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        !lines.some((l) => l.startsWith('int tcp_v4_connect(')),
        'no declaration when not asked',
      );
    });

    void it('workspace symbols by prefix, bounded', async () => {
      const found = ((await s.connection.sendRequest(WorkspaceSymbolRequest.type, {
        query: 'tcp_v4_con',
      })) ?? []) as SymbolInformation[];
      const connect = found.find((f) => f.name === 'tcp_v4_connect');
      assert.ok(connect, found.map((f) => f.name).join(', '));
      assert.equal(connect.location.uri, s.uri('net/ipv4/tcp_ipv4.c'));
      assert.ok(found.every((f) => f.name.toLowerCase().startsWith('tcp_v4_con')));
      const many = ((await s.connection.sendRequest(WorkspaceSymbolRequest.type, { query: 't' })) ??
        []) as SymbolInformation[];
      assert.ok(many.length > 0 && many.length <= 200, `${many.length} symbols for "t"`);
      const syscall = ((await s.connection.sendRequest(WorkspaceSymbolRequest.type, {
        query: 'accept4',
      })) ?? []) as SymbolInformation[];
      assert.ok(
        syscall.some((f) => f.name === 'SYSCALL_DEFINE4(accept4)'),
        syscall.map((f) => f.name).join(', '),
      );
    });

    void it('kernelLens/callGraph: connect, 4 deep, with the ops-table edge and its initializer', async () => {
      const graph = await s.connection.sendRequest(callGraph, {
        entry: 'connect',
        depth: 4,
        profile: 'tcp-ipv4',
      });
      assert.ok(graph);
      assert.equal(graph.root, 'net/socket.c#SYSCALL_DEFINE3(connect)');
      const edge = graph.edges.find(
        (e) =>
          e.from === 'net/socket.c#__sys_connect_file' &&
          e.to === 'net/ipv4/af_inet.c#inet_stream_connect',
      );
      assert.ok(edge, JSON.stringify(graph.edges.map((e) => `${e.from} -> ${e.to}`)));
      assert.equal(edge.provenance.kind, 'indirect');
      if (edge.provenance.kind !== 'indirect') return;
      assert.equal(edge.provenance.table, 'inet_stream_ops');
      assert.equal(edge.provenance.field, 'connect');
      assert.equal(edge.provenance.via, 'inet_stream_ops.connect');
      assert.match(
        s.lineText('net/ipv4/af_inet.c', edge.provenance.initializer!.range.start.line),
        /\.connect\s*=\s*inet_stream_connect/,
      );
      assert.ok(
        graph.nodes.some((n) => n.id === graph.root && n.location?.uri === s.uri('net/socket.c')),
      );
      assert.equal(
        await s.connection.sendRequest(callGraph, {
          entry: 'no_such_function_anywhere',
          depth: 2,
          profile: 'tcp-ipv4',
        }),
        null,
      );
    });

    void it('kernelLens/resolveCodePoint: function + anchor to its line, never a line number', async () => {
      const point = await s.connection.sendRequest(resolveCodePoint, {
        function: 'tcp_v4_connect',
        anchor: 'tcp_set_state(sk, TCP_SYN_SENT)',
      });
      assert.ok(point);
      assert.equal(point.location.uri, s.uri('net/ipv4/tcp_ipv4.c'));
      assert.equal(
        s.lineText('net/ipv4/tcp_ipv4.c', point.location.range.start.line).trim(),
        'tcp_set_state(sk, TCP_SYN_SENT);',
      );
      assert.match(
        s.lineText('net/ipv4/tcp_ipv4.c', point.functionRange.start.line),
        /^int tcp_v4_connect\(/,
      );
      assert.equal(
        await s.connection.sendRequest(resolveCodePoint, {
          function: 'tcp_v4_connect',
          anchor: 'not in this function',
        }),
        null,
      );
    });

    async function prepare(
      file: string,
      lineText: string,
      needle: string,
    ): Promise<CallHierarchyItem> {
      const uri = await s.open(file);
      const items = await s.connection.sendRequest(CallHierarchyPrepareRequest.type, {
        textDocument: { uri },
        position: s.positionOf(file, lineText, needle),
      });
      assert.ok(items?.length, `an item at ${needle}`);
      return items[0]!;
    }

    async function hoverText(file: string, lineText: string, needle: string): Promise<string> {
      const uri = await s.open(file);
      const hover = await s.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri },
        position: s.positionOf(file, lineText, needle),
      });
      assert.ok(hover, `a hover at ${needle}`);
      return (hover.contents as MarkupContent).value;
    }
  },
);

void describe('hover over stdio in Chinese (locale zh-cn)', { timeout: 60_000 }, () => {
  let s: LspSession;
  before(async () => {
    s = await startSession(ROOT, { locale: 'zh-cn' });
    assert.equal((await s.ready).state, 'ready');
  });
  after(async () => {
    await s?.close();
  });

  void it('shows the zh-CN annotation of inet_stream_connect and Chinese dispatch text', async () => {
    const uri = await s.open('net/ipv4/af_inet.c');
    const hover = await s.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: s.positionOf(
        'net/ipv4/af_inet.c',
        'int inet_stream_connect(struct socket *sock',
        'inet_stream_connect',
      ),
    });
    const text = (hover?.contents as MarkupContent | undefined)?.value ?? '';
    assert.match(
      text,
      /Kernel Lens 注解\*\* · inet_stream_ops\.connect，connect\(2\) 经 `sock->ops->connect` 到达这里/,
    );
    assert.match(text, /经 `inet_stream_ops\.connect` 被 \*\*__sys_connect_file\*\*/);
    assert.doesNotMatch(text, /Kernel Lens note/);
  });
});
