import { readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationOutcomeError } from '../../core/errors.js';
import type { RenderInput } from '../../dicom/render/pixel-input.js';
import { RenderPool, defaultRenderThreads } from './render-pool.js';

const frame = (ts = '1.2.840.10008.1.2.1'): RenderInput => ({
  elements: {
    Rows: 64,
    Columns: 64,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
  },
  frames: [Buffer.alloc(64 * 64, 7).fill(200, 0, 2048)],
  transferSyntaxUid: ts,
  numberOfFrames: 1,
  rows: 64,
  columns: 64,
});
const JPEG = { type: 'image/jpeg' as const, quality: 80 };

describe('render pool', () => {
  const pool = new RenderPool({ size: 1, queueLimit: 1 });
  afterAll(() => pool.close());

  it('starts no thread until the first frame is asked for, then one', async () => {
    const lazy = new RenderPool({ size: 2, queueLimit: 1 });
    try {
      expect(lazy.threads).toBe(0);
      const image = await lazy.render(frame(), JPEG);
      expect(image.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(lazy.threads).toBe(1);
    } finally {
      await lazy.close();
    }
  }, 60_000);

  it('renders in a worker thread and returns the encoded image', async () => {
    const image = await pool.render(frame(), JPEG);
    expect(image.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  }, 60_000);

  it('refuses frames beyond its queue with 503 and Retry-After, and renders the others', async () => {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => pool.render(frame(), JPEG)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refused = (results[2] as PromiseRejectedResult).reason as OperationOutcomeError;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
  }, 60_000);

  it('answers 406 for a frame no decoder can read', async () => {
    await expect(pool.render(frame('1.2.840.10008.1.2.4.100'), JPEG)).rejects.toMatchObject({ status: 406 });
  });

  it('does not hold the frames it was given (they are copied before transfer)', async () => {
    const input = frame();
    await pool.render(input, JPEG);
    expect(input.frames[0]!.length).toBe(64 * 64);
  });

  it.runIf(process.platform === 'linux')(
    'lowers the priority of its threads only, not of the process',
    async () => {
      const niceOf = (task: string) => {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
      };
      const before = new Set(readdirSync('/proc/self/task'));
      const processNice = niceOf(String(process.pid)); // 0 unless the test run itself is niced
      const low = new RenderPool({ size: 1, queueLimit: 1, nice: 19 });
      try {
        await low.render(frame(), JPEG);
        const started = readdirSync('/proc/self/task').filter((t) => !before.has(t));
        expect(started.map(niceOf)).toContain(19);
        expect(niceOf(String(process.pid))).toBe(processNice);
        expect(getPriority(0)).toBe(processNice);
      } finally {
        await low.close();
      }
    },
    60_000,
  );

  it('uses one thread per core, at most two', () => {
    expect([1, 2, 3, 8].map(defaultRenderThreads)).toEqual([1, 1, 2, 2]);
  });
});
