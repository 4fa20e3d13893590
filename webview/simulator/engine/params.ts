/**
 * Every parameter a run can be given by name (`--set name=value`): the scenario's own knobs
 * and the sysctls under their kernel names, with the kernel's defaults. A scenario may change
 * a default; the user's value wins over both.
 */
import { applies, type KernelVersion, type VersionRuleId } from './versionRules';

export interface ParamSpec {
  name: string;
  type: 'int' | 'string';
  default: number | string;
  min?: number;
  max?: number;
  /** For a sysctl: its path under /proc/sys, so a host's value can be read from there. */
  sysctl?: string;
  /** Only exists on versions that follow this rule. */
  rule?: VersionRuleId;
  /** A different default on versions that follow a rule. */
  defaultWith?: { readonly rule: VersionRuleId; readonly value: number | string };
  doc: string;
}

export const PARAMS: readonly ParamSpec[] = [
  // --- scenario knobs
  {
    name: 'backlog',
    type: 'int',
    default: 128,
    min: 0,
    max: 65535,
    doc: 'listen() backlog (clamped to somaxconn by __sys_listen)',
  },
  {
    name: 'clients',
    type: 'int',
    default: 1,
    min: 1,
    max: 64,
    doc: 'number of client hosts (client, client2, ...)',
  },
  {
    name: 'interval_ms',
    type: 'int',
    default: 0,
    min: 0,
    max: 600000,
    doc: "time between successive clients' connect()",
  },
  {
    name: 'drop_syns',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000,
    doc: 'the network drops the first N SYNs a client sends',
  },
  {
    name: 'syncnt',
    type: 'int',
    default: 0,
    min: 0,
    max: 127,
    doc: 'setsockopt(TCP_SYNCNT) on the client socket; 0 leaves it unset',
  },
  { name: 'delay_ms', type: 'int', default: 0, min: 0, max: 60000, doc: 'one-way link delay' },
  { name: 'port', type: 'int', default: 8080, min: 1, max: 65535, doc: "the server's port" },
  {
    name: 'link',
    type: 'string',
    default: 'lo',
    doc: '"lo" (loopback, MTU 65536, every host 127.0.0.1) or "veth" (MTU 1500, 10.0.0.x)',
  },
  {
    name: 'mtu',
    type: 'int',
    default: 0,
    min: 0,
    max: 65536,
    doc: "link MTU; 0 takes the link's own (65536 lo, 1500 veth)",
  },
  {
    name: 'hold_ms',
    type: 'int',
    default: 5000,
    min: 0,
    max: 600000,
    doc: 'how long a server holds its sockets before it acts (accepts, closes)',
  },
  {
    name: 'flood_syns',
    type: 'int',
    default: 32,
    min: 1,
    max: 4096,
    doc: 'syn-flood: bare SYNs the attacker sends',
  },
  {
    name: 'flood_interval_ms',
    type: 'int',
    default: 1,
    min: 0,
    max: 10000,
    doc: "syn-flood: time between the attacker's SYNs",
  },
  {
    name: 'skb_head_truesize',
    type: 'int',
    // Measured: 1280 on Debian's 6.1.176 (skb->truesize of a 5-byte segment at tcp_data_queue,
    // read with gdb in the live tier's guest), 832 on 6.18.44 (`ss -tm` on the conformance host).
    default: 1280,
    defaultWith: { rule: 'skb_small_head_cache', value: 832 },
    min: 0,
    max: 65536,
    doc: "what a received segment costs the receive buffer beyond its payload: the truesize of its sender's skb head (tcp_stream_alloc_skb), kernel- and config-dependent; 1280 for a kmalloc-1024 head (Linux 6.1, measured), 832 from the small-head cache of 6.3 on (Linux 6.18, measured)",
  },
  {
    name: 'hz',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000,
    doc: 'CONFIG_HZ for kernel timers (100, 250 as Debian builds, 1000): they then fire on jiffies, rounded up by the timer wheel; 0 fires them at the exact millisecond',
  },
  {
    name: 'max_ms',
    type: 'int',
    default: 400000,
    min: 1,
    max: 3600000,
    doc: 'the run stops at this virtual time even if timers are still armed',
  },
  // --- sysctls (net.core.* and net.ipv4.*), defaults as the kernel sets them
  {
    name: 'somaxconn',
    type: 'int',
    default: 4096,
    min: 0,
    max: 2147483647,
    sysctl: 'net/core/somaxconn',
    doc: 'ceiling of every listen() backlog (SOMAXCONN)',
  },
  {
    name: 'tcp_max_syn_backlog',
    type: 'int',
    default: 512,
    min: 0,
    max: 2147483647,
    sysctl: 'net/ipv4/tcp_max_syn_backlog',
    doc: 'the kernel sets max(128, ehash entries / 128), which depends on memory; 512 is a typical small machine',
  },
  {
    name: 'tcp_syncookies',
    type: 'int',
    default: 1,
    min: 0,
    max: 2,
    sysctl: 'net/ipv4/tcp_syncookies',
    doc: '0 never, 1 when the SYN queue overflows, 2 always',
  },
  {
    name: 'tcp_syn_retries',
    type: 'int',
    default: 6,
    min: 1,
    max: 127,
    sysctl: 'net/ipv4/tcp_syn_retries',
    doc: 'SYN retransmissions before connect() fails (TCP_SYN_RETRIES)',
  },
  {
    name: 'tcp_synack_retries',
    type: 'int',
    default: 5,
    min: 1,
    max: 255,
    sysctl: 'net/ipv4/tcp_synack_retries',
    doc: 'SYN-ACK retransmissions of a request sock (TCP_SYNACK_RETRIES)',
  },
  {
    name: 'tcp_abort_on_overflow',
    type: 'int',
    default: 0,
    min: 0,
    max: 1,
    sysctl: 'net/ipv4/tcp_abort_on_overflow',
    doc: 'answer a final ACK that finds the accept queue full with RST',
  },
  {
    name: 'tcp_syn_linear_timeouts',
    type: 'int',
    default: 4,
    min: 0,
    max: 10,
    sysctl: 'net/ipv4/tcp_syn_linear_timeouts',
    rule: 'syn_linear_timeouts',
    doc: 'SYN retransmissions that keep the initial RTO before exponential backoff',
  },
  {
    name: 'tcp_timestamps',
    type: 'int',
    default: 1,
    min: 0,
    max: 2,
    sysctl: 'net/ipv4/tcp_timestamps',
    doc: 'offer RFC 7323 timestamps (1: with a random per-connection offset, 2: without)',
  },
  {
    name: 'tcp_sack',
    type: 'int',
    default: 1,
    min: 0,
    max: 1,
    sysctl: 'net/ipv4/tcp_sack',
    doc: 'offer SACK-permitted',
  },
  {
    name: 'tcp_window_scaling',
    type: 'int',
    default: 1,
    min: 0,
    max: 1,
    sysctl: 'net/ipv4/tcp_window_scaling',
    doc: 'offer window scaling',
  },
  {
    name: 'tcp_rmem',
    type: 'string',
    default: '4096 131072 6291456',
    sysctl: 'net/ipv4/tcp_rmem',
    doc: 'min, default and max receive buffer',
  },
  {
    name: 'rmem_max',
    type: 'int',
    default: 212992,
    min: 0,
    max: 2147483647,
    sysctl: 'net/core/rmem_max',
    doc: 'largest SO_RCVBUF; also bounds the window scale',
  },
  {
    name: 'tcp_adv_win_scale',
    type: 'int',
    default: 1,
    min: -31,
    max: 31,
    sysctl: 'net/ipv4/tcp_adv_win_scale',
    doc: 'share of the receive buffer offered as window; obsolete (no effect) from 6.6',
  },
  {
    name: 'tcp_app_win',
    type: 'int',
    default: 31,
    min: 0,
    max: 31,
    sysctl: 'net/ipv4/tcp_app_win',
    doc: 'keep 1/2^tcp_app_win of the buffer out of the window for the application (0: none); with it, tcp_init_buffer_space also keeps one segment out',
  },
  {
    name: 'tcp_shrink_window',
    type: 'int',
    default: 0,
    min: 0,
    max: 1,
    sysctl: 'net/ipv4/tcp_shrink_window',
    doc: 'let a scaled receive window shrink (move its right edge left) when the buffer fills',
  },
  {
    name: 'tcp_workaround_signed_windows',
    type: 'int',
    default: 0,
    min: 0,
    max: 1,
    sysctl: 'net/ipv4/tcp_workaround_signed_windows',
    doc: 'never offer an unscaled window above 32767',
  },
  {
    name: 'tcp_fin_timeout',
    type: 'int',
    default: 60,
    min: 1,
    max: 600,
    sysctl: 'net/ipv4/tcp_fin_timeout',
    doc: 'FIN_WAIT2 lifetime of an orphan, seconds',
  },
  {
    name: 'tcp_rto_max_ms',
    type: 'int',
    default: 120000,
    min: 1000,
    max: 120000,
    sysctl: 'net/ipv4/tcp_rto_max_ms',
    rule: 'rto_max_sysctl',
    doc: 'ceiling of the retransmission timeout',
  },
  {
    name: 'ip_local_port_range',
    type: 'string',
    default: '32768 60999',
    sysctl: 'net/ipv4/ip_local_port_range',
    doc: 'ephemeral ports for connect()',
  },
];

export type ParamValues = Record<string, number | string>;

export class ParamError extends Error {}

export function paramSpec(name: string): ParamSpec | undefined {
  return PARAMS.find((p) => p.name === name);
}

/** The parameters a kernel version has: the version-gated sysctls only where they exist. */
export function paramsFor(version: KernelVersion): ParamSpec[] {
  return PARAMS.filter((p) => p.rule === undefined || applies(version, p.rule));
}

/** A parameter's default on a kernel version (some follow a version rule). */
export function defaultOf(spec: ParamSpec, version: KernelVersion): number | string {
  return spec.defaultWith && applies(version, spec.defaultWith.rule)
    ? spec.defaultWith.value
    : spec.default;
}

/** Checks and converts one value given as text or number. */
export function coerceParam(spec: ParamSpec, raw: string | number): number | string {
  if (spec.type === 'string') {
    const s = String(raw).trim().replace(/\s+/g, ' ');
    if (spec.name === 'link' && s !== 'lo' && s !== 'veth') {
      throw new ParamError(`link must be "lo" or "veth", got "${s}"`);
    }
    if (
      (spec.name === 'tcp_rmem' && !/^\d+ \d+ \d+$/.test(s)) ||
      (spec.name === 'ip_local_port_range' && !/^\d+ \d+$/.test(s))
    ) {
      throw new ParamError(`${spec.name} wants numbers separated by spaces, got "${s}"`);
    }
    return s;
  }
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n)) throw new ParamError(`${spec.name} wants a whole number, got "${raw}"`);
  // Whole-millisecond jiffies only, so that step times stay whole numbers.
  if (spec.name === 'hz' && ![0, 100, 250, 1000].includes(n)) {
    throw new ParamError(`hz must be 0, 100, 250 or 1000, got ${n}`);
  }
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw new ParamError(
      `${spec.name}=${n} is out of range [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]`,
    );
  }
  return n;
}

/**
 * Defaults, then the scenario's, then the user's. A name the version does not have (e.g.
 * tcp_syn_linear_timeouts on 6.1) is an error rather than silently ignored.
 */
export function resolveParams(
  version: KernelVersion,
  scenarioDefaults: Readonly<Record<string, number | string>>,
  user: Readonly<Record<string, number | string>>,
): ParamValues {
  const specs = paramsFor(version);
  const out: ParamValues = {};
  for (const spec of specs) out[spec.name] = defaultOf(spec, version);
  const apply = (source: string, values: Readonly<Record<string, number | string>>): void => {
    for (const [name, raw] of Object.entries(values)) {
      const spec = paramSpec(name);
      if (!spec) {
        throw new ParamError(
          `unknown parameter "${name}" (from ${source}); known: ${PARAMS.map((p) => p.name).join(', ')}`,
        );
      }
      if (!specs.includes(spec)) {
        throw new ParamError(
          `${name} does not exist in Linux ${version.text} (it came with rule ${spec.rule})`,
        );
      }
      out[name] = coerceParam(spec, raw);
    }
  };
  apply('the scenario', scenarioDefaults);
  apply('the command line', user);
  return out;
}

/** Reads an int parameter that resolveParams has checked. */
export function intParam(values: ParamValues, name: string): number {
  const v = values[name];
  if (typeof v !== 'number') throw new ParamError(`parameter ${name} is not set to a number`);
  return v;
}

export function numbersParam(values: ParamValues, name: string): number[] {
  return String(values[name]).split(' ').map(Number);
}
