/**
 * For people who prefer their own debugger: the QEMU command, the gdb script and a VS Code
 * launch.json (ms-vscode.cpptools' `cppdbg`) for the same run Kernel Lens does, written to a
 * folder. The files name the cached kernel, initramfs and source tree by absolute path.
 */
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import {
  breakpointCommand,
  gdbScript,
  preambleCommands,
  substitutePaths,
  type GdbSetup,
} from './gdbScript';
import { qemuArgs, QEMU, type QemuOptions } from './qemu';
import { breakpointPlan } from './stops';

export interface ExportedRun {
  readonly qemuScript: string;
  readonly gdbScript: string;
  readonly launchJson: string;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The launch.json configuration: attach cpptools' gdb to QEMU's stub on 127.0.0.1. */
export function launchConfiguration(setup: GdbSetup): Record<string, unknown> {
  return {
    name: `Kernel Lens: Linux ${setup.version} in QEMU (127.0.0.1:${setup.port})`,
    type: 'cppdbg',
    request: 'launch',
    program: setup.vmlinux,
    cwd: setup.sourceTree,
    MIMode: 'gdb',
    miDebuggerPath: 'gdb',
    miDebuggerServerAddress: `127.0.0.1:${setup.port}`,
    stopAtEntry: false,
    setupCommands: preambleCommands(setup).map((text) => ({ text, ignoreFailures: false })),
    // Breakpoints need the symbols and the target: set them once gdb is attached.
    postRemoteConnectCommands: breakpointPlan(setup.functions).map((b) => ({
      text: breakpointCommand(b, setup.comm),
    })),
    sourceFileMap: Object.fromEntries(substitutePaths(setup.version, setup.sourceTree)),
  };
}

export function exportRun(
  dir: string,
  { setup, qemu }: { setup: GdbSetup; qemu: QemuOptions },
): ExportedRun {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  const qemuScript = join(dir, 'qemu.sh');
  writeFileSync(
    qemuScript,
    [
      '#!/bin/sh',
      '# Kernel Lens live run: boots the kernel halted (-S); its gdb stub listens on 127.0.0.1 only.',
      '# Then: gdb -x kernel-lens.gdb (or the launch configuration in .vscode/launch.json), and `continue`.',
      `exec ${[QEMU, ...qemuArgs(qemu)].map(shellQuote).join(' ')}`,
      '',
    ].join('\n'),
  );
  chmodSync(qemuScript, 0o755);
  const gdbPath = join(dir, 'kernel-lens.gdb');
  writeFileSync(gdbPath, gdbScript(setup));
  const launchJson = join(dir, '.vscode', 'launch.json');
  writeFileSync(
    launchJson,
    `${JSON.stringify({ version: '0.2.0', configurations: [launchConfiguration(setup)] }, null, 2)}\n`,
  );
  return { qemuScript, gdbScript: gdbPath, launchJson };
}
