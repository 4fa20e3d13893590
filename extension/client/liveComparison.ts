/**
 * A live run held against the simulator (issue 7): the scenario that models the run's mode,
 * run once with the live kernel's rules, and every stop so far compared with its steps
 * (extension/live/simMatch.ts). What the Kernel Stack view and the simulator page show of the
 * newest stop comes from here. No vscode: unit-tested in test/unit/live/liveComparison.test.ts.
 */
import type { ProgramMode } from '../live/initramfs';
import { compareToSimulation, SCENARIO_OF_MODE, type Comparison } from '../live/simMatch';
import type { Stop } from '../live/stops';
import type { RealStopView, RealVerdict } from '../protocol/simulatorWebview';
import { loadScenario } from '../simulatorHost/data';
import {
  parseKernelVersion,
  runScenario,
  type KernelVersion,
  type SimStep,
} from '../../webview/simulator/engine/index';

export function verdictOf(c: Comparison): RealVerdict {
  if (!c.role) return 'notCompared';
  if (!c.step) return 'unpredicted';
  return c.differences.length ? 'differs' : 'agrees';
}

/** "6.1.158" → its rules; anything unparsable: 6.1, the version the live tier boots. */
export function liveRules(version: string): KernelVersion {
  try {
    return parseKernelVersion(version);
  } catch {
    return parseKernelVersion('6.1');
  }
}

export class LiveComparison {
  /** The scenario that models the mode, e.g. "normal"; undefined: none does. */
  readonly scenario: string | undefined;
  readonly rules: KernelVersion;
  private readonly steps: readonly SimStep[];
  private readonly stops: Stop[] = [];
  private latest: Comparison | undefined;

  /** `functions`: every function the run breaks on (its plan and the user's). */
  constructor(
    mode: ProgramMode,
    private readonly functions: readonly string[],
    kernelVersion: string,
  ) {
    this.scenario = SCENARIO_OF_MODE[mode];
    this.rules = liveRules(kernelVersion);
    this.steps = this.scenario
      ? runScenario(loadScenario(this.scenario), { version: this.rules, seed: 1 }).steps
      : [];
  }

  /** Compares the run's stops so far, `stop` the newest; undefined without a scenario. */
  add(stop: Stop): Comparison | undefined {
    if (!this.scenario) return undefined;
    this.stops.push(stop);
    this.latest = compareToSimulation(this.stops, this.steps, this.functions).at(-1);
    return this.latest;
  }

  /** The newest stop's comparison. */
  current(): Comparison | undefined {
    return this.latest;
  }
}

/** A comparison as the simulator page draws it (the host adds the run it belongs to). */
export function realStopView(c: Comparison): Omit<RealStopView, 'runId'> {
  const s = c.stop;
  return {
    number: s.seq + 1,
    function: s.function,
    task: { comm: s.task.comm, pid: s.task.pid },
    ...(s.socketState ? { socketState: s.socketState } : {}),
    ...(s.segment ? { segment: s.segment } : {}),
    ...(c.role ? { role: c.role } : {}),
    ...(c.step ? { step: c.step.index } : {}),
    differences: c.differences,
  };
}
