/**
 * Rendered thumbnails in memory, least recently used first out, bounded by bytes. Keys start
 * with the instance's blob key, which names one stored version of one instance: a replaced
 * instance gets a new key, and a deleted or rejected one is no longer found by the archive
 * before the cache is consulted, so a stale thumbnail is never served. evict() frees the
 * memory of a study, series or instance that is gone.
 */
export interface CachedImage {
  type: string;
  body: Buffer;
}

interface Entry extends CachedImage {
  scope: string;
}

export class ThumbnailCache {
  private readonly entries = new Map<string, Entry>();
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
    for (const [k, e] of this.entries) {
      if (e.scope === prefix || e.scope.startsWith(`${prefix}/`)) this.remove(k);
    }
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }
}
