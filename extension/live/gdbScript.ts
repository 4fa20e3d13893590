/**
 * The gdb set-up of a live run, written once as CLI commands: the session sends them over MI
 * (`-interpreter-exec console`) and `kernel-lens live --export` writes them as a gdb script, so
 * what a user replays by hand is what the run did. Pure: no I/O, no vscode.
 */
import { breakpointPlan, commCondition, type BreakpointSpec } from './stops';

export interface GdbSetup {
  readonly vmlinux: string;
  /** The linux-source tree of the image's version. */
  readonly sourceTree: string;
  /** Debian version, e.g. "6.1.176-1": the build path embeds the upstream part. */
  readonly version: string;
  readonly indexCacheDir: string;
  readonly port: number;
  readonly comm: string;
  readonly functions?: readonly string[];
}

/**
 * Debian builds the cloud flavour in debian/build/build_amd64_none_cloud-amd64 below
 * /build/reproducible-path/linux-<upstream>. The debug info's compilation folder of C files is
 * that relative path (`info source`: "Compilation directory is debian/build/..."), with files
 * such as "net/socket.c" below it; assembly files carry the absolute path
 * (".../linux-6.1.176/arch/x86/entry/entry_64.S"). Both map onto the extracted source tree.
 */
export function substitutePaths(version: string, sourceTree: string): [string, string][] {
  const upstream = version.replace(/-[^-]*$/, '');
  const buildRoot = `/build/reproducible-path/linux-${upstream}`;
  return [
    ['debian/build/build_amd64_none_cloud-amd64', sourceTree],
    [buildRoot, sourceTree],
  ];
}

/** Settings before the symbols load: no paging or questions, and gdb's DWARF index cache. */
export function preambleCommands(s: GdbSetup): string[] {
  return [
    'set pagination off',
    'set confirm off',
    'set width 0',
    'set print pretty off',
    // A function vmlinux lacks is an error, not a pending breakpoint that never hits.
    'set breakpoint pending off',
    // The first look at a big type (struct task_struct) indexes the DWARF of a 588 MB vmlinux:
    // ~30 s once, ~1 s once this cache holds the index.
    `set index-cache directory ${s.indexCacheDir}`,
    'set index-cache enabled on',
    ...substitutePaths(s.version, s.sourceTree).map(
      ([from, to]) => `set substitute-path ${from} ${to}`,
    ),
  ];
}

export function breakpointCommand(b: BreakpointSpec, comm: string): string {
  return b.filterByComm ? `break ${b.location} if ${commCondition(comm)}` : `break ${b.location}`;
}

/** The whole script for a user's own gdb: `gdb -x kernel-lens.gdb`. */
export function gdbScript(s: GdbSetup): string {
  const plan = breakpointPlan(s.functions);
  return [
    '# Kernel Lens live run: load the symbols, attach to QEMU on 127.0.0.1, break where the',
    '# test program enters the socket syscalls and where the TCP handshake runs.',
    ...preambleCommands(s),
    `file ${s.vmlinux}`,
    `target remote 127.0.0.1:${s.port}`,
    "# Syscalls are filtered on the task name: busybox's `ip` also calls them during boot.",
    ...plan.map((b) => breakpointCommand(b, s.comm)),
    '',
  ].join('\n');
}
