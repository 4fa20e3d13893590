/**
 * The handshake simulator engine: pure, deterministic TypeScript (no DOM, no vscode, no node).
 * A view or the CLI gives it a scenario (data), a kernel version and a seed, and gets every
 * step with a snapshot of the world after it, so it can step forwards and backwards.
 */
export { runScenario, type RunOptions } from './simulation';
export type {
  SimResult,
  SimStep,
  CodeRef,
  Explanation,
  WorldSnapshot,
  SocketView,
  ProgramView,
} from './types';
export {
  toSimJson,
  type SimRunJson,
  type SimStepJson,
  type SegmentJson,
  type SyscallJson,
  type StateJson,
  type StackFrameJson,
  type StepKind,
  type FrameResolution,
} from './output';
export {
  PARAMS,
  paramsFor,
  defaultOf,
  resolveParams,
  ParamError,
  type ParamSpec,
  type ParamValues,
} from './params';
export {
  VERSION_RULES,
  parseKernelVersion,
  applies,
  atLeast,
  type KernelVersion,
  type VersionRule,
  type VersionRuleId,
} from './versionRules';
export {
  checkScenario,
  ScenarioError,
  type ScenarioSpec,
  type HostSpec,
  type Op,
  type NetRule,
} from './scenario';
export { CODE_POINTS, type CodePoint } from './codePoints';
export { explain, type ExplanationTable } from './explain';
export {
  tcpChecksum,
  encodeHeader,
  formatOptions,
  tcpdumpFlags,
  type Segment,
  type TcpOption,
} from './wire';
