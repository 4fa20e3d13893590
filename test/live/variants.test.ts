// The live tier's variants (issue 7): connect() refused (no listener), and a backlog of 1 that
// three connects overflow; plus stepping on the real kernel (next and finish from
// __sys_connect), checked against the 6.1 tree. Same set-up and skip rule as handshake.test.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { indexCacheDir } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';
import { LiveSession, runLive, UnknownBreakpointError } from '../../extension/live/session';
import { groupAlive, processGone } from '../../extension/live/processes';
import { checkOrder, describeStop, type Stop } from '../../extension/live/stops';

const skip =
  process.getuid?.() !== 0
    ? 'the live tier needs root (apt packages and the kernel cache of test/setup/tier-live.sh)'
    : undefined;

function program(serial: string): string[] {
  return serial
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('kl-live:'));
}

function count(stops: readonly Stop[], fn: string, state?: string): number {
  return stops.filter((s) => s.function === fn && (!state || s.socketState === state)).length;
}

void describe('live kernel: variants and stepping', { skip }, () => {
  void it(
    'a function vmlinux lacks is refused at start, and nothing is left running',
    { timeout: 5 * 60_000 },
    async () => {
      let started: readonly number[] = [];
      await assert.rejects(
        LiveSession.start({
          functions: ['__sys_connect', 'no_such_function'],
          onStarted: (pids) => {
            started = pids;
          },
        }),
        (e: unknown) => e instanceof UnknownBreakpointError && /no_such_function/.test(e.message),
      );
      assert.equal(started.length, 2, 'QEMU and gdb were started');
      for (const pid of started) {
        assert.ok(processGone(pid), `process ${pid} is still there`);
        assert.ok(!groupAlive(pid), `process group ${pid} is still there`);
      }
    },
  );

  void it(
    'refused: the SYN is answered with a reset, seen by the SYN_SENT socket; next and finish step in __sys_connect',
    { timeout: 10 * 60_000 },
    async () => {
      const session = await LiveSession.start({ mode: 'refused', stopTimeoutMs: 180_000 });
      try {
        // socket, then connect.
        let step = await session.continue();
        assert.equal(step.kind === 'stop' && step.stop.function, '__sys_socket');
        step = await session.continue();
        assert.ok(
          step.kind === 'stop' && step.stop.function === '__sys_connect',
          JSON.stringify(step),
        );
        const entry = step.stop;

        const index = await KernelIndex.open(kernelTreePath('6.1'), { cacheDir: indexCacheDir() });
        const def = index.resolveEntry('__sys_connect').find((d) => d.file === 'net/socket.c');
        assert.ok(def);
        // `next` stays in __sys_connect, on a later line of its body.
        const next = await session.step('next');
        assert.ok(next.kind === 'stop', 'next ran to the end');
        assert.equal(next.stop.frame.func, '__sys_connect');
        assert.ok(next.stop.frame.line! > entry.frame.line!, describeStop(next.stop));
        assert.ok(next.stop.frame.line! <= def.fact.endLine, describeStop(next.stop));
        // `finish` returns into the syscall's wrapper, with __sys_connect off the stack. The
        // breakpoints on the way (tcp_v4_connect, the reset) stop it first: continue past them.
        let finish = await session.step('finish');
        const onTheWay: string[] = [];
        while (
          finish.kind === 'stop' &&
          finish.stop.backtrace.some((f) => f.func === '__sys_connect')
        ) {
          onTheWay.push(finish.stop.function);
          finish = await session.step('finish');
        }
        assert.ok(finish.kind === 'stop', 'finish ran to the end');
        assert.match(
          finish.stop.frame.func,
          /^__(do|se|x64)_sys_connect$/,
          describeStop(finish.stop),
        );
        assert.ok(onTheWay.includes('tcp_v4_connect'), onTheWay.join(', '));

        let end = await session.continue();
        while (end.kind === 'stop') end = await session.continue();
        const all = session.stops;
        const order = checkOrder(all, [
          { function: '__sys_connect', label: 'client connect' },
          { function: 'tcp_v4_connect', socketState: 'CLOSE', label: 'the SYN is sent' },
          {
            function: 'tcp_rcv_state_process',
            socketState: 'SYN_SENT',
            segment: 'RST,ACK',
            label: 'the reset arrives',
          },
        ]);
        assert.deepEqual(order.problems, [], all.map(describeStop).join('\n'));
        assert.equal(count(all, 'tcp_v4_conn_request'), 0, 'nobody listens');
        assert.equal(count(all, 'tcp_finish_connect'), 0, 'the connect never completes');
        assert.ok(
          program(session.serialOutput()).includes(
            'kl-live: client connect = -1 (Connection refused)',
          ),
          session.serialOutput().slice(-1500),
        );
      } finally {
        await session.dispose();
      }
      assert.ok(session.allGone(), `left behind: ${session.pids().join(', ')}`);
    },
  );

  void it(
    'backlog: listen(fd, 1) takes two connections and drops the third SYN',
    { timeout: 10 * 60_000 },
    async () => {
      const run = await runLive({
        mode: 'backlog',
        stopTimeoutMs: 180_000,
        deadlineMs: 8 * 60_000,
      });
      const lines = program(run.serial);
      for (const line of [
        'kl-live: client 0 connected',
        'kl-live: client 1 connected',
        'kl-live: client 2 still connecting',
      ]) {
        assert.ok(lines.includes(line), `the guest did not print "${line}":\n${lines.join('\n')}`);
      }
      const all = run.stops;
      const why = all.map(describeStop).join('\n');
      // Three SYNs reach the listener; only two handshakes complete, on both sides.
      assert.equal(count(all, '__sys_connect'), 3, why);
      assert.ok(count(all, 'tcp_v4_conn_request', 'LISTEN') >= 3, why);
      assert.equal(count(all, 'tcp_finish_connect'), 2, why);
      assert.equal(count(all, 'tcp_rcv_state_process', 'SYN_RECV'), 2, why);
      // The third SYN reached the listener and went no further: no SYN-ACK for its socket.
      assert.equal(
        all.filter((s) => s.segment === 'SYN,ACK' && s.function === 'tcp_finish_connect').length,
        2,
        why,
      );
      assert.ok(run.exited);
    },
  );
  void it(
    'breakpoints toggled during a run: an added one stops, a removed one no longer does, a change asked for while the kernel runs lands at its next stop, the plan stays',
    { timeout: 10 * 60_000 },
    async () => {
      const session = await LiveSession.start({ mode: 'handshake', stopTimeoutMs: 180_000 });
      try {
        const stops: Stop[] = [];
        const next = async (): Promise<Stop | undefined> => {
          const step = await session.continue();
          if (step.kind !== 'stop') return undefined;
          stops.push(step.stop);
          return step.stop;
        };
        const first = await next();
        assert.equal(first?.function, '__sys_socket');
        // The kernel is stopped: gdb takes the change at once. bind() reaches the protocol's
        // get_port (tcp_prot.get_port = inet_csk_get_port), which no default breakpoint has.
        assert.equal(await session.setBreakpoint('inet_csk_get_port', true), 'now');
        let stop: Stop | undefined;
        do stop = await next();
        while (stop && stop.function !== 'inet_csk_get_port' && stops.length < 40);
        const why = (): string => stops.map(describeStop).join('\n');
        assert.equal(stop?.function, 'inet_csk_get_port', why());
        assert.ok(
          stops.findIndex((s) => s.function === '__sys_bind') <
            stops.findIndex((s) => s.function === 'inet_csk_get_port'),
          why(),
        );
        assert.equal(await session.setBreakpoint('inet_csk_get_port', false), 'now');
        // The plan's own breakpoints are not the user's to remove: listen() still stops.
        assert.equal(await session.setBreakpoint('__sys_listen', false), 'now');
        // While the kernel runs, a change waits for its next stop.
        const going = next();
        assert.equal(await session.setBreakpoint('inet_csk_accept', true), 'next-stop');
        await going;
        const before = stops.length;
        while (await next());
        const rest = stops.slice(before);
        assert.equal(count(rest, 'inet_csk_get_port'), 0, why());
        assert.ok(count(stops, '__sys_listen') >= 1, why());
        assert.ok(count(rest, 'inet_csk_accept') >= 1, why());
      } finally {
        await session.dispose();
      }
      assert.ok(session.allGone(), 'QEMU and gdb are gone');
    },
  );
});
