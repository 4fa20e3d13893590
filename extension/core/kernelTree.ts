/**
 * What a kernel tree is, and which of its files the index reads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
  readonly sublevel: number;
  /** e.g. "6.1.176" */
  readonly text: string;
}

/** Reads VERSION / PATCHLEVEL / SUBLEVEL from the tree's top Makefile. */
export function readKernelVersion(root: string): KernelVersion | undefined {
  const makefile = join(root, 'Makefile');
  if (!existsSync(makefile)) return undefined;
  const head = readFileSync(makefile, 'latin1').slice(0, 4096);
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}\\s*=\\s*(\\d+)`, 'm').exec(head);
    return m ? Number(m[1]) : undefined;
  };
  const major = field('VERSION');
  const minor = field('PATCHLEVEL');
  if (major === undefined || minor === undefined) return undefined;
  const sublevel = field('SUBLEVEL') ?? 0;
  return { major, minor, sublevel, text: `${major}.${minor}.${sublevel}` };
}

/**
 * Why `root` is not a kernel tree Kernel Lens can read, or undefined when it is. A tree needs
 * the socket layer; a whole tree also has its top Makefile (the embedded set keeps it too).
 */
export function whyNotKernelTree(root: string): string | undefined {
  if (!existsSync(root)) return `${root} does not exist`;
  if (!existsSync(join(root, 'net', 'socket.c'))) {
    return `${root} is not a Linux kernel tree (no net/socket.c)`;
  }
  if (!existsSync(join(root, 'include'))) return `${root} is not a Linux kernel tree (no include/)`;
  return undefined;
}

/**
 * Top-level folders never indexed. `tools/` and `scripts/` carry user-space copies of kernel
 * headers (tools/include/linux/list.h...), which would give every struct a second definition;
 * the rest holds no kernel C.
 */
const SKIPPED_TOP = new Set([
  'tools',
  'scripts',
  'Documentation',
  'samples',
  'usr',
  'LICENSES',
  '.git',
]);

/**
 * Architectures other than the one modelled define the same functions again. The profile is
 * x86-64 (what Debian's amd64 kernel and the live-kernel runs are).
 */
const INDEXED_ARCH = 'x86';

/** Every .c / .h file the index reads, relative to the root, posix separators. */
export function listSourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!rel && SKIPPED_TOP.has(e.name)) continue;
        if (rel === 'arch' && e.name !== INDEXED_ARCH) continue;
        if (e.name.startsWith('.')) continue;
        walk(path);
      } else if (e.isFile() && (e.name.endsWith('.c') || e.name.endsWith('.h'))) {
        out.push(path);
      }
    }
  };
  walk('');
  return out;
}
