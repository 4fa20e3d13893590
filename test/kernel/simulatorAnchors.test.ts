/**
 * Every code point the simulator names resolves, through the core's resolveAnchor, to a line
 * inside its function in both whole trees (6.1 and 6.12), and that line really holds the
 * anchor's text. Failures are reported by code point name, all at once, never hidden.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveAnchor } from '../../extension/core/anchors';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import {
  anchorFor,
  loadAnchors,
  loadScenario,
  resolvePoints,
  scenarioNames,
} from '../../extension/cli/commands/sim';
import {
  applies,
  CODE_POINTS,
  parseKernelVersion,
  runScenario,
  VERSION_RULES,
} from '../../webview/simulator/engine/index';

const squash = (s: string): string => s.replace(/\s+/g, '');

/** One index per tree for both tests (opening a whole tree takes a while). */
const indexes = new Map<string, Promise<KernelIndex>>();
function treeIndex(series: '6.1' | '6.12'): Promise<KernelIndex> {
  let p = indexes.get(series);
  if (!p) {
    p = KernelIndex.open(kernelTreePath(series), { cacheDir: indexCacheDir() });
    indexes.set(series, p);
  }
  return p;
}

for (const series of ['6.1', '6.12'] as const) {
  void describe(`simulator anchors in Linux ${series}`, () => {
    void it('resolves every code point to a line that holds its text', async () => {
      const root = kernelTreePath(series);
      const index = await treeIndex(series);
      const version = parseKernelVersion(index.version?.text ?? series);
      assert.equal(`${version.major}.${version.minor}`, series);
      const anchors = loadAnchors();
      const failures: string[] = [];
      let resolved = 0;
      for (const point of Object.keys(CODE_POINTS)) {
        const entry = anchors[point];
        if (!entry) {
          failures.push(`${point}: missing from anchors.json`);
          continue;
        }
        const a = anchorFor(entry, version);
        const hit = await resolveAnchor(
          index,
          a.occurrence
            ? { function: a.function, anchor: a.anchor, occurrence: a.occurrence }
            : { function: a.function, anchor: a.anchor },
        );
        if (!hit.ok) {
          failures.push(`${point}: ${hit.reason}`);
          continue;
        }
        const text = readFileSync(join(root, hit.file), 'latin1').split('\n')[hit.line - 1] ?? '';
        if (!squash(text).includes(squash(a.anchor)))
          failures.push(`${point}: ${hit.file}:${hit.line} does not hold "${a.anchor}"`);
        else resolved++;
      }
      assert.deepEqual(
        failures,
        [],
        `${failures.length} anchors failed in ${series}:\n${failures.join('\n')}`,
      );
      assert.equal(resolved, Object.keys(CODE_POINTS).length);
    });

    void it('resolves every frame of every scenario run with this tree (as kernel-lens sim --kernel does)', async () => {
      const index = await treeIndex(series);
      const version = parseKernelVersion(index.version?.text ?? series);
      const problems: string[] = [];
      for (const name of scenarioNames()) {
        const result = runScenario(loadScenario(name), { version, seed: 1 });
        const resolved = await resolvePoints(index, version, result, '');
        for (const [point, r] of resolved)
          if ('reason' in r) problems.push(`${name}: ${point}: ${r.reason}`);
        assert.ok(resolved.size > 10, name);
      }
      assert.deepEqual(problems, []);
    });
  });
}

void describe('version rules against the trees', () => {
  // Each rule's mark in the source: absent from 6.1, present in 6.12, as applies() says.
  const marks: Record<string, [string, string]> = {
    syn_linear_timeouts: ['net/ipv4/tcp_timer.c', 'sysctl_tcp_syn_linear_timeouts'],
    win_scaling_ratio: ['include/net/tcp.h', 'scaling_ratio'],
    rcv_wnd_unclamped: ['net/ipv4/tcp_output.c', '(*rcv_wnd) = space;'],
    rto_max_sysctl: ['net/ipv4/tcp_timer.c', 'tcp_rto_max('],
    skb_small_head_cache: ['net/core/skbuff.c', 'skb_small_head_cache'],
  };
  void it('a rule applies to a tree exactly when its mark is in the source', () => {
    for (const series of ['6.1', '6.12'] as const) {
      const root = kernelTreePath(series);
      for (const rule of VERSION_RULES) {
        const [file, mark] = marks[rule.id]!;
        const present = readFileSync(join(root, file), 'latin1').includes(mark);
        assert.equal(
          applies(parseKernelVersion(series), rule.id),
          present,
          `${rule.id} in ${series}`,
        );
      }
    }
  });
});
