/**
 * Shared by the tests on real kernel trees: open each tree's index once per test file, and
 * find expected lines straight from the source text, independently of the index, so a test
 * checks the index against the file rather than against itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallGraph } from '../../extension/core/callGraph';
import { KernelIndex } from '../../extension/core/kernelIndex';
import { bindProfile, readProfile, type Profile } from '../../extension/core/profile';
import type { KernelSeries } from '../../extension/kernelSources/manifest';
import { indexCacheDir, packageRoot } from '../../extension/kernelSources/paths';
import { kernelTreePath } from '../../extension/kernelSources/trees';

export const SERIES: readonly KernelSeries[] = ['6.1', '6.12'];

const opened = new Map<string, Promise<{ graph: CallGraph; profile: Profile; root: string }>>();

/** The index of a whole tree (cached across runs in the index cache), with the TCP profile. */
export function treeGraph(
  series: KernelSeries,
): Promise<{ graph: CallGraph; profile: Profile; root: string }> {
  let p = opened.get(series);
  if (!p) {
    p = (async () => {
      const root = kernelTreePath(series);
      const index = await KernelIndex.open(root, { cacheDir: indexCacheDir() });
      return {
        graph: new CallGraph(index),
        profile: bindProfile(index, readProfile(packageRoot(), 'tcp-ipv4')),
        root,
      };
    })();
    opened.set(series, p);
  }
  return p;
}

/**
 * The 1-based line of the first line containing `needle` inside the body of `fn` in `file`,
 * found by reading the file: the definition is the first line starting in column 0 that names
 * `fn(` (or `SYSCALL_DEFINEn(fn,`), the body ends at the next `}` in column 0.
 */
export function lineInFunction(root: string, file: string, fn: string, needle: string): number {
  const lines = readFileSync(join(root, file), 'latin1').split('\n');
  const syscall = /^SYSCALL_DEFINE\d\((\w+)\)$/.exec(fn);
  const head = syscall
    ? new RegExp(`^SYSCALL_DEFINE\\d\\(${syscall[1]},`)
    : new RegExp(`^(?:[A-Za-z_].*\\b)?${fn}\\(`);
  const start = lines.findIndex((l) => head.test(l) && !l.trimEnd().endsWith(';'));
  if (start < 0) throw new Error(`${fn} is not defined in ${file}`);
  for (let i = start; i < lines.length; i++) {
    if (i > start && lines[i]!.startsWith('}')) break;
    if (lines[i]!.includes(needle)) return i + 1;
  }
  throw new Error(`"${needle}" is not in ${fn} (${file})`);
}

/** The line of `.field =` (or `.field\t=`) inside the initializer `name = {` in `file`. */
export function initializerFieldLine(
  root: string,
  file: string,
  name: string,
  field: string,
): number {
  const lines = readFileSync(join(root, file), 'latin1').split('\n');
  const start = lines.findIndex((l) =>
    new RegExp(
      `\\b${name.replace('.', '\\.')}\\s*(?:__\\w+\\s*)?=\\s*(?:\\([^)]*\\)\\s*)?\\{`,
    ).test(l),
  );
  if (start < 0) throw new Error(`no initializer ${name} in ${file}`);
  for (let i = start; i < lines.length; i++) {
    if (new RegExp(`^\\s*\\.${field}\\s*=`).test(lines[i]!)) return i + 1;
    if (/^\s*\};/.test(lines[i]!)) break;
  }
  throw new Error(`${name} has no .${field} in ${file}`);
}
