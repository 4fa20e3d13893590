// The live tier (issue 7), for real: Debian's 6.1 cloud kernel boots in QEMU under gdb, the
// test program (kernel-snippets/live/kl-live.c) runs its five syscalls and one TCP handshake
// over loopback, and the stops must come in the order seen on this machine, per process,
// at file:line that exist in the matching source tree and lie inside the named function.
//
// Set-up (apt packages, the image and its symbols) is test/setup/tier-live.sh. Needs root
// (apt, and the same cache as the set-up); skips with the reason otherwise.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import { groupAlive, processGone } from '../../extension/live/processes';
import { runLive, type RunResult } from '../../extension/live/session';
import { describeAgreement, matchToSimulation } from '../../extension/live/simMatch';
import {
  parseKernelVersion,
  runScenario,
  type ScenarioSpec,
} from '../../webview/simulator/engine/index';
import {
  checkOrder,
  describeStop,
  stopsOfTask,
  SYSCALL_FUNCTIONS,
  type ExpectedStop,
  type Stop,
} from '../../extension/live/stops';

const ROOT = resolve(__dirname, '..', '..', '..');
const REPORT_DIR = join(ROOT, 'test-output', 'live');

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'the live tier needs root (apt packages and the kernel cache of test/setup/tier-live.sh)';
  return undefined;
}

const syscalls: ReadonlySet<string> = new Set(SYSCALL_FUNCTIONS);

function names(stops: readonly Stop[]): string[] {
  return stops.map((s) => s.function);
}

function only<T>(items: readonly T[], what: string, all: readonly Stop[]): T {
  assert.equal(
    items.length,
    1,
    `${what}: expected one, got ${items.length}\n${all.map(describeStop).join('\n')}`,
  );
  return items[0]!;
}

void describe('live kernel: the five-syscall program under gdb', { skip: whyNot() }, () => {
  let run: RunResult;

  void it(
    'boots, runs the program to the end and stops where the handshake runs',
    { timeout: 15 * 60_000 },
    async () => {
      const log: string[] = [];
      run = await runLive({
        mode: 'handshake',
        log: (m) => log.push(m),
        // Cold, the DWARF index alone takes a minute on a loaded machine; a warm run ~40 s.
        deadlineMs: 12 * 60_000,
        stopTimeoutMs: 180_000,
        maxStops: 60,
      });
      mkdirSync(REPORT_DIR, { recursive: true });
      writeFileSync(
        join(REPORT_DIR, 'handshake.txt'),
        [...log, ...run.stops.map(describeStop), '', run.serial, JSON.stringify(run.timings)].join(
          '\n',
        ),
      );
      const t = run.timings;
      console.log(
        `live run: ${run.stops.length} stops, ${run.droppedDuplicates} repeats dropped; prepare ${t.prepareMs} ms, ` +
          `symbols ${t.symbolsMs} ms, attach ${t.attachMs} ms, breakpoints ${t.breakpointsMs} ms, ` +
          `run ${t.runMs} ms, total ${t.totalMs} ms`,
      );
      assert.ok(run.exited, `the guest did not power off:\n${run.serial.slice(-2000)}`);
      const program = run.serial.split('\n').map((l) => l.trim());
      for (const line of [
        'kl-live: server listen = 0',
        'kl-live: client connect = 0',
        'kl-live: server read = 5',
        'kl-live: done (client exit 0)',
      ]) {
        assert.ok(
          program.includes(line),
          `the guest did not print "${line}":\n${run.serial.slice(-2000)}`,
        );
      }
    },
  );

  void it('stops in the order seen on this machine, per process', () => {
    assert.ok(run, 'the run did not happen');
    const all = run.stops;
    const server = only(
      all.filter((s) => s.function === '__sys_listen'),
      '__sys_listen',
      all,
    ).task.pid;
    const client = only(
      all.filter((s) => s.function === '__sys_connect'),
      '__sys_connect',
      all,
    ).task.pid;
    assert.notEqual(server, client, 'the client runs in its own (forked) process');
    for (const s of all.filter((x) => syscalls.has(x.function))) {
      assert.equal(s.task.comm, 'kl-live', `the task filter let through ${describeStop(s)}`);
    }
    // Each process on its own: nothing else of the program's syscalls, nothing out of order.
    assert.deepEqual(names(stopsOfTask(all, server).filter((s) => syscalls.has(s.function))), [
      '__sys_socket',
      '__sys_bind',
      '__sys_listen',
      '__sys_accept4',
    ]);
    const clientStops = stopsOfTask(all, client);
    assert.deepEqual(names(clientStops.filter((s) => syscalls.has(s.function))), [
      '__sys_socket',
      '__sys_connect',
    ]);
    // connect() sends the SYN from the client's own task.
    const clientOrder = checkOrder(clientStops, [
      { function: '__sys_socket', label: 'client socket' },
      { function: '__sys_connect', label: 'client connect' },
      { function: 'tcp_v4_connect', socketState: 'CLOSE', label: "the client's tcp_v4_connect" },
    ]);
    assert.deepEqual(clientOrder.problems, [], all.map(describeStop).join('\n'));

    // The handshake, whichever task's softirq carries it.
    const handshake: ExpectedStop[] = [
      { function: '__sys_listen', label: 'server listen' },
      { function: 'tcp_v4_connect', label: 'client connect' },
      {
        function: 'tcp_rcv_state_process',
        socketState: 'LISTEN',
        segment: 'SYN',
        label: 'the listener gets the SYN',
      },
      {
        function: 'tcp_v4_conn_request',
        socketState: 'LISTEN',
        segment: 'SYN',
        label: 'the listener answers it',
      },
      {
        function: 'tcp_rcv_state_process',
        socketState: 'SYN_SENT',
        segment: 'SYN,ACK',
        label: 'the client gets the SYN-ACK',
      },
      {
        function: 'tcp_finish_connect',
        socketState: 'SYN_SENT',
        segment: 'SYN,ACK',
        label: 'the client is established',
      },
      {
        function: 'tcp_rcv_state_process',
        socketState: 'SYN_RECV',
        segment: 'ACK',
        label: 'the child gets the final ACK',
      },
    ];
    const order = checkOrder(all, handshake);
    assert.deepEqual(order.problems, [], all.map(describeStop).join('\n'));
    const [, , listener, request, , finish, child] = order.matched;
    // The stacks say who called: the request from the listener's state machine, the client's
    // completion from the SYN_SENT branch, the child's ACK through tcp_child_process.
    assert.equal(request!.backtrace[1]?.func, 'tcp_rcv_state_process');
    assert.ok(finish!.backtrace.some((f) => f.func === 'tcp_rcv_synsent_state_process'));
    assert.ok(child!.backtrace.some((f) => f.func === 'tcp_child_process'));
    assert.ok(listener!.backtrace.some((f) => f.func === 'tcp_v4_do_rcv'));
  });

  void it(
    'stops at file:line that exist in the 6.1 tree and lie inside the named function',
    { timeout: 5 * 60_000 },
    async () => {
      assert.ok(run, 'the run did not happen');
      const tree = kernelTreePath('6.1');
      const index = await KernelIndex.open(tree, { cacheDir: indexCacheDir() });
      for (const stop of run.stops) {
        const { file, line, fullname } = stop.frame;
        assert.ok(file && line, `${describeStop(stop)} has no source position`);
        assert.ok(existsSync(join(tree, file)), `${file} is not in ${tree}`);
        // substitute-path mapped the build folder onto the tree.
        assert.equal(fullname, join(tree, file));
        const defs = index.resolveEntry(stop.function).filter((d) => d.file === file);
        const def = only(defs, `${stop.function} in ${file}`, run.stops);
        assert.ok(
          line >= def.fact.startLine && line <= def.fact.endLine,
          `${describeStop(stop)}: line ${line} is outside ${stop.function} (${def.fact.startLine}-${def.fact.endLine})`,
        );
        for (const f of stop.backtrace.filter((x) => x.fullname)) {
          assert.ok(
            existsSync(f.fullname!),
            `frame #${f.level} ${f.func}: ${f.fullname} does not exist`,
          );
        }
      }
    },
  );

  void it("every stop of the handshake was predicted by the simulator's normal scenario", () => {
    assert.ok(run, 'the run did not happen');
    const file = join(ROOT, 'kernel-snippets', 'simulator', 'scenarios', 'normal.json');
    const spec = JSON.parse(readFileSync(file, 'utf8')) as ScenarioSpec;
    const steps = runScenario(spec, { version: parseKernelVersion('6.1'), seed: 1 }).steps;
    const agreements = matchToSimulation(run.stops, steps);
    const compared = agreements.filter((a) => a.role);
    assert.ok(compared.length >= 12, 'the handshake stops have a side');
    const missed = compared.filter((a) => !a.step);
    assert.deepEqual(
      missed.map((a) => `${describeStop(a.stop)}  ${describeAgreement(a)}`),
      [],
      'stops the model did not predict',
    );
  });

  void it('leaves no process behind', () => {
    assert.ok(run, 'the run did not happen');
    assert.equal(run.pids.length, 2, 'QEMU and gdb');
    for (const pid of run.pids) {
      assert.ok(processGone(pid), `process ${pid} is still there`);
      assert.ok(!groupAlive(pid), `process group ${pid} is still there`);
    }
  });
});
