/**
 * What the navigation features share over the open tree's index: one CallGraph, the dispatch
 * profile bound to the tree, caches of the expensive reverse lookups, and the conversions
 * between the core's positions (file relative to the root, 1-based line) and LSP locations.
 *
 * Features get it with `await lensOf(ctx)`; undefined means there is no indexed tree (the
 * status bar says why), and they answer null.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location, Position, Range } from 'vscode-languageserver/node';
import { CallGraph, type CallEdge } from '../core/callGraph';
import type { FunctionFact } from '../core/facts';
import { displayName, type KernelIndex, type Located } from '../core/kernelIndex';
import { columnOf, functionAt, symbolAt, type CodeSymbol } from '../core/positions';
import { bindProfile, readProfile, type Profile } from '../core/profile';
import { packageRoot } from '../kernelSources/paths';
import type { ServerContext } from './context';

/** The profile used when the client names none (Kernel Lens is about TCP over IPv4). */
export const DEFAULT_PROFILE = 'tcp-ipv4';

/** Display languages the project's own texts exist in. */
export type Lang = 'en' | 'zh-CN';

export interface Lens {
  readonly index: KernelIndex;
  readonly graph: CallGraph;
  /** The bound profile; undefined for "none" or when it does not fit the tree (logged). */
  readonly profile: Profile | undefined;
  readonly profileName: string;
  readonly lang: Lang;
  /** file:// URI of a file of the tree. */
  uriOf(file: string): string;
  /** The file of the tree a URI names, if inside it. */
  fileOf(uri: string): string | undefined;
  /** What is at an LSP position of a document of the tree. */
  symbolAt(uri: string, position: Position): { file: string; symbol: CodeSymbol } | undefined;
  /** The range of a function's name where it is defined. */
  nameLocation(fn: Located<FunctionFact>): Location;
  /** The whole definition, first line to closing brace. */
  functionRange(fn: FunctionFact): Range;
  /** A range on one line: `length` characters from a 0-based column of a 1-based line. */
  rangeAt(line: number, col: number, length: number): Range;
  /** `name` as a word on `line` of `file` (0 when it is not there, e.g. a macro expansion). */
  wordLocation(file: string, line: number, name: string): Location;
  /** The function a call edge sits in (its caller). */
  callerOf(edge: CallEdge): Located<FunctionFact> | undefined;
  /**
   * Incoming edges of a function (CallGraph.callers), cached until a document changes: on a
   * whole tree one lookup reads every file (seconds).
   */
  callers(name: string, profile: Profile | undefined): CallEdge[];
  /** Cached callers only, for features that must stay fast (hover on a whole tree). */
  cachedCallers(name: string, profile: Profile | undefined): CallEdge[] | undefined;
  /** True when reverse lookups are cheap enough to run inside a hover. */
  readonly smallTree: boolean;
  /**
   * The profile's tables that store a function, e.g. ["tcp_prot.connect"] for tcp_v4_connect:
   * a dozen initializers, so cheap on any tree.
   */
  profileSlots(name: string): string[];
}

/** Trees up to this many files answer reverse lookups in well under a second. */
const SMALL_TREE_FILES = 5000;

const lenses = new WeakMap<ServerContext, Promise<Lens | undefined>>();

export function lensOf(ctx: ServerContext): Promise<Lens | undefined> {
  let lens = lenses.get(ctx);
  if (!lens) {
    lens = ctx.index().then((index) => (index ? createLens(ctx, index) : undefined));
    // An index that failed to open may succeed after a restart; a new context then.
    lenses.set(ctx, lens);
  }
  return lens;
}

/** "zh-cn", "zh-CN", "zh-tw"... → zh-CN (the one Chinese the project writes); else en. */
export function langOf(locale: string | undefined): Lang {
  return locale?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function createLens(ctx: ServerContext, index: KernelIndex): Lens {
  const graph = new CallGraph(index);
  const profileName = ctx.options.profile?.trim() || DEFAULT_PROFILE;
  let profile: Profile | undefined;
  let structs: string[] = [];
  if (profileName !== 'none') {
    try {
      const data = readProfile(packageRoot(), profileName);
      profile = bindProfile(index, data);
      structs = Object.keys(data.initializers);
    } catch (err) {
      // Without the profile every candidate is shown: still right, only less focused.
      const message = `Kernel Lens: profile "${profileName}" is not used: ${(err as Error).message}`;
      ctx.connection.console.warn(message);
      void ctx.connection.window.showWarningMessage(message);
    }
  }
  const root = index.root;
  const callerCache = new Map<string, CallEdge[]>();
  // Unsaved edits change calls; cached answers would go stale. Opening a file is not an
  // edit (its text is the disk's), so the version it was opened at does not clear.
  const openedAt = new Map<string, number>();
  ctx.documents.onDidOpen((e) => openedAt.set(e.document.uri, e.document.version));
  ctx.documents.onDidClose((e) => openedAt.delete(e.document.uri));
  ctx.documents.onDidChangeContent((e) => {
    if (openedAt.get(e.document.uri) !== e.document.version) callerCache.clear();
  });
  const cacheKey = (name: string, p: Profile | undefined): string => `${p?.name ?? ''}|${name}`;

  const rangeAt = (line: number, col: number, length: number): Range => ({
    start: { line: line - 1, character: col },
    end: { line: line - 1, character: col + length },
  });
  const uriOf = (file: string): string => pathToFileURL(join(root, file)).href;

  return {
    index,
    graph,
    profile,
    profileName,
    lang: langOf(ctx.options.locale),
    smallTree: index.files.length <= SMALL_TREE_FILES,
    uriOf,
    fileOf: (uri) => ctx.relativePath(uri),
    symbolAt(uri, position) {
      const file = ctx.relativePath(uri);
      if (!file || index.fileId(file) === undefined) return undefined;
      const symbol = symbolAt(index, file, position.line + 1, position.character);
      return symbol ? { file, symbol } : undefined;
    },
    nameLocation(fn) {
      // A syscall's position is its SYSCALL_DEFINEn macro; select that word.
      const length = fn.fact.syscall ? displayName(fn.fact).indexOf('(') : fn.fact.name.length;
      return { uri: uriOf(fn.file), range: rangeAt(fn.fact.line, fn.fact.col, length) };
    },
    functionRange(fn) {
      return {
        start: { line: fn.startLine - 1, character: 0 },
        end: { line: fn.endLine - 1, character: 1 },
      };
    },
    rangeAt,
    wordLocation(file, line, name) {
      const col = columnOf(index, file, line, name);
      return { uri: uriOf(file), range: rangeAt(line, col, name.length) };
    },
    callerOf(edge) {
      return functionAt(index, edge.file, edge.line);
    },
    callers(name, p) {
      const key = cacheKey(name, p);
      let edges = callerCache.get(key);
      if (!edges) {
        edges = graph.callers(name, p ? { profile: p } : {});
        callerCache.set(key, edges);
      }
      return edges;
    },
    cachedCallers(name, p) {
      return callerCache.get(cacheKey(name, p));
    },
    profileSlots(name) {
      const out: string[] = [];
      for (const struct of structs) {
        const init = profile?.initializerFor(struct);
        for (const e of init?.fact.entries ?? []) {
          if (e.value === name && e.path.length === 1) out.push(`${init!.fact.name}.${e.path[0]}`);
        }
      }
      return out;
    },
  };
}

/** "via inet_stream_ops.connect" and the like, for details and hovers. */
export function viaText(edge: { readonly via?: string | undefined }): string | undefined {
  return edge.via ? `via ${edge.via}` : undefined;
}
