/**
 * The language server's call graph (kernelLens/callGraph, extension/protocol/lsp.ts) reduced
 * to what the webview and the side-bar tree draw (GraphData of
 * extension/protocol/callGraphWebview.ts): names, files relative to the kernel tree, and how
 * each indirect call got where it goes. Locations stay on the host, looked up by id when the
 * user opens something. No vscode import, so the unit tests use it as is.
 */
import type { GraphData, GraphEdge, GraphNode } from '../protocol/callGraphWebview';
import type { CallGraph, CallGraphEdge, CallGraphNode } from '../protocol/lsp';

/** A server graph with its view: the webview's data and the locations behind its ids. */
export interface HostGraph {
  readonly view: GraphData;
  readonly nodes: ReadonlyMap<string, CallGraphNode>;
  readonly edges: ReadonlyMap<string, CallGraphEdge>;
}

/**
 * `rootUri` is the kernel tree's file: URI (e.g. "file:///home/me/linux"); files outside it
 * keep their last two path segments.
 */
export function toHostGraph(graph: CallGraph, rootUri: string | undefined): HostGraph {
  const prefix = rootUri ? `${rootUri.replace(/\/$/, '')}/` : undefined;
  const relative = (uri: string): string => {
    if (prefix && uri.startsWith(prefix)) return decodeURIComponent(uri.slice(prefix.length));
    return decodeURIComponent(uri.split('/').slice(-2).join('/'));
  };
  const nodes: GraphNode[] = graph.nodes.map((n) => ({
    id: n.id,
    name: n.name,
    ...(n.location
      ? { file: relative(n.location.uri), line: n.location.range.start.line + 1 }
      : {}),
  }));
  const edgeMap = new Map<string, CallGraphEdge>();
  const edges: GraphEdge[] = graph.edges.map((e, i) => {
    const id = String(i);
    edgeMap.set(id, e);
    const p = e.provenance;
    return {
      id,
      from: e.from,
      to: e.to,
      callLine: e.callSite.range.start.line + 1,
      ...(p.kind === 'indirect'
        ? {
            indirect: {
              via: p.via,
              viaKind: p.viaKind,
              hasInitializer: p.initializer !== undefined,
            },
          }
        : {}),
    };
  });
  return {
    view: { root: graph.root, nodes, edges, truncated: graph.truncated },
    nodes: new Map(graph.nodes.map((n) => [n.id, n])),
    edges: edgeMap,
  };
}
