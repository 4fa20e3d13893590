/**
 * The server's half of Kernel Lens's own requests (extension/protocol/lsp.ts):
 * - kernelLens/callGraph: the calls below an entry, `depth` deep, through the profile's
 *   tables (CallGraph.path), as nodes and edges with provenance, bounded in size;
 * - kernelLens/resolveCodePoint: a code anchor (function + a text of one of its lines) to its
 *   line in the open tree (resolveAnchor), with the whole function's range.
 */
import type { Location } from 'vscode-languageserver/node';
import { UnknownFunctionError, type CallEdge } from '../core/callGraph';
import { resolveAnchor } from '../core/anchors';
import { displayName } from '../core/kernelIndex';
import { lineOf, wordAt } from '../core/positions';
import { bindProfile, ProfileError, readProfile, type Profile } from '../core/profile';
import { packageRoot } from '../kernelSources/paths';
import {
  callGraph,
  resolveCodePoint,
  type CallGraph,
  type CallGraphEdge,
  type CallGraphNode,
  type CallProvenance,
  type ResolvedCodePoint,
} from '../protocol/lsp';
import type { ServerFeature } from './context';
import { lensOf, type Lens } from './lens';

/** Deepest graph served (each level multiplies the work). */
export const MAX_DEPTH = 8;
/** Functions expanded at most; the result says `truncated` when this stops the walk. */
export const MAX_FUNCTIONS = 400;
/** Edges served at most. */
export const MAX_EDGES = 3000;

export const lensRequests: ServerFeature = {
  capabilities: {},
  register(ctx) {
    ctx.connection.onRequest(callGraph, async (params): Promise<CallGraph | null> => {
      const lens = await lensOf(ctx);
      if (!lens) return null;
      return buildCallGraph(lens, params.entry, params.depth, profileFor(lens, params.profile));
    });
    ctx.connection.onRequest(
      resolveCodePoint,
      async (params): Promise<ResolvedCodePoint | null> => {
        const lens = await lensOf(ctx);
        if (!lens) return null;
        return codePoint(lens, params.function, params.anchor, params.occurrence);
      },
    );
  },
};

/** The profile a request names: the server's own when it is the same, else bound now. */
function profileFor(lens: Lens, name: string): Profile | undefined {
  if (!name || name === 'none') return undefined;
  if (name === lens.profileName) return lens.profile;
  try {
    return bindProfile(lens.index, readProfile(packageRoot(), name));
  } catch (err) {
    if (err instanceof ProfileError) throw new Error(err.message);
    throw err;
  }
}

export function buildCallGraph(
  lens: Lens,
  entry: string,
  depth: number,
  profile: Profile | undefined,
): CallGraph | null {
  let result;
  try {
    result = lens.graph.path(entry, {
      depth: Math.max(1, Math.min(MAX_DEPTH, Math.floor(depth))),
      maxFunctions: MAX_FUNCTIONS,
      ...(profile ? { profile } : {}),
    });
  } catch (err) {
    if (err instanceof UnknownFunctionError) return null;
    throw err;
  }
  const nodes = new Map<string, CallGraphNode>();
  const nodeOf = (name: string, file?: string, line?: number): string => {
    const id = file ? `${file}#${name}` : `?#${name}`;
    if (!nodes.has(id)) {
      nodes.set(id, {
        id,
        name,
        ...(file && line !== undefined ? { location: lens.wordLocation(file, line, name) } : {}),
      });
    }
    return id;
  };
  for (const f of result.functions) {
    const id = `${f.file}#${f.display}`;
    // A syscall's name position is its SYSCALL_DEFINEn macro.
    const length = f.display === f.name ? f.name.length : f.display.indexOf('(');
    nodes.set(id, {
      id,
      name: f.display,
      location: { uri: lens.uriOf(f.file), range: lens.rangeAt(f.line, f.column, length) },
    });
  }
  const root = `${result.entry.file}#${result.entry.display}`;
  const edges: CallGraphEdge[] = [];
  for (const e of result.edges) {
    // Unresolved calls have no callee to draw; they stay in the CLI's output.
    if (e.kind === 'unresolved') continue;
    if (edges.length >= MAX_EDGES) break;
    const caller = lens.callerOf(e);
    const from = caller
      ? nodeOf(displayName(caller.fact), caller.file, caller.fact.line)
      : nodeOf(e.caller);
    const to = nodeOf(e.callee, e.calleeFile, e.calleeLine);
    edges.push({
      from,
      to,
      callSite: {
        uri: lens.uriOf(e.file),
        range: lens.rangeAt(e.line, e.column, wordLength(lens, e)),
      },
      provenance: provenanceOf(lens, e),
    });
  }
  return {
    root,
    nodes: [...nodes.values()],
    edges,
    truncated: result.truncated || result.edges.length > edges.length,
  };
}

/** Length of the callee's name or field at a call site. */
function wordLength(lens: Lens, e: CallEdge): number {
  const word = wordAt(lens.index.readText(e.file), e.line, e.column);
  return word ? word.end - e.column : 1;
}

function provenanceOf(lens: Lens, e: CallEdge): CallProvenance {
  if (e.kind === 'direct' || !e.via || !e.viaKind) return { kind: 'direct' };
  const initializer: Location | undefined =
    e.viaFile && e.viaLine ? lens.wordLocation(e.viaFile, e.viaLine, e.callee) : undefined;
  let table = e.via;
  let field = '';
  if (e.viaKind === 'assignment') {
    // "sock_init_data: sk->sk_data_ready = sock_def_readable"
    const m = /^(\w+): .*?(\w+)\s*=/.exec(e.via);
    table = m?.[1] ?? e.via;
    field = m?.[2] ?? '';
  } else {
    const dot = e.via.lastIndexOf('.');
    if (dot > 0) {
      table = e.via.slice(0, dot);
      field = e.via.slice(dot + 1);
    } else field = e.callee;
  }
  return {
    kind: 'indirect',
    table,
    field,
    via: e.via,
    viaKind: e.viaKind,
    ...(initializer ? { initializer } : {}),
  };
}

export async function codePoint(
  lens: Lens,
  fn: string,
  anchor: string,
  occurrence?: number,
): Promise<ResolvedCodePoint | null> {
  const r = await resolveAnchor(
    lens.index,
    occurrence ? { function: fn, anchor, occurrence } : { function: fn, anchor },
  );
  if (!r.ok) return null;
  const def = lens.index
    .resolveEntry(fn)
    .find((d) => d.file === r.file && d.fact.startLine <= r.line && r.line <= d.fact.endLine);
  const text = lineOf(lens.index.readText(r.file), r.line) ?? '';
  const indent = text.length - text.trimStart().length;
  return {
    location: {
      uri: lens.uriOf(r.file),
      range: lens.rangeAt(r.line, indent, text.length - indent),
    },
    functionRange: def ? lens.functionRange(def.fact) : lens.rangeAt(r.line, 0, text.length),
  };
}
