/**
 * The side-bar tree (Explorer ▸ "Kernel Lens: Call Tree"): the call graph the panel shows, as
 * a list for people who prefer one. Each function lists its distinct callees in call order;
 * an indirect call says how it got there ("via tcp_prot.connect"). Clicking opens the
 * definition; "Reveal in Call Graph" selects the function in the panel.
 *
 * A function already on the way down from the entry is shown once more, marked recursive,
 * without children, so the tree is finite however the graph loops.
 */
import * as vscode from 'vscode';
import type { GraphEdge } from '../protocol/callGraphWebview';
import type { HostGraph } from './callGraphData';
import type { CallGraphPanel } from './callGraphPanel';

export const CALL_TREE_VIEW = 'kernelLens.callTree';
const REVEAL_COMMAND = 'kernelLens.callTree.revealInGraph';

/** One row: a function reached by a path of calls from the entry. */
interface Row {
  readonly nodeId: string;
  /** The call that reaches it (absent for the entry). */
  readonly edge?: GraphEdge;
  /** Node ids from the entry down to this row's caller. */
  readonly ancestors: readonly string[];
}

export class CallGraphTree implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private graph: HostGraph | undefined;
  private owner: CallGraphPanel | undefined;
  private readonly callees = new Map<string, GraphEdge[]>();
  private readonly changeEmitter = new vscode.EventEmitter<Row | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly revealEmitter = new vscode.EventEmitter<{
    panel: CallGraphPanel;
    nodeId: string;
  }>();
  /** Fires when the user asks to see a row's function in the panel. */
  readonly onDidRequestReveal = this.revealEmitter.event;
  private view: vscode.TreeView<Row> | undefined;

  register(context: vscode.ExtensionContext): void {
    this.view = vscode.window.createTreeView(CALL_TREE_VIEW, {
      treeDataProvider: this,
      showCollapseAll: true,
    });
    context.subscriptions.push(
      this,
      this.view,
      vscode.commands.registerCommand(REVEAL_COMMAND, (row?: Row) => {
        const target = row ?? this.view?.selection[0];
        if (target && this.owner)
          this.revealEmitter.fire({ panel: this.owner, nodeId: target.nodeId });
      }),
    );
  }

  /** Shows the graph a panel now displays. */
  show(graph: HostGraph, title: string, owner: CallGraphPanel): void {
    this.graph = graph;
    this.owner = owner;
    this.callees.clear();
    const byCaller = new Map<string, GraphEdge[]>();
    for (const e of graph.view.edges) {
      const list = byCaller.get(e.from);
      if (list) list.push(e);
      else byCaller.set(e.from, [e]);
    }
    for (const [from, edges] of byCaller) {
      const distinct: GraphEdge[] = [];
      for (const e of edges.sort((a, b) => a.callLine - b.callLine)) {
        const i = distinct.findIndex((d) => d.to === e.to);
        if (i < 0) distinct.push(e);
        else if (e.indirect && !distinct[i]!.indirect) distinct[i] = e;
      }
      this.callees.set(from, distinct);
    }
    if (this.view) this.view.description = title;
    this.changeEmitter.fire(undefined);
  }

  /** Forgets the graph of a panel that closed. */
  clear(owner: CallGraphPanel): void {
    if (this.owner !== owner) return;
    this.graph = undefined;
    this.owner = undefined;
    this.callees.clear();
    if (this.view) this.view.description = '';
    this.changeEmitter.fire(undefined);
  }

  getChildren(row?: Row): Row[] {
    const graph = this.graph;
    if (!graph) return [];
    if (!row) return [{ nodeId: graph.view.root, ancestors: [] }];
    if (row.ancestors.includes(row.nodeId)) return [];
    const ancestors = [...row.ancestors, row.nodeId];
    return (this.callees.get(row.nodeId) ?? []).map((edge) => ({
      nodeId: edge.to,
      edge,
      ancestors,
    }));
  }

  getTreeItem(row: Row): vscode.TreeItem {
    const node = this.graph?.nodes.get(row.nodeId);
    const recursive = row.ancestors.includes(row.nodeId);
    const hasCallees = !recursive && (this.callees.get(row.nodeId)?.length ?? 0) > 0;
    const item = new vscode.TreeItem(
      node?.name ?? row.nodeId,
      hasCallees
        ? row.ancestors.length === 0
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    // Unique per path, so VS Code keeps expansion state across refreshes of the same graph.
    item.id = [...row.ancestors, `${row.nodeId}@${row.edge?.id ?? 'entry'}`].join('>');
    const via = row.edge?.indirect ? `via ${row.edge.indirect.via}` : undefined;
    const file = this.graph?.view.nodes.find((n) => n.id === row.nodeId)?.file;
    item.description = [via, recursive ? vscode.l10n.t('(recursive)') : undefined]
      .filter(Boolean)
      .join(' ');
    item.tooltip = [node?.name, file, via].filter(Boolean).join('\n');
    item.iconPath = new vscode.ThemeIcon(
      row.edge?.indirect ? 'debug-disconnect' : 'symbol-function',
    );
    item.contextValue = 'kernelLens.callTreeFunction';
    if (node?.location) {
      const { start, end } = node.location.range;
      item.command = {
        command: 'vscode.open',
        title: vscode.l10n.t('Open Definition'),
        arguments: [
          vscode.Uri.parse(node.location.uri),
          { selection: new vscode.Range(start.line, start.character, end.line, end.character) },
        ],
      };
    }
    return item;
  }

  dispose(): void {
    this.changeEmitter.dispose();
    this.revealEmitter.dispose();
  }
}
