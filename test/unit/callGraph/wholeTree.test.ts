/**
 * The call-graph view on a whole Linux 6.1 tree (the issue: "the graph of a whole tree's
 * connect path must stay readable"): every entry through the real language server over
 * stdio, with the TCP profile and with every candidate (profile "none"); the view model
 * draws at most its cap, and the path of interest is always among what it draws.
 * Needs the whole tree (`node dist/cli.js fetch --trees`, which `npm test` runs); without
 * it the test is skipped and says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENTRY_DATA } from '../../../extension/client/callGraphEntries';
import { toHostGraph } from '../../../extension/client/callGraphData';
import { kernelTreePath } from '../../../extension/kernelSources/trees';
import { callGraph } from '../../../extension/protocol/lsp';
import { CallGraphModel, EMPTY_EXPANSION } from '../../../webview/callGraph/model';
import { startSession, type LspSession } from '../server/lspSession';

function treeOrReason(): { root?: string; reason?: string } {
  try {
    return { root: kernelTreePath('6.1') };
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
}

const tree = treeOrReason();

void describe(
  'call-graph view on the whole Linux 6.1 tree',
  { timeout: 300_000, ...(tree.reason ? { skip: `no 6.1 tree: ${tree.reason}` } : {}) },
  () => {
    let s: LspSession;
    before(async () => {
      s = await startSession(tree.root!);
      const status = await s.ready;
      assert.equal(status.state, 'ready', status.message);
      assert.equal(status.scope, 'tree');
    });
    after(async () => {
      await s?.close();
    });

    /** The view of an entry as the panel opens it: path of interest expanded, cap applied. */
    async function opened(entry: (typeof ENTRY_DATA)[number], profile: string) {
      const answer = await s.connection.sendRequest(callGraph, {
        entry: entry.entry,
        depth: entry.depth,
        profile,
      });
      assert.ok(answer, `a graph for ${entry.entry}`);
      const model = new CallGraphModel(toHostGraph(answer, s.uri('')).view);
      const path = model.pathThrough(entry.path);
      const shown = model.visible(model.expandPath(EMPTY_EXPANSION, path), path);
      assert.ok(shown.nodes.length <= model.options.maxVisible, `${shown.nodes.length} drawn`);
      const drawn = new Set(shown.nodes.map((n) => n.node.id));
      for (const id of path) assert.ok(drawn.has(id), `${model.node(id)!.name} is drawn`);
      return { model, path, shown };
    }

    void it('tcp-ipv4: every entry reaches its whole path of interest, drawn within the cap', async () => {
      for (const entry of ENTRY_DATA) {
        const { model, path } = await opened(entry, 'tcp-ipv4');
        const names = path.map((id) => model.node(id)!.name);
        assert.deepEqual(
          names.filter((n) => entry.path.includes(n)),
          [...entry.path],
          `${entry.id}: ${names.join(' → ')}`,
        );
      }
    });

    void it('every candidate: the cap holds where the tree fans out, the path still drawn', async () => {
      let clipped = 0;
      for (const entry of ENTRY_DATA) {
        const { model, shown } = await opened(entry, 'none');
        // The server answered more than the view draws at once somewhere on the way.
        if (shown.clipped > 0) {
          clipped++;
          assert.equal(shown.nodes.length, model.options.maxVisible);
          assert.ok(model.reachable > model.options.maxVisible);
        }
      }
      assert.ok(clipped > 0, 'some entry fans out past the cap on a whole tree');
    });
  },
);
