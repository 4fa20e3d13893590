/**
 * Finding kernel trees that `kernel-lens fetch` put in the cache, without fetching anything.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, pinnedTree, type KernelSeries } from './manifest';
import { treesCacheDir } from './paths';

export { embeddedRoot } from './paths';

/** Written last into trees/<version>/ once a tree is completely extracted and verified. */
export const TREE_STAMP = '.kernel-lens-complete.json';

export interface TreeStamp {
  readonly series: string;
  readonly package: string;
  readonly version: string;
  readonly debSha256: string;
  readonly topDir: string;
  /** Set when the pinned version was gone and a newer one of the series was used. */
  readonly fallbackFrom?: string;
}

/** A tree registered with `kernel-lens fetch --from DIR`: trees/local-<series>.json. */
export function localTreeRecord(series: string): string {
  return join(treesCacheDir(), `local-${series}.json`);
}

/** Every complete tree of a series in the cache, the pinned version first. */
export function cachedTrees(series: string): { dir: string; stamp: TreeStamp }[] {
  const root = treesCacheDir();
  if (!existsSync(root)) return [];
  const found: { dir: string; stamp: TreeStamp }[] = [];
  for (const name of readdirSync(root)) {
    const stampPath = join(root, name, TREE_STAMP);
    if (!existsSync(stampPath)) continue;
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as TreeStamp;
    if (stamp.series === series) found.push({ dir: join(root, name, stamp.topDir), stamp });
  }
  const pinned = pinnedTree(loadManifest(), series).version;
  return found.sort(
    (a, b) =>
      Number(b.stamp.version === pinned) - Number(a.stamp.version === pinned) ||
      b.stamp.version.localeCompare(a.stamp.version, 'en', { numeric: true }),
  );
}

/**
 * The whole kernel tree of a series, for tests and benchmarks. Order: the environment
 * (`KERNEL_LENS_TREE_6_1`, `KERNEL_LENS_TREE_6_12`), a tree registered with `--from`, the
 * fetched pinned version, another fetched version of the same series.
 */
export function kernelTreePath(series: KernelSeries): string {
  const fromEnv = process.env[`KERNEL_LENS_TREE_${series.replace('.', '_')}`];
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'Makefile'))) {
      throw new Error(
        `KERNEL_LENS_TREE_${series.replace('.', '_')}=${fromEnv} is not a kernel tree`,
      );
    }
    return fromEnv;
  }
  const local = localTreeRecord(series);
  if (existsSync(local)) {
    const { path } = JSON.parse(readFileSync(local, 'utf8')) as { path: string };
    if (existsSync(join(path, 'Makefile'))) return path;
  }
  const cached = cachedTrees(series)[0];
  if (cached) return cached.dir;
  throw new Error(
    `the Linux ${series} tree has not been fetched yet: run \`node dist/cli.js fetch --trees\` ` +
      `(needs Debian's package registry once), or \`node dist/cli.js fetch --from DIR\` with an ` +
      `extracted Linux ${series} tree`,
  );
}
