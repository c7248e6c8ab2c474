/**
 * Rendered thumbnails in memory, least recently used first out, bounded by bytes. Keys start
 * with the instance's blob key, which names one stored version of one instance: a replaced
 * instance gets a new key, and a deleted or rejected one is no longer found by the archive
 * before the cache is consulted, so a stale thumbnail is never served. evict() frees the
 * memory of a study, series or instance that is gone. Concurrent requests for an image not yet
 * cached share one rendering (obtain()).
 */
export interface CachedImage {
  type: string;
  body: Buffer;
}

interface Entry extends CachedImage {
  scope: string;
}

interface Rendering {
  scope: string;
  image: Promise<CachedImage>;
  /** Set by evict(): the image is still handed to whoever waits, but not cached. */
  evicted: boolean;
}

export class ThumbnailCache {
  private readonly entries = new Map<string, Entry>();
  private readonly rendering = new Map<string, Rendering>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  get(key: string): CachedImage | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Map order is insertion order: re-inserting marks it most recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** Renderings in progress. */
  get pending(): number {
    return this.rendering.size;
  }

  /**
   * The cached image; else the rendering in progress for the same key; else `render()`, cached
   * when it succeeds. A failure is shared by those who waited for it and not remembered.
   */
  obtain(key: string, scope: string, render: () => Promise<CachedImage>): Promise<CachedImage> {
    const hit = this.get(key);
    if (hit) return Promise.resolve(hit);
    const running = this.rendering.get(key);
    if (running) return running.image;
    const r: Rendering = {
      scope,
      evicted: false,
      // The callbacks run after `r` is assigned (a promise's callbacks never run synchronously).
      image: render().then(
        (image) => {
          this.rendering.delete(key);
          if (!r.evicted) this.set(key, scope, image);
          return image;
        },
        (e: unknown) => {
          this.rendering.delete(key);
          throw e;
        },
      ),
    };
    this.rendering.set(key, r);
    return r.image;
  }

  /** `scope` is "study/series/sop" of the instance the image shows (for evict()). */
  set(key: string, scope: string, image: CachedImage): void {
    if (image.body.length > this.maxBytes) return;
    this.remove(key);
    this.entries.set(key, { ...image, scope });
    this.bytes += image.body.length;
    for (const [k] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k);
    }
  }

  /** Drops every image of a study, of one of its series, or of one instance. */
  evict(studyUid: string, seriesUid?: string, sopUid?: string): void {
    const prefix = [studyUid, seriesUid, sopUid].filter((u) => u !== undefined).join('/');
    const inScope = (scope: string) => scope === prefix || scope.startsWith(`${prefix}/`);
    for (const [k, e] of this.entries) if (inScope(e.scope)) this.remove(k);
    for (const r of this.rendering.values()) if (inScope(r.scope)) r.evicted = true;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }
}
