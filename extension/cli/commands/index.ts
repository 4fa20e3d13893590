/**
 * `kernel-lens index [--under DIR]`: parse every C file of the tree (or of one folder of it)
 * into the cache, and report what was found. Warms the cache before an editor session, and
 * is what the benchmark times against ctags and cscope.
 */
import { flag, stringOption, type CliCommand } from '../command';
import { openIndex } from '../kernelOptions';

export const indexCommand: CliCommand = {
  name: 'index',
  options: ['under'],
  usage:
    'index [--under net]   parse every file (below a folder) into the cache; counts and timing',
  async run(args) {
    const started = Date.now();
    const index = await openIndex(args);
    const under = stringOption(args, 'under')?.replace(/\/+$/, '');
    const files = index.files.filter((f) => !under || f === under || f.startsWith(`${under}/`));
    const totals = {
      files: files.length,
      functions: 0,
      structs: 0,
      initializers: 0,
      errorLines: 0,
    };
    for (const file of files) {
      const facts = index.factsOf(file);
      if (!facts) continue;
      totals.functions += facts.functions.length;
      totals.structs += facts.structs.length;
      totals.initializers += facts.initializers.length;
      totals.errorLines += facts.errorLines;
    }
    const report = {
      root: index.root,
      version: index.version?.text,
      under: under ?? null,
      ...totals,
      parsed: index.stats.parsed,
      fromCache: index.stats.factsReused,
      problems: Object.fromEntries(index.problems),
      ms: Date.now() - started,
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    if (flag(args, 'json')) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        `${report.files} files${under ? ` under ${under}/` : ''} of Linux ${report.version ?? '?'} in ${report.ms} ms (${report.parsed} parsed, ${report.fromCache} from the cache)`,
      );
      console.log(
        `${report.functions} functions, ${report.structs} structs, ${report.initializers} initializers; ${report.errorLines} lines the parser could not recover`,
      );
      for (const [file, why] of index.problems) console.log(`  ${file}: ${why}`);
    }
    return 0;
  },
};
