/**
 * extension/server/trees.ts: incremental re-parses give the tree a fresh parse gives, the LRU
 * keeps its capacity, a parse out of time gives up without breaking the next one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadC } from '../../../extension/core/cParser';
import { preprocess } from '../../../extension/core/preprocess';
import { changedSpan, Trees, type VersionedText } from '../../../extension/server/trees';

const SOURCE = `#include <linux/net.h>

int __sys_connect_file(struct file *file, int addrlen, int flags)
{
\tstruct socket *sock = sock_from_file(file);

\treturn sock->ops->connect(sock, NULL, addrlen, flags);
}

SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr, int, addrlen)
{
\treturn __sys_connect(fd, uservaddr, addrlen);
}
`;

function doc(uri: string, version: number, text: string): VersionedText {
  return { uri, version, getText: () => text };
}

async function freshTree(text: string): Promise<string> {
  const c = await loadC();
  const tree = c.parser.parse(text)!;
  try {
    return tree.rootNode.toString();
  } finally {
    tree.delete();
  }
}

void describe('Trees', () => {
  void it('re-parses an edited document incrementally to the same tree as a fresh parse', async () => {
    const trees = new Trees(await loadC(), { capacity: 4, parseTimeoutMs: 5000 });
    const v1 = trees.get(doc('file:///a.c', 1, SOURCE))!;
    assert.equal(v1.rootNode.hasError, true, 'unnormalized SYSCALL_DEFINE3 is an error');
    const edited = SOURCE.replace('sock_from_file(file)', 'sock_from_file(file, &err)');
    const v2 = trees.get(doc('file:///a.c', 2, edited))!;
    assert.equal(v2.rootNode.toString(), await freshTree(edited));
    // The same version again is the cached tree itself.
    assert.equal(trees.get(doc('file:///a.c', 2, edited)), v2);
    trees.dispose();
  });

  void it('normalizes before parsing, and edits still line up (typing `#if 0`)', async () => {
    const normalize = (text: string) => preprocess(text).text;
    const trees = new Trees(await loadC(), { capacity: 4, parseTimeoutMs: 5000, normalize });
    const v1 = trees.get(doc('file:///b.c', 1, SOURCE))!;
    assert.equal(v1.rootNode.hasError, false, 'SYSCALL_DEFINE3 became a function definition');
    // An edit whose effect reaches past itself: the #if 0 blanks the function after it.
    const edited = SOURCE.replace(
      'int __sys_connect_file',
      '#if 0\nint __sys_connect_file',
    ).replace('\nSYSCALL_DEFINE3', '#endif\nSYSCALL_DEFINE3');
    const v2 = trees.get(doc('file:///b.c', 2, edited))!;
    assert.equal(v2.rootNode.toString(), await freshTree(normalize(edited)));
    // Only the syscall is left a function: __sys_connect_file is inside the blanked #if 0.
    assert.equal(v2.rootNode.descendantsOfType('function_definition').length, 1);
    trees.dispose();
  });

  void it('keeps at most `capacity` trees, least recently used out first', async () => {
    const trees = new Trees(await loadC(), { capacity: 2, parseTimeoutMs: 5000 });
    const a = trees.get(doc('file:///a.c', 1, 'int a;'));
    const b = trees.get(doc('file:///b.c', 1, 'int b;'));
    assert.equal(trees.get(doc('file:///a.c', 1, 'int a;')), a, 'a is used again');
    trees.get(doc('file:///c.c', 1, 'int c;'));
    assert.equal(trees.size, 2);
    // b was the least recently used: it was evicted, a was kept.
    assert.equal(trees.get(doc('file:///a.c', 1, 'int a;')), a);
    assert.notEqual(trees.get(doc('file:///b.c', 1, 'int b;')), b, 'b is parsed anew');
    trees.delete('file:///a.c');
    assert.equal(trees.size, 1);
    trees.dispose();
    assert.equal(trees.size, 0);
  });

  void it('gives up on a parse out of time, and parses the next request normally', async () => {
    const c = await loadC();
    const big = Array.from(
      { length: 4000 },
      (_, i) => `int f${i}(int x) { return x + ${i}; }`,
    ).join('\n');
    const starved = new Trees(c, { capacity: 2, parseTimeoutMs: 0 });
    assert.equal(starved.get(doc('file:///big.c', 1, big)), undefined);
    starved.dispose();
    const trees = new Trees(c, { capacity: 2, parseTimeoutMs: 5000 });
    const tree = trees.get(doc('file:///small.c', 1, 'int main(void) { return 0; }'))!;
    assert.equal(tree.rootNode.toString(), await freshTree('int main(void) { return 0; }'));
    trees.dispose();
  });
});

void describe('changedSpan', () => {
  void it('covers exactly the changed characters, with rows and columns', () => {
    const edit = changedSpan('ab\ncd\nef', 'ab\ncXYd\nef');
    assert.deepEqual([edit.startIndex, edit.oldEndIndex, edit.newEndIndex], [4, 4, 6]);
    assert.deepEqual(edit.startPosition, { row: 1, column: 1 });
    assert.deepEqual(edit.newEndPosition, { row: 1, column: 3 });
  });

  void it('handles a deleted line break', () => {
    const edit = changedSpan('ab\ncd', 'abcd');
    assert.deepEqual([edit.startIndex, edit.oldEndIndex, edit.newEndIndex], [2, 3, 2]);
    assert.deepEqual(edit.oldEndPosition, { row: 1, column: 0 });
    assert.deepEqual(edit.newEndPosition, { row: 0, column: 2 });
  });
});
