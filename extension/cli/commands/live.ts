/**
 * `kernel-lens live`: runs the test program (kernel-snippets/live/kl-live.c) on a real Linux 6.1
 * in QEMU under gdb and prints every stop: function, file:line, task, backtrace.
 *
 *   kernel-lens live [--mode handshake|refused|backlog] [--break FN ...] [--depth N] [--json]
 *                    [--trace FILE] [--compare]
 *
 * --compare matches each stop to the simulator's step that predicted it (the mode's scenario:
 * normal, refused, accept-overflow) and says where none did.
 *   kernel-lens live --export DIR [--port N]   write qemu.sh, kernel-lens.gdb, .vscode/launch.json
 *
 * The first run fetches Debian's cloud image and its symbols (~310 MB, cached in
 * ~/.cache/kernel-lens/live/) and indexes the DWARF once.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, intOption, listOption, stringOption, UsageError, type CliCommand } from '../command';
import { PROGRAM_MODES, type ProgramMode } from '../../live/initramfs';
import { exportLive, runLive } from '../../live/session';
import { describeAgreement, matchToSimulation, SCENARIO_OF_MODE } from '../../live/simMatch';
import { describeStop, defaultFunctions, type Stop } from '../../live/stops';
import { parseKernelVersion, runScenario } from '../../../webview/simulator/engine/index';
import { loadScenario } from './sim';

function modeOf(value: string | undefined): ProgramMode {
  const mode = value ?? 'handshake';
  if (!(PROGRAM_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--mode wants one of ${PROGRAM_MODES.join(', ')}, got "${mode}"`);
  }
  return mode as ProgramMode;
}

function printStop(stop: Stop, depth: number): void {
  console.log(`${describeStop(stop)}  (+${stop.ms} ms)`);
  for (const f of stop.backtrace.slice(0, depth)) {
    const where = f.file ? `${f.file}:${f.line ?? '?'}` : f.addr;
    console.log(`    #${f.level} ${f.func}  ${where}`);
  }
}

export const liveCommand: CliCommand = {
  name: 'live',
  options: ['compare', 'depth', 'port', 'break', 'export', 'mode', 'trace'],
  usage:
    'live [--mode handshake|refused|backlog] [--break FN] [--compare] [--export DIR]   the test program on a real kernel under gdb',
  async run(args) {
    const mode = modeOf(stringOption(args, 'mode'));
    const breaks = listOption(args, 'break');
    const functions = breaks.length ? breaks : defaultFunctions();
    const json = flag(args, 'json');
    const log = (m: string): void => console.error(`live: ${m}`);

    const exportDir = stringOption(args, 'export');
    if (exportDir) {
      const port = intOption(args, 'port', 1234);
      const written = await exportLive(resolve(exportDir), { mode, port, functions, log });
      console.log(`QEMU command: ${written.qemuScript}`);
      console.log(`gdb script:   ${written.gdbScript}`);
      console.log(`launch.json:  ${written.launchJson}`);
      return 0;
    }

    const depth = intOption(args, 'depth', 8);
    const traceFile = stringOption(args, 'trace');
    if (traceFile) writeFileSync(traceFile, '');
    const result = await runLive({
      mode,
      functions,
      log,
      ...(traceFile ? { trace: (line: string) => appendFileSync(traceFile, `${line}\n`) } : {}),
      onStop: (stop) => {
        if (!json) printStop(stop, depth);
      },
    });
    const program = result.serial
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('kl-live:'));
    const scenario = SCENARIO_OF_MODE[mode];
    if (flag(args, 'compare') && !scenario)
      log(`--compare: no simulator scenario models --mode ${mode}`);
    const agreements =
      flag(args, 'compare') && scenario
        ? matchToSimulation(
            result.stops,
            runScenario(loadScenario(scenario), { version: parseKernelVersion('6.1'), seed: 1 })
              .steps,
          )
        : undefined;
    if (json) {
      const simulation = agreements?.map((a) => ({
        stop: a.stop.seq,
        role: a.role ?? null,
        step: a.step ? { index: a.step.index, host: a.step.host, kind: a.step.kind } : null,
      }));
      console.log(JSON.stringify({ ...result, serial: undefined, program, simulation }, null, 2));
    } else {
      if (agreements) {
        console.log(`\nagainst the simulator's "${scenario}" scenario:`);
        for (const a of agreements) console.log(`${describeStop(a.stop)}  ${describeAgreement(a)}`);
        const compared = agreements.filter((a) => a.role);
        const predicted = compared.filter((a) => a.step).length;
        console.log(`${predicted} of ${compared.length} compared stops predicted by the model`);
      }
      console.log('');
      for (const line of program) console.log(`guest  ${line}`);
      const t = result.timings;
      console.log(
        `${result.stops.length} stops${result.droppedDuplicates ? ` (${result.droppedDuplicates} repeated stops dropped)` : ''}; ` +
          `prepare ${t.prepareMs} ms, symbols ${t.symbolsMs} ms, attach ${t.attachMs} ms, ` +
          `breakpoints ${t.breakpointsMs} ms, run ${t.runMs} ms, total ${t.totalMs} ms`,
      );
    }
    return result.exited ? 0 : 1;
  },
};
