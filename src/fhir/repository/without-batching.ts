import type { FhirRepository } from './repository.js';

/**
 * The repository as one without searchMany and createMany (every view of it, its transactions'
 * too): the one-by-one path, to compare answers and costs with the batched one (tests, probes).
 */
export function withoutBatching(repo: FhirRepository): FhirRepository {
  return new Proxy(repo, {
    get(target, key) {
      if (key === 'searchMany' || key === 'createMany') return undefined;
      if (key === 'transaction')
        return (fn: (tx: FhirRepository) => Promise<unknown>, o?: unknown) =>
          target.transaction((tx) => fn(withoutBatching(tx)), o as never);
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
