/**
 * Shared memory that glibc's malloc never sees. A SharedArrayBuffer of more than 128 KiB is
 * malloc'd with mmap, and when such a chunk is freed glibc raises its mmap threshold (process-
 * wide, up to 32 MiB) to that chunk's size: after the first large buffer of a run is freed (the
 * MinHash signatures, 24 MiB at 50,000 records), every buffer below that size goes to the
 * threads' malloc arenas instead, and what is freed there stays resident (fragmented arenas are
 * never returned, not even when the worker that filled them exits). BioMarKs50k at 97 %: ~60 MB
 * of the run's peak was such retained memory (MALLOC_MMAP_THRESHOLD_ set, which fixes the
 * threshold, gave the same figure as this module).
 *
 * The memory of a shared WebAssembly.Memory is mapped by V8 itself (mmap, munmap when the last
 * thread's view is collected): it neither raises the threshold nor stays behind when freed. Its
 * buffer is a SharedArrayBuffer like any other (posted to workers without a copy), rounded up to
 * 64 KiB pages, zero-filled, and the pages past what is written are never touched.
 */

/** Below this a buffer is an ordinary SharedArrayBuffer (malloc below the mmap threshold, no harm). */
export const MAPPED_MIN_BYTES = 1 << 20;
const PAGE = 65536;
/** wasm32 memories end at 4 GiB (65,536 pages). */
const MAX_PAGES = 65536;

/**
 * At most this many mapped buffers alive per thread. Each wasm memory reserves ~10 GiB of address
 * space (4 GiB and guard regions) and V8 allows about 1 TiB in all: ~100 per process, shared with
 * TensorFlow.js's wasm backend in training workers. A long-lived host caching several indexes must
 * not use them up; past the cap a buffer is malloc'd as before. A run at 50,000 records keeps
 * fewer than this alive on its busiest thread.
 */
export const MAPPED_MAX_LIVE = 24;
let live = 0;
const released = new FinalizationRegistry<undefined>(() => {
  live--;
});

/** How many mapped buffers this thread has made that are not yet collected (for tests). */
export function mappedLive(): number {
  return live;
}

/** A SharedArrayBuffer of at least `bytes` bytes; from 1 MiB up, mapped outside malloc when the runtime allows. */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  const size = Math.max(1, Math.ceil(bytes));
  const memory = size >= MAPPED_MIN_BYTES ? sharedMemory(size) : undefined;
  return memory ? (memory.buffer as unknown as SharedArrayBuffer) : new SharedArrayBuffer(size);
}

/**
 * A shared WebAssembly.Memory of at least `bytes` bytes (for a kernel that reads the data where
 * it lies, e.g. engine/index/equalBytesSimd.ts), counted against MAPPED_MAX_LIVE; undefined past
 * the cap, beyond 4 GiB, or when the runtime refuses one (address space exhausted, a process
 * limited in virtual memory by ulimit -v, wasm threads disabled): then take a sharedBuffer.
 */
export function sharedMemory(bytes: number): WebAssembly.Memory | undefined {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  if (live >= MAPPED_MAX_LIVE || pages > MAX_PAGES) return undefined;
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    live++;
    released.register(memory.buffer, undefined);
    return memory;
  } catch {
    return undefined;
  }
}
