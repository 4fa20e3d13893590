/**
 * `kernel-lens`: the command-line front end over extension/core.
 * Each sub-command lives in extension/cli/commands/ and is listed here once.
 */
import { COMMON_OPTIONS, parseArgs, UsageError, type CliCommand } from './command';
import { callersCommand } from './commands/callers';
import { fetchCommand } from './commands/fetch';
import { implsCommand } from './commands/impls';
import { indexCommand } from './commands/index';
import { liveCommand } from './commands/live';
import { pathCommand } from './commands/path';
import { simCommand } from './commands/sim';
import { UnknownFunctionError } from '../core/callGraph';
import { KernelTreeError } from '../core/kernelIndex';
import { ProfileError } from '../core/profile';
import { FetchError } from '../kernelSources/fetch';

const commands: readonly CliCommand[] = [
  pathCommand,
  implsCommand,
  callersCommand,
  indexCommand,
  fetchCommand,
  simCommand,
  liveCommand,
];

function help(): string {
  const lines = commands.map((c) => `  kernel-lens ${c.usage}`);
  return [
    "Kernel Lens: follows the Linux kernel's TCP socket code through its ops tables.",
    '',
    ...lines,
    '',
    'Common options: --kernel DIR (default: the embedded Linux 6.1 sources), --json, --no-cache.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`kernel-lens: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const args = parseArgs(rest);
  if (args.options.has('help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return 0;
  }
  const known = new Set([...COMMON_OPTIONS, ...command.options]);
  const unknown = [...args.options.keys()].filter((o) => !known.has(o));
  if (unknown.length) {
    console.error(
      `kernel-lens ${command.name}: unknown option ${unknown.map((o) => `--${o}`).join(', ')}\n\n${commandHelp(command)}`,
    );
    return 2;
  }
  return command.run(args);
}

function commandHelp(command: CliCommand): string {
  const own = command.options.map((o) => `--${o}`).join(', ');
  return [
    `  kernel-lens ${command.usage}`,
    '',
    ...(own ? [`Options: ${own}.`] : []),
    'Common options: --kernel DIR (default: the embedded Linux 6.1 sources), --json, --no-cache, --profile NAME, --verbose.',
  ].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isUserError(error)) {
      console.error(`kernel-lens: ${error.message}`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);

/** Errors whose message is the whole story for the user: no stack trace. */
function isUserError(error: unknown): error is Error {
  return (
    error instanceof UsageError ||
    error instanceof FetchError ||
    error instanceof KernelTreeError ||
    error instanceof ProfileError ||
    error instanceof UnknownFunctionError
  );
}
