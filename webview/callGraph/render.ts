/**
 * Lays out a visible call graph with elkjs (layered, top to bottom: the path reads downwards)
 * and draws it as SVG. Colours come from callGraph.css, which uses only var(--vscode-*).
 * The DOM it builds carries the ids the page's handlers need (data-node, data-edge).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { breakpointFunction } from '../../extension/protocol/callGraphWebview';
import type { VisibleGraph } from './model';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PAD_X = 10;
const NAME_HEIGHT = 18;
const FILE_HEIGHT = 14;
const LABEL_HEIGHT = 16;
/** Room under a node for its expand/collapse toggle. */
const TOGGLE_RADIUS = 8;

/** Per-node marks the page decides; the renderer only turns them into classes. */
export interface Marks {
  readonly selected?: string;
  readonly path: ReadonlySet<string>;
  readonly matches: ReadonlySet<string>;
  /** Nodes whose function has a real-kernel breakpoint. */
  readonly breakpoints: ReadonlySet<string>;
}

export interface RenderStrings {
  readonly expand: string;
  readonly collapse: string;
  readonly openDefinition: string;
  readonly openInitializer: string;
  readonly notDefined: string;
  readonly breakpoint: string;
  readonly breakpointKey: string;
}

/** Where a node landed, for keyboard moves between nodes. */
export interface Placed {
  readonly id: string;
  readonly x: number;
  readonly y: number;
}

const elk = new ELK();
let measureContext: CanvasRenderingContext2D | null | undefined;

/** Text width in the page's font (the SVG uses the same). */
function textWidth(text: string, font: string): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (!measureContext) return text.length * 7;
  measureContext.font = font;
  return measureContext.measureText(text).width;
}

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  parent?: Element,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
  parent?.appendChild(element);
  return element;
}

/**
 * Shows or hides a node's real-kernel breakpoint: a dot on its top left corner, in the
 * editor's breakpoint colour. Used when drawing, and on a drawn node when a breakpoint is
 * toggled (no new layout).
 */
export function markBreakpoint(node: SVGGElement, on: boolean, title: string): void {
  node.classList.toggle('breakpoint', on);
  const dot = node.querySelector(':scope > circle.breakpoint-dot');
  if (!on) {
    dot?.remove();
    return;
  }
  if (dot) return;
  const circle = el('circle', { class: 'breakpoint-dot', cx: 0, cy: 0, r: 5 }, node);
  el('title', {}, circle).textContent = title;
}

/** Lays out and draws `graph` into a new <svg>; `placed` lists node positions. */
export async function renderGraph(
  graph: VisibleGraph,
  marks: Marks,
  strings: RenderStrings,
): Promise<{ svg: SVGSVGElement; placed: Placed[] }> {
  const style = getComputedStyle(document.body);
  const family = style.getPropertyValue('--vscode-editor-font-family') || style.fontFamily;
  const nameFont = `600 13px ${family}`;
  const smallFont = `11px ${style.fontFamily}`;

  const layoutInput: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'POLYLINE',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.nodeNode': '18',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      // Keep the server's call order left to right where the layout allows it.
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.nodes.map(({ node }) => ({
      id: node.id,
      width:
        Math.max(
          textWidth(node.name, nameFont),
          node.file ? textWidth(node.file, smallFont) : 0,
          40,
        ) +
        2 * PAD_X,
      height: NAME_HEIGHT + FILE_HEIGHT + 8,
    })),
    edges: graph.edges.map((e): ElkExtendedEdge => ({
      id: e.id,
      sources: [e.from],
      targets: [e.to],
      ...(e.indirect
        ? {
            labels: [
              {
                id: `${e.id}:label`,
                text: `via ${e.indirect.via}`,
                width: textWidth(`via ${e.indirect.via}`, smallFont) + 8,
                height: LABEL_HEIGHT,
              },
            ],
          }
        : {}),
    })),
  };
  const layout = await elk.layout(layoutInput);

  const width = (layout.width ?? 0) + 2 * PAD_X;
  const height = (layout.height ?? 0) + 2 * PAD_X + TOGGLE_RADIUS;
  const svg = el('svg', {
    class: 'graph',
    width,
    height,
    viewBox: `${-PAD_X} ${-PAD_X} ${width} ${height}`,
    role: 'tree',
  });
  const defs = el('defs', {}, svg);
  for (const kind of ['direct', 'indirect', 'path']) {
    const marker = el(
      'marker',
      {
        id: `arrow-${kind}`,
        viewBox: '0 0 10 10',
        refX: 10,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
        class: `arrow ${kind}`,
      },
      defs,
    );
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z' }, marker);
  }

  const edgeLayer = el('g', { class: 'edges' }, svg);
  const byId = new Map(graph.edges.map((e) => [e.id, e]));
  for (const laid of layout.edges ?? []) {
    const e = byId.get(laid.id);
    if (!e) continue;
    const onPath = marks.path.has(e.from) && marks.path.has(e.to);
    const g = el(
      'g',
      {
        class: `edge${e.indirect ? ' indirect' : ''}${onPath ? ' path' : ''}`,
        'data-edge': e.id,
        'data-from': e.from,
        'data-to': e.to,
      },
      edgeLayer,
    );
    const d = (laid.sections ?? [])
      .map((s) =>
        [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]
          .map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`)
          .join(' '),
      )
      .join(' ');
    // A wide transparent twin makes a thin (dashed) line easy to click.
    if (e.indirect) el('path', { class: 'hit', d }, g);
    el(
      'path',
      {
        class: 'line',
        d,
        'marker-end': `url(#arrow-${onPath ? 'path' : e.indirect ? 'indirect' : 'direct'})`,
      },
      g,
    );
    const label = laid.labels?.[0];
    if (e.indirect && label) {
      const lg = el(
        'g',
        {
          class: 'edge-label',
          transform: `translate(${label.x ?? 0} ${label.y ?? 0})`,
          role: 'link',
          tabindex: e.indirect.hasInitializer ? 0 : -1,
        },
        g,
      );
      el('title', {}, lg).textContent = e.indirect.hasInitializer
        ? strings.openInitializer
        : `via ${e.indirect.via}`;
      el('rect', { width: label.width ?? 0, height: label.height ?? 0, rx: 3 }, lg);
      el('text', { x: 4, y: LABEL_HEIGHT - 4 }, lg).textContent = `via ${e.indirect.via}`;
    }
  }

  const nodeLayer = el('g', { class: 'nodes' }, svg);
  const info = new Map(graph.nodes.map((n) => [n.node.id, n]));
  const placed: Placed[] = [];
  for (const laid of layout.children ?? []) {
    const v = info.get(laid.id);
    if (!v) continue;
    const x = laid.x ?? 0;
    const y = laid.y ?? 0;
    const w = laid.width ?? 0;
    const h = laid.height ?? 0;
    placed.push({ id: laid.id, x: x + w / 2, y: y + h / 2 });
    const classes = ['node'];
    if (laid.id === graph.root) classes.push('entry');
    if (marks.path.has(laid.id)) classes.push('path');
    if (marks.matches.has(laid.id)) classes.push('match');
    if (marks.selected === laid.id) classes.push('selected');
    if (!v.node.file) classes.push('external');
    const g = el(
      'g',
      {
        class: classes.join(' '),
        transform: `translate(${x} ${y})`,
        'data-node': laid.id,
        tabindex: 0,
        role: 'treeitem',
        'aria-level': v.depth + 1,
        'aria-label': `${v.node.name}${v.node.file ? `, ${v.node.file}` : ''}`,
        ...(v.callees ? { 'aria-expanded': String(v.expanded && v.hiddenCallees === 0) } : {}),
        // The webview's context menu (package.json webview/context) gets this object.
        'data-vscode-context': JSON.stringify({
          webviewSection: 'node',
          function: breakpointFunction(v.node.name),
          preventDefaultContextMenuItems: true,
        }),
      },
      nodeLayer,
    );
    el('title', {}, g).textContent =
      (v.node.file
        ? `${v.node.file}${v.node.line ? `:${v.node.line}` : ''} (${strings.openDefinition})`
        : strings.notDefined) + `\n${strings.breakpointKey}`;
    el('rect', { class: 'box', width: w, height: h, rx: 4 }, g);
    markBreakpoint(g, marks.breakpoints.has(laid.id), strings.breakpoint);
    el('text', { class: 'name', x: PAD_X, y: NAME_HEIGHT }, g).textContent = v.node.name;
    el('text', { class: 'file', x: PAD_X, y: NAME_HEIGHT + FILE_HEIGHT }, g).textContent =
      v.node.file ?? '';
    if (v.callees > 0) {
      // The toggle sits on the bottom edge: "+N" when callees are hidden, "−" to collapse.
      const open = v.expanded && v.hiddenCallees < v.callees;
      const t = el(
        'g',
        {
          class: `toggle${open ? ' open' : ''}`,
          transform: `translate(${w / 2} ${h})`,
          'data-toggle': laid.id,
        },
        g,
      );
      el('title', {}, t).textContent = open ? strings.collapse : strings.expand;
      const text = open ? '−' : `+${v.hiddenCallees}`;
      const r = Math.max(TOGGLE_RADIUS, textWidth(text, smallFont) / 2 + 4);
      el(
        'rect',
        { x: -r, y: -TOGGLE_RADIUS, width: 2 * r, height: 2 * TOGGLE_RADIUS, rx: TOGGLE_RADIUS },
        t,
      );
      el('text', { x: 0, y: 4, 'text-anchor': 'middle' }, t).textContent = text;
    }
  }
  return { svg, placed };
}
