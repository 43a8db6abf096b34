#!/usr/bin/env node
/**
 * `simlab`: the Similarity Lab engine on the command line, without the editor or the LSP host.
 * Bundled to dist/cli.js (light commands) and dist/cliFull.js (every command, loaded on demand).
 * Exit codes: 0 done, 1 failed, 2 bad usage or bad input.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CliIO, Command } from './cli/command';
import compare from './cli/compare';
import { dispatch } from './cli/dispatch';

/**
 * The commands this bundle runs itself: they need only the measures, so `simlab compare` starts
 * like bare node. Every other command line — help, --version and mistakes included, so there is
 * one list of commands to show — goes to the full CLI, a bundle of its own beside this one.
 */
const LIGHT_COMMANDS: readonly Command[] = [compare];

function main(argv: readonly string[], io: CliIO): Promise<number> {
  if (LIGHT_COMMANDS.some((c) => c.name === argv[0])) return dispatch(argv, io, LIGHT_COMMANDS);
  // createRequire keeps the full bundle out of esbuild's static graph (esbuild.mjs builds it as its own entry).
  const full = createRequire(__filename)(path.join(__dirname, 'cliFull.js')) as typeof import('./cli/full');
  return full.run(argv, io);
}

// Piping into `head` closes stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`simlab: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
