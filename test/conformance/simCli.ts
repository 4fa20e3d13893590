// Runs the simulator through its CLI (`node dist/cli.js sim ... --json`), the same way a user
// or script would, with the model configured from this host: its kernel version and every
// sysctl in force in the real run, passed as `--set name=value`.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SysctlValues } from './runner';
import type { SimOutput } from './trace';

function node(
  root: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'dist', 'cli.js'), ...args],
      { cwd: root, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Undefined when `dist/cli.js` has the `sim` command, else why not. */
export async function simUnavailableReason(root: string): Promise<string | undefined> {
  if (!existsSync(join(root, 'dist', 'cli.js'))) {
    return 'dist/cli.js is not built';
  }
  const help = await node(root, ['--help'], 30_000);
  // The usage lines read "  kernel-lens sim <scenario|list|params> ...".
  if (!/^\s*(kernel-lens\s+)?sim\b/m.test(`${help.stdout}\n${help.stderr}`)) {
    return '`kernel-lens sim` is not in dist/cli.js yet (the simulator engine has not landed)';
  }
  return undefined;
}

/** `kernel-lens sim <scenario> --set ... --seed N --json`, parsed. */
export async function runSim(
  root: string,
  scenario: string,
  params: SysctlValues,
  kernelVersion: string,
  seed = 1,
): Promise<SimOutput> {
  const args = [
    'sim',
    scenario,
    '--json',
    '--seed',
    String(seed),
    '--kernel-version',
    kernelVersion,
  ];
  for (const [k, v] of Object.entries(params)) args.push('--set', `${k}=${v}`);
  const r = await node(root, args, 120_000);
  if (r.code !== 0) {
    throw new Error(`kernel-lens ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as SimOutput;
}
