/**
 * What is at a position in a file of the index: the call, the initializer entry, the function
 * name or the plain word under the cursor. Editors ask by (line, column); the index answers
 * by name. This module is the bridge, built only on the index's public API (factsOf,
 * readText), so the language server and the CLI can share it.
 *
 * Positions here are the core's: `line` 1-based, `col` 0-based, in latin1 characters (one
 * per byte, as the index reads files). Kernel C is ASCII in code, so these equal LSP's
 * UTF-16 columns wherever an identifier can be.
 */
import type { CallFact, FunctionFact, InitEntry, InitializerFact } from './facts';
import type { KernelIndex, Located } from './kernelIndex';

/** A word of C under the cursor, with where it starts and ends on its line. */
export interface WordAt {
  readonly text: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** "struct" / "union" / "enum" when the word follows that keyword (`struct sock`). */
  readonly tagKeyword?: 'struct' | 'union' | 'enum';
  /** True when the word follows `->` or `.` (a field access, not a free name). */
  readonly isField: boolean;
}

/** What the cursor is on, most specific first. */
export type CodeSymbol =
  /** The callee of a call: `connect` in `sock->ops->connect(...)`, `__sys_connect_file(...)`. */
  | {
      readonly kind: 'call';
      readonly word: WordAt;
      readonly fn: Located<FunctionFact>;
      readonly call: CallFact;
    }
  /** The function named by a designated initializer: `inet_stream_connect` in `.connect = inet_stream_connect`. */
  | {
      readonly kind: 'initValue';
      readonly word: WordAt;
      readonly init: Located<InitializerFact>;
      readonly entry: InitEntry;
    }
  /** The designator of one: `connect` in `.connect = inet_stream_connect`. */
  | {
      readonly kind: 'initField';
      readonly word: WordAt;
      readonly init: Located<InitializerFact>;
      readonly entry: InitEntry;
    }
  /** The name of a function where it is defined. */
  | { readonly kind: 'functionName'; readonly word: WordAt; readonly fn: Located<FunctionFact> }
  /** Any other word; `fn` is the function the word is in, if any. */
  | { readonly kind: 'word'; readonly word: WordAt; readonly fn?: Located<FunctionFact> };

const IDENT = /[A-Za-z0-9_]/;

/** The identifier at (line, col) of `text`, or undefined on whitespace and punctuation. */
export function wordAt(text: string, line: number, col: number): WordAt | undefined {
  const lineText = lineOf(text, line);
  if (lineText === undefined) return undefined;
  // A cursor just after a word (VS Code puts it there after a double click) still counts.
  let at = col;
  if (!IDENT.test(lineText[at] ?? '') && at > 0 && IDENT.test(lineText[at - 1] ?? '')) at--;
  if (!IDENT.test(lineText[at] ?? '')) return undefined;
  let start = at;
  while (start > 0 && IDENT.test(lineText[start - 1]!)) start--;
  let end = at + 1;
  while (end < lineText.length && IDENT.test(lineText[end]!)) end++;
  const word = lineText.slice(start, end);
  if (/^\d/.test(word)) return undefined;
  const before = lineText.slice(0, start);
  const tag = /\b(struct|union|enum)\s+$/.exec(before)?.[1] as WordAt['tagKeyword'] | undefined;
  const isField = /(->|\.)\s*$/.test(before);
  return { text: word, line, start, end, ...(tag ? { tagKeyword: tag } : {}), isField };
}

/** Line `line` (1-based) of `text`, without its line break. */
export function lineOf(text: string, line: number): string | undefined {
  let from = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', from);
    if (nl < 0) return undefined;
    from = nl + 1;
  }
  const nl = text.indexOf('\n', from);
  return text.slice(from, nl < 0 ? undefined : nl).replace(/\r$/, '');
}

/** The function whose definition spans `line` in `file`. */
export function functionAt(
  index: KernelIndex,
  file: string,
  line: number,
): Located<FunctionFact> | undefined {
  const facts = index.factsOf(file);
  // Innermost first does not arise in C (no nested functions): the first hit is the one.
  const fact = facts?.functions.find((f) => f.startLine <= line && line <= f.endLine);
  return fact ? { file, fact } : undefined;
}

/** What is at (line, col) of `file`, or undefined when the cursor is not on a word. */
export function symbolAt(
  index: KernelIndex,
  file: string,
  line: number,
  col: number,
): CodeSymbol | undefined {
  const word = wordAt(index.readText(file), line, col);
  if (!word) return undefined;
  const facts = index.factsOf(file);
  const fn = functionAt(index, file, line);
  if (fn) {
    const call = fn.fact.calls.find((c) => c.line === line && c.col === word.start);
    if (call) return { kind: 'call', word, fn, call };
    if (fn.fact.line === line && fn.fact.col === word.start && fn.fact.name === word.text) {
      return { kind: 'functionName', word, fn };
    }
  }
  for (const init of facts?.initializers ?? []) {
    for (const entry of init.entries) {
      // The entry's position is the start of `.field = value`; a value may wrap to the
      // next line, so the value is matched by name on either.
      if (entry.line !== line && entry.line !== line - 1) continue;
      const located = { file, fact: init };
      if (entry.value === word.text && (entry.line === line ? word.start > entry.col : true)) {
        return { kind: 'initValue', word, init: located, entry };
      }
      if (
        entry.line === line &&
        entry.path[entry.path.length - 1] === word.text &&
        word.start >= entry.col
      ) {
        return { kind: 'initField', word, init: located, entry };
      }
    }
  }
  return { kind: 'word', word, ...(fn ? { fn } : {}) };
}

/** The 0-based column of `name` as a whole word on `line` of `file`, or 0 when absent. */
export function columnOf(index: KernelIndex, file: string, line: number, name: string): number {
  const text = lineOf(index.readText(file), line) ?? '';
  const m = new RegExp(
    `(?<![A-Za-z0-9_])${name.replace(/[^A-Za-z0-9_]/g, '')}(?![A-Za-z0-9_])`,
  ).exec(text);
  return m ? m.index : 0;
}
