/**
 * extension/server/documentSymbols.ts with kernel-snippets/queries/symbols.scm, on small
 * pieces of kernel C, both as tree-sitter-c recovers from the raw text and after the core's
 * normalization (the server's path).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DocumentSymbol } from 'vscode-languageserver/node';
import { loadC } from '../../../extension/core/cParser';
import { preprocess } from '../../../extension/core/preprocess';
import { packageRoot } from '../../../extension/kernelSources/paths';
import { outline } from '../../../extension/server/documentSymbols';

const SOURCE = `struct proto_ops {
\tint (*connect)(struct socket *sock);
};

enum sock_type { SOCK_STREAM = 1 };

static int __init sock_init(void)
{
\tstruct msghdr msg = { .msg_flags = 0 };
\treturn 0;
}

struct sock *inet_csk_accept(struct sock *sk, int flags)
{
\treturn sk;
}

SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr,
\t\tint, addrlen)
{
\treturn __sys_connect(fd, uservaddr, addrlen);
}

SYSCALL_DEFINE0(vhangup)
{
\treturn 0;
}

const struct proto_ops inet_stream_ops = {
\t.family\t\t   = PF_INET,
\t.connect\t   = inet_stream_connect,
};
`;

async function symbolsOf(text: string, normalize: boolean): Promise<DocumentSymbol[]> {
  const c = await loadC();
  const query = c.query(
    readFileSync(join(packageRoot(), 'kernel-snippets', 'queries', 'symbols.scm'), 'utf8'),
  );
  const tree = c.parser.parse(normalize ? preprocess(text).text : text)!;
  try {
    return outline(query, tree, text);
  } finally {
    tree.delete();
  }
}

/** "name [detail] {children}" per symbol, in order: one string to compare. */
function shape(symbols: readonly DocumentSymbol[]): string[] {
  return symbols.map((s) => {
    const children = s.children?.length ? ` {${shape(s.children).join(', ')}}` : '';
    return `${s.name} [${s.detail ?? ''}]${children}`;
  });
}

for (const normalize of [false, true]) {
  void describe(`outline of kernel C (${normalize ? 'normalized' : 'raw'})`, () => {
    void it('lists functions, syscalls, types and ops tables with their initializers', async () => {
      const symbols = await symbolsOf(SOURCE, normalize);
      assert.deepEqual(shape(symbols), [
        'proto_ops [struct]',
        'sock_type [enum]',
        // The designated initializer inside the function body is not an ops table entry.
        'sock_init [(void)]',
        'inet_csk_accept [(struct sock *sk, int flags)]',
        'SYSCALL_DEFINE3(connect) [sys_connect]',
        'SYSCALL_DEFINE0(vhangup) [sys_vhangup]',
        'inet_stream_ops [struct proto_ops] {.family [PF_INET], .connect [inet_stream_connect]}',
      ]);
    });

    void it('spans a syscall from its macro to its closing brace, selecting the name', async () => {
      const symbols = await symbolsOf(SOURCE, normalize);
      const connect = symbols.find((s) => s.name === 'SYSCALL_DEFINE3(connect)')!;
      const lines = SOURCE.split('\n');
      assert.equal(
        lines[connect.range.start.line]!.slice(
          connect.range.start.character,
          connect.range.start.character + 15,
        ),
        'SYSCALL_DEFINE3',
      );
      assert.equal(lines[connect.range.end.line], '}');
      const { start, end } = connect.selectionRange;
      assert.equal(lines[start.line]!.slice(start.character, end.character), 'connect');
    });
  });
}
