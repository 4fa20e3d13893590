/**
 * textDocument/references of a function: its direct calls, the call sites that reach it
 * through an ops table (`sk->sk_prot->connect(...)` for tcp_v4_connect, like the callers the
 * CLI prints, with no profile: every site that can reach it), and the initializers and
 * assignments that store it (`.connect = tcp_v4_connect`). The definition is included when
 * the client asks for declarations.
 */
import type { Location } from 'vscode-languageserver/node';
import type { FunctionFact } from '../core/facts';
import type { Located } from '../core/kernelIndex';
import { wordAt } from '../core/positions';
import type { ServerFeature } from './context';
import { lensOf, type Lens } from './lens';
import { callTargets, functionsNamed } from './symbolTargets';

export const references: ServerFeature = {
  capabilities: { referencesProvider: true },
  register(ctx) {
    ctx.connection.onReferences(async (params): Promise<Location[] | null> => {
      const lens = await lensOf(ctx);
      const at = lens?.symbolAt(params.textDocument.uri, params.position);
      if (!lens || !at) return null;
      const { file, symbol } = at;
      let fn: Located<FunctionFact> | undefined;
      if (symbol.kind === 'functionName') fn = symbol.fn;
      else if (symbol.kind === 'call') fn = callTargets(lens, symbol, lens.profile)[0]?.def;
      else if (symbol.kind === 'initValue') fn = functionsNamed(lens, symbol.entry.value, file)[0];
      else if (symbol.kind === 'word' && !symbol.word.isField)
        fn = functionsNamed(lens, symbol.word.text, file)[0];
      if (!fn || fn.fact.syscall) return null;
      return referencesOf(lens, fn, params.context.includeDeclaration);
    });
  },
};

export function referencesOf(
  lens: Lens,
  fn: Located<FunctionFact>,
  includeDeclaration: boolean,
): Location[] {
  const out: Location[] = [];
  const seen = new Set<string>();
  const add = (loc: Location): void => {
    const key = `${loc.uri}#${loc.range.start.line}:${loc.range.start.character}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(loc);
  };
  if (includeDeclaration) add(lens.nameLocation(fn));
  const name = fn.fact.name;
  for (const edge of lens.callers(name, undefined)) {
    // The call site: the callee's name, or the field of an ops call.
    const word = wordAt(lens.index.readText(edge.file), edge.line, edge.column);
    add({
      uri: lens.uriOf(edge.file),
      range: lens.rangeAt(edge.line, edge.column, word ? word.end - edge.column : 1),
    });
    // Where it is stored: `.connect = tcp_v4_connect`, `sk->sk_data_ready = ...`.
    if (
      edge.viaFile &&
      edge.viaLine &&
      (edge.viaKind === 'initializer' || edge.viaKind === 'assignment')
    ) {
      add(lens.wordLocation(edge.viaFile, edge.viaLine, name));
    }
  }
  return out;
}
