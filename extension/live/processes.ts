/**
 * The processes a live run starts (QEMU, gdb) each lead their own process group, so one signal
 * to the group ends them and anything they started. Groups still alive when Node exits are
 * killed from the `exit` handler (synchronously: nothing async runs there).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const live = new Set<number>();
let exitHookInstalled = false;

/** Remembers a detached child's group, so it is killed at the latest when Node exits. */
export function track(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.add(pid);
  child.once('exit', () => live.delete(pid));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of live) signalGroup(group, 'SIGKILL');
    });
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Whether any process of the group `pgid` still exists (zombies included until reaped). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process `pid` is gone (not even a zombie). */
export function processGone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

/**
 * Ends a detached child's process group: SIGTERM, then SIGKILL after `graceMs`, then waits
 * (bounded) until the leader has been reaped and the group is empty.
 */
export async function killGroup(child: ChildProcess, graceMs = 1000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  if (groupAlive(pid)) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while ((groupAlive(pid) || !exited()) && Date.now() < deadline) await sleep(20);
  if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  const hard = Date.now() + 3000;
  while ((groupAlive(pid) || !exited()) && Date.now() < hard) await sleep(20);
  live.delete(pid);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
