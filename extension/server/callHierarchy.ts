/**
 * Call hierarchy (prepare, incoming, outgoing) over the core's CallGraph, indirect edges
 * included: incoming calls of inet_stream_connect reach `sock->ops->connect(...)` in
 * __sys_connect_file, and the item says so in its detail, "via inet_stream_ops.connect".
 *
 * Both directions follow the dispatch profile (kernelLens.profile): outgoing calls of
 * __sys_connect_file go to inet_stream_connect only, not to every proto_ops.connect. A
 * function the profile's tables do not hold (tcp_v6_connect under tcp-ipv4) would have no
 * indirect callers at all; its incoming calls are then computed without the profile.
 */
import {
  SymbolKind,
  type CallHierarchyIncomingCall,
  type CallHierarchyItem,
  type CallHierarchyOutgoingCall,
  type Range,
} from 'vscode-languageserver/node';
import type { CallEdge } from '../core/callGraph';
import type { FunctionFact } from '../core/facts';
import { displayName, type Located } from '../core/kernelIndex';
import { wordAt, type CodeSymbol } from '../core/positions';
import type { ServerContext, ServerFeature } from './context';
import { lensOf, type Lens } from './lens';
import { callTargets, functionsNamed } from './symbolTargets';

/** What an item carries back to the server: where its function is defined. */
interface ItemData {
  /** "net/ipv4/af_inet.c" */
  readonly file: string;
  /** 1-based line of the function's name. */
  readonly line: number;
}

export const callHierarchy: ServerFeature = {
  capabilities: { callHierarchyProvider: true },
  register(ctx) {
    const hierarchy = ctx.connection.languages.callHierarchy;
    hierarchy.onPrepare(async (params) => {
      const lens = await lensOf(ctx);
      const at = lens?.symbolAt(params.textDocument.uri, params.position);
      if (!lens || !at) return null;
      const fns = functionsAt(lens, at.file, at.symbol);
      return fns.length ? fns.map((fn) => itemOf(lens, fn)) : null;
    });
    hierarchy.onIncomingCalls(async (params) => {
      const found = await located(ctx, params.item);
      if (!found) return null;
      return incomingCalls(found.lens, found.fn);
    });
    hierarchy.onOutgoingCalls(async (params) => {
      const found = await located(ctx, params.item);
      if (!found) return null;
      return outgoingCalls(found.lens, found.fn);
    });
  },
};

/** The functions a position means: its definition, a call's targets, an initializer's value. */
function functionsAt(lens: Lens, file: string, symbol: CodeSymbol): Located<FunctionFact>[] {
  switch (symbol.kind) {
    case 'functionName':
      return [symbol.fn];
    case 'call': {
      const targets = callTargets(lens, symbol, lens.profile).map((t) => t.def);
      return targets.length ? targets : functionsNamed(lens, symbol.word.text, file).slice(0, 1);
    }
    case 'initValue':
      return functionsNamed(lens, symbol.entry.value, file).slice(0, 1);
    case 'initField':
      return [];
    case 'word':
      return symbol.word.isField ? [] : functionsNamed(lens, symbol.word.text, file).slice(0, 1);
  }
}

function itemOf(lens: Lens, fn: Located<FunctionFact>, detail?: string): CallHierarchyItem {
  const data: ItemData = { file: fn.file, line: fn.fact.line };
  return {
    name: displayName(fn.fact),
    kind: SymbolKind.Function,
    detail: detail ? `${detail} · ${fn.file}` : fn.file,
    uri: lens.uriOf(fn.file),
    range: lens.functionRange(fn.fact),
    selectionRange: lens.nameLocation(fn).range,
    data,
  };
}

async function located(
  ctx: ServerContext,
  item: CallHierarchyItem,
): Promise<{ lens: Lens; fn: Located<FunctionFact> } | undefined> {
  const lens = await lensOf(ctx);
  const data = item.data as ItemData | undefined;
  if (!lens || !data) return undefined;
  const fact = lens.index.factsOf(data.file)?.functions.find((f) => f.line === data.line);
  return fact ? { lens, fn: { file: data.file, fact } } : undefined;
}

/** The name `CallGraph.callers` looks a function up by (a syscall by its macro form). */
function entryName(fn: FunctionFact): string {
  return fn.syscall ? displayName(fn) : fn.name;
}

export function incomingCalls(lens: Lens, fn: Located<FunctionFact>): CallHierarchyIncomingCall[] {
  let edges = lens.callers(entryName(fn.fact), lens.profile);
  if (!edges.length && lens.profile) edges = lens.callers(entryName(fn.fact), undefined);
  const groups = new Map<string, { caller: Located<FunctionFact>; edges: CallEdge[] }>();
  for (const edge of edges) {
    const caller = lens.callerOf(edge);
    if (!caller) continue;
    const key = `${caller.file}#${caller.fact.line}`;
    const group = groups.get(key) ?? { caller, edges: [] };
    group.edges.push(edge);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ caller, edges: callEdges }) => ({
    from: itemOf(lens, caller, describeVias(callEdges)),
    fromRanges: callEdges.map((e) => callRange(lens, e)),
  }));
}

export function outgoingCalls(lens: Lens, fn: Located<FunctionFact>): CallHierarchyOutgoingCall[] {
  const edges = lens.graph.callees(fn, lens.profile ? { profile: lens.profile } : {});
  const groups = new Map<string, { callee: Located<FunctionFact>; edges: CallEdge[] }>();
  for (const edge of edges) {
    if (!edge.calleeFile || edge.calleeLine === undefined) continue;
    const fact = lens.index
      .factsOf(edge.calleeFile)
      ?.functions.find((f) => f.line === edge.calleeLine && f.name === edge.callee);
    if (!fact) continue;
    const key = `${edge.calleeFile}#${edge.calleeLine}`;
    const group = groups.get(key) ?? { callee: { file: edge.calleeFile, fact }, edges: [] };
    group.edges.push(edge);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ callee, edges: callEdges }) => ({
    to: itemOf(lens, callee, describeVias(callEdges)),
    fromRanges: callEdges.map((e) => callRange(lens, e)),
  }));
}

/** "via inet_stream_ops.connect" (all distinct ones), or undefined for direct calls only. */
function describeVias(edges: readonly CallEdge[]): string | undefined {
  const vias = [...new Set(edges.flatMap((e) => (e.via ? [e.via] : [])))];
  if (!vias.length) return undefined;
  const shown = vias.slice(0, 3).join(', ');
  return `via ${shown}${vias.length > 3 ? ` (+${vias.length - 3})` : ''}`;
}

/** The callee's name or field at a call site. */
function callRange(lens: Lens, edge: CallEdge): Range {
  const word = wordAt(lens.index.readText(edge.file), edge.line, edge.column);
  return lens.rangeAt(edge.line, edge.column, word ? word.end - edge.column : 1);
}
