/**
 * Kernel Lens's language server (bundled to dist/server.js).
 *
 * Transports: over IPC when the extension starts it (vscode-languageclient passes
 * --node-ipc), over stdio for other editors: `node dist/server.js --stdio`.
 * createConnection() reads the transport from argv.
 *
 * Never write to stdout: under --stdio it carries the protocol. console.* is redirected to
 * the client's log (connection.console) before anything else runs.
 *
 * Each LSP feature lives in its own file and is listed in FEATURES; see context.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
  type ServerCapabilities,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { loadC } from '../core/cParser';
import { preprocess } from '../core/preprocess';
import type { InitializationOptions } from '../protocol/lsp';
import type { ServerContext, ServerFeature } from './context';
import { callHierarchy } from './callHierarchy';
import { definition } from './definition';
import { documentSymbols } from './documentSymbols';
import { hover } from './hover';
import { implementation } from './implementation';
import { lensRequests } from './lensRequests';
import { references } from './references';
import { workspaceSymbols } from './workspaceSymbols';
import { IndexStatusReporter } from './indexStatus';
import { KernelIndexService, kernelRootFromWorkspace } from './kernelIndex';
import { Trees } from './trees';

/** Every feature of the server, in registration order. */
const FEATURES: readonly ServerFeature[] = [
  documentSymbols,
  definition,
  implementation,
  callHierarchy,
  hover,
  references,
  workspaceSymbols,
  lensRequests,
];

/** Trees kept at once; an open kernel file's tree is 1-10 MB of wasm heap. */
const TREE_CAPACITY = 64;
const DEFAULT_PARSE_TIMEOUT_MS = 5000;

const connection = createConnection(ProposedFeatures.all);
redirectConsole();

const documents = new TextDocuments(TextDocument);
const status = new IndexStatusReporter(connection);
const disposables: { dispose(): void }[] = [];
let indexService: KernelIndexService | undefined;

connection.onInitialize(async (params): Promise<InitializeResult> => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  const started = performance.now();
  // A standalone server (`node dist/server.js --stdio`) finds the wasm files beside its
  // bundle and the queries in the package's kernel-snippets/.
  const wasmDir = options.wasmDir ?? __dirname;
  const queriesDir = options.queriesDir ?? join(__dirname, '..', 'kernel-snippets', 'queries');
  for (const needed of [join(wasmDir, 'tree-sitter-c.wasm'), queriesDir]) {
    if (!existsSync(needed)) throw new Error(`Kernel Lens server: ${needed} is missing`);
  }

  const wasm = {
    runtime: join(wasmDir, 'web-tree-sitter.wasm'),
    grammar: join(wasmDir, 'tree-sitter-c.wasm'),
  };
  const c = await loadC(wasm);
  const root = options.kernelRoot ?? kernelRootFromWorkspace(params);
  const service = new KernelIndexService(root, wasm, status, connection);
  service.trackDocuments(documents);
  indexService = service;
  const trees = new Trees(c, {
    capacity: TREE_CAPACITY,
    parseTimeoutMs: options.parseTimeoutMs ?? DEFAULT_PARSE_TIMEOUT_MS,
    // Kernel C through the core's line- and column-preserving normalization, so trees see
    // SYSCALL_DEFINEn as functions and untaken #if branches as blanks.
    normalize: (text) => preprocess(text).text,
  });
  disposables.push(trees, service);

  const ctx: ServerContext = {
    connection,
    documents,
    trees,
    c,
    query(name) {
      const file = join(queriesDir, `${name}.scm`);
      try {
        // cParser compiles each query source once per process.
        return c.query(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`tree-sitter query ${file}: ${(err as Error).message}`);
      }
    },
    kernelRoot: root,
    index: () => service.get(),
    relativePath: (uri) => service.relativePath(uri),
    status,
    options,
  };

  const capabilities: ServerCapabilities = {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
  };
  for (const feature of FEATURES) {
    Object.assign(capabilities, feature.capabilities);
    feature.register(ctx, disposables);
  }

  // Closing a document drops its tree at once rather than when the LRU gets to it.
  documents.onDidClose((e) => trees.delete(e.document.uri));

  const loaded = `tree-sitter-c loaded in ${Math.round(performance.now() - started)} ms`;
  status.set(
    root
      ? // The index opens once the client has the result (onInitialized).
        {
          state: 'indexing',
          root,
          message: `${loaded}; kernel tree ${root.path} (${root.version ?? 'version unknown'}, ${root.source})`,
        }
      : { state: 'ready', scope: 'file', message: `${loaded}; no kernel tree: outline only` },
  );
  return { capabilities, serverInfo: { name: 'kernel-lens' } };
});

connection.onInitialized(() => {
  status.goLive();
  // After the initialize result: the client sees "indexing" and then the result.
  indexService?.start();
});

connection.onShutdown(() => {
  for (const d of disposables.splice(0).reverse()) d.dispose();
});

documents.listen(connection);
connection.listen();

/** Send console output to the client's log instead of stdout (see the header). */
function redirectConsole(): void {
  /* eslint-disable no-console -- this is the redirect that lets the rule hold elsewhere */
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.info = (...args: unknown[]) => connection.console.info(args.map(String).join(' '));
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
  console.debug = console.log;
  /* eslint-enable no-console */
}
