// Runs one scenario on this machine's kernel and returns its normalized trace.
//
// Topology: two fresh network namespaces, "client side" and "server side", joined by a veth
// pair, or, when the scenario wants a one-way delay, by two TUN devices and kl-link (the
// kernels here lack sch_netem, see programs/link.c). Both namespaces get the host's TCP
// sysctls (read from /proc/sys/net in the initial namespace), overridden by the scenario's
// parameters, so the model can be configured with exactly the same values. tcpdump captures
// each side's outgoing segments on its own device (so every segment is stamped when its
// sender sent it, dropped or not), the programs print their calls, `ss` lists the sockets
// left at the end, and everything is removed again, also when something fails.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { Sandbox, run } from './netns';
import { parsePcap, tcpdumpFlags, type TcpOption, type WireSegment } from './pcap';
import { plan, SERVER_PORT, type Params, type Plan, type ScenarioName } from './scenarios';
import {
  buildConnections,
  canonicalOptions,
  canonicalState,
  type Call,
  type FinalState,
  type RawSegment,
  type Trace,
} from './trace';

/** A sysctl's value: a number, or a line of numbers ("4096 131072 6291456"). */
export type SysctlValues = Record<string, number | string>;

/**
 * The sysctls the model is configured with, by the name `sim --set` takes (issue 5 names the
 * first seven; the others shape options and windows), with their /proc/sys path and whether
 * they exist per network namespace. Global ones (rmem_max) are only read, never written: a
 * write would change the host.
 */
export const SYSCTLS: Record<string, { path: string; perNamespace: boolean }> = {
  somaxconn: { path: 'net/core/somaxconn', perNamespace: true },
  tcp_max_syn_backlog: { path: 'net/ipv4/tcp_max_syn_backlog', perNamespace: true },
  tcp_syncookies: { path: 'net/ipv4/tcp_syncookies', perNamespace: true },
  tcp_syn_retries: { path: 'net/ipv4/tcp_syn_retries', perNamespace: true },
  tcp_synack_retries: { path: 'net/ipv4/tcp_synack_retries', perNamespace: true },
  tcp_abort_on_overflow: { path: 'net/ipv4/tcp_abort_on_overflow', perNamespace: true },
  tcp_syn_linear_timeouts: { path: 'net/ipv4/tcp_syn_linear_timeouts', perNamespace: true },
  tcp_timestamps: { path: 'net/ipv4/tcp_timestamps', perNamespace: true },
  tcp_sack: { path: 'net/ipv4/tcp_sack', perNamespace: true },
  tcp_window_scaling: { path: 'net/ipv4/tcp_window_scaling', perNamespace: true },
  tcp_rmem: { path: 'net/ipv4/tcp_rmem', perNamespace: true },
  rmem_max: { path: 'net/core/rmem_max', perNamespace: false },
  tcp_adv_win_scale: { path: 'net/ipv4/tcp_adv_win_scale', perNamespace: true },
  // The receive window the model advertises follows these (tcp_select_window & co).
  tcp_app_win: { path: 'net/ipv4/tcp_app_win', perNamespace: true },
  tcp_shrink_window: { path: 'net/ipv4/tcp_shrink_window', perNamespace: true },
  tcp_workaround_signed_windows: {
    path: 'net/ipv4/tcp_workaround_signed_windows',
    perNamespace: true,
  },
  tcp_fin_timeout: { path: 'net/ipv4/tcp_fin_timeout', perNamespace: true },
  tcp_rto_max_ms: { path: 'net/ipv4/tcp_rto_max_ms', perNamespace: true },
  ip_local_port_range: { path: 'net/ipv4/ip_local_port_range', perNamespace: true },
};

/** The host's own values (initial namespace), for those this kernel has. */
export function hostSysctls(): SysctlValues {
  const out: SysctlValues = {};
  for (const [name, { path }] of Object.entries(SYSCTLS)) {
    try {
      const text = readFileSync(`/proc/sys/${path}`, 'utf8').trim().replace(/\s+/g, ' ');
      out[name] = /^-?\d+$/.test(text) ? Number(text) : text;
    } catch {
      // Not in this kernel (tcp_syn_linear_timeouts is 6.5+): the model must not get it.
    }
  }
  return out;
}

/** A sysctl that must be a number (the scenario-shaping ones are). */
export function numericSysctl(values: SysctlValues, name: string): number | undefined {
  const v = values[name];
  return v === undefined ? undefined : Number(v);
}

/** A scenario asks for something this kernel does not have (a sysctl of a later version). */
export class UnsupportedOnThisKernel extends Error {}

/** The host kernel's version, e.g. "6.18.44" from `uname -r` "6.18.44-fc-v782". */
export function hostKernelVersion(): string {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return /^\d+\.\d+(\.\d+)?/.exec(release)?.[0] ?? release;
}

/** Where tier-conformance.sh put the compiled programs. */
export function programsDir(): string {
  const cache = process.env['KERNEL_LENS_CACHE'] ?? join(homedir(), '.cache', 'kernel-lens');
  return join(cache, 'conformance', 'current');
}

export interface RealRun {
  plan: Plan;
  /** Sysctls in force in both namespaces: the host's, overridden by the parameters. */
  sysctls: SysctlValues;
  trace: Trace;
  /** The programs' own lines, per host, for diagnostics. */
  output: Record<string, string[]>;
  /** `ss -tan` at the end, per namespace side. */
  sockets: string[];
  /** tcpdump's own reading of each side's capture (`tcpdump -nn -r`), in capture order,
   * and our reading of the same file, so a test can check the two agree on every flag. */
  tcpdumpCheck: { tcpdump: string[]; ours: string[] };
  /** The latest any program woke up for a scheduled call (kl-actor's `at`), in ms: tens of
   * ms mean a loaded machine, and timing differences with the model are likely its doing. */
  scheduleSlipMs: number;
  /** Packets the server side's nftables rules dropped. */
  serverDrops: number;
  /** The server namespace's TcpExt/Tcp counters at the end (/proc/net/netstat and snmp),
   * e.g. ListenOverflows, SyncookiesSent. A fresh namespace starts them at zero. */
  serverCounters: Record<string, number>;
  /** The same for the client namespace (every client and the attacker). */
  clientCounters: Record<string, number>;
  wallMs: number;
}

const DEV = { client: 'klc0', server: 'kls0' } as const;

/** Runs `scenario` with `params` (over its defaults) on the real kernel. */
export async function runScenario(scenario: ScenarioName, params: Params = {}): Promise<RealRun> {
  const started = Date.now();
  const sysctls = hostSysctls();
  for (const [k, v] of Object.entries(params)) {
    if (!(k in SYSCTLS)) continue;
    if (!(k in sysctls)) {
      // e.g. tcp_syn_linear_timeouts before 6.5: the case is about a kernel this is not.
      throw new UnsupportedOnThisKernel(`this kernel has no net sysctl ${k}`);
    }
    sysctls[k] = v;
  }
  const numeric: Params = {};
  for (const [k, v] of Object.entries(sysctls)) if (typeof v === 'number') numeric[k] = v;
  const pl = plan(scenario, params, numeric);
  for (const [k, v] of Object.entries(pl.params)) if (k in SYSCTLS) sysctls[k] = v;

  const bin = programsDir();
  const dir = mkdtempSync(join(tmpdir(), `kl-conformance-${scenario}-`));
  const box = new Sandbox();
  try {
    const ns = { client: await box.namespace('c'), server: await box.namespace('s') };

    // --- link
    if (pl.delayMs > 0) {
      const link = box.start('kl-link', ns.client, join(bin, 'kl-link'), [
        `/var/run/netns/${ns.client}`,
        DEV.client,
        `/var/run/netns/${ns.server}`,
        DEV.server,
        String(pl.delayMs),
      ]);
      await link.waitForLine(/^ready$/, 5000);
    } else {
      await run('ip', [
        'link',
        'add',
        DEV.client,
        'netns',
        ns.client,
        'type',
        'veth',
        'peer',
        'name',
        DEV.server,
        'netns',
        ns.server,
      ]);
    }
    for (const side of ['client', 'server'] as const) {
      for (const h of pl.hosts.filter((x) => x.side === side)) {
        await run('ip', ['-n', ns[side], 'addr', 'add', `${h.ip}/24`, 'dev', DEV[side]]);
      }
      await run('ip', ['-n', ns[side], 'link', 'set', DEV[side], 'up']);
      // --- sysctls: the same values on both sides
      for (const [name, value] of Object.entries(sysctls)) {
        const spec = SYSCTLS[name]!;
        if (spec.perNamespace) await box.sysctl(ns[side], spec.path.replace(/\//g, '.'), value);
      }
      const rules = side === 'server' ? pl.serverRules : pl.clientRules;
      if (rules.length > 0) {
        await box.nft(
          ns[side],
          `table inet kl {\n chain pre {\n  type filter hook prerouting priority 0; policy accept;\n${rules.map((r) => `  ${r}\n`).join('')} }\n}\n`,
        );
      }
    }

    // --- captures: each side's outgoing segments, stamped as they leave.
    // --immediate-mode: without it libpcap hands packets over a ring-buffer block at a time
    // (TPACKET_V3, block timeout 1 s), and whatever sits in the unfinished block when tcpdump
    // is stopped is lost: the tier saw the last ACK of a run vanish that way.
    const pcaps = { client: join(dir, 'client.pcap'), server: join(dir, 'server.pcap') };
    const dumps = (['client', 'server'] as const).map((side) =>
      box.start(`tcpdump ${side}`, ns[side], 'tcpdump', [
        '-i',
        DEV[side],
        '-Q',
        'out',
        '--immediate-mode',
        '-nn',
        '-U',
        '-Z',
        'root',
        '-s',
        '256',
        '-w',
        pcaps[side],
        'tcp',
      ]),
    );
    for (const d of dumps) await d.waitForLine(/listening on/, 5000);
    // The first SYN must not wait for a carrier: both ends report LOWER_UP first.
    for (const side of ['client', 'server'] as const) await waitLowerUp(ns[side], DEV[side]);

    // --- programs, on the scenario's clock
    const t0Us = (Date.now() + 600) * 1000;
    const sideOf = (name: string): 'client' | 'server' =>
      pl.hosts.find((h) => h.name === name)?.side ?? 'client';
    const actors = pl.actors.map((a) => ({
      host: a.host,
      proc: box.start(`kl-actor ${a.host}`, ns[sideOf(a.host)], join(bin, 'kl-actor'), [
        String(t0Us),
        ...a.actions,
      ]),
    }));
    if (pl.flood) {
      const f = pl.flood;
      const ip = pl.hosts.find((h) => h.name === f.host)!.ip;
      actors.push({
        host: f.host,
        proc: box.start('kl-synflood', ns[sideOf(f.host)], join(bin, 'kl-synflood'), [
          String(t0Us),
          String(f.atMs),
          ip,
          pl.hosts.find((h) => h.name === 'server')!.ip,
          String(SERVER_PORT),
          String(f.firstPort),
          String(f.count),
          String(f.intervalUs),
          f.options,
          String(f.window),
        ]),
      });
    }

    // --- end: list sockets at endMs, then stop captures and programs
    const endAt = t0Us / 1000 + pl.endMs;
    await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
    const sockets: string[] = [];
    for (const side of ['client', 'server'] as const) {
      const out = await run('ip', ['netns', 'exec', ns[side], 'ss', '-tanH']);
      sockets.push(...out.split('\n').filter((l) => l.trim() !== ''));
    }
    const serverCounters = parseNetstat(
      (
        await run('ip', ['netns', 'exec', ns.server, 'cat', '/proc/net/netstat', '/proc/net/snmp'])
      ).split('\n'),
    );
    const clientCounters = parseNetstat(
      (
        await run('ip', ['netns', 'exec', ns.client, 'cat', '/proc/net/netstat', '/proc/net/snmp'])
      ).split('\n'),
    );
    const nftOut =
      pl.serverRules.length > 0
        ? await run('ip', ['netns', 'exec', ns.server, 'nft', 'list', 'table', 'inet', 'kl'])
        : '';
    for (const d of dumps) await d.stop('SIGTERM');
    // A program that ended by itself with an error (kl-actor: bad action, ip netns exec: no
    // such program) makes the whole run meaningless: say so rather than compare nothing.
    const broken = actors.filter((a) => !a.proc.running && a.proc.code !== 0);
    for (const a of actors) await a.proc.stop('SIGKILL');
    if (broken.length > 0) {
      throw new Error(
        broken
          .map((a) => `${a.proc.label} exited ${a.proc.code}: ${a.proc.stderr.join(' | ')}`)
          .join('; '),
      );
    }

    const output: Record<string, string[]> = {};
    for (const a of actors)
      output[a.host] = [
        ...(output[a.host] ?? []),
        ...a.proc.lines,
        ...a.proc.stderr.map((l) => `stderr: ${l}`),
      ];
    const wire = [
      ...parsePcap(readFileSync(pcaps.client)),
      ...parsePcap(readFileSync(pcaps.server)),
    ];
    const tcpdumpCheck = {
      tcpdump: [] as string[],
      ours: wire.map((w) => tcpdumpFlags(w.flagBits)),
    };
    for (const side of ['client', 'server'] as const) {
      const text = await run('tcpdump', ['-nn', '-r', pcaps[side]]);
      for (const m of text.matchAll(/Flags \[([^\]]*)\]/g)) tcpdumpCheck.tcpdump.push(m[1]!);
    }
    const trace = realTrace(
      pl,
      hostKernelVersion(),
      sysctls,
      t0Us,
      wire,
      actors.map((a) => ({ host: a.host, lines: a.proc.lines })),
      sockets,
    );
    const serverDrops = [...nftOut.matchAll(/counter packets (\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    return {
      plan: pl,
      sysctls,
      trace,
      output,
      sockets,
      tcpdumpCheck,
      scheduleSlipMs: scheduleSlip(actors.flatMap((a) => a.proc.lines)),
      serverDrops,
      serverCounters,
      clientCounters,
      wallMs: Date.now() - started,
    };
  } finally {
    await box.destroy();
    if (process.env['KERNEL_LENS_KEEP_CAPTURES']) {
      // For a look with tcpdump -r or wireshark when a difference needs explaining.
      console.log(`conformance: ${scenario} captures kept in ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Builds the normalized trace of a real run. Exported for unit tests on recorded data. */
export function realTrace(
  pl: Plan,
  kernel: string,
  sysctls: SysctlValues,
  t0Us: number,
  wire: readonly WireSegment[],
  programs: readonly { host: string; lines: readonly string[] }[],
  sockets: readonly string[],
): Trace {
  const hostOf = new Map(pl.hosts.map((h) => [h.ip, h.name]));
  const raw: RawSegment[] = [];
  for (const w of wire) {
    const srcHost = hostOf.get(w.srcIp);
    const dstHost = hostOf.get(w.dstIp);
    if (srcHost === undefined || dstHost === undefined) continue;
    raw.push({
      tMs: (w.tUs - t0Us) / 1000,
      srcHost,
      srcPort: w.srcPort,
      dstHost,
      dstPort: w.dstPort,
      flags: tcpdumpFlags(w.flagBits),
      seq: w.seq,
      ack: w.ack,
      len: w.len,
      win: w.win,
      options: canonicalOptions(w.options.map(optionText)),
    });
  }

  const calls: Call[] = [];
  for (const prog of programs) {
    for (const line of prog.lines) {
      if (!line.startsWith('{')) continue;
      const j = JSON.parse(line) as {
        t_us: number;
        call: string;
        result: number;
        errno?: string;
        value?: string;
        harness?: boolean;
      };
      // The flooder's raw sends are the attacker's tool, not socket API calls the model makes,
      // and the harness's own calls (source-address binds) are not part of the scenario.
      if (j.call === 'sendto' || j.harness) continue;
      const c: Call = {
        tMs: (j.t_us - t0Us) / 1000,
        host: prog.host,
        call: j.call,
        result: j.result,
      };
      // After the end the runner tears down (stops captures, kills programs, which closes
      // listeners): what calls return then is the harness's doing, not the scenario's.
      if (c.tMs > pl.endMs) continue;
      if (j.errno !== undefined) c.errno = j.errno;
      if (j.value !== undefined) c.value = j.value;
      calls.push(c);
    }
  }
  calls.sort((a, b) => a.tMs - b.tMs);

  const finalStates: FinalState[] = [];
  for (const line of sockets) {
    // "ESTAB 0 0 192.0.2.2:41234 192.0.2.1:8080"
    const [state, , , local] = line.trim().split(/\s+/);
    const ip = local?.replace(/:\d+$/, '');
    const h = ip === undefined ? undefined : hostOf.get(ip);
    if (state !== undefined && h !== undefined)
      finalStates.push({ host: h, state: canonicalState(state) });
  }

  return {
    scenario: pl.scenario,
    source: 'real',
    kernel,
    params: { ...pl.params, ...numericOnly(sysctls) },
    connections: buildConnections(raw),
    calls,
    finalStates,
  };
}

/** The largest `late_us` of the programs' `at` lines, in ms. */
export function scheduleSlip(lines: readonly string[]): number {
  let late = 0;
  for (const l of lines) {
    const m = /"call":"at","late_us":(-?\d+)/.exec(l);
    if (m) late = Math.max(late, Number(m[1]) / 1000);
  }
  return late;
}

function numericOnly(values: SysctlValues): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** Waits (at most 3 s) until a device has its carrier, as `ip link` shows it. */
async function waitLowerUp(ns: string, dev: string): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const out = await run('ip', ['-n', ns, '-o', 'link', 'show', 'dev', dev]);
    if (/[<,]LOWER_UP[,>]/.test(out)) return;
    if (Date.now() > deadline) throw new Error(`${dev} in ${ns} has no carrier: ${out.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** /proc/net/netstat and /proc/net/snmp come in pairs of lines, "TcpExt: Name1 Name2 ..."
 * then "TcpExt: 1 2 ...". */
export function parseNetstat(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const group = names[0]?.replace(/:$/, '');
    if (group !== 'TcpExt' && group !== 'Tcp') continue;
    for (let k = 1; k < names.length; k++) out[names[k]!] = Number(values[k]);
  }
  return out;
}

function optionText(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
    case 'wscale':
      return `${o.kind} ${o.value}`;
    case 'other':
      return `opt-${o.code}`;
    default:
      return o.kind;
  }
}
