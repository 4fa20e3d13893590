/** `kernel-lens fetch`: obtain, verify and extract the kernel sources of the manifest. */
import { resolve } from 'node:path';
import { flag, stringOption, type CliCommand } from '../command';
import { ensureEmbedded, ensureWholeTree, useLocalTree } from '../../kernelSources/fetch';
import { loadManifest } from '../../kernelSources/manifest';

export const fetchCommand: CliCommand = {
  name: 'fetch',
  options: ['all', 'embedded', 'trees', 'from'],
  usage:
    'fetch [--embedded] [--trees] [--from DIR]   get the embedded 6.1 sources and/or the whole 6.1 and 6.12 trees (cached)',
  async run(args) {
    const log = (message: string): void => console.error(message);
    const from = stringOption(args, 'from');
    if (from) {
      useLocalTree(resolve(from), log);
      return 0;
    }
    const wantTrees = flag(args, 'trees') || flag(args, 'all');
    const wantEmbedded = flag(args, 'embedded') || flag(args, 'all') || !wantTrees;
    // Whole trees first: the embedded set is then copied from the 6.1 tree, not re-extracted.
    if (wantTrees) {
      for (const tree of loadManifest().trees) await ensureWholeTree(tree.series, log);
    }
    if (wantEmbedded) await ensureEmbedded(log);
    return 0;
  },
};
