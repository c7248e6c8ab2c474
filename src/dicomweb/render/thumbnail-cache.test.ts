import { describe, expect, it } from 'vitest';
import { ThumbnailCache } from './thumbnail-cache.js';

const image = (n: number) => ({ type: 'image/jpeg', body: Buffer.alloc(n) });

describe('thumbnail cache', () => {
  it('keeps its bytes under the bound, dropping the least recently used first', () => {
    const cache = new ThumbnailCache(300);
    cache.set('a', 's/1/a', image(100));
    cache.set('b', 's/1/b', image(100));
    cache.set('c', 's/1/c', image(100));
    cache.get('a'); // a is now the most recently used
    cache.set('d', 's/1/d', image(100));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.size).toEqual({ entries: 3, bytes: 300 });
  });

  it('does not keep an image larger than the whole cache', () => {
    const cache = new ThumbnailCache(10);
    cache.set('big', 's/1/x', image(11));
    expect(cache.size.entries).toBe(0);
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new ThumbnailCache(1000);
    cache.set('a', 's/1/a', image(100));
    cache.set('a', 's/1/a', image(50));
    expect(cache.size).toEqual({ entries: 1, bytes: 50 });
  });

  it('evicts a study, a series or one instance, and nothing that only shares a prefix', () => {
    const cache = new ThumbnailCache(1000);
    cache.set('1', '1.2/10/100', image(1));
    cache.set('2', '1.2/10/101', image(1));
    cache.set('3', '1.2/11/102', image(1));
    cache.set('4', '1.23/10/100', image(1));
    cache.evict('1.2', '10', '100');
    expect(cache.get('1')).toBeUndefined();
    expect(cache.get('2')).toBeDefined();
    cache.evict('1.2', '10');
    expect(cache.get('2')).toBeUndefined();
    expect(cache.get('3')).toBeDefined();
    cache.evict('1.2');
    expect(cache.get('3')).toBeUndefined();
    expect(cache.get('4')).toBeDefined();
  });
});

describe('thumbnail cache: concurrent requests', () => {
  const deferred = () => {
    let resolve!: (i: { type: string; body: Buffer }) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<{ type: string; body: Buffer }>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('renders an image once for concurrent requests, then serves it from the cache', async () => {
    const cache = new ThumbnailCache(1000);
    const d = deferred();
    let renders = 0;
    const render = () => {
      renders++;
      return d.promise;
    };
    const asked = [1, 2, 3].map(() => cache.obtain('k', 's/1/a', render));
    expect(cache.pending).toBe(1);
    d.resolve(image(10));
    const got = await Promise.all(asked);
    expect(renders).toBe(1);
    expect(got.every((g) => g === got[0])).toBe(true);
    expect(cache.pending).toBe(0);
    await cache.obtain('k', 's/1/a', render);
    expect(renders).toBe(1);
  });

  it('shares a failure with those waiting, and renders again on the next request', async () => {
    const cache = new ThumbnailCache(1000);
    const d = deferred();
    const asked = [1, 2].map(() => cache.obtain('k', 's/1/a', () => d.promise));
    d.reject(new Error('busy'));
    const settled = await Promise.allSettled(asked);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(cache.pending).toBe(0);
    expect(await cache.obtain('k', 's/1/a', async () => image(5))).toEqual(image(5));
  });

  it('does not cache an image whose instance was evicted while it rendered', async () => {
    const cache = new ThumbnailCache(1000);
    const d = deferred();
    const asked = cache.obtain('k', 's/1/a', () => d.promise);
    cache.evict('s', '1');
    d.resolve(image(10));
    expect((await asked).body.length).toBe(10);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });
});
