/**
 * The fast text scan: which files can matter for a name, found without parsing.
 *
 * A whole tree is 55k files and 1.2 GB; tree-sitter reads about 3 MB/s, so parsing all of it
 * would take minutes. Kernel style makes definitions easy to spot in text: a function, a
 * global, an ops-table initializer or a struct starts in column 0. One regex pass per file
 * records the names it may define and the fields it may set to a function; queries then
 * parse only the files whose keys match. False positives cost a parse; the patterns are
 * written to avoid false negatives.
 */
import { BARE_ANNOTATIONS } from './kernelMacros';

/** What one file may hold, by name. */
export interface ScanKeys {
  /** Names defined at file scope: functions, macros, globals, typedefs. */
  readonly defs: readonly string[];
  /** Syscalls defined with SYSCALL_DEFINEn(name, ...). */
  readonly syscalls: readonly string[];
  /** Struct and union tags with a body here ("sock" for `struct sock {`). */
  readonly structs: readonly string[];
  /** Struct types of file-scope initializers (`struct proto_ops inet_stream_ops = {`). */
  readonly inits: readonly string[];
  /** Fields set to an identifier: `.connect = f`, `->sk_data_ready = f`. */
  readonly sets: readonly string[];
}

const KEYWORDS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'return',
  'sizeof',
  'typeof',
  'static',
  'const',
  'struct',
  'union',
  'enum',
  'unsigned',
  'signed',
  'int',
  'long',
  'char',
  'void',
  'short',
  'extern',
  'inline',
  'typedef',
  'volatile',
  'register',
  'do',
  'else',
  'case',
  'default',
  'goto',
  'bool',
  'u8',
  'u16',
  'u32',
  'u64',
  'float',
  'double',
  'auto',
  '__attribute__',
]);

const ANNOTATION_WORDS = new RegExp(`\\b(?:${BARE_ANNOTATIONS.join('|')})\\b`, 'g');
const COMPOUND_LITERAL = /^\(struct\s+(\w+)\s*\)\s*\{/;
const FIRST_CALL = /([A-Za-z_]\w*)\s*\(/;
const SYSCALL = /^(?:COMPAT_)?SYSCALL_DEFINE\d\(\s*(\w+)/;
const STRUCT_HEAD = /^(?:typedef\s+)?(?:struct|union)\s+(\w+)\s*(?:\{|$)/;
const STRUCT_TYPE = /\b(?:struct|union)\s+(\w+)/;
const LAST_DECLARED = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:=|;|$)/;
const TYPEDEF_END = /^\}\s*(\w+)\s*;/;
const FUNCTION_POINTER = /\(\s*\*\s*(\w+)\s*\)/;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** One column-0 line: a definition's first line, or a global's. */
function scanColumn0(line: string, keys: MutableKeys): void {
  const sys = SYSCALL.exec(line);
  if (sys) {
    keys.syscalls.add(sys[1]!);
    return;
  }
  const head = STRUCT_HEAD.exec(line);
  if (head) {
    keys.structs.add(head[1]!);
    if (!line.includes('=')) return;
  }
  if (line.charCodeAt(0) === 125 /* } */) {
    const end = TYPEDEF_END.exec(line);
    if (end) keys.defs.add(end[1]!);
    return;
  }
  const paren = line.indexOf('(');
  const eq = line.indexOf('=');
  if (paren >= 0 && (eq < 0 || paren < eq)) {
    // A function (definition or prototype), a macro invocation, or a function pointer.
    const call = FIRST_CALL.exec(line);
    if (call && !KEYWORDS.has(call[1]!)) keys.defs.add(call[1]!);
    const fp = FUNCTION_POINTER.exec(line);
    if (fp) keys.defs.add(fp[1]!);
    return;
  }
  // A global, an initializer, a typedef: the last name before `=`, `[` or `;`, once
  // annotations are gone (`static struct tcp_congestion_ops cubictcp __read_mostly = {`).
  const upto = (eq >= 0 ? line.slice(0, eq + 1) : line).replace(ANNOTATION_WORDS, ' ');
  const decl = LAST_DECLARED.exec(upto);
  if (decl && !KEYWORDS.has(decl[1]!)) keys.defs.add(decl[1]!);
  if (eq >= 0) {
    const t = STRUCT_TYPE.exec(line.slice(0, eq));
    if (t) keys.inits.add(t[1]!);
  }
}

/**
 * Every `= ident` whose left side ends in `.field` or `->field` (designated initializers and
 * function-pointer assignments). Walks the `=` signs instead of running a regex at every
 * offset: on a whole tree this is the difference between seconds and tens of seconds.
 */
function scanFieldSets(text: string, keys: MutableKeys): void {
  for (let eq = text.indexOf('='); eq >= 0; eq = text.indexOf('=', eq + 1)) {
    const next = text.charCodeAt(eq + 1);
    if (next === 61 /* == */) {
      eq++;
      continue;
    }
    const prev = text.charCodeAt(eq - 1);
    // Skip !=, <=, >=, +=, |=, ...
    if (
      prev === 33 ||
      prev === 60 ||
      prev === 62 ||
      prev === 43 ||
      prev === 45 ||
      prev === 42 ||
      prev === 47 ||
      prev === 124 ||
      prev === 38 ||
      prev === 94 ||
      prev === 37 ||
      prev === 61
    )
      continue;
    // Right side: optional blanks, `&`, a cast, then an identifier.
    let r = eq + 1;
    while (isBlank(text.charCodeAt(r))) r++;
    if (text.charCodeAt(r) === 38) r++;
    while (isBlank(text.charCodeAt(r))) r++;
    if (text.charCodeAt(r) === 40 /* ( */) {
      const close = text.indexOf(')', r);
      if (close < 0 || close - r > 80) continue;
      r = close + 1;
      while (isBlank(text.charCodeAt(r))) r++;
    }
    if (!isIdentStart(text.charCodeAt(r))) continue;
    // Left side: blanks, the field name, then `.` or `->`.
    let l = eq - 1;
    while (isBlank(text.charCodeAt(l))) l--;
    const fieldEnd = l + 1;
    while (l >= 0 && isIdentPart(text.charCodeAt(l))) l--;
    if (l + 1 === fieldEnd) continue;
    let d = l;
    while (isBlank(text.charCodeAt(d))) d--;
    const c = text.charCodeAt(d);
    if (c === 46 /* . */ || (c === 62 /* > */ && text.charCodeAt(d - 1) === 45)) {
      keys.sets.add(text.slice(l + 1, fieldEnd));
    }
  }
}

/**
 * `#define name(` or `#define name ident...`: macros that may be accessors or field aliases.
 * Register-number defines (`#define mmREG 0x1234`, hundreds of thousands in drivers/gpu) are
 * skipped. Hand-written: on a whole tree a regex here costs seconds.
 */
function scanDefine(text: string, afterHash: number, keys: MutableKeys): void {
  let i = afterHash;
  while (isBlank(text.charCodeAt(i))) i++;
  if (!text.startsWith('define', i) || !isBlank(text.charCodeAt(i + 6))) return;
  i += 7;
  while (isBlank(text.charCodeAt(i))) i++;
  const nameStart = i;
  while (isIdentPart(text.charCodeAt(i))) i++;
  if (i === nameStart) return;
  const after = text.charCodeAt(i);
  if (after !== 40 /* ( */) {
    let j = i;
    while (isBlank(text.charCodeAt(j))) j++;
    if (j === i || !isIdentStart(text.charCodeAt(j))) return;
  }
  keys.defs.add(text.slice(nameStart, i));
}

interface MutableKeys {
  defs: Set<string>;
  syscalls: Set<string>;
  structs: Set<string>;
  inits: Set<string>;
  sets: Set<string>;
}

export function scanText(text: string): ScanKeys {
  const keys: MutableKeys = {
    defs: new Set(),
    syscalls: new Set(),
    structs: new Set(),
    inits: new Set(),
    sets: new Set(),
  };
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const c = text.charCodeAt(start);
    if (isIdentStart(c) || c === 125 /* } */) {
      scanColumn0(text.slice(start, end), keys);
    } else if (c === 35 /* # */ || isBlank(c)) {
      let i = start;
      while (isBlank(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 35) scanDefine(text, i + 1, keys);
    }
    start = end + 1;
  }
  scanFieldSets(text, keys);
  // Compound literals filling an ops table in a body: `x = (struct net_protocol) {`.
  for (let i = text.indexOf('(struct '); i >= 0; i = text.indexOf('(struct ', i + 8)) {
    const m = COMPOUND_LITERAL.exec(text.slice(i, i + 120));
    if (m) keys.inits.add(m[1]!);
  }
  return {
    defs: [...keys.defs],
    syscalls: [...keys.syscalls],
    structs: [...keys.structs],
    inits: [...keys.inits],
    sets: [...keys.sets],
  };
}
