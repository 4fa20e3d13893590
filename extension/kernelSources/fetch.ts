/**
 * Obtains, verifies and extracts the kernel sources named in kernel-snippets/manifest.json:
 * Debian's linux-source packages, fetched with apt-get into a version-keyed cache outside the
 * checkout. Every step is skipped when its result is already in the cache.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readKernelVersion } from '../core/kernelTree';
import {
  loadManifest,
  matchesEmbeddedPattern,
  pinnedTree,
  type Manifest,
  type PinnedTree,
} from './manifest';
import { debCacheDir, embeddedRoot, treesCacheDir } from './paths';
import { cachedTrees, localTreeRecord, TREE_STAMP, type TreeStamp } from './trees';

export type Log = (message: string) => void;

/** A failure whose message tells the user what to do; printed without a stack trace. */
export class FetchError extends Error {}

/** Written into kernel-snippets/linux-6.1/ once the embedded set is complete. */
const EMBEDDED_STAMP = '.kernel-lens-embedded.json';

interface EmbeddedStamp {
  readonly version: string;
  readonly source: string;
  readonly files: number;
  readonly patterns: readonly string[];
}

// --- Debian packages

interface FetchedDeb {
  readonly path: string;
  readonly version: string;
  readonly sha256: string;
  readonly fallbackFrom?: string;
}

function run(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { ok: false, out: `${cmd}: ${r.error.message}` };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function debFileName(pkg: string, version: string): string {
  // apt-get download writes an epoch-less version with ':' escaped; our versions have none.
  return `${pkg}_${version}_all.deb`;
}

/** Versions of a package apt knows, newest first. */
function availableVersions(pkg: string): string[] {
  const r = run('apt-cache', ['madison', pkg]);
  if (!r.ok) return [];
  return r.out
    .split('\n')
    .map((line) => line.split('|')[1]?.trim())
    .filter((v): v is string => !!v);
}

let aptUpdated = false;
function aptUpdateOnce(log: Log): void {
  if (aptUpdated || process.getuid?.() !== 0) return;
  aptUpdated = true;
  log('apt-get update (package lists are missing or stale)');
  run('apt-get', ['update', '-qq']);
}

async function ensureDeb(tree: PinnedTree, log: Log): Promise<FetchedDeb> {
  const dir = debCacheDir();
  mkdirSync(dir, { recursive: true });
  const pinnedPath = join(dir, debFileName(tree.package, tree.version));
  if (existsSync(pinnedPath)) {
    const sha256 = await sha256File(pinnedPath);
    if (sha256 !== tree.debSha256) {
      throw new FetchError(
        `${pinnedPath}: sha256 ${sha256} does not match the manifest's ${tree.debSha256}; ` +
          `delete the file and fetch again`,
      );
    }
    return { path: pinnedPath, version: tree.version, sha256 };
  }
  if (!run('apt-get', ['--version']).ok) {
    throw new FetchError(
      `apt-get is not available, so ${tree.package} ${tree.version} cannot be fetched here. ` +
        `Extract a Linux ${tree.series} tree yourself and run \`kernel-lens fetch --from DIR\`.`,
    );
  }
  let version = tree.version;
  let fallbackFrom: string | undefined;
  let attempt = run('apt-get', ['download', `${tree.package}=${version}`], { cwd: dir });
  if (!attempt.ok && /Unable to locate|not found|Can't find/i.test(attempt.out)) {
    aptUpdateOnce(log);
    attempt = run('apt-get', ['download', `${tree.package}=${version}`], { cwd: dir });
  }
  if (!attempt.ok && /Version '.*' for '.*' was not found/.test(attempt.out)) {
    // Debian replaces point releases: take the newest of the same series and say so.
    const newest = availableVersions(tree.package)[0];
    if (newest) {
      log(`warning: ${tree.package} ${tree.version} is no longer offered; using ${newest} instead`);
      fallbackFrom = version;
      version = newest;
      attempt = run('apt-get', ['download', `${tree.package}=${version}`], { cwd: dir });
    }
  }
  if (!attempt.ok) {
    throw new FetchError(
      `could not download ${tree.package} ${version} from Debian's package registry:\n  ${attempt.out}\n` +
        `Kernel Lens needs that registry once to fetch the kernel sources (they are cached in ` +
        `${dir} afterwards). Offline, run \`kernel-lens fetch --from DIR\` with an extracted ` +
        `Linux ${tree.series} tree.`,
    );
  }
  const path = join(dir, debFileName(tree.package, version));
  if (!existsSync(path)) throw new FetchError(`apt-get reported success but ${path} is missing`);
  const sha256 = await sha256File(path);
  if (!fallbackFrom && sha256 !== tree.debSha256) {
    rmSync(path);
    throw new FetchError(
      `${tree.package} ${version}: sha256 ${sha256} does not match the manifest's ${tree.debSha256}`,
    );
  }
  log(`fetched ${tree.package} ${version} (sha256 ${sha256.slice(0, 12)}…)`);
  return fallbackFrom ? { path, version, sha256, fallbackFrom } : { path, version, sha256 };
}

/** Unpacks the source tarball out of a .deb into a temporary folder; returns its path. */
function unpackTarball(deb: FetchedDeb, tree: PinnedTree, tmp: string): string {
  const r = run('dpkg-deb', ['-x', deb.path, tmp]);
  if (!r.ok) throw new FetchError(`dpkg-deb -x ${deb.path} failed: ${r.out}`);
  const tarball = join(tmp, tree.tarball);
  if (!existsSync(tarball)) throw new FetchError(`${deb.path} has no ${tree.tarball}`);
  return tarball;
}

// --- whole trees

/** Makes sure the whole tree of a series is extracted in the cache; returns its path. */
export async function ensureWholeTree(series: string, log: Log): Promise<string> {
  const manifest = loadManifest();
  const tree = pinnedTree(manifest, series);
  const cached = cachedTrees(series)[0];
  if (cached) {
    log(`Linux ${series}: ${cached.stamp.version} already extracted at ${cached.dir}`);
    return cached.dir;
  }
  const deb = await ensureDeb(tree, log);
  const target = join(treesCacheDir(), deb.version);
  mkdirSync(treesCacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(treesCacheDir(), '.extract-'));
  try {
    const tarball = unpackTarball(deb, tree, tmp);
    const out = join(tmp, 'tree');
    mkdirSync(out);
    log(`extracting ${tree.package} ${deb.version} (about 15 s)…`);
    const r = run('tar', ['-xJf', tarball, '-C', out]);
    if (!r.ok) throw new FetchError(`tar failed on ${tarball}: ${r.out}`);
    if (!existsSync(join(out, tree.topDir, 'Makefile'))) {
      throw new FetchError(`${tarball} has no ${tree.topDir}/Makefile`);
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(out, target);
    const stamp: TreeStamp = {
      series: tree.series,
      package: tree.package,
      version: deb.version,
      debSha256: deb.sha256,
      topDir: tree.topDir,
      ...(deb.fallbackFrom ? { fallbackFrom: deb.fallbackFrom } : {}),
    };
    writeFileSync(join(target, TREE_STAMP), JSON.stringify(stamp, null, 2));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const dir = join(target, tree.topDir);
  log(`Linux ${series}: ${deb.version} extracted at ${dir}`);
  return dir;
}

// --- the embedded set

/** Every file below `root` that the embedded patterns select (posix paths). */
function selectEmbedded(manifest: Manifest, root: string): string[] {
  const patterns = manifest.embeddedFiles.patterns;
  // Only the folders the patterns name are walked: a whole tree has 70k files.
  const dirs = new Set(patterns.map((p) => p.split('/').slice(0, -1).join('/')));
  const files: string[] = [];
  for (const dir of dirs) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs)) {
      const rel = dir ? `${dir}/${name}` : name;
      if (matchesEmbeddedPattern(patterns, rel) && statSync(join(abs, name)).isFile())
        files.push(rel);
    }
  }
  return files.sort();
}

/** Patterns that select no file in `files`: a manifest naming something the tree lacks. */
function unmatchedPatterns(manifest: Manifest, files: readonly string[]): string[] {
  return manifest.embeddedFiles.patterns.filter(
    (pattern) => !files.some((f) => matchesEmbeddedPattern([pattern], f)),
  );
}

function readEmbeddedStamp(): EmbeddedStamp | undefined {
  const path = join(embeddedRoot(), EMBEDDED_STAMP);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as EmbeddedStamp) : undefined;
}

/** Copies the embedded file set from an extracted tree into kernel-snippets/linux-6.1/. */
function installEmbeddedFrom(
  manifest: Manifest,
  sourceRoot: string,
  version: string,
  log: Log,
): void {
  const files = selectEmbedded(manifest, sourceRoot);
  const missing = unmatchedPatterns(manifest, files);
  if (missing.length) {
    throw new FetchError(`${sourceRoot} lacks files the embedded set names: ${missing.join(', ')}`);
  }
  const dest = embeddedRoot();
  const staging = `${dest}.staging`;
  rmSync(staging, { recursive: true, force: true });
  for (const file of files) {
    mkdirSync(join(staging, file.split('/').slice(0, -1).join(sep)), { recursive: true });
    cpSync(join(sourceRoot, file), join(staging, file));
  }
  const stamp: EmbeddedStamp = {
    version,
    source: sourceRoot,
    files: files.length,
    patterns: manifest.embeddedFiles.patterns,
  };
  writeFileSync(join(staging, EMBEDDED_STAMP), JSON.stringify(stamp, null, 2));
  rmSync(dest, { recursive: true, force: true });
  renameSync(staging, dest);
  log(
    `embedded sources: ${files.length} files of Linux ${version} in ${relative(process.cwd(), dest) || dest}`,
  );
}

/** Makes sure kernel-snippets/linux-6.1/ holds the embedded set of the pinned 6.1 version. */
export async function ensureEmbedded(log: Log): Promise<string> {
  const manifest = loadManifest();
  const tree = manifest.trees.find((t) => t.embedded);
  if (!tree) throw new FetchError('the manifest marks no tree as embedded');
  const stamp = readEmbeddedStamp();
  const samePatterns =
    JSON.stringify(stamp?.patterns) === JSON.stringify(manifest.embeddedFiles.patterns);
  if (
    stamp &&
    samePatterns &&
    (stamp.version === tree.version || cachedTrees(tree.series).length === 0)
  ) {
    log(`embedded sources: Linux ${stamp.version}, ${stamp.files} files, up to date`);
    return embeddedRoot();
  }
  // A whole tree in the cache is the quickest source; otherwise extract just the members.
  const whole = cachedTrees(tree.series)[0];
  if (whole) {
    installEmbeddedFrom(manifest, whole.dir, whole.stamp.version, log);
    return embeddedRoot();
  }
  const deb = await ensureDeb(tree, log);
  const tmp = mkdtempSync(join(debCacheDir(), '.embedded-'));
  try {
    const tarball = unpackTarball(deb, tree, tmp);
    const out = join(tmp, 'tree');
    mkdirSync(out);
    const members = manifest.embeddedFiles.patterns.map((p) => `${tree.topDir}/${p}`);
    log(`extracting the embedded set from ${tree.package} ${deb.version}…`);
    const r = run('tar', [
      '-xJf',
      tarball,
      '-C',
      out,
      '--wildcards',
      '--no-wildcards-match-slash',
      ...members,
    ]);
    if (!r.ok)
      throw new FetchError(`tar could not extract the embedded set from ${tarball}: ${r.out}`);
    installEmbeddedFrom(manifest, join(out, tree.topDir), deb.version, log);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return embeddedRoot();
}

// --- a local tree instead of Debian's

/**
 * Uses an extracted kernel tree the user already has: registers it as the tree of its series
 * (for tests and benchmarks) and, for 6.1, installs the embedded set from it.
 */
export function useLocalTree(dir: string, log: Log): { series: string; version: string } {
  const version = readKernelVersion(dir);
  if (!version)
    throw new FetchError(`${dir} is not a kernel tree: no Makefile with VERSION and PATCHLEVEL`);
  const series = `${version.major}.${version.minor}`;
  mkdirSync(treesCacheDir(), { recursive: true });
  writeFileSync(
    localTreeRecord(series),
    JSON.stringify({ path: dir, version: version.text }, null, 2),
  );
  log(`Linux ${series}: using the local tree ${dir} (${version.text})`);
  const manifest = loadManifest();
  if (manifest.trees.some((t) => t.embedded && t.series === series)) {
    installEmbeddedFrom(manifest, dir, `${version.text} (local)`, log);
  }
  return { series, version: version.text };
}
