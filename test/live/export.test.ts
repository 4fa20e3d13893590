// `kernel-lens live --export DIR` for real: the exported QEMU command boots the kernel halted,
// gdb runs the exported script as a user would (`gdb -x kernel-lens.gdb`), and `continue`
// stops the test program in __sys_socket with the source found in the 6.1 tree. The
// launch.json holds the same set-up for cpptools: replayed on gdb's MI as cpptools would, it
// stops there too. Same skip rule as handshake.test.ts.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GdbError, GdbMi } from '../../extension/live/gdb';
import { miQuote } from '../../extension/live/mi';
import { killGroup, processGone, sleep } from '../../extension/live/processes';
import { freeLocalPort } from '../../extension/live/qemu';
import { exportLive } from '../../extension/live/session';
import { breakpointPlan, stopReason } from '../../extension/live/stops';

const skip =
  process.getuid?.() !== 0
    ? 'the live tier needs root (apt packages and the kernel cache of test/setup/tier-live.sh)'
    : undefined;

/** Resolves with the process's output once it exits, or kills its group after `ms`. */
function finish(child: ChildProcess, ms: number): Promise<{ out: string; timedOut: boolean }> {
  const out: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (c: string) => out.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => out.push(c));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void killGroup(child).then(() => resolve({ out: out.join(''), timedOut: true }));
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ out: out.join(''), timedOut: false });
    });
  });
}

/** Exports a handshake run into a fresh folder, as `kernel-lens live --export DIR` does. */
async function exported() {
  const dir = mkdtempSync(join(tmpdir(), 'kernel-lens-export-'));
  const port = await freeLocalPort();
  const written = await exportLive(dir, { mode: 'handshake', port });
  return { kernel: written.kernel, dir, port, written };
}

/** The part of a cppdbg configuration that tells gdb what to do. */
interface CppdbgConfiguration {
  type: string;
  program: string;
  miDebuggerServerAddress: string;
  setupCommands: { text: string; ignoreFailures: boolean }[];
  postRemoteConnectCommands: { text: string }[];
  sourceFileMap: Record<string, string>;
}

void describe('live kernel: the exported run', { skip }, () => {
  void it(
    'qemu.sh + gdb -x kernel-lens.gdb stop the program in __sys_socket',
    { timeout: 8 * 60_000 },
    async () => {
      const { kernel, dir, port, written } = await exported();

      const launch = JSON.parse(readFileSync(written.launchJson, 'utf8')) as {
        configurations: CppdbgConfiguration[];
      };
      const config = launch.configurations[0]!;
      assert.equal(config.type, 'cppdbg');
      assert.equal(config.miDebuggerServerAddress, `127.0.0.1:${port}`);
      assert.equal(config.postRemoteConnectCommands.length, breakpointPlan().length);
      assert.ok(Object.values(config.sourceFileMap).every((to) => to === kernel.sourceTree));

      const qemu = spawn('sh', [written.qemuScript], { detached: true, stdio: 'ignore' });
      const gdb = spawn(
        'gdb',
        ['-batch', '-nx', '-x', written.gdbScript, '-ex', 'continue', '-ex', 'bt 3'],
        { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        const { out, timedOut } = await finish(gdb, 5 * 60_000);
        assert.ok(!timedOut, `gdb did not finish:\n${out.slice(-2000)}`);
        const hit = /Breakpoint 1, __sys_socket \(.*\) at net\/socket\.c:(\d+)\n(\d+)\t/.exec(out);
        assert.ok(hit, out.slice(-2000));
        // substitute-path found the source: gdb printed the stopped line's text, not "No such file".
        assert.equal(hit[2], hit[1]);
        assert.doesNotMatch(out, /No such file or directory/);
        assert.match(out, /#1 .*__do_sys_socket .* at net\/socket\.c:\d+/, out.slice(-2000));
      } finally {
        await Promise.all([killGroup(gdb), killGroup(qemu)]);
        rmSync(dir, { recursive: true, force: true });
      }
      for (const child of [gdb, qemu])
        assert.ok(processGone(child.pid!), `process ${child.pid} is still there`);
    },
  );
  void it(
    'launch.json, played as cpptools plays a cppdbg launch with miDebuggerServerAddress, stops in __sys_socket with its source mapped into the 6.1 tree',
    { timeout: 8 * 60_000 },
    async () => {
      // cpptools is not installed here: its MI engine's sequence is replayed on gdb's MI
      // interface instead. Each setupCommand as console text, then the program's symbols,
      // the remote target, each postRemoteConnectCommand, and the run; sourceFileMap then maps
      // the frame's file, as cpptools does.
      const { kernel, dir, written } = await exported();
      const config = (
        JSON.parse(readFileSync(written.launchJson, 'utf8')) as {
          configurations: CppdbgConfiguration[];
        }
      ).configurations[0]!;
      const qemu = spawn('sh', [written.qemuScript], { detached: true, stdio: 'ignore' });
      const gdb = new GdbMi();
      try {
        for (const c of config.setupCommands) await gdb.cli(c.text, 60_000);
        await gdb.command(`-file-exec-and-symbols ${miQuote(config.program)}`, 180_000);
        for (let attempt = 0; ; attempt++) {
          try {
            await gdb.command(`-target-select remote ${config.miDebuggerServerAddress}`, 15_000);
            break;
          } catch (error) {
            if (attempt >= 40 || !(error instanceof GdbError)) throw error;
            await sleep(250);
          }
        }
        for (const c of config.postRemoteConnectCommands) await gdb.cli(c.text, 300_000);
        await gdb.command('-exec-continue');
        const reason = stopReason((await gdb.waitForStop(5 * 60_000)).results);
        assert.equal(reason.kind, 'breakpoint', JSON.stringify(reason));
        const frame = reason.kind === 'breakpoint' ? reason.frame : undefined;
        assert.equal(frame?.func, '__sys_socket');
        // The frame's file through sourceFileMap: a file of the 6.1 tree, whose stopped line
        // lies in __sys_socket's body.
        const where = frame!.fullname ?? frame!.file!;
        const [from, to] =
          Object.entries(config.sourceFileMap).find(([f]) => where.startsWith(f)) ?? [];
        const mapped = from !== undefined ? to + where.slice(from.length) : where;
        assert.ok(mapped.startsWith(kernel.sourceTree), `${where} -> ${mapped}`);
        assert.ok(existsSync(mapped), mapped);
        const lines = readFileSync(mapped, 'latin1').split('\n');
        const start = lines.findIndex((l) => /^int __sys_socket\(/.test(l));
        assert.ok(
          start >= 0 && frame!.line! > start && frame!.line! < start + 40,
          `${frame!.line}`,
        );
      } finally {
        await gdb.dispose();
        await killGroup(qemu);
        rmSync(dir, { recursive: true, force: true });
      }
      assert.ok(processGone(qemu.pid!), `QEMU ${qemu.pid} is still there`);
    },
  );
});
