/**
 * The numbers Linux computes at connection set-up, as pure functions: the receive window and
 * window scale (tcp_select_initial_window), the MSS it advertises (ipv4_default_advmss), the
 * write-timeout model (tcp_model_timeout), and SYN cookies (syncookies.c). Each cites the
 * function it follows; the socket machinery that uses them is in simulation.ts.
 */
import { applies, type KernelVersion } from './versionRules';
import { u32 } from './wire';

export const TCP_TIMEOUT_INIT = 1000; // include/net/tcp.h, 1 * HZ
export const TCP_RTO_MIN = 200; // HZ / 5
export const TCP_RTO_MAX_DEFAULT = 120000; // 120 * HZ
export const TCP_DELACK_MIN = 40; // HZ / 25; also TCP_ATO_MIN
export const TCP_DELACK_MAX = 200; // HZ / 5
export const TCP_TIMEWAIT_LEN = 60000; // 60 * HZ
export const TCP_MAX_QUICKACKS = 16;
export const TCP_MSS_DEFAULT = 536; // RFC 1122 default, and the MSS assumed when a SYN has none
export const TCPOLEN_TSTAMP_ALIGNED = 12;
export const TCP_MAX_WSCALE = 14;
export const MAX_TCP_SYNCNT = 127;
export const TCP_OOW_RATE_LIMIT = 500; // sysctl_tcp_invalid_ratelimit, HZ / 2

const ilog2 = (n: number): number => Math.floor(Math.log2(n));

/**
 * ipv4_default_advmss (net/ipv4/route.c): the MTU less the IPv4 and TCP headers, at most
 * IPV4_MAX_PMTU (65535) less them. Loopback's 65536-byte MTU gives 65495, a 1500 MTU 1460.
 */
export function advmssFor(mtu: number): number {
  return Math.max(Math.min(mtu - 40, 65535 - 40), 256);
}

/** TCP_DEFAULT_SCALING_RATIO (6.6+): a received byte is assumed to cost two of buffer. */
export const TCP_DEFAULT_SCALING_RATIO = 128; // 1 << (TCP_RMEM_TO_WIN_SCALE - 1)
export const TCP_MIN_MSS = 88;
/** MAX_TCP_WINDOW: the cap of an unscaled window with tcp_workaround_signed_windows. */
export const MAX_TCP_WINDOW = 32767;

/**
 * tcp_win_from_space (include/net/tcp.h): how much window `space` bytes of receive buffer
 * can offer. Before 6.6, space less space >> tcp_adv_win_scale; from 6.6 (rule
 * win_scaling_ratio) space * scaling_ratio >> 8, the socket's measured payload/truesize
 * ratio (tcp_measure_rcv_mss), one half until it has one.
 */
export function winFromSpace(
  version: KernelVersion,
  space: number,
  advWinScale: number,
  scalingRatio = TCP_DEFAULT_SCALING_RATIO,
): number {
  if (applies(version, 'win_scaling_ratio')) return Math.floor((space * scalingRatio) / 256);
  if (advWinScale <= 0) return Math.floor(space / 2 ** -advWinScale);
  return space - Math.floor(space / 2 ** advWinScale);
}

/**
 * tcp_full_space: the window a receive buffer of `rcvbuf` bytes can offer at connection
 * set-up. Before 6.6 it is rcvbuf less rcvbuf >> tcp_adv_win_scale; from 6.6 rcvbuf *
 * scaling_ratio >> 8 with the initial ratio of one half (tcp_scaling_ratio_init). Both give
 * 65536 for the default 131072.
 */
export function fullSpace(version: KernelVersion, rcvbuf: number, advWinScale: number): number {
  return winFromSpace(version, rcvbuf, advWinScale);
}

export interface InitialWindow {
  rcvWnd: number;
  rcvWscale: number;
  windowClamp: number;
}

/**
 * tcp_select_initial_window (net/ipv4/tcp_output.c): the space rounded down to a multiple of
 * the MSS (at most 32767 with tcp_workaround_signed_windows), and the smallest scale that
 * lets the largest possible buffer (tcp_rmem[2], rmem_max) be advertised.
 */
export function selectInitialWindow(
  version: KernelVersion,
  space: number,
  mss: number,
  wscaleOk: boolean,
  tcpRmemMax: number,
  rmemMax: number,
  workaroundSignedWindows = false,
): InitialWindow {
  let windowClamp = 65535 * 2 ** TCP_MAX_WSCALE;
  space = Math.min(windowClamp, Math.max(space, 0));
  if (space > mss) space = Math.floor(space / mss) * mss;
  // 6.1 clamps here; later kernels clamp only the SYN's header field (tcp_transmit_skb).
  const rcvWnd = workaroundSignedWindows
    ? Math.min(space, MAX_TCP_WINDOW)
    : applies(version, 'rcv_wnd_unclamped')
      ? space
      : Math.min(space, 65535);
  let rcvWscale = 0;
  if (wscaleOk) {
    let s = Math.max(space, tcpRmemMax);
    s = Math.max(s, rmemMax);
    s = Math.min(s, windowClamp);
    rcvWscale = Math.min(Math.max(ilog2(s) - 15, 0), TCP_MAX_WSCALE);
  }
  windowClamp = Math.min(65535 * 2 ** rcvWscale, windowClamp);
  return { rcvWnd, rcvWscale, windowClamp };
}

// --- the receive window of an established connection

/**
 * tcp_init_buffer_space (net/ipv4/tcp_input.c), run once a connection is established: the
 * window is clamped to what the buffer can offer, less a share kept for the application
 * (tcp_app_win, 1/2^31 by default) and less one segment ("force reservation of one
 * segment"), and rcv_ssthresh, the window offered until data makes it grow, to that clamp.
 * On a 1500-byte link with timestamps: 65536 - 1448 = 64088.
 */
export function initBufferSpace(s: {
  windowClamp: number;
  rcvSsthresh: number;
  /** tcp_full_space */
  maxwin: number;
  advmss: number;
  appWin: number;
}): { windowClamp: number; rcvSsthresh: number } {
  const { maxwin, advmss, appWin } = s;
  let clamp = s.windowClamp;
  if (clamp >= maxwin) {
    clamp = maxwin;
    if (appWin && maxwin > 4 * advmss)
      clamp = Math.max(maxwin - Math.floor(maxwin / 2 ** appWin), 4 * advmss);
  }
  if (appWin && clamp > 2 * advmss && clamp + advmss > maxwin)
    clamp = Math.max(2 * advmss, maxwin - advmss);
  return { windowClamp: clamp, rcvSsthresh: Math.min(s.rcvSsthresh, clamp) };
}

/**
 * tcp_initialize_rcv_mss: the guess of the peer's segment size that window rounding and
 * delayed ACKs use until data arrives: at most 536 (TCP_MSS_DEFAULT), at least 88.
 */
export function initialRcvMss(advmss: number, mssCache: number, rcvWnd: number): number {
  let hint = Math.min(advmss, mssCache);
  hint = Math.min(hint, Math.floor(rcvWnd / 2));
  hint = Math.min(hint, TCP_MSS_DEFAULT);
  return Math.max(hint, TCP_MIN_MSS);
}

/** What __tcp_select_window reads from a socket. */
export interface RcvSpace {
  /** tcp_space: tcp_win_from_space(sk_rcvbuf - sk_rmem_alloc), the unread skbs' truesize off. */
  freeSpace: number;
  /** tcp_full_space: tcp_win_from_space(sk_rcvbuf). */
  allowedSpace: number;
  windowClamp: number;
  rcvSsthresh: number;
  /** tp->rcv_wnd: the window last offered. */
  rcvWnd: number;
  rcvWscale: number;
  /** icsk_ack.rcv_mss */
  rcvMss: number;
  /** sysctl tcp_shrink_window (only with a scale in effect) */
  shrinkWindow: boolean;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number): number => Math.floor(n / a) * a;

/**
 * __tcp_select_window (net/ipv4/tcp_output.c): the window the buffer can offer now. Little
 * free space (under half the clamped full space) gives that free space rounded down to the
 * scale, or 0 if it is below 1/16 of the buffer or one segment; more is capped at
 * rcv_ssthresh. Scaled, it is rounded up to the scale unit; unscaled, the last window is kept
 * while it lies within one rcv_mss below the free space, else the free space is rounded down
 * to a multiple of rcv_mss.
 */
export function freeWindow(s: RcvSpace): number {
  const unit = 2 ** s.rcvWscale;
  let mss = s.rcvMss;
  let free = s.freeSpace;
  const full = Math.min(s.windowClamp, s.allowedSpace);
  if (mss > full) {
    mss = full;
    if (mss <= 0) return 0;
  }
  if (s.shrinkWindow && s.rcvWscale) {
    // shrink_window_allowed
    free = alignDown(free, unit);
    if (free < full >> 1 && (free < s.allowedSpace >> 4 || free < mss || free < unit)) return 0;
    if (free > s.rcvSsthresh) free = alignUp(s.rcvSsthresh, unit);
    return free;
  }
  if (free < full >> 1) {
    free = alignDown(free, unit);
    if (free < s.allowedSpace >> 4 || free < mss) return 0;
  }
  if (free > s.rcvSsthresh) free = s.rcvSsthresh;
  if (s.rcvWscale) return alignUp(free, unit);
  let window = s.rcvWnd;
  if (window <= free - mss || window > free) window = alignDown(free, mss);
  else if (mss === full && free > window + (full >> 1)) window = free;
  return window;
}

/**
 * tcp_select_window: the window field of a segment that is not a SYN, from `newWin`, what
 * __tcp_select_window offers now (freeWindow). The right edge of a window once offered never
 * moves left (unless tcp_shrink_window allows it with a scale in effect): a smaller new
 * window becomes what is left of the current one, cur_win = rcv_wup + rcv_wnd - rcv_nxt,
 * rounded up to the scale. `rcvWnd` is what the socket keeps (rcv_wup moves to rcv_nxt); the
 * field is capped at 65535 << scale (32767 unscaled with tcp_workaround_signed_windows) and
 * shifted by the scale.
 */
export function selectWindow(s: {
  newWin: number;
  curWin: number;
  rcvWscale: number;
  shrinkWindow: boolean;
  workaroundSignedWindows: boolean;
}): { rcvWnd: number; field: number } {
  const unit = 2 ** s.rcvWscale;
  let win = s.newWin;
  if (win < s.curWin && !(s.shrinkWindow && s.rcvWscale)) win = alignUp(s.curWin, unit);
  const cap = !s.rcvWscale && s.workaroundSignedWindows ? MAX_TCP_WINDOW : 65535 * unit;
  return { rcvWnd: win, field: Math.floor(Math.min(win, cap) / unit) };
}

/**
 * tcp_grow_window + __tcp_grow_window (net/ipv4/tcp_input.c): a received segment of `len`
 * bytes that costs `truesize` of buffer (less its head when `adjust`, truesize_adjust) lets
 * rcv_ssthresh grow by 2 * advmss, or 2 * rcv_mss when it only fits at a smaller window, at
 * least 2 * len, up to what the clamp and the free space allow. Returns the new rcv_ssthresh.
 */
export function growWindow(s: {
  rcvSsthresh: number;
  windowClamp: number;
  /** tcp_space */
  freeSpace: number;
  /** tcp_win_from_space of the socket */
  winFromSpace: (space: number) => number;
  /** truesize_adjust(adjust, skb) */
  truesize: number;
  len: number;
  advmss: number;
  rcvMss: number;
  /** sysctl tcp_rmem[2] */
  rmemMax: number;
}): number {
  const room = Math.min(s.windowClamp, s.freeSpace) - s.rcvSsthresh;
  if (room <= 0) return s.rcvSsthresh;
  let incr = 0;
  if (s.winFromSpace(s.truesize) <= s.len) incr = 2 * s.advmss;
  else {
    let truesize = s.winFromSpace(s.truesize) >> 1;
    let window = s.winFromSpace(s.rmemMax) >> 1;
    while (s.rcvSsthresh <= window) {
      if (truesize <= s.len) {
        incr = 2 * s.rcvMss;
        break;
      }
      truesize >>= 1;
      window >>= 1;
    }
  }
  if (!incr) return s.rcvSsthresh;
  return s.rcvSsthresh + Math.min(room, Math.max(incr, 2 * s.len));
}

/**
 * tcp_model_timeout (net/ipv4/tcp_timer.c): how long `boundary` exponentially backed-off
 * retransmissions starting at `rtoBase` take; retransmits_timed_out compares the time since
 * the first transmission with it.
 */
export function modelTimeout(boundary: number, rtoBase: number, rtoMax: number): number {
  const thresh = ilog2(rtoMax / rtoBase);
  if (boundary <= thresh) return ((2 << boundary) - 1) * rtoBase;
  return ((2 << thresh) - 1) * rtoBase + (boundary - thresh) * rtoMax;
}

// --- timer_list expiry (kernel/time/timer.c)

const LVL_CLK_SHIFT = 3;
const LVL_SIZE = 64;
const LVL_DEPTH = 9; // HZ > 100

/**
 * The jiffy at which a timer_list timer due at `expires` actually runs: the timer wheel files
 * it in a level by its distance from now and rounds it up to that level's granularity
 * (calc_wheel_index / calc_index), 1 jiffy at level 0, 8 at level 1, 64 at level 2 ... so
 * a 1 s timer at HZ=250 (250 jiffies, level 1) runs up to 32 ms late, never early.
 */
export function wheelExpiry(expires: number, clk: number): number {
  const delta = expires - clk;
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= (LVL_SIZE - 1) * 2 ** (lvl * LVL_CLK_SHIFT)) lvl++;
  const gran = 2 ** (lvl * LVL_CLK_SHIFT);
  return (Math.floor(expires / gran) + 1) * gran;
}

// --- SYN cookies (net/ipv4/syncookies.c)

/** msstab: the four MSS values a cookie can encode, in two bits. */
export const COOKIE_MSS_TABLE = [536, 1300, 1440, 1460] as const;
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
const MAX_SYNCOOKIE_AGE = 2; // minutes
export const TCP_SYNCOOKIE_VALID = MAX_SYNCOOKIE_AGE * 60000; // tcp_synq_no_recent_overflow
const TSBITS = 6;

export interface CookieTuple {
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
}

/**
 * The kernel keys cookie_hash with siphash and a boot-time secret; the model keys an FNV-1a
 * hash with the run's secret. The structure around it is the kernel's.
 */
function cookieHash(secret: number, t: CookieTuple, count: number, c: number): number {
  let h = 0x811c9dc5 ^ secret;
  const mix = (n: number): void => {
    for (let i = 0; i < 4; i++) {
      h ^= (n >>> (i * 8)) & 255;
      h = Math.imul(h, 0x01000193);
    }
  };
  for (const part of [...t.saddr.split('.'), ...t.daddr.split('.')]) mix(Number(part));
  mix(t.sport);
  mix(t.dport);
  mix(count);
  mix(c);
  return u32(h);
}

/** The minute counter cookies carry (tcp_cookie_time: jiffies / (60 * HZ)). */
export function cookieTime(clockMs: number): number {
  return Math.floor(clockMs / 60000);
}

/** __cookie_v4_init_sequence + secure_tcp_syn_cookie: returns the ISN and the MSS it encodes. */
export function cookieInitSequence(
  secret: number,
  t: CookieTuple,
  clientIsn: number,
  clientMss: number,
  clockMs: number,
): { isn: number; mss: number } {
  let mssind = COOKIE_MSS_TABLE.length - 1;
  while (mssind > 0 && clientMss < COOKIE_MSS_TABLE[mssind]!) mssind--;
  const count = cookieTime(clockMs);
  const isn = u32(
    cookieHash(secret, t, 0, 0) +
      clientIsn +
      u32(count << COOKIEBITS) +
      ((cookieHash(secret, t, count, 1) + mssind) & COOKIEMASK),
  );
  return { isn, mss: COOKIE_MSS_TABLE[mssind]! };
}

/**
 * __cookie_v4_check + check_tcp_syn_cookie: the MSS a returning ACK's cookie (ack - 1)
 * encodes, or 0 when the cookie is not valid (wrong hash or older than two minutes).
 */
export function cookieCheck(
  secret: number,
  t: CookieTuple,
  clientIsn: number,
  cookie: number,
  clockMs: number,
): number {
  const count = cookieTime(clockMs);
  let c = u32(cookie - cookieHash(secret, t, 0, 0) - clientIsn);
  const diff = (count - (c >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return 0;
  c = (c - cookieHash(secret, t, count - diff, 1)) & COOKIEMASK;
  return c < COOKIE_MSS_TABLE.length ? COOKIE_MSS_TABLE[c]! : 0;
}

/**
 * cookie_init_timestamp: with timestamps on, a cookie's SYN-ACK hides the client's window
 * scale, SACK and ECN in the low 6 bits of its TS value (before the offset is added).
 */
export function cookieTimestamp(
  clockMs: number,
  wscale: number | undefined,
  sackOk: boolean,
): number {
  let options = wscale === undefined ? 0xf : wscale;
  if (sackOk) options |= 1 << 4;
  let ts = u32(((clockMs >>> TSBITS) << TSBITS) | options);
  if (ts > clockMs) ts = u32(ts - (1 << TSBITS));
  return ts;
}

/** cookie_timestamp_decode: the options back out of the echoed TS value. */
export function cookieTimestampDecode(tsecr: number): {
  wscale: number | undefined;
  sackOk: boolean;
} {
  const options = tsecr & ((1 << TSBITS) - 1);
  const ws = options & 0xf;
  return { wscale: ws === 0xf ? undefined : ws, sackOk: (options & (1 << 4)) !== 0 };
}
