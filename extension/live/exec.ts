/** Runs a tool to completion without a shell; never throws: a failure is { ok: false, out }. */
import { spawn } from 'node:child_process';

export function exec(
  cmd: string,
  args: readonly string[],
  cwd?: string,
): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.on('error', (e) => resolve({ ok: false, out: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ ok: code === 0, out: out.join('').trim() }));
  });
}
