/**
 * A turn of the event loop in which waiting I/O (an LSP request, a hover) is read, for host code
 * that works in slices. One setImmediate is not always that: called from a poll-phase callback
 * (a worker's answer, most of the host's work), it fires in the check phase of the same loop
 * iteration, before the poll phase reads anything again, so the two slices around it are one
 * stall. An immediate queued from the check phase waits for the next iteration: two hops always
 * pass through a poll phase. (BioMarKs50k: reading the abundances and choosing the LSH bands ran
 * back to back across one setImmediate, 63 ms; 34–44 ms stalls with two hops.)
 */
export function ioTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
}
