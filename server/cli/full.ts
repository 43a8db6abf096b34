/**
 * The whole `simlab` command line, every command: its own bundle, dist/cliFull.js, which
 * dist/cli.js loads only for what its light commands do not cover (server/cli.ts). Everything
 * heavy lives behind it: the model stack (tfjs and its wasm backend), the worker pool, the image
 * readers. Compiling and starting that 5 MB alone takes longer than a whole `simlab compare` may.
 */
import type { CliIO } from './command';
import { commands } from './commands';
import { dispatch } from './dispatch';

export function run(argv: readonly string[], io: CliIO): Promise<number> {
  return dispatch(argv, io, commands);
}
