/**
 * Scenarios are data (kernel-snippets/simulator/scenarios/*.json, checked against
 * scenario.schema.json there): hosts, each with a program of socket calls, and rules for the
 * network between them. This module types that data and checks what the schema cannot.
 */

/** A number, or "$name" for a parameter's value. */
export type ParamRef = number | string;

export interface LocalizedText {
  en: string;
  'zh-CN': string;
}

export interface ScenarioSpec {
  name: string; // "accept-overflow"
  title: LocalizedText;
  summary: LocalizedText;
  /** Where the behaviour shown comes from: kernel versions read and upstream path + symbol. */
  provenance: { kernels: string[]; sources: string[] };
  /** Defaults this scenario gives parameters (the user's --set still wins). */
  params?: Record<string, number | string>;
  hosts: HostSpec[];
  network?: { rules: NetRule[] };
}

export interface HostSpec {
  /** The first host's name; repeats are name2, name3, ... ("client", "client2"). */
  name: string;
  /** How many hosts run this program, e.g. "$clients". */
  repeat?: ParamRef;
  /** When the program starts; repeat i (from 0) starts i * stagger_ms later. */
  start_ms?: ParamRef;
  stagger_ms?: ParamRef;
  /** A raw host has no TCP stack: it only sends what its program says (a SYN flooder). */
  raw?: boolean;
  program: Op[];
}

/** What a program does when a call fails: leave (closing its sockets, as exit() does) or go on. */
export type OnError = 'exit' | 'continue';

interface OpBase {
  on_error?: OnError;
}

export type Op = OpBase &
  (
    | { op: 'socket'; sock: string }
    | { op: 'nonblock'; sock: string }
    | { op: 'reuseaddr'; sock: string }
    | { op: 'syncnt'; sock: string; value: ParamRef } // skipped when the value is 0
    | { op: 'bind'; sock: string; port: ParamRef }
    | { op: 'listen'; sock: string; backlog: ParamRef }
    | { op: 'accept'; sock: string; as: string; timeout_ms?: ParamRef }
    | { op: 'connect'; sock: string; to: string; port: ParamRef }
    | { op: 'poll'; sock: string; events: 'POLLIN' | 'POLLOUT'; timeout_ms?: ParamRef }
    | { op: 'soerror'; sock: string }
    | { op: 'send'; sock: string; data: string }
    | { op: 'recv'; sock: string; max?: number; timeout_ms?: ParamRef }
    | { op: 'close'; sock: string }
    | { op: 'sleep'; ms: ParamRef }
    | { op: 'at'; ms: ParamRef } // sleep until this time since the start
    | { op: 'pause' } // wait forever, holding every socket (a server that never accepts)
    | {
        op: 'flood';
        to: string;
        port: ParamRef;
        count: ParamRef;
        interval_ms: ParamRef;
        first_port?: number;
      }
  );

export type OpName = Op['op'];

/**
 * A network rule: segments that match `from`, `to` and `flags` (tcpdump letters, exact) are
 * dropped or delayed. `first` limits the rule to the first N matches per sending host.
 */
export interface NetRule {
  action: 'drop' | 'delay';
  from?: string; // a host name; a repeated host's base name matches all of its copies
  to?: string;
  flags?: string;
  first?: ParamRef;
  delay_ms?: ParamRef;
}

export class ScenarioError extends Error {}

const OPS_WITH_SOCK: readonly OpName[] = [
  'socket',
  'nonblock',
  'reuseaddr',
  'syncnt',
  'bind',
  'listen',
  'accept',
  'connect',
  'poll',
  'soerror',
  'send',
  'recv',
  'close',
];

/** Checks the references a JSON schema cannot: parameter names, socket names, host names. */
export function checkScenario(spec: ScenarioSpec, paramNames: ReadonlySet<string>): void {
  const where = (h: string, i: number): string => `scenario ${spec.name}, host ${h}, op ${i + 1}`;
  const checkRef = (ref: ParamRef | undefined, at: string): void => {
    if (typeof ref === 'string') {
      if (!ref.startsWith('$') || !paramNames.has(ref.slice(1)))
        throw new ScenarioError(`${at}: "${ref}" is not $<parameter>`);
    }
  };
  const hostNames = new Set(spec.hosts.map((h) => h.name));
  if (hostNames.size !== spec.hosts.length)
    throw new ScenarioError(`scenario ${spec.name}: two hosts share a name`);
  for (const host of spec.hosts) {
    checkRef(host.repeat, `${spec.name}/${host.name} repeat`);
    checkRef(host.start_ms, `${spec.name}/${host.name} start_ms`);
    checkRef(host.stagger_ms, `${spec.name}/${host.name} stagger_ms`);
    const socks = new Set<string>();
    host.program.forEach((op, i) => {
      const at = where(host.name, i);
      for (const value of Object.values(op))
        if (typeof value === 'string' && value.startsWith('$')) checkRef(value, at);
      if (OPS_WITH_SOCK.includes(op.op)) {
        const sock = (op as { sock: string }).sock;
        if (op.op === 'socket') socks.add(sock);
        else if (!socks.has(sock))
          throw new ScenarioError(`${at}: socket "${sock}" is used before it is created`);
      }
      if (op.op === 'accept') socks.add(op.as);
      if ((op.op === 'connect' || op.op === 'flood') && !hostNames.has(op.to)) {
        throw new ScenarioError(`${at}: no host "${op.to}"`);
      }
      if (host.raw && op.op !== 'flood' && op.op !== 'sleep' && op.op !== 'at') {
        throw new ScenarioError(`${at}: a raw host can only flood, sleep and wait`);
      }
    });
  }
  for (const rule of spec.network?.rules ?? []) {
    checkRef(rule.first, `${spec.name} network rule`);
    checkRef(rule.delay_ms, `${spec.name} network rule`);
    for (const h of [rule.from, rule.to]) {
      if (h !== undefined && !hostNames.has(h))
        throw new ScenarioError(`${spec.name} network rule: no host "${h}"`);
    }
  }
}
