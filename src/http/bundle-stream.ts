import { Readable } from 'node:stream';

/**
 * A large Bundle (searchset, batch-response, history) is written entry by entry instead of as
 * one JSON string: the reply never holds the whole serialized answer (for 200 000 Observations
 * that string alone was ~100 MB, held twice as text and bytes). Chunks of about CHUNK characters
 * keep the number of writes low; small Bundles are still sent as one string.
 */
export const STREAM_ABOVE_ENTRIES = 100;
const CHUNK = 64 * 1024;

/** The JSON text of `body` as a stream when it is a Bundle with many entries, else as one string. */
export function fhirJsonPayload(body: unknown): string | Readable {
  if (!isLargeBundle(body)) return JSON.stringify(body);
  return Readable.from(bundleChunks(body), { objectMode: false });
}

function isLargeBundle(body: unknown): body is { entry: unknown[] } & Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { resourceType?: unknown; entry?: unknown };
  return b.resourceType === 'Bundle' && Array.isArray(b.entry) && b.entry.length > STREAM_ABOVE_ENTRIES;
}

/** The same text JSON.stringify gives, with `entry` moved last (member order carries no meaning in JSON). */
export function* bundleChunks(bundle: { entry: unknown[] } & Record<string, unknown>): Generator<Buffer> {
  const { entry, ...rest } = bundle;
  const head = JSON.stringify(rest);
  let text = head === '{}' ? '{"entry":[' : `${head.slice(0, -1)},"entry":[`;
  for (let i = 0; i < entry.length; i++) {
    text += (i === 0 ? '' : ',') + (JSON.stringify(entry[i]) ?? 'null');
    if (text.length >= CHUNK) {
      yield Buffer.from(text);
      text = '';
    }
  }
  yield Buffer.from(`${text}]}`);
}
