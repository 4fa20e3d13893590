/**
 * Shared by the simulator's unit tests: loading the scenario data from kernel-snippets/ and
 * running a scenario with parameters, plus small queries over the steps.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../extension/kernelSources/paths';
import {
  parseKernelVersion,
  runScenario,
  type ScenarioSpec,
  type SimResult,
  type SimStep,
} from '../../../webview/simulator/engine/index';

export const DATA = join(packageRoot(), 'kernel-snippets', 'simulator');

export function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(DATA, ...parts), 'utf8')) as T;
}

export const SCENARIOS = readdirSync(join(DATA, 'scenarios'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

export function scenario(name: string): ScenarioSpec {
  return readJson<ScenarioSpec>('scenarios', `${name}.json`);
}

export function run(
  name: string,
  version = '6.1',
  params: Record<string, number | string> = {},
  seed = 1,
): SimResult {
  return runScenario(scenario(name), { version: parseKernelVersion(version), seed, params });
}

/** Segments one host put on the wire, in order. */
export function sent(r: SimResult, host?: string): SimStep[] {
  return r.steps.filter((s) => s.kind === 'send' && (host === undefined || s.host === host));
}

/** Calls that returned (not the step where a blocking call starts to wait). */
export function calls(r: SimResult, host: string, call?: string): SimStep[] {
  return r.steps.filter(
    (s) =>
      s.kind === 'syscall' &&
      s.host === host &&
      s.syscall!.result !== null &&
      (call === undefined || s.syscall!.call === call),
  );
}

export function flags(steps: SimStep[]): string[] {
  return steps.map((s) => s.segment!.flags);
}

export function times(steps: SimStep[]): number[] {
  return steps.map((s) => s.t);
}
