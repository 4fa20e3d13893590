/**
 * textDocument/implementation: every function a call through a field can reach in the tree,
 * with no profile: `sock->ops->connect(...)` → inet_stream_connect, inet_dgram_connect,
 * unix_stream_connect, ... Each is the location of the function; which initializer stores it
 * (`inet_stream_ops.connect`) is shown by the hover on the same call and by the call
 * hierarchy's details, since a Location has no room for it.
 *
 * On the designator of an initializer (`.connect` in an ops table): every function stored in
 * that field of that struct type anywhere in the tree.
 */
import type { Location } from 'vscode-languageserver/node';
import type { ServerFeature } from './context';
import { lensOf } from './lens';
import { callTargets } from './symbolTargets';

/** Bounds the answer on a whole tree (struct file_operations.read has hundreds). */
const MAX_IMPLEMENTATIONS = 500;

export const implementation: ServerFeature = {
  capabilities: { implementationProvider: true },
  register(ctx) {
    ctx.connection.onImplementation(async (params): Promise<Location[] | null> => {
      const lens = await lensOf(ctx);
      const at = lens?.symbolAt(params.textDocument.uri, params.position);
      if (!lens || !at) return null;
      const { symbol } = at;
      if (symbol.kind === 'call') {
        // One function stored in several tables (inet_dgram_connect in inet_dgram_ops and
        // inet_sockraw_ops) is one implementation.
        const seen = new Set<string>();
        const out: Location[] = [];
        for (const t of callTargets(lens, symbol, undefined)) {
          const key = `${t.def.file}#${t.def.fact.line}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(lens.nameLocation(t.def));
          if (out.length >= MAX_IMPLEMENTATIONS) break;
        }
        return out;
      }
      if (symbol.kind === 'initField' && symbol.entry.path.length === 1) {
        const impls = lens.graph.resolver.impls(symbol.init.fact.type.name, symbol.entry.path[0]!);
        const out: Location[] = [];
        const seen = new Set<string>();
        for (const impl of impls) {
          const def = lens.index.functionDefs(impl.function, impl.provenance.viaFile)[0];
          if (!def || seen.has(`${def.file}#${def.fact.line}`)) continue;
          seen.add(`${def.file}#${def.fact.line}`);
          out.push(lens.nameLocation(def));
          if (out.length >= MAX_IMPLEMENTATIONS) break;
        }
        return out;
      }
      return null;
    });
  },
};
