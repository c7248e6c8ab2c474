/**
 * P6's client in a worker thread of its own. The bench process has built up a large heap by the
 * time P6 runs in a full round (P1–P5's manifests, samples, answers); a retrieve streams 210 MB
 * of Buffers through it, and the collections that external memory triggers then walk that whole
 * heap: in the session-20 round the client used 850–860 ms of CPU per 0.7 s retrieve, on both
 * servers, and bound the figure. In a worker the retrieve's Buffers and collections are the
 * worker's alone (a fresh isolate), as they are when P6 runs by itself. process.cpuUsage() still
 * counts the worker (it is per process).
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { retrieveStudy, type RetrieveResult } from '../dicomweb.js';
import { keepAliveAgent } from '../http-client.js';

interface Ask {
  url: string;
  studyUid: string;
}

type Answer = { ok: true; result: RetrieveResult } | { ok: false; message: string };

/** One worker, one keep-alive agent: retrieves run one at a time, in the worker. */
export class RetrieveClient {
  private readonly worker = new Worker(new URL('./retrieve-client-boot.mjs', import.meta.url), {
    workerData: { entry: import.meta.url },
  });

  /** Resolves once the worker has loaded its modules (so their loading is not timed with a retrieve). */
  private readonly ready = new Promise<void>((resolve, reject) => {
    this.worker.once('message', () => resolve());
    this.worker.once('error', reject);
  });

  /** A started client: its worker loaded and listening. */
  static async start(): Promise<RetrieveClient> {
    const client = new RetrieveClient();
    await client.ready;
    return client;
  }

  private constructor() {}

  retrieve(url: string, studyUid: string): Promise<RetrieveResult> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.worker.once('error', onError);
      this.worker.once('message', (answer: Answer) => {
        this.worker.off('error', onError);
        if (answer.ok) resolve(answer.result);
        else reject(new Error(answer.message));
      });
      this.worker.postMessage({ url, studyUid } satisfies Ask);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const agent = keepAliveAgent();
  port.on('message', (ask: Ask) => {
    retrieveStudy(ask.url, ask.studyUid, agent).then(
      (result) => port.postMessage({ ok: true, result } satisfies Answer),
      (err: unknown) => port.postMessage({ ok: false, message: (err as Error).message } satisfies Answer),
    );
  });
  port.postMessage('ready');
}
