import { describe, expect, it } from 'vitest';
import { collectStartupGarbage } from './heap-tuning.js';

describe('collectStartupGarbage', () => {
  it('runs one full collection without leaving gc exposed to later contexts', async () => {
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }));
    const before = process.memoryUsage().heapUsed;
    garbage = undefined;
    collectStartupGarbage();
    expect(garbage).toBeUndefined();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before);
    const { runInNewContext } = await import('node:vm');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
