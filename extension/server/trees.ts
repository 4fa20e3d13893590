/**
 * The one owner of every syntax tree the server holds.
 *
 * - An LRU cache keyed by URI; each entry remembers the document version it was parsed at,
 *   so asking again for the same version is free.
 * - A new version is parsed incrementally: the old tree is edited by the span where the
 *   (normalized) text changed, then handed to the parser as the old tree.
 * - Every tree is delete()d when it is replaced, evicted, closed or disposed: trees live in
 *   the wasm heap, which no garbage collector sees.
 * - A parse has a time budget. The pinned web-tree-sitter (0.27) has no
 *   Parser.setTimeoutMicros any more (0.25 replaced it with the progress callback), so the
 *   budget is enforced from `progressCallback`, which may return true to stop the parse.
 *
 * Trees handed out belong to this class: use them synchronously, never delete them, never
 * keep them across an `await` (the entry may be evicted or replaced meanwhile).
 */
import { Edit, type Point, type Tree } from 'web-tree-sitter';
import type { CLanguage } from '../core/cParser';

/** A document as the server sees it (vscode-languageserver-textdocument's shape). */
export interface VersionedText {
  readonly uri: string;
  readonly version: number;
  getText(): string;
}

/**
 * A line- and column-preserving rewrite of the source before parsing (blank the untaken
 * branches of #if, turn SYSCALL_DEFINEn headers into function definitions...). It must keep
 * every character at its line and column, so positions in the tree are positions in the
 * document.
 */
export type Normalizer = (text: string, uri: string) => string;

export interface TreesOptions {
  /** How many trees to keep, e.g. 64. */
  readonly capacity: number;
  /** Budget for one parse, in milliseconds. */
  readonly parseTimeoutMs: number;
  readonly normalize?: Normalizer;
}

interface Entry {
  readonly version: number;
  /** The normalized text the tree was parsed from. */
  readonly text: string;
  readonly tree: Tree;
}

export class Trees {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private readonly parser: CLanguage['parser'];

  constructor(
    c: CLanguage,
    private readonly options: TreesOptions,
  ) {
    this.parser = c.parser;
  }

  /** The tree of this version of the document, or undefined when the parse ran out of time. */
  get(doc: VersionedText): Tree | undefined {
    const old = this.entries.get(doc.uri);
    if (old && old.version === doc.version) {
      this.touch(doc.uri, old);
      return old.tree;
    }
    const raw = doc.getText();
    const text = this.options.normalize ? this.options.normalize(raw, doc.uri) : raw;
    let tree: Tree | undefined;
    if (old && old.text === text) {
      // Same text under a new version (e.g. a save): reuse the tree as it is.
      tree = old.tree;
    } else {
      let base: Tree | undefined;
      if (old) {
        // Edit a copy, so the cached tree stays valid if this parse is cancelled.
        base = old.tree.copy();
        base.edit(changedSpan(old.text, text));
      }
      tree = this.parse(text, base);
      base?.delete();
      if (!tree) return undefined;
      old?.tree.delete();
    }
    this.entries.delete(doc.uri);
    this.entries.set(doc.uri, { version: doc.version, text, tree });
    this.evict();
    return tree;
  }

  /** Forgets a document (closed, or deleted on disk). */
  delete(uri: string): void {
    const entry = this.entries.get(uri);
    if (!entry) return;
    this.entries.delete(uri);
    entry.tree.delete();
  }

  /** How many trees are held; for tests and the log. */
  get size(): number {
    return this.entries.size;
  }

  dispose(): void {
    for (const entry of this.entries.values()) entry.tree.delete();
    this.entries.clear();
  }

  private touch(uri: string, entry: Entry): void {
    this.entries.delete(uri);
    this.entries.set(uri, entry);
  }

  private evict(): void {
    while (this.entries.size > this.options.capacity) {
      const [uri] = this.entries.keys();
      this.delete(uri!);
    }
  }

  private parse(text: string, oldTree: Tree | undefined): Tree | undefined {
    const deadline = performance.now() + this.options.parseTimeoutMs;
    const tree = this.parser.parse(text, oldTree ?? null, {
      // Returning true stops the parse (the .d.ts says void; the runtime reads the result).
      progressCallback: () => performance.now() > deadline,
    });
    if (!tree) {
      // A stopped parse would otherwise resume where it stopped on the next call.
      this.parser.reset();
      return undefined;
    }
    return tree;
  }
}

/**
 * The single edit turning `before` into `after`: everything between their common prefix and
 * their common suffix. Computing it from the texts (rather than from LSP change events) keeps
 * it right when normalization changes text away from the edit, e.g. typing `#if 0`.
 */
export function changedSpan(before: string, after: string): Edit {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (
    tail < max - start &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  ) {
    tail++;
  }
  const oldEnd = before.length - tail;
  const newEnd = after.length - tail;
  const startPosition = pointAt(before, start);
  return new Edit({
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition,
    oldEndPosition: advance(before, start, oldEnd, startPosition),
    newEndPosition: advance(after, start, newEnd, startPosition),
  });
}

/** Row and column (UTF-16 units, as web-tree-sitter counts for string input) of `index`. */
function pointAt(text: string, index: number): Point {
  return advance(text, 0, index, { row: 0, column: 0 });
}

function advance(text: string, from: number, to: number, at: Point): Point {
  let { row, column } = at;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) === 10) {
      row++;
      column = 0;
    } else {
      column++;
    }
  }
  return { row, column };
}
