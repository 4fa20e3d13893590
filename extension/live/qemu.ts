/**
 * Boots the kernel in QEMU, halted (-S) until gdb attaches to its stub on 127.0.0.1 only.
 * TCG, not KVM: /dev/kvm exists on these machines but QEMU aborts or hangs with it
 * (../shared/docs/live-kernel.md). QEMU leads its own process group and is tracked, so it
 * ends on cancel, on error and when Node exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ToolMissingError, type ProgramMode } from './initramfs';
import { killGroup, track } from './processes';

export const QEMU = 'qemu-system-x86_64';

export interface QemuOptions {
  readonly vmlinuz: string;
  readonly initrd: string;
  readonly mode: ProgramMode;
  /** The gdb stub's port on 127.0.0.1. */
  readonly port: number;
  /** The guest's serial console is written here. */
  readonly serialLog: string;
}

/** QEMU's arguments. `-gdb tcp:127.0.0.1:PORT`, never `-s`, which listens on every interface. */
export function qemuArgs(o: QemuOptions): string[] {
  return [
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    '512',
    '-kernel',
    o.vmlinuz,
    '-initrd',
    o.initrd,
    // nokaslr: vmlinux's addresses hold only if the kernel is not relocated.
    '-append',
    `console=ttyS0 nokaslr quiet panic=-1 kl_live=${o.mode}`,
    '-display',
    'none',
    '-no-reboot',
    '-nic',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${o.serialLog}`,
    '-gdb',
    `tcp:127.0.0.1:${o.port}`,
    '-S',
  ];
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for QEMU to take). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/**
 * `sh -c WATCHDOG name qemu args...`: starts QEMU, kills it when stdin closes (Node is gone),
 * exits with QEMU's status when QEMU ends first.
 */
const WATCHDOG = [
  // A background command's stdin is /dev/null in a non-interactive shell: keep ours on fd 3.
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'q=$!',
  '(cat <&3 >/dev/null; if kill -0 $$ 2>/dev/null; then kill -KILL "$q" 2>/dev/null; fi) &',
  'exec 3<&-',
  'wait "$q"',
].join('\n');

export class QemuProcess {
  readonly child: ChildProcess;
  private readonly stderr: string[] = [];
  private spawnError: Error | undefined;

  constructor(readonly options: QemuOptions) {
    // QEMU runs under a small shell that leads the process group and watches its stdin, a
    // pipe Node holds: when Node goes, however it goes (SIGKILL included, where no exit hook
    // runs), the pipe closes and the shell kills QEMU.
    this.child = spawn('sh', ['-c', WATCHDOG, 'kernel-lens-qemu', QEMU, ...qemuArgs(options)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    track(this.child);
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    this.child.on('error', (e) => {
      this.spawnError = e;
    });
    // QEMU is done: let the watchdog's `cat` end too.
    this.child.on('exit', () => this.child.stdin?.destroy());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why QEMU is not running, if it is not (spawn failure or early exit with its message). */
  problem(): Error | undefined {
    if (this.spawnError) return this.spawnError;
    if (this.child.exitCode === 127) {
      return new ToolMissingError(`${QEMU} is missing: apt-get install qemu-system-x86`);
    }
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return new Error(
        `QEMU exited (${this.child.signalCode ?? `code ${this.child.exitCode}`}): ${this.stderr.join('').trim().slice(-500)}`,
      );
    }
    return undefined;
  }

  /** Resolves when QEMU exits by itself (the guest powered off), or after `ms`; true if it exited. */
  waitExit(ms: number): Promise<boolean> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  kill(): Promise<void> {
    return killGroup(this.child);
  }
}
