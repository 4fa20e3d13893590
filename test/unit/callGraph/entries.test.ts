/**
 * The call-graph view's entries (extension/client/callGraphEntries.ts) against the real
 * language server on the embedded Linux 6.1 sources, over stdio: each entry's graph comes
 * back, its path of interest is found function by function, and the view opens it within
 * the drawing cap. This is the data the panel offers, checked the way the panel uses it
 * (server answer -> toHostGraph -> CallGraphModel).
 * Needs `npm run build` and the embedded sources (`node dist/cli.js fetch --embedded`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENTRY_DATA } from '../../../extension/client/callGraphEntries';
import { toHostGraph } from '../../../extension/client/callGraphData';
import { embeddedRoot } from '../../../extension/kernelSources/paths';
import { callGraph } from '../../../extension/protocol/lsp';
import { CallGraphModel, EMPTY_EXPANSION } from '../../../webview/callGraph/model';
import { startSession, type LspSession } from '../server/lspSession';

void describe('call-graph entries on the embedded Linux 6.1 sources', { timeout: 180_000 }, () => {
  let s: LspSession;
  before(async () => {
    s = await startSession(embeddedRoot());
    const status = await s.ready;
    assert.equal(status.state, 'ready', status.message);
  });
  after(async () => {
    await s?.close();
  });

  for (const entry of ENTRY_DATA) {
    void it(`${entry.id}: ${entry.entry} reaches ${entry.path.join(' → ')}`, async () => {
      const answer = await s.connection.sendRequest(callGraph, {
        entry: entry.entry,
        depth: entry.depth,
        profile: 'tcp-ipv4',
      });
      assert.ok(answer, `a graph for ${entry.entry}`);
      const { view } = toHostGraph(answer, s.uri(''));
      const model = new CallGraphModel(view);
      const path = model.pathThrough(entry.path);
      const names = path.map((id) => model.node(id)!.name);
      // Every waypoint, in order (the legs between them may pass through other functions).
      assert.deepEqual(
        names.filter((n) => entry.path.includes(n)),
        [...entry.path],
        `path found: ${names.join(' → ')}`,
      );
      const shown = model.visible(model.expandPath(EMPTY_EXPANSION, path), path);
      assert.ok(shown.nodes.length <= model.options.maxVisible);
      const drawn = new Set(shown.nodes.map((n) => n.node.id));
      for (const id of path) assert.ok(drawn.has(id), `${model.node(id)!.name} is drawn`);
      // Files are relative to the tree, as the view labels them.
      const root = view.nodes.find((n) => n.id === view.root)!;
      assert.ok(root.file && !root.file.startsWith('file:'), root.file);
    });
  }

  void it('connect: the indirect edge to tcp_v4_connect says via tcp_prot.connect', async () => {
    const answer = await s.connection.sendRequest(callGraph, {
      entry: 'connect',
      depth: 6,
      profile: 'tcp-ipv4',
    });
    assert.ok(answer);
    const { view, edges } = toHostGraph(answer, s.uri(''));
    const edge = view.edges.find(
      (e) => e.to === 'net/ipv4/tcp_ipv4.c#tcp_v4_connect' && e.indirect,
    );
    assert.ok(edge);
    assert.equal(edge.indirect?.via, 'tcp_prot.connect');
    assert.equal(edge.indirect?.hasInitializer, true);
    // The host keeps the initializer's location for "click an indirect edge".
    const p = edges.get(edge.id)!.provenance;
    assert.equal(p.kind, 'indirect');
    if (p.kind !== 'indirect') return;
    assert.match(
      s.lineText('net/ipv4/tcp_ipv4.c', p.initializer!.range.start.line),
      /\.connect\s*=\s*tcp_v4_connect/,
    );
    assert.equal(view.nodes.find((n) => n.name === 'tcp_v4_connect')?.file, 'net/ipv4/tcp_ipv4.c');
  });
});
