/**
 * Every scenario runs on both versions; runs are reproducible from the seed; the data files
 * (scenarios, anchors, explanations) agree with the engine; the JSON has the shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CODE_POINTS,
  explain,
  PARAMS,
  toSimJson,
  type ExplanationTable,
  type SimStepJson,
} from '../../../webview/simulator/engine/index';
import { readJson, run, scenario, SCENARIOS, sent } from './helpers';

const NAMED = [
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
];

void describe('scenarios', () => {
  void it('has exactly the scenarios the issue names, each with provenance and both languages', () => {
    assert.deepEqual(SCENARIOS, [...NAMED].sort());
    for (const name of SCENARIOS) {
      const spec = scenario(name);
      assert.equal(spec.name, name);
      assert.ok(
        spec.title.en && spec.title['zh-CN'] && spec.summary.en && spec.summary['zh-CN'],
        name,
      );
      assert.ok(spec.provenance.kernels.length >= 2 && spec.provenance.sources.length >= 1, name);
      for (const src of spec.provenance.sources)
        assert.match(src, /^(net|include)\/\S+\.[ch] \w/, `${name}: ${src}`);
    }
  });

  for (const version of ['6.1', '6.12']) {
    void it(`runs every scenario on ${version} to a quiet end, every step with a kernel stack`, () => {
      for (const name of SCENARIOS) {
        const r = run(name, version);
        assert.equal(r.end.reason, 'quiet', `${name} ended at the horizon`);
        assert.ok(r.steps.length > 5, name);
        assert.equal(r.snapshots.length, r.steps.length, name);
        for (const s of r.steps)
          assert.ok(s.stack.length > 0, `${name}: step ${s.index} (${s.explain.key}) has no stack`);
        // Time never runs backwards.
        r.steps.forEach((s, i) => assert.ok(i === 0 || s.t >= r.steps[i - 1]!.t));
      }
    });
  }

  void it('is deterministic for a seed and changes ISNs and ports with it', () => {
    for (const name of SCENARIOS) {
      assert.deepEqual(run(name, '6.12', {}, 7), run(name, '6.12', {}, 7), name);
    }
    const a = sent(run('normal', '6.1', {}, 1))[0]!.segment!;
    const b = sent(run('normal', '6.1', {}, 2))[0]!.segment!;
    assert.notEqual(a.seq, b.seq);
    assert.notEqual(a.src, b.src);
  });

  void it('names only code points that anchors.json holds, with the same function', () => {
    const anchors = readJson<{ anchors: Record<string, { function: string; anchor: string }> }>(
      'anchors.json',
    ).anchors;
    assert.deepEqual(Object.keys(anchors).sort(), Object.keys(CODE_POINTS).sort());
    for (const [point, fn] of Object.entries(CODE_POINTS)) {
      assert.equal(anchors[point]!.function, fn, point);
      assert.ok(
        !/^\d+$/.test(anchors[point]!.anchor),
        `${point}: an anchor is text, never a line number`,
      );
    }
    const used = new Set<string>();
    for (const name of SCENARIOS)
      for (const v of ['6.1', '6.12'])
        for (const s of run(name, v).steps) for (const f of s.stack) used.add(f.point);
    assert.ok(used.size >= 90, `only ${used.size} code points used`);
  });

  void it('explains every step in en and zh-CN with every placeholder filled', () => {
    const en = readJson<ExplanationTable>('explanations.en.json');
    const zh = readJson<ExplanationTable>('explanations.zh-CN.json');
    assert.deepEqual(Object.keys(en.texts).sort(), Object.keys(zh.texts).sort());
    for (const key of Object.keys(en.texts)) {
      const holes = (t: string): string[] => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
      assert.deepEqual(holes(zh.texts[key]!), holes(en.texts[key]!), `placeholders of ${key}`);
    }
    const seen = new Set<string>();
    for (const name of SCENARIOS) {
      for (const params of [{}, { tcp_abort_on_overflow: 1 }, { tcp_syncookies: 0 }]) {
        for (const s of run(name, '6.12', params).steps) {
          seen.add(s.explain.key);
          for (const table of [en, zh]) {
            const text = explain(table, s);
            assert.ok(
              !text.includes('[missing') && !text.includes('?}'),
              `${name} ${table.language}: ${text}`,
            );
          }
        }
      }
    }
    assert.ok(seen.size >= 60, `only ${seen.size} kinds of step seen`);
  });

  void it('knows every parameter the issue names, the sysctls with their /proc/sys path', () => {
    const names = new Set(PARAMS.map((p) => p.name));
    for (const n of [
      'backlog',
      'clients',
      'interval_ms',
      'drop_syns',
      'syncnt',
      'delay_ms',
      'somaxconn',
      'tcp_max_syn_backlog',
      'tcp_syncookies',
      'tcp_syn_retries',
      'tcp_synack_retries',
      'tcp_abort_on_overflow',
      'tcp_syn_linear_timeouts',
    ]) {
      assert.ok(names.has(n), n);
    }
    for (const p of PARAMS.filter((p) => p.name.startsWith('tcp_')))
      assert.match(p.sysctl ?? '', /^net\/ipv4\//, p.name);
  });

  void it('prints JSON of the issue shape: {scenario, kernel: {version}, params, steps: [...]}', () => {
    const r = run('refused', '6.12');
    const json = toSimJson(
      r,
      (ref) => ({ file: `f/${ref.function}.c`, line: 1 }),
      () => 'x',
    );
    assert.equal(json.scenario, 'refused');
    assert.equal(json.kernel.version, '6.12');
    assert.equal(json.params['tcp_syn_linear_timeouts'], 4);
    const kinds = new Set(json.steps.map((s: SimStepJson) => s.kind));
    for (const k of kinds)
      assert.ok(['syscall', 'send', 'deliver', 'drop', 'state', 'timer'].includes(k));
    for (const s of json.steps) {
      assert.equal(typeof s.t_ms, 'number');
      assert.ok(['client', 'server'].includes(s.host));
      for (const f of s.stack)
        assert.deepEqual(Object.keys(f).sort(), ['file', 'function', 'line']);
      if (s.segment) {
        for (const k of ['src', 'dst', 'flags', 'seq', 'ack', 'len', 'win', 'options'])
          assert.ok(k in s.segment, k);
        assert.match(s.segment.src, /^(client|server):\d+$/);
      }
      if (s.syscall) assert.ok('call' in s.syscall && 'result' in s.syscall);
      if (s.state) assert.deepEqual(Object.keys(s.state).sort(), ['from', 'socket', 'to']);
    }
    const connect = json.steps.find(
      (s) => s.syscall?.call === 'connect' && s.syscall.result !== null,
    )!;
    assert.deepEqual([connect.syscall!.result, connect.syscall!.errno], [-1, 'ECONNREFUSED']);
    const unresolved = toSimJson(
      r,
      () => ({ reason: 'no tree' }),
      () => undefined,
    );
    assert.deepEqual(unresolved.steps[0]!.stack[0], {
      function: '__sock_create',
      file: '',
      line: 0,
      unresolved: 'no tree',
    });
  });

  void it('keeps a snapshot per step, so a view can step backwards', () => {
    const r = run('normal', '6.1');
    const synIndex = r.steps.findIndex((s) => s.kind === 'send' && s.segment!.flags === 'S');
    const before = r.snapshots[synIndex]!.sockets.find((s) => s.host === 'client')!;
    assert.equal(before.state, 'SYN_SENT');
    assert.deepEqual(
      before.timers.map((t) => [t.name, t.at]),
      [['retransmit', r.steps[synIndex]!.t + 1000]],
    );
    const last = r.snapshots[r.snapshots.length - 1]!;
    assert.equal(last.sockets.length, 0);
    assert.ok(last.programs.every((p) => p.done));
    // A snapshot is a copy: later steps do not change it.
    assert.equal(
      r.snapshots[synIndex]!.sockets.find((s) => s.host === 'client')!.state,
      'SYN_SENT',
    );
  });
});
