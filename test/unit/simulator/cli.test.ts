/**
 * `kernel-lens sim` as a script uses it: --json with --set and --kernel-version, the exact
 * top-level shape, and errors for unknown scenarios and parameters.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../../extension/cli/command';
import { simCommand } from '../../../extension/cli/commands/sim';
import type { SimRunJson } from '../../../webview/simulator/engine/index';

async function capture(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]): void => void lines.push(parts.join(' '));
  try {
    assert.equal(await simCommand.run(parseArgs(argv)), 0);
  } finally {
    console.log = original;
  }
  return lines.join('\n');
}

void describe('kernel-lens sim', () => {
  void it('prints the JSON of a run with the parameters and version it was given', async () => {
    const out = JSON.parse(
      await capture([
        'syn-timeout',
        '--json',
        '--kernel-version',
        '6.18',
        '--set',
        'syncnt=3',
        '--set',
        'link=veth',
        '--seed',
        '5',
      ]),
    ) as SimRunJson;
    assert.deepEqual(Object.keys(out).slice(0, 4), ['scenario', 'kernel', 'params', 'seed']);
    assert.equal(out.scenario, 'syn-timeout');
    assert.equal(out.kernel.version, '6.18');
    assert.equal(out.params['syncnt'], 3);
    assert.equal(out.params['link'], 'veth');
    assert.equal(out.params['tcp_rto_max_ms'], 120000); // a 6.15+ sysctl exists on 6.18
    assert.equal(out.seed, 5);
    const syns = out.steps.filter((s) => s.kind === 'send' && s.segment!.flags === 'S');
    // TCP_SYNCNT 3 plus tcp_syn_linear_timeouts 4 retransmissions (tcp_write_timeout, 6.5+).
    assert.equal(syns.length, 1 + 3 + 4);
    for (const s of out.steps) assert.ok(Array.isArray(s.stack) && s.stack.length > 0);
  });

  void it('prints text with a tcpdump-like line per segment and the kernel function of each step', async () => {
    const out = await capture(['refused']);
    assert.match(
      out,
      /Flags \[S\], seq \d+, win 65495, options \[mss 65495,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0/,
    );
    assert.match(out, /Flags \[R\.\], seq 0, ack \d+, win 0, length 0/);
    assert.match(out, /connect\(fd=3, server:8080\) = -1 ECONNREFUSED/);
    assert.match(out, /at (__inet_stream_connect|tcp_v4_send_reset) /);
  });

  void it('lists scenarios and rejects unknown names and parameters', async () => {
    assert.match(await capture(['list']), /accept-overflow\s+Accept queue overflow/);
    await assert.rejects(simCommand.run(parseArgs(['no-such'])), UsageError);
    await assert.rejects(simCommand.run(parseArgs(['normal', '--set', 'bogus=1'])), UsageError);
    await assert.rejects(
      simCommand.run(
        parseArgs(['normal', '--kernel-version', '6.1', '--set', 'tcp_syn_linear_timeouts=2']),
      ),
      UsageError,
    );
  });
});
