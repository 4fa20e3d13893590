/**
 * `npm run bench`: Kernel Lens beside the reference tools, in one run on the same tree and
 * the same machine, with medians over several runs. Not a test: it asserts nothing and CI
 * does not run it; the figures go into the README and the issue notes.
 *
 *   kernel-lens path connect, whole 6.1 tree: cold (empty cache) and warm
 *   index of net/: kernel-lens (tree-sitter, facts of every file) vs ctags -R vs cscope -b -q -k
 *
 * Every command runs in its own process under /usr/bin/time for wall time and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';

interface Sample {
  /** Wall time. */
  readonly seconds: number;
  /** User + system CPU time: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly maxRssMB: number;
}

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
const cli = join(packageRoot(), 'dist', 'cli.js');

function timed(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', cmd, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return {
    seconds: Number(m[1]),
    cpuSeconds: Number(m[2]) + Number(m[3]),
    maxRssMB: Math.round(Number(m[4]) / 1024),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Row {
  readonly what: string;
  readonly samples: Sample[];
}

function row(what: string, n: number, one: (i: number) => Sample): Row {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    samples.push(one(i));
    process.stderr.write(`  ${what}: run ${i + 1}/${n} ${samples[i]!.seconds.toFixed(2)} s\n`);
  }
  return { what, samples };
}

function print(title: string, rows: readonly Row[], baseline?: string): void {
  console.log(`\n${title}`);
  const base = rows.find((r) => r.what === baseline);
  const baseWall = base ? median(base.samples.map((s) => s.seconds)) : undefined;
  const baseCpu = base ? median(base.samples.map((s) => s.cpuSeconds)) : undefined;
  console.log(
    `  ${'what'.padEnd(58)} ${'wall s'.padStart(7)} ${'cpu s'.padStart(7)} ${'runs, wall (s)'.padEnd(18)} ${'peak MB'.padStart(8)}${baseline ? '  ratio wall / cpu' : ''}`,
  );
  for (const r of rows) {
    const wall = median(r.samples.map((s) => s.seconds));
    const cpu = median(r.samples.map((s) => s.cpuSeconds));
    const all = r.samples.map((s) => s.seconds.toFixed(1)).join(' ');
    const mem = Math.max(...r.samples.map((s) => s.maxRssMB));
    const ratio =
      baseWall && baseCpu
        ? `  ${(wall / baseWall).toFixed(2)}x / ${(cpu / baseCpu).toFixed(2)}x`
        : '';
    console.log(
      `  ${r.what.padEnd(58)} ${wall.toFixed(2).padStart(7)} ${cpu.toFixed(2).padStart(7)} ${all.padEnd(18)} ${String(mem).padStart(8)}${ratio}`,
    );
  }
}

function main(): void {
  const tree = kernelTreePath('6.1');
  console.log(`Kernel Lens benchmark: Linux 6.1 tree at ${tree}`);
  console.log(
    `${runs} runs each (medians); machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; node ${process.version}`,
  );
  const scratch = mkdtempSync(join(tmpdir(), 'kernel-lens-bench-'));
  try {
    // --- path connect on the whole tree
    const coldRows: Row[] = [];
    const warmCache = join(scratch, 'warm');
    coldRows.push(
      row('kernel-lens path connect, whole tree, cold (empty cache)', runs, (i) => {
        const cache = join(scratch, `cold-${i}`);
        const s = timed(process.execPath, [cli, 'path', 'connect', '--kernel', tree, '--json'], {
          env: { ...process.env, KERNEL_LENS_CACHE: cache },
        });
        rmSync(cache, { recursive: true, force: true });
        return s;
      }),
    );
    timed(process.execPath, [cli, 'path', 'connect', '--kernel', tree, '--json'], {
      env: { ...process.env, KERNEL_LENS_CACHE: warmCache },
    });
    coldRows.push(
      row('kernel-lens path connect, whole tree, warm (cached)', runs, () =>
        timed(process.execPath, [cli, 'path', 'connect', '--kernel', tree, '--json'], {
          env: { ...process.env, KERNEL_LENS_CACHE: warmCache },
        }),
      ),
    );
    print('path connect on the whole Linux 6.1 tree (depth 6, profile tcp-ipv4)', coldRows);

    // --- indexing net/
    const tags = join(scratch, 'tags');
    const netRows: Row[] = [
      row('ctags -R net/ (universal-ctags, all C kinds)', runs, () =>
        timed('ctags', ['-R', '-f', tags, 'net'], { cwd: tree }),
      ),
      // From inside net/: with -R, cscope recurses from its working directory.
      row('cscope -b -q -k -R in net/ (cross-reference incl. calls)', runs, (i) => {
        const out = join(scratch, `cscope-${i}`);
        const s = timed('cscope', ['-b', '-q', '-k', '-R', '-f', out], { cwd: join(tree, 'net') });
        for (const suffix of ['', '.in', '.po']) rmSync(`${out}${suffix}`, { force: true });
        return s;
      }),

      row('kernel-lens index --under net --no-cache (scan + parse)', runs, () =>
        timed(process.execPath, [
          cli,
          'index',
          '--kernel',
          tree,
          '--under',
          'net',
          '--no-cache',
          '--json',
        ]),
      ),
    ];
    print(
      'indexing net/ of Linux 6.1 (1,715 files, 32 MB)',
      netRows,
      'ctags -R net/ (universal-ctags, all C kinds)',
    );
    console.log(
      '\nNotes: kernel-lens "cold" includes the text scan of all 43k files; its index of net/ holds',
    );
    console.log(
      'functions with parameters, locals, call sites, structs, initializers and macros (what the',
    );
    console.log(
      'resolver needs), ctags holds tags only, cscope a symbol cross-reference. One thread each.',
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
