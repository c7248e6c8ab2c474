import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fhirJsonPayload } from './bundle-stream.js';

async function text(payload: string | Readable): Promise<string> {
  if (typeof payload === 'string') return payload;
  const chunks: Buffer[] = [];
  for await (const c of payload) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('large Bundles are streamed', () => {
  it('sends small answers as one string, unchanged', async () => {
    const body = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: { resourceType: 'Patient', id: 'a' } }],
    };
    expect(fhirJsonPayload(body)).toBe(JSON.stringify(body));
    expect(fhirJsonPayload({ resourceType: 'Patient', id: 'x' })).toBe('{"resourceType":"Patient","id":"x"}');
  });

  it('streams a Bundle of many entries in chunks that make the same JSON', async () => {
    const entry = Array.from({ length: 3000 }, (_, i) => ({
      fullUrl: `urn:x:${i}`,
      resource: { resourceType: 'Observation', id: String(i), note: [{ text: 'é"\\\n'.repeat(10) }] },
    }));
    const body = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 3000,
      link: [{ relation: 'self', url: 'u' }],
      entry,
    };
    const payload = fhirJsonPayload(body);
    expect(payload).toBeInstanceOf(Readable);
    const chunks: Buffer[] = [];
    for await (const c of payload as Readable) chunks.push(c as Buffer);
    expect(chunks.length).toBeGreaterThan(5);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual(body);
    expect(JSON.parse(await text(fhirJsonPayload({ resourceType: 'Bundle', entry: entry.slice(0, 101) })))).toEqual({
      resourceType: 'Bundle',
      entry: entry.slice(0, 101),
    });
  });
});
