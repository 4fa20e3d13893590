/**
 * "Kernel Lens: Show Call Graph": the call-graph webview panel (webview/callGraph/), its
 * commands, and its serializer, so a panel open when the window reloads comes back with the
 * view it had (the page keeps its own state with setState; the host only re-answers).
 *
 * The panel asks the language server for graphs (kernelLens/callGraph) on the page's behalf
 * and keeps the locations behind the ids it sends, to open a definition or an initializer
 * beside the graph when the page asks. Messages: extension/protocol/callGraphWebview.ts.
 */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { PageConnection } from './webviewPage';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  assertNever,
  isFromWebviewMessage,
  MAX_DEPTH,
  STRING_KEYS,
  type EntryChoice,
  type FromWebviewMessage,
  type GraphQuery,
  type StringKey,
  type Strings,
  type ToWebviewMessage,
} from '../protocol/callGraphWebview';
import type { Location } from 'vscode-languageserver-protocol';
import { callGraph } from '../protocol/lsp';
import { ENTRY_DATA, type EntryId } from './callGraphEntries';
import { toHostGraph, type HostGraph } from './callGraphData';
import { CallGraphTree } from './callGraphTree';
import { readSettings } from './config';
import type { LanguageServer } from './languageServer';
import type { LiveBreakpoints } from './liveBreakpoints';

export const CALL_GRAPH_VIEW_TYPE = 'kernelLens.callGraph';

export const CALL_GRAPH_COMMANDS = {
  show: 'kernelLens.showCallGraph',
  showAtCursor: 'kernelLens.showCallGraphAtCursor',
} as const;

// --- localized texts

function entryLabel(id: EntryId): string {
  switch (id) {
    case 'socket':
      return vscode.l10n.t('socket(): create a TCP socket');
    case 'bind':
      return vscode.l10n.t('bind(): claim a local port');
    case 'listen':
      return vscode.l10n.t('listen(): become a listener');
    case 'accept':
      return vscode.l10n.t('accept(): take a connection');
    case 'connect':
      return vscode.l10n.t('connect(): start the handshake');
    case 'syn-out':
      return vscode.l10n.t('Client: SYN out');
    case 'syn-in':
      return vscode.l10n.t('Server: SYN in');
    case 'synack-in':
      return vscode.l10n.t('Client: SYN-ACK in');
    case 'ack-in':
      return vscode.l10n.t('Server: final ACK in');
    case 'accept-dequeue':
      return vscode.l10n.t('accept(): dequeue from the accept queue');
    default:
      return assertNever(id);
  }
}

export function entryChoices(): EntryChoice[] {
  return ENTRY_DATA.map((e) => ({ ...e, label: entryLabel(e.id) }));
}

function pageStrings(profile: string): Strings {
  const text = (key: StringKey): string => {
    switch (key) {
      case 'entry':
        return vscode.l10n.t('Entry');
      case 'depth':
        return vscode.l10n.t('Depth');
      case 'allCandidates':
        return vscode.l10n.t('Every candidate (not only {0})', profile);
      case 'search':
        return vscode.l10n.t('Search');
      case 'searchPlaceholder':
        return vscode.l10n.t('function name, Enter: next');
      case 'matches':
        return vscode.l10n.t('{0} found');
      case 'noMatches':
        return vscode.l10n.t('not found');
      case 'collapseAll':
        return vscode.l10n.t('Collapse All');
      case 'expandPath':
        return vscode.l10n.t('Open Path');
      case 'exportSvg':
        return vscode.l10n.t('Export SVG');
      case 'exportMermaid':
        return vscode.l10n.t('Export Mermaid');
      case 'loading':
        return vscode.l10n.t('Asking the language server…');
      case 'shown':
        return vscode.l10n.t('{0} of {1} functions shown');
      case 'hiddenMore':
        return vscode.l10n.t('{0} more not drawn (collapse some, or search)');
      case 'truncated':
        return vscode.l10n.t('the server cut the graph short');
      case 'unknownEntry':
        return vscode.l10n.t('No function or syscall named {0} in this kernel tree');
      case 'serverDown':
        return vscode.l10n.t('The language server is not running.');
      case 'expand':
        return vscode.l10n.t('Expand callees');
      case 'collapse':
        return vscode.l10n.t('Collapse callees');
      case 'openDefinition':
        return vscode.l10n.t('click or Enter: open the definition');
      case 'openInitializer':
        return vscode.l10n.t('click: open the line that makes this call go here');
      case 'notDefined':
        return vscode.l10n.t('not defined in this tree');
      case 'graphLabel':
        return vscode.l10n.t('Call graph');
      case 'otherFunction':
        return vscode.l10n.t('or another function…');
      case 'zoomIn':
        return vscode.l10n.t('Zoom in (Ctrl+wheel)');
      case 'zoomOut':
        return vscode.l10n.t('Zoom out (Ctrl+wheel)');
      case 'zoomFit':
        return vscode.l10n.t('Fit');
      case 'breakpoint':
        return vscode.l10n.t('Real-kernel breakpoint: the next run on a real kernel stops here');
      case 'breakpointKey':
        return vscode.l10n.t('b: toggle a real-kernel breakpoint');
      default:
        return assertNever(key);
    }
  };
  return Object.fromEntries(STRING_KEYS.map((k) => [k, text(k)])) as Strings;
}

// --- the panel

/** What a panel needs from the rest of the extension. */
interface PanelHost {
  readonly context: vscode.ExtensionContext;
  readonly server: LanguageServer;
  readonly log: vscode.LogOutputChannel;
  readonly tree: CallGraphTree;
  readonly breakpoints: LiveBreakpoints;
}

export class CallGraphPanel implements vscode.Disposable {
  private readonly page: PageConnection<FromWebviewMessage, ToWebviewMessage>;
  /** A graph a command asked for before the page said `ready`. */
  private pendingShow: GraphQuery | undefined;
  private graph: HostGraph | undefined;
  /**
   * messageId of the page's newest graph request: answers can finish out of order, and only
   * the newest is what the page draws, so only its locations are kept.
   */
  private latestRequest = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly host: PanelHost,
  ) {
    this.page = new PageConnection<FromWebviewMessage, ToWebviewMessage>(panel, {
      extensionUri: host.context.extensionUri,
      bundle: 'callGraph',
      title: 'Kernel Lens',
      name: 'call graph',
      log: host.log,
      isMessage: isFromWebviewMessage,
      onMessage: (message) => this.onMessage(message),
    });
    this.disposables.push(
      this.page,
      // Toggled anywhere (this page, the editor, another window's command): the dots follow.
      host.breakpoints.onDidChange((functions) => {
        if (this.page.ready) this.page.post({ type: 'breakpoints', functions });
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Shows `query` (now, or as soon as the page listens) and brings the panel forward. */
  show(query: GraphQuery): void {
    if (this.page.ready) this.page.post({ type: 'graph/show', query });
    else this.pendingShow = query;
    this.panel.reveal(undefined, false);
  }

  /** Selects a function in the graph, opening the path to it. */
  reveal(nodeId: string): void {
    if (this.page.ready) this.page.post({ type: 'node/reveal', nodeId });
    this.panel.reveal(undefined, true);
  }

  dispose(): void {
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async onMessage(message: FromWebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const show = this.pendingShow;
        this.pendingShow = undefined;
        this.page.post({
          type: 'init',
          strings: pageStrings(readSettings().profile),
          entries: entryChoices(),
          profile: readSettings().profile,
          ...(show ? { show } : {}),
        });
        this.page.post({ type: 'breakpoints', functions: this.host.breakpoints.list() });
        break;
      }
      case 'graph/request': {
        this.latestRequest = message.messageId;
        const answer = await this.fetch(message.query);
        if (answer.host && message.messageId === this.latestRequest) this.graph = answer.host;
        this.page.post({
          type: 'graph/response',
          inReplyTo: message.messageId,
          ...(answer.host ? { graph: answer.host.view } : {}),
          ...(answer.graph === null ? { graph: null } : {}),
          ...(answer.error ? { error: answer.error } : {}),
        });
        break;
      }
      case 'view/changed':
        this.panel.title = vscode.l10n.t('Call Graph: {0}', message.title);
        if (this.graph) this.host.tree.show(this.graph, message.title, this);
        break;
      case 'node/open': {
        const location = this.graph?.nodes.get(message.nodeId)?.location;
        if (location) await this.open(location);
        break;
      }
      case 'edge/open': {
        const edge = this.graph?.edges.get(message.edgeId);
        if (!edge) break;
        const p = edge.provenance;
        await this.open(p.kind === 'indirect' && p.initializer ? p.initializer : edge.callSite);
        break;
      }
      case 'export/svg':
        await this.saveSvg(message.svg, message.fileName);
        break;
      case 'export/mermaid':
        await this.openMermaid(message.text);
        break;
      case 'breakpoint/toggle': {
        const node = this.graph?.view.nodes.find((n) => n.id === message.nodeId);
        if (node) await this.host.breakpoints.toggle(node.name);
        break;
      }
      default:
        assertNever(message);
    }
  }

  private async fetch(
    query: GraphQuery,
  ): Promise<{ host?: HostGraph; graph?: null; error?: string }> {
    const client = await this.clientSoon();
    if (!client) return { error: vscode.l10n.t('The language server is not running.') };
    const profile = query.allCandidates ? 'none' : readSettings().profile;
    const depth = Math.max(1, Math.min(MAX_DEPTH, Math.floor(query.depth)));
    try {
      const started = Date.now();
      const result = await client.sendRequest(callGraph, { entry: query.entry, depth, profile });
      this.host.log.info(
        `call graph of ${query.entry} (depth ${depth}, profile ${profile}): ` +
          (result
            ? `${result.nodes.length} functions, ${result.edges.length} calls`
            : 'unknown entry') +
          ` in ${Date.now() - started} ms`,
      );
      if (!result) return { graph: null };
      const status = this.host.server.status;
      return { host: toHostGraph(result, 'root' in status ? status.root?.uri : undefined) };
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.host.log.error(`call graph of ${query.entry}: ${text}`);
      return { error: vscode.l10n.t('The language server could not answer: {0}', text) };
    }
  }

  /**
   * The running client, waiting while it starts: a panel restored on reload asks before the
   * server is up. Gives up when the server fails, or after a minute (ten seconds if stopped).
   */
  private async clientSoon(): Promise<LanguageClient | undefined> {
    const server = this.host.server;
    if (server.client) return server.client;
    return new Promise((resolve) => {
      const done = (client: LanguageClient | undefined) => {
        clearTimeout(timer);
        listener.dispose();
        resolve(client);
      };
      // Stopped: maybe activation has not started it yet, maybe the user stopped it.
      const wait = server.status.state === 'stopped' ? 10_000 : 60_000;
      const timer = setTimeout(() => done(server.client), wait);
      const listener = server.onDidChangeStatus((status) => {
        if (server.client) done(server.client);
        else if (status.state === 'failed') done(undefined);
      });
    });
  }

  /** Opens a location in the editor group beside the panel. */
  private async open(location: Location): Promise<void> {
    const { start, end } = location.range;
    const column =
      this.panel.viewColumn === vscode.ViewColumn.One
        ? vscode.ViewColumn.Two
        : vscode.ViewColumn.One;
    await vscode.window.showTextDocument(vscode.Uri.parse(location.uri), {
      viewColumn: column,
      selection: new vscode.Range(start.line, start.character, end.line, end.character),
      preview: true,
    });
  }

  private async saveSvg(svg: string, fileName: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    const base =
      folder && !folder.uri.fsPath.startsWith(this.host.context.extensionUri.fsPath)
        ? folder.uri
        : vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(base, fileName),
      filters: { SVG: ['svg'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
    this.host.log.info(`call graph saved to ${target.toString()}`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Call graph saved to {0}', target.fsPath || target.toString()),
    );
  }

  private async openMermaid(text: string): Promise<void> {
    // "mermaid" when an extension knows the language, plain text otherwise.
    const known = (await vscode.languages.getLanguages()).includes('mermaid');
    const document = await vscode.workspace.openTextDocument({
      language: known ? 'mermaid' : 'plaintext',
      content: text,
    });
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside });
  }
}

// --- registration

/**
 * The call-graph feature: the side-bar tree, the commands and the panel serializer. At most
 * one panel, reused by every command.
 */
export function registerCallGraph(
  context: vscode.ExtensionContext,
  server: LanguageServer,
  log: vscode.LogOutputChannel,
  breakpoints: LiveBreakpoints,
): void {
  const tree = new CallGraphTree();
  tree.register(context);
  const host: PanelHost = { context, server, log, tree, breakpoints };
  let current: CallGraphPanel | undefined;
  const adopt = (panel: vscode.WebviewPanel): CallGraphPanel => {
    const p = new CallGraphPanel(panel, host);
    current = p;
    p.onDidDispose(() => {
      if (current === p) current = undefined;
      tree.clear(p);
    });
    return p;
  };
  const panelFor = (): CallGraphPanel =>
    current ??
    adopt(
      vscode.window.createWebviewPanel(
        CALL_GRAPH_VIEW_TYPE,
        vscode.l10n.t('Call Graph'),
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        {
          enableScripts: true,
          localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
        },
      ),
    );
  const choiceQuery = (c: EntryChoice): GraphQuery => ({
    entry: c.entry,
    depth: c.depth,
    allCandidates: false,
    choice: c.id,
  });

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(CALL_GRAPH_VIEW_TYPE, {
      async deserializeWebviewPanel(panel) {
        // The page restores its own view from its saved state once it says `ready`.
        adopt(panel);
      },
    }),
    vscode.commands.registerCommand(CALL_GRAPH_COMMANDS.show, async (arg?: unknown) => {
      const choices = entryChoices();
      let query: GraphQuery | undefined;
      if (typeof arg === 'string' && arg) {
        const choice = choices.find((c) => c.id === arg);
        query = choice ? choiceQuery(choice) : { entry: arg, depth: 4, allCandidates: false };
      } else {
        query = await pickEntry(choices, choiceQuery);
      }
      if (query) panelFor().show(query);
    }),
    vscode.commands.registerCommand(CALL_GRAPH_COMMANDS.showAtCursor, () => {
      const editor = vscode.window.activeTextEditor;
      const range = editor?.document.getWordRangeAtPosition(editor.selection.active, /\w+/);
      if (!editor || !range) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('Kernel Lens: put the cursor on a function name first.'),
        );
        return;
      }
      panelFor().show({ entry: editor.document.getText(range), depth: 4, allCandidates: false });
    }),
    tree.onDidRequestReveal(({ panel, nodeId }) => panel.reveal(nodeId)),
    { dispose: () => current?.panel.dispose() },
  );
}

async function pickEntry(
  choices: EntryChoice[],
  toQuery: (c: EntryChoice) => GraphQuery,
): Promise<GraphQuery | undefined> {
  type Item = vscode.QuickPickItem & { choice?: EntryChoice };
  const items: Item[] = [
    ...choices.map((c) => ({ label: c.label, description: c.entry, choice: c })),
    { label: vscode.l10n.t('Another function or syscall…') },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Kernel Lens: Show Call Graph'),
    placeHolder: vscode.l10n.t('Where should the call graph start?'),
  });
  if (!picked) return undefined;
  if (picked.choice) return toQuery(picked.choice);
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Kernel Lens: Show Call Graph'),
    prompt: vscode.l10n.t('A function or syscall, e.g. tcp_v4_connect or SYSCALL_DEFINE3(connect)'),
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Type a name')),
  });
  return name?.trim() ? { entry: name.trim(), depth: 4, allCandidates: false } : undefined;
}
