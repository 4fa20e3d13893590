/**
 * Where a symbol under the cursor leads, shared by definition, implementation and hover:
 * the targets of a call (through the profile, or every candidate), and what a plain word
 * names in the index (local, function, macro, type, global), "as usual" for C.
 */
import type { Location } from 'vscode-languageserver/node';
import type { ExprFact, FunctionFact } from '../core/facts';
import type { Located } from '../core/kernelIndex';
import { lineOf, type CodeSymbol, type WordAt } from '../core/positions';
import type { Profile } from '../core/profile';
import type { CallTarget } from '../core/resolver';
import type { Lens } from './lens';

/** Targets that point at a definition in the tree (macros and assembly have none). */
export type DefinedTarget = CallTarget & { readonly def: Located<FunctionFact> };

/**
 * The functions one call site can reach. With a profile: the one it selects; when the
 * profile says nothing for that call (or leaves the field NULL), every candidate.
 */
export function callTargets(
  lens: Lens,
  symbol: Extract<CodeSymbol, { kind: 'call' }>,
  profile: Profile | undefined,
): DefinedTarget[] {
  const resolve = (p: Profile | undefined): DefinedTarget[] =>
    lens.graph.resolver
      .resolveCall(symbol.call, symbol.fn, p ? { profile: p } : {})
      .filter((t): t is DefinedTarget => t.def !== undefined);
  const chosen = resolve(profile);
  return chosen.length || !profile ? chosen : resolve(undefined);
}

/** Function definitions a name refers to from `file`, best first; syscalls by their name. */
export function functionsNamed(lens: Lens, name: string, file: string): Located<FunctionFact>[] {
  return lens.index.functionDefs(name, file);
}

/** Most definitions a word lookup returns (config variants of one function, say). */
const MAX_WORD_DEFINITIONS = 20;

/**
 * What a word means in C at that place, in the order the compiler would look: a parameter or
 * local of the function it is in, a function, a macro, a typedef, a file-scope variable.
 * `struct x` / `union x` go to the struct's definition. Fields after `->`/`.` are not
 * resolved here (their struct is the receiver's type; see the call case).
 */
export function wordDefinitions(
  lens: Lens,
  file: string,
  word: WordAt,
  fn?: Located<FunctionFact>,
): Location[] {
  const { index } = lens;
  const name = word.text;
  if (word.tagKeyword === 'struct' || word.tagKeyword === 'union') {
    const s = index.struct(`${word.tagKeyword} ${name}`, file);
    if (s) return [lens.wordLocation(s.file, s.fact.line, name)];
    // `#define sockaddr_storage __kernel_sockaddr_storage`: the tag is a macro for another.
    const macro = index.macro(name, file);
    if (!macro) return [];
    const renamed = /^\s*(\w+)\s*$/.exec(macro.fact.body)?.[1];
    const target = renamed ? index.struct(`${word.tagKeyword} ${renamed}`, file) : undefined;
    return [
      target
        ? lens.wordLocation(target.file, target.fact.line, renamed!)
        : lens.wordLocation(macro.file, macro.fact.line, name),
    ];
  }
  if (word.isField) {
    const field = fieldDefinitionAt(lens, file, word, fn);
    return field ? [field] : [];
  }
  if (fn) {
    const v =
      fn.fact.params.find((p) => p.name === name) ?? fn.fact.locals.find((l) => l.name === name);
    if (v) return [lens.wordLocation(fn.file, v.line, name)];
  }
  const defs = functionsNamed(lens, name, file);
  if (defs.length) {
    // The caller's own file wins outright (a static helper); otherwise every variant.
    const best = defs[0]!.file === file ? defs.slice(0, 1) : defs.slice(0, MAX_WORD_DEFINITIONS);
    return best.map((d) => lens.nameLocation(d));
  }
  const macro = index.macro(name, file);
  if (macro) return [lens.wordLocation(macro.file, macro.fact.line, name)];
  const typedef = index.typedef(name);
  if (typedef) return [lens.wordLocation(typedef.file, typedef.fact.line, name)];
  const global = index.global(name, file);
  if (global) return [lens.wordLocation(global.file, global.fact.line, name)];
  const init = index.initializer(name)[0];
  if (init) return [lens.wordLocation(init.file, init.fact.line, name)];
  return [];
}

/** The declaration of an initializer's field in its struct: `connect` in struct proto_ops. */
export function fieldDefinition(
  lens: Lens,
  symbol: Extract<CodeSymbol, { kind: 'initField' }>,
): Location | undefined {
  const { init, entry } = symbol;
  if (entry.path.length !== 1) return undefined;
  const s = lens.index.struct(init.fact.type.name, init.file);
  const field = s?.fact.fields.find((f) => f.name === entry.path[0]);
  return s && field ? lens.wordLocation(s.file, field.line, field.name) : undefined;
}

/** `a->b.c` written before a field, as the receiver chain the field is read from. */
const RECEIVER_CHAIN = /([A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)\s*(?:->|\.)\s*$/;

/**
 * The declaration of a field read through a plain chain (`sock->ops`, `sk->sk_prot`,
 * `inet->inet_num`): the receiver's static type from the core's type inference, then the
 * field in that struct, or the macro a field name stands for (`#define sk_prot
 * __sk_common.skc_prot`). Receivers that are calls or casts are not followed.
 */
export function fieldDefinitionAt(
  lens: Lens,
  file: string,
  word: WordAt,
  fn?: Located<FunctionFact>,
): Location | undefined {
  const line = lineOf(lens.index.readText(file), word.line) ?? '';
  const chain = RECEIVER_CHAIN.exec(line.slice(0, word.start))?.[1];
  if (!chain) return undefined;
  const names = chain.split(/\s*(?:->|\.)\s*/);
  let expr: ExprFact = { k: 'id', n: names[0]! };
  for (const f of names.slice(1)) expr = { k: 'fld', b: expr, f };
  const types = lens.graph.resolver.types;
  const scope = { file, line: word.line, ...(fn ? { fn: fn.fact } : {}) };
  const structName = types.structName(types.typeOf(expr, scope));
  if (!structName) return undefined;
  const s = lens.index.struct(structName, file);
  const field = s?.fact.fields.find((f) => f.name === word.text);
  if (s && field) return lens.wordLocation(s.file, field.line, field.name);
  const alias = s ? lens.index.macro(word.text, s.file) : undefined;
  return alias ? lens.wordLocation(alias.file, alias.fact.line, word.text) : undefined;
}
