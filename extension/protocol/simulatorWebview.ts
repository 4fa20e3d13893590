/**
 * The messages between the simulator webview (webview/simulator/view/) and its host
 * (extension/client/simulatorPanel.ts): one discriminated union per direction, tagged by a
 * string `type` ("sim/step"), and the guards both sides run on what they receive.
 *
 * This file is compiled twice, by extension/tsconfig.json (host) and webview/tsconfig.json
 * (browser), so it imports nothing: no vscode, no node, no DOM, not even the engine (the
 * webview never runs the engine: the host does, see simulatorPanel.ts, and sends the run
 * below, already resolved to file:line and explained in the user's language).
 *
 * Boot: the webview speaks first (`ready`); the host answers `init` and never posts before.
 * A message that fails the guard is not in the protocol: the receiver logs it and ignores it,
 * keeping everything it had.
 *
 * To add a message: add it to one union with a doc comment stating its direction, add its tag
 * to the guard's table, and handle it in the other side's `switch`, which ends in assertNever
 * and so fails to compile until it does.
 */

// --- a run as the view draws it (mirrors webview/simulator/engine/types.ts and output.ts)

export type StepKind = 'syscall' | 'send' | 'deliver' | 'drop' | 'state' | 'timer';

/** One kernel frame of a step, resolved in the open tree; outermost first in a stack. */
export interface FrameView {
  readonly function: string; // "tcp_conn_request"
  readonly file?: string; // relative to the tree: "net/ipv4/tcp_input.c"
  readonly line?: number; // 1-based, e.g. 7143
  /** Why the code point did not resolve in this tree (the frame is still listed). */
  readonly unresolved?: string;
}

export interface SegmentView {
  readonly src: string; // "client:47610"
  readonly dst: string; // "server:8080"
  readonly flags: string; // tcpdump letters: "S", "S.", ".", "P.", "F.", "R"
  readonly seq: number; // absolute
  readonly ack: number;
  readonly len: number;
  readonly win: number;
  readonly options: readonly string[]; // ["mss 65495", "sackOK", "TS val 1 ecr 0", "nop", "wscale 7"]
  readonly header?: {
    readonly doff: number; // 32-bit words, e.g. 10
    readonly checksum: string; // "0x1c2d"
    readonly urg: number;
    readonly src_ip: string;
    readonly dst_ip: string;
    readonly hex: string; // the TCP header with options as transmitted, e.g. "b9fa1f90..."
  };
}

export interface SyscallView {
  readonly call: string; // "connect"
  /** null: the call starts to wait here; its return is a later step with the same call. */
  readonly result: number | null;
  readonly errno?: string; // "ECONNREFUSED"
  readonly args?: string; // "fd=3, server:8080"
  readonly revents?: string;
  readonly value?: string;
}

export interface StepView {
  readonly index: number;
  readonly t: number; // virtual ms
  readonly host: string; // "client", "server", "client2"
  readonly kind: StepKind;
  readonly syscall?: SyscallView;
  readonly segment?: SegmentView;
  readonly state?: { readonly socket: string; readonly from: string; readonly to: string };
  readonly timer?: string; // "retransmit", "synack"
  readonly rule?: string; // the version rule applied, e.g. "syn_linear_timeouts"
  readonly frames: readonly FrameView[];
  /** The step's explanation in the user's language (kernel-snippets/simulator/explanations.*). */
  readonly text: string;
}

export interface SocketView {
  readonly id: number;
  readonly host: string;
  readonly name: string; // "client:47610>server:8080", "server:8080" (listener)
  readonly kind: 'socket' | 'request' | 'timewait';
  readonly state: string; // "SYN_SENT"
  readonly fd?: number;
  readonly backlog?: number;
  readonly acceptQueue?: readonly string[];
  readonly synQueue?: readonly string[];
  readonly sndUna?: number;
  readonly sndNxt?: number;
  readonly rcvNxt?: number;
  readonly recvQueue?: number;
  readonly error?: string;
  readonly timers: readonly { readonly name: string; readonly at: number }[];
}

export interface ProgramView {
  readonly host: string;
  readonly pc: number;
  readonly blockedIn?: string; // "accept(fd=3)"
  readonly done: boolean;
}

/** The world right after a step (stepping back shows an earlier one). */
export interface SnapshotView {
  readonly t: number;
  readonly sockets: readonly SocketView[];
  readonly programs: readonly ProgramView[];
  readonly inFlight: readonly {
    readonly src: string;
    readonly dst: string;
    readonly flags: string;
    readonly at: number;
  }[];
}

/** A parameter of the run, with the value it used. */
export interface ParamView {
  readonly name: string; // "backlog", "tcp_syncookies"
  readonly type: 'int' | 'string';
  readonly value: number | string;
  readonly default: number | string;
  readonly min?: number;
  readonly max?: number;
  readonly sysctl?: string; // "net/ipv4/tcp_syncookies"
  readonly doc: string; // English, as the engine states it
}

/** A drop rule the user adds to the scenario's own network rules. */
export interface DropRule {
  readonly from?: string; // a host name: "client"
  readonly to?: string;
  readonly flags?: string; // tcpdump letters, exact: "S", "S.", "."
  readonly first?: number; // only the first N matches per sending host
}

/** What to run: the scenario, the user's parameter values (by name), the seed, drops. */
export interface RunRequest {
  readonly scenario: string; // "normal"
  readonly params: Readonly<Record<string, number | string>>;
  readonly seed: number;
  readonly drops: readonly DropRule[];
}

export interface RunView {
  /** Changes with every run the host makes, so a late `sim/step` of an older run is ignored. */
  readonly runId: number;
  readonly request: RunRequest;
  readonly title: string; // localized scenario title
  readonly summary: string;
  /** The version whose rules the model followed, e.g. "6.1.176". */
  readonly rulesVersion: string;
  /** Where the stack lines come from. */
  readonly tree: {
    readonly version?: string;
    readonly source: 'setting' | 'workspace' | 'embedded' | 'none';
  };
  /** Hosts in the order their lanes are drawn. */
  readonly hosts: readonly string[];
  readonly params: readonly ParamView[];
  readonly steps: readonly StepView[];
  /** snapshots[i] is the world after steps[i]. */
  readonly snapshots: readonly SnapshotView[];
  readonly end: {
    readonly t: number;
    readonly reason: 'quiet' | 'horizon';
    readonly blocked: readonly string[];
  };
  /** Code points that did not resolve in the tree, with the reason (shown, not hidden). */
  readonly unresolved: readonly string[];
}

/** A scenario, parameters and step to come back to. */
export interface Resume {
  readonly request: RunRequest;
  readonly step: number;
  readonly savedAt: number; // Date.now() when it was shown
}

export interface ScenarioChoice {
  readonly name: string; // "accept-overflow"
  readonly title: string; // localized
}

/** What a real stop is to the simulator: both the Kernel Stack view and the page say it. */
export type RealVerdict = 'agrees' | 'differs' | 'unpredicted' | 'notCompared';

/**
 * A stop of the live run ("Run on a Real Kernel", issue 7) held against the run the page shows:
 * extension/live/simMatch.ts compareToSimulation, as the page draws it.
 */
export interface RealStopView {
  /** The run `step` and the differences' steps index into. */
  readonly runId: number;
  readonly number: number; // 1-based order of the stop in the live run
  readonly function: string; // "__sys_connect"
  readonly task: { readonly comm: string; readonly pid: number };
  readonly socketState?: string; // "SYN_SENT", as read at the stop
  readonly segment?: string; // "SYN,ACK"
  /** "server" or "client"; absent: not compared (both sides have such sockets). */
  readonly role?: string;
  /** The step that predicted the stop (0-based); absent: none did. */
  readonly step?: number;
  readonly differences: readonly RealDifferenceView[];
}

export type RealDifferenceView =
  /** No step of the stop's side predicts it; `elsewhere`: a step of the other side runs it. */
  | {
      readonly kind: 'unpredicted';
      readonly elsewhere?: { readonly role: string; readonly step: number };
    }
  | { readonly kind: 'state'; readonly real: string; readonly simulated: string }
  | { readonly kind: 'segment'; readonly real: string; readonly simulated: string }
  /** Steps (0-based) the real kernel went past without stopping, though they run a breakpoint. */
  | { readonly kind: 'skipped'; readonly steps: readonly number[] };

// --- localized strings (looked up on the host with vscode.l10n.t, sent in `init`)

export const STRING_KEYS = [
  'scenario',
  'step',
  'back',
  'play',
  'pause',
  'reset',
  'end',
  'speed',
  'jump',
  'of',
  'relative',
  'absolute',
  'parameters',
  'run',
  'defaults',
  'drops',
  'addDrop',
  'remove',
  'anyHost',
  'anyFlags',
  'firstN',
  'seed',
  'sequence',
  'syscalls',
  'sockets',
  'header',
  'explanation',
  'noSegment',
  'blocked',
  'returned',
  'dropped',
  'retransmission',
  'synQueue',
  'acceptQueue',
  'backlog',
  'timers',
  'noSockets',
  'kernelLine',
  'unresolved',
  'rulesOf',
  'treeOf',
  'ended',
  'horizon',
  'loading',
  'keys',
  'inFlight',
  'realKernel',
  'realStop',
  'realSocket',
  'realSegment',
  'realAgrees',
  'realDiffers',
  'realNoStep',
  'realElsewhere',
  'realState',
  'realSegmentDiffers',
  'realSkipped',
  'realNotCompared',
  'realShowStep',
  'nextEditor',
  'nextEditorTitle',
] as const;
export type StringKey = (typeof STRING_KEYS)[number];
export type Strings = Readonly<Record<StringKey, string>>;

// --- messages

/** Messages the webview posts to the host. */
export type FromWebviewMessage =
  /** webview -> host: the page listens; answer with `init`. First message of a page. */
  | { readonly type: 'ready' }
  /** webview -> host: run this; answered by `sim/result` with the same messageId. */
  | {
      readonly type: 'sim/run';
      readonly messageId: number;
      readonly request: RunRequest;
      /** The step to show once loaded (a restored page asks for the one it had). */
      readonly step: number;
    }
  /**
   * webview -> host: the view now shows step `index` of run `runId`: highlight its line.
   * `byCommand`: the step answers a `sim/control` (a global keybinding), not the page's own
   * controls.
   */
  | {
      readonly type: 'sim/step';
      readonly runId: number;
      readonly index: number;
      readonly byCommand?: true;
    }
  /** webview -> host: open frame `frame` of step `index` in the editor beside. */
  | {
      readonly type: 'frame/open';
      readonly runId: number;
      readonly index: number;
      readonly frame: number;
    }
  /**
   * webview -> host: turn the next step's editor (kernelLens.simulator.nextStepEditor) on or
   * off; the host answers with `sim/nextEditor` once the setting changed.
   */
  | { readonly type: 'sim/nextEditor'; readonly on: boolean };

/** Messages the host posts to the webview. */
export type ToWebviewMessage =
  /** host -> webview: answer to `ready`: strings, scenarios, and what to show first. */
  | {
      readonly type: 'init';
      readonly strings: Strings;
      readonly scenarios: readonly ScenarioChoice[];
      /** VS Code's display language, e.g. "en", "zh-cn" (the page's lang attribute). */
      readonly language: string;
      /** Show this run now (a command or CodeLens asked), rather than the page's saved one. */
      readonly show?: { readonly run: RunView; readonly step: number };
      /**
       * What the host last saw the page show, with when (ms since 1970). The page resumes
       * from whichever is newer, this or its own webview state: VS Code writes webview state
       * with the editors' layout (every minute and on a clean shutdown), so a reload in a
       * browser may bring back an older one; the host's workspace state is written at once.
       */
      readonly resume?: Resume;
    }
  /** host -> webview: answer to `sim/run`: the run, or why there is none (localized). */
  | {
      readonly type: 'sim/result';
      readonly inReplyTo: number;
      readonly run?: RunView;
      readonly step: number;
      readonly error?: string;
    }
  /** host -> webview: show this run at this step (a CodeLens while the panel is open). */
  | { readonly type: 'sim/show'; readonly run: RunView; readonly step: number }
  /** host -> webview: a control from a keybinding or command outside the page. */
  | { readonly type: 'sim/control'; readonly action: ControlAction }
  /**
   * host -> webview: the live run stopped (`real`), or ended (null); `reveal`: show the step
   * that predicted the stop.
   */
  | { readonly type: 'sim/real'; readonly real: RealStopView | null; readonly reveal: boolean }
  /** host -> webview: whether the next step's editor is on (after `init`, and on each change). */
  | { readonly type: 'sim/nextEditor'; readonly on: boolean };

export type ControlAction = 'step' | 'back' | 'togglePlay' | 'reset' | 'end';

export type MessageType = FromWebviewMessage['type'] | ToWebviewMessage['type'];

/** For `default:` of a switch over a union: a compile error when a member is not handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}

// --- guards: what arrives is checked before it is trusted

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isOptString = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isDropRule(v: unknown): v is DropRule {
  return (
    isObject(v) &&
    isOptString(v['from']) &&
    isOptString(v['to']) &&
    isOptString(v['flags']) &&
    (v['first'] === undefined || isInt(v['first']))
  );
}

export function isRunRequest(v: unknown): v is RunRequest {
  return (
    isObject(v) &&
    typeof v['scenario'] === 'string' &&
    isObject(v['params']) &&
    Object.values(v['params']).every((p) => typeof p === 'number' || typeof p === 'string') &&
    isInt(v['seed']) &&
    Array.isArray(v['drops']) &&
    v['drops'].every(isDropRule)
  );
}

const FROM_WEBVIEW: Record<FromWebviewMessage['type'], (m: Fields) => boolean> = {
  ready: () => true,
  'sim/run': (m) => isInt(m['messageId']) && isRunRequest(m['request']) && isInt(m['step']),
  'sim/step': (m) =>
    isInt(m['runId']) &&
    isInt(m['index']) &&
    (m['byCommand'] === undefined || m['byCommand'] === true),
  'frame/open': (m) => isInt(m['runId']) && isInt(m['index']) && isInt(m['frame']),
  'sim/nextEditor': (m) => typeof m['on'] === 'boolean',
};

/** True when `v` is a message of the webview -> host union (tag and fields). */
export function isFromWebviewMessage(v: unknown): v is FromWebviewMessage {
  if (!isObject(v) || typeof v['type'] !== 'string') return false;
  // Own keys only: a tag such as "toString" must not find Object.prototype's.
  if (!Object.hasOwn(FROM_WEBVIEW, v['type'])) return false;
  return (FROM_WEBVIEW as Record<string, (m: Fields) => boolean>)[v['type']]!(v);
}

const CONTROL_ACTIONS: readonly string[] = ['step', 'back', 'togglePlay', 'reset', 'end'];
const isRun = (v: unknown): boolean =>
  isObject(v) && isInt(v['runId']) && Array.isArray(v['steps']) && Array.isArray(v['snapshots']);

const isOptInt = (v: unknown): boolean => v === undefined || isInt(v);
const isIntList = (v: unknown): boolean => Array.isArray(v) && v.every(isInt);

function isRealDifference(v: unknown): boolean {
  if (!isObject(v)) return false;
  switch (v['kind']) {
    case 'unpredicted': {
      const e = v['elsewhere'];
      return e === undefined || (isObject(e) && typeof e['role'] === 'string' && isInt(e['step']));
    }
    case 'state':
    case 'segment':
      return typeof v['real'] === 'string' && typeof v['simulated'] === 'string';
    case 'skipped':
      return isIntList(v['steps']);
    default:
      return false;
  }
}

export function isRealStop(v: unknown): v is RealStopView {
  if (!isObject(v)) return false;
  const task = v['task'];
  return (
    isInt(v['runId']) &&
    isInt(v['number']) &&
    typeof v['function'] === 'string' &&
    isObject(task) &&
    typeof task['comm'] === 'string' &&
    isInt(task['pid']) &&
    isOptString(v['socketState']) &&
    isOptString(v['segment']) &&
    isOptString(v['role']) &&
    isOptInt(v['step']) &&
    Array.isArray(v['differences']) &&
    v['differences'].every(isRealDifference)
  );
}

const TO_WEBVIEW: Record<ToWebviewMessage['type'], (m: Fields) => boolean> = {
  init: (m) =>
    isObject(m['strings']) &&
    Array.isArray(m['scenarios']) &&
    typeof m['language'] === 'string' &&
    (m['show'] === undefined || (isObject(m['show']) && isRun(m['show']['run']))) &&
    (m['resume'] === undefined ||
      (isObject(m['resume']) &&
        isRunRequest(m['resume']['request']) &&
        isInt(m['resume']['step']) &&
        typeof m['resume']['savedAt'] === 'number')),
  'sim/result': (m) =>
    isInt(m['inReplyTo']) &&
    isInt(m['step']) &&
    (m['run'] === undefined || isRun(m['run'])) &&
    isOptString(m['error']),
  'sim/show': (m) => isRun(m['run']) && isInt(m['step']),
  'sim/control': (m) => typeof m['action'] === 'string' && CONTROL_ACTIONS.includes(m['action']),
  'sim/real': (m) =>
    (m['real'] === null || isRealStop(m['real'])) && typeof m['reveal'] === 'boolean',
  'sim/nextEditor': (m) => typeof m['on'] === 'boolean',
};

/** True when `v` is a message of the host -> webview union. */
export function isToWebviewMessage(v: unknown): v is ToWebviewMessage {
  if (!isObject(v) || typeof v['type'] !== 'string') return false;
  if (!Object.hasOwn(TO_WEBVIEW, v['type'])) return false;
  return (TO_WEBVIEW as Record<string, (m: Fields) => boolean>)[v['type']]!(v);
}
