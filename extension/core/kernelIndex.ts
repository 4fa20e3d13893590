/**
 * The index of one kernel tree: a text scan of every file up front (cheap, cached), facts of
 * individual files on demand (tree-sitter, cached by content hash), and the lookups the
 * resolver builds on: definitions of a name, structs, typedefs, globals, macros, initializers.
 *
 * Nothing is parsed until a question needs it, so a question about `connect` on a whole tree
 * parses a few hundred files, not 45,000.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../kernelSources/paths';
import { loadC, type CLanguage, type WasmLocations } from './cParser';
import { extractFacts } from './extract';
import type {
  FileFacts,
  FunctionFact,
  InitializerFact,
  MacroFact,
  StructFact,
  TypedefFact,
  TypeRef,
  VarFact,
} from './facts';
import { FactStore, type ScannedFile } from './factStore';
import { scanFiles, type ScanJob, type ScanResult } from './scanFiles';
import {
  listSourceFiles,
  readKernelVersion,
  whyNotKernelTree,
  type KernelVersion,
} from './kernelTree';
import { scanText, type ScanKeys } from './textScan';

export interface OpenOptions {
  /** Cache folder; undefined with noCache. Default chosen by the caller (see indexCacheDir). */
  readonly cacheDir?: string;
  /** Read nothing from and write nothing to the cache: a cold run. */
  readonly noCache?: boolean;
  readonly wasm?: WasmLocations;
  /** Progress and warnings, one line each. */
  readonly log?: (message: string) => void;
  /** Called while scanning: files done of total. */
  readonly progress?: (done: number, total: number) => void;
}

/** A function definition as callers outside the core see it. */
export interface FunctionInfo {
  /** "tcp_v4_connect"; for a syscall the syscall's name, "connect". */
  readonly name: string;
  /** "tcp_v4_connect" or "SYSCALL_DEFINE3(connect)". */
  readonly display: string;
  /** Relative to the tree root, posix separators. */
  readonly file: string;
  /** 1-based line of the name; 0-based column. */
  readonly line: number;
  readonly column: number;
  readonly startLine: number;
  readonly endLine: number;
  readonly signature: string;
  readonly isStatic: boolean;
}

/** A fact together with the file it came from. */
export interface Located<T> {
  readonly file: string;
  readonly fact: T;
}

/** Files whose facts stay in memory at once (a whole tree's TCP paths touch a few thousand). */
const MAX_FACTS_IN_MEMORY = 20_000;

/** Files bigger than this are not parsed (generated tables, firmware blobs as C arrays). */
const MAX_PARSE_BYTES = 3 << 20;

export function displayName(f: FunctionFact): string {
  if (!f.syscall) return f.name;
  return `${f.syscall.compat ? 'COMPAT_' : ''}SYSCALL_DEFINE${f.syscall.arity}(${f.syscall.name})`;
}

export function functionInfo(file: string, f: FunctionFact): FunctionInfo {
  return {
    name: f.syscall ? f.syscall.name : f.name,
    display: displayName(f),
    file,
    line: f.line,
    column: f.col,
    startLine: f.startLine,
    endLine: f.endLine,
    signature: f.signature,
    isStatic: f.isStatic,
  };
}

type KeyKind = keyof ScanKeys;
const KEY_KINDS: readonly KeyKind[] = ['defs', 'syscalls', 'structs', 'inits', 'sets'];

export class KernelIndex {
  /** Every indexed file, relative to the root. */
  readonly files: readonly string[];
  /**
   * Scan keys → file ids. Most names live in one file, so a lone id is stored as a number:
   * on a whole tree (1.3M keys) that halves the time to open a warm index.
   */
  private readonly byKey: Record<KeyKind, Map<string, number | number[]>>;
  private readonly facts = new Map<number, FileFacts>();
  private readonly fileIds: Map<string, number>;
  /** Unsaved editor contents, by relative path (the language server sets these). */
  private readonly overlays = new Map<string, string>();
  /** Files that could not be read or parsed, with the reason (reported, never hidden). */
  readonly problems = new Map<string, string>();
  /** Counters for the benchmark and the status bar. */
  readonly stats = { scanned: 0, scanReused: 0, parsed: 0, factsReused: 0, scanMs: 0 };

  private constructor(
    readonly root: string,
    readonly version: KernelVersion | undefined,
    readonly language: CLanguage,
    private readonly store: FactStore,
    scanned: readonly ScannedFile[],
    private readonly log: (message: string) => void,
  ) {
    this.files = scanned.map((f) => f.path);
    this.fileIds = new Map(this.files.map((f, i) => [f, i]));
    this.byKey = {
      defs: new Map(),
      syscalls: new Map(),
      structs: new Map(),
      inits: new Map(),
      sets: new Map(),
    };
    scanned.forEach((f, id) => this.addKeys(id, f.keys));
  }

  private addKeys(id: number, keys: ScanKeys): void {
    for (const kind of KEY_KINDS) {
      const map = this.byKey[kind];
      for (const k of keys[kind]) {
        const old = map.get(k);
        if (old === undefined) map.set(k, id);
        else if (typeof old === 'number') {
          if (old !== id) map.set(k, [old, id]);
        } else if (!old.includes(id)) old.push(id);
      }
    }
  }

  /** Opens a tree: checks it is a kernel tree, loads the parser, runs (or reuses) the scan. */
  static async open(root: string, options: OpenOptions = {}): Promise<KernelIndex> {
    const why = whyNotKernelTree(root);
    if (why) throw new KernelTreeError(why);
    const log = options.log ?? (() => undefined);
    const store = new FactStore(options.noCache ? undefined : options.cacheDir);
    const c = await loadC(options.wasm);
    const started = Date.now();
    const previous = store.loadScan(root);
    const paths = listSourceFiles(root);
    const { files: scanned, reused } = await scanInParallel(
      root,
      paths,
      previous,
      options.progress,
    );
    const changed = reused !== scanned.length || previous.size !== scanned.length;
    if (changed) store.saveScan(root, scanned);
    const index = new KernelIndex(root, readKernelVersion(root), c, store, scanned, log);
    index.stats.scanned = scanned.length - reused;
    index.stats.scanReused = reused;
    index.stats.scanMs = Date.now() - started;
    log(
      `scanned ${scanned.length} files of ${root} in ${index.stats.scanMs} ms (${reused} from cache)`,
    );
    return index;
  }

  dispose(): void {
    this.facts.clear();
  }

  // --- files and facts

  fileId(path: string): number | undefined {
    return this.fileIds.get(path);
  }

  /** Replaces a file's contents with unsaved text (undefined: back to the disk). */
  setOverlay(path: string, text: string | undefined): void {
    const id = this.fileIds.get(path);
    if (text === undefined) this.overlays.delete(path);
    else this.overlays.set(path, text);
    if (id !== undefined) {
      this.facts.delete(id);
      if (text !== undefined) this.addKeys(id, scanText(text));
    }
  }

  /** The file's text as the index reads it (latin1: one char per byte, like the columns). */
  readText(path: string): string {
    return this.overlays.get(path) ?? readFileSync(join(this.root, path), 'latin1');
  }

  /** Facts of one file: from memory, from the cache by content hash, or parsed now. */
  factsOf(path: string): FileFacts | undefined {
    const id = this.fileIds.get(path);
    if (id === undefined) return undefined;
    return this.factsById(id);
  }

  private factsById(id: number): FileFacts | undefined {
    const cached = this.facts.get(id);
    if (cached) return cached;
    const path = this.files[id]!;
    if (this.problems.has(path)) return undefined;
    let content: Buffer;
    try {
      const overlay = this.overlays.get(path);
      content =
        overlay !== undefined
          ? Buffer.from(overlay, 'latin1')
          : readFileSync(join(this.root, path));
    } catch (e) {
      this.problems.set(path, `cannot read: ${(e as Error).message}`);
      return undefined;
    }
    if (content.length > MAX_PARSE_BYTES) {
      this.problems.set(
        path,
        `not parsed: ${content.length} bytes is more than ${MAX_PARSE_BYTES}`,
      );
      this.log(`${path}: ${this.problems.get(path)}`);
      return undefined;
    }
    if (content.subarray(0, 8192).includes(0)) {
      this.problems.set(path, 'not parsed: binary content');
      return undefined;
    }
    const key = FactStore.contentKey(content);
    let facts = this.store.loadFacts(key);
    if (facts) this.stats.factsReused++;
    else {
      try {
        facts = extractFacts(this.language, content.toString('latin1'));
      } catch (e) {
        this.problems.set(path, `parse failed: ${(e as Error).message}`);
        this.log(`${path}: ${this.problems.get(path)}`);
        return undefined;
      }
      this.stats.parsed++;
      this.store.saveFacts(key, facts);
    }
    this.facts.set(id, facts);
    // Bounded memory in a long-lived server: the oldest facts go first; they come back from
    // the on-disk cache (by content hash) when asked for again.
    if (this.facts.size > MAX_FACTS_IN_MEMORY) {
      const oldest = this.facts.keys().next().value;
      if (oldest !== undefined) this.facts.delete(oldest);
    }
    return facts;
  }

  /** Files whose scan has `name` under `kind`. */
  filesWith(kind: KeyKind, name: string): string[] {
    const ids = this.byKey[kind].get(name);
    if (ids === undefined) return [];
    return typeof ids === 'number' ? [this.files[ids]!] : ids.map((id) => this.files[id]!);
  }

  /** Whether the scan saw any file-scope definition of `name` (no parsing). */
  mayDefine(name: string): boolean {
    return this.byKey.defs.has(name) || this.byKey.syscalls.has(name);
  }

  // --- lookups by name

  /**
   * Definitions of a function by name, best first: the one in `fromFile` (a static helper
   * next to its caller), then .c before .h, then outside arch/.
   */
  functionDefs(name: string, fromFile?: string): Located<FunctionFact>[] {
    const out: Located<FunctionFact>[] = [];
    for (const file of this.filesWith('defs', name)) {
      for (const fact of this.factsOf(file)?.functions ?? []) {
        if (fact.name === name && !fact.syscall) out.push({ file, fact });
      }
    }
    return rank(out, fromFile);
  }

  /** SYSCALL_DEFINEn(name) definitions (native first, then compat). */
  syscallDefs(name: string): Located<FunctionFact>[] {
    const out: Located<FunctionFact>[] = [];
    for (const file of this.filesWith('syscalls', name)) {
      for (const fact of this.factsOf(file)?.functions ?? []) {
        if (fact.syscall?.name === name) out.push({ file, fact });
      }
    }
    return out.sort((a, b) => Number(a.fact.syscall!.compat) - Number(b.fact.syscall!.compat));
  }

  /**
   * What a user means by a name: "connect" → the syscall, "SYSCALL_DEFINE3(connect)" → the
   * same, "tcp_v4_connect" → the function.
   */
  resolveEntry(name: string): Located<FunctionFact>[] {
    const m = /^(?:COMPAT_)?SYSCALL_DEFINE\d\((\w+)\)$/.exec(name);
    if (m) return this.syscallDefs(m[1]!);
    // A bare syscall name means the syscall, even where some driver has a static `connect`.
    const sys = this.syscallDefs(name);
    if (sys.length) return sys;
    return this.functionDefs(name);
  }

  /** Public form of resolveEntry. */
  async findFunctions(name: string): Promise<FunctionInfo[]> {
    return this.resolveEntry(name).map(({ file, fact }) => functionInfo(file, fact));
  }

  functionsInFile(file: string): FunctionInfo[] {
    return (this.factsOf(file)?.functions ?? []).map((f) => functionInfo(file, f));
  }

  private structCache = new Map<string, Located<StructFact> | null>();

  /** The definition of "struct sock" / "union x" (the one with a body), or undefined. */
  struct(name: string, fromFile?: string): Located<StructFact> | undefined {
    if (name.includes('<anon')) {
      // Anonymous structs are only known in the file that declares them ("...@file").
      const at = name.lastIndexOf('@');
      const file = at > 0 ? name.slice(at + 1) : fromFile;
      const bare = at > 0 ? name.slice(0, at) : name;
      const hit = file ? this.factsOf(file)?.structs.find((s) => s.name === bare) : undefined;
      return hit && file ? { file, fact: hit } : undefined;
    }
    const cached = this.structCache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const tag = name.replace(/^(struct|union)\s+/, '');
    const found: Located<StructFact>[] = [];
    for (const file of this.filesWith('structs', tag)) {
      for (const fact of this.factsOf(file)?.structs ?? [])
        if (fact.name === name) found.push({ file, fact });
    }
    // The kernel's own headers first; the richest definition when a tree has several.
    found.sort(
      (a, b) =>
        Number(b.file.startsWith('include/')) - Number(a.file.startsWith('include/')) ||
        b.fact.fields.length - a.fact.fields.length,
    );
    const best = found[0];
    this.structCache.set(name, best ?? null);
    return best;
  }

  typedef(name: string): Located<TypedefFact> | undefined {
    for (const file of this.filesWith('defs', name)) {
      const t = this.factsOf(file)?.typedefs.find((x) => x.name === name);
      if (t) return { file, fact: t };
    }
    return undefined;
  }

  /** A file-scope variable: in `fromFile` first (statics), then anywhere. */
  global(name: string, fromFile?: string): Located<VarFact> | undefined {
    if (fromFile) {
      const g = this.factsOf(fromFile)?.globals.find((x) => x.name === name);
      if (g) return { file: fromFile, fact: g };
    }
    for (const file of this.filesWith('defs', name)) {
      const g = this.factsOf(file)?.globals.find((x) => x.name === name);
      if (g) return { file, fact: g };
    }
    return undefined;
  }

  macro(name: string, fromFile?: string): Located<MacroFact> | undefined {
    if (fromFile) {
      const m = this.factsOf(fromFile)?.macros.find((x) => x.name === name);
      if (m) return { file: fromFile, fact: m };
    }
    const candidates: Located<MacroFact>[] = [];
    for (const file of this.filesWith('defs', name)) {
      for (const m of this.factsOf(file)?.macros ?? [])
        if (m.name === name) candidates.push({ file, fact: m });
    }
    candidates.sort(
      (a, b) => Number(b.file.startsWith('include/')) - Number(a.file.startsWith('include/')),
    );
    return candidates[0];
  }

  /** The declared return type of a function (definition or prototype). */
  returnType(name: string, fromFile?: string): TypeRef | undefined {
    const def = this.functionDefs(name, fromFile)[0];
    if (def) return def.fact.returnType;
    for (const file of this.filesWith('defs', name)) {
      const p = this.factsOf(file)?.prototypes.find((x) => x.name === name);
      if (p) return p.returnType;
    }
    return undefined;
  }

  /** A file-scope initializer by object name ("tcp_prot"). */
  initializer(name: string): Located<InitializerFact>[] {
    const out: Located<InitializerFact>[] = [];
    for (const file of this.filesWith('defs', name)) {
      for (const i of this.factsOf(file)?.initializers ?? [])
        if (i.name === name) out.push({ file, fact: i });
    }
    return out;
  }

  /** Initializers whose struct type has this tag ("proto_ops"). */
  initializersOfType(tag: string): Located<InitializerFact>[] {
    const out: Located<InitializerFact>[] = [];
    for (const file of this.filesWith('inits', tag)) {
      for (const i of this.factsOf(file)?.initializers ?? []) {
        if (i.type.name === `struct ${tag}` || i.type.name === `union ${tag}`)
          out.push({ file, fact: i });
      }
    }
    return out;
  }

  /** Whether one file's text contains any of the needles (one read, a byte search, no parsing). */
  fileContainsAny(file: string, needles: readonly string[]): boolean {
    const overlay = this.overlays.get(file);
    if (overlay !== undefined) return needles.some((n) => overlay.includes(n));
    try {
      const content = readFileSync(join(this.root, file));
      return needles.some((n) => content.includes(Buffer.from(n, 'latin1')));
    } catch {
      return false;
    }
  }

  /** Files that contain `needle` anywhere (a plain byte search, for reverse lookups). */
  filesContaining(needle: string): string[] {
    return this.filesContainingAny([needle]);
  }

  /**
   * Files that contain at least one of the needles. ripgrep, when installed, searches a
   * whole tree on every core in a fraction of the time a read of 1.1 GB takes here; without
   * it each file is read once in this thread. Unsaved editor contents count, not the disk.
   */
  filesContainingAny(needles: readonly string[]): string[] {
    const fromRipgrep = ripgrepFiles(this.root, needles);
    if (fromRipgrep) {
      // ripgrep answers in whatever order its threads finish: back to the index's order.
      const onDisk = fromRipgrep
        .filter((f) => this.fileIds.has(f) && !this.overlays.has(f))
        .sort((a, b) => this.fileIds.get(a)! - this.fileIds.get(b)!);
      const inOverlays = [...this.overlays].filter(([, text]) =>
        needles.some((n) => text.includes(n)),
      );
      return [...onDisk, ...inOverlays.map(([f]) => f)];
    }
    const bytes = needles.map((n) => Buffer.from(n, 'latin1'));
    const out: string[] = [];
    for (const file of this.files) {
      const overlay = this.overlays.get(file);
      if (overlay !== undefined) {
        if (needles.some((n) => overlay.includes(n))) out.push(file);
        continue;
      }
      try {
        const content = readFileSync(join(this.root, file));
        if (bytes.some((b) => content.includes(b))) out.push(file);
      } catch {
        // Vanished since the scan: nothing to find there.
      }
    }
    return out;
  }
}

/**
 * `rg -l -F` over the tree's C files: relative paths containing any needle, or undefined when
 * ripgrep is not installed or fails (the caller then searches by itself).
 */
function ripgrepFiles(root: string, needles: readonly string[]): string[] | undefined {
  const args = [
    '-l',
    '-F',
    '--no-ignore',
    '--no-messages',
    '--no-config',
    '-g',
    '*.c',
    '-g',
    '*.h',
  ];
  for (const n of needles) args.push('-e', n);
  args.push('.');
  const r = spawnSync('rg', args, { cwd: root, encoding: 'latin1', maxBuffer: 256 << 20 });
  // rg exits 1 when nothing matched, 2 on errors (some unreadable file: results still good).
  if (r.error || r.status === null || r.status > 2 || (r.status === 2 && !r.stdout))
    return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => l)
    .map((l) => (l.startsWith('./') ? l.slice(2) : l));
}

/** Files per worker below which threads cost more than they save (the embedded set). */
const MIN_FILES_PER_WORKER = 4000;

/**
 * The text scan over all cores: a whole tree reads 1.1 GB, and the scan is CPU-bound once
 * the page cache is warm. Falls back to this thread when the worker bundle is absent.
 */
async function scanInParallel(
  root: string,
  paths: readonly string[],
  previous: ReadonlyMap<string, ScannedFile>,
  progress?: (done: number, total: number) => void,
): Promise<{ files: ScannedFile[]; reused: number }> {
  const workerFile = join(packageRoot(), 'dist', 'scanWorker.js');
  const workers = Math.min(availableParallelism(), Math.floor(paths.length / MIN_FILES_PER_WORKER));
  const prev = (slice: readonly string[]): ScannedFile[] =>
    slice.map((p) => previous.get(p)).filter((f): f is ScannedFile => !!f);
  // A warm scan mostly stats files and reuses their keys: threads would only copy them.
  const warm = previous.size > paths.length / 2;
  if (warm || workers < 2 || !existsSync(workerFile)) {
    progress?.(0, paths.length);
    const r = scanFiles({ root, paths, previous: prev(paths) }, (p) =>
      readFileSync(join(root, p), 'latin1'),
    );
    progress?.(paths.length, paths.length);
    return r;
  }
  // Interleaved slices: neighbouring files are alike in size (drivers/gpu headers...).
  const slices = Array.from({ length: workers }, (_, w) =>
    paths.filter((_p, i) => i % workers === w),
  );
  let done = 0;
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<ScanResult>((resolve, reject) => {
          const worker = new Worker(workerFile, {
            workerData: { root, paths: slice, previous: prev(slice) } satisfies ScanJob,
          });
          worker.once('message', (r: ScanResult) => {
            done += slice.length;
            progress?.(done, paths.length);
            resolve(r);
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`scan worker exited with code ${code}`));
          });
        }),
    ),
  );
  // Back in the order of `paths`, so file ids do not depend on the number of cores.
  const byPath = new Map<string, ScannedFile>();
  for (const r of results) for (const f of r.files) byPath.set(f.path, f);
  const files = paths.map((p) => byPath.get(p)).filter((f): f is ScannedFile => !!f);
  return { files, reused: results.reduce((n, r) => n + r.reused, 0) };
}

function rank<T extends { file: string; fact: { isStatic: boolean } }>(
  defs: T[],
  fromFile?: string,
): T[] {
  const score = (d: T): number =>
    (fromFile && d.file === fromFile ? 8 : 0) +
    // A static function is visible in its own file only; a header's static inline everywhere.
    (!d.fact.isStatic || d.file.endsWith('.h') ? 4 : 0) +
    (d.file.endsWith('.c') ? 2 : 0) +
    (d.file.startsWith('arch/') ? 0 : 1);
  return defs.sort((a, b) => score(b) - score(a));
}

/** The folder given is not a kernel tree Kernel Lens can read. */
export class KernelTreeError extends Error {}
