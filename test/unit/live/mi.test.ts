// The GDB/MI parser on records as gdb 13 (Debian 12) wrote them during a live run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  int,
  list,
  miQuote,
  MiStreamParser,
  MiSyntaxError,
  parseMiLine,
  str,
  tuple,
  type MiRecord,
} from '../../../extension/live/mi';

const STOPPED =
  '*stopped,reason="breakpoint-hit",disp="keep",bkptno="5",frame={addr="0xffffffff8177cc90",' +
  'func="__sys_connect",args=[{name="fd",value="4"},{name="uservaddr",value="0x7ffcc7b6ad30"},' +
  '{name="addrlen",value="16"}],file="net/socket.c",fullname="/t/linux-source-6.1/net/socket.c",' +
  'line="2018",arch="i386:x86-64"},thread-id="1",stopped-threads="all"';

const STACK =
  '45^done,stack=[frame={level="0",addr="0xffffffff8177c720",func="__sys_bind",file="net/socket.c",' +
  'line="1798"},frame={level="1",addr="0xffffffff8177c824",func="__do_sys_bind",file="net/socket.c",line="1822"}]';

void describe('parseMiLine', () => {
  void it('reads an exec async record with nested tuples and lists', () => {
    const r = parseMiLine(STOPPED);
    assert.equal(r.type, 'exec');
    if (r.type !== 'exec') return;
    assert.equal(r.asyncClass, 'stopped');
    assert.equal(r.token, undefined);
    assert.equal(str(r.results['reason']), 'breakpoint-hit');
    const frame = tuple(r.results['frame'])!;
    assert.equal(str(frame['func']), '__sys_connect');
    assert.equal(int(frame['line']), 2018);
    const args = list(frame['args'])!;
    assert.equal(args.length, 3);
    assert.equal(str(tuple(args[2])!['value']), '16');
  });

  void it('keeps the token of a result record and the values of a list of results', () => {
    const r = parseMiLine(STACK);
    assert.equal(r.type, 'result');
    if (r.type !== 'result') return;
    assert.equal(r.token, 45);
    assert.equal(r.resultClass, 'done');
    const frames = list(r.results['stack'])!;
    assert.deepEqual(
      frames.map((f) => str(tuple(f)!['func'])),
      ['__sys_bind', '__do_sys_bind'],
    );
  });

  void it('decodes C escapes in strings, octal included', () => {
    const r = parseMiLine('42^done,value="\\"kl-live\\\\000\\\\000\\""');
    assert.equal(r.type === 'result' && str(r.results['value']), '"kl-live\\000\\000"');
    const s = parseMiLine(
      '~"Breakpoint 3 at 0xffffffff8177c850: file net/socket.c, line 1832.\\n"',
    );
    assert.deepEqual(s, {
      type: 'console',
      text: 'Breakpoint 3 at 0xffffffff8177c850: file net/socket.c, line 1832.\n',
    });
    // \303\251 is "é" in UTF-8, as gdb escapes non-ASCII bytes.
    assert.deepEqual(parseMiLine('&"caf\\303\\251\\t!"'), { type: 'log', text: 'café\t!' });
  });

  void it('reads errors, empty tuples and lists, notify records and the prompt', () => {
    assert.deepEqual(parseMiLine('43^error,msg="No symbol \\"sk\\" in current context."'), {
      type: 'result',
      token: 43,
      resultClass: 'error',
      results: { msg: 'No symbol "sk" in current context.' },
    });
    assert.deepEqual(parseMiLine('7^done,a={},b=[]'), {
      type: 'result',
      token: 7,
      resultClass: 'done',
      results: { a: {}, b: [] },
    });
    const n = parseMiLine('=thread-group-started,id="i1",pid="42000"');
    assert.equal(n.type === 'notify' && n.asyncClass, 'thread-group-started');
    assert.deepEqual(parseMiLine('(gdb) '), { type: 'prompt' });
    assert.deepEqual(parseMiLine('38^running\r'), {
      type: 'result',
      token: 38,
      resultClass: 'running',
      results: {},
    });
  });

  void it('rejects what is not MI', () => {
    assert.throws(() => parseMiLine('Breakpoint 1, __sys_socket (...)'), MiSyntaxError);
    assert.throws(() => parseMiLine('^done,x="unterminated'), MiSyntaxError);
    assert.throws(() => parseMiLine('^bogus'), MiSyntaxError);
    assert.throws(() => parseMiLine('^done,x={a="1"'), MiSyntaxError);
  });
});

void describe('MiStreamParser', () => {
  void it('does not depend on chunk boundaries: split records and ^running + *stopped in one chunk', () => {
    const whole = `59^running\n*running,thread-id="all"\n(gdb) \n${STOPPED}\n${STACK}\n`;
    const expected = whole
      .split('\n')
      .filter((l) => l)
      .map(parseMiLine);
    for (const size of [1, 3, 17, 64, whole.length]) {
      const got: MiRecord[] = [];
      const p = new MiStreamParser((r) => got.push(r));
      for (let i = 0; i < whole.length; i += size) p.push(whole.slice(i, i + size));
      assert.deepEqual(got, expected, `chunks of ${size}`);
      assert.equal(p.rest, '');
    }
  });

  void it('reports a line that is not MI and goes on', () => {
    const got: MiRecord[] = [];
    const bad: string[] = [];
    const p = new MiStreamParser(
      (r) => got.push(r),
      (line) => bad.push(line),
    );
    p.push('warning: not MI\n1^done\n2^do');
    assert.deepEqual(bad, ['warning: not MI']);
    assert.equal(got.length, 1);
    assert.equal(p.rest, '2^do');
  });
});

void describe('miQuote', () => {
  void it('round-trips through the parser', () => {
    const cond = '$_streq(task->comm, "kl-live") \\ end\nx';
    const r = parseMiLine(`^done,c=${miQuote(cond)}`);
    assert.equal(r.type === 'result' && str(r.results['c']), cond);
  });
});
