/**
 * The real kernel a live run boots: Debian's 6.1 cloud image and its debug symbols, chosen at
 * run time among the versions apt offers that also have linux-source-6.1 at the same version
 * (line numbers drift otherwise), the manifest's 6.1 version first. Only `vmlinuz` and
 * `vmlinux` are extracted, into ~/.cache/kernel-lens/live/<version>/; nothing is installed.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec';
import { FetchError, type Log } from '../kernelSources/fetch';
import { loadManifest, pinnedTree } from '../kernelSources/manifest';
import { cacheHome, debCacheDir } from '../kernelSources/paths';
import { cachedTrees, kernelTreePath } from '../kernelSources/trees';

export function liveCacheDir(): string {
  return join(cacheHome(), 'live');
}

/** Written last into live/<version>/ once both files are extracted. */
const STAMP = '.kernel-lens-live.json';

export interface LiveKernel {
  /** Debian version, e.g. "6.1.176-1". */
  readonly version: string;
  /** Kernel ABI name, e.g. "6.1.0-50-cloud-amd64". */
  readonly release: string;
  readonly vmlinuz: string;
  readonly vmlinux: string;
  /** The linux-source tree of the same version (for substitute-path and the editor). */
  readonly sourceTree: string;
}

interface Stamp {
  readonly version: string;
  readonly release: string;
  readonly imagePackage: string;
  readonly dbgPackage: string;
}

// --- choosing a version

/** One cloud image apt offers, with the version its source and symbols also have. */
export interface ImageChoice {
  readonly version: string;
  readonly release: string;
  readonly imagePackage: string; // linux-image-6.1.0-50-cloud-amd64-unsigned
  readonly dbgPackage: string; // linux-image-6.1.0-50-cloud-amd64-dbg
}

const IMAGE_RE = /^linux-image-(6\.1\.0-\d+-cloud-amd64)-unsigned$/;

/** `apt-cache madison` lines → package name to versions. */
export function parseMadison(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [pkg, version] = line.split('|').map((s) => s.trim());
    if (!pkg || !version) continue;
    const list = out.get(pkg) ?? [];
    if (!list.includes(version)) list.push(version);
    out.set(pkg, list);
  }
  return out;
}

/**
 * Picks the image among what apt offers: the image, its -dbg package and linux-source-6.1
 * must all exist at the same version; `prefer` wins when possible, then the newest.
 */
export function chooseImage(
  names: readonly string[],
  madison: ReadonlyMap<string, readonly string[]>,
  prefer: string | undefined,
): ImageChoice[] {
  const sources = new Set(madison.get('linux-source-6.1') ?? []);
  const choices: ImageChoice[] = [];
  for (const name of names) {
    const m = IMAGE_RE.exec(name);
    if (!m) continue;
    const release = m[1]!;
    const dbgPackage = `linux-image-${release}-dbg`;
    const dbg = new Set(madison.get(dbgPackage) ?? []);
    for (const version of madison.get(name) ?? []) {
      if (sources.has(version) && dbg.has(version))
        choices.push({ version, release, imagePackage: name, dbgPackage });
    }
  }
  return choices.sort(
    (a, b) =>
      Number(b.version === prefer) - Number(a.version === prefer) ||
      b.version.localeCompare(a.version, 'en', { numeric: true }),
  );
}

async function offeredImages(log: Log): Promise<ImageChoice[]> {
  const search = await exec('apt-cache', [
    'search',
    '--names-only',
    '^linux-image-6\\.1\\.0-[0-9]+-cloud-amd64-unsigned$',
  ]);
  if (!search.ok) throw new FetchError(`apt-cache is not usable here: ${search.out}`);
  const names = search.out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => IMAGE_RE.test(n));
  if (names.length === 0) return [];
  const dbgNames = names.map((n) => n.replace(/-unsigned$/, '-dbg'));
  const madison = await exec('apt-cache', ['madison', 'linux-source-6.1', ...names, ...dbgNames]);
  const choices = chooseImage(names, parseMadison(madison.out), sourceVersion()?.version);
  log(
    `apt offers ${names.length} 6.1 cloud images; ${choices.length} with matching source and symbols`,
  );
  return choices;
}

// --- the source tree

/** The cached 6.1 tree and its Debian version, when it came from `kernel-lens fetch`. */
function sourceVersion(): { dir: string; version: string } {
  let dir: string;
  try {
    dir = kernelTreePath('6.1');
  } catch (error) {
    // Its message says how to fetch the tree: show it as it is.
    throw new FetchError(error instanceof Error ? error.message : String(error));
  }
  const stamped = cachedTrees('6.1').find((t) => t.dir === dir);
  if (stamped) return { dir, version: stamped.stamp.version };
  // A tree from --from or the environment has no Debian version: assume the manifest's.
  return { dir, version: pinnedTree(loadManifest(), '6.1').version };
}

// --- fetch and extract

async function ensureDeb(pkg: string, version: string, log: Log): Promise<string> {
  const dir = debCacheDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${pkg}_${version}_amd64.deb`);
  if (existsSync(path)) return path;
  log(`downloading ${pkg} ${version} from Debian…`);
  const r = await exec('apt-get', ['download', `${pkg}=${version}`], dir);
  if (!r.ok || !existsSync(path)) {
    throw new FetchError(`could not download ${pkg} ${version}: ${r.out.slice(-500)}`);
  }
  return path;
}

/** Extracts the members matching `pattern` of a .deb's data into `dir`. */
async function extractMember(deb: string, pattern: string, dir: string): Promise<void> {
  const r = await exec('bash', [
    '-o',
    'pipefail',
    '-c',
    'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "$3"',
    'extract',
    deb,
    dir,
    pattern,
  ]);
  if (!r.ok) throw new FetchError(`could not extract ${pattern} from ${deb}: ${r.out}`);
}

function readStamp(dir: string): Stamp | undefined {
  const path = join(dir, STAMP);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Stamp) : undefined;
}

function liveKernelAt(dir: string, stamp: Stamp, sourceTree: string): LiveKernel {
  return {
    version: stamp.version,
    release: stamp.release,
    vmlinuz: join(dir, `vmlinuz-${stamp.release}`),
    vmlinux: join(dir, `vmlinux-${stamp.release}`),
    sourceTree,
  };
}

/**
 * Makes sure the kernel image, its symbols and the source of the same version are on disk.
 * A complete cache for the source tree's version is used without asking apt anything.
 */
export async function ensureLiveKernel(log: Log): Promise<LiveKernel> {
  const source = sourceVersion();
  const cachedDir = join(liveCacheDir(), source.version);
  const cached = readStamp(cachedDir);
  if (cached) {
    log(`kernel ${cached.release} (${cached.version}): cached in ${cachedDir}`);
    return liveKernelAt(cachedDir, cached, source.dir);
  }
  const choices = await offeredImages(log);
  const choice = choices[0];
  if (!choice) {
    throw new FetchError(
      'apt offers no linux-image-6.1.0-*-cloud-amd64 whose -dbg package and linux-source-6.1 ' +
        'exist at the same version (try `apt-get update`)',
    );
  }
  if (choice.version !== source.version) {
    throw new FetchError(
      `the Linux 6.1 source tree is ${source.version}, but apt offers the cloud image and its ` +
        `symbols only at ${choices.map((c) => c.version).join(', ')}; fetch linux-source-6.1 ` +
        `${choice.version} (kernel-lens fetch --from DIR) so that line numbers match`,
    );
  }
  const dir = join(liveCacheDir(), choice.version);
  mkdirSync(liveCacheDir(), { recursive: true });
  const image = await ensureDeb(choice.imagePackage, choice.version, log);
  const dbg = await ensureDeb(choice.dbgPackage, choice.version, log);
  const tmp = mkdtempSync(join(liveCacheDir(), '.extract-'));
  try {
    log(`extracting vmlinuz from ${choice.imagePackage}…`);
    await extractMember(image, `./boot/vmlinuz-${choice.release}`, tmp);
    log(`extracting vmlinux from ${choice.dbgPackage} (about a minute)…`);
    await extractMember(dbg, `./usr/lib/debug/boot/vmlinux-${choice.release}`, tmp);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    renameSync(
      join(tmp, 'boot', `vmlinuz-${choice.release}`),
      join(dir, `vmlinuz-${choice.release}`),
    );
    renameSync(
      join(tmp, 'usr', 'lib', 'debug', 'boot', `vmlinux-${choice.release}`),
      join(dir, `vmlinux-${choice.release}`),
    );
    const stamp: Stamp = {
      version: choice.version,
      release: choice.release,
      imagePackage: choice.imagePackage,
      dbgPackage: choice.dbgPackage,
    };
    writeFileSync(join(dir, STAMP), JSON.stringify(stamp, null, 2));
    log(`kernel ${choice.release} (${choice.version}) ready in ${dir}`);
    return liveKernelAt(dir, stamp, source.dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
