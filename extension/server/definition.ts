/**
 * textDocument/definition over the index, following calls through ops tables.
 *
 * - `connect` in `sock->ops->connect(...)`: the function the dispatch profile selects
 *   (tcp-ipv4: inet_stream_ops.connect → inet_stream_connect); every candidate when the
 *   profile has no table for that struct.
 * - `inet_stream_connect` in `.connect = inet_stream_connect`: the function; `connect` there:
 *   the field in `struct proto_ops`.
 * - anything else: parameters and locals, functions, macros, typedefs, globals, structs.
 */
import type { Location } from 'vscode-languageserver/node';
import type { ServerFeature } from './context';
import { lensOf } from './lens';
import { callTargets, fieldDefinition, functionsNamed, wordDefinitions } from './symbolTargets';

export const definition: ServerFeature = {
  capabilities: { definitionProvider: true },
  register(ctx) {
    ctx.connection.onDefinition(async (params): Promise<Location[] | null> => {
      const lens = await lensOf(ctx);
      const at = lens?.symbolAt(params.textDocument.uri, params.position);
      if (!lens || !at) return null;
      const { file, symbol } = at;
      switch (symbol.kind) {
        case 'call': {
          const targets = callTargets(lens, symbol, lens.profile);
          if (targets.length) return targets.map((t) => lens.nameLocation(t.def));
          // A macro call (`lock_sock` is a function, `list_add` may be a macro): as a word.
          break;
        }
        case 'initValue': {
          const fns = functionsNamed(lens, symbol.entry.value, file);
          if (fns.length) return [lens.nameLocation(fns[0]!)];
          break;
        }
        case 'initField': {
          const field = fieldDefinition(lens, symbol);
          if (field) return [field];
          break;
        }
        case 'functionName':
          return [lens.nameLocation(symbol.fn)];
        case 'word':
          break;
      }
      const found = wordDefinitions(
        lens,
        file,
        symbol.word,
        'fn' in symbol ? symbol.fn : undefined,
      );
      return found.length ? found : null;
    });
  },
};
