/**
 * Where the index keeps what it learned about a tree: the text scan of every file (one
 * cache file per tree, reused file by file when size and mtime match) and the facts of each
 * parsed file (one cache file per content hash, shared by every tree that has that file).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileFacts } from './facts';
import { FACTS_VERSION } from './facts';
import type { ScanKeys } from './textScan';

/** Bump when scanText's output changes. */
export const SCAN_VERSION = 4;

export interface ScannedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly keys: ScanKeys;
}

interface ScanCacheFile {
  readonly version: number;
  readonly root: string;
  readonly files: readonly ScannedFile[];
}

function hash(s: string | Buffer): string {
  return createHash('sha1').update(s).digest('hex');
}

/** Writes through a temporary file so a killed process never leaves half a cache file. */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export class FactStore {
  /** `cacheDir` undefined: nothing is read from or written to disk (`--no-cache`). */
  constructor(private readonly cacheDir: string | undefined) {
    if (cacheDir) mkdirSync(join(cacheDir, 'facts'), { recursive: true });
  }

  // --- text scan

  private scanPath(root: string): string | undefined {
    return this.cacheDir ? join(this.cacheDir, `scan-${hash(root).slice(0, 16)}.json`) : undefined;
  }

  /** The previous scan of this tree, by file path; empty without a cache. */
  loadScan(root: string): Map<string, ScannedFile> {
    const path = this.scanPath(root);
    const out = new Map<string, ScannedFile>();
    if (!path || !existsSync(path)) return out;
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as ScanCacheFile;
      if (data.version !== SCAN_VERSION || data.root !== root) return out;
      for (const f of data.files) out.set(f.path, f);
    } catch {
      // A damaged cache is a cold cache.
    }
    return out;
  }

  saveScan(root: string, files: readonly ScannedFile[]): void {
    const path = this.scanPath(root);
    if (!path) return;
    const data: ScanCacheFile = { version: SCAN_VERSION, root, files };
    writeAtomic(path, JSON.stringify(data));
  }

  // --- facts

  /** Content key of a file: facts depend only on its bytes and the extractor version. */
  static contentKey(content: Buffer): string {
    return `${FACTS_VERSION}-${hash(content)}`;
  }

  loadFacts(key: string): FileFacts | undefined {
    if (!this.cacheDir) return undefined;
    const path = join(this.cacheDir, 'facts', key.slice(-2), `${key}.json`);
    if (!existsSync(path)) return undefined;
    try {
      const facts = JSON.parse(readFileSync(path, 'utf8')) as FileFacts;
      return facts.version === FACTS_VERSION ? facts : undefined;
    } catch {
      return undefined;
    }
  }

  saveFacts(key: string, facts: FileFacts): void {
    if (!this.cacheDir) return;
    const dir = join(this.cacheDir, 'facts', key.slice(-2));
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, `${key}.json`), JSON.stringify(facts));
  }
}

/** size + mtime of a file, or undefined when it vanished. */
export function statFile(path: string): { size: number; mtimeMs: number } | undefined {
  try {
    const s = statSync(path);
    return { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
  } catch {
    return undefined;
  }
}
