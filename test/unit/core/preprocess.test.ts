import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preprocess } from '../../../extension/core/preprocess';

/** Every line keeps its number and length: positions in the output are positions in the input. */
function assertShape(input: string, output: string): void {
  const a = input.split('\n');
  const b = output.split('\n');
  assert.equal(b.length, a.length, 'same number of lines');
}

void describe('preprocess', () => {
  void it('keeps the first branch of an #if chain and blanks the others (6.12 tcp_ipv4.c idiom)', () => {
    const src = [
      '#ifdef CONFIG_TCP_AO',
      '\tif (key.ao_key) {',
      '#else',
      '\tif (0) {',
      '#endif',
      '\t} else {',
      '\t}',
    ].join('\n');
    const out = preprocess(src).text;
    assertShape(src, out);
    const lines = out.split('\n');
    assert.equal(lines[1], '\tif (key.ao_key) {');
    assert.equal(lines[3]!.trim(), '', 'the #else branch is blank');
    assert.equal(lines[0]!.trim(), '', 'directives are blank');
    assert.equal(
      (out.match(/\{/g) ?? []).length,
      (out.match(/\}/g) ?? []).length,
      'braces balance',
    );
  });

  void it('takes the #else of `#if 0` and of `#ifdef __ASSEMBLY__`', () => {
    const src = [
      '#if 0',
      'int a;',
      '#else',
      'int b;',
      '#endif',
      '#ifdef __ASSEMBLY__',
      'asm;',
      '#else',
      'int c;',
      '#endif',
    ].join('\n');
    const lines = preprocess(src).text.split('\n');
    assert.equal(lines[1]!.trim(), '');
    assert.equal(lines[3], 'int b;');
    assert.equal(lines[6]!.trim(), '');
    assert.equal(lines[8], 'int c;');
  });

  void it('rewrites SYSCALL_DEFINEn headers into definitions at the same columns', () => {
    const src =
      'SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr,\n\t\tint, addrlen)\n{\n}\n';
    const { text, syscalls } = preprocess(src);
    assertShape(src, text);
    assert.match(
      text.split('\n')[0]!,
      /^long\s+connect\( int\s+fd, struct sockaddr\s+\*\s+uservaddr,$/,
    );
    assert.equal(
      text.split('\n')[0]!.indexOf('connect'),
      src.indexOf('connect'),
      'name keeps its column',
    );
    assert.deepEqual(syscalls, [{ name: 'connect', arity: 3, compat: false, line: 0, column: 0 }]);
  });

  void it('blanks annotation macros, keeping columns', () => {
    const src = 'static void f(char __user *p) __acquires(&sk->lock)\n{\n}';
    const out = preprocess(src).text;
    assert.equal(out.length, src.length);
    assert.ok(!out.includes('__user') && !out.includes('__acquires'));
    assert.equal(out.indexOf('*p'), src.indexOf('*p'));
  });

  void it('turns loop macros inside bodies into while loops', () => {
    const src =
      'void f(void)\n{\n\tlist_for_each_entry(pos, head, member) {\n\t\tg(pos);\n\t}\n\tsk_for_each(sk, head)\n\t\tg(sk);\n\th(x);\n}';
    const lines = preprocess(src).text.split('\n');
    assert.match(lines[2]!, /^\twhile\s+\(pos, head, member\) \{$/);
    assert.match(lines[5]!, /^\twhile\s+\(sk, head\)$/);
    assert.equal(lines[7], '\th(x);', 'ordinary calls stay');
  });

  void it('leaves comments and strings alone', () => {
    const src = '/* #if 0 */\nchar *s = "__user list_for_each(x) {";\n';
    assert.equal(preprocess(src).text, src);
  });
});

void describe('preprocess: configuration', () => {
  void it('takes CONFIG_ options as built in', () => {
    const src = [
      '#ifndef CONFIG_IP_MULTIPLE_TABLES',
      'int stub;',
      '#else',
      'int real;',
      '#endif',
      '#if IS_MODULE(CONFIG_BT)',
      'int mod;',
      '#else',
      'int builtin;',
      '#endif',
      '#if !IS_ENABLED(CONFIG_IPV6)',
      'int no6;',
      '#endif',
    ].join('\n');
    const lines = preprocess(src).text.split('\n');
    assert.equal(lines[1]!.trim(), '');
    assert.equal(lines[3], 'int real;');
    assert.equal(lines[6]!.trim(), '');
    assert.equal(lines[8], 'int builtin;');
    assert.equal(lines[11]!.trim(), '');
  });
});
