/**
 * Group commit of fdatasync: a caller whose write has completed waits for a sync that
 * starts after it asked. While one sync runs, everyone who asks meanwhile shares the next
 * one, so N concurrent writers cost about two syncs instead of N.
 */
export class CoalescedSync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly syncOnce: () => Promise<void>) {}

  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const before = this.running ?? Promise.resolve();
    const next: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        this.running = next;
        return this.syncOnce();
      })
      .finally(() => {
        if (this.running === next) this.running = null;
      });
    this.queued = next;
    return next;
  }
}
