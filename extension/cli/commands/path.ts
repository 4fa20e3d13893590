/** `kernel-lens path <function|syscall>`: the calls below a function, through the ops tables. */
import type { CallEdge } from '../../core/callGraph';
import { flag, intOption, type CliCommand } from '../command';
import { openGraph, profileOf, requirePositional } from '../kernelOptions';

export const pathCommand: CliCommand = {
  name: 'path',
  options: ['depth'],
  usage:
    'path <function|syscall> [--profile tcp-ipv4|none] [--depth N]   calls below a function, through the ops tables',
  async run(args) {
    const name = requirePositional(args, 'function or syscall name (e.g. connect)');
    const graph = await openGraph(args);
    const profile = profileOf(args, graph.index, 'tcp-ipv4');
    const depth = intOption(args, 'depth', 6);
    const result = graph.path(name, { depth, ...(profile ? { profile } : {}) });
    if (flag(args, 'json')) {
      console.log(
        JSON.stringify(
          {
            kernel: { root: graph.index.root, version: graph.index.version?.text },
            profile: profile?.name ?? null,
            depth,
            entry: result.entry,
            truncated: result.truncated,
            edges: result.edges,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(`${result.entry.display}  ${result.entry.file}:${result.entry.line}`);
    printTree(result.entry.display, result.edges, depth);
    if (result.truncated)
      console.log('(stopped early: too many functions; lower --depth or use a profile)');
    return 0;
  },
};

/** An indented tree, each function expanded once (later occurrences end in "…"). */
function printTree(entry: string, edges: readonly CallEdge[], depth: number): void {
  const byCaller = new Map<string, CallEdge[]>();
  for (const e of edges) {
    const list = byCaller.get(e.caller) ?? [];
    list.push(e);
    byCaller.set(e.caller, list);
  }
  const expanded = new Set<string>([entry]);
  const walk = (caller: string, level: number): void => {
    for (const e of byCaller.get(caller) ?? []) {
      const pad = '  '.repeat(level);
      const via = e.via ? `  [via ${e.via} @ ${e.viaFile}:${e.viaLine}]` : '';
      const tag = e.kind === 'unresolved' ? `  (unresolved: ${e.reason})` : '';
      const again = expanded.has(e.callee) && byCaller.has(e.callee) ? ' …' : '';
      console.log(`${pad}└ ${e.callee}${again}  ${e.file}:${e.line}${via}${tag}`);
      if (!again && e.kind !== 'unresolved' && level < depth) {
        expanded.add(e.callee);
        walk(e.callee, level + 1);
      }
    }
  };
  walk(entry, 1);
}
