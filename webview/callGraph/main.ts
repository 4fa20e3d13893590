/**
 * The call-graph page: toolbar, graph, keyboard, and the conversation with the host
 * (extension/client/callGraphPanel.ts) over the messages of
 * extension/protocol/callGraphWebview.ts. All graph data arrives from the host, which asks the
 * language server; this page knows no kernel names of its own.
 */
import '../common/page.css';
import './callGraph.css';
import {
  assertNever,
  isToWebviewMessage,
  MAX_DEPTH,
  PendingRequests,
  type EntryChoice,
  type FromWebviewMessage,
  type GraphQuery,
  type Strings,
  type ToWebviewMessage,
} from '../../extension/protocol/callGraphWebview';
import { standaloneSvg } from '../common/theme';
import { onHostMessage, vscodeApi } from '../common/vscodeApi';
import {
  breakpointNodes,
  CallGraphModel,
  EMPTY_EXPANSION,
  toMermaid,
  type ExpansionState,
} from './model';
import { markBreakpoint, renderGraph, type Placed } from './render';

// --- state

/** What survives hiding the panel and reloading the window (webview state). */
interface SavedState {
  readonly version: 1;
  readonly query: GraphQuery;
  readonly expansion: ExpansionState;
  readonly search: string;
  readonly selected?: string;
  /** Drawing scale, 1 = 100 %. */
  readonly zoom?: number;
}

function isSavedState(value: unknown): value is SavedState {
  const v = value as Partial<SavedState> | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.query?.entry === 'string' &&
    Array.isArray(v.expansion?.expanded) &&
    Array.isArray(v.expansion?.collapsed)
  );
}

const vscode = vscodeApi<SavedState, FromWebviewMessage>(isSavedState);
const requests = new PendingRequests();

let strings: Strings | undefined;
let entries: readonly EntryChoice[] = [];
let profile = '';
let query: GraphQuery | undefined;
let model: CallGraphModel | undefined;
let expansion: ExpansionState = EMPTY_EXPANSION;
let pathIds = new Set<string>();
let selected: string | undefined;
let searchText = '';
let matches: string[] = [];
let matchIndex = -1;
let placed: Placed[] = [];
let zoom = 1;
/** Functions with a real-kernel breakpoint (the host's list: editor and graph alike). */
let breakpoints: readonly string[] = [];
/** Bumped by every load and render, so a late answer never overwrites a newer one. */
let loadGeneration = 0;
let renderGeneration = 0;

// --- toolbar

const toolbar = document.createElement('div');
toolbar.className = 'toolbar';
const entrySelect = document.createElement('select');
const otherInput = document.createElement('input');
const depthInput = document.createElement('input');
const allCheckbox = document.createElement('input');
const allLabel = document.createElement('label');
const searchInput = document.createElement('input');
const matchLabel = document.createElement('span');
const collapseButton = document.createElement('button');
const pathButton = document.createElement('button');
const svgButton = document.createElement('button');
const mermaidButton = document.createElement('button');
const zoomOutButton = document.createElement('button');
const zoomInButton = document.createElement('button');
const fitButton = document.createElement('button');
const status = document.createElement('div');
const graphArea = document.createElement('div');

function buildToolbar(s: Strings): void {
  const labelled = (text: string, control: HTMLElement) => {
    const label = document.createElement('label');
    label.append(`${text} `, control);
    return label;
  };
  entrySelect.id = 'entry';
  otherInput.id = 'other';
  otherInput.type = 'text';
  otherInput.placeholder = s.otherFunction;
  otherInput.size = 18;
  depthInput.id = 'depth';
  depthInput.type = 'number';
  depthInput.min = '1';
  depthInput.max = String(MAX_DEPTH);
  allCheckbox.id = 'all-candidates';
  allCheckbox.type = 'checkbox';
  allLabel.append(allCheckbox, ` ${s.allCandidates}`);
  searchInput.id = 'search';
  searchInput.type = 'search';
  searchInput.placeholder = s.searchPlaceholder;
  matchLabel.className = 'matches';
  for (const [button, text, id] of [
    [collapseButton, s.collapseAll, 'collapse-all'],
    [pathButton, s.expandPath, 'expand-path'],
    [svgButton, s.exportSvg, 'export-svg'],
    [mermaidButton, s.exportMermaid, 'export-mermaid'],
    [zoomOutButton, '−', 'zoom-out'],
    [zoomInButton, '+', 'zoom-in'],
    [fitButton, s.zoomFit, 'zoom-fit'],
  ] as const) {
    button.textContent = text;
    button.id = id;
  }
  toolbar.append(
    labelled(s.entry, entrySelect),
    otherInput,
    labelled(s.depth, depthInput),
    allLabel,
    labelled(s.search, searchInput),
    matchLabel,
    collapseButton,
    pathButton,
    svgButton,
    mermaidButton,
    zoomOutButton,
    zoomInButton,
    fitButton,
  );
  zoomOutButton.title = s.zoomOut;
  zoomInButton.title = s.zoomIn;
  zoomInButton.addEventListener('click', () => setZoom(zoom * 1.25));
  zoomOutButton.addEventListener('click', () => setZoom(zoom / 1.25));
  fitButton.addEventListener('click', () => {
    const box = graphArea.querySelector('svg')?.viewBox.baseVal;
    if (!box?.width || !box.height) return;
    // The svg's own margin is 8 px on each side.
    setZoom(
      Math.min(
        (graphArea.clientWidth - 16) / box.width,
        (graphArea.clientHeight - 16) / box.height,
        1,
      ),
    );
  });
  graphArea.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      setZoom(zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    },
    { passive: false },
  );
  status.className = 'status';
  status.setAttribute('role', 'status');
  graphArea.className = 'graph-area';
  graphArea.setAttribute('aria-label', s.graphLabel);
  document.body.append(toolbar, status, graphArea);

  entrySelect.addEventListener('change', () => {
    const choice = entries.find((c) => c.id === entrySelect.value);
    if (!choice) return;
    void load({
      entry: choice.entry,
      depth: choice.depth,
      allCandidates: allCheckbox.checked,
      choice: choice.id,
    });
  });
  otherInput.addEventListener('keydown', (e) => {
    const name = otherInput.value.trim();
    if (e.key !== 'Enter' || !name) return;
    const depth = Number(depthInput.value) || 4;
    void load({ entry: name, depth, allCandidates: allCheckbox.checked });
  });
  depthInput.addEventListener('change', () => {
    if (!query) return;
    const depth = Math.max(1, Math.min(MAX_DEPTH, Math.floor(Number(depthInput.value)) || 1));
    void load({ ...query, depth }, expansion, selected);
  });
  allCheckbox.addEventListener('change', () => {
    if (query) void load({ ...query, allCandidates: allCheckbox.checked }, expansion, selected);
  });
  searchInput.addEventListener('input', () => {
    searchText = searchInput.value;
    updateMatches();
    void render();
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !matches.length) return;
    matchIndex = (matchIndex + 1 + (e.shiftKey ? matches.length - 2 : 0)) % matches.length;
    void revealNode(matches[matchIndex]!, true);
  });
  collapseButton.addEventListener('click', () => {
    if (!model) return;
    expansion = model.collapseAll();
    void render();
  });
  pathButton.addEventListener('click', () => {
    if (!model) return;
    expansion = model.expandPath(expansion, [...pathIds]);
    void render();
  });
  svgButton.addEventListener('click', () => {
    const svg = graphArea.querySelector('svg');
    if (!svg || !query) return;
    vscode.postMessage({
      type: 'export/svg',
      svg: standaloneSvg(svg),
      fileName: `call-graph-${query.entry.replace(/\W+/g, '_')}.svg`,
    });
  });
  mermaidButton.addEventListener('click', () => {
    if (model)
      vscode.postMessage({
        type: 'export/mermaid',
        text: toMermaid(model.visible(expansion, kept())),
      });
  });
}

function fillEntries(): void {
  entrySelect.replaceChildren();
  const current = entries.find((c) => c.id === query?.choice);
  for (const choice of entries) {
    const option = document.createElement('option');
    option.value = choice.id;
    option.textContent = choice.label;
    option.selected = choice === current;
    entrySelect.append(option);
  }
  if (query && !current) {
    const option = document.createElement('option');
    option.value = '';
    option.textContent = query.entry;
    option.selected = true;
    entrySelect.append(option);
  }
  if (query) {
    depthInput.value = String(query.depth);
    allCheckbox.checked = query.allCandidates;
  }
}

const format = (text: string, ...args: (string | number)[]) =>
  text.replace(/\{(\d+)\}/g, (m, i: string) => String(args[Number(i)] ?? m));

// --- loading and drawing

/**
 * Asks the host for a graph. `keep` is the expansion to keep (depth or profile changed);
 * without it the entry's path of interest is opened.
 */
async function load(
  next: GraphQuery,
  keep?: ExpansionState,
  keepSelection?: string,
): Promise<void> {
  const s = strings;
  if (!s) return;
  const generation = ++loadGeneration;
  query = next;
  fillEntries();
  status.textContent = s.loading;
  const reply = await requests.request(vscode.postMessage, { type: 'graph/request', query: next });
  if (generation !== loadGeneration) return;
  if (!reply.graph) {
    model = undefined;
    graphArea.replaceChildren();
    status.textContent = reply.error ?? format(s.unknownEntry, next.entry);
    save();
    return;
  }
  model = new CallGraphModel(reply.graph);
  const choice = entries.find((c) => c.id === next.choice);
  pathIds = new Set(model.pathThrough(choice?.path ?? []));
  expansion = keep ?? model.expandPath(EMPTY_EXPANSION, [...pathIds]);
  selected = keepSelection && model.node(keepSelection) ? keepSelection : model.root;
  updateMatches();
  vscode.postMessage({ type: 'view/changed', query: next, title: choice?.label ?? next.entry });
  await render();
  // A new or restored graph opens on the selection (the entry at first), not the top left.
  if (generation === loadGeneration && selected) {
    nodeElement(selected)?.scrollIntoView({ block: 'center', inline: 'center' });
  }
}

/** What the drawing cap must keep: the path of interest, the selection and its callers. */
function kept(): string[] {
  const out = [...pathIds];
  if (model && selected) out.push(...model.ancestors(selected), selected);
  return out;
}

function updateMatches(): void {
  matches = model ? model.search(searchText) : [];
  matchIndex = -1;
  matchLabel.textContent =
    searchText.trim() && strings
      ? matches.length
        ? format(strings.matches, matches.length)
        : strings.noMatches
      : '';
}

async function render(focus = false): Promise<void> {
  const s = strings;
  const m = model;
  if (!s || !m) return;
  const generation = ++renderGeneration;
  const graph = m.visible(expansion, kept());
  const { svg, placed: positions } = await renderGraph(
    graph,
    {
      ...(selected ? { selected } : {}),
      path: pathIds,
      matches: new Set(matches),
      breakpoints: breakpointNodes(m.data.nodes, breakpoints),
    },
    s,
  );
  if (generation !== renderGeneration) return;
  placed = positions;
  const scroll = { left: graphArea.scrollLeft, top: graphArea.scrollTop };
  graphArea.replaceChildren(svg);
  applyZoom();
  graphArea.scrollLeft = scroll.left;
  graphArea.scrollTop = scroll.top;
  const parts = [format(s.shown, graph.nodes.length, m.reachable)];
  if (graph.clipped > 0) parts.push(format(s.hiddenMore, graph.clipped));
  if (m.data.truncated) parts.push(s.truncated);
  status.textContent = parts.join(' · ');
  save();
  const node = selected ? nodeElement(selected) : undefined;
  if (node && focus) {
    node.focus();
    node.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}

/** Scales the drawing (its viewBox stays; width and height follow the zoom). */
function setZoom(value: number): void {
  zoom = Math.max(0.1, Math.min(3, value));
  applyZoom();
  save();
}

function applyZoom(): void {
  const svg = graphArea.querySelector('svg');
  const box = svg?.viewBox.baseVal;
  if (!svg || !box) return;
  svg.setAttribute('width', String(box.width * zoom));
  svg.setAttribute('height', String(box.height * zoom));
}

/** Puts the breakpoint dots on the drawn nodes as the list says (no new layout). */
function markBreakpoints(): void {
  if (!model || !strings) return;
  const marked = breakpointNodes(model.data.nodes, breakpoints);
  for (const g of graphArea.querySelectorAll<SVGGElement>('g.node')) {
    markBreakpoint(g, marked.has(g.dataset['node'] ?? ''), strings.breakpoint);
  }
}

function nodeElement(id: string): SVGGElement | undefined {
  for (const g of graphArea.querySelectorAll<SVGGElement>('g.node')) {
    if (g.dataset['node'] === id) return g;
  }
  return undefined;
}

function save(): void {
  if (!query) return;
  vscode.setState({
    version: 1,
    query,
    expansion,
    search: searchText,
    zoom,
    ...(selected ? { selected } : {}),
  });
}

async function revealNode(id: string, focus: boolean): Promise<void> {
  if (!model?.node(id)) return;
  expansion = model.reveal(expansion, id);
  selected = id;
  await render(focus);
}

function select(id: string): void {
  if (selected === id) return;
  nodeElement(selected ?? '')?.classList.remove('selected');
  selected = id;
  nodeElement(id)?.classList.add('selected');
  save();
}

function toggle(id: string): void {
  if (!model) return;
  const v = model.visible(expansion, kept()).nodes.find((n) => n.node.id === id);
  const open = v ? v.expanded && v.hiddenCallees < v.callees : false;
  expansion = model.setExpanded(expansion, id, !open);
  selected = id;
  void render(true);
}

// --- mouse and keyboard on the graph

graphArea.addEventListener('click', (e) => {
  const target = e.target as Element;
  const toggleId = target.closest<SVGGElement>('g.toggle')?.dataset['toggle'];
  if (toggleId) return toggle(toggleId);
  const nodeId = target.closest<SVGGElement>('g.node')?.dataset['node'];
  if (nodeId) {
    select(nodeId);
    return vscode.postMessage({ type: 'node/open', nodeId });
  }
  const edgeId = target.closest<SVGGElement>('g.edge.indirect')?.dataset['edge'];
  if (edgeId) vscode.postMessage({ type: 'edge/open', edgeId });
});

graphArea.addEventListener('focusin', (e) => {
  const nodeId = (e.target as Element).closest<SVGGElement>('g.node')?.dataset['node'];
  if (nodeId) select(nodeId);
});

graphArea.addEventListener('keydown', (e) => {
  const target = e.target as Element;
  const edgeId = target.closest<SVGGElement>('g.edge')?.dataset['edge'];
  if (edgeId && e.key === 'Enter') return vscode.postMessage({ type: 'edge/open', edgeId });
  const nodeId = target.closest<SVGGElement>('g.node')?.dataset['node'];
  if (!nodeId || !model) return;
  let next: string | undefined;
  switch (e.key) {
    case 'Enter':
      vscode.postMessage({ type: 'node/open', nodeId });
      break;
    case ' ':
    case '+':
    case '-':
      toggle(nodeId);
      break;
    case 'b':
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      // Stored and answered by the host (`breakpoints`), which the dot then follows.
      vscode.postMessage({ type: 'breakpoint/toggle', nodeId });
      break;
    case 'ArrowDown':
      next = nearest(nodeId, (p, here) => p.y > here.y + 1, 'down');
      break;
    case 'ArrowUp':
      next = nearest(nodeId, (p, here) => p.y < here.y - 1, 'up');
      break;
    case 'ArrowLeft':
      next = nearest(nodeId, (p, here) => Math.abs(p.y - here.y) < 1 && p.x < here.x, 'side');
      break;
    case 'ArrowRight':
      next = nearest(nodeId, (p, here) => Math.abs(p.y - here.y) < 1 && p.x > here.x, 'side');
      break;
    default:
      return;
  }
  e.preventDefault();
  if (next) {
    const element = nodeElement(next);
    element?.focus();
    element?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
});

/**
 * The node to move to from `id`: up and down prefer a caller or callee drawn in the next
 * layer (nearest horizontally), left and right the neighbour in the same layer.
 */
function nearest(
  id: string,
  accept: (p: Placed, here: Placed) => boolean,
  direction: 'up' | 'down' | 'side',
): string | undefined {
  const here = placed.find((p) => p.id === id);
  if (!here || !model) return undefined;
  let candidates = placed.filter((p) => p.id !== id && accept(p, here));
  if (direction !== 'side') {
    const linked = new Set(
      direction === 'down'
        ? model.callees(id).map((e) => e.to)
        : model
            .visible(expansion, kept())
            .edges.filter((e) => e.to === id)
            .map((e) => e.from),
    );
    const related = candidates.filter((p) => linked.has(p.id));
    if (related.length) candidates = related;
  }
  const score = (p: Placed) => Math.abs(p.y - here.y) * 4 + Math.abs(p.x - here.x);
  return candidates.sort((a, b) => score(a) - score(b))[0]?.id;
}

// --- host messages

// The guard drops anything that is not in the protocol (extension/protocol/callGraphWebview.ts).
onHostMessage(isToWebviewMessage, (message: ToWebviewMessage) => {
  switch (message.type) {
    case 'init': {
      const first = strings === undefined;
      strings = message.strings;
      entries = message.entries;
      profile = message.profile;
      if (first) buildToolbar(message.strings);
      allLabel.title = profile;
      const saved = vscode.getState();
      if (message.show) {
        // A command asked for this graph when the page was not listening yet.
        void load(message.show);
      } else if (saved) {
        searchText = saved.search;
        searchInput.value = saved.search;
        zoom = Number.isFinite(saved.zoom) ? saved.zoom! : 1;
        void load(saved.query, saved.expansion, saved.selected);
      } else {
        fillEntries();
      }
      break;
    }
    case 'graph/response':
      requests.settle(message);
      break;
    case 'graph/show':
      searchText = '';
      searchInput.value = '';
      void load(message.query);
      break;
    case 'node/reveal':
      void revealNode(message.nodeId, true);
      break;
    case 'breakpoints':
      breakpoints = message.functions;
      markBreakpoints();
      break;
    default:
      assertNever(message);
  }
});

// The page speaks first; the host answers with `init`.
vscode.postMessage({ type: 'ready' });
