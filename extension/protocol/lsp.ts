/**
 * Kernel Lens's own LSP methods and the language server's initialization options: the one
 * typed boundary between extension/client/ and extension/server/. Both sides import the
 * constants below; nobody passes a method name as a string.
 *
 *   client.sendRequest(callGraph, params)          // client side
 *   connection.onRequest(callGraph, handler)       // server side
 *
 * To add a method: declare its params/result types and the constant here (with a doc comment
 * that states the direction), handle it in one feature file under extension/server/, call it
 * from one feature file under extension/client/.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { Location, Range } from 'vscode-languageserver-protocol';

// --- initialization

/** The kernel tree the server reads, as the client chose it (workspace, setting or embedded). */
export interface KernelRootInfo {
  /** Absolute path on disk, e.g. "/home/me/linux" or "<extension>/kernel-snippets/linux-6.1". */
  readonly path: string;
  /** file: URI of `path`, so the server never builds URIs from paths by hand. */
  readonly uri: string;
  /** e.g. "6.1.176"; absent when the tree's Makefile has no VERSION/PATCHLEVEL. */
  readonly version?: string;
  /** Why this root: "setting" (kernelLens.kernelRoot), "workspace" (detected) or "embedded". */
  readonly source: 'setting' | 'workspace' | 'embedded';
}

/** `initializationOptions` of the `initialize` request, client -> server. */
export interface InitializationOptions {
  /**
   * Folder holding web-tree-sitter.wasm and tree-sitter-c.wasm (the extension's dist/).
   * A standalone server finds them beside its own bundle when this is absent.
   */
  readonly wasmDir?: string;
  /** Folder of the tree-sitter queries (kernel-snippets/queries/); same default rule. */
  readonly queriesDir?: string;
  /** The kernel tree to work on; absent when none was found (then only per-file features). */
  readonly kernelRoot?: KernelRootInfo;
  /** VS Code's display language, e.g. "en" or "zh-cn", for the server's own texts. */
  readonly locale?: string;
  /** Budget for one parse in milliseconds (kernelLens.server.parseTimeoutMs). */
  readonly parseTimeoutMs?: number;
  /**
   * The dispatch profile that picks the target of a call through an ops table for
   * definition, hover and the call hierarchy (kernelLens.profile), e.g. "tcp-ipv4";
   * "none" for every candidate. Absent: "tcp-ipv4".
   */
  readonly profile?: string;
}

// --- index status

/** Where the server's work on the kernel tree stands. */
export type IndexState =
  /** The parser and queries are loading. */
  | 'starting'
  /** Reading the tree: `progress` says how far. */
  | 'indexing'
  /** Per-file features work; `scope` says whether tree-wide ones do too. */
  | 'ready'
  /** Something failed for good; `message` says what. */
  | 'failed';

export interface IndexStatusParams {
  readonly state: IndexState;
  /**
   * What the server can answer in state "ready": "file" = only what one open file needs
   * (outline); "tree" = the whole tree is indexed (definition through ops tables, call graph).
   */
  readonly scope?: 'file' | 'tree';
  /** The tree being worked on, if any. */
  readonly root?: KernelRootInfo;
  /** While indexing, e.g. { done: 120, total: 375 } files. */
  readonly progress?: { readonly done: number; readonly total: number };
  /** Files in the index once ready, e.g. 375 for the embedded set. */
  readonly files?: number;
  /** A sentence for the log, in English, e.g. "tree-sitter-c 0.24.1 loaded in 41 ms". */
  readonly message?: string;
}

/** Server -> client, whenever the state changes: drives the status bar item and progress. */
export const indexStatus = new NotificationType<IndexStatusParams>('kernelLens/indexStatus');

/** Client -> server: the current index status, for a client that connected late. */
export const getIndexStatus = new RequestType0<IndexStatusParams, void>(
  'kernelLens/getIndexStatus',
);

// --- call graph (for the call-graph webview)

export interface CallGraphParams {
  /** The entry function or syscall, e.g. "__sys_connect_file" or "SYSCALL_DEFINE3(connect)". */
  readonly entry: string;
  /** How many calls deep to follow from the entry, e.g. 4. */
  readonly depth: number;
  /** The dispatch profile choosing targets of indirect calls, e.g. "tcp-ipv4". */
  readonly profile: string;
}

export interface CallGraphNode {
  /** Stable within one result, e.g. "net/ipv4/af_inet.c#inet_stream_connect". */
  readonly id: string;
  /** e.g. "inet_stream_connect" */
  readonly name: string;
  /** Its definition in the open tree; absent for functions the tree does not define. */
  readonly location?: Location;
}

/** How the caller reaches the callee. */
export type CallProvenance =
  /** A plain call by name: `inet_stream_connect(sock, ...)`. */
  | { readonly kind: 'direct' }
  /**
   * A call through a function pointer the profile resolved, e.g. `sock->ops->connect(...)`
   * via { table: "inet_stream_ops", field: "connect" }; `initializer` is the
   * `.connect = inet_stream_connect` line that makes it so.
   */
  | {
      readonly kind: 'indirect';
      readonly table: string;
      readonly field: string;
      readonly initializer?: Location;
      /**
       * The core's provenance as written, e.g. "inet_stream_ops.connect" (initializer),
       * "sock_init_data: sk->sk_data_ready = sock_def_readable" (assignment; table is then
       * the assigning function), "NF_HOOK.okfn" (argument: function.parameter),
       * "INDIRECT_CALL" (hint).
       */
      readonly via: string;
      readonly viaKind: 'initializer' | 'assignment' | 'argument' | 'hint';
    };

export interface CallGraphEdge {
  readonly from: string;
  readonly to: string;
  /** The call expression in the caller. */
  readonly callSite: Location;
  readonly provenance: CallProvenance;
}

export interface CallGraph {
  /** id of the entry node. */
  readonly root: string;
  readonly nodes: readonly CallGraphNode[];
  readonly edges: readonly CallGraphEdge[];
  /**
   * True when the server's bounds cut the graph short before `depth` (functions expanded,
   * edges served: MAX_FUNCTIONS and MAX_EDGES in extension/server/lensRequests.ts).
   */
  readonly truncated: boolean;
}

/** Client -> server: the call graph below an entry; null when the entry is unknown. */
export const callGraph = new RequestType<CallGraphParams, CallGraph | null, void>(
  'kernelLens/callGraph',
);

// --- code points (for the simulator and annotations)

export interface ResolveCodePointParams {
  /** e.g. "tcp_v4_connect" */
  readonly function: string;
  /**
   * A text the point's line contains inside that function, never a line number (lines move
   * between versions), e.g. "tcp_set_state(sk, TCP_SYN_SENT)".
   */
  readonly anchor: string;
  /** The n-th line (1-based) of the function that contains the anchor; default 1. */
  readonly occurrence?: number;
}

export interface ResolvedCodePoint {
  readonly location: Location;
  /** The whole function, so a view can show it around the point. */
  readonly functionRange: Range;
}

/** Client -> server: where a code point is in the open tree; null when it is not there. */
export const resolveCodePoint = new RequestType<
  ResolveCodePointParams,
  ResolvedCodePoint | null,
  void
>('kernelLens/resolveCodePoint');
