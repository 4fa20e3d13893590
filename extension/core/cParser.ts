/**
 * The one place that loads web-tree-sitter and the C grammar. The wasm files are copied into
 * dist/ by esbuild.mjs; callers that run from elsewhere (the language server in a .vsix)
 * pass their own locations.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser, Query } from 'web-tree-sitter';
import { packageRoot } from '../kernelSources/paths';

export interface WasmLocations {
  /** web-tree-sitter's runtime: web-tree-sitter.wasm */
  readonly runtime: string;
  /** The C grammar: tree-sitter-c.wasm */
  readonly grammar: string;
}

export function defaultWasmLocations(): WasmLocations {
  const root = packageRoot();
  const inDist = {
    runtime: join(root, 'dist', 'web-tree-sitter.wasm'),
    grammar: join(root, 'dist', 'tree-sitter-c.wasm'),
  };
  if (existsSync(inDist.runtime) && existsSync(inDist.grammar)) return inDist;
  return {
    runtime: join(root, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
    grammar: join(root, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
  };
}

export interface CLanguage {
  readonly language: Language;
  readonly parser: Parser;
  /** Compiles a query once per source text. */
  query(source: string): Query;
}

let loading: Promise<CLanguage> | undefined;

/** Initializes tree-sitter once per process; later calls share the same parser. */
export function loadC(locations: WasmLocations = defaultWasmLocations()): Promise<CLanguage> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => locations.runtime });
    const language = await Language.load(locations.grammar);
    const parser = new Parser();
    parser.setLanguage(language);
    const queries = new Map<string, Query>();
    return {
      language,
      parser,
      query(source: string): Query {
        let q = queries.get(source);
        if (!q) {
          q = new Query(language, source);
          queries.set(source, q);
        }
        return q;
      },
    };
  })();
  return loading;
}
