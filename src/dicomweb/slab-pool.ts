/** Bytes of one read slab: a batch of reads of the read-ahead (about 1 MB) fits. */
export const DEFAULT_SLAB_BYTES = 2 * 1024 * 1024;
/** Spare slabs kept for the next retrieve, at most (a CT study's retrieve uses about 7). */
export const DEFAULT_MAX_SPARE_SLABS = 8;
/** Spare slabs are dropped once no retrieve has taken or given one back for this long. */
export const DEFAULT_SPARE_IDLE_MS = 10_000;

/**
 * Read slabs shared by the retrieves of one server. A retrieve takes its slabs here and gives
 * them back once its whole response has been taken by the operating system. Slabs allocated per
 * retrieve and dropped at its end are memory outside the JavaScript heap that only a full
 * collection gives back: 14 MB per CT study, and V8 ran a full collection about once per
 * retrieve for it (about a third of the server's CPU of a retrieve, on its GC threads).
 * Spare slabs are let go after `idleMs` without a retrieve, so an idle server holds none.
 */
export class SlabPool {
  private readonly spare: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly slabBytes = DEFAULT_SLAB_BYTES,
    private readonly maxSpare = DEFAULT_MAX_SPARE_SLABS,
    private readonly idleMs = DEFAULT_SPARE_IDLE_MS,
  ) {}

  /** A spare slab, else a new one (`slabBytes` long; its old bytes are not cleared). */
  take(): Buffer {
    this.touch();
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
  }

  /** Slabs no response holds any more (their bytes all sent): kept while there is room. */
  give(slabs: readonly Buffer[]): void {
    for (const slab of slabs) {
      if (this.spare.length >= this.maxSpare) break;
      if (slab.length === this.slabBytes && !this.spare.includes(slab)) this.spare.push(slab);
    }
    this.touch();
  }

  /** Spare slabs held now. */
  get spareCount(): number {
    return this.spare.length;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.spare.length = 0;
  }

  private touch(): void {
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.spare.length = 0;
    }, this.idleMs);
    this.timer.unref();
  }
}
