/**
 * extension/core/positions.ts: the word under a cursor and what it is in the index (a call's
 * callee or field, an initializer's value or designator, a function's name), on small pieces
 * of C and on the embedded sources.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelIndex } from '../../../extension/core/kernelIndex';
import { functionAt, lineOf, symbolAt, wordAt } from '../../../extension/core/positions';
import { embeddedRoot, indexCacheDir, packageRoot } from '../../../extension/kernelSources/paths';
import { join } from 'node:path';

void describe('wordAt and lineOf', () => {
  const text = 'int f(struct sock *sk)\n{\n\treturn sk->sk_prot->connect(sk);\n}\n';
  void it('finds the identifier, its span and what precedes it', () => {
    assert.deepEqual(wordAt(text, 1, 14), {
      text: 'sock',
      line: 1,
      start: 13,
      end: 17,
      tagKeyword: 'struct',
      isField: false,
    });
    const field = wordAt(text, 3, 24);
    assert.equal(field?.text, 'connect');
    assert.equal(field?.isField, true);
    assert.equal(wordAt(text, 3, 12)?.text, 'sk_prot');
  });
  void it('takes the word just before the cursor, not whitespace, numbers or punctuation', () => {
    assert.equal(wordAt(text, 1, 5)?.text, 'f');
    assert.equal(wordAt(text, 2, 0), undefined);
    assert.equal(wordAt('x = 42;', 1, 5), undefined);
    assert.equal(wordAt(text, 9, 0), undefined);
  });
  void it('reads lines 1-based without their line break', () => {
    assert.equal(lineOf('a\r\nb\n', 1), 'a');
    assert.equal(lineOf('a\nb', 2), 'b');
    assert.equal(lineOf('a', 3), undefined);
  });
});

void describe('symbolAt on the embedded sources', () => {
  const open = KernelIndex.open(embeddedRoot(), {
    cacheDir: indexCacheDir(),
    wasm: {
      runtime: join(packageRoot(), 'dist', 'web-tree-sitter.wasm'),
      grammar: join(packageRoot(), 'dist', 'tree-sitter-c.wasm'),
    },
  });
  const find = (
    index: KernelIndex,
    file: string,
    lineText: string,
    needle: string,
  ): { line: number; col: number } => {
    const lines = index.readText(file).split('\n');
    const i = lines.findIndex((l) => l.includes(lineText));
    assert.ok(i >= 0, lineText);
    return { line: i + 1, col: lines[i]!.indexOf(needle, lines[i]!.indexOf(lineText)) };
  };

  void it('a field call: the field under the cursor is the call in __sys_connect_file', async () => {
    const index = await open;
    const at = find(
      index,
      'net/socket.c',
      'sock->ops->connect(sock, (struct sockaddr *)address',
      'connect',
    );
    const s = symbolAt(index, 'net/socket.c', at.line, at.col + 3);
    assert.equal(s?.kind, 'call');
    if (s?.kind !== 'call') return;
    assert.equal(s.fn.fact.name, '__sys_connect_file');
    assert.equal(s.call.text, 'sock->ops->connect');
    // `ops` on the same line is a word (a field read), not the call.
    const ops = symbolAt(index, 'net/socket.c', at.line, at.col - 3);
    assert.equal(ops?.kind, 'word');
    assert.equal(ops?.word.isField, true);
  });

  void it('an initializer: the value and the designator of .connect = inet_stream_connect', async () => {
    const index = await open;
    const at = find(
      index,
      'net/ipv4/af_inet.c',
      '.connect	   = inet_stream_connect',
      'inet_stream_connect',
    );
    const value = symbolAt(index, 'net/ipv4/af_inet.c', at.line, at.col);
    assert.equal(value?.kind, 'initValue');
    if (value?.kind === 'initValue') assert.equal(value.init.fact.name, 'inet_stream_ops');
    const field = symbolAt(index, 'net/ipv4/af_inet.c', at.line, at.col - 10);
    assert.equal(field?.kind, 'initField');
  });

  void it('a definition: the function name, and functionAt for a line of its body', async () => {
    const index = await open;
    const at = find(
      index,
      'net/ipv4/tcp_ipv4.c',
      'int tcp_v4_connect(struct sock *sk',
      'tcp_v4_connect',
    );
    const s = symbolAt(index, 'net/ipv4/tcp_ipv4.c', at.line, at.col);
    assert.equal(s?.kind, 'functionName');
    assert.equal(
      functionAt(index, 'net/ipv4/tcp_ipv4.c', at.line + 5)?.fact.name,
      'tcp_v4_connect',
    );
  });
});
