/**
 * Every `simlab` subcommand. Adding one: write server/cli/<name>.ts exporting
 * `defineCommand({...})` as default, and add it to this list.
 */
import type { Command } from './command';
import cluster from './cluster';
import compare from './compare';
import embed from './embed';
import evaluate from './eval';
import leaks from './leaks';
import similar from './similar';
import train from './train';

export const commands: readonly Command[] = [compare, cluster, similar, leaks, evaluate, embed, train];
