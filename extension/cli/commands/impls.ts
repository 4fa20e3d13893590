/** `kernel-lens impls <struct>.<field>`: every function stored in an ops field. */
import { flag, UsageError, type CliCommand } from '../command';
import { openGraph, requirePositional } from '../kernelOptions';

export const implsCommand: CliCommand = {
  name: 'impls',
  options: [],
  usage:
    'impls <struct>.<field>   every initializer and assignment that stores a function in that field',
  async run(args) {
    const spec = requirePositional(args, '<struct>.<field> (e.g. proto_ops.connect)');
    const m = /^(?:(struct|union)\s+)?(\w+)\.(\w+)$/.exec(spec);
    if (!m) throw new UsageError(`"${spec}" is not <struct>.<field>, e.g. proto_ops.connect`);
    const graph = await openGraph(args);
    const structName = `${m[1] ?? 'struct'} ${m[2]}`;
    const impls = graph.impls(structName, m[3]!);
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ struct: structName, field: m[3], impls }, null, 2));
      return 0;
    }
    for (const i of impls) {
      const where = i.functionFile
        ? `${i.functionFile}:${i.functionLine}`
        : '(not defined in this tree)';
      console.log(`${i.function}  ${where}  [via ${i.via} @ ${i.file}:${i.line}]`);
    }
    console.log(`${impls.length} implementation(s) of ${structName}.${m[3]}`);
    return 0;
  },
};
