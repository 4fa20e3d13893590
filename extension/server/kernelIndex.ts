/**
 * The server's one KernelIndex (extension/core/kernelIndex.ts) of the kernel tree it works
 * on: opened after `initialized`, its progress and result reported as the index status, kept
 * in step with unsaved editor contents through the index's overlays.
 *
 * Tree-wide features (definition, implementation, call hierarchy, hover, the custom
 * kernelLens/callGraph and kernelLens/resolveCodePoint) get it with `await ctx.index()`;
 * undefined means there is no tree or it failed to open (the status says why).
 */
import { relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Connection, InitializeParams, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { KernelIndex } from '../core/kernelIndex';
import { readKernelVersion, whyNotKernelTree } from '../core/kernelTree';
import type { WasmLocations } from '../core/cParser';
import { indexCacheDir } from '../kernelSources/paths';
import type { KernelRootInfo } from '../protocol/lsp';
import type { IndexStatusReporter } from './indexStatus';

/**
 * The tree for a standalone server (another editor gives no initializationOptions): the
 * first workspace folder, or else the root URI, that is a kernel tree (Makefile with
 * VERSION/PATCHLEVEL, net/socket.c, include/).
 */
export function kernelRootFromWorkspace(params: InitializeParams): KernelRootInfo | undefined {
  const uris = [
    ...(params.workspaceFolders ?? []).map((f) => f.uri),
    ...(params.rootUri ? [params.rootUri] : []),
  ];
  for (const uri of uris) {
    if (!uri.startsWith('file:')) continue;
    const path = fileURLToPath(uri);
    // The client's rule (client/kernelRoot.ts): a kernel tree whose Makefile gives a version.
    const version = whyNotKernelTree(path) ? undefined : readKernelVersion(path)?.text;
    if (!version) continue;
    return { path, uri: pathToFileURL(path).href, version, source: 'workspace' };
  }
  return undefined;
}

export class KernelIndexService {
  private opening: Promise<KernelIndex | undefined> | undefined;
  private index: KernelIndex | undefined;

  constructor(
    private readonly root: KernelRootInfo | undefined,
    private readonly wasm: WasmLocations,
    private readonly status: IndexStatusReporter,
    private readonly connection: Connection,
  ) {}

  /** The index once open; undefined without a tree or when opening failed. */
  get(): Promise<KernelIndex | undefined> {
    return this.opening ?? Promise.resolve(undefined);
  }

  /** Starts opening the index (call once, after `initialized`). */
  start(): void {
    const root = this.root;
    if (!root || this.opening) return;
    this.status.set({ state: 'indexing', root, progress: { done: 0, total: 0 } });
    this.opening = (async () => {
      try {
        const index = await KernelIndex.open(root.path, {
          cacheDir: indexCacheDir(),
          wasm: this.wasm,
          log: (line) => this.connection.console.log(`[index] ${line}`),
          progress: (done, total) =>
            this.status.set({ state: 'indexing', root, progress: { done, total } }),
        });
        this.index = index;
        this.status.set({
          state: 'ready',
          scope: 'tree',
          root,
          files: index.files.length,
          message: `indexed ${index.files.length} files of ${root.path} in ${index.stats.scanMs} ms (${index.stats.scanReused} from cache)`,
        });
        return index;
      } catch (err) {
        this.status.set({
          state: 'failed',
          root,
          message: `indexing ${root.path} failed: ${(err as Error).message}`,
        });
        return undefined;
      }
    })();
  }

  /**
   * Unsaved contents reach the index as overlays: set on every change, dropped on save and
   * close (the disk is right again). Only files inside the tree.
   */
  trackDocuments(documents: TextDocuments<TextDocument>): void {
    const update = (doc: TextDocument, text: string | undefined): void => {
      const path = this.relativePath(doc.uri);
      if (path && this.index) this.index.setOverlay(path, text);
    };
    // The version each document was opened at: its text then is the disk's, no overlay.
    const opened = new Map<string, number>();
    documents.onDidOpen((e) => opened.set(e.document.uri, e.document.version));
    documents.onDidChangeContent((e) => {
      if (opened.get(e.document.uri) !== e.document.version)
        update(e.document, e.document.getText());
    });
    documents.onDidSave((e) => update(e.document, undefined));
    documents.onDidClose((e) => {
      opened.delete(e.document.uri);
      update(e.document, undefined);
    });
  }

  /** The path of `uri` relative to the tree root (posix separators), if inside it. */
  relativePath(uri: string): string | undefined {
    if (!this.root || !uri.startsWith('file:')) return undefined;
    const rel = relative(this.root.path, fileURLToPath(uri));
    if (!rel || rel.startsWith('..')) return undefined;
    return rel.split(sep).join('/');
  }

  dispose(): void {
    this.index?.dispose();
  }
}
