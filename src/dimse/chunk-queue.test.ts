import { describe, expect, it } from 'vitest';
import { ChunkQueue } from './chunk-queue.js';

function flow() {
  const events: string[] = [];
  return { events, pause: () => events.push('pause'), resume: () => events.push('resume') };
}

async function collect(q: AsyncIterable<Buffer>): Promise<string> {
  let s = '';
  for await (const c of q) s += c.toString();
  return s;
}

describe('ChunkQueue', () => {
  it('delivers chunks in order, also those pushed while the consumer waits', async () => {
    const q = new ChunkQueue(flow());
    const done = collect(q);
    q.push(Buffer.from('ab'));
    await new Promise((r) => setImmediate(r));
    q.push(Buffer.from('cd'));
    q.end();
    expect(await done).toBe('abcd');
  });

  it('pauses the producer above the high-water mark and resumes it once drained', async () => {
    const f = flow();
    const q = new ChunkQueue(f, 4, 2);
    q.push(Buffer.from('abc'));
    q.push(Buffer.from('def'));
    expect(f.events).toEqual(['pause']);
    q.end();
    expect(await collect(q)).toBe('abcdef');
    expect(f.events).toEqual(['pause', 'resume']);
  });

  it('makes the consumer fail when the producer goes away', async () => {
    const q = new ChunkQueue(flow());
    q.push(Buffer.from('ab'));
    q.fail(new Error('aborted'));
    await expect(collect(q)).rejects.toThrow('aborted');
  });

  it('drops chunks after the consumer abandoned it, and resumes a paused producer', () => {
    const f = flow();
    const q = new ChunkQueue(f, 2, 1);
    q.push(Buffer.from('abc'));
    q.abandon();
    q.push(Buffer.from('def'));
    expect(f.events).toEqual(['pause', 'resume']);
  });
});
