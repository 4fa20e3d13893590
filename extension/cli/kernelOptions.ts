/** Options every index command shares: which tree, which cache, which profile. */
import { resolve } from 'node:path';
import { CallGraph } from '../core/callGraph';
import { KernelIndex } from '../core/kernelIndex';
import { bindProfile, readProfile, type Profile } from '../core/profile';
import { indexCacheDir, packageRoot } from '../kernelSources/paths';
import { embeddedRoot } from '../kernelSources/trees';
import { flag, stringOption, UsageError, type ParsedArgs } from './command';

/** The tree named by --kernel, or the embedded 6.1 sources. */
export function kernelRootOf(args: ParsedArgs): string {
  const given = stringOption(args, 'kernel');
  return given ? resolve(given) : embeddedRoot();
}

export async function openIndex(args: ParsedArgs): Promise<KernelIndex> {
  const root = kernelRootOf(args);
  const verbose = flag(args, 'verbose');
  return KernelIndex.open(root, {
    ...(flag(args, 'no-cache') ? { noCache: true } : { cacheDir: indexCacheDir() }),
    log: (m) => {
      if (verbose) console.error(m);
    },
  });
}

/**
 * --profile NAME (default tcp-ipv4: Kernel Lens is about TCP over IPv4), --profile none for
 * every candidate of every indirect call.
 */
export function profileOf(
  args: ParsedArgs,
  index: KernelIndex,
  fallback: string | undefined,
): Profile | undefined {
  const name = stringOption(args, 'profile') ?? fallback;
  if (!name || name === 'none') return undefined;
  return bindProfile(index, readProfile(packageRoot(), name));
}

export async function openGraph(args: ParsedArgs): Promise<CallGraph> {
  return new CallGraph(await openIndex(args));
}

export function requirePositional(args: ParsedArgs, what: string): string {
  const v = args.positionals[0];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}
