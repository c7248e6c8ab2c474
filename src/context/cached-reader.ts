/**
 * Reads of the embedded FHIR server kept until a write could change them: the patient context and
 * the stroke check repeat the same searches for the same patient, and between two requests the
 * record rarely changes. Each answer depends on a set of resource types (the searched type, plus
 * the types its _include/_revinclude can bring in); a committed write of one of them (told by the
 * repository's write listener) makes every answer depending on that type stale.
 *
 * Correct only when every write reaches the listener: the embedded SQLite store, written by this
 * process alone (docs/context-api.md, "Cached reads"). AuditEvent copies are written through a
 * second connection (audit projection) that the listener does not see: never cached.
 * Cached Bundles and resources are shared between callers, so they are frozen: a caller that
 * tried to change one would fail loudly instead of corrupting the next answer.
 */
import type { FhirReader, SearchParams } from '../fhir/client/index.js';
import { paramPairs } from '../fhir/client/rest-client.js';
import type { Bundle, ResourceOf } from '../fhir/types.js';

/** The committed writes, as the embedded server tells them (EmbeddedFhir.onWrite). */
export type WriteFeed = (listener: (events: readonly { resourceType: string }[]) => void) => () => void;

/** The reference targets of a search parameter (SearchParamRegistry.get(type, code)?.targets). */
export type TargetsOf = (resourceType: string, code: string) => readonly string[] | undefined;

export interface CachedReaderOptions {
  /** Searches of these types are never cached (written where the feed does not see). */
  uncached?: readonly string[];
  /** Answers kept at most; the oldest is dropped first. */
  maxEntries?: number;
}

interface Entry {
  /** Per dependency (same key → same dependencies), its generation when the read began. */
  generations: readonly number[];
  value: Promise<unknown>;
}

const UNCACHED = ['AuditEvent'];
const INCLUDES = new Set(['_include', '_revinclude', '_include:iterate', '_revinclude:iterate']);

export class CachedReader implements FhirReader {
  readonly baseUrl: string;
  /** Committed writes per resource type so far. */
  private readonly generation = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();
  private readonly uncached: ReadonlySet<string>;
  private readonly maxEntries: number;
  private readonly stop: () => void;
  private closed = false;
  /** Answers served from the cache and read afresh (for tests). */
  readonly counts = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: FhirReader,
    writes: WriteFeed,
    private readonly targetsOf: TargetsOf,
    o: CachedReaderOptions = {},
  ) {
    this.baseUrl = inner.baseUrl;
    this.uncached = new Set(o.uncached ?? UNCACHED);
    this.maxEntries = o.maxEntries ?? 256;
    this.stop = writes((events) => {
      for (const e of events) this.generation.set(e.resourceType, (this.generation.get(e.resourceType) ?? 0) + 1);
    });
  }

  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    if (this.uncached.has(resourceType)) return this.inner.read(resourceType, id);
    return this.cached(`r ${resourceType}/${id}`, [resourceType], () => this.inner.read(resourceType, id));
  }

  search(resourceType: string, params: SearchParams = {}): Promise<Bundle> {
    const pairs = paramPairs(params);
    const deps = this.dependencies(resourceType, pairs);
    const load = () => this.inner.search(resourceType, pairs);
    return deps ? this.cached(`s ${resourceType}?${new URLSearchParams(pairs).toString()}`, deps, load) : load();
  }

  /** Stops listening to writes; later reads go to the server, never to the cache. */
  close(): void {
    this.closed = true;
    this.stop();
    this.entries.clear();
  }

  /** The types an answer depends on; undefined when it is not to be cached. */
  private dependencies(resourceType: string, pairs: [string, string][]): string[] | undefined {
    const deps = new Set([resourceType]);
    for (const [name, value] of pairs) {
      // A chained (`subject.identifier`) or reverse-chained (`_has:`) parameter reads other types,
      // which the name alone does not tell: such a search is never cached.
      if (name.includes('.') || name.startsWith('_has:')) return undefined;
      if (!INCLUDES.has(name)) continue;
      const [source, code, target] = value.split(':');
      if (!source || !code || code === '*') return undefined;
      if (name.startsWith('_revinclude')) deps.add(source);
      else if (target) deps.add(target);
      else {
        // An unknown parameter's targets are unknown: not cached.
        const targets = this.targetsOf(source, code);
        if (!targets?.length) return undefined;
        for (const t of targets) deps.add(t);
      }
    }
    for (const d of deps) if (this.uncached.has(d)) return undefined;
    return [...deps];
  }

  private cached<T>(key: string, deps: readonly string[], load: () => Promise<T>): Promise<T> {
    if (this.closed || this.maxEntries === 0) return load();
    const generations = deps.map((d) => this.generation.get(d) ?? 0);
    const hit = this.entries.get(key);
    if (hit?.generations.every((g, i) => g === generations[i])) {
      this.counts.hits++;
      return hit.value as Promise<T>;
    }
    this.counts.misses++;
    // Generations taken before the read: a write committed meanwhile leaves this entry stale at once.
    const value = load().then(deepFreeze);
    const entry: Entry = { generations, value };
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
    // Failures are not kept: the next caller asks again.
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
