/**
 * The `simlab` command line over a list of commands: help, --version, option parsing, and the
 * exit codes (0 done, 1 failed, 2 bad usage or bad input). Both CLI bundles run it: dist/cli.js
 * with the light commands, dist/cliFull.js with every command (see server/cli.ts).
 */
import { version } from '../../package.json';
import { describeOptions, parseArgs, type OptionSpec } from './args';
import type { CliIO, Command } from './command';
import { isInputError, UsageError } from './errors';

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };

/** Runs one `simlab` command line with the given commands; resolves with the exit code. */
export async function dispatch(argv: readonly string[], io: CliIO, commands: readonly Command[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(`${generalHelp(commands)}\n`);
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') return help(rest[0], io, commands);
  if (first === '--version' || first === '-V') {
    io.stdout.write(`${version}\n`);
    return 0;
  }

  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(`simlab: ${first.startsWith('-') ? `unknown option ${first}` : `unknown command '${first}'`}\n\n${generalHelp(commands)}\n`);
    return 2;
  }
  try {
    const args = parseArgs(rest, { ...command.options, help: HELP });
    if (args.options.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    return (await command.run(args, io)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`simlab ${command.name}: ${err.message}\n\n${usageLines(command)}\nRun 'simlab help ${command.name}' for details.\n`);
      return 2;
    }
    if (isInputError(err)) {
      io.stderr.write(`simlab ${command.name}: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`simlab ${command.name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

function help(topic: string | undefined, io: CliIO, commands: readonly Command[]): number {
  if (topic === undefined) {
    io.stdout.write(`${generalHelp(commands)}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === topic);
  if (!command) {
    io.stderr.write(`simlab help: unknown command '${topic}'\n\n${generalHelp(commands)}\n`);
    return 2;
  }
  io.stdout.write(`${commandHelp(command)}\n`);
  return 0;
}

function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 'help'.length);
  const list = [...commands.map((c) => [c.name, c.summary] as const), ['help', 'Show help for a command'] as const]
    .map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`)
    .join('\n');
  return [
    'simlab — Similarity Lab on the command line: distance measures, clustering and similarity models.',
    '',
    'Usage: simlab <command> [options]',
    '',
    'Commands:',
    list,
    '',
    "Run 'simlab help <command>' or 'simlab <command> --help' for a command's options.",
    'Exit codes: 0 done, 1 failed, 2 bad usage or bad input.',
  ].join('\n');
}

function usageLines(command: Command): string {
  return `Usage:\n${command.usage.map((line) => `  simlab ${line}`).join('\n')}\n`;
}

function commandHelp(command: Command): string {
  return [usageLines(command), command.summary + '.', ...(command.details ? ['', command.details] : []), '', 'Options:', describeOptions(command.options)].join('\n');
}
