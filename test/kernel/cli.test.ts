/**
 * The command-line front end, run as a user runs it: on the embedded 6.1 sources (the
 * default), on a folder that is not a kernel tree, and on a tree with hostile files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../extension/kernelSources/paths';

const cli = join(packageRoot(), 'dist', 'cli.js');
const scratch = mkdtempSync(join(tmpdir(), 'kernel-lens-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KERNEL_LENS_CACHE: join(scratch, 'cache') },
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

void describe('kernel-lens CLI on the embedded 6.1 sources', () => {
  void it('a command’s --help prints its usage and runs nothing (live would boot a kernel)', () => {
    const r = run('live', '--help');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kernel-lens live \[--mode handshake\|refused\|backlog\]/);
    assert.match(r.out, /Options: .*--export/);
    // A run reports its progress as "live: ..." lines; none came.
    assert.doesNotMatch(r.out + r.err, /^live:/m);
  });

  void it('an option the command does not take is refused before it runs', () => {
    const r = run('path', 'connect', '--depht', '3');
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /kernel-lens path: unknown option --depht/);
    assert.match(r.err, /Options: --depth\./);
  });

  void it('path connect --json: the chain through inet_stream_ops and tcp_prot', () => {
    const r = run('path', 'connect', '--json');
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as {
      entry: { display: string; file: string };
      edges: {
        caller: string;
        callee: string;
        kind: string;
        via?: string;
        file: string;
        line: number;
      }[];
    };
    assert.equal(out.entry.display, 'SYSCALL_DEFINE3(connect)');
    assert.equal(out.entry.file, 'net/socket.c');
    const hops: [string, string, string | undefined][] = [
      ['SYSCALL_DEFINE3(connect)', '__sys_connect', undefined],
      ['__sys_connect', '__sys_connect_file', undefined],
      ['__sys_connect_file', 'inet_stream_connect', 'inet_stream_ops.connect'],
      ['inet_stream_connect', '__inet_stream_connect', undefined],
      ['__inet_stream_connect', 'tcp_v4_connect', 'tcp_prot.connect'],
      ['tcp_v4_connect', 'tcp_connect', undefined],
    ];
    for (const [caller, callee, via] of hops) {
      const e = out.edges.find((x) => x.caller === caller && x.callee === callee);
      assert.ok(e, `${caller} → ${callee}`);
      assert.equal(e.kind, via ? 'indirect' : 'direct');
      assert.equal(e.via, via);
    }
  });

  void it('path prints an indented tree for people', () => {
    const r = run('path', 'connect', '--depth', '3');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^SYSCALL_DEFINE3\(connect\)\s+net\/socket\.c:\d+/);
    assert.match(
      r.out,
      /inet_stream_connect\s+net\/socket\.c:\d+\s+\[via inet_stream_ops\.connect @ net\/ipv4\/af_inet\.c:\d+\]/,
    );
  });

  void it('impls and callers', () => {
    const impls = run('impls', 'proto_ops.connect', '--json');
    assert.equal(impls.code, 0, impls.err);
    const list = (JSON.parse(impls.out) as { impls: { function: string; via: string }[] }).impls;
    assert.ok(
      list.some((i) => i.via === 'inet_stream_ops.connect' && i.function === 'inet_stream_connect'),
    );
    assert.ok(list.some((i) => i.via === 'inet_dgram_ops.connect'));
    const callers = run('callers', 'inet_stream_connect', '--json');
    assert.equal(callers.code, 0, callers.err);
    const edges = (JSON.parse(callers.out) as { edges: { caller: string; via?: string }[] }).edges;
    assert.ok(
      edges.some((e) => e.caller === '__sys_connect_file' && e.via === 'inet_stream_ops.connect'),
    );
  });

  void it('an unknown profile is an error, --profile none shows every candidate', () => {
    const none = run('path', '__sys_connect_file', '--depth', '1', '--profile', 'none', '--json');
    assert.equal(none.code, 0, none.err);
    const targets = (
      JSON.parse(none.out) as { edges: { callee: string; via?: string }[] }
    ).edges.filter((e) => e.via?.endsWith('.connect'));
    assert.ok(
      targets.length > 2,
      `every proto_ops.connect in the embedded set (${targets.length})`,
    );
    const bad = run('path', 'connect', '--profile', 'nonexistent');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /no profile "nonexistent"/);
  });
});

void describe('kernel-lens CLI on bad input', () => {
  void it('a folder that is not a kernel tree: a clear error, exit 2', () => {
    const dir = join(scratch, 'not-a-tree');
    mkdirSync(dir, { recursive: true });
    const r = run('path', 'connect', '--kernel', dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /not a Linux kernel tree/);
  });

  void it('an unknown function: a clear error, exit 2', () => {
    const r = run('path', 'no_such_function_anywhere');
    assert.equal(r.code, 2);
    assert.match(r.err, /no function or syscall named "no_such_function_anywhere"/);
  });

  void it('malformed, binary and huge files do not stop the index', () => {
    const tree = join(scratch, 'tiny-tree');
    mkdirSync(join(tree, 'net'), { recursive: true });
    mkdirSync(join(tree, 'include'), { recursive: true });
    writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n');
    writeFileSync(
      join(tree, 'net', 'socket.c'),
      'int __sys_connect(int fd)\n{\n\treturn helper(fd);\n}\nint helper(int fd) { return fd; }\n',
    );
    writeFileSync(join(tree, 'net', 'broken.c'), 'int helper2(int x { ))) {{{ #if\n');
    writeFileSync(join(tree, 'net', 'blob.c'), Buffer.from([0, 1, 2, 3, 0, 255, 0]));
    writeFileSync(
      join(tree, 'net', 'huge.c'),
      `int huge(void)\n{\n${'\tx++;\n'.repeat(1_000_000)}}\n`,
    );
    const r = run('path', '__sys_connect', '--kernel', tree, '--profile', 'none', '--json');
    assert.equal(r.code, 0, r.err);
    const edges = (JSON.parse(r.out) as { edges: { callee: string }[] }).edges;
    assert.deepEqual(
      edges.map((e) => e.callee),
      ['helper'],
    );
  });
});
