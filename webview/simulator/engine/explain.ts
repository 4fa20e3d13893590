/**
 * Step explanations are data (kernel-snippets/simulator/explanations.<lang>.json): a template
 * per key with {name} placeholders filled from the step's arguments.
 */
import type { SimStep } from './types';

export interface ExplanationTable {
  language: string; // "en", "zh-CN"
  provenance: { kernels: string[]; note: string };
  texts: Record<string, string>;
}

/** The step's text in the table's language; a missing key or value is shown, not hidden. */
export function explain(table: ExplanationTable, step: SimStep): string {
  const template = table.texts[step.explain.key];
  if (template === undefined) return `[missing explanation ${step.explain.key}]`;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = step.explain.args[name];
    return v === undefined ? `{${name}?}` : String(v);
  });
}
