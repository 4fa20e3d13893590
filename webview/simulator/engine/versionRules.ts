/**
 * Where Linux versions differ on the paths the simulator models, as data: each rule names the
 * version that introduced it and the upstream code it comes from. The model asks `applies()`
 * rather than comparing version numbers itself, so a step can say which rule it followed.
 */

export interface KernelVersion {
  major: number;
  minor: number;
  text: string; // "6.1", "6.12", "6.18.44"
}

export type VersionRuleId =
  | 'syn_linear_timeouts'
  | 'win_scaling_ratio'
  | 'rcv_wnd_unclamped'
  | 'rto_max_sysctl'
  | 'skb_small_head_cache';

export interface VersionRule {
  id: VersionRuleId;
  /** First mainline release with the rule. */
  since: { major: number; minor: number };
  /** The sysctl the rule adds, if any: settable only on versions that have it. */
  sysctl?: string;
  source: string; // upstream path and symbol
  summary: string;
  /**
   * How `since` is known. The trees read here are 6.1 (without every rule) and 6.12 (with all
   * but rto_max_sysctl); a release in between comes from the upstream change named here.
   */
  sinceFrom: string;
}

/**
 * The rules. The trees the project ships (6.1, 6.12) bracket every one of them: 6.1 has none,
 * 6.12 has all but the last, which is there so the model can follow a newer host kernel.
 */
export const VERSION_RULES: readonly VersionRule[] = [
  {
    id: 'syn_linear_timeouts',
    since: { major: 6, minor: 5 },
    sysctl: 'tcp_syn_linear_timeouts',
    source: 'net/ipv4/tcp_timer.c tcp_retransmit_timer, tcp_write_timeout',
    summary:
      'The first tcp_syn_linear_timeouts (default 4) SYN retransmissions keep the initial RTO ' +
      'instead of doubling it, and tcp_write_timeout allows that many more retransmissions ' +
      'before a connect() fails with ETIMEDOUT.',
    sinceFrom: 'upstream commit "tcp: make the first N SYN RTO backoffs linear", merged for 6.5',
  },
  {
    id: 'win_scaling_ratio',
    since: { major: 6, minor: 6 },
    source:
      'include/net/tcp.h __tcp_win_from_space, tcp_scaling_ratio_init; ' +
      'net/ipv4/tcp_input.c tcp_measure_rcv_mss',
    summary:
      'The window offered from a receive buffer is space * scaling_ratio >> 8 (initially half), ' +
      'replacing sysctl tcp_adv_win_scale (space - space >> 1 by default): the same number at ' +
      'connection set-up. A segment of at least rcv_mss (and not exactly it) sets the ratio to ' +
      'its payload / truesize, and a changed ratio resets window_clamp to the window of the ' +
      'whole buffer (the reset is read in 6.12; the model applies it with the rule).',
    sinceFrom:
      '6.12 Documentation/networking/ip-sysctl.rst: tcp_adv_win_scale "Obsolete since linux-6.6" ' +
      '(upstream commit "tcp: get rid of sysctl_tcp_adv_win_scale")',
  },
  {
    id: 'rcv_wnd_unclamped',
    since: { major: 6, minor: 6 },
    source: 'net/ipv4/tcp_output.c tcp_select_initial_window',
    summary:
      'The initial receive window is no longer clamped to 65535 when it is chosen; the SYN ' +
      'header still carries at most 65535 (tcp_transmit_skb clamps the field).',
    sinceFrom:
      'seen by comparing the 6.1 and 6.12 trees only; 6.6 is assumed (with the scaling ratio), not checked. ' +
      'With default buffers both forms give the same window.',
  },
  {
    id: 'skb_small_head_cache',
    since: { major: 6, minor: 3 },
    source: 'net/core/skbuff.c skb_small_head_cache, SKB_SMALL_HEAD_CACHE_SIZE',
    summary:
      'The head of a small skb (every TCP segment a sender builds) comes from a cache of its ' +
      'own instead of kmalloc-1024, so a queued segment costs the receiver less truesize: the ' +
      'default of skb_head_truesize (1280 before, 832 after, as measured on 6.1 and 6.18).',
    sinceFrom:
      'upstream commit "net: add dedicated kmem_cache for typical/small skb->head", merged for 6.3; ' +
      'absent from the 6.1 tree, present in 6.12',
  },
  {
    id: 'rto_max_sysctl',
    since: { major: 6, minor: 15 },
    sysctl: 'tcp_rto_max_ms',
    source: 'net/ipv4/tcp_timer.c tcp_rto_max',
    summary: 'The 120 s ceiling of the retransmission timeout becomes sysctl tcp_rto_max_ms.',
    sinceFrom:
      'upstream commit "tcp: add the tcp_rto_max_ms sysctl", merged for 6.15; not in either tree read here',
  },
];

/** Parses "6.12", "6.1.176", "v6.18.44-fc" into major.minor; throws on anything else. */
export function parseKernelVersion(text: string): KernelVersion {
  const m = /^v?(\d+)\.(\d+)(?:[.\-+~].*)?$/.exec(text.trim());
  if (!m) throw new Error(`not a kernel version: "${text}" (want e.g. 6.1 or 6.12)`);
  return { major: Number(m[1]), minor: Number(m[2]), text: text.trim().replace(/^v/, '') };
}

export function atLeast(v: KernelVersion, since: { major: number; minor: number }): boolean {
  return v.major > since.major || (v.major === since.major && v.minor >= since.minor);
}

export function rule(id: VersionRuleId): VersionRule {
  const found = VERSION_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`unknown version rule ${id}`);
  return found;
}

/** Whether a kernel of version `v` follows rule `id`. */
export function applies(v: KernelVersion, id: VersionRuleId): boolean {
  return atLeast(v, rule(id).since);
}
