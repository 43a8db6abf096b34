/**
 * Bridges an LSP CancellationToken (what a request handler receives; `$/cancelRequest` trips it)
 * to an AbortSignal (what the worker pool takes). Typed structurally so jobs/ needs no LSP import.
 */

/** The part of vscode-jsonrpc's CancellationToken this bridge uses. */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Stops listening to the token. Call it when the work is over. */
  dispose(): void;
}

/** An AbortSignal that aborts when `token` is cancelled (at once if it already is). */
export function signalFromToken(token: CancellationTokenLike | undefined): LinkedSignal {
  const controller = new AbortController();
  if (!token) return { signal: controller.signal, dispose: () => undefined };
  if (token.isCancellationRequested) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const listener = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => listener.dispose() };
}

/** Runs `work` with a signal linked to `token`, and unlinks when it settles. */
export async function withTokenSignal<T>(token: CancellationTokenLike | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const linked = signalFromToken(token);
  try {
    return await work(linked.signal);
  } finally {
    linked.dispose();
  }
}
