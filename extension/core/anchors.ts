/**
 * Code anchors: a named place in a kernel function, written as the function's name plus a
 * piece of its text, never a line number, so the same anchor finds its line in 6.1, in 6.12
 * and in a user's tree. The simulator and the annotations point at kernel code this way.
 */
import type { KernelIndex } from './kernelIndex';

export interface CodeAnchor {
  /** "tcp_v4_connect" (or a syscall: "SYSCALL_DEFINE3(connect)") */
  readonly function: string;
  /** Text of the line, compared without whitespace: "tcp_set_state(sk, TCP_SYN_SENT)" */
  readonly anchor: string;
  /** The n-th line (1-based) inside the function that contains the anchor; default 1. */
  readonly occurrence?: number;
}

export type AnchorResolution =
  | { readonly ok: true; readonly function: string; readonly file: string; readonly line: number }
  | { readonly ok: false; readonly anchor: CodeAnchor; readonly reason: string };

const squash = (s: string): string => s.replace(/\s+/g, '');

/**
 * The line of `anchor` inside its function, in the index's tree. A function defined more
 * than once (config variants) is searched in every definition, best first. Never guesses.
 */
export async function resolveAnchor(
  index: KernelIndex,
  anchor: CodeAnchor,
): Promise<AnchorResolution> {
  const defs = index.resolveEntry(anchor.function);
  if (defs.length === 0)
    return { ok: false, anchor, reason: `no function "${anchor.function}" in ${index.root}` };
  const needle = squash(anchor.anchor);
  if (!needle) return { ok: false, anchor, reason: 'the anchor text is empty' };
  const wanted = anchor.occurrence ?? 1;
  for (const def of defs) {
    const lines = index.readText(def.file).split('\n');
    let seen = 0;
    for (let l = def.fact.startLine; l <= def.fact.endLine && l <= lines.length; l++) {
      if (squash(lines[l - 1]!).includes(needle) && ++seen === wanted) {
        return { ok: true, function: anchor.function, file: def.file, line: l };
      }
    }
  }
  const where = defs.map((d) => `${d.file}:${d.fact.startLine}-${d.fact.endLine}`).join(', ');
  return {
    ok: false,
    anchor,
    reason: `"${anchor.anchor}" (occurrence ${wanted}) is not in ${anchor.function} (${where})`,
  };
}
