/**
 * Where Kernel Lens keeps things on disk. Slow-to-fetch material (Debian packages, whole
 * kernel trees, the index cache) lives outside the checkout, keyed by version, so a fresh
 * clone reuses what the machine already has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The folder holding Kernel Lens's package.json: the checkout, or the installed extension.
 * Bundles live at different depths (dist/cli.js, dist/test/unit/x.test.js), so walk up.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (
          (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'kernel-lens'
        ) {
          return dir;
        }
      } catch {
        // Not ours (or unreadable): keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find Kernel Lens's package.json above ${__dirname}`);
    dir = parent;
  }
}

/** ~/.cache/kernel-lens (or $XDG_CACHE_HOME/kernel-lens). */
export function cacheHome(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return resolve(base, 'kernel-lens');
}

/** The per-file index cache; `KERNEL_LENS_CACHE` overrides it. */
export function indexCacheDir(): string {
  return resolve(process.env['KERNEL_LENS_CACHE'] || join(cacheHome(), 'index'));
}

/** Downloaded .deb files. */
export function debCacheDir(): string {
  return join(cacheHome(), 'debs');
}

/** Whole extracted trees: trees/<debian version>/<topDir>/. */
export function treesCacheDir(): string {
  return join(cacheHome(), 'trees');
}

/** The embedded TCP sources of 6.1, shipped inside the extension: kernel-snippets/linux-6.1/. */
export function embeddedRoot(): string {
  return join(packageRoot(), 'kernel-snippets', 'linux-6.1');
}
