/**
 * The shape of one `kernel-lens` sub-command. Each command lives in its own file under
 * extension/cli/commands/ and is listed once in extension/cli/main.ts.
 */
export interface CliCommand {
  /** The word after `kernel-lens`, e.g. "path". */
  readonly name: string;
  /** One line for `kernel-lens --help`, e.g. "path <function|syscall>  calls below a function". */
  readonly usage: string;
  /**
   * The options it reads besides the common ones (COMMON_OPTIONS), without `--`: any other
   * option is refused before the command runs, so a typo never runs something long.
   */
  readonly options: readonly string[];
  /** Runs the command; resolves to the process exit code. */
  run(args: ParsedArgs): Promise<number>;
}

/** Command-line arguments after the command word, split into positionals and `--options`. */
export interface ParsedArgs {
  readonly positionals: string[];
  /** `--name value` and `--name=value` give strings; a bare `--flag` gives true. Repeats collect. */
  readonly options: ReadonlyMap<string, string | true | string[]>;
}

/** An error whose message is meant for the user as it is: no stack trace is printed. */
export class UsageError extends Error {}

/** Options every command that reads a tree takes (extension/cli/kernelOptions.ts). */
export const COMMON_OPTIONS: readonly string[] = [
  'kernel',
  'profile',
  'json',
  'no-cache',
  'verbose',
];

/** Options that never take a value, so `--json path` is not read as `--json=path`. */
const FLAGS = new Set([
  'json',
  'no-cache',
  'help',
  'all',
  'compare',
  'embedded',
  'trees',
  'offline',
  'verbose',
]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true | string[]>();
  const put = (name: string, value: string | true): void => {
    const old = options.get(name);
    if (old === undefined || value === true) options.set(name, value);
    else if (Array.isArray(old)) old.push(value as string);
    else if (old === true) options.set(name, value);
    else options.set(name, [old, value as string]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      put(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (FLAGS.has(name) || next === undefined || next.startsWith('--')) put(name, true);
    else {
      put(name, next);
      i++;
    }
  }
  return { positionals, options };
}

/** The last string value of an option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === undefined || v === true) return undefined;
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Every string value of a repeatable option (`--set a=1 --set b=2`). */
export function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.options.get(name);
  if (v === undefined || v === true) return [];
  return Array.isArray(v) ? [...v] : [v];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) !== undefined;
}

export function intOption(args: ParsedArgs, name: string, fallback: number): number {
  const s = stringOption(args, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} wants a whole number, got "${s}"`);
  return n;
}
