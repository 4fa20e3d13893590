/**
 * Turns one C file into FileFacts with tree-sitter: preprocess (line/column preserving),
 * parse, run the facts query, re-parse what error recovery lost, delete every tree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Tree } from 'web-tree-sitter';
import type { CLanguage } from './cParser';
import {
  FACTS_VERSION,
  type AssignFact,
  type CallFact,
  type ExprFact,
  type FieldFact,
  type FileFacts,
  type FunctionFact,
  type InitEntry,
  type InitializerFact,
  type MacroFact,
  type PrototypeFact,
  type StructFact,
  type TypedefFact,
  type TypeRef,
  type VarFact,
} from './facts';
import { preprocess, type SyscallEntry } from './preprocess';
import { packageRoot } from '../kernelSources/paths';

let factsQuerySource: string | undefined;
function factsQuery(): string {
  factsQuerySource ??= readFileSync(
    join(packageRoot(), 'kernel-snippets', 'queries', 'facts.scm'),
    'utf8',
  );
  return factsQuerySource;
}

/** ERROR nodes longer than this are re-parsed piecewise (see recoverErrors). */
const BIG_ERROR_LINES = 12;

// --- types and declarators

/** The type a `type:` node names, before declarators add pointers. */
function baseTypeName(node: Node | null): string {
  if (!node) return '?';
  switch (node.type) {
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier': {
      const kw = node.type.split('_')[0]!;
      const name = node.childForFieldName('name');
      return name ? `${kw} ${name.text}` : anonName(kw, node);
    }
    case 'primitive_type':
    case 'type_identifier':
      return node.text;
    case 'sized_type_specifier':
      return node.text.replace(/\s+/g, ' ');
    case 'macro_type_specifier':
      return node.text;
    default:
      return node.text.replace(/\s+/g, ' ');
  }
}

/** Anonymous structs are named by their position; the resolver looks them up per file. */
export function anonName(keyword: string, node: Node): string {
  return `${keyword} <anon ${node.startPosition.row + 1}:${node.startPosition.column}>`;
}

interface Declared {
  readonly name: string;
  readonly nameNode: Node;
  readonly ptr: number;
  readonly fn: boolean;
  readonly isArray: boolean;
  /** The parameter list when the declarator declares a function. */
  readonly params?: Node;
}

/** Unwraps a declarator down to its identifier, counting pointers, arrays and functions. */
function unwrapDeclarator(node: Node | null): Declared | undefined {
  let ptr = 0;
  let fn = false;
  let isArray = false;
  let params: Node | undefined;
  let cur: Node | null = node;
  while (cur) {
    switch (cur.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        return { name: cur.text, nameNode: cur, ptr, fn, isArray, ...(params ? { params } : {}) };
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        ptr++;
        cur = cur.childForFieldName('declarator');
        break;
      case 'array_declarator':
        ptr++;
        isArray = true;
        cur = cur.childForFieldName('declarator');
        break;
      case 'function_declarator':
        // `(*name)(args)` is a pointer to function; `name(args)` declares a function.
        if (params) fn = true;
        params ??= cur.childForFieldName('parameters') ?? undefined;
        cur = cur.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
        cur = cur.namedChild(0);
        if (params) fn = true;
        break;
      case 'init_declarator':
        cur = cur.childForFieldName('declarator');
        break;
      case 'attributed_declarator':
        cur = cur.namedChild(0);
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

function typeRef(typeNode: Node | null, d: Declared | undefined): TypeRef {
  const name = baseTypeName(typeNode);
  const ptr = d?.ptr ?? 0;
  // A parenthesized `(*f)(...)` yields fn; a pointer-to-function field is a function pointer.
  return d?.fn ? { name, ptr, fn: true } : { name, ptr };
}

/** Parameters of a function declarator as typed variables. */
function paramsOf(list: Node | undefined): VarFact[] {
  const out: VarFact[] = [];
  if (!list) return out;
  for (const p of list.namedChildren) {
    if (!p || p.type !== 'parameter_declaration') continue;
    const d = unwrapDeclarator(p.childForFieldName('declarator'));
    if (!d) continue;
    out.push({
      name: d.name,
      type: typeRef(p.childForFieldName('type'), d),
      line: d.nameNode.startPosition.row + 1,
    });
  }
  return out;
}

// --- expressions

const INDIRECT_CALL = /^INDIRECT_CALL_(?:(\d)|INET(?:_(\d))?)$/;

/** How many likely-target arguments an INDIRECT_CALL_* wrapper takes, or 0. */
function indirectHintCount(name: string): number {
  const m = INDIRECT_CALL.exec(name);
  if (!m) return 0;
  if (m[1]) return Number(m[1]);
  return m[2] ? Number(m[2]) : 2;
}

export function exprFact(node: Node | null, depth = 0, keepText = false): ExprFact {
  if (!node || depth > 40) return { k: 'other' };
  const sub = (n: Node | null): ExprFact => exprFact(n, depth + 1, keepText);
  switch (node.type) {
    case 'identifier':
      return { k: 'id', n: node.text };
    case 'field_expression': {
      const field = node.childForFieldName('field');
      return { k: 'fld', b: sub(node.childForFieldName('argument')), f: field?.text ?? '?' };
    }
    case 'parenthesized_expression':
      return sub(node.namedChild(0));
    case 'call_expression': {
      const args = node.childForFieldName('arguments');
      let a = (args?.namedChildren ?? []).map((x) => sub(x));
      if (keepText) a = mergeTypeArguments(a);
      return { k: 'call', f: sub(node.childForFieldName('function')), a };
    }
    case 'cast_expression': {
      const t = node.childForFieldName('type');
      const d = t ? abstractPointers(t.childForFieldName('declarator')) : 0;
      return {
        k: 'cast',
        t: { name: baseTypeName(t?.childForFieldName('type') ?? null), ptr: d },
        e: sub(node.childForFieldName('value')),
      };
    }
    case 'pointer_expression': {
      const op = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
      const e = sub(node.childForFieldName('argument'));
      return op === '&' ? { k: 'addr', e } : { k: 'deref', e };
    }
    case 'subscript_expression':
      return { k: 'idx', e: sub(node.childForFieldName('argument')) };
    case 'conditional_expression':
      return {
        k: 'cond',
        a: sub(node.childForFieldName('consequence')),
        b: sub(node.childForFieldName('alternative')),
      };
    case 'assignment_expression':
      return sub(node.childForFieldName('right'));
    case 'comma_expression':
      return sub(node.childForFieldName('right'));
    case 'compound_statement': {
      // A GNU statement expression `({ ...; value; })` has the type of its last statement.
      const last = node.namedChildren
        .filter((n): n is Node => !!n && n.type === 'expression_statement')
        .pop();
      return last ? sub(last.namedChild(0)) : { k: 'other' };
    }
    case 'generic_expression': {
      // `_Generic(x, T1: e1, default: e2)`: every association has the same type in the
      // kernel's accessors (container_of_const); take the last expression.
      const exprs = node.namedChildren.filter(
        (n): n is Node => !!n && /expression$/.test(n.type) && n !== node.namedChild(0),
      );
      return sub(exprs[exprs.length - 1] ?? null);
    }
    case 'type_descriptor':
    case 'struct_specifier':
    case 'type_identifier':
      return keepText ? { k: 'other', s: node.text } : { k: 'other' };
    default:
      return keepText ? { k: 'other', s: node.text.slice(0, 120) } : { k: 'other' };
  }
}

/**
 * tree-sitter splits a type passed to a macro (`container_of(p, struct tcp_sock, sk)`) into
 * an ERROR `struct` and an identifier; put the type back together.
 */
function mergeTypeArguments(args: ExprFact[]): ExprFact[] {
  const textOf = (e: ExprFact | undefined): string | undefined =>
    e?.k === 'id' ? e.n : e?.k === 'other' ? e.s : undefined;
  const out: ExprFact[] = [];
  for (let i = 0; i < args.length; i++) {
    const keyword = textOf(args[i]);
    const name = textOf(args[i + 1]);
    // Recovery splits it either way: ERROR `struct` + identifier, or `struct` + ERROR name.
    if (
      keyword &&
      /^(?:const\s+)?(?:struct|union|enum)$/.test(keyword) &&
      name &&
      /^\w+$/.test(name)
    ) {
      out.push({ k: 'other', s: `${keyword} ${name}` });
      i++;
    } else out.push(args[i]!);
  }
  return out;
}

function abstractPointers(node: Node | null): number {
  let n = 0;
  for (let cur = node; cur; cur = cur.childForFieldName('declarator')) {
    if (cur.type === 'abstract_pointer_declarator') n++;
  }
  return n;
}

/** The identifier an initializer or assignment value names: `f`, `&f`, `(type)f`. */
function valueIdentifier(node: Node | null): string | undefined {
  let cur = node;
  for (let i = 0; cur && i < 8; i++) {
    switch (cur.type) {
      case 'identifier':
        return cur.text;
      case 'pointer_expression':
        cur = cur.childForFieldName('argument');
        break;
      case 'parenthesized_expression':
        cur = cur.namedChild(0);
        break;
      case 'cast_expression':
        cur = cur.childForFieldName('value');
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

// --- per-capture extraction

interface Collected {
  functions: FunctionFact[];
  structs: StructFact[];
  globals: VarFact[];
  initializers: InitializerFact[];
  macros: MacroFact[];
  typedefs: TypedefFact[];
  prototypes: PrototypeFact[];
}

interface PendingFunction {
  readonly node: Node;
  readonly start: number;
  readonly end: number;
  readonly fact: Omit<FunctionFact, 'locals' | 'calls' | 'assigns'> & {
    locals: VarFact[];
    calls: CallFact[];
    assigns: AssignFact[];
  };
}

function isStaticDecl(node: Node): boolean {
  return node.children.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
}

function functionFact(
  node: Node,
  original: string,
  syscalls: ReadonlyMap<number, SyscallEntry>,
): PendingFunction | undefined {
  const d = unwrapDeclarator(node.childForFieldName('declarator'));
  const body = node.childForFieldName('body');
  if (!d || !d.params || !body) return undefined;
  const startLine = node.startPosition.row + 1;
  const nameLine = d.nameNode.startPosition.row + 1;
  const syscall = syscalls.get(nameLine - 1);
  // The signature as written in the file (not the preprocessed text): for a syscall that is
  // the SYSCALL_DEFINEn(...) header.
  const lines = original.split('\n', body.startPosition.row + 1);
  const header = lines.slice(node.startPosition.row, body.startPosition.row + 1);
  header[header.length - 1] = header[header.length - 1]!.slice(0, body.startPosition.column);
  const signature = header.join(' ').replace(/\s+/g, ' ').trim();
  return {
    node,
    start: node.startIndex,
    end: node.endIndex,
    fact: {
      name: d.name,
      line: nameLine,
      col: syscall ? syscall.column : d.nameNode.startPosition.column,
      startLine,
      endLine: node.endPosition.row + 1,
      isStatic: isStaticDecl(node),
      returnType: typeRef(node.childForFieldName('type'), { ...d, ptr: d.ptr, fn: false }),
      signature,
      params: paramsOf(d.params),
      locals: [],
      calls: [],
      assigns: [],
      ...(syscall
        ? { syscall: { name: syscall.name, arity: syscall.arity, compat: syscall.compat } }
        : {}),
    },
  };
}

function fieldsOf(list: Node, out: FieldFact[], depth = 0): void {
  if (depth > 8) return;
  for (const f of list.namedChildren) {
    if (!f || f.type !== 'field_declaration') continue;
    const typeNode = f.childForFieldName('type');
    const declarators = f.childrenForFieldName('declarator').filter((x): x is Node => !!x);
    if (declarators.length === 0) {
      // An anonymous struct/union member: its fields are named as if they were ours.
      const inner = typeNode?.childForFieldName('body');
      if (inner && !typeNode?.childForFieldName('name')) fieldsOf(inner, out, depth + 1);
      continue;
    }
    for (const decl of declarators) {
      const d = unwrapDeclarator(decl);
      if (d)
        out.push({
          name: d.name,
          type: typeRef(typeNode, d),
          line: d.nameNode.startPosition.row + 1,
        });
    }
  }
}

function structFact(node: Node): StructFact | undefined {
  const body = node.childForFieldName('body');
  if (!body) return undefined;
  const kw = node.type === 'union_specifier' ? 'union' : 'struct';
  const name = node.childForFieldName('name');
  const fields: FieldFact[] = [];
  fieldsOf(body, fields);
  return {
    name: name ? `${kw} ${name.text}` : anonName(kw, node),
    line: node.startPosition.row + 1,
    endLine: node.endPosition.row + 1,
    fields,
  };
}

/** Entries of a designated initializer list, recursing into nested lists and array elements. */
function initEntries(
  list: Node,
  prefix: readonly string[],
  element: number | undefined,
  out: InitEntry[],
  depth = 0,
): void {
  if (depth > 6) return;
  let position = 0;
  for (const item of list.namedChildren) {
    if (!item || item.type === 'comment') continue;
    if (item.type === 'initializer_pair') {
      const path = [...prefix];
      let index = element;
      for (const des of item.childrenForFieldName('designator')) {
        if (!des) continue;
        if (des.type === 'field_designator' || des.type === 'field_identifier') {
          path.push(des.text.replace(/^\./, ''));
        } else if (
          des.type === 'subscript_designator' &&
          prefix.length === 0 &&
          element === undefined
        ) {
          index = position;
        }
      }
      const value = item.childForFieldName('value');
      if (value?.type === 'initializer_list') initEntries(value, path, index, out, depth + 1);
      else {
        const id = valueIdentifier(value);
        if (id && path.length > prefix.length) {
          out.push({
            path,
            value: id,
            line: item.startPosition.row + 1,
            col: item.startPosition.column,
            ...(index !== undefined ? { element: index } : {}),
          });
        }
      }
    } else if (item.type === 'initializer_list' && prefix.length === 0 && element === undefined) {
      // An element of an array of structs (`inetsw_array[] = { { .ops = ... }, ... }`).
      initEntries(item, prefix, position, out, depth + 1);
    }
    position++;
  }
}

function declarationFacts(node: Node, into: Collected): void {
  const typeNode = node.childForFieldName('type');
  for (const decl of node.childrenForFieldName('declarator')) {
    if (!decl) continue;
    const d = unwrapDeclarator(decl);
    if (!d) continue;
    const line = d.nameNode.startPosition.row + 1;
    if (d.params && !d.fn) {
      into.prototypes.push({
        name: d.name,
        returnType: typeRef(typeNode, { ...d, fn: false }),
        line,
      });
      continue;
    }
    const type = typeRef(typeNode, d);
    into.globals.push({ name: d.name, type, line });
    const value = decl.type === 'init_declarator' ? decl.childForFieldName('value') : null;
    if (value?.type === 'initializer_list') {
      const entries: InitEntry[] = [];
      initEntries(value, [], undefined, entries);
      into.initializers.push({ name: d.name, type, line, isArray: d.isArray, entries });
    }
  }
}

function typedefFacts(node: Node, into: Collected): void {
  const typeNode = node.childForFieldName('type');
  for (const decl of node.childrenForFieldName('declarator')) {
    const d = unwrapDeclarator(decl);
    if (d)
      into.typedefs.push({
        name: d.name,
        type: typeRef(typeNode, d),
        line: d.nameNode.startPosition.row + 1,
      });
  }
}

function macroFact(node: Node): MacroFact | undefined {
  const name = node.childForFieldName('name');
  if (!name) return undefined;
  const paramsNode = node.childForFieldName('parameters');
  const body = (node.childForFieldName('value')?.text ?? '')
    .replace(/\\\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const params = paramsNode
    ? paramsNode.namedChildren.filter((p): p is Node => !!p).map((p) => p.text)
    : undefined;
  return {
    name: name.text,
    ...(params ? { params } : {}),
    body: body.length > 600 ? body.slice(0, 600) : body,
    line: node.startPosition.row + 1,
  };
}

/**
 * `CLASS(fd, f)(fd);` (include/linux/cleanup.h, 6.12) declares a scoped variable `f` of type
 * `class_fd_t`; it looks like a call of a call but calls nothing.
 */
function classDeclaration(node: Node): VarFact | undefined {
  const inner = node.childForFieldName('function');
  if (inner?.type !== 'call_expression' || inner.childForFieldName('function')?.text !== 'CLASS')
    return undefined;
  const [cls, variable] = (inner.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (n): n is Node => !!n,
  );
  if (cls?.type !== 'identifier' || variable?.type !== 'identifier') return undefined;
  return {
    name: variable.text,
    type: { name: `class_${cls.text}_t`, ptr: 0 },
    line: node.startPosition.row + 1,
  };
}

function callFact(node: Node): CallFact | undefined {
  const fnNode = node.childForFieldName('function');
  const argsNode = node.childForFieldName('arguments');
  if (!fnNode) return undefined;
  let args = (argsNode?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment');
  let callee = fnNode;
  let hints: string[] | undefined;
  const nHints = fnNode.type === 'identifier' ? indirectHintCount(fnNode.text) : 0;
  if (nHints > 0 && args.length > nHints) {
    // INDIRECT_CALL_2(f, f2, f1, args...) calls f, most likely f2 or f1.
    callee = args[0]!;
    hints = args
      .slice(1, 1 + nHints)
      .map((a) => valueIdentifier(a))
      .filter((x): x is string => !!x);
    args = args.slice(1 + nHints);
  }
  return {
    line: callee.startPosition.row + 1,
    col: (callee.type === 'field_expression'
      ? (callee.childForFieldName('field') ?? callee)
      : callee
    ).startPosition.column,
    callee: exprFact(callee),
    args: args.map((a) => (a.type === 'identifier' ? a.text : (valueIdentifier(a) ?? null))),
    ...(hints ? { hints } : {}),
    text: callee.text.replace(/\s+/g, ''),
  };
}

/**
 * `net_hotdata.tcp_protocol = (struct net_protocol) { .handler = tcp_v4_rcv, ... };` (6.12)
 * fills an ops table at run time with a compound literal: an initializer in all but syntax,
 * named after its left side.
 */
function compoundLiteralInitializer(node: Node): InitializerFact | undefined {
  const right = node.childForFieldName('right');
  if (right?.type !== 'compound_literal_expression') return undefined;
  const list = right.childForFieldName('value');
  const typeNode = right.childForFieldName('type');
  const left = node.childForFieldName('left');
  if (list?.type !== 'initializer_list' || !typeNode || !left) return undefined;
  const entries: InitEntry[] = [];
  initEntries(list, [], undefined, entries);
  return {
    name: left.text.replace(/\s+/g, ''),
    type: { name: baseTypeName(typeNode.childForFieldName('type')), ptr: 0 },
    line: node.startPosition.row + 1,
    isArray: false,
    entries,
  };
}

function assignFact(node: Node): AssignFact | undefined {
  const left = node.childForFieldName('left');
  const op = node.childForFieldName('operator')?.text ?? '=';
  if (!left || op !== '=') return undefined;
  const value = valueIdentifier(node.childForFieldName('right'));
  const field = left.childForFieldName('field')?.text;
  if (!value || !field) return undefined;
  return {
    line: node.startPosition.row + 1,
    col: node.startPosition.column,
    lhs: exprFact(left),
    field,
    value,
    text: `${left.text.replace(/\s+/g, '')} = ${value}`,
  };
}

/** Runs the facts query over `root` and sorts every capture into `into`. */
function collect(
  c: CLanguage,
  root: Node,
  original: string,
  syscalls: ReadonlyMap<number, SyscallEntry>,
  into: Collected,
  skip?: (n: Node) => boolean,
): void {
  const captures = c.query(factsQuery()).captures(root);
  const pending: PendingFunction[] = [];
  const bodyItems: { node: Node; name: string }[] = [];
  for (const { name, node } of captures) {
    if (skip?.(node)) continue;
    switch (name) {
      case 'function': {
        const f = functionFact(node, original, syscalls);
        if (f) pending.push(f);
        break;
      }
      case 'struct': {
        const s = structFact(node);
        if (s) into.structs.push(s);
        break;
      }
      case 'typedef':
        typedefFacts(node, into);
        break;
      case 'macro': {
        const m = macroFact(node);
        if (m) into.macros.push(m);
        break;
      }
      default:
        bodyItems.push({ node, name });
    }
  }
  // Functions do not nest: a binary search by start offset finds the one enclosing an item.
  pending.sort((a, b) => a.start - b.start);
  const owner = (n: Node): PendingFunction | undefined => {
    let lo = 0;
    let hi = pending.length - 1;
    let best: PendingFunction | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const f = pending[mid]!;
      if (f.start <= n.startIndex) {
        best = f;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best && n.endIndex <= best.end ? best : undefined;
  };
  for (const { node, name } of bodyItems) {
    const f = owner(node);
    if (name === 'declaration') {
      if (!f) declarationFacts(node, into);
      else {
        const typeNode = node.childForFieldName('type');
        for (const decl of node.childrenForFieldName('declarator')) {
          const d = unwrapDeclarator(decl);
          if (d && !(d.params && !d.fn))
            f.fact.locals.push({
              name: d.name,
              type: typeRef(typeNode, d),
              line: d.nameNode.startPosition.row + 1,
            });
        }
      }
    } else if (name === 'call' && f) {
      const scoped = classDeclaration(node);
      if (scoped) f.fact.locals.push(scoped);
      const call = scoped ? undefined : callFact(node);
      if (call) f.fact.calls.push(call);
    } else if (name === 'assign' && f) {
      const literal = compoundLiteralInitializer(node);
      if (literal) into.initializers.push(literal);
      const a = assignFact(node);
      if (a) f.fact.assigns.push(a);
    }
  }
  for (const f of pending) into.functions.push(f.fact);
}

// --- error recovery

interface LineSpan {
  readonly from: number;
  readonly to: number;
}

/** ERROR nodes spanning more than BIG_ERROR_LINES lines (outermost only). */
function bigErrors(root: Node): LineSpan[] {
  const spans: LineSpan[] = [];
  const walk = (n: Node): void => {
    if (n.type === 'ERROR' && n.endPosition.row - n.startPosition.row > BIG_ERROR_LINES) {
      spans.push({ from: n.startPosition.row, to: n.endPosition.row });
      return;
    }
    if (!n.hasError) return;
    for (const ch of n.children) if (ch) walk(ch);
  };
  walk(root);
  return spans;
}

/**
 * Re-parses the lines of a big ERROR node piece by piece. Kernel style closes every
 * top-level definition with a `}` (or `};`) in column 0; cutting there gives pieces that
 * parse on their own, so one bad construct costs one definition, not the rest of the file.
 */
function recoverErrors(
  c: CLanguage,
  text: string,
  lineStarts: readonly number[],
  spans: readonly LineSpan[],
  original: string,
  syscalls: ReadonlyMap<number, SyscallEntry>,
  into: Collected,
): number {
  let lostLines = 0;
  for (const span of spans) {
    let pieceStart = span.from;
    for (let row = span.from; row <= span.to; row++) {
      const lineText = text.slice(lineStarts[row], lineStarts[row + 1] ?? text.length);
      const closes = /^\}/.test(lineText);
      if (!closes && row !== span.to) continue;
      const startIndex = lineStarts[pieceStart]!;
      const endIndex = lineStarts[row + 1] ?? text.length;
      const tree = c.parser.parse(text, null, {
        includedRanges: [
          {
            startIndex,
            endIndex,
            startPosition: { row: pieceStart, column: 0 },
            endPosition: { row: row + 1, column: 0 },
          },
        ],
      });
      if (tree) {
        try {
          collect(c, tree.rootNode, original, syscalls, into);
          lostLines += errorLines(tree.rootNode);
        } finally {
          tree.delete();
        }
      }
      pieceStart = row + 1;
    }
  }
  return lostLines;
}

function errorLines(root: Node): number {
  let lines = 0;
  const walk = (n: Node): void => {
    if (n.type === 'ERROR') {
      lines += n.endPosition.row - n.startPosition.row + 1;
      return;
    }
    if (!n.hasError) return;
    for (const ch of n.children) if (ch) walk(ch);
  };
  walk(root);
  return lines;
}

// --- entry point

export function extractFacts(c: CLanguage, original: string): FileFacts {
  const { text, syscalls } = preprocess(original);
  const byLine = new Map(syscalls.map((s) => [s.line, s]));
  const into: Collected = {
    functions: [],
    structs: [],
    globals: [],
    initializers: [],
    macros: [],
    typedefs: [],
    prototypes: [],
  };
  let tree: Tree | null = null;
  let lost = 0;
  try {
    tree = c.parser.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree');
    const spans = bigErrors(tree.rootNode);
    const inSpan = (n: Node): boolean =>
      spans.some((s) => n.startPosition.row >= s.from && n.endPosition.row <= s.to);
    collect(c, tree.rootNode, original, byLine, into, spans.length ? inSpan : undefined);
    lost = errorLines(tree.rootNode);
    if (spans.length) {
      const lineStarts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
        lineStarts.push(i + 1);
      const spanLines = spans.reduce((n, s) => n + s.to - s.from + 1, 0);
      lost = lost - spanLines + recoverErrors(c, text, lineStarts, spans, original, byLine, into);
    }
  } finally {
    tree?.delete();
  }
  return { version: FACTS_VERSION, ...into, errorLines: Math.max(0, lost) };
}

/**
 * Parses a macro's replacement text as an expression, keeping the text of what is not one
 * (a type name passed as an argument: `container_of(p, struct tcp_sock, sk)`).
 */
export function parseExpressionText(c: CLanguage, text: string): ExprFact {
  // No parentheses around the text: `(f(p, struct x))` would parse as a cast to a function type.
  const tree = c.parser.parse(
    `void __kernel_lens_macro(void) { __kernel_lens_value = ${text}\n; }`,
  );
  if (!tree) return { k: 'other' };
  try {
    const assign = tree.rootNode.descendantsOfType('assignment_expression')[0];
    return exprFact(assign?.childForFieldName('right') ?? null, 0, true);
  } finally {
    tree.delete();
  }
}
