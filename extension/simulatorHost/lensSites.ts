/**
 * Where the simulator's "Simulate" CodeLenses go in a kernel C file (the client's
 * simulateCodeLens.ts shows them). Definitions are found by the kernel's coding style: a
 * definition starts at column 0 and its body's `{` is alone on a line below its name. Pure
 * text, no vscode, so it is unit-tested on real kernel files.
 */
import type { SimulateTarget } from './runView';

/** accept4(2) is accept(2) with flags; the simulator's programs call accept. */
const SYSCALLS: Readonly<Record<string, string>> = {
  socket: 'socket',
  bind: 'bind',
  listen: 'listen',
  accept: 'accept',
  accept4: 'accept',
  connect: 'connect',
};

const SYSCALL_DEFINE = /^SYSCALL_DEFINE\d\((\w+)/;
/** The first name followed by `(` on a line that starts a declaration at column 0. */
const DEFINITION = /^(?![#/*{}\s])[^(;=]*?\b([A-Za-z_]\w*)\s*\(/;
/** How far below the name the body's `{` may be (long parameter lists wrap). */
const MAX_HEADER_LINES = 12;

export interface LensSite {
  readonly line: number; // 0-based
  readonly target: SimulateTarget;
}

/** Where the lenses go in a C file's text; `functions` are the names the simulator knows. */
export function lensSites(text: string, functions: ReadonlySet<string>): LensSite[] {
  const lines = text.split('\n');
  const out: LensSite[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let target: SimulateTarget | undefined;
    const sys = SYSCALL_DEFINE.exec(line);
    if (sys) {
      const call = SYSCALLS[sys[1]!];
      if (call) target = { kind: 'syscall', name: call };
    } else {
      const def = DEFINITION.exec(line);
      if (def && functions.has(def[1]!)) target = { kind: 'function', name: def[1]! };
    }
    if (!target || !opensBody(lines, i)) continue;
    out.push({ line: i, target });
  }
  return out;
}

/** True when a `{` alone on a line follows before any `;` ends a declaration. */
function opensBody(lines: readonly string[], from: number): boolean {
  for (let j = from; j < Math.min(lines.length, from + MAX_HEADER_LINES); j++) {
    const l = lines[j]!;
    if (l.trimEnd() === '{') return true;
    if (l.trimEnd().endsWith(';')) return false;
  }
  return false;
}
