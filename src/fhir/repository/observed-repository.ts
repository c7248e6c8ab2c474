import type { SearchRequest } from '../search/search-request.js';
import type { AnyResource, FhirResource, ResourceOf } from '../types.js';
import type {
  FhirRepository,
  HistoryOptions,
  HistoryPage,
  HistoryScope,
  SearchResult,
  TransactionOptions,
  WriteOptions,
} from './repository.js';

/** A committed write: the resource as stored (absent for a delete). */
export interface WriteEvent {
  kind: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  resource?: FhirResource;
}

export type WriteListener = (events: WriteEvent[]) => void;

/**
 * A repository that tells listeners about writes once they are committed: at once for a
 * single write, after COMMIT for a transaction (nothing for one that rolled back). Listeners
 * run synchronously and must not throw; they do their work later (e.g. Subscription delivery).
 */
export class ObservedRepository implements FhirRepository {
  private readonly listeners = new Set<WriteListener>();

  constructor(
    private readonly inner: FhirRepository,
    private readonly emit: WriteListener = (events) => this.notify(events),
  ) {}

  /** Adds a listener; returns its removal. */
  onWrite(listener: WriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes another connection to the same store committed (the bridge's sync thread): told to
   * the listeners as if made here.
   */
  announce(events: WriteEvent[]): void {
    this.notify(events);
  }

  private notify(events: WriteEvent[]): void {
    if (events.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // A listener's failure never fails the write that was already committed.
      }
    }
  }

  /** The inner store's, when it has one (each created resource announced); else undefined: the caller creates one by one. */
  get createMany(): FhirRepository['createMany'] {
    const many = this.inner.createMany?.bind(this.inner);
    if (!many) return undefined;
    return async (resources) => {
      const stored = await many(resources);
      this.emit(
        stored.flatMap((r) =>
          r ? [{ kind: 'create' as const, resourceType: r.resourceType, id: r.id!, resource: r }] : [],
        ),
      );
      return stored;
    };
  }

  async create<T extends AnyResource>(resource: T, options?: { keepId?: boolean }): Promise<T & FhirResource> {
    const created = await this.inner.create(resource, options);
    this.emit([{ kind: 'create', resourceType: created.resourceType, id: created.id!, resource: created }]);
    return created;
  }

  async update<T extends AnyResource>(
    resource: T,
    options?: WriteOptions,
  ): Promise<{ resource: T & FhirResource; created: boolean }> {
    const result = await this.inner.update(resource, options);
    this.emit([
      {
        kind: result.created ? 'create' : 'update',
        resourceType: result.resource.resourceType,
        id: result.resource.id!,
        resource: result.resource,
      },
    ]);
    return result;
  }

  async delete(resourceType: string, id: string, options?: WriteOptions): Promise<void> {
    await this.inner.delete(resourceType, id, options);
    this.emit([{ kind: 'delete', resourceType, id }]);
  }

  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>> {
    return this.inner.read(resourceType, id);
  }

  vread<K extends string>(resourceType: K, id: string, versionId: string): Promise<ResourceOf<K>> {
    return this.inner.vread(resourceType, id, versionId);
  }

  history(scope: HistoryScope, options: HistoryOptions): Promise<HistoryPage> {
    return this.inner.history(scope, options);
  }

  search(request: SearchRequest): Promise<SearchResult> {
    return this.inner.search(request);
  }

  /** The inner store's, when it has one; else undefined: the caller searches one by one. */
  get searchMany(): FhirRepository['searchMany'] {
    return this.inner.searchMany?.bind(this.inner);
  }

  async transaction<T>(fn: (tx: FhirRepository) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const pending: WriteEvent[] = [];
    const result = await this.inner.transaction(
      (tx) => fn(new ObservedRepository(tx, (events) => void pending.push(...events))),
      options,
    );
    this.emit(pending);
    return result;
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  async exclusive(key: string | readonly string[]): Promise<void> {
    await this.inner.exclusive?.(key);
  }
}
