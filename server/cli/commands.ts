/**
 * Every `simlab` subcommand. Adding one: write server/cli/<name>.ts exporting
 * `defineCommand({...})` as default, and add it to this list.
 */
import type { Command } from './command';
import compare from './compare';

export const commands: readonly Command[] = [compare];
