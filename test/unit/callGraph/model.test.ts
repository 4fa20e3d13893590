/**
 * The call-graph view model (webview/callGraph/model.ts) on small hand-made graphs: what is
 * drawn by default, expanding and collapsing, the visible cap, paths of interest, search,
 * and the Mermaid export. No DOM, no VS Code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphData, GraphEdge } from '../../../extension/protocol/callGraphWebview';
import {
  CallGraphModel,
  EMPTY_EXPANSION,
  toMermaid,
  type ExpansionState,
} from '../../../webview/callGraph/model';

/** A graph from "caller>callee" lines; "a>b@via" marks an indirect call through `via`. */
function graph(...calls: string[]): GraphData {
  const names = new Set<string>();
  const edges: GraphEdge[] = calls.map((call, i) => {
    const [pair, via] = call.split('@');
    const [from, to] = pair!.split('>') as [string, string];
    names.add(from).add(to);
    return {
      id: String(i),
      from,
      to,
      callLine: 10 + i,
      ...(via ? { indirect: { via, viaKind: 'initializer' as const, hasInitializer: true } } : {}),
    };
  });
  return {
    root: calls[0]!.split('>')[0]!,
    nodes: [...names].map((id) => ({ id, name: id, file: `net/${id}.c`, line: 1 })),
    edges,
    truncated: false,
  };
}

const shownIds = (m: CallGraphModel, s: ExpansionState) => m.visible(s).nodes.map((n) => n.node.id);

// connect-like: root -> sys -> file -> (indirect) stream -> inner -> (indirect) v4 -> tcp
const CONNECT = graph(
  'root>sys',
  'sys>fdget',
  'sys>file',
  'file>stream@inet_stream_ops.connect',
  'stream>lock',
  'stream>inner',
  'inner>v4@tcp_prot.connect',
  'inner>lock',
  'v4>tcp',
);

void describe('call graph model', () => {
  void it('draws the entry and its callees by default (expandDepth 1)', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 1, maxVisible: 100 });
    const v = m.visible(EMPTY_EXPANSION);
    assert.deepEqual(
      v.nodes.map((n) => n.node.id),
      ['root', 'sys'],
    );
    assert.deepEqual(
      v.edges.map((e) => `${e.from}>${e.to}`),
      ['root>sys'],
    );
    const sys = v.nodes.find((n) => n.node.id === 'sys')!;
    assert.equal(sys.expanded, false);
    assert.equal(sys.callees, 2);
    assert.equal(sys.hiddenCallees, 2);
    assert.equal(m.reachable, 9);
  });

  void it('expands and collapses one function, keeping other choices', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 1, maxVisible: 100 });
    let s = m.setExpanded(EMPTY_EXPANSION, 'sys', true);
    assert.deepEqual(shownIds(m, s), ['root', 'sys', 'fdget', 'file']);
    s = m.setExpanded(s, 'file', true);
    assert.deepEqual(shownIds(m, s), ['root', 'sys', 'fdget', 'file', 'stream']);
    const edge = m.visible(s).edges.find((e) => e.to === 'stream')!;
    assert.equal(edge.indirect?.via, 'inet_stream_ops.connect');
    // Collapsing sys hides what only it reached; file's own choice is remembered.
    s = m.setExpanded(s, 'sys', false);
    assert.deepEqual(shownIds(m, s), ['root', 'sys']);
    assert.deepEqual(s, { expanded: ['file'], collapsed: [] });
    // Collapsing the entry (expanded by default) is recorded as a choice.
    s = m.setExpanded(s, 'root', false);
    assert.deepEqual(shownIds(m, s), ['root']);
    assert.deepEqual(s.collapsed, ['root']);
    assert.deepEqual(m.setExpanded(s, 'root', true).collapsed, []);
  });

  void it('collapseAll keeps the entry open and closes every default expansion', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 3, maxVisible: 100 });
    assert.deepEqual(shownIds(m, EMPTY_EXPANSION), ['root', 'sys', 'fdget', 'file', 'stream']);
    const s = m.collapseAll();
    assert.deepEqual(shownIds(m, s), ['root', 'sys']);
  });

  void it('draws a function reached twice once, with both calls', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 10, maxVisible: 100 });
    const v = m.visible(EMPTY_EXPANSION);
    assert.equal(v.nodes.filter((n) => n.node.id === 'lock').length, 1);
    assert.deepEqual(
      v.edges.filter((e) => e.to === 'lock').map((e) => e.from),
      ['stream', 'inner'],
    );
    assert.equal(m.depth('lock'), 4);
    assert.equal(v.clipped, 0);
  });

  void it('never draws more than maxVisible functions, and says how many it left out', () => {
    const wide = graph(...Array.from({ length: 50 }, (_, i) => `root>f${i}`));
    const m = new CallGraphModel(wide, { expandDepth: 1, maxVisible: 20 });
    const v = m.visible(EMPTY_EXPANSION);
    assert.equal(v.nodes.length, 20);
    assert.equal(v.clipped, 31);
    assert.equal(v.nodes[0]!.hiddenCallees, 31);
    assert.ok(v.edges.every((e) => v.nodes.some((n) => n.node.id === e.to)));
    // What the user follows is drawn whatever the cap: f45 and what it calls.
    const deep = graph(...Array.from({ length: 50 }, (_, i) => `root>f${i}`), 'f45>g');
    const dm = new CallGraphModel(deep, { expandDepth: 1, maxVisible: 20 });
    const path = dm.pathThrough(['g']);
    const kept = dm.visible(dm.expandPath(EMPTY_EXPANSION, path), path);
    assert.equal(kept.nodes.length, 20);
    assert.deepEqual(
      kept.nodes.slice(0, 3).map((n) => n.node.id),
      ['root', 'f45', 'g'],
    );
    assert.ok(kept.edges.some((e) => e.from === 'f45' && e.to === 'g'));
  });

  void it('keeps one edge per caller and callee, preferring the indirect call, in call order', () => {
    const data = graph('a>c', 'a>b', 'a>c@ops.f');
    const m = new CallGraphModel({ ...data, edges: [...data.edges].reverse() });
    assert.deepEqual(
      m.callees('a').map((e) => `${e.to}${e.indirect ? '@' + e.indirect.via : ''}`),
      ['c@ops.f', 'b'],
    );
  });

  void it('opens the path of interest through named functions, leg by leg', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 1, maxVisible: 100 });
    const path = m.pathThrough(['stream', 'v4', 'tcp']);
    assert.deepEqual(path, ['root', 'sys', 'file', 'stream', 'inner', 'v4', 'tcp']);
    const s = m.expandPath(EMPTY_EXPANSION, path);
    const shown = shownIds(m, s);
    for (const id of path) assert.ok(shown.includes(id), id);
    // tcp itself stays collapsed (it has no callees here anyway); lock shows beside the path.
    assert.ok(shown.includes('lock'));
    // A name the graph lacks stops the path where it is.
    assert.deepEqual(m.pathThrough(['file', 'nowhere', 'v4']), ['root', 'sys', 'file']);
  });

  void it('branches a path when the next name is called by an earlier function of it', () => {
    // check calls syn_recv and then hashdance; syn_recv itself never reaches hashdance.
    const m = new CallGraphModel(
      graph(
        'rcv>check',
        'check>syn_recv@ipv4_specific.syn_recv_sock',
        'check>hashdance',
        'syn_recv>x',
        'hashdance>queue_add',
      ),
      { expandDepth: 1, maxVisible: 100 },
    );
    const path = m.pathThrough(['check', 'syn_recv', 'hashdance', 'queue_add']);
    assert.deepEqual(path, ['rcv', 'check', 'syn_recv', 'hashdance', 'queue_add']);
    const s = m.expandPath(EMPTY_EXPANSION, path);
    // syn_recv calls nothing on the path, so it stays closed (x is not drawn).
    assert.deepEqual(shownIds(m, s), ['rcv', 'check', 'syn_recv', 'hashdance', 'queue_add']);
  });

  void it('searches by substring, nearest first, and reveals a match', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 1, maxVisible: 100 });
    assert.deepEqual(m.search('  '), []);
    assert.deepEqual(m.search('S'), ['sys', 'stream']);
    assert.deepEqual(m.search('V4'), ['v4']);
    assert.deepEqual(m.ancestors('v4'), ['root', 'sys', 'file', 'stream', 'inner']);
    const s = m.reveal(EMPTY_EXPANSION, 'v4');
    assert.ok(shownIds(m, s).includes('v4'));
  });

  void it('exports the visible graph as Mermaid, indirect calls dotted with their provenance', () => {
    const m = new CallGraphModel(CONNECT, { expandDepth: 10, maxVisible: 100 });
    const text = toMermaid(m.visible(EMPTY_EXPANSION));
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'flowchart TD');
    assert.ok(lines.includes('  n0["root<br/><small>net/root.c</small>"]'), text);
    assert.ok(lines.includes('  n0 --> n1'), text);
    const stream = lines
      .find((l) => l.includes('"stream<br/>'))!
      .trim()
      .split('[')[0]!;
    const file = lines
      .find((l) => l.includes('"file<br/>'))!
      .trim()
      .split('[')[0]!;
    assert.ok(lines.includes(`  ${file} -.->|"via inet_stream_ops.connect"| ${stream}`), text);
    assert.ok(lines.includes('  class n0 entry'));
    // Names that would break the syntax are escaped.
    const odd = new CallGraphModel(graph('SYSCALL_DEFINE3(connect)>a"b'));
    assert.match(toMermaid(odd.visible(EMPTY_EXPANSION)), /\["a#quot;b<br\/>/);
  });
});
