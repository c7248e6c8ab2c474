/**
 * A render thread: decodes, windows and encodes one frame per message (see render-pool.ts).
 * The codecs' WebAssembly module is loaded once, before the first job.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UndecodableError } from '../../dicom/render/decode-frame.js';
import { initDecoders, renderFrame } from '../../dicom/render/render-frame.js';
import { encodeRendered } from './encode.js';
import type { RenderJob, RenderReply, RenderWorkerData } from './render-pool.js';
import { lowerThreadPriority } from '../../core/thread-priority.js';

const port = parentPort!;
// Decoding and windowing run on this thread, below ingest and the event loop. sharp's resize and
// encode run on libuv's shared pool at normal priority: encode.ts keeps that part small.
lowerThreadPriority((workerData as RenderWorkerData | undefined)?.nice ?? 0);
const ready = initDecoders();

port.on('message', async (job: RenderJob) => {
  let reply: RenderReply;
  try {
    await ready;
    const pixels = renderFrame(job.input, 0, job.options.window);
    const image = await encodeRendered(pixels, job.options);
    reply = { id: job.id, ok: true, image: new Uint8Array(image.buffer, image.byteOffset, image.length) };
  } catch (e) {
    reply = { id: job.id, ok: false, undecodable: e instanceof UndecodableError, message: (e as Error).message };
  }
  port.postMessage(reply, reply.ok ? [reply.image.buffer as ArrayBuffer] : []);
});
