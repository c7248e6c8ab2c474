/** One piece of work per study at a time, across sources and on-demand fetches: nothing is fetched twice at once. */
export class StudyLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  busy(studyUid: string): boolean {
    return this.tails.has(studyUid);
  }

  /** Runs `fn` once the study's earlier work has settled. */
  run<T>(studyUid: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(studyUid) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(studyUid, tail);
    void tail.then(() => {
      if (this.tails.get(studyUid) === tail) this.tails.delete(studyUid);
    });
    return mine;
  }

  /** Settles when every queued piece of work has. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()]);
  }
}
