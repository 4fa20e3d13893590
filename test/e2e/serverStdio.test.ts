/**
 * The language server as another editor would use it: `node dist/server.js --stdio`, spoken to
 * by vscode-languageserver-protocol's client side over the child's stdin/stdout, with no
 * initialization options (the standalone defaults). Needs `npm run build` and the embedded
 * sources (`node dist/cli.js fetch --embedded`), which test/run.sh does first.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  DocumentSymbolRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  ShutdownRequest,
  DidOpenTextDocumentNotification,
  type DocumentSymbol,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { indexStatus, type IndexStatusParams } from '../../extension/protocol/lsp';
import { packageRoot } from '../../extension/kernelSources/paths';

const ROOT = packageRoot();
const EMBEDDED = join(ROOT, 'kernel-snippets', 'linux-6.1');

void describe('language server over stdio', () => {
  const server = spawn(process.execPath, [join(ROOT, 'dist', 'server.js'), '--stdio'], {
    // Its own process group, so the whole group can be stopped whatever happens.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    server.on('exit', (code) => resolve(code)),
  );
  const connection: ProtocolConnection = createProtocolConnection(
    new StreamMessageReader(server.stdout),
    new StreamMessageWriter(server.stdin),
  );
  const statuses: IndexStatusParams[] = [];
  const ready = new Promise<IndexStatusParams>((resolve) =>
    connection.onNotification(indexStatus, (status) => {
      statuses.push(status);
      if (status.state === 'ready' || status.state === 'failed') resolve(status);
    }),
  );
  const logs: string[] = [];
  connection.onNotification(LogMessageNotification.type, (p) => logs.push(p.message));
  connection.listen();

  before(async () => {
    const result = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(EMBEDDED).href,
      capabilities: {
        textDocument: { documentSymbol: { hierarchicalDocumentSymbolSupport: true } },
      },
      workspaceFolders: null,
    });
    assert.ok(result.capabilities.documentSymbolProvider, 'documentSymbol is announced');
    await connection.sendNotification(InitializedNotification.type, {});
  });

  after(() => {
    connection.dispose();
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      // Already gone: the exit test stopped it.
    }
  });

  void it('finds the kernel tree in the workspace, indexes it and reports ready', async () => {
    const status = await ready;
    assert.equal(status.state, 'ready', status.message);
    assert.equal(status.scope, 'tree');
    assert.equal(status.root?.path, EMBEDDED);
    assert.match(status.root?.version ?? '', /^6\.1\.\d+$/);
    assert.ok((status.files ?? 0) > 300, `${status.files} files indexed`);
    assert.equal(statuses[0]?.state, 'indexing', 'indexing is reported first');
    // Its log goes to the client as window/logMessage, never to stdout (the protocol stream).
    assert.ok(
      logs.some((line) => line.includes('tree-sitter-c loaded')),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((line) => line.includes('[index] ready: indexed')),
      logs.join('\n'),
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
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0, stderr);
  });

  async function documentSymbols(file: string): Promise<DocumentSymbol[]> {
    const path = join(EMBEDDED, file);
    const uri = pathToFileURL(path).href;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'c', version: 1, text: readFileSync(path, 'utf8') },
    });
    const result = await connection.sendRequest(DocumentSymbolRequest.type, {
      textDocument: { uri },
    });
    assert.ok(Array.isArray(result) && result.length > 0, `symbols of ${file}`);
    return result as DocumentSymbol[];
  }
});
