/**
 * `kernel-lens sim`: runs a handshake scenario through the simulator engine and prints every
 * step, with the kernel function and file:line of each, resolved in the tree given (--kernel)
 * from the textual anchors in kernel-snippets/simulator/anchors.json.
 *
 *   kernel-lens sim <scenario> [--kernel DIR] [--kernel-version 6.x] [--set name=value ...]
 *                              [--seed N] [--json] [--lang en|zh-CN] [--verbose]
 *   kernel-lens sim list                 the scenarios
 *   kernel-lens sim params [--kernel-version 6.x]   every parameter, its default and sysctl
 *
 * The JSON shape is typed in webview/simulator/engine/output.ts (SimRunJson).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { flag, intOption, listOption, stringOption, UsageError, type CliCommand } from '../command';
import { resolveAnchor } from '../../core/anchors';
import { KernelIndex } from '../../core/kernelIndex';
import { embeddedRoot, indexCacheDir } from '../../kernelSources/paths';
import {
  anchorFor,
  loadAnchors,
  loadExplanations as readExplanations,
  loadScenario as readScenario,
  scenarioNames,
  SimulatorDataError,
} from '../../simulatorHost/data';
import {
  CODE_POINTS,
  explain,
  paramsFor,
  defaultOf,
  parseKernelVersion,
  runScenario,
  toSimJson,
  type CodePoint,
  type ExplanationTable,
  type FrameResolution,
  type KernelVersion,
  type ScenarioSpec,
  type SimResult,
  type SimStep,
} from '../../../webview/simulator/engine/index';

// --- the data in kernel-snippets/simulator/ (read by extension/simulatorHost/data.ts, which
// the simulator panel shares; here a missing name is a usage error)

export {
  anchorFor,
  loadAnchors,
  scenarioNames,
  simulatorDataDir,
  type SimAnchor,
} from '../../simulatorHost/data';

function asUsageError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SimulatorDataError) throw new UsageError(e.message);
    throw e;
  }
}

export function loadScenario(name: string): ScenarioSpec {
  return asUsageError(() => readScenario(name));
}

export function loadExplanations(language: string): ExplanationTable {
  return asUsageError(() => readExplanations(language));
}

/** Resolves every code point a run used; the map answers toSimJson's synchronous lookups. */
export async function resolvePoints(
  index: KernelIndex | undefined,
  version: KernelVersion,
  result: SimResult,
  why: string,
): Promise<Map<string, FrameResolution>> {
  const anchors = loadAnchors();
  const used = new Set<string>();
  for (const step of result.steps) for (const f of step.stack) used.add(f.point);
  const out = new Map<string, FrameResolution>();
  for (const point of used) {
    const entry = anchors[point];
    if (!entry) out.set(point, { reason: `code point ${point} has no anchor in anchors.json` });
    else if (!index) out.set(point, { reason: why });
    else {
      const a = anchorFor(entry, version);
      const hit = await resolveAnchor(
        index,
        a.occurrence
          ? { function: a.function, anchor: a.anchor, occurrence: a.occurrence }
          : { function: a.function, anchor: a.anchor },
      );
      out.set(
        point,
        hit.ok
          ? { file: hit.file, line: hit.line, function: hit.function }
          : { reason: hit.reason },
      );
    }
  }
  return out;
}

// --- text output

function segmentLine(step: SimStep): string {
  const s = step.segment!;
  const seq = s.len > 0 ? `${s.seq}:${(s.seq + s.len) >>> 0}` : `${s.seq}`;
  const ack = s.flags.includes('.') ? `, ack ${s.ack}` : '';
  const opts = s.options.length ? `, options [${s.options.join(',')}]` : '';
  const arrow = step.kind === 'send' ? 'send   ' : step.kind === 'deliver' ? 'deliver' : 'drop   ';
  return `${arrow} ${s.src} > ${s.dst}: Flags [${s.flags}], seq ${seq}${ack}, win ${s.win}${opts}, length ${s.len}`;
}

function stepLine(step: SimStep, text: string): string {
  if (step.segment) return segmentLine(step);
  if (step.syscall) {
    const c = step.syscall;
    const call = `${c.call}(${c.args ?? ''})`;
    if (c.result === null) return `syscall ${call} ... (waits)`;
    const extra = c.revents
      ? ` [${c.revents}]`
      : c.value !== undefined && c.call !== 'recv'
        ? ` [${c.value}]`
        : '';
    return `syscall ${call} = ${c.result}${c.errno ? ` ${c.errno}` : ''}${extra}`;
  }
  if (step.state) return `state   ${step.state.socket}: ${step.state.from} -> ${step.state.to}`;
  return `${step.kind.padEnd(7)} ${text}`;
}

// --- the command

export const simCommand: CliCommand = {
  name: 'sim',
  options: ['seed', 'set', 'kernel-version', 'lang'],
  usage:
    'sim <scenario|list|params> [--kernel DIR] [--kernel-version 6.x] [--set name=value ...] [--seed N] [--json] [--lang en|zh-CN] [--verbose]   step a TCP handshake scenario',
  async run(args) {
    const what = args.positionals[0];
    const versionText = stringOption(args, 'kernel-version');
    if (!what) throw new UsageError(`sim wants a scenario: ${scenarioNames().join(', ')}`);
    if (what === 'list') {
      for (const name of scenarioNames()) {
        const spec = loadScenario(name);
        console.log(`${name.padEnd(20)} ${spec.title.en}`);
      }
      return 0;
    }
    if (what === 'params') {
      const version = parseKernelVersion(versionText ?? '6.12');
      for (const p of paramsFor(version)) {
        const where = p.sysctl ? ` (/proc/sys/${p.sysctl})` : '';
        console.log(
          `${p.name.padEnd(24)} ${String(defaultOf(p, version)).padEnd(20)} ${p.doc}${where}`,
        );
      }
      return 0;
    }
    const spec = loadScenario(what);
    const user: Record<string, string> = {};
    for (const item of listOption(args, 'set')) {
      const eq = item.indexOf('=');
      if (eq <= 0) throw new UsageError(`--set wants name=value, got "${item}"`);
      const name = item.slice(0, eq).trim();
      if (name === 'kernel_version') continue; // read below, as --kernel-version
      user[name] = item.slice(eq + 1);
    }
    const fromSet = listOption(args, 'set').find((s) => s.startsWith('kernel_version='));

    // The tree the stacks resolve in, and the version whose rules the model follows.
    const kernelDir = stringOption(args, 'kernel');
    const root = kernelDir ? resolve(kernelDir) : embeddedRoot();
    let index: KernelIndex | undefined;
    let why = '';
    if (existsSync(root)) {
      index = await KernelIndex.open(root, {
        cacheDir: indexCacheDir(),
        noCache: flag(args, 'no-cache'),
        log: flag(args, 'verbose') ? (m) => console.error(m) : () => undefined,
      });
    } else if (kernelDir) {
      throw new UsageError(`--kernel ${kernelDir}: no such folder`);
    } else {
      why = 'no kernel tree: run `kernel-lens fetch` or give --kernel DIR';
    }
    const asked = versionText ?? fromSet?.slice('kernel_version='.length);
    let version: KernelVersion;
    if (asked) version = parseKernelVersion(asked);
    else if (index?.version) version = parseKernelVersion(index.version.text);
    else version = parseKernelVersion('6.1');

    let result: SimResult;
    try {
      result = runScenario(spec, { version, seed: intOption(args, 'seed', 1), params: user });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // Anchor variants follow the tree the lines are read from, which may be older or newer
    // than the version whose rules the model followed (--kernel-version).
    const treeVersion = index?.version ? parseKernelVersion(index.version.text) : version;
    const resolved = await resolvePoints(index, treeVersion, result, why);
    const table = loadExplanations(stringOption(args, 'lang') ?? 'en');
    const text = (step: SimStep): string => explain(table, step);

    if (flag(args, 'json')) {
      const json = toSimJson(result, (ref) => resolved.get(ref.point)!, text, index?.root);
      console.log(JSON.stringify(json, null, 2));
      return 0;
    }
    const verbose = flag(args, 'verbose');
    console.log(
      `# ${spec.name}: ${spec.title.en} (Linux ${version.text} rules, seed ${result.seed})`,
    );
    for (const step of result.steps) {
      const where = (point: CodePoint): string => {
        const r = resolved.get(point)!;
        return 'reason' in r
          ? `${CODE_POINTS[point]} (unresolved: ${r.reason})`
          : `${r.function ?? CODE_POINTS[point]} ${r.file}:${r.line}`;
      };
      const last = step.stack[step.stack.length - 1];
      const rule = step.rule ? ` [rule ${step.rule}]` : '';
      console.log(
        `${(step.t / 1000).toFixed(3).padStart(9)} ${step.host.padEnd(9)} ${stepLine(step, text(step))}${rule}`,
      );
      // A state change happens in tcp_set_state; its caller says why, so show both.
      const caller =
        step.kind === 'state' && step.stack.length > 1
          ? step.stack[step.stack.length - 2]
          : undefined;
      if (last)
        console.log(
          `${' '.repeat(20)}at ${where(last.point)}${caller ? `, from ${where(caller.point)}` : ''}`,
        );
      if (verbose) {
        console.log(`${' '.repeat(20)}${text(step)}`);
        for (const f of step.stack.slice(0, -1).reverse())
          console.log(`${' '.repeat(22)}from ${where(f.point)}`);
      }
    }
    const end = result.end;
    console.log(
      `# end at ${end.t} ms (${end.reason})${end.blocked.length ? `; still waiting: ${end.blocked.join('; ')}` : ''}`,
    );
    index?.dispose();
    return 0;
  },
};
