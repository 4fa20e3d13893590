/** The text scan of a list of files, shared by the index (in process) and its scan workers. */
import { join } from 'node:path';
import { statFile, type ScannedFile } from './factStore';
import { scanText, type ScanKeys } from './textScan';

export interface ScanJob {
  readonly root: string;
  readonly paths: readonly string[];
  /** The previous scan of these paths, when there was one. */
  readonly previous: readonly ScannedFile[];
}

export interface ScanResult {
  readonly files: ScannedFile[];
  readonly reused: number;
}

const EMPTY: ScanKeys = { defs: [], syscalls: [], structs: [], inits: [], sets: [] };

export function scanFiles(job: ScanJob, read: (path: string) => string): ScanResult {
  const previous = new Map(job.previous.map((f) => [f.path, f]));
  const files: ScannedFile[] = [];
  let reused = 0;
  for (const path of job.paths) {
    const st = statFile(join(job.root, path));
    if (!st) continue;
    const old = previous.get(path);
    if (old && old.size === st.size && old.mtimeMs === st.mtimeMs) {
      files.push(old);
      reused++;
      continue;
    }
    let keys = EMPTY;
    try {
      keys = scanText(read(path));
    } catch {
      // Unreadable now: it simply defines nothing.
    }
    files.push({ path, size: st.size, mtimeMs: st.mtimeMs, keys });
  }
  return { files, reused };
}
