// The issue-5 scenarios as real programs: for a scenario name and its parameters, which
// hosts exist (and on which side of the link), which socket calls each performs and when
// (as kl-actor scripts on the scenario's clock), what the network drops, and when the run
// ends. Pure data and arithmetic; runner.ts carries a plan out.
//
// The programs mirror the simulator's scenario data (kernel-snippets/simulator/scenarios/
// <name>.json) op for op, so both sides make the same calls; the comparison reports any
// call one side makes and the other does not. Two things only a real run needs:
//   - the model runs the server's socket/bind/listen at virtual time 0, before any client;
//     a real server does them 200 ms early, so it listens whatever the process start-up;
//   - a call the model lets block forever (accept, recv, pause) is bounded by the run's end.

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

/**
 * Parameters of each scenario: the simulator scenario's own defaults, except where a real run
 * needs other values to show the behaviour the scenario is about (said next to each).
 */
export const DEFAULT_PARAMS: Record<ScenarioName, Params> = {
  normal: { backlog: 128, delay_ms: 0 },
  refused: { delay_ms: 0 },
  // A 1 ms link keeps the handshake in flight for the second connect() (EALREADY).
  nonblocking: { backlog: 128, delay_ms: 1 },
  'nonblocking-refused': { delay_ms: 1 },
  // The model's defaults (4 clients at once, 1 ms link) overflow the SYN queue first (the
  // tier runs that too). Over a 100 ms link with clients 150 ms apart, client 2 and 3's SYNs
  // are admitted (accept queue 0 then 1, one request pending: no syncookies) and client 3's
  // ACK finds the accept queue full (2 > backlog 1): the ACK-stage overflow that
  // tcp_abort_on_overflow is about. Each event is 50 ms from the one it must not cross, so
  // a loaded machine does not reorder them.
  'accept-overflow': { backlog: 1, clients: 3, interval_ms: 150, delay_ms: 100, syncnt: 2 },
  'syn-loss': { backlog: 128, drop_syns: 2, delay_ms: 0 },
  'syn-timeout': { backlog: 128, syncnt: 2, delay_ms: 0 },
  // Both SYNs must leave before either arrives; two real processes start a few ms apart
  // (tens on a loaded machine), so the link needs more than the model's 1 ms.
  'simultaneous-open': { delay_ms: 50 },
  'listener-close': { backlog: 128, clients: 2, interval_ms: 0, hold_ms: 1000, delay_ms: 0 },
  'syn-flood': { backlog: 8, flood_syns: 32, flood_interval_ms: 1, delay_ms: 0 },
};

export const SERVER_IP = '192.0.2.1'; // TEST-NET-1: never routed, lives only in our namespaces
export const SERVER_PORT = 8080;
export const ATTACKER_IP = '192.0.2.200';
/** The simultaneous-open scenario's client port (both sides bind). */
export const SIMOPEN_CLIENT_PORT = 9090;
/** Clients start this late (the model's start_ms for every client host). */
export const CLIENT_START_MS = 10;
/** The syn-flood attacker and client start this late (the model's start_ms). */
export const FLOOD_ATTACKER_START_MS = 10;
export const FLOOD_CLIENT_START_MS = 100;

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

/** How long a call the model lets block forever may block in a real run: past the end,
 * so its timeout (EAGAIN, then the program's exit) never falls inside the compared span;
 * the runner kills the program at the end anyway. */
function bound(endMs: number): number {
  return endMs + 2000;
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
  const rtt = 2 * d;
  const clients = Math.max(1, p['clients'] ?? 1);
  const interval = p['interval_ms'] ?? 0;
  const backlog = p['backlog'] ?? 128;
  const linear = host['tcp_syn_linear_timeouts'] ?? 0;
  const syncnt = p['syncnt'] ?? 0;
  const server = `${SERVER_IP}:${SERVER_PORT}`;
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

  // kl-actor scripts. A leading "?" lets the program go on after a failed call (the model's
  // on_error: continue); otherwise a failure ends it, as in the model.
  const listen = [
    'at:-200',
    'socket:s',
    'reuseaddr:s',
    `bind:s:${SERVER_IP}:${SERVER_PORT}`,
    `listen:s:${backlog}`,
  ];
  const syncntOp = syncnt > 0 ? [`syncnt:c:${syncnt}`] : []; // the model skips syncnt 0
  const connect = `connect:c:${server}`;
  const clientStart = `at:${CLIENT_START_MS}`;
  /** The server of normal, nonblocking and syn-loss: accept, read to EOF, close both. */
  const echoServer = (end: number): string[] => [
    ...listen,
    `accept:s:c:${bound(end)}`,
    `recv:c:1024:${bound(end)}`,
    `recv:c:1024:${bound(end)}`,
    'close:c',
    'close:s',
  ];
  const sendingClient = [clientStart, 'socket:c', ...syncntOp, connect, 'send:c:hello', 'close:c'];
  const synDrop = (first: number | undefined): string => {
    const match = `ip saddr ${clientIp(1)} ip daddr ${SERVER_IP} tcp flags == syn`;
    return first === undefined
      ? `${match} counter drop`
      : `${match} quota until ${first * SYN_BYTES} bytes counter drop`;
  };

  switch (scenario) {
    case 'normal': {
      const endMs = 500 + 4 * rtt;
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: echoServer(endMs) },
          { host: 'client', actions: sendingClient },
        ],
        endMs,
      };
    }
    case 'refused':
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [{ host: 'client', actions: [clientStart, 'socket:c', connect] }],
        endMs: 300 + 2 * rtt,
      };
    case 'nonblocking': {
      // EINPROGRESS, EALREADY, poll, SO_ERROR, EISCONN twice, then data and close.
      const endMs = 500 + 4 * rtt;
      const client = [
        clientStart,
        'socket:c',
        'nonblock:c',
        `?${connect}`,
        `?${connect}`,
        'poll:c:5000:POLLOUT',
        'soerror:c',
      ];
      client.push(`?${connect}`, `?${connect}`, 'send:c:hello', 'close:c');
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: echoServer(endMs) },
          { host: 'client', actions: client },
        ],
        endMs,
      };
    }
    case 'nonblocking-refused':
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          {
            host: 'client',
            actions: [
              clientStart,
              'socket:c',
              'nonblock:c',
              `?${connect}`,
              'poll:c:5000:POLLOUT',
              'soerror:c',
              'close:c',
            ],
          },
        ],
        endMs: 300 + 4 * rtt,
      };
    case 'accept-overflow': {
      // The listener never accepts; every client connects and waits for data. Long enough to
      // see the listener resend a SYN-ACK twice (1 s, then 2 s later).
      const endMs = (clients - 1) * interval + 2 * rtt + 3500;
      const actors: ActorSpec[] = [
        { host: 'server', actions: [...listen, `hold:${bound(endMs)}`] },
      ];
      for (let i = 1; i <= clients; i++) {
        actors.push({
          host: clientName(i),
          actions: [
            `at:${CLIENT_START_MS + (i - 1) * interval}`,
            'socket:c',
            ...sourceFor(i, 'c'),
            ...syncntOp,
            connect,
            `recv:c:1024:${bound(endMs)}`,
            'close:c',
          ],
        });
      }
      return { ...base, hosts: [...hosts, ...clientHosts(clients)], actors, endMs };
    }
    case 'syn-loss': {
      const drop = p['drop_syns'] ?? 0;
      // The (k+1)th SYN gets through after k backoffs.
      const endMs = synBackoffMs(drop, linear).reduce((a, b) => a + b, 0) + 1000 + 4 * rtt;
      return {
        ...base,
        serverRules: [synDrop(drop)],
        expectServerDrops: drop,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: echoServer(endMs) },
          { host: 'client', actions: sendingClient },
        ],
        endMs,
      };
    }
    case 'syn-timeout': {
      const retries = syncnt > 0 ? syncnt : (host['tcp_syn_retries'] ?? 6);
      const endMs = synTimeoutMs(retries, linear) + 1000;
      return {
        ...base,
        serverRules: [synDrop(undefined)],
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: [...listen, `hold:${bound(endMs)}`] },
          { host: 'client', actions: [clientStart, 'socket:c', ...syncntOp, connect] },
        ],
        endMs,
      };
    }
    case 'simultaneous-open': {
      const c = `${clientIp(1)}:${SIMOPEN_CLIENT_PORT}`;
      const both = (sock: string, own: string, other: string): string[] => [
        'at:0',
        `socket:${sock}`,
        `reuseaddr:${sock}`,
        `bind:${sock}:${own}`,
        `connect:${sock}:${other}`,
        `close:${sock}`,
      ];
      return {
        ...base,
        hosts: [...hosts, ...clientHosts(1)],
        actors: [
          { host: 'server', actions: both('s', server, c) },
          { host: 'client', actions: both('c', c, server) },
        ],
        endMs: 500 + 4 * rtt,
      };
    }
    case 'listener-close': {
      // Every client's handshake completes and waits in the accept queue; after hold_ms the
      // listener closes, and each queued connection is reset.
      const closeAt = p['hold_ms'] ?? 1000;
      // Past the first SYN retransmission of the last client too: a client the full accept
      // queue turned away retries after 1 s and finds no listener any more.
      const lastStart = CLIENT_START_MS + (clients - 1) * interval;
      const endMs = Math.max(closeAt + 300, lastStart + 1300) + 2 * rtt;
      const actors: ActorSpec[] = [
        { host: 'server', actions: [...listen, `at:${closeAt}`, 'close:s'] },
      ];
      for (let i = 1; i <= clients; i++) {
        actors.push({
          host: clientName(i),
          actions: [
            `at:${CLIENT_START_MS + (i - 1) * interval}`,
            'socket:c',
            ...sourceFor(i, 'c'),
            connect,
            `recv:c:1024:${bound(endMs)}`,
            'close:c',
          ],
        });
      }
      return { ...base, hosts: [...hosts, ...clientHosts(clients)], actors, endMs };
    }
    case 'syn-flood': {
      // The attacker's address never answers: its namespace drops what comes back to it.
      const syns = p['flood_syns'] ?? 32;
      const every = p['flood_interval_ms'] ?? 1;
      // With syncookies the client gets through at once; without, its SYNs are dropped until
      // the flood's requests expire, after the SYN-ACK and its tcp_synack_retries resends
      // ((2^(n+1) - 1) s), and the next SYN retransmission (at most 1 s later while linear).
      const cookies = (p['tcp_syncookies'] ?? host['tcp_syncookies'] ?? 1) !== 0;
      const synackRetries = p['tcp_synack_retries'] ?? host['tcp_synack_retries'] ?? 5;
      const recovery = cookies ? 500 : (2 ** (synackRetries + 1) - 1) * 1000 + 2500;
      const endMs =
        Math.max(FLOOD_CLIENT_START_MS, FLOOD_ATTACKER_START_MS + (syns - 1) * every) +
        recovery +
        4 * rtt;
      return {
        ...base,
        clientRules: [`ip daddr ${ATTACKER_IP} drop`],
        hosts: [...hosts, ...clientHosts(1), { name: 'attacker', side: 'client', ip: ATTACKER_IP }],
        // The model's attacker: Linux's SYN options, window 64240, ports from 20000.
        flood: {
          host: 'attacker',
          atMs: FLOOD_ATTACKER_START_MS,
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
              `accept:s:c:${bound(endMs)}`,
              `recv:c:1024:${bound(endMs)}`,
              `recv:c:1024:${bound(endMs)}`,
              'close:c',
              `hold:${bound(endMs)}`,
            ],
          },
          {
            host: 'client',
            actions: [
              `at:${FLOOD_CLIENT_START_MS}`,
              'socket:c',
              ...syncntOp,
              connect,
              'send:c:hello',
              'close:c',
            ],
          },
        ],
        endMs,
      };
    }
  }
}
