/**
 * Reads of the embedded FHIR server kept until a write could change them: the patient context and
 * the stroke check repeat the same searches for the same patient, and between two requests the
 * record rarely changes. Each answer depends on generations (counters of committed writes, told by
 * the repository's write listener), taken when its read began; it is served while they are unchanged:
 * - a read of `Type/id`: the writes of that resource;
 * - a search restricted to one patient (patient-scope.ts): the writes of its type that concern that
 *   patient, plus the writes of its type whose patients are not certain;
 * - any other search: every write of its type;
 * - the types its _include/_revinclude can bring in: every write of each.
 * A write concerns the patients its new version refers to and those its previous version referred
 * to. The previous version is known when this process saw it (written since start, or in a cached
 * answer); otherwise, and for a create of a resource whose references cannot all be told apart, the
 * write is "not certain" and invalidates every answer of its type, as before.
 *
 * Correct only when every write reaches the listener: the embedded SQLite store, written by this
 * process alone (docs/context-api.md, "Cached reads"). AuditEvent copies are written through a
 * second connection (audit projection) that the listener does not see: never cached.
 * Cached Bundles and resources are shared between callers, so they are frozen: a caller that
 * tried to change one would fail loudly instead of corrupting the next answer.
 */
import { channel } from 'node:diagnostics_channel';
import type { FhirReader, SearchParams } from '../fhir/client/index.js';
import { paramPairs } from '../fhir/client/rest-client.js';
import type { Bundle, ResourceOf } from '../fhir/types.js';
import { patientsOf, searchScope } from './patient-scope.js';

/** One committed write, as the embedded server tells it: the resource as stored (absent for a delete). */
export interface WrittenResource {
  kind?: 'create' | 'update' | 'delete';
  resourceType: string;
  id?: string;
  resource?: { resourceType?: string; id?: string };
}

/** The committed writes, as the embedded server tells them (EmbeddedFhir.onWrite). */
export type WriteFeed = (listener: (events: readonly WrittenResource[]) => void) => () => void;

/** The reference targets of a search parameter (SearchParamRegistry.get(type, code)?.targets). */
export type TargetsOf = (resourceType: string, code: string) => readonly string[] | undefined;

export interface CachedReaderOptions {
  /** Searches of these types are never cached (written where the feed does not see). */
  uncached?: readonly string[];
  /** Answers kept at most; the oldest is dropped first. */
  maxEntries?: number;
  /** Resources whose patients are remembered at most (the least recently written are forgotten). */
  maxKnown?: number;
  /**
   * Generation keys counted at most (one per resource written, per patient and type, per type).
   * A write that would add one more starts a new epoch: every counter and every answer is dropped
   * at once, so memory stays bounded however many resources are written. Dropping a single
   * counter instead would be unsafe (an answer taken while it was 0 would match it again).
   */
  maxGenerations?: number;
}

interface Entry {
  /** Per dependency (same key → same dependencies), its generation when the read began. */
  generations: readonly number[];
  /** The epoch its read began in: an answer of an earlier one is never served. */
  epoch: number;
  value: Promise<unknown>;
}

/** Generation keys: every write of a type; its uncertain writes; its writes about a patient; one resource. */
const allOf = (type: string) => `*${type}`;
const uncertainOf = (type: string) => `?${type}`;
const patientOf = (type: string, patient: string) => `p${type}|${patient}`;
const resourceOf = (type: string, id: string) => `r${type}/${id}`;

const UNCACHED = ['AuditEvent'];

/**
 * Each lookup, published only while something subscribes (a diagnostic probe, e.g. the bench's
 * IB_BENCH_PROBE): `{ hit: boolean }`. Unsubscribed, it costs one property read.
 */
const lookups = channel('imagingbridge:cached-reader');
const INCLUDES = new Set(['_include', '_revinclude', '_include:iterate', '_revinclude:iterate']);

export class CachedReader implements FhirReader {
  readonly baseUrl: string;
  /** Committed writes so far, per generation key (allOf, uncertainOf, patientOf, resourceOf). */
  private readonly generation = new Map<string, number>();
  /** `Type/id` → the patients its latest known version refers to (patient-scope.ts patientsOf). */
  private readonly known = new Map<string, readonly string[]>();
  private readonly maxKnown: number;
  /**
   * One frozen copy of each list of patients in `known`, by its JSON: most resources name one
   * patient, and a list of its own per resource (an array and the id, a slice of the reference)
   * was ≈ 130 of the ≈ 300 bytes each entry took (issue 21). Cleared when it reaches maxKnown
   * lists; the lists already in `known` stay as they are.
   */
  private readonly patientLists = new Map<string, readonly string[]>();
  /**
   * Per search key, its generation keys (null: not cached); they depend on the search alone, so
   * one dropped is worked out again (microseconds). Cleared past maxEntries keys: at 4× that, the
   * keys and their lists were ≈ 2 MB of the server's heap under P3 (issue 21).
   */
  private readonly dependenciesOf = new Map<string, readonly string[] | null>();
  private readonly entries = new Map<string, Entry>();
  private readonly uncached: ReadonlySet<string>;
  private readonly maxEntries: number;
  private readonly maxGenerations: number;
  /** Counts the times the generations were dropped (maxGenerations). */
  private epoch = 0;
  private readonly stop: () => void;
  private closed = false;
  /** Answers served from the cache and read afresh (for tests). */
  readonly counts = { hits: 0, misses: 0, epochs: 0 };

  constructor(
    private readonly inner: FhirReader,
    writes: WriteFeed,
    private readonly targetsOf: TargetsOf,
    o: CachedReaderOptions = {},
  ) {
    this.baseUrl = inner.baseUrl;
    this.uncached = new Set(o.uncached ?? UNCACHED);
    this.maxEntries = o.maxEntries ?? 256;
    this.maxKnown = o.maxKnown ?? 20_000;
    this.maxGenerations = o.maxGenerations ?? 20_000;
    this.stop = writes((events) => {
      for (const e of events) this.written(e);
    });
  }

  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    if (this.uncached.has(resourceType)) return this.inner.read(resourceType, id);
    return this.cached(`r ${resourceType}/${id}`, [resourceOf(resourceType, id)], () =>
      this.inner.read(resourceType, id).then((r) => this.learn(r)),
    );
  }

  search(resourceType: string, params: SearchParams = {}): Promise<Bundle> {
    const pairs = paramPairs(params);
    // JSON of the pairs: unambiguous, and cheaper than URL-encoding them on every hit.
    const key = `s ${resourceType}${JSON.stringify(pairs)}`;
    let deps = this.dependenciesOf.get(key);
    if (deps === undefined) {
      deps = this.dependencies(resourceType, pairs) ?? null;
      if (this.dependenciesOf.size >= this.maxEntries) this.dependenciesOf.clear();
      this.dependenciesOf.set(key, deps);
    }
    const load = () => this.inner.search(resourceType, pairs);
    if (!deps) return load();
    const learning = () =>
      load().then((b) => {
        for (const e of b.entry ?? []) if (e.resource) this.learn(e.resource);
        return b;
      });
    return this.cached(key, deps, learning);
  }

  /** Stops listening to writes; later reads go to the server, never to the cache. */
  close(): void {
    this.closed = true;
    this.stop();
    this.entries.clear();
  }

  private bump(key: string): void {
    const before = this.generation.get(key);
    if (before === undefined && this.generation.size >= this.maxGenerations) {
      this.generation.clear();
      this.entries.clear();
      this.epoch++;
      this.counts.epochs++;
    }
    this.generation.set(key, (before ?? 0) + 1);
  }

  /** Counts one committed write under the keys of the answers it can change. */
  private written(e: WrittenResource): void {
    const type = e.resourceType;
    this.bump(allOf(type));
    const id = e.id ?? e.resource?.id;
    if (!id) {
      this.bump(uncertainOf(type));
      return;
    }
    this.bump(resourceOf(type, id));
    const key = `${type}/${id}`;
    const before = this.known.get(key);
    const after = e.resource ? patientsOf(e.resource) : [];
    this.known.delete(key);
    if (!after || (before === undefined && e.kind !== 'create')) this.bump(uncertainOf(type));
    else for (const p of new Set([...(before ?? []), ...after])) this.bump(patientOf(type, p));
    if (e.resource && after) this.remember(key, after);
  }

  /**
   * Remembers the patients of a resource read (union with what is known: a read racing a write may
   * hold the older version, and a superset is safe). Returns the resource.
   */
  private learn<T extends { resourceType?: string; id?: string }>(r: T): T {
    if (!r.resourceType || !r.id || this.uncached.has(r.resourceType)) return r;
    const patients = patientsOf(r);
    if (!patients) return r;
    const key = `${r.resourceType}/${r.id}`;
    const before = this.known.get(key);
    this.remember(key, before ? [...new Set([...before, ...patients])] : patients);
    return r;
  }

  private remember(key: string, patients: readonly string[]): void {
    this.known.delete(key);
    if (this.known.size >= this.maxKnown) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, this.shared(patients));
  }

  private shared(patients: readonly string[]): readonly string[] {
    const json = JSON.stringify(patients);
    const kept = this.patientLists.get(json);
    if (kept) return kept;
    if (this.patientLists.size >= this.maxKnown) this.patientLists.clear();
    const list = Object.freeze([...patients]);
    this.patientLists.set(json, list);
    return list;
  }

  /** The generation keys an answer depends on; undefined when it is not to be cached. */
  private dependencies(resourceType: string, pairs: [string, string][]): string[] | undefined {
    const types = new Set<string>();
    for (const [name, value] of pairs) {
      // A chained (`subject.identifier`) or reverse-chained (`_has:`) parameter reads other types,
      // which the name alone does not tell: such a search is never cached.
      if (name.includes('.') || name.startsWith('_has:')) return undefined;
      if (!INCLUDES.has(name)) continue;
      const [source, code, target] = value.split(':');
      if (!source || !code || code === '*') return undefined;
      if (name.startsWith('_revinclude')) types.add(source);
      else if (target) types.add(target);
      else {
        // An unknown parameter's targets are unknown: not cached.
        const targets = this.targetsOf(source, code);
        if (!targets?.length) return undefined;
        for (const t of targets) types.add(t);
      }
    }
    if (this.uncached.has(resourceType)) return undefined;
    for (const t of types) if (this.uncached.has(t)) return undefined;
    const scope = searchScope(resourceType, pairs, this.targetsOf);
    const own = scope ? [uncertainOf(resourceType), patientOf(resourceType, scope)] : [allOf(resourceType)];
    // Included resources: any write of their types (an included one need not be about the patient).
    return [...own, ...[...types].map(allOf)];
  }

  private cached<T>(key: string, deps: readonly string[], load: () => Promise<T>): Promise<T> {
    if (this.closed || this.maxEntries === 0) return load();
    const generations = deps.map((d) => this.generation.get(d) ?? 0);
    const epoch = this.epoch;
    const hit = this.entries.get(key);
    if (hit?.epoch === epoch && hit.generations.every((g, i) => g === generations[i])) {
      this.counts.hits++;
      if (lookups.hasSubscribers) lookups.publish({ hit: true });
      return hit.value as Promise<T>;
    }
    this.counts.misses++;
    if (lookups.hasSubscribers) lookups.publish({ hit: false });
    // Generations taken before the read: a write committed meanwhile leaves this entry stale at once.
    const value = load().then(deepFreeze);
    const entry: Entry = { generations, epoch, value };
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
