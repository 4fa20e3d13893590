/**
 * What every server feature gets, and the shape of a feature. server.ts builds one
 * ServerContext in onInitialize, merges the features' capabilities into the initialize
 * result and calls each feature's register().
 *
 * To add a feature (definition, implementation, call hierarchy, hover, ...): write
 * extension/server/<feature>.ts exporting a ServerFeature, list it in FEATURES in server.ts.
 */
import type { Query } from 'web-tree-sitter';
import type { Connection, ServerCapabilities, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CLanguage } from '../core/cParser';
import type { KernelIndex } from '../core/kernelIndex';
import type { InitializationOptions, KernelRootInfo } from '../protocol/lsp';
import type { IndexStatusReporter } from './indexStatus';
import type { Trees } from './trees';

export interface ServerContext {
  readonly connection: Connection;
  /** Open documents, kept in sync by the client (incremental sync). */
  readonly documents: TextDocuments<TextDocument>;
  /** Syntax trees of open documents: always go through this, never parse yourself. */
  readonly trees: Trees;
  /** The process's one C parser and language (extension/core/cParser.ts). */
  readonly c: CLanguage;
  /** Compiled queries by file name under kernel-snippets/queries/, e.g. query("symbols"). */
  query(name: string): Query;
  /**
   * The kernel tree: the client's choice, or for a standalone server the workspace's kernel
   * tree; undefined when there is none (per-file features only).
   */
  readonly kernelRoot: KernelRootInfo | undefined;
  /**
   * The tree's index, once open (kernelIndex.ts); undefined without a tree or when opening
   * failed. Await it inside a handler: it opens after `initialized`.
   */
  index(): Promise<KernelIndex | undefined>;
  /** A document URI as a path relative to the tree root ("net/socket.c"), if inside it. */
  relativePath(uri: string): string | undefined;
  readonly status: IndexStatusReporter;
  readonly options: InitializationOptions;
}

export interface ServerFeature {
  /** Merged into the `initialize` result. */
  readonly capabilities: ServerCapabilities;
  /** Installs the feature's handlers; resources go on `disposables`. */
  register(ctx: ServerContext, disposables: { dispose(): void }[]): void;
}
