import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { endWorker } from './end-worker.js';

/** A thread that answers 'close' after `delayMs` (or never, when negative) and records that it was asked. */
function thread(delayMs: number): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => {
       if (m.type !== 'close') return;
       if (${delayMs} >= 0) setTimeout(() => parentPort.postMessage({ type: 'closed' }), ${delayMs});
     });`,
    { eval: true },
  );
}

describe('endWorker', () => {
  it('waits for the thread to answer closed, then ends it', async () => {
    const w = thread(200);
    const exited = new Promise<number>((r) => w.once('exit', r));
    const started = Date.now();
    await endWorker(w, 20_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await exited).toBe(1); // terminated: exit code 1
  });

  it('terminates a thread that never answers once the timeout has passed', async () => {
    const w = thread(-1);
    const started = Date.now();
    await endWorker(w, 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(w.threadId).toBe(-1); // a terminated Worker reports -1
  });
});
