/**
 * The language server as another editor would use it: `node dist/server.js --stdio`, spoken to
 * by vscode-languageserver-protocol's client side over the child's stdin/stdout, with no
 * initialization options (the standalone defaults) and no workspace folders (rootUri only).
 * Needs `npm run build` and the embedded sources (`node dist/cli.js fetch --embedded`), which
 * test/run.sh does first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DocumentSymbolRequest, type DocumentSymbol } from 'vscode-languageserver-protocol';
import { packageRoot } from '../../extension/kernelSources/paths';
import { startSession, type LspSession } from '../unit/server/lspSession';

const EMBEDDED = join(packageRoot(), 'kernel-snippets', 'linux-6.1');

void describe('language server over stdio', () => {
  let session: LspSession;

  before(async () => {
    session = await startSession(EMBEDDED, { rootUriOnly: true });
    assert.ok(
      session.initialize.capabilities.documentSymbolProvider,
      'documentSymbol is announced',
    );
  });

  after(async () => {
    await session?.close().catch(() => undefined);
  });

  void it('finds the kernel tree in the workspace, indexes it and reports ready', async () => {
    const status = await session.ready;
    assert.equal(status.state, 'ready', status.message);
    assert.equal(status.scope, 'tree');
    assert.equal(status.root?.path, EMBEDDED);
    assert.match(status.root?.version ?? '', /^6\.1\.\d+$/);
    assert.ok((status.files ?? 0) > 300, `${status.files} files indexed`);
    assert.equal(session.statuses[0]?.state, 'indexing', 'indexing is reported first');
    // Its log goes to the client as window/logMessage, never to stdout (the protocol stream).
    assert.ok(
      session.logs.some((line) => line.includes('tree-sitter-c loaded')),
      session.logs.join('\n'),
    );
    assert.ok(
      session.logs.some((line) => line.includes('[index] ready: indexed')),
      session.logs.join('\n'),
    );
  });

  void it('lists SYSCALL_DEFINE3(connect) and __sys_connect_file in net/socket.c', async () => {
    const symbols = await documentSymbols('net/socket.c');
    const names = symbols.map((s) => s.name);
    assert.ok(names.includes('SYSCALL_DEFINE3(connect)'), names.join(', '));
    assert.ok(names.includes('__sys_connect_file'));
    const connect = symbols.find((s) => s.name === 'SYSCALL_DEFINE3(connect)')!;
    // The symbol spans the header and the body: it starts on the macro's line.
    const lines = readFileSync(join(EMBEDDED, 'net/socket.c'), 'utf8').split('\n');
    assert.match(lines[connect.range.start.line]!, /^SYSCALL_DEFINE3\(connect,/);
    assert.equal(lines[connect.range.end.line], '}');
  });

  void it('shows the ops tables of af_inet.c with their initializers', async () => {
    const symbols = await documentSymbols('net/ipv4/af_inet.c');
    const ops = symbols.find((s) => s.name === 'inet_stream_ops');
    assert.ok(ops, 'inet_stream_ops is a symbol');
    assert.equal(ops.detail, 'struct proto_ops');
    const connect = ops.children?.find((c) => c.name === '.connect');
    assert.equal(connect?.detail, 'inet_stream_connect');
  });

  void it('shuts down and exits with code 0 on shutdown + exit', async () => {
    assert.equal(await session.close(), 0);
  });

  async function documentSymbols(file: string): Promise<DocumentSymbol[]> {
    const uri = await session.open(file);
    const result = await session.connection.sendRequest(DocumentSymbolRequest.type, {
      textDocument: { uri },
    });
    assert.ok(Array.isArray(result) && result.length > 0, `symbols of ${file}`);
    return result as DocumentSymbol[];
  }
});
