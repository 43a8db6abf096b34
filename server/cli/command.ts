/** What a `simlab` subcommand is. One module per command in this folder, listed in commands.ts. */
import type { OptionSpecs, ParsedArgs } from './args';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command<S extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Synopsis lines without the leading `simlab ` ("compare <a> <b> [--json]"). */
  usage: string[];
  /** Paragraphs shown after the usage in `simlab help <command>`. */
  details?: string;
  options: S;
  /** Resolves with the exit code (default 0); throws UsageError / InputError for exit 2. */
  run(args: ParsedArgs<S>, io: CliIO): Promise<number | void>;
}

/** Declares a command with its option types inferred from `options`. */
export function defineCommand<const S extends OptionSpecs>(command: Command<S>): Command<S> {
  return command;
}
