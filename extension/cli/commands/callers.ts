/** `kernel-lens callers <function>`: incoming edges, direct and through the ops tables. */
import { flag, type CliCommand } from '../command';
import { openGraph, profileOf, requirePositional } from '../kernelOptions';

export const callersCommand: CliCommand = {
  name: 'callers',
  options: [],
  usage: 'callers <function> [--profile NAME]   who calls it, directly and through initializers',
  async run(args) {
    const name = requirePositional(args, 'function name');
    const graph = await openGraph(args);
    const profile = profileOf(args, graph.index, undefined);
    const edges = graph.callers(name, profile ? { profile } : {});
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ function: name, edges }, null, 2));
      return 0;
    }
    for (const e of edges) {
      const via = e.via ? `  [via ${e.via} @ ${e.viaFile}:${e.viaLine}]` : '';
      console.log(`${e.caller}  ${e.file}:${e.line}  ${e.kind}${via}`);
    }
    console.log(`${edges.length} caller edge(s) of ${name}`);
    return 0;
  },
};
