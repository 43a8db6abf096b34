/**
 * CPU seconds of the calling thread (user + system), from /proc/thread-self/stat: per thread,
 * so a worker can say what its own task cost whatever the other threads and processes on the
 * machine did (Node 20 has no process.threadCpuUsage). NaN where /proc is not there. Resolution
 * is one clock tick (10 ms): meant for stages, not for small tasks one by one.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of the stat file's times: 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

export function threadCpuSeconds(): number {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'latin1');
  } catch {
    return Number.NaN;
  }
  // Fields after the command name (which may hold spaces, in parentheses): state is the 3rd field
  // of the file, utime and stime the 14th and 15th.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
}
