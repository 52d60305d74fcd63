/**
 * How the batch engine says that it runs slower than it could: without its WebAssembly kernel
 * (scanRow validates every row), or with the kernel on one thread (no worker to
 * read and prepare chunks ahead). Validation stays correct either way, so nothing fails: the
 * editor and the command line subscribe and log it (src/core has no logger of its own).
 */

export interface KernelFallback {
  /**
   * 'kernel': no WebAssembly kernel (the host lacks WebAssembly, or the module did not compile or
   * instantiate); 'worker': the kernel runs on the validating thread alone (no worker script, no
   * shared memory, or the worker failed).
   */
  readonly kind: 'kernel' | 'worker';
  /** What happened and what it costs, in English, for a log. */
  readonly message: string;
  /** The error behind it, if any. */
  readonly error?: unknown;
}

const listeners = new Set<(fallback: KernelFallback) => void>();

/**
 * Calls `listener` when a validation falls back, once for each kind: a fallback happens again with
 * every validation (each one tries the kernel and its worker anew), but is worth one log line.
 * Returns the function that unsubscribes it.
 */
export function onKernelFallback(listener: (fallback: KernelFallback) => void): () => void {
  const heard = new Set<KernelFallback['kind']>();
  const once = (fallback: KernelFallback) => {
    if (heard.has(fallback.kind)) return;
    heard.add(fallback.kind);
    listener(fallback);
  };
  listeners.add(once);
  return () => listeners.delete(once);
}

/** Tells the listeners (see onKernelFallback); a listener that throws does not stop the validation. */
export function reportKernelFallback(kind: KernelFallback['kind'], message: string, error?: unknown): void {
  for (const listener of [...listeners]) {
    try {
      listener({ kind, message, error });
    } catch {
      // A logger's failure is not the validation's.
    }
  }
}
