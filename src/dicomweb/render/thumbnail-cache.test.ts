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
