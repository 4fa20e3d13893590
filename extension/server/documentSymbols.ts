/**
 * textDocument/documentSymbol: functions, syscalls (shown as `SYSCALL_DEFINE3(connect)`),
 * structs, unions, enums and ops tables with their designated initializers, from the
 * queries in kernel-snippets/queries/symbols.scm.
 */
import { DocumentSymbol, SymbolKind, type Range } from 'vscode-languageserver/node';
import type { Node, Query, Tree } from 'web-tree-sitter';
import type { ServerFeature } from './context';

export const documentSymbols: ServerFeature = {
  capabilities: { documentSymbolProvider: { label: 'Kernel Lens' } },
  register(ctx) {
    const query = ctx.query('symbols');
    ctx.connection.onDocumentSymbol((params) => {
      const doc = ctx.documents.get(params.textDocument.uri);
      if (!doc) return null;
      const tree = ctx.trees.get(doc);
      return tree ? outline(query, tree, doc.getText()) : null;
    });
  },
};

/** Symbol kinds the query captures, as the capture names spell them. */
type Kind = 'function' | 'syscall' | 'struct' | 'union' | 'enum' | 'ops' | 'field';

const SYMBOL_KIND: Record<Kind, SymbolKind> = {
  function: SymbolKind.Function,
  syscall: SymbolKind.Function,
  struct: SymbolKind.Struct,
  union: SymbolKind.Struct,
  enum: SymbolKind.Enum,
  ops: SymbolKind.Variable,
  field: SymbolKind.Field,
};

/** `SYSCALL_DEFINE3(connect,` or `COMPAT_SYSCALL_DEFINE2(foo,` at the start of a line. */
const SYSCALL_HEADER = /^\s*((?:COMPAT_)?SYSCALL_DEFINE[0-6])\(\s*(\w+)/;

interface Flat {
  readonly kind: Kind;
  readonly symbol: DocumentSymbol;
}

/**
 * The outline of one file. `source` is the document's own text (not the normalized one the
 * tree may come from): syscall names are read from it.
 */
export function outline(query: Query, tree: Tree, source: string): DocumentSymbol[] {
  const lines = source.split('\n');
  const flat: Flat[] = [];
  for (const match of query.matches(tree.rootNode)) {
    const byName = new Map(match.captures.map((c) => [c.name, c.node]));
    const kind = match.captures.find((c) => !c.name.includes('.'))?.name as Kind | undefined;
    const node = kind && byName.get(kind);
    const name = kind && byName.get(`${kind}.name`);
    if (!kind || !node || !name) continue;
    const symbol = toSymbol(kind, node, name, byName, lines);
    if (symbol) flat.push({ kind, symbol });
  }
  return nest(flat);
}

function toSymbol(
  kind: Kind,
  node: Node,
  name: Node,
  captures: Map<string, Node>,
  lines: readonly string[],
): DocumentSymbol | undefined {
  const selection = rangeOf(name);
  switch (kind) {
    case 'syscall': {
      const macro = captures.get('syscall.macro')!.text;
      const body = captures.get('syscall.body')!;
      return DocumentSymbol.create(
        `${macro}(${name.text})`,
        `sys_${name.text}`,
        SymbolKind.Function,
        { start: rangeOf(node).start, end: rangeOf(body).end },
        selection,
      );
    }
    case 'function': {
      // A normalized SYSCALL_DEFINEn header is a function definition now; name it as written.
      const header = SYSCALL_HEADER.exec(lines[node.startPosition.row] ?? '');
      if (header) {
        return DocumentSymbol.create(
          `${header[1]}(${header[2]})`,
          `sys_${header[2]}`,
          SymbolKind.Function,
          rangeOf(node),
          selection,
        );
      }
      return DocumentSymbol.create(
        name.text,
        oneLine(captures.get('function.params')?.text ?? ''),
        SymbolKind.Function,
        rangeOf(node),
        selection,
      );
    }
    case 'ops':
      return DocumentSymbol.create(
        name.text,
        `struct ${captures.get('ops.type')!.text}`,
        SymbolKind.Variable,
        rangeOf(node),
        selection,
      );
    case 'field':
      return DocumentSymbol.create(
        `.${name.text}`,
        oneLine(captures.get('field.value')?.text ?? ''),
        SymbolKind.Field,
        rangeOf(node),
        selection,
      );
    default:
      return DocumentSymbol.create(name.text, kind, SYMBOL_KIND[kind], rangeOf(node), selection);
  }
}

/**
 * Builds the hierarchy from containment: a symbol is the child of the innermost symbol whose
 * range holds it. Designated initializers survive only inside an ops table, and ops tables
 * only outside functions.
 */
function nest(flat: Flat[]): DocumentSymbol[] {
  flat.sort(
    (a, b) =>
      compare(a.symbol.range.start, b.symbol.range.start) ||
      compare(b.symbol.range.end, a.symbol.range.end),
  );
  const roots: DocumentSymbol[] = [];
  const stack: Flat[] = [];
  let last: Flat | undefined;
  for (const item of flat) {
    // The same node captured twice (two patterns agreeing) shows once.
    if (last && sameRange(last.symbol, item.symbol) && last.symbol.name === item.symbol.name) {
      continue;
    }
    last = item;
    while (
      stack.length &&
      compare(stack[stack.length - 1]!.symbol.range.end, item.symbol.range.start) <= 0
    ) {
      stack.pop();
    }
    const parent = stack[stack.length - 1];
    if (item.kind === 'field' && parent?.kind !== 'ops') continue;
    // Ops tables are file-scope; `struct msghdr msg = { .msg_flags = 0 }` in a body is not one.
    if (item.kind === 'ops' && (parent?.kind === 'function' || parent?.kind === 'syscall'))
      continue;
    if (parent) (parent.symbol.children ??= []).push(item.symbol);
    else roots.push(item.symbol);
    stack.push(item);
  }
  return roots;
}

function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

function compare(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

function sameRange(a: DocumentSymbol, b: DocumentSymbol): boolean {
  return compare(a.range.start, b.range.start) === 0 && compare(a.range.end, b.range.end) === 0;
}

/** Whitespace runs (line breaks, tabs of wrapped parameter lists) collapsed; at most 120 chars. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
