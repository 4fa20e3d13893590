/**
 * The messages between the call-graph webview (webview/callGraph/) and its host
 * (extension/client/callGraphPanel.ts): one discriminated union per direction, tagged by a
 * string `type` ("graph/request"), plus the small request/reply helper both sides use.
 *
 * This file is compiled twice, by extension/tsconfig.json (host) and webview/tsconfig.json
 * (browser), so it imports nothing: no vscode, no node, no DOM.
 *
 * The boot exchange: the webview speaks first (`ready`), the host answers `init`; the host
 * never posts before that. Graph data is what the language server's kernelLens/callGraph
 * returned, reduced to what a view draws: the webview knows no kernel names of its own.
 *
 * To add a message: add it to one union below with a doc comment stating its direction, then
 * handle it in the other side's `switch`, which ends in assertNever and so fails to compile
 * until it does.
 */

// --- graph data as the webview sees it

export interface GraphNode {
  /** Stable within one graph, e.g. "net/ipv4/af_inet.c#inet_stream_connect". */
  readonly id: string;
  /** e.g. "inet_stream_connect", "SYSCALL_DEFINE3(connect)" */
  readonly name: string;
  /** Path relative to the kernel tree, e.g. "net/ipv4/af_inet.c"; absent when not defined there. */
  readonly file?: string;
  /** 1-based line of the definition, for labels and the tree view's tooltip, e.g. 739. */
  readonly line?: number;
}

export interface GraphEdge {
  /** Index of the edge in the server's answer, as a string, e.g. "12". */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** 1-based line of the call in the caller's file, e.g. 2011. */
  readonly callLine: number;
  /** Set for a call through a function pointer (ops table, assignment, argument, hint). */
  readonly indirect?: {
    /** e.g. "inet_stream_ops.connect", "NF_HOOK.okfn" */
    readonly via: string;
    readonly viaKind: 'initializer' | 'assignment' | 'argument' | 'hint';
    /** Whether the host can open the line that makes this call go there. */
    readonly hasInitializer: boolean;
  };
}

export interface GraphData {
  /** id of the entry node. */
  readonly root: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** The server cut the walk short (depth or size limit). */
  readonly truncated: boolean;
}

/** One of the entries offered in the toolbar; the list is data on the host. */
export interface EntryChoice {
  /** e.g. "connect", "syn-in" */
  readonly id: string;
  /** Localized, e.g. "connect()" or "Server: SYN in". */
  readonly label: string;
  /** Function or syscall the graph starts from, e.g. "connect", "tcp_v4_rcv". */
  readonly entry: string;
  /** Depth asked of the server by default, e.g. 6. */
  readonly depth: number;
  /** Functions the path of interest passes through, in order; the view opens the tree along it. */
  readonly path: readonly string[];
}

/** What the graph is of: an entry, the depth asked, and which targets of indirect calls. */
export interface GraphQuery {
  /** e.g. "connect" */
  readonly entry: string;
  /** 1..MAX_DEPTH */
  readonly depth: number;
  /** false: the profile's targets only; true: every candidate (profile "none"). */
  readonly allCandidates: boolean;
  /** The EntryChoice this came from, e.g. "syn-in"; absent for a function typed by hand. */
  readonly choice?: string;
}

/** Deepest graph the view asks for (the server's own cap is the same). */
export const MAX_DEPTH = 8;

// --- real-kernel breakpoints: the names host and page agree on

/**
 * The kernel function a real-kernel breakpoint on a graph (or outline) function stops in: a
 * syscall's definition, `SYSCALL_DEFINE3(connect)`, is the kernel's `__do_sys_connect`; any
 * other name is itself.
 */
export function breakpointFunction(name: string): string {
  const syscall = /^(?:COMPAT_)?SYSCALL_DEFINE\d\((\w+)\)$/.exec(name);
  return syscall ? `__do_sys_${syscall[1]}` : name;
}

/** The list with `fn` added at the end, or removed; `added` says which. */
export function toggleBreakpoint(
  list: readonly string[],
  fn: string,
): { readonly list: string[]; readonly added: boolean } {
  return list.includes(fn)
    ? { list: list.filter((f) => f !== fn), added: false }
    : { list: [...list, fn], added: true };
}

// --- localized strings (looked up on the host with vscode.l10n.t, sent in `init`)

export const STRING_KEYS = [
  'entry',
  'depth',
  'allCandidates',
  'search',
  'searchPlaceholder',
  'matches',
  'noMatches',
  'collapseAll',
  'expandPath',
  'exportSvg',
  'exportMermaid',
  'loading',
  'shown',
  'hiddenMore',
  'truncated',
  'unknownEntry',
  'serverDown',
  'expand',
  'collapse',
  'openDefinition',
  'openInitializer',
  'notDefined',
  'graphLabel',
  'otherFunction',
  'zoomIn',
  'zoomOut',
  'zoomFit',
  'breakpoint',
  'breakpointKey',
] as const;
export type StringKey = (typeof STRING_KEYS)[number];
export type Strings = Readonly<Record<StringKey, string>>;

// --- messages

/** Messages the webview posts to the host. */
export type FromWebviewMessage =
  /** webview -> host: the page is listening; answer with `init`. First message of a page. */
  | { readonly type: 'ready' }
  /** webview -> host: fetch a graph from the language server; answered by `graph/response`. */
  | { readonly type: 'graph/request'; readonly messageId: number; readonly query: GraphQuery }
  /** webview -> host: open a node's definition beside the graph. */
  | { readonly type: 'node/open'; readonly nodeId: string }
  /** webview -> host: open the line behind an edge (initializer if indirect, else the call). */
  | { readonly type: 'edge/open'; readonly edgeId: string }
  /** webview -> host: the view now shows this graph; the side-bar tree follows it. */
  | { readonly type: 'view/changed'; readonly query: GraphQuery; readonly title: string }
  /** webview -> host: save this SVG document (a save dialog on the host). */
  | { readonly type: 'export/svg'; readonly svg: string; readonly fileName: string }
  /** webview -> host: open this Mermaid text in an editor. */
  | { readonly type: 'export/mermaid'; readonly text: string }
  /** webview -> host: add or remove a real-kernel breakpoint on a node's function ("b"). */
  | { readonly type: 'breakpoint/toggle'; readonly nodeId: string };

/** Messages the host posts to the webview. */
export type ToWebviewMessage =
  /** host -> webview: answer to `ready`: strings, entries, and what to show first. */
  | {
      readonly type: 'init';
      readonly strings: Strings;
      readonly entries: readonly EntryChoice[];
      /** The dispatch profile the server uses, e.g. "tcp-ipv4" (shown by the toggle). */
      readonly profile: string;
      /** Show this entry now, unless the webview restores its own saved view. */
      readonly show?: GraphQuery;
    }
  /** host -> webview: answer to `graph/request`; `graph` null = unknown entry. */
  | {
      readonly type: 'graph/response';
      readonly inReplyTo: number;
      readonly graph?: GraphData | null;
      /** Why there is no graph, localized, e.g. "the language server is not running". */
      readonly error?: string;
    }
  /** host -> webview: show another graph (a command picked an entry while the panel was open). */
  | { readonly type: 'graph/show'; readonly query: GraphQuery }
  /** host -> webview: reveal and select a node (the side-bar tree's "Reveal in Graph"). */
  | { readonly type: 'node/reveal'; readonly nodeId: string }
  /**
   * host -> webview: the functions a real-kernel run stops in besides its own (after `init`,
   * and whenever the graph, the editor or the page toggles one), e.g. ["tcp_v4_connect"].
   */
  | { readonly type: 'breakpoints'; readonly functions: readonly string[] };

export type MessageType = FromWebviewMessage['type'] | ToWebviewMessage['type'];

/** For `default:` of a switch over a union: a compile error when a member is not handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}

// --- guards: what arrives is checked before it is trusted

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isQuery = (v: unknown): boolean =>
  isObject(v) &&
  isString(v['entry']) &&
  typeof v['depth'] === 'number' &&
  typeof v['allCandidates'] === 'boolean' &&
  (v['choice'] === undefined || isString(v['choice']));

const FROM_WEBVIEW: Record<FromWebviewMessage['type'], (m: Fields) => boolean> = {
  ready: () => true,
  'graph/request': (m) => isInt(m['messageId']) && isQuery(m['query']),
  'node/open': (m) => isString(m['nodeId']),
  'edge/open': (m) => isString(m['edgeId']),
  'view/changed': (m) => isQuery(m['query']) && isString(m['title']),
  'export/svg': (m) => isString(m['svg']) && isString(m['fileName']),
  'export/mermaid': (m) => isString(m['text']),
  'breakpoint/toggle': (m) => isString(m['nodeId']),
};

/** True when `v` is a message of the webview -> host union (tag and fields). */
export function isFromWebviewMessage(v: unknown): v is FromWebviewMessage {
  if (!isObject(v) || !isString(v['type'])) return false;
  // Own keys only: a tag such as "toString" must not find Object.prototype's.
  if (!Object.hasOwn(FROM_WEBVIEW, v['type'])) return false;
  return (FROM_WEBVIEW as Record<string, (m: Fields) => boolean>)[v['type']]!(v);
}

const TO_WEBVIEW: Record<ToWebviewMessage['type'], (m: Fields) => boolean> = {
  init: (m) =>
    isObject(m['strings']) &&
    Array.isArray(m['entries']) &&
    isString(m['profile']) &&
    (m['show'] === undefined || isQuery(m['show'])),
  'graph/response': (m) =>
    isInt(m['inReplyTo']) &&
    (m['graph'] === undefined || m['graph'] === null || isObject(m['graph'])) &&
    (m['error'] === undefined || isString(m['error'])),
  'graph/show': (m) => isQuery(m['query']),
  'node/reveal': (m) => isString(m['nodeId']),
  breakpoints: (m) => Array.isArray(m['functions']) && m['functions'].every(isString),
};

/** True when `v` is a message of the host -> webview union. */
export function isToWebviewMessage(v: unknown): v is ToWebviewMessage {
  if (!isObject(v) || !isString(v['type'])) return false;
  if (!Object.hasOwn(TO_WEBVIEW, v['type'])) return false;
  return (TO_WEBVIEW as Record<string, (m: Fields) => boolean>)[v['type']]!(v);
}

// --- request/reply

type Reply = Extract<ToWebviewMessage, { inReplyTo: number }>;

/**
 * Pending requests of one side, keyed by messageId: `request()` posts and returns a promise
 * settled by the matching reply, which `settle()` hands over (it returns false for a message
 * that answers nothing this side asked, e.g. a reply to a page that reloaded since).
 */
export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  request<M extends Extract<FromWebviewMessage, { messageId: number }>>(
    post: (message: M) => void,
    message: Omit<M, 'messageId'>,
  ): Promise<Reply> {
    const messageId = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(messageId, resolve);
      post({ ...message, messageId } as M);
    });
  }

  settle(reply: Reply): boolean {
    const resolve = this.pending.get(reply.inReplyTo);
    if (!resolve) return false;
    this.pending.delete(reply.inReplyTo);
    resolve(reply);
    return true;
  }
}
