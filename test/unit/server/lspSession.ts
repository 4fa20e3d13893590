/**
 * A language-server session as another editor has it: `node dist/server.js --stdio` in its
 * own process group, spoken to with vscode-languageserver-protocol's client side over the
 * child's stdin/stdout. Used by the stdio navigation tests on the embedded sources
 * (test/unit/server/), on a whole tree (test/kernel/) and by the stdio e2e test.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  ShutdownRequest,
  type InitializeResult,
  type Position,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { packageRoot } from '../../../extension/kernelSources/paths';
import {
  indexStatus,
  type IndexStatusParams,
  type InitializationOptions,
} from '../../../extension/protocol/lsp';

export interface LspSession {
  readonly connection: ProtocolConnection;
  readonly root: string;
  readonly initialize: InitializeResult;
  /** Resolves once the index is ready (or failed). */
  readonly ready: Promise<IndexStatusParams>;
  /** Every index status the server sent, in order. */
  readonly statuses: IndexStatusParams[];
  readonly logs: string[];
  uri(file: string): string;
  /** Opens a file of the tree in the server (didOpen with the disk's text). */
  open(file: string): Promise<string>;
  /** The position of `needle` at or after `lineText` on the first line containing `lineText`. */
  positionOf(file: string, lineText: string, needle: string): Position;
  /** Line `line` (0-based) of a file of the tree. */
  lineText(file: string, line: number): string;
  /** The file of the tree a URI names (relative path). */
  fileOf(uri: string): string;
  /** shutdown + exit, then the process group is killed if still there. */
  close(): Promise<number | null>;
}

export async function startSession(
  root: string,
  options: InitializationOptions & {
    env?: NodeJS.ProcessEnv;
    /** Only rootUri, as an editor without workspace folders sends (workspaceFolders: null). */
    rootUriOnly?: boolean;
  } = {},
): Promise<LspSession> {
  const { env, rootUriOnly, ...initOptions } = options;
  const server = spawn(process.execPath, [join(packageRoot(), 'dist', 'server.js'), '--stdio'], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    server.on('exit', (code) => resolve(code)),
  );
  const connection = createProtocolConnection(
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
  const initialize = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(root).href,
    capabilities: {
      textDocument: {
        hover: { contentFormat: ['markdown', 'plaintext'] },
        callHierarchy: {},
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
      },
    },
    workspaceFolders: rootUriOnly ? null : [{ uri: pathToFileURL(root).href, name: 'kernel' }],
    ...(Object.keys(initOptions).length ? { initializationOptions: initOptions } : {}),
  });
  await connection.sendNotification(InitializedNotification.type, {});
  const texts = new Map<string, string>();
  const textOf = (file: string): string => {
    let t = texts.get(file);
    if (t === undefined) {
      t = readFileSync(join(root, file), 'latin1');
      texts.set(file, t);
    }
    return t;
  };
  return {
    connection,
    root,
    initialize,
    ready,
    statuses,
    logs,
    uri: (file) => pathToFileURL(join(root, file)).href,
    async open(file) {
      const uri = pathToFileURL(join(root, file)).href;
      await connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'c', version: 1, text: textOf(file) },
      });
      return uri;
    },
    positionOf(file, lineText, needle) {
      const lines = textOf(file).split('\n');
      const line = lines.findIndex((l) => l.includes(lineText));
      if (line < 0) throw new Error(`no line containing "${lineText}" in ${file}`);
      const character = lines[line]!.indexOf(needle, lines[line]!.indexOf(lineText));
      if (character < 0) throw new Error(`no "${needle}" on ${file}:${line + 1}`);
      return { line, character };
    },
    lineText(file, line) {
      return textOf(file).split('\n')[line] ?? '';
    },
    fileOf(uri) {
      const path = fileURLToPath(uri);
      if (!path.startsWith(`${root}/`)) throw new Error(`${uri} is outside ${root}`);
      return path.slice(root.length + 1);
    },
    async close() {
      try {
        await connection.sendRequest(ShutdownRequest.type);
        await connection.sendNotification(ExitNotification.type);
      } catch {
        // Gone already.
      }
      const code = await Promise.race([
        exited,
        new Promise<null>((r) => setTimeout(() => r(null), 5000)),
      ]);
      connection.dispose();
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        // The group exited.
      }
      if (code !== 0 && code !== null) throw new Error(`server exited with ${code}: ${stderr}`);
      return code;
    },
  };
}
