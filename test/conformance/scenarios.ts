// The issue-5 scenarios as real programs: for a scenario name and its parameters, which
// hosts exist (and on which side of the link), which socket calls each performs and when
// (as kl-actor scripts on the scenario's clock), what the network drops, and when the run
// ends. Pure data and arithmetic; runner.ts carries a plan out.
//
// Time zero is when the first client acts; the server sets up its listener 200 ms before, so
// it is listening whatever the process start-up latency.

/** Scenario names, as `kernel-lens sim` knows them (issue 5, "Scenarios"). */
export const SCENARIOS = [
  'normal',
  'refused',
  'nonblocking',
  'nonblocking-refused',
  'accept-overflow',
  'syn-loss',
  'syn-timeout',
  'simultaneous-open',
  'listener-close',
  'syn-flood',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Params = Record<string, number>;

/** Scenario parameters the runner itself uses (the sysctls are passed through as they are).
 * Defaults are small so the tier stays short: TCP_SYNCNT 2, one-way delays of tens of ms. */
export const DEFAULT_PARAMS: Record<ScenarioName, Params> = {
  normal: { backlog: 128, clients: 1, delay_ms: 0 },
  refused: { clients: 1, delay_ms: 0 },
  nonblocking: { backlog: 128, clients: 1, delay_ms: 0 },
  'nonblocking-refused': { clients: 1, delay_ms: 0 },
  // Over a 20 ms link, client 2 and 3's SYNs are admitted (accept queue 0 then 1, one
  // request pending each time: no syncookies), and client 3's ACK finds the accept queue
  // full (2 > backlog 1). Closer clients would overflow the SYN queue first (cookies), and
  // farther ones would be stopped at the SYN by the full accept queue.
  'accept-overflow': { backlog: 1, clients: 3, interval_ms: 30, delay_ms: 20, syncnt: 2 },
  'syn-loss': { backlog: 128, clients: 1, drop_syns: 2, delay_ms: 0 },
  'syn-timeout': { clients: 1, syncnt: 2, delay_ms: 0 },
  // Each side's SYN must leave before the other's arrives: that needs a one-way delay.
  'simultaneous-open': { clients: 1, delay_ms: 20 },
  'listener-close': { backlog: 8, clients: 2, interval_ms: 20, delay_ms: 0 },
  // `flood_syns` bare SYNs against a small listen queue, then one real client.
  'syn-flood': { backlog: 4, flood_syns: 8, flood_interval_ms: 1, delay_ms: 0, tcp_syncookies: 1 },
};

export const SERVER_IP = '192.0.2.1'; // TEST-NET-1: never routed, lives only in our namespaces
export const SERVER_PORT = 8080;
export const ATTACKER_IP = '192.0.2.200';
/** The simultaneous-open scenario's fixed ports (both sides bind). */
export const SIMOPEN_CLIENT_PORT = 5000;

export interface HostSpec {
  name: string; // "client", "client2", "server", "attacker"
  side: 'client' | 'server'; // which namespace
  ip: string;
}

export interface ActorSpec {
  host: string;
  actions: string[]; // kl-actor actions, e.g. "connect:s:192.0.2.1:8080"
}

export interface FloodSpec {
  host: string;
  atMs: number;
  firstPort: number;
  count: number;
  intervalUs: number;
  /** What the SYNs carry (kl-synflood's OPTIONS): the model's attacker decides. */
  options: 'linux' | 'mss' | 'none';
  window: number;
}

export interface Plan {
  scenario: ScenarioName;
  params: Params;
  hosts: HostSpec[];
  delayMs: number;
  /** nftables rules for the server namespace's prerouting chain, and the client's. */
  serverRules: string[];
  clientRules: string[];
  /** How many packets the server rules must have dropped (checked after the run). */
  expectServerDrops?: number;
  actors: ActorSpec[];
  flood?: FloodSpec;
  /** When the run ends (ms after time zero): sockets are listed, captures stop. */
  endMs: number;
}

/** SYN size on the wire for a Linux client with the host's default options:
 * IP 20 + TCP 20 + mss 4 + sackOK/TS 12 + nop/wscale 4. Used by the nftables quota that drops
 * the first k SYNs (quotas count bytes); the runner checks the count afterwards. */
const SYN_BYTES = 60;

/** The RTO before each SYN retransmission, in ms: the initial RTO (1 s), kept constant for
 * the first `linear` retransmissions (tcp_syn_linear_timeouts, which also adds to the retry
 * count), then doubling. Used for scheduling the run, not for the comparison. */
export function synBackoffMs(retries: number, linear: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= retries; k++) {
    out.push(k <= linear ? 1000 : 1000 * 2 ** (k - linear - 1));
  }
  return out;
}

/** When a blocking connect gives up with ETIMEDOUT: the earlier of two limits that
 * tcp_write_timeout() applies, the retry count (syncnt + linear, each retransmission waiting
 * its RTO and one more RTO after the last) and the time a purely exponential schedule of
 * `syncnt` retries would take ((2^(syncnt+1) - 1) s, tcp_model_timeout()). */
export function synTimeoutMs(syncnt: number, linear: number): number {
  const byCount = synBackoffMs(syncnt + linear + 1, linear).reduce((a, b) => a + b, 0);
  const byTime = (2 ** (syncnt + 1) - 1) * 1000;
  return Math.min(byCount, byTime);
}

function clientName(i: number): string {
  return i === 1 ? 'client' : `client${i}`;
}

function clientIp(i: number): string {
  return `192.0.2.${1 + i}`;
}

/** client2, client3... share the client namespace with extra addresses; their sockets are
 * given their own source address by a harness bind that leaves the port to connect(). */
function sourceFor(i: number, sock: string): string[] {
  return i === 1 ? [] : [`source:${sock}:${clientIp(i)}`];
}

/** Builds the plan. `host` holds the sysctls in force (the host's values, overridden by
 * params), which the schedule depends on (tcp_syn_linear_timeouts, tcp_syn_retries). */
export function plan(scenario: ScenarioName, given: Params, host: Params): Plan {
  const p: Params = { ...DEFAULT_PARAMS[scenario], ...given };
  const d = p['delay_ms'] ?? 0;
  const clients = Math.max(1, p['clients'] ?? 1);
  const interval = p['interval_ms'] ?? 0;
  const backlog = p['backlog'] ?? 128;
  const linear = host['tcp_syn_linear_timeouts'] ?? 0;
  const syncnt = p['syncnt'] ?? host['tcp_syn_retries'] ?? 6;
  const server = `${SERVER_IP}:${SERVER_PORT}`;
  const listen = [
    'at:-200',
    'socket:l',
    'reuseaddr:l',
    `bind:l:${SERVER_IP}:${SERVER_PORT}`,
    `listen:l:${backlog}`,
  ];
  const setSyncnt = (sock: string): string[] =>
    p['syncnt'] !== undefined ? [`syncnt:${sock}:${syncnt}`] : [];
  const hosts: HostSpec[] = [{ name: 'server', side: 'server', ip: SERVER_IP }];
  const clientHosts = (n: number): HostSpec[] => {
    const out: HostSpec[] = [];
    for (let i = 1; i <= n; i++) out.push({ name: clientName(i), side: 'client', ip: clientIp(i) });
    return out;
  };
  const base = {
    scenario,
    params: p,
    delayMs: d,
    serverRules: [] as string[],
    clientRules: [] as string[],
  };
  const rtt = 2 * d;
  const connectTo = (sock: string): string => `connect:${sock}:${server}`;

  switch (scenario) {
    case 'normal':
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          {
            host: 'server',
            actions: [
              ...listen,
              'accept:l:c:5000',
              'recv:c:100:5000',
              'recv:c:100:5000',
              'close:c',
              'close:l',
            ],
          },
          {
            host: 'client',
            actions: ['at:0', 'socket:s', connectTo('s'), 'send:s:hello', 'close:s'],
          },
        ],
        endMs: 500 + 4 * rtt,
      };
    case 'refused':
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [{ host: 'client', actions: ['at:0', 'socket:s', connectTo('s'), 'close:s'] }],
        endMs: 300 + 2 * rtt,
      };
    case 'nonblocking':
    case 'nonblocking-refused': {
      const actors: ActorSpec[] = [
        {
          host: 'client',
          actions: [
            'at:0',
            'socket:s',
            'nonblock:s',
            connectTo('s'),
            'poll:s:3000',
            'soerror:s',
            'close:s',
          ],
        },
      ];
      if (scenario === 'nonblocking') {
        actors.unshift({
          host: 'server',
          actions: [...listen, 'accept:l:c:5000', 'recv:c:100:5000', 'close:c', 'close:l'],
        });
      }
      return { ...base, hosts: [...hosts, ...clientHosts(1)], actors, endMs: 500 + 4 * rtt };
    }
    case 'accept-overflow': {
      // The listener never accepts; every client connects and keeps its socket.
      // Long enough to see the listener retransmit its SYN-ACK twice (1 s, then 2 s later).
      const endMs = (clients - 1) * interval + 2 * rtt + 3500;
      const actors: ActorSpec[] = [
        { host: 'server', actions: [...listen, `hold:${endMs + 1000}`] },
      ];
      for (let i = 1; i <= clients; i++) {
        actors.push({
          host: clientName(i),
          actions: [
            `at:${(i - 1) * interval}`,
            'socket:s',
            ...sourceFor(i, 's'),
            ...setSyncnt('s'),
            connectTo('s'),
            `hold:${endMs + 1000}`,
          ],
        });
      }
      return { ...base, hosts: [...hosts, ...clientHosts(clients)], actors, endMs };
    }
    case 'syn-loss':
    case 'syn-timeout': {
      const drop = scenario === 'syn-timeout' ? undefined : (p['drop_syns'] ?? 1);
      const match = `ip daddr ${SERVER_IP} tcp dport ${SERVER_PORT} tcp flags & (syn | ack) == syn`;
      const serverRules = [
        drop === undefined
          ? `${match} counter drop`
          : `${match} quota until ${drop * SYN_BYTES} bytes counter drop`,
      ];
      // syn-loss: the (k+1)th SYN gets through after k backoffs.
      const lossDone = synBackoffMs(drop ?? 0, linear).reduce((a, b) => a + b, 0);
      const endMs =
        drop === undefined ? synTimeoutMs(syncnt, linear) + 1000 : lossDone + 1000 + 2 * rtt;
      const serverActions =
        drop === undefined
          ? [...listen, `hold:${endMs + 1000}`]
          : [...listen, `accept:l:c:${endMs}`, `recv:c:100:${endMs}`, 'close:c', 'close:l'];
      const result: Plan = {
        ...base,
        serverRules,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: serverActions },
          {
            host: 'client',
            actions: ['at:0', 'socket:s', ...setSyncnt('s'), connectTo('s'), 'close:s'],
          },
        ],
        endMs,
      };
      if (drop !== undefined) result.expectServerDrops = drop;
      return result;
    }
    case 'simultaneous-open': {
      const c = `${clientIp(1)}:${SIMOPEN_CLIENT_PORT}`;
      const both = (own: string, other: string): string[] => [
        'at:0',
        'socket:s',
        'reuseaddr:s',
        `bind:s:${own}`,
        `connect:s:${other}`,
        'close:s',
      ];
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: both(server, c) },
          { host: 'client', actions: both(c, server) },
        ],
        endMs: 500 + 4 * rtt,
      };
    }
    case 'listener-close': {
      // Every client's handshake completes and waits in the accept queue; then the listener
      // closes, and each queued connection is reset.
      const closeAt = (clients - 1) * interval + 200 + 2 * rtt;
      const actors: ActorSpec[] = [
        { host: 'server', actions: [...listen, `at:${closeAt}`, 'close:l', 'hold:500'] },
      ];
      for (let i = 1; i <= clients; i++) {
        actors.push({
          host: clientName(i),
          actions: [
            `at:${(i - 1) * interval}`,
            'socket:s',
            ...sourceFor(i, 's'),
            connectTo('s'),
            `recv:s:100:${closeAt + 2000}`,
            'close:s',
          ],
        });
      }
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(clients)],
        actors,
        endMs: closeAt + 300 + 2 * rtt,
      };
    }
    case 'syn-flood': {
      // The attacker's address never answers: its namespace drops what comes back to it.
      const syns = p['flood_syns'] ?? 32;
      const every = p['flood_interval_ms'] ?? 1;
      const connectAt = (syns - 1) * every + 100;
      return {
        ...base,
        clientRules: [`ip daddr ${ATTACKER_IP} drop`],
        hosts: [...hosts, ...clientHosts(1), { name: 'attacker', side: 'client', ip: ATTACKER_IP }],
        flood: {
          host: 'attacker',
          atMs: 0,
          firstPort: 20000,
          count: syns,
          intervalUs: Math.round(every * 1000),
          options: 'linux',
          window: 64240,
        },
        actors: [
          {
            host: 'server',
            actions: [
              ...listen,
              'accept:l:c:5000',
              'recv:c:100:5000',
              'recv:c:100:5000',
              'close:c',
              'close:l',
            ],
          },
          {
            host: 'client',
            actions: [`at:${connectAt}`, 'socket:s', connectTo('s'), 'send:s:hello', 'close:s'],
          },
        ],
        endMs: connectAt + 500 + 4 * rtt,
      };
    }
  }
}
