/**
 * The run's only source of randomness. Linux draws ISNs (secure_tcp_seq), timestamp offsets
 * (secure_tcp_ts_off) and the ephemeral port offset from keyed hashes and get_random_*; the
 * model draws them from this generator, so a seed fixes a run step for step.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Mix the seed so that 0, 1, 2 ... give unrelated streams.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  }

  /** mulberry32: small, fast, and good enough for picking numbers (not for secrets). */
  next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + (this.next32() % (hi - lo + 1));
  }
}
