/**
 * The simulator: hosts with Linux's TCP socket behaviour, a network between them, programs
 * that make socket calls, and a virtual clock. Events run in time order; at equal times the
 * network and timers go before programs, as softirq work on loopback completes before the
 * calling process runs on (a 0 ms link thus behaves like lo).
 *
 * Each rule cites the kernel function it follows (Linux 6.1 and 6.12; version differences go
 * through versionRules.ts). What is simplified says so where it is.
 */
import { stack, type CodePoint } from './codePoints';
import type { SegmentJson, StepKind, SyscallJson } from './output';
import { intParam, numbersParam, paramsFor, resolveParams, type ParamValues } from './params';
import { Random } from './random';
import {
  checkScenario,
  type HostSpec,
  type NetRule,
  type Op,
  type ParamRef,
  type ScenarioSpec,
} from './scenario';
import * as M from './tcpModel';
import type { CodeRef, SimResult, SimStep, SocketView, WorldSnapshot } from './types';
import { applies, type KernelVersion, type VersionRuleId } from './versionRules';
import {
  ACK,
  after,
  before,
  encodeHeader,
  FIN,
  formatOptions,
  PSH,
  RST,
  segLen,
  SYN,
  tcpChecksum,
  tcpdumpFlags,
  toHex,
  u32,
  URG,
  type Segment,
  type TcpOption,
} from './wire';

export interface RunOptions {
  version: KernelVersion;
  seed: number;
  /** Values by parameter name, as given on the command line (text or number). */
  params?: Readonly<Record<string, number | string>>;
}

/** Runs a scenario to its end: every program finished or blocked for good, or the horizon. */
export function runScenario(spec: ScenarioSpec, options: RunOptions): SimResult {
  const params = resolveParams(options.version, spec.params ?? {}, options.params ?? {});
  checkScenario(spec, new Set(paramsFor(options.version).map((p) => p.name)));
  const world = new World(spec, options.version, options.seed, params);
  return world.run();
}

// --- sockets

type TcpState =
  | 'CLOSE'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/** struct socket's state, which connect() consults before the TCP state (__inet_stream_connect). */
type SocketState = 'UNCONNECTED' | 'CONNECTING' | 'CONNECTED';

interface Remote {
  host: string;
  ip: string;
  port: number;
}

/** A segment kept for retransmission (the rtx queue). */
interface Sent {
  seq: number;
  flags: number;
  payload: Uint8Array;
  sentAt: number;
  lastSent: number; // the latest (re)transmission
}

interface Ev {
  t: number;
  prio: 0 | 1; // 0: network and timers, 1: programs
  seq: number;
  cancelled: boolean;
  run: () => void;
  /** For a segment on the link: shown in snapshots until it arrives. */
  flight?: { src: string; dst: string; flags: string };
}

class Sock {
  state: TcpState = 'CLOSE';
  ss: SocketState = 'UNCONNECTED';
  fd: number | undefined;
  lport = 0;
  remote: Remote | undefined;
  nonblock = false;
  reuse = false;
  userBound = false; // bind() chose the port (SOCK_BINDPORT_LOCK)
  synRetries = 0; // TCP_SYNCNT; 0 means the sysctl
  err: string | undefined; // sk_err
  orphan = false; // closed by its program, still finishing (SOCK_DEAD)
  doneFlag = false; // SOCK_DONE: a FIN was received
  rcvShutdown = false;
  sndShutdown = false;
  // send side
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  sndWnd = 0;
  sndWscale = 0;
  rtx: Sent[] = [];
  finSent = false;
  // receive side
  irs = 0;
  rcvNxt = 0;
  rcvWup = 0;
  rcvWnd = 0;
  rcvWscale = 0;
  rcvSsthresh = 0;
  windowClamp = 0;
  rcvMss = M.TCP_MSS_DEFAULT; // icsk_ack.rcv_mss
  lastSegSize = 0; // icsk_ack.last_seg_size
  advmss = 0; // tp->advmss: the MSS offered, less the timestamp option once it is agreed
  rcvbuf = 0; // sk_rcvbuf
  scalingRatio = M.TCP_DEFAULT_SCALING_RATIO; // tp->scaling_ratio (6.6+)
  recvQ: number[] = [];
  /**
   * The skbs of the receive queue behind recvQ: unread bytes, truesize, and whether the FIN
   * ends it (a FIN without data is an skb of its own unless it joins the tail).
   */
  rcvSkbs: { len: number; truesize: number; fin: boolean }[] = [];
  /** sk_rmem_alloc: the truesize of every skb in the receive and out-of-order queues. */
  rmemAlloc = 0;
  /** Segments past a hole, held until it is filled (tcp_data_queue_ofo). */
  ofo: { seq: number; payload: Uint8Array; fin: boolean; truesize: number }[] = [];
  /** ICSK_ACK_NOW: the next ACK check sends at once (a filled hole, RFC 5681 4.2). */
  ackNow = false;
  // options agreed
  tsOk = false;
  sackOk = false;
  wsOk = false;
  peerMss = M.TCP_MSS_DEFAULT;
  dsack: { start: number; end: number } | undefined;
  tsOff = 0;
  tsRecent = 0;
  // retransmission (icsk)
  retransmits = 0;
  totalRto = 0;
  rto = M.TCP_TIMEOUT_INIT;
  retransStamp = 0;
  lastOowAck = -Infinity;
  // delayed ACK (icsk_ack)
  ato = 0;
  quick = 0;
  pingpong = false;
  ackPending = false;
  // listener
  backlog = 0;
  acceptQ: Sock[] = [];
  reqs: Req[] = [];
  lastOverflow = -Infinity;
  synfloodWarned = false;
  /** The listener a child waits on until accept() takes it. */
  parent: Sock | undefined;
  timers = new Map<string, Ev>();

  constructor(
    readonly id: number,
    readonly host: Host,
  ) {}

  get name(): string {
    const h = this.host.name;
    if (this.remote) return `${h}:${this.lport}>${this.remote.host}:${this.remote.port}`;
    if (this.lport) return `${h}:${this.lport}`;
    return `${h}:fd${this.fd ?? '?'}`;
  }
}

/** A request sock: a half-open connection on a listener (state NEW_SYN_RECV). */
class Req {
  numTimeout = 0;
  acked = false;
  young = true;
  timer: Ev | undefined;
  lastOowAck = -Infinity;
  lastSent = 0;
  constructor(
    readonly listener: Sock,
    readonly remote: Remote,
    readonly rcvIsn: number,
    readonly sntIsn: number,
    readonly opts: {
      tsOk: boolean;
      sackOk: boolean;
      wsOk: boolean;
      sndWscale: number;
      peerMss: number;
      tsOff: number;
      tsRecent: number;
      rcvWnd: number;
      rcvWscale: number;
      windowClamp: number;
    },
  ) {}

  get name(): string {
    return `${this.listener.host.name}:${this.listener.lport}<${this.remote.host}:${this.remote.port}`;
  }
}

class Host {
  socks: Sock[] = [];
  fds = new Map<number, Sock>();
  nextFd = 3;
  constructor(
    readonly name: string,
    readonly ip: string,
    readonly raw: boolean,
  ) {}
}

// --- programs

type Outcome = { result: number; errno?: string; revents?: string; value?: string } | 'block';

interface Blocked {
  desc: string;
  /** Re-tries the call; returns true once the call has returned (and its step is recorded). */
  retry: () => boolean;
  deadline: Ev | undefined;
}

class Program {
  pc = 0;
  done = false;
  blocked: Blocked | undefined;
  names = new Map<string, number>(); // the program's socket names -> fd
  constructor(
    readonly host: Host,
    readonly ops: readonly Op[],
    readonly start: number,
  ) {}
}

// --- the world

/** The outer frames of close(): the socket layer's release down to TCP's close. */
const CLOSE: CodePoint[] = ['inet_release.close', 'tcp_close.inner'];

const POLL = {
  IN: 0x1,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  RDNORM: 0x40,
  WRNORM: 0x100,
  RDHUP: 0x2000,
} as const;

function pollNames(mask: number): string {
  const names: [number, string][] = [
    [POLL.IN, 'POLLIN'],
    [POLL.OUT, 'POLLOUT'],
    [POLL.ERR, 'POLLERR'],
    [POLL.HUP, 'POLLHUP'],
    [POLL.RDNORM, 'POLLRDNORM'],
    [POLL.WRNORM, 'POLLWRNORM'],
    [POLL.RDHUP, 'POLLRDHUP'],
  ];
  const s = names
    .filter(([bit]) => mask & bit)
    .map(([, n]) => n)
    .join('|');
  return s === '' ? '0' : s;
}

class World {
  now = 0;
  private seqNo = 0;
  private queue: Ev[] = [];
  private readonly steps: SimStep[] = [];
  private readonly snapshots: WorldSnapshot[] = [];
  private readonly hosts = new Map<string, Host>();
  private readonly programs: Program[] = [];
  private readonly rng: Random;
  private nextSockId = 1;
  /** Matches so far of each network rule, per sending host. */
  private readonly ruleHits = new Map<string, number>();
  private readonly isnBase: number;
  private readonly uptime: number; // tcp_time_stamp at the start of the run, ms
  private readonly cookieSecret: number;
  private readonly mtu: number;
  private readonly advmss: number;
  private readonly rtoMax: number;
  private readonly rules: NetRule[];

  constructor(
    private readonly spec: ScenarioSpec,
    private readonly version: KernelVersion,
    private readonly seed: number,
    private readonly P: ParamValues,
  ) {
    this.rng = new Random(seed);
    this.isnBase = this.rng.next32();
    this.uptime = this.rng.between(1_000_000, 1_000_000_000);
    this.cookieSecret = this.rng.next32();
    const link = String(P['link']);
    this.mtu = intParam(P, 'mtu') || (link === 'lo' ? 65536 : 1500);
    this.advmss = M.advmssFor(this.mtu);
    this.rtoMax = applies(version, 'rto_max_sysctl')
      ? intParam(P, 'tcp_rto_max_ms')
      : M.TCP_RTO_MAX_DEFAULT;
    this.rules = spec.network?.rules ?? [];
    let nextAddr = 1;
    for (const hs of spec.hosts) {
      const count = hs.repeat === undefined ? 1 : this.ref(hs.repeat);
      for (let i = 0; i < count; i++) {
        const name = i === 0 ? hs.name : `${hs.name}${i + 1}`;
        // On lo every host is 127.0.0.1 (they differ by port); on veth each has its own address.
        const ip = link === 'lo' ? '127.0.0.1' : `10.0.0.${nextAddr++}`;
        const host = new Host(name, ip, hs.raw === true);
        this.hosts.set(name, host);
        const start = this.ref(hs.start_ms ?? 0) + i * this.ref(hs.stagger_ms ?? 0);
        this.programs.push(new Program(host, hs.program, start));
      }
    }
  }

  private ref(r: ParamRef): number {
    if (typeof r === 'number') return r;
    const v = this.P[r.slice(1)];
    if (typeof v !== 'number') throw new Error(`${r} is not a number parameter`);
    return v;
  }

  private baseName(host: string): string {
    const spec = this.spec.hosts.find(
      (h: HostSpec) => host === h.name || new RegExp(`^${h.name}\\d+$`).test(host),
    );
    return spec?.name ?? host;
  }

  // --- event queue

  private schedule(t: number, prio: 0 | 1, run: () => void, flight?: Ev['flight']): Ev {
    const ev: Ev = { t, prio, seq: this.seqNo++, cancelled: false, run };
    if (flight) ev.flight = flight;
    // Binary search for the insertion point keeps the queue ordered by (t, prio, seq).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.t < t || (q.t === t && (q.prio < prio || (q.prio === prio && q.seq < ev.seq))))
        lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
    return ev;
  }

  run(): SimResult {
    for (const p of this.programs) this.schedule(p.start, 1, () => this.runProgram(p));
    const horizon = intParam(this.P, 'max_ms');
    let reason: 'quiet' | 'horizon' = 'quiet';
    for (;;) {
      const ev = this.queue.shift();
      if (!ev) break;
      if (ev.cancelled) continue;
      if (ev.t > horizon) {
        reason = 'horizon';
        this.now = horizon;
        break;
      }
      this.now = ev.t;
      ev.run();
      if (ev.prio === 0) this.wakeBlocked();
    }
    const blocked = this.programs
      .filter((p) => p.blocked)
      .map((p) => `${p.host.name}: ${p.blocked!.desc}`);
    return {
      scenario: this.spec.name,
      version: this.version,
      seed: this.seed,
      params: { ...this.P },
      steps: this.steps,
      snapshots: this.snapshots,
      end: { t: this.now, reason, blocked },
    };
  }

  // --- recording

  private record(
    host: string,
    kind: StepKind,
    frames: CodeRef[],
    key: string,
    args: Record<string, string | number>,
    extra: Partial<Pick<SimStep, 'syscall' | 'segment' | 'state' | 'timer' | 'rule'>> = {},
  ): void {
    const step: SimStep = {
      index: this.steps.length,
      t: this.now,
      host,
      kind,
      stack: frames,
      explain: { key, args },
      ...extra,
    };
    this.steps.push(step);
    this.snapshots.push(this.snapshot());
  }

  /**
   * A TCP state change. Most go through tcp_set_state; a few store the state directly
   * (inet_csk_listen_start, the TIME_WAIT sock of inet_twsk_alloc): `direct`.
   */
  private setState(
    sk: Sock,
    to: TcpState,
    frames: CodePoint[],
    key = 'state.change',
    direct = false,
  ): void {
    const from = sk.state;
    if (from === to) return;
    sk.state = to;
    this.record(
      sk.host.name,
      'state',
      stack(...frames, ...(direct ? [] : (['tcp_set_state.store'] as const))),
      key,
      { socket: sk.name, from, to },
      {
        state: { socket: sk.name, from, to },
      },
    );
  }

  private snapshot(): WorldSnapshot {
    const sockets: SocketView[] = [];
    for (const host of this.hosts.values()) {
      for (const sk of host.socks) {
        const timers = [...sk.timers.entries()]
          .filter(([, e]) => !e.cancelled)
          .map(([name, e]) => ({ name, at: e.t }));
        const v: SocketView = {
          id: sk.id,
          host: host.name,
          name: sk.name,
          kind: sk.state === 'TIME_WAIT' ? 'timewait' : 'socket',
          state: sk.state,
          timers,
        };
        if (sk.fd !== undefined) v.fd = sk.fd;
        if (sk.state === 'LISTEN') {
          v.backlog = sk.backlog;
          v.acceptQueue = sk.acceptQ.map((c) => c.name);
          v.synQueue = sk.reqs.map((r) => r.name);
        } else if (sk.remote) {
          v.sndUna = sk.sndUna;
          v.sndNxt = sk.sndNxt;
          v.rcvNxt = sk.rcvNxt;
          v.recvQueue = sk.recvQ.length;
        }
        if (sk.err) v.error = sk.err;
        sockets.push(v);
        for (const r of sk.reqs) {
          sockets.push({
            id: -1,
            host: host.name,
            name: r.name,
            kind: 'request',
            state: 'NEW_SYN_RECV',
            timers: r.timer && !r.timer.cancelled ? [{ name: 'synack', at: r.timer.t }] : [],
          });
        }
      }
    }
    const programs = this.programs.map((p) => {
      const v: WorldSnapshot['programs'][number] = { host: p.host.name, pc: p.pc, done: p.done };
      if (p.blocked) v.blockedIn = p.blocked.desc;
      return v;
    });
    const inFlight = this.queue
      .filter((e) => e.flight && !e.cancelled)
      .map((e) => ({ ...e.flight!, at: e.t }));
    return { t: this.now, sockets, programs, inFlight };
  }

  // --- timers

  /**
   * When a timer_list timer armed now for `delay` ms runs. With hz set: on a jiffy, after
   * msecs_to_jiffies rounded the delay up and the timer wheel rounded the expiry up to its
   * level's granularity (jiffies count from the run's uptime, so the phase follows the seed).
   */
  private timerAt(delay: number): number {
    const hz = intParam(this.P, 'hz');
    if (!hz) return this.now + delay;
    const jiffy = 1000 / hz;
    const clk = Math.floor((this.uptime + this.now) / jiffy);
    const due = M.wheelExpiry(clk + Math.ceil(delay / jiffy), clk);
    return due * jiffy - this.uptime;
  }

  private arm(sk: Sock, name: string, delay: number, fire: () => void): void {
    this.disarm(sk, name);
    const ev = this.schedule(this.timerAt(delay), 0, () => {
      sk.timers.delete(name);
      fire();
    });
    sk.timers.set(name, ev);
  }

  private disarm(sk: Sock, name: string): void {
    const ev = sk.timers.get(name);
    if (ev) ev.cancelled = true;
    sk.timers.delete(name);
  }

  // --- clock and numbers

  /** tcp_time_stamp in ms: what TS values count. */
  private clock(): number {
    return this.uptime + this.now;
  }

  /** secure_tcp_seq: the model draws ISNs from the seed. */
  private newIsn(): number {
    return u32(this.isnBase + this.rng.next32());
  }

  /** secure_tcp_ts_off: a random offset per connection with tcp_timestamps=1, none with 2. */
  private newTsOff(): number {
    return intParam(this.P, 'tcp_timestamps') === 1 ? this.rng.next32() : 0;
  }

  private initialWindow(mss: number, wscaleOk: boolean): M.InitialWindow {
    const rmem = numbersParam(this.P, 'tcp_rmem');
    const space = M.fullSpace(this.version, rmem[1]!, intParam(this.P, 'tcp_adv_win_scale'));
    return M.selectInitialWindow(
      this.version,
      space,
      mss,
      wscaleOk,
      rmem[2]!,
      intParam(this.P, 'rmem_max'),
      intParam(this.P, 'tcp_workaround_signed_windows') === 1,
    );
  }

  /** tcp_win_from_space for this socket (its scaling ratio from 6.6). */
  private winFromSpace(sk: Sock, space: number): number {
    return M.winFromSpace(
      this.version,
      space,
      intParam(this.P, 'tcp_adv_win_scale'),
      sk.scalingRatio,
    );
  }

  /** What __tcp_select_window reads: tcp_space, tcp_full_space and the socket's window state. */
  private rcvSpace(sk: Sock): M.RcvSpace {
    return {
      freeSpace: this.winFromSpace(sk, sk.rcvbuf - sk.rmemAlloc),
      allowedSpace: this.winFromSpace(sk, sk.rcvbuf),
      windowClamp: sk.windowClamp,
      rcvSsthresh: sk.rcvSsthresh,
      rcvWnd: sk.rcvWnd,
      rcvWscale: sk.rcvWscale,
      rcvMss: sk.rcvMss,
      shrinkWindow: intParam(this.P, 'tcp_shrink_window') === 1,
    };
  }

  /** __tcp_select_window, with its side effect: short of space, quick ACKs end. */
  private freeWindow(sk: Sock): number {
    const space = this.rcvSpace(sk);
    if (space.freeSpace < Math.min(space.windowClamp, space.allowedSpace) >> 1) sk.quick = 0;
    return M.freeWindow(space);
  }

  /**
   * tcp_select_window: the window field of a non-SYN segment, from the free buffer space (the
   * truesize of queued skbs off), rcv_ssthresh and the clamp, never moving the right edge of
   * the window already offered to the left; rcv_wnd and rcv_wup follow.
   */
  private selectWindow(sk: Sock): number {
    const { rcvWnd, field } = M.selectWindow({
      newWin: this.freeWindow(sk),
      curWin: this.receiveWindow(sk),
      rcvWscale: sk.rcvWscale,
      shrinkWindow: intParam(this.P, 'tcp_shrink_window') === 1,
      workaroundSignedWindows: intParam(this.P, 'tcp_workaround_signed_windows') === 1,
    });
    sk.rcvWnd = rcvWnd;
    sk.rcvWup = sk.rcvNxt;
    return field;
  }

  /** tcp_receive_window: what is left of the window last offered. */
  private receiveWindow(sk: Sock): number {
    return Math.max(u32(sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0, 0);
  }

  /** tcp_init_transfer -> tcp_init_buffer_space: window_clamp and rcv_ssthresh on establishing. */
  private initBufferSpace(sk: Sock): void {
    const r = M.initBufferSpace({
      windowClamp: sk.windowClamp,
      rcvSsthresh: sk.rcvSsthresh,
      maxwin: this.winFromSpace(sk, sk.rcvbuf),
      advmss: sk.advmss,
      appWin: intParam(this.P, 'tcp_app_win'),
    });
    sk.windowClamp = r.windowClamp;
    sk.rcvSsthresh = r.rcvSsthresh;
  }

  /**
   * tcp_rcv_state_process in SYN_RECV: the timestamp option comes off advmss, then
   * tcp_init_transfer sets the buffer space up.
   */
  private initTransfer(sk: Sock): void {
    if (sk.tsOk) sk.advmss -= M.TCPOLEN_TSTAMP_ALIGNED;
    this.initBufferSpace(sk);
  }

  /**
   * tcp_sync_mss + tcp_initialize_rcv_mss: rcv_mss from the MSS this side can send (the path's
   * and the peer's, less the timestamp option) and the window.
   */
  private initRcvMss(sk: Sock): void {
    const mssCache = Math.min(this.mtu - 40, sk.peerMss) - (sk.tsOk ? M.TCPOLEN_TSTAMP_ALIGNED : 0);
    sk.rcvMss = M.initialRcvMss(sk.advmss, mssCache, sk.rcvWnd);
  }

  /**
   * tcp_measure_rcv_mss: a segment of at least rcv_mss sets it (at most advmss) and, from 6.6,
   * the scaling ratio from its payload/truesize, which resets window_clamp to the buffer's
   * window; smaller ones count only if two in a row have the same size.
   */
  private measureRcvMss(sk: Sock, seg: Segment, truesize: number): void {
    const lss = sk.lastSegSize;
    sk.lastSegSize = 0;
    let len = seg.payload.length;
    if (len >= sk.rcvMss) {
      if (applies(this.version, 'win_scaling_ratio') && len !== sk.rcvMss) {
        const old = sk.scalingRatio;
        sk.scalingRatio = Math.floor((len * 256) / truesize) || 1;
        if (sk.scalingRatio !== old) sk.windowClamp = this.winFromSpace(sk, sk.rcvbuf);
      }
      sk.rcvMss = Math.min(len, sk.advmss);
      return;
    }
    len += encodeHeader(seg).length;
    const remnant = (seg.flags & (FIN | URG | SYN | PSH)) !== 0; // TCP_REMNANT
    if (len >= M.TCP_MSS_DEFAULT + 20 || (len >= M.TCP_MIN_MSS + 20 && !remnant)) {
      len -= 20 + (sk.tsOk ? M.TCPOLEN_TSTAMP_ALIGNED : 0); // tp->tcp_header_len
      sk.lastSegSize = len;
      if (len === lss) sk.rcvMss = len;
    }
  }

  /**
   * tcp_grow_window: a segment whose payload is a fair share of its truesize lets rcv_ssthresh
   * (and so the window) grow. `adjust` (in-order data) counts the payload only, the skb head
   * being pulled (truesize_adjust).
   */
  private growWindow(sk: Sock, len: number, truesize: number, adjust: boolean): void {
    const head = intParam(this.P, 'skb_head_truesize');
    const grown = M.growWindow({
      rcvSsthresh: sk.rcvSsthresh,
      windowClamp: sk.windowClamp,
      freeSpace: this.winFromSpace(sk, sk.rcvbuf - sk.rmemAlloc),
      winFromSpace: (space) => this.winFromSpace(sk, space),
      truesize: adjust && truesize - head >= len ? truesize - head : truesize,
      len,
      advmss: sk.advmss,
      rcvMss: sk.rcvMss,
      rmemMax: numbersParam(this.P, 'tcp_rmem')[2]!,
    });
    if (grown !== sk.rcvSsthresh) sk.quick |= 1;
    sk.rcvSsthresh = grown;
  }

  /**
   * tcp_queue_rcv: an in-order segment joins the receive queue. It is coalesced into the
   * unread tail skb when there is one (tcp_try_coalesce: its payload is added, its head is
   * not; a bare FIN adds nothing), else it is an skb of its own (head + payload). The model
   * does not follow whether the sender still holds a clone of the tail, which stops
   * coalescing in the kernel (skb_cloned) until the sender has its ACK.
   */
  private queueRcv(sk: Sock, len: number, fin: boolean): number {
    const truesize = intParam(this.P, 'skb_head_truesize') + len;
    const tail = sk.rcvSkbs[sk.rcvSkbs.length - 1];
    if (tail && !tail.fin) {
      tail.len += len;
      tail.truesize += len;
      tail.fin = fin;
      sk.rmemAlloc += len;
    } else {
      sk.rcvSkbs.push({ len, truesize, fin });
      sk.rmemAlloc += truesize;
    }
    return truesize;
  }

  /**
   * tcp_recvmsg_locked eats an skb once it is read to its end (tcp_eat_recv_skb), and a FIN
   * skb when the copy loop reaches it with room left: `n` bytes copied of `max` asked.
   */
  private consumeRcv(sk: Sock, n: number, max: number): void {
    let left = n;
    while (sk.rcvSkbs.length > 0) {
      const skb = sk.rcvSkbs[0]!;
      const take = Math.min(left, skb.len);
      skb.len -= take;
      left -= take;
      if (skb.len > 0) return;
      if (!skb.fin && take === 0) return; // nothing read from it
      if (skb.fin && take === 0 && n >= max) return; // no room left: the FIN waits
      sk.rcvSkbs.shift();
      sk.rmemAlloc -= skb.truesize;
      if (skb.fin) return;
    }
  }

  /** The receive queue is purged (close, disconnect): its skbs are freed. */
  private purgeRcv(sk: Sock): void {
    for (const skb of sk.rcvSkbs) sk.rmemAlloc -= skb.truesize;
    sk.rcvSkbs = [];
    sk.recvQ = [];
  }

  // --- output

  private segmentJson(seg: Segment): SegmentJson {
    const header = encodeHeader(seg);
    const json: SegmentJson = {
      src: `${seg.srcHost}:${seg.sport}`,
      dst: `${seg.dstHost}:${seg.dport}`,
      flags: tcpdumpFlags(seg.flags),
      seq: seg.seq,
      ack: seg.ack,
      len: seg.payload.length,
      win: seg.window,
      options: formatOptions(seg.options),
      header: {
        doff: header.length / 4,
        checksum: `0x${tcpChecksum(seg).toString(16).padStart(4, '0')}`,
        urg: seg.urg,
        src_ip: seg.srcIp,
        dst_ip: seg.dstIp,
        hex: toHex(header),
      },
    };
    return json;
  }

  /** Puts a segment on the link: records the send, then applies the rules and the delay. */
  private emit(
    seg: Segment,
    frames: CodeRef[],
    key: string,
    args: Record<string, string | number> = {},
  ): void {
    const src = this.hosts.get(seg.srcHost)!;
    const json = this.segmentJson(seg);
    this.record(
      src.name,
      'send',
      frames,
      key,
      { ...args, flags: json.flags, src: json.src, dst: json.dst },
      { segment: json },
    );
    let delay = intParam(this.P, 'delay_ms');
    for (const [i, rule] of this.rules.entries()) {
      if (rule.from !== undefined && this.baseName(seg.srcHost) !== rule.from) continue;
      if (rule.to !== undefined && this.baseName(seg.dstHost) !== rule.to) continue;
      if (rule.flags !== undefined && rule.flags !== json.flags) continue;
      const hitKey = `${i}/${seg.srcHost}`;
      const hits = this.ruleHits.get(hitKey) ?? 0;
      if (rule.first !== undefined && hits >= this.ref(rule.first)) continue;
      this.ruleHits.set(hitKey, hits + 1);
      if (rule.action === 'drop') {
        this.record(
          src.name,
          'drop',
          stack('nf_hook_slow.drop'),
          'net.drop',
          { flags: json.flags, src: json.src, dst: json.dst, n: hits + 1 },
          { segment: json },
        );
        return;
      }
      delay += this.ref(rule.delay_ms ?? 0);
    }
    this.schedule(this.now + delay, 0, () => this.deliver(seg), {
      src: json.src,
      dst: json.dst,
      flags: json.flags,
    });
  }

  private tsOption(sk: Sock): TcpOption {
    return { kind: 'ts', val: u32(this.clock() + sk.tsOff), ecr: sk.tsRecent };
  }

  /** tcp_syn_options: what Linux offers on a SYN, following the sysctls. */
  private synOptions(sk: Sock, ecr: number): TcpOption[] {
    const opts: TcpOption[] = [{ kind: 'mss', value: this.advmss }];
    if (intParam(this.P, 'tcp_sack')) opts.push({ kind: 'sackOK' });
    if (intParam(this.P, 'tcp_timestamps'))
      opts.push({ kind: 'ts', val: u32(this.clock() + sk.tsOff), ecr });
    if (intParam(this.P, 'tcp_window_scaling')) opts.push({ kind: 'wscale', shift: sk.rcvWscale });
    return opts;
  }

  private baseSeg(
    sk: Sock,
  ): Omit<Segment, 'seq' | 'ack' | 'flags' | 'window' | 'options' | 'payload'> {
    const remote = sk.remote!;
    return {
      srcHost: sk.host.name,
      dstHost: remote.host,
      srcIp: sk.host.ip,
      dstIp: remote.ip,
      sport: sk.lport,
      dport: remote.port,
      urg: 0,
    };
  }

  /**
   * __tcp_transmit_skb for a full socket: window from tcp_select_window (a SYN's is never
   * scaled), timestamps when agreed, and an ACK that clears a pending delayed ACK.
   */
  private xmit(
    sk: Sock,
    flags: number,
    seq: number,
    payload: Uint8Array,
    frames: CodeRef[],
    key: string,
    args: Record<string, string | number> = {},
  ): void {
    let options: TcpOption[];
    let window: number;
    if (flags & SYN) {
      options = this.synOptions(sk, flags & ACK ? sk.tsRecent : 0);
      window = Math.min(sk.rcvWnd, 65535);
    } else {
      options = sk.tsOk ? [this.tsOption(sk)] : [];
      // SACK blocks (tcp_established_options): a D-SACK once, then what waits past a hole.
      const blocks: [number, number][] = [];
      if (sk.dsack) {
        blocks.push([sk.dsack.start, sk.dsack.end]);
        sk.dsack = undefined;
      }
      if (sk.sackOk) {
        for (const o of sk.ofo) {
          const end = u32(o.seq + o.payload.length + (o.fin ? 1 : 0));
          const last = blocks[blocks.length - 1];
          if (last && last[1] === o.seq && blocks.length > (sk.dsack ? 1 : 0)) last[1] = end;
          else blocks.push([o.seq, end]);
        }
      }
      if (blocks.length) options.push({ kind: 'sack', blocks: blocks.slice(0, sk.tsOk ? 3 : 4) });
      window = this.selectWindow(sk);
    }
    if (flags & ACK) {
      sk.ackPending = false;
      this.disarm(sk, 'delack');
    }
    const seg: Segment = {
      ...this.baseSeg(sk),
      seq,
      ack: flags & ACK ? sk.rcvNxt : 0,
      flags,
      window,
      options,
      payload,
    };
    this.emit(seg, frames, key, { socket: sk.name, ...args });
  }

  /** tcp_send_ack. */
  private sendAck(sk: Sock, frames: CodePoint[], key = 'send.ack'): void {
    this.xmit(
      sk,
      ACK,
      sk.sndNxt,
      new Uint8Array(0),
      stack(...frames, '__tcp_send_ack.transmit'),
      key,
    );
  }

  /** tcp_v4_send_reset: the RST for a segment no socket wants (or a request sock refuses). */
  private sendResetFor(seg: Segment, frames: CodePoint[], key: string): void {
    if (seg.flags & RST) return;
    const host = this.hosts.get(seg.dstHost)!;
    const reply: Segment = {
      srcHost: host.name,
      dstHost: seg.srcHost,
      srcIp: seg.dstIp,
      dstIp: seg.srcIp,
      sport: seg.dport,
      dport: seg.sport,
      seq: seg.flags & ACK ? seg.ack : 0,
      ack: seg.flags & ACK ? 0 : u32(seg.seq + segLen(seg)),
      flags: seg.flags & ACK ? RST : RST | ACK,
      window: 0,
      urg: 0,
      options: [],
      payload: new Uint8Array(0),
    };
    this.emit(reply, stack(...frames, 'tcp_v4_send_reset.rst'), key, {
      to: `${seg.srcHost}:${seg.sport}`,
    });
  }

  /** Queues data or FIN for transmission and sends it (tcp_push; no Nagle wait for a lone write). */
  private sendData(
    sk: Sock,
    flags: number,
    payload: Uint8Array,
    frames: CodeRef[],
    key: string,
  ): void {
    const seq = sk.sndNxt;
    sk.rtx.push({ seq, flags, payload, sentAt: this.now, lastSent: this.now });
    sk.sndNxt = u32(seq + payload.length + (flags & FIN ? 1 : 0) + (flags & SYN ? 1 : 0));
    // Armed before the step is recorded, so the step's snapshot shows the timer it starts.
    if (!sk.timers.has('retransmit')) this.armRetransmit(sk);
    this.xmit(sk, flags, seq, payload, frames, key);
  }

  /**
   * The first RTT sample sets the RTO (tcp_rtt_estimator, __tcp_set_rto): srtt + rttvar with
   * rttvar at least TCP_RTO_MIN, so 200 ms plus the RTT. Without timestamps a retransmitted
   * SYN gives no sample (Karn) and the RTO stays at 1 s.
   */
  private firstRttSample(sk: Sock, sentAt: number, retransmitted: boolean): void {
    if (retransmitted && !sk.tsOk) return;
    const rtt = this.now - sentAt;
    sk.rto = Math.min(rtt + Math.max(2 * rtt, M.TCP_RTO_MIN), this.rtoMax);
  }

  /**
   * Loss recovery is the RTO alone: no tail loss probe, RACK or fast retransmit (Linux has
   * them for data; the scenarios lose only SYNs and SYN-ACKs, where the RTO is what runs).
   */
  private armRetransmit(sk: Sock): void {
    this.arm(sk, 'retransmit', sk.rto, () => this.retransmitTimer(sk));
  }

  // --- the network delivers

  private findSock(host: Host, seg: Segment): Sock | undefined {
    return host.socks.find(
      (s) =>
        s.state !== 'CLOSE' &&
        s.state !== 'LISTEN' &&
        s.remote !== undefined &&
        s.lport === seg.dport &&
        s.remote.ip === seg.srcIp &&
        s.remote.port === seg.sport,
    );
  }

  private findListener(host: Host, port: number): Sock | undefined {
    return host.socks.find((s) => s.lport === port && (s.state === 'LISTEN' || s.reqs.length > 0));
  }

  /** tcp_v4_rcv: the established hash (full sockets, request socks, TIME_WAIT), then listeners. */
  private deliver(seg: Segment): void {
    const host = this.hosts.get(seg.dstHost)!;
    const json = this.segmentJson(seg);
    const args = { flags: json.flags, src: json.src, dst: json.dst };
    if (host.raw) {
      // A raw host stands for addresses nobody answers for: whatever reaches it is discarded
      // at its input (the conformance tier does it with nftables), never answered with RST.
      this.record(host.name, 'drop', stack('nf_hook_slow.drop'), 'deliver.raw', args, {
        segment: json,
      });
      return;
    }
    const sk = this.findSock(host, seg);
    if (sk) {
      const frames: CodePoint[] =
        sk.state === 'ESTABLISHED'
          ? ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.established']
          : ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.state_process'];
      this.record(
        host.name,
        'deliver',
        stack(...frames),
        'deliver.socket',
        { ...args, socket: sk.name, state: sk.state },
        { segment: json },
      );
      if (sk.state === 'SYN_SENT') this.synSent(sk, seg);
      else if (sk.state === 'TIME_WAIT') this.timeWaitRcv(sk, seg);
      else this.stateProcess(sk, seg);
      return;
    }
    const listener = this.findListener(host, seg.dport);
    const req = listener?.reqs.find(
      (r) => r.remote.ip === seg.srcIp && r.remote.port === seg.sport,
    );
    if (listener && req) {
      this.record(
        host.name,
        'deliver',
        stack('tcp_v4_rcv.new_syn_recv'),
        'deliver.request',
        { ...args, socket: req.name },
        { segment: json },
      );
      if (listener.state !== 'LISTEN') {
        // tcp_v4_rcv: the listener is gone; drop the request sock and look up again.
        this.dropReq(req, ['tcp_v4_rcv.new_syn_recv'], 'req.listener_gone');
        this.noSocket(seg);
        return;
      }
      this.checkReq(listener, req, seg);
      return;
    }
    if (listener && listener.state === 'LISTEN') {
      this.record(
        host.name,
        'deliver',
        stack('tcp_v4_rcv.do_rcv'),
        'deliver.listener',
        { ...args, socket: listener.name },
        { segment: json },
      );
      this.listenRcv(listener, seg);
      return;
    }
    this.record(host.name, 'deliver', stack('tcp_v4_rcv.no_socket'), 'deliver.no_socket', args, {
      segment: json,
    });
    this.noSocket(seg);
  }

  private noSocket(seg: Segment): void {
    this.sendResetFor(seg, ['tcp_v4_rcv.no_socket'], 'send.rst.no_socket');
  }

  // --- listener: tcp_v4_do_rcv for TCP_LISTEN, tcp_conn_request

  private listenRcv(lsk: Sock, seg: Segment): void {
    if (seg.flags & RST) return;
    if (seg.flags & ACK && !(seg.flags & SYN)) {
      // tcp_v4_cookie_check: an ACK with no request sock may carry a SYN cookie.
      if (this.cookieAck(lsk, seg)) return;
      // tcp_rcv_state_process, TCP_LISTEN: "if (th->ack) return 1" -> tcp_v4_do_rcv resets.
      this.sendResetFor(seg, ['tcp_v4_rcv.do_rcv', 'tcp_v4_do_rcv.reset'], 'send.rst.listener_ack');
      return;
    }
    if (!(seg.flags & SYN)) return;
    this.connRequest(lsk, seg);
  }

  private peerOptions(seg: Segment): {
    mss: number;
    ts?: { val: number; ecr: number };
    sack: boolean;
    wscale?: number;
  } {
    const out: { mss: number; ts?: { val: number; ecr: number }; sack: boolean; wscale?: number } =
      { mss: M.TCP_MSS_DEFAULT, sack: false };
    for (const o of seg.options) {
      if (o.kind === 'mss') out.mss = o.value;
      else if (o.kind === 'sackOK') out.sack = true;
      else if (o.kind === 'ts') out.ts = { val: o.val, ecr: o.ecr };
      else if (o.kind === 'wscale') out.wscale = Math.min(o.shift, M.TCP_MAX_WSCALE);
    }
    return out;
  }

  /** tcp_conn_request (net/ipv4/tcp_input.c), reached through tcp_v4_conn_request. */
  private connRequest(lsk: Sock, seg: Segment): void {
    const host = lsk.host;
    const base: CodePoint[] = [
      'tcp_v4_rcv.do_rcv',
      'tcp_v4_do_rcv.state_process',
      'tcp_rcv_state_process.listen_syn',
      'tcp_v4_conn_request.call',
    ];
    const syncookies = intParam(this.P, 'tcp_syncookies');
    const from = `${seg.srcHost}:${seg.sport}`;
    let wantCookie = false;
    // inet_csk_reqsk_queue_is_full: more request socks than the backlog.
    if (syncookies === 2 || lsk.reqs.length > lsk.backlog) {
      wantCookie = syncookies !== 0; // tcp_syn_flood_action
      const warn = !lsk.synfloodWarned && syncookies !== 2;
      if (warn) lsk.synfloodWarned = true;
      if (!wantCookie) {
        this.record(
          host.name,
          'drop',
          stack(...base, 'tcp_conn_request.flood'),
          'syn.drop.synq_full',
          { from, qlen: lsk.reqs.length, backlog: lsk.backlog },
        );
        return;
      }
    }
    // sk_acceptq_is_full: more children waiting than the backlog (">", not ">=").
    if (lsk.acceptQ.length > lsk.backlog) {
      this.record(
        host.name,
        'drop',
        stack(...base, 'tcp_conn_request.acceptq_full'),
        'syn.drop.acceptq_full',
        { from, queued: lsk.acceptQ.length, backlog: lsk.backlog },
      );
      return;
    }
    const peer = this.peerOptions(seg);
    // With a cookie and no timestamp nothing can carry the options: tcp_clear_options.
    const keepOpts = !wantCookie || peer.ts !== undefined;
    const tsOk = peer.ts !== undefined && intParam(this.P, 'tcp_timestamps') > 0;
    const sackOk = keepOpts && peer.sack && intParam(this.P, 'tcp_sack') === 1;
    const wsOk =
      keepOpts && peer.wscale !== undefined && intParam(this.P, 'tcp_window_scaling') === 1;
    if (!wantCookie && syncookies === 0) {
      // Without cookies the last quarter of tcp_max_syn_backlog is kept for proven peers;
      // the model has no TCP metrics cache, so no peer is proven (tcp_peer_is_proven).
      const max = intParam(this.P, 'tcp_max_syn_backlog');
      if (max - lsk.reqs.length < max >> 2) {
        this.record(
          host.name,
          'drop',
          stack(...base, 'tcp_conn_request.max_syn_backlog'),
          'syn.drop.max_syn_backlog',
          { from, qlen: lsk.reqs.length, max },
        );
        return;
      }
    }
    const remote: Remote = { host: seg.srcHost, ip: seg.srcIp, port: seg.sport };
    const mss = this.advmss - (tsOk ? M.TCPOLEN_TSTAMP_ALIGNED : 0);
    const win = this.initialWindow(mss, wsOk); // tcp_openreq_init_rwin
    const tsOff = tsOk ? this.newTsOff() : 0;
    const opts = {
      tsOk,
      sackOk,
      wsOk,
      sndWscale: wsOk ? peer.wscale! : 0,
      peerMss: peer.mss,
      tsOff,
      tsRecent: peer.ts?.val ?? 0,
      rcvWnd: win.rcvWnd,
      rcvWscale: wsOk ? win.rcvWscale : 0,
      windowClamp: win.windowClamp,
    };
    if (wantCookie) {
      const tuple = { saddr: seg.dstIp, daddr: seg.srcIp, sport: seg.dport, dport: seg.sport };
      const cookie = M.cookieInitSequence(
        this.cookieSecret,
        tuple,
        seg.seq,
        peer.mss,
        this.clock(),
      );
      lsk.lastOverflow = this.now; // tcp_synq_overflow
      const req = new Req(lsk, remote, seg.seq, cookie.isn, { ...opts, peerMss: cookie.mss });
      let tsval: number | undefined;
      if (tsOk)
        tsval = u32(
          M.cookieTimestamp(this.clock(), wsOk ? peer.wscale : undefined, sackOk) +
            this.cookieTsOff(tuple),
        );
      this.record(host.name, 'state', stack(...base, 'tcp_conn_request.cookie_isn'), 'syn.cookie', {
        from,
        qlen: lsk.reqs.length,
        backlog: lsk.backlog,
        mss: cookie.mss,
      });
      this.sendSynAck(req, base, 'send.synack.cookie', tsval);
      return; // reqsk_free: nothing is remembered
    }
    const req = new Req(lsk, remote, seg.seq, this.newIsn(), opts);
    lsk.reqs.push(req);
    this.record(
      host.name,
      'state',
      stack(...base, 'tcp_conn_request.hash_add', 'inet_csk_reqsk_queue_hash_add.timer'),
      'req.new',
      { socket: req.name, qlen: lsk.reqs.length },
      {
        state: { socket: req.name, from: 'LISTEN', to: 'NEW_SYN_RECV' },
      },
    );
    // The request sock's timer starts at req->timeout = tcp_timeout_init(), 1 s.
    this.armReq(req, M.TCP_TIMEOUT_INIT);
    this.sendSynAck(req, base, 'send.synack');
  }

  /** The timestamp offset of a cookie connection: a keyed hash of the addresses, recomputed on the ACK. */
  private cookieTsOff(t: M.CookieTuple): number {
    return intParam(this.P, 'tcp_timestamps') === 1
      ? M.cookieInitSequence(this.cookieSecret ^ 0x5bd1e995, t, 0, 0, 0).isn
      : 0;
  }

  /** tcp_v4_send_synack -> tcp_make_synack with tcp_synack_options. */
  private sendSynAck(req: Req, base: CodePoint[], key: string, cookieTsval?: number): void {
    const lsk = req.listener;
    const o = req.opts;
    const options: TcpOption[] = [{ kind: 'mss', value: this.advmss }];
    if (o.sackOk) options.push({ kind: 'sackOK' });
    if (o.tsOk)
      options.push({
        kind: 'ts',
        val: cookieTsval ?? u32(this.clock() + o.tsOff),
        ecr: o.tsRecent,
      });
    if (o.wsOk) options.push({ kind: 'wscale', shift: o.rcvWscale });
    const seg: Segment = {
      srcHost: lsk.host.name,
      dstHost: req.remote.host,
      srcIp: lsk.host.ip,
      dstIp: req.remote.ip,
      sport: lsk.lport,
      dport: req.remote.port,
      seq: req.sntIsn,
      ack: u32(req.rcvIsn + 1),
      flags: SYN | ACK,
      window: Math.min(o.rcvWnd, 65535),
      urg: 0,
      options,
      payload: new Uint8Array(0),
    };
    req.lastSent = this.now;
    this.emit(
      seg,
      stack(
        ...base,
        'tcp_conn_request.send_synack',
        'tcp_v4_send_synack.make',
        'tcp_make_synack.options',
        'tcp_synack_options.mss',
      ),
      key,
      { socket: req.name },
    );
  }

  private armReq(req: Req, delay: number): void {
    if (req.timer) req.timer.cancelled = true;
    req.timer = this.schedule(this.timerAt(delay), 0, () => this.reqTimer(req));
  }

  private dropReq(req: Req, frames: CodePoint[], key: string): void {
    const lsk = req.listener;
    lsk.reqs = lsk.reqs.filter((r) => r !== req);
    if (req.timer) req.timer.cancelled = true;
    // A closed listener lingers only while its request socks do (inet_csk_listen_stop).
    if (lsk.state === 'CLOSE' && lsk.reqs.length === 0)
      lsk.host.socks = lsk.host.socks.filter((s) => s !== lsk);
    this.record(
      lsk.host.name,
      'state',
      stack(...frames),
      key,
      { socket: req.name },
      { state: { socket: req.name, from: 'NEW_SYN_RECV', to: 'CLOSE' } },
    );
  }

  /** reqsk_timer_handler (net/ipv4/inet_connection_sock.c). */
  private reqTimer(req: Req): void {
    const lsk = req.listener;
    const host = lsk.host.name;
    this.record(
      host,
      'timer',
      stack('reqsk_timer_handler.retries'),
      'timer.synack',
      { socket: req.name, n: req.numTimeout + 1 },
      { timer: 'synack' },
    );
    if (lsk.state !== 'LISTEN') {
      this.dropReq(
        req,
        ['reqsk_timer_handler.listener_gone', 'reqsk_timer_handler.drop'],
        'req.listener_gone',
      );
      return;
    }
    let maxRetries = lsk.synRetries || intParam(this.P, 'tcp_synack_retries');
    // Half the queue is kept for young requests: with many old ones, give up on them sooner.
    const qlen = lsk.reqs.length;
    if (qlen << 1 > Math.max(8, lsk.backlog)) {
      let young = lsk.reqs.filter((r) => r.young).length << 1;
      while (maxRetries > 2) {
        if (qlen < young) break;
        maxRetries--;
        young <<= 1;
      }
    }
    // syn_ack_recalc without TCP_DEFER_ACCEPT: expire after max retries, else always resend.
    if (req.numTimeout >= maxRetries) {
      this.dropReq(req, ['reqsk_timer_handler.drop'], 'req.expired');
      return;
    }
    this.sendSynAck(
      req,
      ['reqsk_timer_handler.resend'],
      req.acked ? 'send.synack.retransmit_acked' : 'send.synack.retransmit',
    );
    if (req.numTimeout++ === 0) req.young = false;
    // reqsk_timeout: req->timeout << num_timeout, at most TCP_RTO_MAX.
    this.armReq(req, Math.min(M.TCP_TIMEOUT_INIT * 2 ** req.numTimeout, this.rtoMax));
  }

  /** tcp_check_req (net/ipv4/tcp_minisocks.c): a segment for a request sock. */
  private checkReq(lsk: Sock, req: Req, seg: Segment): void {
    const host = lsk.host.name;
    const base: CodePoint[] = ['tcp_v4_rcv.new_syn_recv', 'tcp_v4_rcv.check_req'];
    const flg = seg.flags & (RST | SYN | ACK);
    if (seg.seq === req.rcvIsn && flg === SYN) {
      // A retransmitted SYN: answer with the SYN-ACK again, at most once per 500 ms.
      if (this.now - req.lastOowAck >= M.TCP_OOW_RATE_LIMIT) {
        req.lastOowAck = this.now;
        this.sendSynAck(
          req,
          [...base, 'tcp_check_req.retrans_syn'],
          'send.synack.for_retransmitted_syn',
        );
        this.armReq(req, Math.min(M.TCP_TIMEOUT_INIT * 2 ** req.numTimeout, this.rtoMax));
      }
      return;
    }
    if (flg & ACK && seg.ack !== u32(req.sntIsn + 1)) {
      // A wrong ACK: tcp_check_req returns the listener, which answers an ACK with RST.
      this.sendResetFor(seg, [...base, 'tcp_v4_do_rcv.reset'], 'send.rst.bad_ack');
      return;
    }
    if (flg & (RST | SYN)) {
      if (!(flg & RST))
        this.sendResetFor(seg, [...base, 'tcp_check_req.send_reset'], 'send.rst.embryonic');
      this.dropReq(req, [...base, 'tcp_check_req.send_reset'], 'req.reset');
      return;
    }
    if (!(flg & ACK)) return;
    // syn_recv_sock = tcp_v4_syn_recv_sock: refuses when the accept queue is full.
    if (lsk.acceptQ.length > lsk.backlog) {
      if (!intParam(this.P, 'tcp_abort_on_overflow')) {
        req.acked = true;
        this.record(
          host,
          'drop',
          stack(...base, 'tcp_check_req.syn_recv_sock', 'tcp_v4_syn_recv_sock.full'),
          'ack.drop.acceptq_full',
          { socket: req.name, queued: lsk.acceptQ.length, backlog: lsk.backlog },
        );
        return;
      }
      this.sendResetFor(
        seg,
        [...base, 'tcp_check_req.overflow_ignore', 'tcp_check_req.send_reset'],
        'send.rst.abort_on_overflow',
      );
      this.dropReq(req, [...base, 'tcp_check_req.send_reset'], 'req.reset');
      return;
    }
    lsk.reqs = lsk.reqs.filter((r) => r !== req);
    if (req.timer) req.timer.cancelled = true;
    const child = this.createChild(lsk, req, seg, [
      ...base,
      'tcp_check_req.syn_recv_sock',
      'tcp_v4_syn_recv_sock.child',
    ]);
    this.addToAcceptQueue(lsk, child, [
      ...base,
      'tcp_check_req.hashdance',
      'inet_csk_complete_hashdance.add',
      'inet_csk_reqsk_queue_add.added',
    ]);
    // tcp_child_process -> tcp_rcv_state_process: SYN_RECV -> ESTABLISHED on this same ACK.
    this.childEstablish(child, seg, [
      'tcp_v4_rcv.child',
      'tcp_child_process.state_process',
      'tcp_rcv_state_process.established',
    ]);
  }

  /** tcp_create_openreq_child: the full socket, in SYN_RECV, with what the request agreed. */
  private createChild(lsk: Sock, req: Req, seg: Segment, frames: CodePoint[]): Sock {
    const child = new Sock(this.nextSockId++, lsk.host);
    const o = req.opts;
    child.lport = lsk.lport;
    child.remote = req.remote;
    child.iss = req.sntIsn;
    child.sndUna = u32(req.sntIsn + 1);
    child.sndNxt = u32(req.sntIsn + 1);
    child.irs = req.rcvIsn;
    child.rcvNxt = u32(req.rcvIsn + 1);
    child.rcvWup = child.rcvNxt;
    child.rcvWnd = o.rcvWnd;
    child.rcvSsthresh = o.rcvWnd;
    child.windowClamp = o.windowClamp;
    child.rcvbuf = lsk.rcvbuf; // sk_clone_lock
    child.advmss = this.advmss; // tcp_v4_syn_recv_sock
    child.rcvWscale = o.rcvWscale;
    child.sndWscale = o.sndWscale;
    child.tsOk = o.tsOk;
    child.sackOk = o.sackOk;
    child.wsOk = o.wsOk;
    child.peerMss = o.peerMss;
    this.initRcvMss(child);
    child.tsOff = o.tsOff;
    child.tsRecent = this.peerOptions(seg).ts?.val ?? o.tsRecent;
    child.sndWnd = seg.window << child.sndWscale;
    child.parent = lsk;
    child.synRetries = lsk.synRetries;
    child.rto = M.TCP_TIMEOUT_INIT;
    this.firstRttSample(child, req.lastSent, req.numTimeout > 0); // tcp_synack_rtt_meas
    lsk.host.socks.push(child);
    child.state = 'SYN_RECV';
    this.record(
      lsk.host.name,
      'state',
      stack(...frames),
      'child.new',
      { socket: child.name },
      {
        state: { socket: child.name, from: 'NEW_SYN_RECV', to: 'SYN_RECV' },
      },
    );
    return child;
  }

  private addToAcceptQueue(lsk: Sock, child: Sock, frames: CodePoint[]): void {
    lsk.acceptQ.push(child);
    this.record(lsk.host.name, 'state', stack(...frames), 'acceptq.add', {
      socket: child.name,
      queued: lsk.acceptQ.length,
      backlog: lsk.backlog,
    });
  }

  private childEstablish(child: Sock, seg: Segment, frames: CodePoint[]): void {
    this.initTransfer(child);
    this.setState(child, 'ESTABLISHED', frames);
    if (seg.payload.length > 0 || seg.flags & FIN) this.receive(child, seg);
  }

  /** cookie_v4_check (net/ipv4/syncookies.c): an ACK that completes a cookie handshake. */
  private cookieAck(lsk: Sock, seg: Segment): boolean {
    if (!intParam(this.P, 'tcp_syncookies')) return false;
    // tcp_synq_no_recent_overflow: cookies are only accepted shortly after one was sent.
    if (this.now - lsk.lastOverflow > M.TCP_SYNCOOKIE_VALID) return false;
    const tuple = { saddr: seg.dstIp, daddr: seg.srcIp, sport: seg.dport, dport: seg.sport };
    const mss = M.cookieCheck(
      this.cookieSecret,
      tuple,
      u32(seg.seq - 1),
      u32(seg.ack - 1),
      this.clock(),
    );
    if (!mss) return false;
    const peer = this.peerOptions(seg);
    const tsOk = peer.ts !== undefined && intParam(this.P, 'tcp_timestamps') > 0;
    let decoded: { wscale: number | undefined; sackOk: boolean } = {
      wscale: undefined,
      sackOk: false,
    };
    if (tsOk) decoded = M.cookieTimestampDecode(u32(peer.ts!.ecr - this.cookieTsOff(tuple)));
    const wsOk = decoded.wscale !== undefined && intParam(this.P, 'tcp_window_scaling') === 1;
    const win = this.initialWindow(mss, wsOk);
    const req = new Req(
      lsk,
      { host: seg.srcHost, ip: seg.srcIp, port: seg.sport },
      u32(seg.seq - 1),
      u32(seg.ack - 1),
      {
        tsOk,
        sackOk: decoded.sackOk,
        wsOk,
        sndWscale: decoded.wscale ?? 0,
        peerMss: mss,
        tsOff: tsOk ? this.cookieTsOff(tuple) : 0,
        tsRecent: peer.ts?.val ?? 0,
        rcvWnd: win.rcvWnd,
        rcvWscale: wsOk ? win.rcvWscale : 0,
        windowClamp: win.windowClamp,
      },
    );
    const base: CodePoint[] = [
      'tcp_v4_rcv.do_rcv',
      'tcp_v4_do_rcv.cookie',
      'tcp_v4_cookie_check.check',
      'cookie_v4_check.get_sock',
    ];
    if (lsk.acceptQ.length > lsk.backlog) {
      // tcp_get_cookie_sock -> syn_recv_sock fails: the ACK is discarded, no RST.
      this.record(
        lsk.host.name,
        'drop',
        stack(...base, 'tcp_get_cookie_sock.child', 'tcp_v4_syn_recv_sock.full'),
        'ack.drop.cookie_acceptq_full',
        { socket: req.name, queued: lsk.acceptQ.length, backlog: lsk.backlog },
      );
      return true;
    }
    this.record(lsk.host.name, 'state', stack(...base), 'cookie.valid', { socket: req.name, mss });
    const child = this.createChild(lsk, req, seg, [
      ...base,
      'tcp_get_cookie_sock.child',
      'tcp_v4_syn_recv_sock.child',
    ]);
    this.addToAcceptQueue(lsk, child, [
      ...base,
      'tcp_get_cookie_sock.add',
      'inet_csk_reqsk_queue_add.added',
    ]);
    this.childEstablish(child, seg, [
      'tcp_v4_do_rcv.state_process',
      'tcp_rcv_state_process.established',
    ]);
    return true;
  }

  // --- SYN_SENT: tcp_rcv_synsent_state_process

  private synSent(sk: Sock, seg: Segment): void {
    const base: CodePoint[] = [
      'tcp_v4_rcv.do_rcv_owner',
      'tcp_v4_do_rcv.state_process',
      'tcp_rcv_state_process.synsent',
    ];
    const peer = this.peerOptions(seg);
    if (seg.flags & ACK) {
      // The ACK must acknowledge our SYN exactly, else reset_and_undo.
      if (!after(seg.ack, sk.iss) || after(seg.ack, sk.sndNxt)) {
        this.sendResetFor(seg, base, 'send.rst.bad_synack');
        return;
      }
      if (seg.flags & RST) {
        this.tcpReset(sk, [...base, 'tcp_rcv_synsent_state_process.reset']);
        return;
      }
      if (!(seg.flags & SYN)) return;
      // A SYN-ACK: take the peer's options, then tcp_finish_connect.
      sk.irs = seg.seq;
      sk.rcvNxt = u32(seg.seq + 1);
      sk.rcvWup = sk.rcvNxt;
      sk.sndUna = seg.ack;
      this.firstRttSample(sk, sk.rtx[0]?.lastSent ?? sk.retransStamp, sk.retransmits > 0);
      sk.rtx = [];
      this.disarm(sk, 'retransmit');
      this.applyPeerOptions(sk, peer);
      if (!sk.wsOk) sk.windowClamp = Math.min(sk.windowClamp, 65535);
      if (sk.tsOk) sk.advmss -= M.TCPOLEN_TSTAMP_ALIGNED;
      this.initRcvMss(sk);
      this.initBufferSpace(sk); // tcp_finish_connect -> tcp_init_transfer
      sk.sndWnd = seg.window; // a SYN's window is never scaled
      this.setState(sk, 'ESTABLISHED', [
        ...base,
        'tcp_rcv_synsent_state_process.finish',
        'tcp_finish_connect.established',
      ]);
      this.sendAck(sk, [...base, 'tcp_rcv_synsent_state_process.send_ack'], 'send.ack.handshake');
      return;
    }
    if (seg.flags & RST) return;
    if (seg.flags & SYN) {
      // Crossed SYNs: simultaneous open. SYN_RECV, and our SYN goes out again with an ACK.
      sk.irs = seg.seq;
      sk.rcvNxt = u32(seg.seq + 1);
      sk.rcvWup = sk.rcvNxt;
      this.applyPeerOptions(sk, peer);
      this.initRcvMss(sk);
      sk.sndWnd = seg.window;
      this.setState(
        sk,
        'SYN_RECV',
        [...base, 'tcp_rcv_synsent_state_process.simultaneous'],
        'state.simultaneous',
      );
      this.xmit(
        sk,
        SYN | ACK,
        sk.iss,
        new Uint8Array(0),
        stack(...base, 'tcp_rcv_synsent_state_process.synack'),
        'send.synack.simultaneous',
        { socket: sk.name },
      );
    }
  }

  private applyPeerOptions(sk: Sock, peer: ReturnType<World['peerOptions']>): void {
    sk.tsOk = peer.ts !== undefined && intParam(this.P, 'tcp_timestamps') > 0;
    if (peer.ts) sk.tsRecent = peer.ts.val;
    sk.sackOk = peer.sack && intParam(this.P, 'tcp_sack') === 1;
    sk.wsOk = peer.wscale !== undefined && intParam(this.P, 'tcp_window_scaling') === 1;
    sk.sndWscale = sk.wsOk ? peer.wscale! : 0;
    if (!sk.wsOk) sk.rcvWscale = 0;
    sk.peerMss = peer.mss;
  }

  /** tcp_reset: the error a program sees depends on the state the RST finds. */
  private tcpReset(sk: Sock, frames: CodePoint[]): void {
    let err: string;
    let point: CodePoint;
    if (sk.state === 'SYN_SENT') [err, point] = ['ECONNREFUSED', 'tcp_reset.refused'];
    else if (sk.state === 'CLOSE_WAIT') [err, point] = ['EPIPE', 'tcp_reset.epipe'];
    else [err, point] = ['ECONNRESET', 'tcp_reset.reset'];
    sk.err = err;
    this.record(sk.host.name, 'state', stack(...frames, point), 'rst.error', {
      socket: sk.name,
      errno: err,
    });
    this.tcpDone(sk, [...frames, 'tcp_reset.done']);
  }

  /** tcp_done: CLOSE, both directions shut, timers stopped. */
  private tcpDone(sk: Sock, frames: CodePoint[]): void {
    for (const name of [...sk.timers.keys()]) this.disarm(sk, name);
    sk.rtx = [];
    sk.rcvShutdown = true;
    sk.sndShutdown = true;
    // An orphan is freed with its last state change, so that step's snapshot no longer has it.
    if (sk.orphan && !sk.parent) sk.host.socks = sk.host.socks.filter((s) => s !== sk);
    this.setState(sk, 'CLOSE', frames);
  }

  // --- synchronized states: tcp_rcv_state_process / tcp_rcv_established

  private stateProcess(sk: Sock, seg: Segment): void {
    const base: CodePoint[] =
      sk.state === 'ESTABLISHED'
        ? ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.established']
        : [
            'tcp_v4_rcv.do_rcv_owner',
            'tcp_v4_do_rcv.state_process',
            'tcp_rcv_state_process.validate',
          ];
    const len = segLen(seg);
    const endSeq = u32(seg.seq + len);
    const window = Math.max(u32(sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0, 0);
    // tcp_sequence: the segment must overlap the receive window.
    if (before(endSeq, sk.rcvWup) || after(seg.seq, u32(sk.rcvNxt + window))) {
      if (!(seg.flags & RST))
        this.sendAck(sk, [...base, 'tcp_validate_incoming.challenge'], 'send.ack.out_of_window');
      return;
    }
    if (seg.flags & RST) {
      // RFC 5961: only an RST at exactly rcv_nxt resets; others get a challenge ACK.
      if (seg.seq === sk.rcvNxt) this.tcpReset(sk, [...base, 'tcp_validate_incoming.rst']);
      else this.challengeAck(sk, base);
      return;
    }
    if (seg.flags & SYN) {
      const pass =
        sk.state === 'SYN_RECV' &&
        seg.flags & ACK &&
        u32(seg.seq + 1) === sk.rcvNxt &&
        seg.ack === sk.sndNxt;
      if (!pass) {
        // A SYN on a synchronized connection (e.g. a retransmitted SYN-ACK): challenge ACK.
        this.challengeAck(sk, base);
        return;
      }
    }
    if (!(seg.flags & ACK)) return;
    const peer = this.peerOptions(seg);
    if (sk.tsOk && peer.ts && !before(seg.seq, sk.rcvWup)) sk.tsRecent = peer.ts.val;
    if (sk.state === 'SYN_RECV') {
      if (after(seg.ack, sk.sndUna) && !after(seg.ack, sk.sndNxt)) {
        sk.sndWnd = seg.window << sk.sndWscale;
        this.ackAdvance(sk, seg.ack);
        this.initTransfer(sk);
        this.setState(sk, 'ESTABLISHED', [
          'tcp_v4_rcv.do_rcv_owner',
          'tcp_v4_do_rcv.state_process',
          'tcp_rcv_state_process.established',
        ]);
      } else {
        this.sendResetFor(seg, base, 'send.rst.bad_ack');
        return;
      }
    } else if (after(seg.ack, sk.sndUna) && !after(seg.ack, sk.sndNxt)) {
      this.ackAdvance(sk, seg.ack);
      sk.sndWnd = seg.window << sk.sndWscale;
      const finAcked = sk.finSent && sk.sndUna === sk.sndNxt;
      const sp: CodePoint[] = ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.state_process'];
      if (finAcked && sk.state === 'FIN_WAIT1') {
        this.setState(sk, 'FIN_WAIT2', [...sp, 'tcp_rcv_state_process.fin_wait2']);
        if (sk.orphan && !(seg.flags & FIN)) {
          // An orphan in FIN_WAIT2 lives tcp_fin_timeout at most.
          this.arm(sk, 'fin_wait2', intParam(this.P, 'tcp_fin_timeout') * 1000, () => {
            this.record(
              sk.host.name,
              'timer',
              stack('tw_timer_handler.kill'),
              'timer.fin_wait2',
              { socket: sk.name },
              { timer: 'fin_wait2' },
            );
            this.tcpDone(sk, ['tw_timer_handler.kill']);
          });
        }
      } else if (finAcked && sk.state === 'CLOSING') {
        this.enterTimeWait(sk, [...sp, 'tcp_rcv_state_process.last_ack']);
        return;
      } else if (finAcked && sk.state === 'LAST_ACK') {
        this.tcpDone(sk, [...sp, 'tcp_rcv_state_process.last_ack']);
        return;
      }
    }
    if (seg.payload.length > 0 || seg.flags & FIN) this.receive(sk, seg);
    else if (seg.flags & SYN) {
      // The peer's SYN-ACK in a simultaneous open is a duplicate by now: ACK it at once
      // (tcp_data_queue, "A retransmit ... Force an immediate ack").
      if (sk.sackOk) sk.dsack = { start: seg.seq, end: u32(seg.seq + 1) }; // tcp_dsack_set
      this.sendAck(sk, [...base, 'tcp_rcv_state_process.ack_check'], 'send.ack.simultaneous');
    }
  }

  private challengeAck(sk: Sock, base: CodePoint[]): void {
    if (this.now - sk.lastOowAck < M.TCP_OOW_RATE_LIMIT) return; // tcp_oow_rate_limited
    sk.lastOowAck = this.now;
    this.sendAck(sk, [...base, 'tcp_validate_incoming.challenge'], 'send.ack.challenge');
  }

  /** tcp_ack / tcp_clean_rtx_queue: drop what is acknowledged; re-arm or stop the timer. */
  private ackAdvance(sk: Sock, ack: number): void {
    sk.sndUna = ack;
    sk.rtx = sk.rtx.filter((s) =>
      after(u32(s.seq + s.payload.length + (s.flags & (SYN | FIN) ? 1 : 0)), ack),
    );
    sk.retransmits = 0;
    sk.totalRto = 0;
    if (sk.rtx.length === 0) this.disarm(sk, 'retransmit');
    else this.armRetransmit(sk);
  }

  /** tcp_data_queue, tcp_event_data_recv, tcp_fin, and tcp_ack_snd_check. */
  private receive(sk: Sock, seg: Segment, fromOfo = false): void {
    const base: CodePoint[] =
      sk.state === 'ESTABLISHED'
        ? ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.established', 'tcp_rcv_established.data']
        : ['tcp_v4_rcv.do_rcv_owner', 'tcp_v4_do_rcv.state_process', 'tcp_rcv_state_process.data'];
    if (seg.seq !== sk.rcvNxt) {
      if (after(seg.seq, sk.rcvNxt)) {
        // Past a hole: held in the out-of-order queue, and an ACK (with SACK) goes at once so
        // the sender learns of the hole (tcp_data_queue_ofo, __tcp_ack_snd_check).
        if (!sk.ofo.some((o) => o.seq === seg.seq)) {
          const truesize = intParam(this.P, 'skb_head_truesize') + seg.payload.length;
          sk.ofo.push({
            seq: seg.seq,
            payload: seg.payload,
            fin: (seg.flags & FIN) !== 0,
            truesize,
          });
          sk.ofo.sort((a, b) => (before(a.seq, b.seq) ? -1 : 1));
          sk.rmemAlloc += truesize;
          // Without SACK the window stays, to force duplicate ACKs (tcp_data_queue_ofo).
          if (sk.sackOk) this.growWindow(sk, seg.payload.length, truesize, false);
        }
        this.record(sk.host.name, 'state', stack(...base, 'tcp_data_queue.queue'), 'data.ofo', {
          socket: sk.name,
          bytes: seg.payload.length,
          gap: u32(seg.seq - sk.rcvNxt),
        });
        this.sendAck(sk, [...base], 'send.ack.ofo');
        return;
      }
      // Already received: a duplicate, reported as D-SACK when SACK is on.
      if (sk.sackOk) sk.dsack = { start: seg.seq, end: u32(seg.seq + segLen(seg)) };
      this.sendAck(sk, [...base], 'send.ack.duplicate');
      return;
    }
    if (seg.payload.length > 0) {
      if (sk.rcvShutdown) return;
      sk.recvQ.push(...seg.payload);
      const truesize = this.queueRcv(sk, seg.payload.length, (seg.flags & FIN) !== 0);
      sk.rcvNxt = u32(sk.rcvNxt + seg.payload.length);
      sk.ackPending = true;
      // tcp_event_data_recv (not for what tcp_ofo_queue takes in)
      if (!fromOfo) this.measureRcvMss(sk, seg, truesize);
      if (sk.ato === 0) {
        // First data: quick ACK mode for up to rcv_wnd / (2 * rcv_mss) segments, at most 16.
        sk.quick = Math.min(
          Math.max(Math.floor(sk.rcvWnd / (2 * sk.rcvMss)), 2),
          M.TCP_MAX_QUICKACKS,
        );
        sk.ato = M.TCP_DELACK_MIN;
      }
      if (!fromOfo && seg.payload.length >= 128)
        this.growWindow(sk, seg.payload.length, truesize, true);
      this.record(sk.host.name, 'state', stack(...base, 'tcp_data_queue.queue'), 'data.queued', {
        socket: sk.name,
        bytes: seg.payload.length,
        queued: sk.recvQ.length,
      });
    }
    const next = sk.ofo[0];
    if (!(seg.flags & FIN) && next && next.seq === sk.rcvNxt) {
      // tcp_ofo_queue: the hole is filled; what waited is taken in order, and the ACK goes now.
      sk.ofo.shift();
      sk.rmemAlloc -= next.truesize; // queued again in order (tcp_queue_rcv)
      if (sk.ofo.length === 0) sk.ackNow = true;
      this.receive(
        sk,
        { ...seg, seq: next.seq, payload: next.payload, flags: ACK | (next.fin ? FIN : 0) },
        true,
      );
      return;
    }
    if (seg.flags & FIN) {
      if (seg.payload.length === 0) this.queueRcv(sk, 0, true);
      sk.rcvNxt = u32(sk.rcvNxt + 1);
      sk.rcvShutdown = true;
      sk.doneFlag = true;
      sk.ackPending = true;
      const fin: CodePoint[] = [...base, 'tcp_data_queue.fin'];
      switch (sk.state) {
        case 'SYN_RECV':
        case 'ESTABLISHED':
          this.setState(sk, 'CLOSE_WAIT', [...fin, 'tcp_fin.close_wait']);
          sk.pingpong = true; // inet_csk_enter_pingpong_mode: the ACK may ride on our answer
          break;
        case 'FIN_WAIT1':
          this.sendAck(sk, fin, 'send.ack.fin');
          this.setState(sk, 'CLOSING', [...fin, 'tcp_fin.closing']);
          return;
        case 'FIN_WAIT2':
          this.sendAck(sk, fin, 'send.ack.fin');
          this.disarm(sk, 'fin_wait2');
          this.enterTimeWait(sk, [...fin, 'tcp_fin.time_wait']);
          return;
        default:
          break;
      }
    }
    this.ackSndCheck(sk, base);
  }

  /** __tcp_ack_snd_check: now in quick-ACK mode (or a full MSS unacked), else the delayed-ACK timer. */
  private ackSndCheck(sk: Sock, base: CodePoint[]): void {
    if (!sk.ackPending) return;
    // More than one full frame received, and the window's right edge would move far enough
    // (or nothing is left unread: tcp_recvmsg will not send the ACK then).
    const frames =
      u32(sk.rcvNxt - sk.rcvWup) > sk.rcvMss &&
      (sk.rcvSkbs.length === 0 || this.freeWindow(sk) >= sk.rcvWnd);
    const quick = sk.quick > 0 && !sk.pingpong;
    if (frames || quick || sk.ackNow) {
      if (quick) sk.quick--;
      sk.ackNow = false;
      this.sendAck(
        sk,
        [...base, 'tcp_rcv_state_process.ack_check', '__tcp_ack_snd_check.now'],
        'send.ack.data',
      );
      return;
    }
    const ato = Math.min(sk.ato || 0, M.TCP_DELACK_MAX);
    this.record(
      sk.host.name,
      'state',
      stack(...base, 'tcp_rcv_state_process.ack_check', '__tcp_ack_snd_check.delayed'),
      'ack.delayed',
      { socket: sk.name, ms: ato },
    );
    if (!sk.timers.has('delack')) {
      this.arm(sk, 'delack', ato, () => {
        if (!sk.ackPending || sk.state === 'CLOSE') return;
        this.record(
          sk.host.name,
          'timer',
          stack('tcp_delack_timer_handler.ack'),
          'timer.delack',
          { socket: sk.name },
          { timer: 'delack' },
        );
        this.sendAck(sk, ['tcp_delack_timer_handler.ack'], 'send.ack.delayed');
      });
    }
  }

  private enterTimeWait(sk: Sock, frames: CodePoint[]): void {
    this.setState(sk, 'TIME_WAIT', [...frames, 'tcp_time_wait.tw'], 'state.change', true);
    this.arm(sk, 'timewait', M.TCP_TIMEWAIT_LEN, () => {
      this.record(
        sk.host.name,
        'timer',
        stack('tw_timer_handler.kill'),
        'timer.timewait',
        { socket: sk.name },
        { timer: 'timewait' },
      );
      sk.host.socks = sk.host.socks.filter((s) => s !== sk);
      this.setState(sk, 'CLOSE', ['tw_timer_handler.kill'], 'state.change', true);
    });
  }

  /** tcp_timewait_state_process, simplified: a retransmitted FIN is ACKed again. */
  private timeWaitRcv(sk: Sock, seg: Segment): void {
    if (seg.flags & FIN) this.sendAck(sk, ['tcp_v4_rcv.do_rcv_owner'], 'send.ack.timewait');
  }

  // --- the retransmission timer: tcp_retransmit_timer / tcp_write_timeout

  private retransmitTimer(sk: Sock): void {
    const head = sk.rtx[0];
    if (!head) return;
    const host = sk.host.name;
    const synPhase = sk.state === 'SYN_SENT' || sk.state === 'SYN_RECV';
    const linear = applies(this.version, 'syn_linear_timeouts');
    this.record(
      host,
      'timer',
      stack('tcp_write_timer_handler.retrans', 'tcp_retransmit_timer.write_timeout'),
      'timer.retransmit',
      { socket: sk.name, n: sk.retransmits + 1, rto: sk.rto },
      { timer: 'retransmit' },
    );
    let expired: boolean;
    let rule: VersionRuleId | undefined;
    if (synPhase) {
      const retryUntil = sk.synRetries || intParam(this.P, 'tcp_syn_retries');
      let max = retryUntil;
      if (linear && sk.state === 'SYN_SENT') {
        max += intParam(this.P, 'tcp_syn_linear_timeouts');
        rule = 'syn_linear_timeouts';
      }
      expired = sk.retransmits >= max;
      if (!expired)
        expired =
          sk.retransmits > 0 &&
          this.now - sk.retransStamp >= M.modelTimeout(retryUntil, M.TCP_TIMEOUT_INIT, this.rtoMax);
    } else {
      // tcp_retries2 (15) with an RTO floor of TCP_RTO_MIN; orphans use tcp_orphan_retries.
      expired =
        sk.retransmits > 0 &&
        this.now - sk.retransStamp >= M.modelTimeout(15, M.TCP_RTO_MIN, this.rtoMax);
    }
    if (expired) {
      sk.err = 'ETIMEDOUT';
      this.record(
        host,
        'state',
        stack(
          'tcp_retransmit_timer.write_timeout',
          'tcp_write_timeout.expired',
          'tcp_write_timeout.err',
          'tcp_write_err.etimedout',
        ),
        'timeout.expired',
        { socket: sk.name, retransmits: sk.retransmits },
        rule ? { rule } : {},
      );
      this.tcpDone(sk, ['tcp_write_timeout.err']);
      return;
    }
    if (sk.retransmits === 0 && !synPhase) sk.retransStamp = head.sentAt;
    sk.retransmits++;
    sk.totalRto++;
    head.lastSent = this.now;
    this.xmit(
      sk,
      head.flags | (sk.state === 'SYN_RECV' && head.flags & SYN ? ACK : 0),
      head.seq,
      head.payload,
      stack('tcp_write_timer_handler.retrans', 'tcp_retransmit_timer.retransmit'),
      'send.retransmit',
      { n: sk.retransmits },
    );
    // Exponential backoff, except the first tcp_syn_linear_timeouts SYN retransmissions (6.5+).
    if (
      sk.state !== 'SYN_SENT' ||
      !linear ||
      sk.totalRto > intParam(this.P, 'tcp_syn_linear_timeouts')
    ) {
      sk.rto = Math.min(sk.rto * 2, this.rtoMax);
      this.record(
        host,
        'timer',
        stack('tcp_retransmit_timer.backoff'),
        'rto.backoff',
        { socket: sk.name, rto: sk.rto },
        { timer: 'retransmit' },
      );
    } else {
      this.record(
        host,
        'timer',
        stack('tcp_retransmit_timer.rearm'),
        'rto.linear',
        {
          socket: sk.name,
          rto: sk.rto,
          n: sk.totalRto,
          linear: intParam(this.P, 'tcp_syn_linear_timeouts'),
        },
        { timer: 'retransmit', rule: 'syn_linear_timeouts' },
      );
    }
    this.armRetransmit(sk);
  }

  // --- programs and system calls

  /**
   * Runs the program's next call, then yields: the call's network work (and on a 0 ms link
   * the peer's answers, as loopback's softirq processing does) happens before the next call.
   */
  private runProgram(p: Program): void {
    if (p.done || p.blocked) return;
    const op = p.ops[p.pc];
    if (!op) {
      p.done = true;
      return;
    }
    const r = this.execute(p, op);
    if (r === 'next') {
      p.pc++;
      this.schedule(this.now, 1, () => this.runProgram(p));
    } else if (r === 'exit') this.exit(p);
  }

  /** A failed call ends the program unless the scenario says it goes on; exit() closes fds. */
  private afterCall(op: Op, out: Outcome): 'next' | 'exit' {
    if (out === 'block') throw new Error('unreachable');
    return out.result < 0 && op.on_error !== 'continue' ? 'exit' : 'next';
  }

  /** exit(): the kernel closes what is still open (do_exit -> exit_files); no close() call is made. */
  private exit(p: Program): void {
    for (const [name, fd] of [...p.names.entries()]) {
      if (p.host.fds.has(fd)) this.sysClose(p, name, 'exit.close');
    }
    p.done = true;
  }

  private recordCall(
    p: Program,
    call: string,
    args: string,
    out: Exclude<Outcome, 'block'>,
    frames: CodeRef[],
    key: string,
  ): void {
    const syscall: SyscallJson = { call, result: out.result, args };
    if (out.errno) syscall.errno = out.errno;
    if (out.revents !== undefined) syscall.revents = out.revents;
    if (out.value !== undefined) syscall.value = out.value;
    this.record(
      p.host.name,
      'syscall',
      frames,
      key,
      {
        call,
        args,
        result: out.result,
        errno: out.errno ?? '',
        value: out.value ?? out.revents ?? '',
      },
      { syscall },
    );
  }

  private recordBlock(
    p: Program,
    call: string,
    args: string,
    frames: CodeRef[],
    key: string,
  ): void {
    this.record(
      p.host.name,
      'syscall',
      frames,
      key,
      { call, args },
      { syscall: { call, result: null, args } },
    );
  }

  private sock(p: Program, name: string): Sock | undefined {
    const fd = p.names.get(name);
    return fd === undefined ? undefined : p.host.fds.get(fd);
  }

  /**
   * Blocks the program in a call. `attempt` re-tries it and returns the outcome once the call
   * can return; a deadline turns into its own outcome (EAGAIN for SO_RCVTIMEO, 0 for poll).
   */
  private block(
    p: Program,
    op: Op,
    desc: string,
    attempt: () => Outcome,
    onDeadline?: { ms: number; outcome: () => Exclude<Outcome, 'block'> },
  ): 'block' {
    const finish = (): void => {
      if (p.blocked?.deadline) p.blocked.deadline.cancelled = true;
      p.blocked = undefined;
    };
    const blocked: Blocked = {
      desc,
      retry: () => {
        const out = attempt();
        if (out === 'block') return false;
        finish();
        p.pc++;
        if (out.result < 0 && op.on_error !== 'continue')
          this.schedule(this.now, 1, () => this.exit(p));
        else this.schedule(this.now, 1, () => this.runProgram(p));
        return true;
      },
      deadline: undefined,
    };
    if (onDeadline) {
      blocked.deadline = this.schedule(this.now + onDeadline.ms, 0, () => {
        if (p.blocked !== blocked) return;
        p.blocked = undefined;
        const out = onDeadline.outcome();
        p.pc++;
        if (out.result < 0 && op.on_error !== 'continue')
          this.schedule(this.now, 1, () => this.exit(p));
        else this.schedule(this.now, 1, () => this.runProgram(p));
      });
    }
    p.blocked = blocked;
    return 'block';
  }

  private wakeBlocked(): void {
    for (const p of this.programs) {
      if (p.blocked) p.blocked.retry();
    }
  }

  private execute(p: Program, op: Op): 'next' | 'block' | 'exit' {
    const host = p.host;
    switch (op.op) {
      case 'socket': {
        const sk = new Sock(this.nextSockId++, host);
        sk.rcvbuf = numbersParam(this.P, 'tcp_rmem')[1]!; // tcp_init_sock
        sk.fd = host.nextFd++;
        host.fds.set(sk.fd, sk);
        host.socks.push(sk);
        p.names.set(op.sock, sk.fd);
        this.recordCall(
          p,
          'socket',
          'AF_INET, SOCK_STREAM, 0',
          { result: sk.fd },
          stack('__sock_create.create', 'inet_create.alloc'),
          'syscall.socket',
        );
        return 'next';
      }
      case 'nonblock': {
        const sk = this.sock(p, op.sock)!;
        sk.nonblock = true;
        this.recordCall(
          p,
          'fcntl',
          `fd=${sk.fd}, F_SETFL, O_NONBLOCK`,
          { result: 0 },
          stack('do_fcntl.setfl', 'setfl.flags'),
          'syscall.nonblock',
        );
        return 'next';
      }
      case 'reuseaddr': {
        const sk = this.sock(p, op.sock)!;
        sk.reuse = true;
        this.recordCall(
          p,
          'setsockopt',
          `fd=${sk.fd}, SOL_SOCKET, SO_REUSEADDR, 1`,
          { result: 0 },
          stack('sk_setsockopt.reuseaddr'),
          'syscall.reuseaddr',
        );
        return 'next';
      }
      case 'syncnt': {
        const sk = this.sock(p, op.sock)!;
        const v = this.ref(op.value);
        if (v === 0) return 'next'; // the parameter leaves TCP_SYNCNT unset
        const out: Outcome =
          v < 1 || v > M.MAX_TCP_SYNCNT ? { result: -1, errno: 'EINVAL' } : { result: 0 };
        if (out.result === 0) sk.synRetries = v;
        this.recordCall(
          p,
          'setsockopt',
          `fd=${sk.fd}, IPPROTO_TCP, TCP_SYNCNT, ${v}`,
          out,
          stack('tcp_sock_set_syncnt.check'),
          'syscall.syncnt',
        );
        return this.afterCall(op, out);
      }
      case 'bind': {
        const sk = this.sock(p, op.sock)!;
        const port = this.ref(op.port);
        // inet_csk_get_port: a port held by another socket needs SO_REUSEADDR on both, and no listener.
        const clash = host.socks.find(
          (s) => s !== sk && s.lport === port && (s.state === 'LISTEN' || !(s.reuse && sk.reuse)),
        );
        const out: Outcome =
          sk.lport !== 0
            ? { result: -1, errno: 'EINVAL' }
            : clash
              ? { result: -1, errno: 'EADDRINUSE' }
              : { result: 0 };
        if (out.result === 0) {
          sk.lport = port;
          sk.userBound = true;
        }
        this.recordCall(
          p,
          'bind',
          `fd=${sk.fd}, ${host.name}:${port}`,
          out,
          stack('__sys_bind.ops', '__inet_bind.get_port'),
          out.result === 0 ? 'syscall.bind' : 'syscall.bind.error',
        );
        return this.afterCall(op, out);
      }
      case 'listen': {
        const sk = this.sock(p, op.sock)!;
        const asked = this.ref(op.backlog);
        const somaxconn = intParam(this.P, 'somaxconn');
        // __sys_listen: "if ((unsigned int)backlog > somaxconn) backlog = somaxconn;"
        const backlog = u32(asked) > somaxconn ? somaxconn : asked;
        if (sk.lport === 0) sk.lport = this.ephemeralPort(host);
        sk.backlog = backlog;
        this.recordCall(
          p,
          'listen',
          `fd=${sk.fd}, ${asked}`,
          { result: 0 },
          backlog === asked
            ? stack('__sys_listen.ops', 'inet_listen.start', 'inet_csk_listen_start.state')
            : stack('__sys_listen.clamp'),
          backlog === asked ? 'syscall.listen' : 'syscall.listen.clamped',
        );
        this.setState(
          sk,
          'LISTEN',
          ['__sys_listen.ops', 'inet_listen.start', 'inet_csk_listen_start.state'],
          'state.change',
          true,
        );
        return 'next';
      }
      case 'accept':
        return this.sysAccept(p, op);
      case 'connect':
        return this.sysConnect(p, op);
      case 'poll':
        return this.sysPoll(p, op);
      case 'soerror': {
        const sk = this.sock(p, op.sock)!;
        const value = sk.err ?? '0';
        sk.err = undefined;
        this.recordCall(
          p,
          'getsockopt',
          `fd=${sk.fd}, SOL_SOCKET, SO_ERROR`,
          { result: 0, value },
          stack('sk_getsockopt.so_error'),
          'syscall.soerror',
        );
        return 'next';
      }
      case 'send':
        return this.sysSend(p, op);
      case 'recv':
        return this.sysRecv(p, op);
      case 'close':
        this.sysClose(p, op.sock, 'syscall.close');
        return 'next';
      case 'sleep':
      case 'at': {
        const until = op.op === 'sleep' ? this.now + this.ref(op.ms) : this.ref(op.ms);
        if (until <= this.now) return 'next';
        p.blocked = {
          desc: `${op.op}(${this.ref(op.ms)} ms)`,
          retry: () => false,
          deadline: undefined,
        };
        this.schedule(until, 1, () => {
          p.blocked = undefined;
          p.pc++;
          this.runProgram(p);
        });
        return 'block';
      }
      case 'pause':
        p.blocked = { desc: 'pause()', retry: () => false, deadline: undefined };
        return 'block';
      case 'flood':
        this.flood(p, op);
        return 'next';
    }
  }

  /** Picks a free ephemeral port the way __inet_hash_connect prefers: random start, even ports first. */
  private ephemeralPort(host: Host): number {
    const [low, high] = numbersParam(this.P, 'ip_local_port_range') as [number, number];
    const span = high - low + 1;
    const start = this.rng.next32() % span;
    for (const parity of [0, 1]) {
      for (let i = 0; i < span; i++) {
        const port = low + ((start + i) % span);
        if ((port & 1) !== parity) continue;
        if (!host.socks.some((s) => s.lport === port)) return port;
      }
    }
    throw new Error(`${host.name}: no free ephemeral port`);
  }

  private sysAccept(p: Program, op: Extract<Op, { op: 'accept' }>): 'next' | 'block' | 'exit' {
    const lsk = this.sock(p, op.sock)!;
    const args = `fd=${lsk.fd}`;
    const attempt = (): Outcome => {
      if (lsk.state !== 'LISTEN') return { result: -1, errno: 'EINVAL' };
      const child = lsk.acceptQ.shift();
      if (!child) return 'block';
      child.parent = undefined;
      child.fd = p.host.nextFd++;
      p.host.fds.set(child.fd, child);
      p.names.set(op.as, child.fd);
      return { result: child.fd };
    };
    const done = (out: Exclude<Outcome, 'block'>): void =>
      this.recordCall(
        p,
        'accept',
        args,
        out,
        stack('do_accept.ops', 'inet_accept.prot', 'inet_csk_accept.remove'),
        out.result >= 0 ? 'syscall.accept' : 'syscall.accept.error',
      );
    const first = attempt();
    if (first !== 'block') {
      done(first);
      return this.afterCall(op, first);
    }
    if (lsk.nonblock) {
      const out = { result: -1, errno: 'EAGAIN' };
      this.recordCall(
        p,
        'accept',
        args,
        out,
        stack('do_accept.ops', 'inet_accept.prot', 'inet_csk_accept.eagain'),
        'syscall.accept.eagain',
      );
      return this.afterCall(op, out);
    }
    this.recordBlock(
      p,
      'accept',
      args,
      stack('do_accept.ops', 'inet_accept.prot', 'inet_csk_accept.wait'),
      'syscall.accept.block',
    );
    const deadline =
      op.timeout_ms === undefined
        ? undefined
        : {
            ms: this.ref(op.timeout_ms),
            outcome: () => {
              const out = { result: -1, errno: 'EAGAIN' };
              this.recordCall(
                p,
                'accept',
                args,
                out,
                stack('do_accept.ops', 'inet_accept.prot', 'inet_csk_accept.eagain'),
                'syscall.accept.timeout',
              );
              return out;
            },
          };
    return this.block(
      p,
      op,
      `accept(${args})`,
      () => {
        const out = attempt();
        if (out !== 'block') done(out);
        return out;
      },
      deadline,
    );
  }

  /** __inet_stream_connect (net/ipv4/af_inet.c), with tcp_v4_connect and tcp_connect. */
  private sysConnect(p: Program, op: Extract<Op, { op: 'connect' }>): 'next' | 'block' | 'exit' {
    const sk = this.sock(p, op.sock)!;
    const target = this.hosts.get(op.to)!;
    const port = this.ref(op.port);
    const args = `fd=${sk.fd}, ${target.name}:${port}`;
    const F = '__inet_stream_connect';
    let err: string;
    // __inet_stream_connect: a connected socket, or one whose sk_state left CLOSE, says EISCONN.
    const isConnected = (): 'next' | 'exit' => {
      const out = { result: -1, errno: 'EISCONN' };
      this.recordCall(
        p,
        'connect',
        args,
        out,
        stack('__sys_connect_file.ops', 'inet_stream_connect.inner', `${F}.eisconn`),
        'syscall.connect.eisconn',
      );
      return this.afterCall(op, out);
    };
    switch (sk.ss) {
      case 'CONNECTED':
        return isConnected();
      case 'CONNECTING':
        err = 'EALREADY';
        break;
      case 'UNCONNECTED': {
        if (sk.state !== 'CLOSE') return isConnected();
        this.tcpV4Connect(sk, target, port);
        sk.ss = 'CONNECTING';
        err = 'EINPROGRESS';
        break;
      }
    }
    const finish = (): Exclude<Outcome, 'block'> => {
      if (sk.state === 'CLOSE') {
        // sock_error: the error the RST or the timer left, consumed by this call.
        const out = { result: -1, errno: sk.err ?? 'ECONNABORTED' };
        sk.err = undefined;
        sk.ss = 'UNCONNECTED';
        // tcp_disconnect: the socket can connect again; tcp_set_state(CLOSE) gave back an
        // ephemeral port (inet_put_port), so a new attempt draws a new one.
        this.disconnect(sk);
        this.recordCall(
          p,
          'connect',
          args,
          out,
          stack('__sys_connect_file.ops', 'inet_stream_connect.inner', `${F}.sock_error`),
          'syscall.connect.error',
        );
        return out;
      }
      sk.ss = 'CONNECTED';
      this.recordCall(
        p,
        'connect',
        args,
        { result: 0 },
        stack('__sys_connect_file.ops', 'inet_stream_connect.inner', `${F}.connected`),
        'syscall.connect',
      );
      return { result: 0 };
    };
    const pending = sk.state === 'SYN_SENT' || sk.state === 'SYN_RECV';
    if (pending && sk.nonblock) {
      const out = { result: -1, errno: err };
      this.recordCall(
        p,
        'connect',
        args,
        out,
        stack(err === 'EINPROGRESS' ? `${F}.einprogress` : `${F}.ealready`),
        err === 'EINPROGRESS' ? 'syscall.connect.einprogress' : 'syscall.connect.ealready',
      );
      return this.afterCall(op, out);
    }
    if (!pending) {
      const out = finish();
      return this.afterCall(op, out);
    }
    this.recordBlock(
      p,
      'connect',
      args,
      stack('__sys_connect_file.ops', 'inet_stream_connect.inner', `${F}.wait`),
      'syscall.connect.block',
    );
    return this.block(p, op, `connect(${args})`, () =>
      sk.state === 'SYN_SENT' || sk.state === 'SYN_RECV' ? 'block' : finish(),
    );
  }

  /** tcp_disconnect's reset of a closed socket, so that connect() may be called again. */
  private disconnect(sk: Sock): void {
    sk.rcvShutdown = false;
    sk.sndShutdown = false;
    sk.doneFlag = false;
    sk.finSent = false;
    sk.recvQ = [];
    sk.rcvSkbs = [];
    sk.ofo = [];
    sk.rmemAlloc = 0;
    sk.remote = undefined;
    if (!sk.userBound) sk.lport = 0;
  }

  /** tcp_v4_connect: port, ISN, SYN_SENT; tcp_connect: the SYN and its timer. */
  private tcpV4Connect(sk: Sock, target: Host, port: number): void {
    const base: CodePoint[] = [
      '__sys_connect_file.ops',
      'inet_stream_connect.inner',
      '__inet_stream_connect.connect',
    ];
    sk.remote = { host: target.name, ip: target.ip, port };
    if (sk.lport === 0) sk.lport = this.ephemeralPort(sk.host);
    sk.iss = this.newIsn();
    sk.tsOff = this.newTsOff();
    const win = this.initialWindow(this.advmss, intParam(this.P, 'tcp_window_scaling') === 1); // tcp_connect_init
    sk.rcvWnd = win.rcvWnd;
    sk.rcvSsthresh = win.rcvWnd;
    sk.rcvWscale = win.rcvWscale;
    sk.windowClamp = win.windowClamp;
    sk.advmss = this.advmss;
    sk.scalingRatio = M.TCP_DEFAULT_SCALING_RATIO;
    sk.lastSegSize = 0;
    sk.sndUna = sk.iss;
    sk.sndNxt = sk.iss;
    sk.rto = M.TCP_TIMEOUT_INIT;
    sk.retransmits = 0;
    sk.totalRto = 0;
    sk.retransStamp = this.now;
    this.setState(sk, 'SYN_SENT', [
      ...base,
      'tcp_v4_connect.hash_connect',
      'tcp_v4_connect.syn_sent',
    ]);
    this.sendData(
      sk,
      SYN,
      new Uint8Array(0),
      stack(...base, 'tcp_v4_connect.tcp_connect', 'tcp_connect.transmit', 'tcp_syn_options.mss'),
      'send.syn',
    );
  }

  /** tcp_poll (net/ipv4/tcp.c): the events a socket reports. */
  private pollMask(sk: Sock): number {
    let mask = 0;
    if (sk.state === 'LISTEN') return sk.acceptQ.length > 0 ? POLL.IN | POLL.RDNORM : 0;
    const shutdownAll = sk.rcvShutdown && sk.sndShutdown;
    if (shutdownAll || sk.state === 'CLOSE') mask |= POLL.HUP;
    if (sk.rcvShutdown) mask |= POLL.IN | POLL.RDNORM | POLL.RDHUP;
    if (sk.state !== 'SYN_SENT' && sk.state !== 'SYN_RECV') {
      if (sk.recvQ.length > 0) mask |= POLL.IN | POLL.RDNORM;
      if (!sk.sndShutdown) {
        if (sk.state !== 'CLOSE') mask |= POLL.OUT | POLL.WRNORM;
      } else mask |= POLL.OUT | POLL.WRNORM;
    }
    if (sk.err) mask |= POLL.ERR;
    return mask;
  }

  private sysPoll(p: Program, op: Extract<Op, { op: 'poll' }>): 'next' | 'block' | 'exit' {
    const sk = this.sock(p, op.sock)!;
    const want = op.events === 'POLLIN' ? POLL.IN : POLL.OUT;
    const timeout = op.timeout_ms === undefined ? -1 : this.ref(op.timeout_ms);
    const args = `{fd=${sk.fd}, events=${op.events}}, 1, ${timeout}`;
    const ready = (): number => this.pollMask(sk) & (want | POLL.ERR | POLL.HUP);
    const point = (): CodePoint => (sk.err ? 'tcp_poll.err' : 'tcp_poll.out');
    const answer = (): Exclude<Outcome, 'block'> => {
      // do_pollfd: revents = mask & (events | POLLERR | POLLHUP).
      const out = {
        result: 1,
        revents: pollNames(this.pollMask(sk) & (want | POLL.ERR | POLL.HUP)),
      };
      this.recordCall(p, 'poll', args, out, stack('sock_poll.ops', point()), 'syscall.poll');
      return out;
    };
    if (ready()) {
      answer();
      return 'next';
    }
    if (timeout === 0) {
      this.recordCall(
        p,
        'poll',
        args,
        { result: 0, revents: '0' },
        stack('sock_poll.ops', point()),
        'syscall.poll.timeout',
      );
      return 'next';
    }
    this.recordBlock(p, 'poll', args, stack('sock_poll.ops', 'tcp_poll.out'), 'syscall.poll.block');
    const deadline =
      timeout < 0
        ? undefined
        : {
            ms: timeout,
            outcome: () => {
              const out = { result: 0, revents: '0' };
              this.recordCall(
                p,
                'poll',
                args,
                out,
                stack('sock_poll.ops', 'tcp_poll.out'),
                'syscall.poll.timeout',
              );
              return out;
            },
          };
    return this.block(p, op, `poll(${args})`, () => (ready() ? answer() : 'block'), deadline);
  }

  /** tcp_sendmsg_locked: waits for the connection, fails with the pending error or EPIPE. */
  private sysSend(p: Program, op: Extract<Op, { op: 'send' }>): 'next' | 'block' | 'exit' {
    const sk = this.sock(p, op.sock)!;
    const data = Uint8Array.from(op.data, (c) => c.charCodeAt(0) & 255);
    const args = `fd=${sk.fd}, "${op.data}", ${data.length}, MSG_NOSIGNAL`;
    const attempt = (): Outcome => {
      if (sk.state === 'SYN_SENT' || sk.state === 'SYN_RECV')
        return sk.nonblock ? { result: -1, errno: 'EAGAIN' } : 'block';
      if (sk.err) {
        const out = { result: -1, errno: sk.err };
        sk.err = undefined;
        return out;
      }
      if (sk.sndShutdown || (sk.state !== 'ESTABLISHED' && sk.state !== 'CLOSE_WAIT'))
        return { result: -1, errno: 'EPIPE' };
      this.sendData(
        sk,
        PSH | ACK,
        data,
        stack('tcp_sendmsg.locked', 'tcp_sendmsg_locked.push', '__tcp_transmit_skb.queue_xmit'),
        'send.data',
      );
      return { result: data.length };
    };
    const done = (out: Exclude<Outcome, 'block'>): void =>
      this.recordCall(
        p,
        'send',
        args,
        out,
        stack(
          'tcp_sendmsg.locked',
          out.errno === 'EPIPE' ? 'tcp_sendmsg_locked.epipe' : 'tcp_sendmsg_locked.push',
        ),
        out.result >= 0 ? 'syscall.send' : 'syscall.send.error',
      );
    const first = attempt();
    if (first !== 'block') {
      done(first);
      return this.afterCall(op, first);
    }
    this.recordBlock(
      p,
      'send',
      args,
      stack('tcp_sendmsg.locked', 'tcp_sendmsg_locked.push'),
      'syscall.send.block',
    );
    return this.block(p, op, `send(${args})`, () => {
      const out = attempt();
      if (out !== 'block') done(out);
      return out;
    });
  }

  /** tcp_recvmsg_locked: data, else EOF after a FIN, the pending error, ENOTCONN, or wait. */
  private sysRecv(p: Program, op: Extract<Op, { op: 'recv' }>): 'next' | 'block' | 'exit' {
    const sk = this.sock(p, op.sock)!;
    const max = op.max ?? 1024;
    const args = `fd=${sk.fd}, ${max}`;
    const F = 'tcp_recvmsg_locked';
    let point: CodePoint = `${F}.copy`;
    const attempt = (): Outcome => {
      if (sk.recvQ.length > 0) {
        const n = Math.min(max, sk.recvQ.length);
        const bytes = sk.recvQ.splice(0, n);
        this.consumeRcv(sk, n, max);
        point = `${F}.copy`;
        return { result: n, value: String.fromCharCode(...bytes) };
      }
      if (sk.doneFlag) {
        this.consumeRcv(sk, 0, max);
        return ((point = `${F}.eof`), { result: 0 });
      }
      if (sk.err) {
        const out = { result: -1, errno: sk.err };
        sk.err = undefined;
        point = `${F}.error`;
        return out;
      }
      if (sk.rcvShutdown) return ((point = `${F}.eof`), { result: 0 });
      if (sk.state === 'CLOSE') return ((point = `${F}.error`), { result: -1, errno: 'ENOTCONN' });
      if (sk.nonblock) return ((point = `${F}.wait`), { result: -1, errno: 'EAGAIN' });
      return 'block';
    };
    const done = (out: Exclude<Outcome, 'block'>): void =>
      this.recordCall(
        p,
        'recv',
        args,
        out,
        stack('tcp_recvmsg.locked', point),
        out.result > 0
          ? 'syscall.recv'
          : out.result === 0
            ? 'syscall.recv.eof'
            : 'syscall.recv.error',
      );
    const first = attempt();
    if (first !== 'block') {
      done(first);
      return this.afterCall(op, first);
    }
    this.recordBlock(
      p,
      'recv',
      args,
      stack('tcp_recvmsg.locked', `${F}.wait`),
      'syscall.recv.block',
    );
    const deadline =
      op.timeout_ms === undefined
        ? undefined
        : {
            ms: this.ref(op.timeout_ms),
            outcome: () => {
              const out = { result: -1, errno: 'EAGAIN' };
              this.recordCall(
                p,
                'recv',
                args,
                out,
                stack('tcp_recvmsg.locked', `${F}.wait`),
                'syscall.recv.timeout',
              );
              return out;
            },
          };
    return this.block(
      p,
      op,
      `recv(${args})`,
      () => {
        const out = attempt();
        if (out !== 'block') done(out);
        return out;
      },
      deadline,
    );
  }

  /** tcp_close -> __tcp_close (net/ipv4/tcp.c). */
  private sysClose(p: Program, name: string, key: string): void {
    const sk = this.sock(p, name)!;
    const fd = sk.fd!;
    p.host.fds.delete(fd);
    p.names.delete(name);
    if (key === 'exit.close') {
      this.record(p.host.name, 'state', stack(...CLOSE, '__tcp_close.close_state'), key, {
        fd,
        socket: sk.name,
      });
    } else {
      this.recordCall(
        p,
        'close',
        `fd=${fd}`,
        { result: 0 },
        stack(...CLOSE, '__tcp_close.close_state'),
        key,
      );
    }
    sk.orphan = true;
    sk.fd = undefined;
    const F = '__tcp_close';
    switch (sk.state) {
      case 'LISTEN': {
        this.setState(sk, 'CLOSE', [...CLOSE, `${F}.listen`]);
        // inet_csk_listen_stop: every child still queued is disconnected (RST if synchronized).
        // Request socks stay until their timer finds the listener gone.
        for (const child of sk.acceptQ.splice(0)) {
          const frames: CodePoint[] = [
            `${F}.listen`,
            'inet_csk_listen_stop.forget',
            'inet_child_forget.disconnect',
          ];
          child.orphan = true;
          child.parent = undefined;
          if (
            ['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV'].includes(
              child.state,
            )
          ) {
            this.xmit(
              child,
              RST | ACK,
              child.sndNxt,
              new Uint8Array(0),
              stack(...frames, 'tcp_disconnect.reset'),
              'send.rst.listener_close',
              { socket: child.name },
            );
          }
          this.tcpDone(child, frames);
        }
        sk.host.socks = sk.host.socks.filter((s) => s !== sk || s.reqs.length > 0);
        return;
      }
      case 'SYN_SENT':
      case 'CLOSE':
        this.tcpDone(sk, [...CLOSE, `${F}.close_state`]);
        sk.host.socks = sk.host.socks.filter((s) => s !== sk);
        return;
      default:
        break;
    }
    // __tcp_close frees the receive queue first (a FIN nobody read included).
    const unread = sk.recvQ.length;
    this.purgeRcv(sk);
    if (unread > 0) {
      // Unread data: RFC 2525 says reset, and Linux does (__tcp_close, "data_was_unread").
      this.xmit(
        sk,
        RST | ACK,
        sk.sndNxt,
        new Uint8Array(0),
        stack(...CLOSE, `${F}.close_state`, 'tcp_disconnect.reset'),
        'send.rst.unread',
        { socket: sk.name, bytes: unread },
      );
      this.tcpDone(sk, [...CLOSE, `${F}.close_state`]);
      return;
    }
    // tcp_close_state: ESTABLISHED -> FIN_WAIT1, CLOSE_WAIT -> LAST_ACK, then tcp_send_fin.
    const next: Partial<Record<TcpState, TcpState>> = {
      ESTABLISHED: 'FIN_WAIT1',
      SYN_RECV: 'FIN_WAIT1',
      CLOSE_WAIT: 'LAST_ACK',
    };
    const to = next[sk.state];
    if (!to) return;
    this.setState(sk, to, [...CLOSE, `${F}.close_state`]);
    sk.sndShutdown = true;
    sk.finSent = true;
    this.sendData(
      sk,
      FIN | ACK,
      new Uint8Array(0),
      stack(...CLOSE, `${F}.fin`, 'tcp_send_fin.push'),
      'send.fin',
    );
  }

  /** A raw host's SYNs: one per source port, never answered (the syn-flood attacker). */
  private flood(p: Program, op: Extract<Op, { op: 'flood' }>): void {
    const target = this.hosts.get(op.to)!;
    const count = this.ref(op.count);
    const every = this.ref(op.interval_ms);
    const first = op.first_port ?? 20000;
    for (let i = 0; i < count; i++) {
      this.schedule(this.now + i * every, 1, () => {
        const seg: Segment = {
          srcHost: p.host.name,
          dstHost: target.name,
          srcIp: p.host.ip,
          dstIp: target.ip,
          sport: first + i,
          dport: this.ref(op.port),
          seq: this.rng.next32(),
          ack: 0,
          flags: SYN,
          window: 64240,
          urg: 0,
          options: [
            { kind: 'mss', value: 1460 },
            { kind: 'sackOK' },
            { kind: 'ts', val: u32(this.clock()), ecr: 0 },
            { kind: 'wscale', shift: 7 },
          ],
          payload: new Uint8Array(0),
        };
        this.emit(seg, stack('raw_sendmsg.hdrinc'), 'send.flood', { n: i + 1, count });
      });
    }
  }
}
