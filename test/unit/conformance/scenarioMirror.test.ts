// The real programs (test/conformance/scenarios.ts) mirror the simulator's scenario data
// (kernel-snippets/simulator/scenarios/<name>.json) op for op: same hosts, same start times,
// same calls in the same order, the same calls allowed to fail. The comparison with the
// simulator would report a call made on one side only, but not a shifted start, so this
// checks the whole program against the data, without root and without running anything.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_PARAMS,
  plan,
  SCENARIOS,
  type Params,
  type Plan,
} from '../../conformance/scenarios';

// dist/test/unit/conformance/ -> the checkout
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const DATA = join(ROOT, 'kernel-snippets', 'simulator', 'scenarios');

// What the scenario files use of the simulator's format (webview/simulator/engine/scenario.ts).
interface SpecOp {
  op: string;
  on_error?: 'exit' | 'continue';
  value?: number | string;
  [field: string]: unknown;
}
interface SpecHost {
  name: string;
  repeat?: number | string;
  start_ms?: number | string;
  stagger_ms?: number | string;
  raw?: boolean;
  program: SpecOp[];
}
interface Spec {
  params?: Params;
  hosts: SpecHost[];
}

/** The engine's defaults for the parameters scenario files refer to and plans may not set
 * (webview/simulator/engine/params.ts). */
const ENGINE_DEFAULTS: Params = {
  port: 8080,
  backlog: 128,
  clients: 1,
  interval_ms: 0,
  syncnt: 0,
  hold_ms: 5000,
};

/** One program as a list of comparable steps: "start 75", "connect", "?connect", "wait". */
function specProgram(
  host: SpecHost,
  i: number,
  ref: (v: number | string | undefined) => number,
): string[] {
  const out = [`start ${ref(host.start_ms) + i * ref(host.stagger_ms)}`];
  for (const op of host.program) {
    if (op.op === 'syncnt' && ref(op.value) === 0) continue; // the model skips it
    if (op.op === 'sleep' || op.op === 'at' || op.op === 'pause') out.push('wait');
    else out.push(`${op.on_error === 'continue' ? '?' : ''}${op.op}`);
  }
  return dropTrailingWait(out);
}

/** The same for a kl-actor script: the listener's early set-up ("at:-200") is time 0,
 * harness binds ("source") are not the scenario's, every wait is a wait. */
function actorProgram(actions: string[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    const [name = '', value] = a.split(':');
    if (name === 'source') continue;
    if (name === 'at' && out.length === 0) out.push(`start ${Math.max(0, Number(value))}`);
    else if (name === 'at' || name === 'hold') out.push('wait');
    else out.push(name);
  }
  if (out[0]?.startsWith('start') !== true) out.unshift('start 0');
  return dropTrailingWait(out);
}

/** A final wait holds sockets until the run ends: the model's pause, the harness's hold. */
function dropTrailingWait(steps: string[]): string[] {
  return steps.at(-1) === 'wait' ? steps.slice(0, -1) : steps;
}

function programsOf(p: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of p.actors) out.set(a.host, actorProgram(a.actions));
  if (p.flood) out.set(p.flood.host, [`start ${p.flood.atMs}`, 'flood']);
  return out;
}

void describe('real programs mirror the simulator scenario data', () => {
  for (const name of SCENARIOS) {
    const file = join(DATA, `${name}.json`);
    void it(name, () => {
      assert.ok(existsSync(file), `the simulator has no scenario ${name} (${file})`);
      const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
      const p = plan(name, {}, { tcp_syn_linear_timeouts: 4 });
      // The values the run uses; the scenario's own defaults where the plan sets nothing.
      const values: Params = {
        ...ENGINE_DEFAULTS,
        ...spec.params,
        ...DEFAULT_PARAMS[name],
        ...p.params,
      };
      const ref = (v: number | string | undefined): number =>
        v === undefined ? 0 : typeof v === 'number' ? v : (values[v.replace(/^\$/, '')] ?? NaN);

      const expected = new Map<string, string[]>();
      for (const h of spec.hosts) {
        const copies = h.repeat === undefined ? 1 : ref(h.repeat);
        for (let i = 0; i < copies; i++) {
          const hostName = i === 0 ? h.name : `${h.name}${i + 1}`;
          // A host without a program (the refused scenario's server) runs nothing.
          if (h.program.length > 0) expected.set(hostName, specProgram(h, i, ref));
        }
      }
      const actual = programsOf(p);
      assert.deepEqual(
        [...actual.keys()].sort(),
        [...expected.keys()].sort(),
        'hosts with a program',
      );
      for (const [host, steps] of expected) {
        assert.deepEqual(actual.get(host), steps, `${name}: ${host}`);
      }
    });
  }
});
