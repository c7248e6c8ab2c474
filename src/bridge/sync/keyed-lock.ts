/**
 * One task at a time per key. Studies of the same patient are synced one after the other, so
 * two of them never both find no Patient and create it twice (a server's conditional create
 * is not always atomic across concurrent requests).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Holds every key of `keys` while `task` runs (a batch of studies). Taken in sorted order, so two holders of overlapping sets never wait for each other. */
  runAll<T>(keys: Iterable<string>, task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const hold = (i: number): Promise<T> => (i === sorted.length ? task() : this.run(sorted[i]!, () => hold(i + 1)));
    return hold(0);
  }
}
