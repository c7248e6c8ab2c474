import { DicomStatus } from '../core/dicom-status.js';
import { StoreError } from '../core/errors.js';

/**
 * The first failed sync of an archive index, kept until a restart: from then on what the disk holds
 * is unknown (docs/journal-recovery.md), so no later write is accepted — fail-stop, as PostgreSQL
 * does after a failed fsync. Shared by the SQLite and PostgreSQL indexes.
 */
export class DurabilityLatch {
  private lostWith: Error | undefined;
  private readonly listeners: ((err: Error) => void)[] = [];

  get lost(): Error | undefined {
    return this.lostWith;
  }

  /** `listener` hears the first loss once (main.ts stops the server on it). */
  onLost(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }

  lose(cause: unknown): void {
    if (this.lostWith) return;
    this.lostWith = cause instanceof Error ? cause : new Error(String(cause));
    for (const listener of this.listeners) listener(this.lostWith);
  }

  /** Throws 0xA700 with the first failure once durability is lost. */
  assertWritable(): void {
    if (this.lostWith)
      throw new StoreError(
        DicomStatus.OutOfResources,
        `the archive accepts no data until it is restarted: an earlier sync of its index failed (${this.lostWith.message})`,
      );
  }
}
