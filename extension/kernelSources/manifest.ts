/** Typed view of kernel-snippets/manifest.json: which kernel sources Kernel Lens uses. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './paths';

export type KernelSeries = '6.1' | '6.12';

export interface PinnedTree {
  readonly series: KernelSeries;
  /** Debian package, e.g. "linux-source-6.1". */
  readonly package: string;
  /** Debian version, e.g. "6.1.176-1". */
  readonly version: string;
  /** sha256 of the .deb of that version. */
  readonly debSha256: string;
  /** Path of the source tarball inside the .deb, e.g. "usr/src/linux-source-6.1.tar.xz". */
  readonly tarball: string;
  /** The tarball's top folder, e.g. "linux-source-6.1". */
  readonly topDir: string;
  /** Whether this tree provides the embedded sources. */
  readonly embedded: boolean;
}

export interface Manifest {
  readonly trees: readonly PinnedTree[];
  readonly embeddedFiles: { readonly patterns: readonly string[] };
}

export function loadManifest(): Manifest {
  const path = join(packageRoot(), 'kernel-snippets', 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (!Array.isArray(manifest.trees) || !Array.isArray(manifest.embeddedFiles?.patterns)) {
    throw new Error(`${path}: expected "trees" and "embeddedFiles.patterns"`);
  }
  return manifest;
}

export function pinnedTree(manifest: Manifest, series: string): PinnedTree {
  const tree = manifest.trees.find((t) => t.series === series);
  if (!tree) {
    const known = manifest.trees.map((t) => t.series).join(', ');
    throw new Error(`no kernel series "${series}" in the manifest (known: ${known})`);
  }
  return tree;
}

/**
 * Whether `file` (posix, relative to the tree root) is in the embedded set. A `*` in a
 * pattern matches within one path segment only.
 */
export function matchesEmbeddedPattern(patterns: readonly string[], file: string): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(file));
}

const globCache = new Map<string, RegExp>();
function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    re = new RegExp(`^${body}$`);
    globCache.set(pattern, re);
  }
  return re;
}
