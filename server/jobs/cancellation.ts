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
  return signalFromTokens([token]);
}

/**
 * An AbortSignal that aborts when any of `tokens` is cancelled: a request with work-done progress
 * is stopped both by `$/cancelRequest` and by the progress's Cancel button, two tokens.
 */
export function signalFromTokens(tokens: readonly (CancellationTokenLike | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const listeners: { dispose(): void }[] = [];
  for (const token of tokens) {
    if (!token) continue;
    if (token.isCancellationRequested) controller.abort();
    else listeners.push(token.onCancellationRequested(() => controller.abort()));
  }
  return { signal: controller.signal, dispose: () => listeners.forEach((l) => l.dispose()) };
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
