/**
 * The call graph's view model: which functions of a server answer are on screen, and why.
 * Pure: no DOM, no vscode; the webview renders what `visible()` returns and the unit tests
 * (test/unit/callGraph/) drive it directly.
 *
 * A function is visible when the entry reaches it through expanded functions only. By
 * default the functions less than `expandDepth` calls below the entry are expanded; the user
 * expands and collapses from there, and an entry's path of interest (EntryChoice.path) opens
 * the functions along it. However much is expanded, at most `maxVisible` functions are drawn:
 * a whole tree's `connect` reaches hundreds, and a layered layout of those is unreadable.
 */
import {
  breakpointFunction,
  type GraphData,
  type GraphEdge,
  type GraphNode,
} from '../../extension/protocol/callGraphWebview';

/** What the user changed, saved in the webview state so it survives hiding and reloading. */
export interface ExpansionState {
  /** Functions opened by the user (or a revealed path) below the default depth. */
  readonly expanded: readonly string[];
  /** Functions closed by the user above the default depth. */
  readonly collapsed: readonly string[];
}

export const EMPTY_EXPANSION: ExpansionState = { expanded: [], collapsed: [] };

export interface ModelOptions {
  /** Functions fewer than this many calls below the entry start expanded, e.g. 1: the entry only. */
  readonly expandDepth: number;
  /** Most functions drawn at once, e.g. 120. */
  readonly maxVisible: number;
}

export const DEFAULT_OPTIONS: ModelOptions = { expandDepth: 1, maxVisible: 120 };

export interface VisibleNode {
  readonly node: GraphNode;
  /** Calls below the entry on the shortest path (entry = 0). */
  readonly depth: number;
  readonly expanded: boolean;
  /** Callees in the graph that are not drawn (collapsed, or cut by maxVisible). */
  readonly hiddenCallees: number;
  /** All distinct callees in the graph. */
  readonly callees: number;
}

export interface VisibleGraph {
  readonly root: string;
  /** In breadth-first order from the entry. */
  readonly nodes: readonly VisibleNode[];
  /** One per (caller, callee) pair among visible functions, in call order. */
  readonly edges: readonly GraphEdge[];
  /** Functions that would be visible without the maxVisible cut. */
  readonly clipped: number;
}

export class CallGraphModel {
  readonly root: string;
  private readonly nodes = new Map<string, GraphNode>();
  /** Distinct outgoing edges per caller, one per callee, in call order. */
  private readonly out = new Map<string, GraphEdge[]>();
  /** Shortest distance from the entry, and the edge that reaches each function first. */
  private readonly depthOf = new Map<string, number>();
  private readonly parentEdge = new Map<string, GraphEdge>();

  constructor(
    readonly data: GraphData,
    readonly options: ModelOptions = DEFAULT_OPTIONS,
  ) {
    this.root = data.root;
    for (const n of data.nodes) this.nodes.set(n.id, n);
    // Group by caller, then call order within each caller (stable for calls on one line).
    const byCaller = new Map<string, GraphEdge[]>();
    for (const e of data.edges) {
      if (!this.nodes.has(e.from) || !this.nodes.has(e.to) || e.from === e.to) continue;
      const list = byCaller.get(e.from);
      if (list) list.push(e);
      else byCaller.set(e.from, [e]);
    }
    for (const [from, edges] of byCaller) {
      const list: GraphEdge[] = [];
      for (const e of edges.sort((a, b) => a.callLine - b.callLine)) {
        const i = list.findIndex((x) => x.to === e.to);
        // Two calls of the same function: one edge, preferring the one that says how an
        // indirect call got there.
        if (i < 0) list.push(e);
        else if (e.indirect && !list[i]!.indirect) list[i] = e;
      }
      this.out.set(from, list);
    }
    // Breadth-first distances (the walk the server did, so depth matches its `depth`).
    this.depthOf.set(this.root, 0);
    const queue = [this.root];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      for (const e of this.out.get(id) ?? []) {
        if (this.depthOf.has(e.to)) continue;
        this.depthOf.set(e.to, this.depthOf.get(id)! + 1);
        this.parentEdge.set(e.to, e);
        queue.push(e.to);
      }
    }
  }

  node(id: string): GraphNode | undefined {
    return this.nodes.get(id);
  }

  /** Distinct callees of a function, in call order. */
  callees(id: string): readonly GraphEdge[] {
    return this.out.get(id) ?? [];
  }

  edge(id: string): GraphEdge | undefined {
    for (const list of this.out.values()) {
      const e = list.find((x) => x.id === id);
      if (e) return e;
    }
    return undefined;
  }

  /** Calls below the entry on the shortest path; undefined for a function the entry never reaches. */
  depth(id: string): number | undefined {
    return this.depthOf.get(id);
  }

  /** Functions the entry reaches (the entry included). */
  get reachable(): number {
    return this.depthOf.size;
  }

  isExpanded(id: string, state: ExpansionState): boolean {
    if (state.collapsed.includes(id)) return false;
    if (state.expanded.includes(id)) return true;
    return (this.depthOf.get(id) ?? Infinity) < this.options.expandDepth;
  }

  /** The state with `id` expanded (or collapsed); other choices are kept. */
  setExpanded(state: ExpansionState, id: string, expanded: boolean): ExpansionState {
    const byDefault = (this.depthOf.get(id) ?? Infinity) < this.options.expandDepth;
    const without = {
      expanded: state.expanded.filter((x) => x !== id),
      collapsed: state.collapsed.filter((x) => x !== id),
    };
    if (expanded === byDefault) return without;
    return expanded
      ? { ...without, expanded: [...without.expanded, id] }
      : { ...without, collapsed: [...without.collapsed, id] };
  }

  /** Everything collapsed except the entry. */
  collapseAll(): ExpansionState {
    const collapsed = [...this.depthOf.keys()].filter(
      (id) => id !== this.root && (this.depthOf.get(id) ?? Infinity) < this.options.expandDepth,
    );
    return { expanded: this.isExpanded(this.root, EMPTY_EXPANSION) ? [] : [this.root], collapsed };
  }

  /** The state with every function on the shortest path from the entry to `id` expanded. */
  reveal(state: ExpansionState, id: string): ExpansionState {
    let next = state;
    for (const ancestor of this.ancestors(id)) {
      if (!this.isExpanded(ancestor, next)) next = this.setExpanded(next, ancestor, true);
    }
    return next;
  }

  /** The callers from the entry down to `id`'s caller on the shortest path (entry first). */
  ancestors(id: string): string[] {
    const out: string[] = [];
    for (let e = this.parentEdge.get(id); e; e = this.parentEdge.get(e.from)) out.unshift(e.from);
    return out;
  }

  /**
   * A path from the entry through functions named `names`, in that order, each leg the
   * shortest; the node ids along it, entry first. A leg starts from the latest function on
   * the path that reaches the next name, so a path may branch: tcp_check_req calls
   * tcp_v4_syn_recv_sock and then, itself, inet_csk_complete_hashdance. Stops at the first
   * name nothing on the path reaches, so a path the server's depth cut short still shows as
   * far as it goes.
   */
  pathThrough(names: readonly string[]): string[] {
    const path = [this.root];
    for (const name of names) {
      let leg: string[] | undefined;
      for (let i = path.length - 1; i >= 0 && !leg; i--) {
        leg = this.shortestTo(path[i]!, (n) => n.name === name);
      }
      if (!leg) break;
      path.push(...leg.filter((id) => !path.includes(id)));
    }
    return path;
  }

  /** Expands every function of `path` that calls another function of it, so all of it shows. */
  expandPath(state: ExpansionState, path: readonly string[]): ExpansionState {
    const on = new Set(path);
    let next = state;
    for (const id of path) {
      if (!this.callees(id).some((e) => on.has(e.to))) continue;
      if (!this.isExpanded(id, next)) next = this.setExpanded(next, id, true);
    }
    return next;
  }

  /**
   * Functions whose name contains `query` (case-insensitive), nearest the entry first, then
   * by name. Empty query: none.
   */
  search(query: string): string[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    return [...this.depthOf.keys()]
      .filter((id) => this.nodes.get(id)!.name.toLowerCase().includes(q))
      .sort(
        (a, b) =>
          this.depthOf.get(a)! - this.depthOf.get(b)! ||
          this.nodes.get(a)!.name.localeCompare(this.nodes.get(b)!.name),
      );
  }

  /**
   * What to draw for `state`: breadth-first through expanded functions, at most maxVisible.
   * Functions in `keep` (the path of interest, the selection and its callers) that expanded
   * functions in `keep` reach are drawn first, so the cap never cuts the path the user follows.
   */
  visible(state: ExpansionState, keep: Iterable<string> = []): VisibleGraph {
    const pinned = new Set(keep);
    const shown = new Set<string>([this.root]);
    const order = [this.root];
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      if (!this.isExpanded(id, state)) continue;
      for (const e of this.callees(id)) {
        if (pinned.has(e.to) && !shown.has(e.to)) {
          shown.add(e.to);
          order.push(e.to);
        }
      }
    }
    const wanted = new Set<string>(shown);
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      if (!this.isExpanded(id, state)) continue;
      for (const e of this.callees(id)) {
        wanted.add(e.to);
        if (shown.has(e.to) || shown.size >= this.options.maxVisible) continue;
        shown.add(e.to);
        order.push(e.to);
      }
    }
    // `wanted` only counts what the cut pushed out one level down; enough to say "more".
    const nodes = order.map((id): VisibleNode => {
      const callees = this.callees(id);
      const expanded = this.isExpanded(id, state);
      return {
        node: this.nodes.get(id)!,
        depth: this.depthOf.get(id)!,
        expanded,
        callees: callees.length,
        hiddenCallees: callees.filter((e) => !shown.has(e.to)).length,
      };
    });
    const edges = order.flatMap((id) =>
      this.isExpanded(id, state) ? this.callees(id).filter((e) => shown.has(e.to)) : [],
    );
    return { root: this.root, nodes, edges, clipped: wanted.size - shown.size };
  }

  /** Breadth-first from `from` to the nearest node matching; the ids after `from`. */
  private shortestTo(from: string, match: (n: GraphNode) => boolean): string[] | undefined {
    const prev = new Map<string, string | undefined>([[from, undefined]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      if (id !== from && match(this.nodes.get(id)!)) {
        const out: string[] = [];
        for (let c: string | undefined = id; c !== undefined && c !== from; c = prev.get(c)) {
          out.unshift(c);
        }
        return out;
      }
      for (const e of this.callees(id)) {
        if (prev.has(e.to)) continue;
        prev.set(e.to, id);
        queue.push(e.to);
      }
    }
    return undefined;
  }
}

// --- export

/** The visible graph as Mermaid flowchart text; indirect calls dotted and labelled. */
export function toMermaid(graph: VisibleGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.node.id, `n${i}`]));
  const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const lines = ['flowchart TD'];
  for (const { node } of graph.nodes) {
    const file = node.file ? `<br/><small>${text(node.file)}</small>` : '';
    lines.push(`  ${ids.get(node.id)!}["${text(node.name)}${file}"]`);
  }
  for (const e of graph.edges) {
    const from = ids.get(e.from)!;
    const to = ids.get(e.to)!;
    lines.push(
      e.indirect ? `  ${from} -.->|"via ${text(e.indirect.via)}"| ${to}` : `  ${from} --> ${to}`,
    );
  }
  lines.push('  classDef entry stroke-width:3px', `  class ${ids.get(graph.root)!} entry`);
  return `${lines.join('\n')}\n`;
}

// --- real-kernel breakpoints (issue 7: "Run on a Real Kernel" also stops in these)

/** Ids of the graph's functions that have a breakpoint. */
export function breakpointNodes(
  nodes: readonly GraphNode[],
  functions: readonly string[],
): Set<string> {
  const set = new Set(functions);
  return new Set(nodes.filter((n) => set.has(breakpointFunction(n.name))).map((n) => n.id));
}
