/**
 * A line- and column-preserving normalization of kernel C, run before tree-sitter parses it.
 *
 * tree-sitter-c parses C, not the kernel's preprocessor dialect. Measured on the real trees,
 * its error recovery loses whole functions when (a) `#if`/`#else` branches each open a brace
 * (6.12's tcp_ipv4.c: `#else if (0) { #endif` turns ~2,800 lines into one ERROR node),
 * (b) `SYSCALL_DEFINEn(name, type, arg, ...) {...}` parses as a statement plus an orphan block,
 * (c) iterator macros (`list_for_each_entry(...) {`) look like a call followed by a block, and
 * (d) annotation macros (`__user`, `__acquires(x)`) sit where C allows no identifier.
 *
 * Each rewrite replaces characters in place (spaces for removed text), so every line and,
 * with one exception noted below, every column of the output is the line and column of the
 * input: positions reported from the parsed tree are positions in the real file.
 */
import { ALWAYS_DEFINED, BARE_ANNOTATIONS, CALL_ANNOTATIONS, NEVER_DEFINED } from './kernelMacros';

export interface SyscallEntry {
  /** Syscall name as written: "connect". */
  readonly name: string;
  /** The n of SYSCALL_DEFINEn. */
  readonly arity: number;
  /** COMPAT_SYSCALL_DEFINEn. */
  readonly compat: boolean;
  /** 0-based line and column of `SYSCALL_DEFINEn` in the source. */
  readonly line: number;
  readonly column: number;
}

export interface Preprocessed {
  readonly text: string;
  readonly syscalls: readonly SyscallEntry[];
}

// --- lexing: which characters are code (not comment, string or char literal)

const enum Lex {
  Code,
  LineComment,
  BlockComment,
  String,
  Char,
}

/** 1 where the character at that offset is code, 0 inside comments and literals. */
function codeMask(text: string): Uint8Array {
  const mask = new Uint8Array(text.length);
  let state = Lex.Code;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (state) {
      case Lex.Code:
        if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) state = Lex.LineComment;
        else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
          state = Lex.BlockComment;
          i++;
        } else if (c === 34 /* " */) state = Lex.String;
        else if (c === 39 /* ' */) state = Lex.Char;
        else mask[i] = 1;
        break;
      case Lex.LineComment:
        if (c === 10 && text.charCodeAt(i - 1) !== 92 /* \ */) {
          state = Lex.Code;
          mask[i] = 1;
        }
        break;
      case Lex.BlockComment:
        if (c === 42 && text.charCodeAt(i + 1) === 47) {
          state = Lex.Code;
          i++;
        }
        break;
      case Lex.String:
      case Lex.Char:
        if (c === 92) i++;
        else if ((state === Lex.String && c === 34) || (state === Lex.Char && c === 39))
          state = Lex.Code;
        else if (c === 10) state = Lex.Code; // unterminated: recover at the end of the line
        break;
    }
  }
  return mask;
}

/** Mutable character buffer with the blanking primitive every pass uses. */
class Buffer {
  readonly chars: string[];
  constructor(text: string) {
    this.chars = text.split('');
  }
  /** Replaces [from, to) with spaces, keeping newlines (and so every line number). */
  blank(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.chars[i] !== '\n') this.chars[i] = ' ';
  }
  write(at: number, s: string): void {
    for (let i = 0; i < s.length; i++) this.chars[at + i] = s[i]!;
  }
  toString(): string {
    return this.chars.join('');
  }
}

// --- pass 1: conditional compilation

interface Frame {
  /** This frame's enclosing region is kept. */
  readonly parentActive: boolean;
  /** Some branch of this #if chain was already kept. */
  anyTaken: boolean;
  /** The current branch is kept. */
  active: boolean;
}

/**
 * Whether a macro is defined, when that is known: a few never or always are, and every
 * `CONFIG_*` option is taken as built in, the way a distribution kernel enables nearly all of
 * them (`#ifndef CONFIG_IP_MULTIPLE_TABLES` stubs then give way to the real functions).
 */
function isDefined(name: string): boolean | undefined {
  if (NEVER_DEFINED.has(name)) return false;
  if (ALWAYS_DEFINED.has(name) || name.startsWith('CONFIG_')) return true;
  return undefined;
}

/**
 * Evaluates the conditions whose answer is known: `0`, `1`, `[!]defined(X)`, `#ifdef X`,
 * `[!]IS_ENABLED(CONFIG_X)` (and IS_BUILTIN, IS_REACHABLE; IS_MODULE is false: built in).
 * Everything else is undefined, and then the first branch of the chain is kept: that is the
 * configured-in code in the kernel's idiom (`#if X real #else stub #endif`).
 */
function evaluate(keyword: string, condition: string): boolean | undefined {
  const c = condition
    .replace(/\/\*.*?\*\//g, '')
    .replace(/\/\/.*$/, '')
    .trim();
  if (keyword === 'ifdef' || keyword === 'ifndef') {
    const defined = isDefined(c.split(/\s/)[0] ?? '');
    if (defined === undefined) return undefined;
    return keyword === 'ifdef' ? defined : !defined;
  }
  if (c === '0') return false;
  if (c === '1') return true;
  const m =
    /^(!?)\s*(defined|IS_ENABLED|IS_BUILTIN|IS_REACHABLE|IS_MODULE)\s*\(?\s*(\w+)\s*\)?$/.exec(c);
  if (m) {
    let value = isDefined(m[3]!);
    if (value === undefined) return undefined;
    if (m[2] === 'IS_MODULE') value = false;
    return m[1] ? !value : value;
  }
  return undefined;
}

/**
 * Keeps one branch of every `#if` chain and blanks the others and the directives themselves,
 * so the parser sees one consistent program whose braces balance.
 */
function resolveConditionals(text: string, mask: Uint8Array, buf: Buffer): void {
  const stack: Frame[] = [];
  const active = (): boolean => {
    const top = stack[stack.length - 1];
    return top ? top.active : true;
  };
  let lineStart = 0;
  while (lineStart < text.length) {
    // A logical line: physical lines joined by trailing backslashes.
    let end = text.indexOf('\n', lineStart);
    if (end < 0) end = text.length;
    while (end < text.length && text.charCodeAt(end - 1) === 92) {
      const next = text.indexOf('\n', end + 1);
      end = next < 0 ? text.length : next;
    }
    let i = lineStart;
    while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
    const isDirective = text[i] === '#' && mask[i] === 1;
    if (isDirective) {
      const m = /^#\s*(\w+)\s*([^]*)$/.exec(text.slice(i, end).replace(/\\\n/g, ' '));
      const keyword = m?.[1] ?? '';
      const condition = m?.[2] ?? '';
      let conditional = true;
      switch (keyword) {
        case 'if':
        case 'ifdef':
        case 'ifndef': {
          const parentActive = active();
          const value = evaluate(keyword, condition);
          const take = parentActive && value !== false;
          stack.push({ parentActive, anyTaken: take, active: take });
          break;
        }
        case 'elif':
        case 'elifdef':
        case 'elifndef': {
          const top = stack[stack.length - 1];
          if (top) {
            const value = evaluate(keyword === 'elif' ? 'if' : keyword.slice(2), condition);
            top.active = top.parentActive && !top.anyTaken && value !== false;
            top.anyTaken ||= top.active;
          }
          break;
        }
        case 'else': {
          const top = stack[stack.length - 1];
          if (top) {
            top.active = top.parentActive && !top.anyTaken;
            top.anyTaken = true;
          }
          break;
        }
        case 'endif':
          stack.pop();
          break;
        default:
          conditional = false;
      }
      if (conditional || !active()) buf.blank(lineStart, end);
    } else if (!active()) {
      buf.blank(lineStart, end);
    }
    lineStart = end + 1;
  }
}

// --- pass 2: annotation macros

const bareRe = new RegExp(`\\b(?:${BARE_ANNOTATIONS.join('|')})\\b`, 'g');
const callRe = new RegExp(`\\b(?:${CALL_ANNOTATIONS.join('|')})\\s*\\(`, 'g');

/** Offset just past the `)` matching the `(` at `open`, or -1. Skips non-code. */
function matchParen(text: string, mask: Uint8Array, open: number, limit = text.length): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    if (!mask[i]) continue;
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i + 1;
  }
  return -1;
}

function blankAnnotations(text: string, mask: Uint8Array, buf: Buffer): void {
  for (const m of text.matchAll(bareRe)) {
    if (mask[m.index] && !isInDirective(text, m.index)) buf.blank(m.index, m.index + m[0].length);
  }
  for (const m of text.matchAll(callRe)) {
    if (!mask[m.index] || isInDirective(text, m.index)) continue;
    const close = matchParen(text, mask, m.index + m[0].length - 1);
    if (close > 0) buf.blank(m.index, close);
  }
}

/** Whether an offset lies on a preprocessor line (a #define body is left as written). */
function isInDirective(text: string, at: number): boolean {
  let start = text.lastIndexOf('\n', at - 1) + 1;
  // Walk back over continued lines.
  while (start > 1 && text.charCodeAt(start - 2) === 92)
    start = text.lastIndexOf('\n', start - 2) + 1;
  while (text[start] === ' ' || text[start] === '\t') start++;
  return text[start] === '#';
}

// --- pass 3: SYSCALL_DEFINEn headers

/** Top-level comma offsets of the argument list in [open+1, close-1). */
function topLevelCommas(text: string, mask: Uint8Array, open: number, close: number): number[] {
  const commas: number[] = [];
  let depth = 0;
  for (let i = open + 1; i < close - 1; i++) {
    if (!mask[i]) continue;
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) commas.push(i);
  }
  return commas;
}

/**
 * `SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr, int, addrlen)` becomes
 * `long            connect( int  fd, struct sockaddr        * uservaddr, int  addrlen)`:
 * the same columns, an ordinary definition whose parameters keep their declared types.
 * SYSCALL_DEFINE0(name) has no comma to turn into `(`, so its name moves one column left.
 */
function rewriteSyscalls(text: string, mask: Uint8Array, buf: Buffer): SyscallEntry[] {
  const entries: SyscallEntry[] = [];
  const re = /^(COMPAT_)?SYSCALL_DEFINE([0-6])\(/gm;
  for (const m of text.matchAll(re)) {
    if (!mask[m.index]) continue;
    const open = m.index + m[0].length - 1;
    const close = matchParen(text, mask, open);
    if (close < 0) continue;
    const commas = topLevelCommas(text, mask, open, close);
    const nameStart =
      open + 1 + (text.slice(open + 1).length - text.slice(open + 1).trimStart().length);
    const name = /^\w+/.exec(text.slice(nameStart))?.[0];
    if (!name) continue;
    const line = countLines(text, m.index);
    entries.push({
      name,
      arity: Number(m[2]),
      compat: !!m[1],
      line,
      column: m.index - lineStartOf(text, m.index),
    });
    buf.blank(m.index, open + 1);
    buf.write(m.index, 'long');
    if (commas.length === 0) {
      // SYSCALL_DEFINE0(name): write `name()` one column to the left.
      buf.blank(nameStart, close);
      buf.write(nameStart - 1, `${name}()`);
      continue;
    }
    buf.write(commas[0]!, '(');
    // The commas after each type (the 2nd, 4th... after the name) separate type from name.
    for (let k = 1; k < commas.length; k += 2) buf.write(commas[k]!, ' ');
  }
  return entries;
}

function countLines(text: string, offset: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

// --- pass 4: iterator macros inside function bodies

const KEYWORDS = new Set([
  'if',
  'while',
  'for',
  'switch',
  'return',
  'sizeof',
  'typeof',
  '__typeof__',
  'defined',
  'else',
  'do',
  'case',
  'goto',
  'alignof',
  '_Alignof',
  '__alignof__',
  'asm',
  '__asm__',
  'volatile',
  '__volatile__',
  '_Static_assert',
  'static_assert',
]);

/**
 * Inside a body, `name(args)` directly followed by `{` or by another statement is not C: it
 * is a loop macro (`list_for_each_entry(pos, head, member) {`, `sk_for_each(sk, head)\n stmt`).
 * Writing `while` over the macro's name, padded with spaces, gives `while (pos, head, member) {`:
 * valid C with the same shape, so the loop body is parsed as a body.
 */
function rewriteLoopMacros(text: string, mask: Uint8Array, buf: Buffer): void {
  let depth = 0;
  const ident = /[A-Za-z_]\w*/y;
  for (let i = 0; i < text.length; i++) {
    if (!mask[i]) continue;
    const c = text.charCodeAt(i);
    if (c === 35 /* # */ && isInDirective(text, i)) {
      // Skip the whole directive (macro bodies have braces of their own).
      let end = text.indexOf('\n', i);
      while (end > 0 && text.charCodeAt(end - 1) === 92) end = text.indexOf('\n', end + 1);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === 123) depth++;
    else if (c === 125) depth = Math.max(0, depth - 1);
    else if (depth > 0 && isIdentStart(c) && !isIdentPart(text.charCodeAt(i - 1))) {
      ident.lastIndex = i;
      const name = ident.exec(text)?.[0] ?? '';
      const afterName = i + name.length;
      if (name.length < 5 || KEYWORDS.has(name) || buf.chars[i] === ' ') {
        i = afterName - 1;
        continue;
      }
      let j = afterName;
      while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
      if (text[j] !== '(' || !mask[j]) {
        i = afterName - 1;
        continue;
      }
      const close = matchParen(text, mask, j);
      if (close < 0) {
        i = afterName - 1;
        continue;
      }
      // What follows the argument list, skipping blanks, comments and continued lines.
      let k = close;
      while (k < text.length && (/\s/.test(text[k]!) || !mask[k])) k++;
      const next = text.charCodeAt(k);
      if (next === 123 || (isIdentStart(next) && !startsWithWord(text, k, 'else'))) {
        // Require a statement start before the macro: `;`, `{`, `}`, `)` or `else`.
        let p = i - 1;
        while (p >= 0 && (/\s/.test(text[p]!) || !mask[p])) p--;
        const prev = text[p];
        if (
          prev === ';' ||
          prev === '{' ||
          prev === '}' ||
          prev === ')' ||
          prev === ':' ||
          endsWithWord(text, p, 'else')
        ) {
          buf.write(i, 'while');
          buf.blank(i + 5, afterName);
        }
      }
      i = afterName - 1;
    }
  }
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function startsWithWord(text: string, at: number, word: string): boolean {
  return text.startsWith(word, at) && !isIdentPart(text.charCodeAt(at + word.length));
}

function endsWithWord(text: string, last: number, word: string): boolean {
  const start = last - word.length + 1;
  return start >= 0 && text.startsWith(word, start) && !isIdentPart(text.charCodeAt(start - 1));
}

// --- entry point

export function preprocess(text: string): Preprocessed {
  const mask = codeMask(text);
  const buf = new Buffer(text);
  resolveConditionals(text, mask, buf);
  // Later passes read the text with the dropped branches already blanked.
  const kept = buf.toString();
  blankAnnotations(kept, mask, buf);
  const syscalls = rewriteSyscalls(kept, mask, buf);
  rewriteLoopMacros(buf.toString(), mask, buf);
  return { text: buf.toString(), syscalls };
}
