/**
 * A simulator run as the webview draws it (extension/protocol/simulatorWebview.ts RunView):
 * the engine's result with every code point resolved to file:line in the open tree and every
 * step explained in the user's language. Node only (no vscode): the panel passes a resolver
 * that asks the language server, tests pass one over the core index.
 */
import {
  explain,
  paramsFor,
  defaultOf,
  runScenario,
  type CodePoint,
  type KernelVersion,
  type ScenarioSpec,
  type SimResult,
} from '../../webview/simulator/engine/index';
import type {
  FrameView,
  ParamView,
  RunRequest,
  RunView,
  StepView,
} from '../protocol/simulatorWebview';
import {
  anchorFor,
  explanationLanguage,
  loadAnchors,
  loadExplanations,
  loadScenario,
  type SimAnchor,
} from './data';

/** Where one anchor is in the open tree, or why it is not there. */
export type AnchorLookup = (anchor: {
  function: string;
  anchor: string;
  occurrence?: number;
}) => Promise<{ file: string; line: number } | { reason: string }>;

export interface RunContext {
  /** The version whose rules the model follows and whose anchor variants apply. */
  readonly version: KernelVersion;
  readonly tree: RunView['tree'];
  /** VS Code's display language: "en", "zh-cn". */
  readonly displayLanguage: string;
  /** Resolves anchors in the open tree; absent when there is none (frames say why). */
  readonly lookup?: AnchorLookup;
  /** Why there is no lookup, e.g. "the language server is not running". */
  readonly noLookupReason?: string;
}

/** The scenario with the user's drop rules added after its own network rules. */
export function withDrops(spec: ScenarioSpec, request: RunRequest): ScenarioSpec {
  if (request.drops.length === 0) return spec;
  return {
    ...spec,
    network: {
      rules: [
        ...(spec.network?.rules ?? []),
        ...request.drops.map((d) => ({
          action: 'drop' as const,
          ...(d.from ? { from: d.from } : {}),
          ...(d.to ? { to: d.to } : {}),
          ...(d.flags ? { flags: d.flags } : {}),
          ...(d.first !== undefined ? { first: d.first } : {}),
        })),
      ],
    },
  };
}

/**
 * Runs a request and resolves it. Throws the engine's ScenarioError/ParamError (their
 * messages say what is wrong) and SimulatorDataError for an unknown scenario.
 */
export async function buildRun(
  request: RunRequest,
  runId: number,
  ctx: RunContext,
): Promise<RunView> {
  const spec = loadScenario(request.scenario);
  const result = runScenario(withDrops(spec, request), {
    version: ctx.version,
    seed: request.seed,
    params: request.params,
  });
  const frames = await resolveFrames(result, ctx);
  const lang = explanationLanguage(ctx.displayLanguage);
  const table = loadExplanations(lang);
  const steps: StepView[] = result.steps.map((s) => ({
    index: s.index,
    t: s.t,
    host: s.host,
    kind: s.kind,
    ...(s.syscall ? { syscall: s.syscall } : {}),
    ...(s.segment ? { segment: s.segment } : {}),
    ...(s.state ? { state: s.state } : {}),
    ...(s.timer ? { timer: s.timer } : {}),
    ...(s.rule ? { rule: s.rule } : {}),
    frames: s.stack.map((ref) => frames.get(ref.point) ?? { function: ref.function }),
    text: explain(table, s),
  }));
  const params: ParamView[] = paramsFor(ctx.version).map((p) => ({
    name: p.name,
    type: p.type,
    value: result.params[p.name] ?? defaultOf(p, ctx.version),
    default: spec.params?.[p.name] ?? defaultOf(p, ctx.version),
    ...(p.min !== undefined ? { min: p.min } : {}),
    ...(p.max !== undefined ? { max: p.max } : {}),
    ...(p.sysctl ? { sysctl: p.sysctl } : {}),
    doc: p.doc,
  }));
  const unresolved = [...frames.values()]
    .filter((f) => f.unresolved)
    .map((f) => `${f.function}: ${f.unresolved!}`);
  return {
    runId,
    request,
    title: spec.title[lang],
    summary: spec.summary[lang],
    rulesVersion: ctx.version.text,
    tree: ctx.tree,
    hosts: laneOrder(result),
    params,
    steps,
    snapshots: result.snapshots,
    end: result.end,
    unresolved,
  };
}

/** Hosts in the order they first act, so the server (which listens first) is leftmost. */
function laneOrder(result: SimResult): string[] {
  const out: string[] = [];
  for (const s of result.steps) if (!out.includes(s.host)) out.push(s.host);
  for (const snap of result.snapshots.slice(-1))
    for (const p of snap.programs) if (!out.includes(p.host)) out.push(p.host);
  return out;
}

/** Every code point the run uses, resolved once (a run names a few dozen). */
async function resolveFrames(result: SimResult, ctx: RunContext): Promise<Map<string, FrameView>> {
  const anchors: Record<string, SimAnchor> = loadAnchors();
  const used = new Map<CodePoint, string>();
  for (const step of result.steps) for (const f of step.stack) used.set(f.point, f.function);
  const out = new Map<string, FrameView>();
  await Promise.all(
    [...used].map(async ([point, fn]) => {
      const entry = anchors[point];
      if (!entry) {
        out.set(point, { function: fn, unresolved: `code point ${point} has no anchor` });
        return;
      }
      const a = anchorFor(entry, ctx.version);
      if (!ctx.lookup) {
        out.set(point, { function: a.function, unresolved: ctx.noLookupReason ?? 'no tree' });
        return;
      }
      const hit = await ctx.lookup({
        function: a.function,
        anchor: a.anchor,
        ...(a.occurrence ? { occurrence: a.occurrence } : {}),
      });
      out.set(
        point,
        'reason' in hit
          ? { function: a.function, unresolved: hit.reason }
          : { function: a.function, file: hit.file, line: hit.line },
      );
    }),
  );
  return out;
}

/**
 * The first step whose stack runs `fn` (any frame), for the "Simulate" CodeLens; -1 when the
 * run never calls it.
 */
export function firstStepRunning(run: RunView, fn: string): number {
  return run.steps.findIndex((s) => s.frames.some((f) => f.function === fn));
}

/** What a "Simulate" CodeLens stands above: a kernel function, or a syscall's entry. */
export type SimulateTarget =
  | { readonly kind: 'function'; readonly name: string } // "tcp_conn_request"
  | { readonly kind: 'syscall'; readonly name: string }; // "connect" (SYSCALL_DEFINE3(connect))

/**
 * The first scenario (normal first, then by name) and step in which `target` runs, with
 * default parameters: a function when a frame of the step's stack is it (in the anchors'
 * variant for this version), a syscall when the step is that call. Runs the engine only, no
 * resolution, so trying every scenario stays cheap.
 */
export function findFirstStep(
  target: SimulateTarget,
  version: KernelVersion,
  names: readonly string[],
): { scenario: string; step: number } | undefined {
  const anchors = loadAnchors();
  const order = [...names].sort((a, b) =>
    a === 'normal' ? -1 : b === 'normal' ? 1 : a.localeCompare(b),
  );
  for (const scenario of order) {
    const result = runScenario(loadScenario(scenario), { version, seed: 1 });
    const step = result.steps.findIndex((s) =>
      target.kind === 'syscall'
        ? s.syscall?.call === target.name
        : s.stack.some((ref) => {
            const entry = anchors[ref.point];
            return (entry ? anchorFor(entry, version).function : ref.function) === target.name;
          }),
    );
    if (step >= 0) return { scenario, step };
  }
  return undefined;
}

/** Every function name the simulator's code points name, in any variant. */
export function simulatedFunctions(): Set<string> {
  const out = new Set<string>();
  for (const entry of Object.values(loadAnchors())) {
    out.add(entry.function);
    for (const v of entry.variants ?? []) out.add(v.function);
  }
  return out;
}
