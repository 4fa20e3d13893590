/**
 * workspace/symbol over the whole index: functions, syscalls, structs, macros, typedefs,
 * globals and ops tables whose name starts with the query (case-insensitive), at most
 * MAX_SYMBOLS of them, shortest names first.
 *
 * The names come from the index's text scan as the core saved it in its cache (one read of
 * scan-<tree>.json, kept in memory): the index itself answers by exact name only. Only the
 * files of the matching names are parsed (facts are cached by content hash).
 */
import { SymbolKind, type SymbolInformation } from 'vscode-languageserver/node';
import { FactStore } from '../core/factStore';
import type { KernelIndex } from '../core/kernelIndex';
import { displayName } from '../core/kernelIndex';
import { indexCacheDir } from '../kernelSources/paths';
import type { ServerFeature } from './context';
import { lensOf, type Lens } from './lens';

/** Symbols returned for one query; VS Code filters and ranks them further. */
export const MAX_SYMBOLS = 200;
/** Names looked at for one query (each may be defined in several files). */
const MAX_NAMES = 100;
/** Files parsed for one query: a cold cache parses each (tens of ms), so this bounds the wait. */
const MAX_FILES = 300;

export const workspaceSymbols: ServerFeature = {
  capabilities: { workspaceSymbolProvider: true },
  register(ctx) {
    let table: NameTable | undefined;
    ctx.connection.onWorkspaceSymbol(async (params): Promise<SymbolInformation[] | null> => {
      const lens = await lensOf(ctx);
      if (!lens) return null;
      table ??= NameTable.load(lens.index);
      return symbolsMatching(lens, table, params.query);
    });
  },
};

/** Every name the scan saw defined, sorted, with the files defining it. */
export class NameTable {
  private constructor(
    /** Names as written, sorted by their lower-case form. */
    private readonly sorted: readonly string[],
    /** The same names lower-cased, in the same order (what the search compares). */
    private readonly lower: readonly string[],
    private readonly files: ReadonlyMap<string, readonly string[]>,
  ) {}

  static load(index: KernelIndex): NameTable {
    const files = new Map<string, string[]>();
    const add = (name: string, file: string): void => {
      const list = files.get(name);
      if (list) {
        if (!list.includes(file)) list.push(file);
      } else files.set(name, [file]);
    };
    for (const scanned of new FactStore(indexCacheDir()).loadScan(index.root).values()) {
      if (index.fileId(scanned.path) === undefined) continue;
      for (const n of scanned.keys.defs) add(n, scanned.path);
      for (const n of scanned.keys.syscalls) add(n, scanned.path);
      for (const n of scanned.keys.structs) add(n, scanned.path);
    }
    // Lower-case once: a whole tree has about a million names.
    const keyed = [...files.keys()].map((name) => ({ name, lower: name.toLowerCase() }));
    keyed.sort((a, b) => cmp(a.lower, b.lower));
    return new NameTable(
      keyed.map((k) => k.name),
      keyed.map((k) => k.lower),
      files,
    );
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Names starting with `prefix` (case-insensitive), shortest first, at most `limit`. */
  withPrefix(prefix: string, limit: number): { name: string; files: readonly string[] }[] {
    const p = prefix.toLowerCase();
    // Binary search for the first name >= prefix.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.lower[mid]!, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    const hits: string[] = [];
    for (let i = lo; i < this.sorted.length && this.lower[i]!.startsWith(p); i++) {
      hits.push(this.sorted[i]!);
      // Enough to pick the shortest `limit` from, without walking a million names for "s".
      if (hits.length >= limit * 50) break;
    }
    hits.sort((a, b) => a.length - b.length || cmp(a, b));
    return hits.slice(0, limit).map((name) => ({ name, files: this.files.get(name) ?? [] }));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function symbolsMatching(lens: Lens, table: NameTable, query: string): SymbolInformation[] {
  const prefix = query.trim();
  if (!prefix) return [];
  const out: SymbolInformation[] = [];
  let visited = 0;
  for (const { name, files } of table.withPrefix(prefix, MAX_NAMES)) {
    for (const file of files) {
      if (++visited > MAX_FILES) return out;
      const facts = lens.index.factsOf(file);
      if (!facts) continue;
      const push = (label: string, kind: SymbolKind, line: number, detail?: string): void => {
        out.push({
          name: label,
          kind,
          location: lens.wordLocation(file, line, name),
          ...(detail ? { containerName: detail } : {}),
        });
      };
      for (const f of facts.functions) {
        if (f.syscall ? f.syscall.name === name : f.name === name) {
          out.push({
            name: displayName(f),
            kind: SymbolKind.Function,
            location: lens.nameLocation({ file, fact: f }),
            containerName: file,
          });
        }
      }
      for (const s of facts.structs) {
        if (s.name === `struct ${name}` || s.name === `union ${name}`)
          push(s.name, SymbolKind.Struct, s.line, file);
      }
      for (const i of facts.initializers)
        if (i.name === name) push(name, SymbolKind.Variable, i.line, `${i.type.name} · ${file}`);
      for (const m of facts.macros)
        if (m.name === name) push(name, SymbolKind.Constant, m.line, file);
      for (const t of facts.typedefs)
        if (t.name === name) push(name, SymbolKind.TypeParameter, t.line, file);
      for (const g of facts.globals) {
        if (g.name === name && !facts.initializers.some((i) => i.name === name))
          push(name, SymbolKind.Variable, g.line, file);
      }
      if (out.length >= MAX_SYMBOLS) return out.slice(0, MAX_SYMBOLS);
    }
  }
  return out;
}
