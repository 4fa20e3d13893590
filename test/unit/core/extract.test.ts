import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadC, type CLanguage } from '../../../extension/core/cParser';
import { extractFacts } from '../../../extension/core/extract';

let c: CLanguage;
before(async () => {
  c = await loadC();
});

void describe('extractFacts', () => {
  void it('finds definitions, parameters, locals and call sites with their positions', () => {
    const facts = extractFacts(
      c,
      [
        'int __sys_connect_file(struct file *file, int flags)',
        '{',
        '\tstruct socket *sock = sock_from_file(file);',
        '\treturn sock->ops->connect(sock, flags);',
        '}',
      ].join('\n'),
    );
    const f = facts.functions[0]!;
    assert.equal(f.name, '__sys_connect_file');
    assert.equal(f.line, 1);
    assert.deepEqual(
      f.params.map((p) => [p.name, p.type.name, p.type.ptr]),
      [
        ['file', 'struct file', 1],
        ['flags', 'int', 0],
      ],
    );
    assert.deepEqual(
      f.locals.map((l) => [l.name, l.type.name]),
      [['sock', 'struct socket']],
    );
    const ops = f.calls.find((x) => x.text === 'sock->ops->connect')!;
    assert.equal(ops.line, 4);
    assert.equal(ops.col, '\treturn sock->ops->'.length, 'column of the field name');
    assert.deepEqual(ops.callee, {
      k: 'fld',
      b: { k: 'fld', b: { k: 'id', n: 'sock' }, f: 'ops' },
      f: 'connect',
    });
  });

  void it('reads designated, nested and array initializers', () => {
    const facts = extractFacts(
      c,
      [
        'const struct proto_ops inet_stream_ops = {',
        '\t.family = PF_INET,',
        '\t.connect = inet_stream_connect,',
        '\t.accept = &inet_accept,',
        '};',
        'static struct inet_protosw inetsw_array[] = {',
        '\t{ .type = SOCK_STREAM, .prot = &tcp_prot, .ops = &inet_stream_ops, },',
        '\t{ .type = SOCK_DGRAM, .ops = &inet_dgram_ops, },',
        '};',
      ].join('\n'),
    );
    const ops = facts.initializers.find((i) => i.name === 'inet_stream_ops')!;
    assert.equal(ops.type.name, 'struct proto_ops');
    assert.deepEqual(
      ops.entries.map((e) => [e.path.join('.'), e.value, e.line]),
      [
        ['family', 'PF_INET', 2],
        ['connect', 'inet_stream_connect', 3],
        ['accept', 'inet_accept', 4],
      ],
    );
    const arr = facts.initializers.find((i) => i.name === 'inetsw_array')!;
    assert.ok(arr.isArray);
    assert.deepEqual(
      arr.entries.filter((e) => e.path[0] === 'ops').map((e) => [e.value, e.element]),
      [
        ['inet_stream_ops', 0],
        ['inet_dgram_ops', 1],
      ],
    );
  });

  void it('flattens anonymous members and reads function-pointer fields', () => {
    const facts = extractFacts(
      c,
      'struct sock_common {\n\tunion {\n\t\tint a;\n\t\tstruct proto *skc_prot;\n\t};\n\tint (*connect)(struct sock *sk);\n};',
    );
    const s = facts.structs.find((x) => x.name === 'struct sock_common')!;
    assert.deepEqual(
      s.fields.map((f) => f.name),
      ['a', 'skc_prot', 'connect'],
    );
    assert.equal(s.fields[2]!.type.fn, true);
  });

  void it('records SYSCALL_DEFINEn bodies as syscall entries with their real header', () => {
    const facts = extractFacts(
      c,
      'SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr,\n\t\tint, addrlen)\n{\n\treturn __sys_connect(fd, uservaddr, addrlen);\n}\n',
    );
    const f = facts.functions[0]!;
    assert.deepEqual(f.syscall, { name: 'connect', arity: 3, compat: false });
    assert.match(f.signature, /^SYSCALL_DEFINE3\(connect, int, fd/);
    assert.equal(f.calls[0]!.text, '__sys_connect');
  });

  void it('keeps INDIRECT_CALL_n hints and function arguments', () => {
    const facts = extractFacts(
      c,
      'void f(struct sk_buff *skb)\n{\n\tINDIRECT_CALL_2(ipprot->handler, tcp_v4_rcv, udp_rcv, skb);\n\tNF_HOOK(1, 2, net, NULL, skb, dev, NULL, ip_rcv_finish);\n}',
    );
    const calls = facts.functions[0]!.calls;
    const hinted = calls.find((x) => x.hints)!;
    assert.deepEqual(hinted.hints, ['tcp_v4_rcv', 'udp_rcv']);
    assert.equal(hinted.text, 'ipprot->handler');
    assert.equal(calls.find((x) => x.text === 'NF_HOOK')!.args.at(-1), 'ip_rcv_finish');
  });

  void it('recovers definitions after an ERROR that swallows the rest of the file', () => {
    const broken = [
      'int a(void)',
      '{',
      '#define N(x) case x: return #x;',
      '\tswitch (v) {',
      '\tN(A) N(B) N(C)',
      '\t}',
      '}',
    ];
    const rest = Array.from({ length: 20 }, (_, i) => `int f${i}(void)\n{\n\treturn g(${i});\n}`);
    const facts = extractFacts(c, [...broken, ...rest].join('\n'));
    const names = new Set(facts.functions.map((f) => f.name));
    for (let i = 0; i < 20; i++) assert.ok(names.has(`f${i}`), `f${i} survives`);
  });
});
