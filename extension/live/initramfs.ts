/**
 * The guest's userland: an initramfs with Debian's static busybox, our test program
 * (kernel-snippets/live/kl-live.c, compiled with `gcc -static`) and an /init that brings up
 * loopback, runs the program once and powers off. Cached in ~/.cache/kernel-lens/live/initramfs/
 * by a hash of everything that goes in, so an unchanged program is not rebuilt.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec';
import { FetchError } from '../kernelSources/fetch';
import { packageRoot } from '../kernelSources/paths';
import { liveCacheDir } from './kernelImage';

/** A Debian tool is missing; the message names the package to install (no stack trace). */
export class ToolMissingError extends FetchError {}

/** The program's name in the guest, which is also its task name (comm). */
export const PROGRAM_COMM = 'kl-live';

/** What the program can do (see the comment at the top of kl-live.c). */
export const PROGRAM_MODES = ['handshake', 'refused', 'backlog'] as const;
export type ProgramMode = (typeof PROGRAM_MODES)[number];

const BUSYBOX = '/bin/busybox';

export function programSource(): string {
  return join(packageRoot(), 'kernel-snippets', 'live', `${PROGRAM_COMM}.c`);
}

/**
 * /init. The kernel hands unknown `name=value` boot parameters to init as environment
 * variables, so the QEMU command line picks the mode with `kl_live=MODE`.
 */
const INIT = `#!/bin/busybox sh
# Kernel Lens live run: mount what the program needs, bring up loopback, run it, power off.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox ip link set lo up
echo "kl-live: init starts /${PROGRAM_COMM} \${kl_live:-handshake}"
/${PROGRAM_COMM} "\${kl_live:-handshake}"
echo "kl-live: exit status $?"
/bin/busybox poweroff -f
`;

/** Builds (or finds in the cache) the initramfs; returns its path. */
export async function ensureInitramfs(log: (m: string) => void): Promise<string> {
  if (!existsSync(BUSYBOX)) {
    throw new ToolMissingError(`${BUSYBOX} is missing: apt-get install busybox-static`);
  }
  const source = readFileSync(programSource(), 'utf8');
  const busybox = statSync(BUSYBOX);
  const key = createHash('sha256')
    .update(source)
    .update(INIT)
    .update(`${busybox.size}:${busybox.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const dir = join(liveCacheDir(), 'initramfs');
  const out = join(dir, `${key}.cpio`);
  if (existsSync(out)) return out;

  mkdirSync(dir, { recursive: true });
  const root = mkdtempSync(join(dir, '.build-'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev']) mkdirSync(join(root, d));
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    writeFileSync(join(root, 'init'), INIT);
    chmodSync(join(root, 'init'), 0o755);
    log(`compiling ${PROGRAM_COMM}.c (gcc -static)…`);
    const cc = await exec('gcc', [
      '-static',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-o',
      join(root, PROGRAM_COMM),
      programSource(),
    ]);
    if (!cc.ok) {
      if (/ENOENT/.test(cc.out))
        throw new ToolMissingError('gcc is missing: apt-get install gcc libc6-dev');
      throw new ToolMissingError(`gcc could not build ${programSource()}:\n${cc.out}`);
    }
    const tmp = `${out}.${process.pid}.tmp`;
    // newc is the format the kernel unpacks; -R 0:0 so the files are root's inside the guest.
    const cpio = await exec('bash', [
      '-o',
      'pipefail',
      '-c',
      'cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet > "$2"',
      'cpio',
      root,
      tmp,
    ]);
    if (!cpio.ok) {
      rmSync(tmp, { force: true });
      if (/cpio: (command )?not found/.test(cpio.out))
        throw new ToolMissingError('cpio is missing: apt-get install cpio');
      throw new ToolMissingError(`cpio failed: ${cpio.out}`);
    }
    renameSync(tmp, out);
    log(`initramfs ${out} (${Math.round(statSync(out).size / 1024)} KiB)`);
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
