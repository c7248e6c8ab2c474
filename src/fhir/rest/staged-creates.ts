import { conflict } from '../../core/errors.js';
import type { FhirRepository } from '../repository/repository.js';
import type { AnyResource, FhirResource } from '../types.js';
import type { FhirRequest, FhirResponse, RouterContext } from './context.js';

type Settled = FhirResponse & { error?: unknown };

interface Pending {
  resource: FhirResource;
  resolve: (stored: FhirResource) => void;
  reject: (e: unknown) => void;
}

/**
 * A transaction's plain creates (entries with an id reserved for them, FhirRequest.assignedId)
 * written together with FhirRepository.createMany: each entry dispatched as before, all at once,
 * against a view of the transaction's repository whose create under a reserved id waits; once
 * every entry has come to its create or ended before it (refused, invalid), the waiting creates
 * are written in entry order in one step, each answered with its stored version (or a 409 where
 * its id was taken, as create answers). The answers come back per entry; the caller takes them in
 * order, as if each had run alone. Only for entries without a principal: their dispatch reads
 * nothing from the store before the create (no access checks), so running them side by side
 * sees what running them one after the other would.
 */
export async function stagedCreates(
  tx: RouterContext,
  requests: readonly FhirRequest[],
  dispatch: (ctx: RouterContext, req: FhirRequest) => Promise<Settled>,
): Promise<Settled[]> {
  const repo = tx.repo;
  const many = repo.createMany!.bind(repo);
  const reserved = new Map<string, number>();
  requests.forEach((r, n) => reserved.set(`${r.path}/${r.assignedId}`, n));
  const pending: (Pending | undefined)[] = requests.map(() => undefined);
  let arrived = 0;
  let allArrived!: () => void;
  const ready = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  const arrive = () => {
    if (++arrived === requests.length) allArrived();
  };
  const staging: FhirRepository = Object.create(repo, {
    create: {
      value: <T extends AnyResource>(resource: T, options?: { keepId?: boolean }): Promise<T & FhirResource> => {
        const n = options?.keepId ? reserved.get(`${resource.resourceType}/${String(resource.id)}`) : undefined;
        if (n === undefined || pending[n]) return repo.create(resource, options);
        return new Promise<FhirResource>((resolve, reject) => {
          pending[n] = { resource: resource as FhirResource, resolve, reject };
          arrive();
        }) as Promise<T & FhirResource>;
      },
    },
  });
  const staged: RouterContext = { ...tx, repo: staging };
  const answers = requests.map((req, n) =>
    dispatch(staged, req).then((res) => {
      if (!pending[n]) arrive();
      return res;
    }),
  );
  await ready;
  const waiting = pending.flatMap((p) => (p ? [p] : []));
  try {
    const stored = waiting.length ? await many(waiting.map((p) => p.resource)) : [];
    waiting.forEach((p, k) => {
      const made = stored[k];
      if (made) p.resolve(made);
      else p.reject(conflict(`${p.resource.resourceType}/${p.resource.id} already exists`));
    });
  } catch (e) {
    for (const p of waiting) p.reject(e);
  }
  return Promise.all(answers);
}
