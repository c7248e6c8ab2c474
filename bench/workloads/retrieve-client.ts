/**
 * P6's clients: curl when the machine has it (curlRetrieve), else Node's client in a worker
 * thread of its own (RetrieveClient).
 *
 * The worker: the bench process has built up a large heap by the
 * time P6 runs in a full round (P1–P5's manifests, samples, answers); a retrieve streams 210 MB
 * of Buffers through it, and the collections that external memory triggers then walk that whole
 * heap: in the session-20 round the client used 850–860 ms of CPU per 0.7 s retrieve, on both
 * servers, and bound the figure. In a worker the retrieve's Buffers and collections are the
 * worker's alone (a fresh isolate), as they are when P6 runs by itself. process.cpuUsage() still
 * counts the worker (it is per process).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { RETRIEVE_ACCEPT, retrieveStudy, type RetrieveResult } from '../dicomweb.js';
import { keepAliveAgent } from '../http-client.js';
import { boundaryOf, MultipartCounter } from '../multipart.js';

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

/** curl is on the machine (the P6 client of choice: a fraction of a Node client's CPU per MB). */
export function curlAvailable(): boolean {
  return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * One retrieve by curl, the body written to a file in memory (/dev/shm when there is one) and
 * counted after the timing: ms and first byte are curl's own (`time_total`,
 * `time_starttransfer`), the client's CPU is curl's user + system time (bash's `time`). Node's
 * client used 140–340 ms of CPU per CT400 retrieve even in a thread of its own, about the wall
 * time of the retrieve: the client, not the servers, set P6's pace.
 */
export function curlRetrieve(url: string, studyUid: string): RetrieveResult & { clientCpuMs: number } {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'p6-'));
  const body = join(dir, 'body');
  try {
    const out = spawnSync(
      'bash',
      [
        '-c',
        `TIMEFORMAT='%U %S'; time curl -s -o "$3" -H "Accept: $2" -w '%{http_code} %{time_starttransfer} %{time_total} %{content_type}' "$1"`,
        'p6',
        `${url}/studies/${studyUid}`,
        RETRIEVE_ACCEPT,
        body,
      ],
      { encoding: 'utf8' },
    );
    const [code, starttransfer, total, ...type] = out.stdout.trim().split(' ');
    const [user, sys] = out.stderr.trim().split(/\s+/).slice(-2).map(Number);
    const boundary = boundaryOf(type.join(' '));
    if (out.status !== 0 || code !== '200' || !boundary)
      throw new Error(`retrieve ${studyUid} by curl: exit ${out.status}, HTTP ${code}, ${type.join(' ')}`);
    const counter = new MultipartCounter(boundary);
    const fd = openSync(body, 'r');
    try {
      const chunk = Buffer.allocUnsafe(1 << 20);
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) counter.push(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    return {
      status: 200,
      ms: Number(total) * 1000,
      firstByteMs: Number(starttransfer) * 1000,
      bytes: counter.bytes,
      parts: counter.parts,
      clientCpuMs: ((user ?? Number.NaN) + (sys ?? Number.NaN)) * 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
