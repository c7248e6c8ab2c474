/**
 * The JSON text of a patient context, kept and served again while it was built from the very same
 * reads. The cached reader (cached-reader.ts) answers a search with the same frozen Bundle until a
 * committed write could change it, so "the same Patient and the same Bundle objects as last time"
 * means "nothing the document was built from has changed": the invalidation is the reader's, not a
 * second one. Only frozen inputs are kept (an uncached reader gives new objects each time: never a
 * hit, nothing kept). The document also depends on the caller's policy (its key), the request and
 * the clock (`validUntil`, medications.ts recentStateChangesAt); `sources` (durations) is always
 * written afresh by the caller, after the kept head.
 */
export interface MemoEntry {
  /** The Patient and each query's Bundle, as read when the text was built. */
  inputs: readonly object[];
  /** The clock (epoch ms) up to which the text is what assembly would build. */
  validUntil: number;
  /** `JSON.stringify(context)` without its last member (`sources`) and closing brace. */
  head: string;
  patientId?: string;
  omitted: string[];
}

export class AnswerMemo {
  private readonly entries = new Map<string, MemoEntry>();
  /** Texts served again and built (for tests). */
  readonly counts = { hits: 0, misses: 0 };

  constructor(private readonly maxEntries: number) {}

  get(key: string, inputs: readonly object[], now: number): MemoEntry | undefined {
    const e = this.entries.get(key);
    if (e && now <= e.validUntil && e.inputs.length === inputs.length && e.inputs.every((x, i) => x === inputs[i])) {
      this.counts.hits++;
      return e;
    }
    this.counts.misses++;
    return undefined;
  }

  /** Kept only when every input is frozen (shared by the cached reader, so its identity means its content). */
  set(key: string, entry: MemoEntry): void {
    if (this.maxEntries === 0 || !entry.inputs.every((x) => Object.isFrozen(x))) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
  }
}
