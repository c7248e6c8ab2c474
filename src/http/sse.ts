/**
 * A Server-Sent Events answer: `event: <type>` + `data: <json>` per event, a keep-alive comment
 * every 15 s (proxies drop idle streams), unsubscribed when the client goes away. The caller
 * filters what it may send; no token is ever taken from the URL (docs/worklist.md, "Events").
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_MS = 15_000;

export function sendEventStream<E extends { type: string }>(
  req: FastifyRequest,
  reply: FastifyReply,
  o: { subscribe: (listener: (e: E) => void) => () => void; allowed: (e: E) => boolean; hello: string },
) {
  const stream = new PassThrough();
  const unsubscribe = o.subscribe((e) => {
    if (o.allowed(e)) stream.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  });
  const beat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
  req.raw.on('close', () => {
    clearInterval(beat);
    unsubscribe();
    stream.end();
  });
  stream.write(`: ${o.hello}\n\n`);
  return reply
    .header('cache-control', 'no-cache, no-store')
    .header('x-accel-buffering', 'no')
    .type('text/event-stream')
    .send(stream);
}
