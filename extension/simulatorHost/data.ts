/**
 * The simulator's data in kernel-snippets/simulator/ (scenarios, code anchors, explanations),
 * read on the host side. Shared by the command line (`kernel-lens sim`, extension/cli/) and the
 * simulator panel (extension/client/simulatorPanel.ts); node only, no vscode, so both bundles
 * can use it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../kernelSources/paths';
import {
  atLeast,
  parseKernelVersion,
  type ExplanationTable,
  type KernelVersion,
  type ScenarioSpec,
} from '../../webview/simulator/engine/index';

/** A name or language the data does not have; the CLI turns it into a usage error. */
export class SimulatorDataError extends Error {}

export function simulatorDataDir(): string {
  return join(packageRoot(), 'kernel-snippets', 'simulator');
}

export function scenarioNames(): string[] {
  return readdirSync(join(simulatorDataDir(), 'scenarios'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadScenario(name: string): ScenarioSpec {
  const file = join(simulatorDataDir(), 'scenarios', `${name}.json`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new SimulatorDataError(`no scenario "${name}"; scenarios: ${scenarioNames().join(', ')}`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as ScenarioSpec;
}

/** The explanation languages there are files for. */
export const EXPLANATION_LANGUAGES = ['en', 'zh-CN'] as const;
export type ExplanationLanguage = (typeof EXPLANATION_LANGUAGES)[number];

export function loadExplanations(language: string): ExplanationTable {
  const file = join(simulatorDataDir(), `explanations.${language}.json`);
  if (!existsSync(file))
    throw new SimulatorDataError(`no explanations in "${language}" (en, zh-CN)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ExplanationTable;
}

/**
 * The explanation language for a VS Code display language ("zh-cn", "zh-CN", "zh-hans" ->
 * "zh-CN"; anything else -> "en", the language every key exists in).
 */
export function explanationLanguage(displayLanguage: string): ExplanationLanguage {
  return /^zh(-cn|-hans|-sg)?$/i.test(displayLanguage) ? 'zh-CN' : 'en';
}

/** One code point's anchor as the data file states it. */
export interface SimAnchor {
  function: string;
  file?: string;
  anchor: string;
  occurrence?: number;
  variants?: (SimAnchor & { since: string })[];
}

export function loadAnchors(): Record<string, SimAnchor> {
  const doc = JSON.parse(readFileSync(join(simulatorDataDir(), 'anchors.json'), 'utf8')) as {
    anchors: Record<string, SimAnchor>;
  };
  return doc.anchors;
}

/** The anchor that applies to a kernel version: the newest variant whose `since` it reaches. */
export function anchorFor(entry: SimAnchor, version: KernelVersion): SimAnchor {
  let chosen = entry;
  for (const v of entry.variants ?? []) {
    if (atLeast(version, parseKernelVersion(v.since))) chosen = v;
  }
  return chosen;
}
