import type { ServiceThreadLike } from './service-thread.js';

/**
 * Ends a service thread the way each of ours expects: posts `{ type: 'close' }` (the thread
 * finishes what it was given, closes its databases and answers `{ type: 'closed' }`), waits for
 * that answer or the thread's exit at most `timeoutMs`, then terminates it. Keeps the process
 * alive meanwhile (the threads are unref'd while idle).
 */
export async function endWorker(worker: ServiceThreadLike, timeoutMs: number): Promise<void> {
  worker.ref();
  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((m: unknown) => void) | undefined;
  const closed = new Promise<void>((resolve) => {
    onMessage = (m) => {
      if ((m as { type?: unknown } | null)?.type === 'closed') resolve();
    };
    worker.on('message', onMessage);
    worker.once('exit', () => resolve());
    timer = setTimeout(resolve, timeoutMs);
  });
  worker.postMessage({ type: 'close' });
  await closed;
  clearTimeout(timer);
  if (onMessage) worker.off('message', onMessage);
  await worker.terminate();
}
