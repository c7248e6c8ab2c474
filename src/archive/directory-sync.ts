import { promises as fsp } from 'node:fs';

/**
 * fsync of a folder, shared by every rename that lands in it while the sync is not yet
 * under way: 400 files stored into one study folder cost a handful of folder syncs, not 400.
 */
export class DirectorySync {
  private readonly pending = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const waiting = this.pending.get(dir);
    if (waiting) return waiting;
    const p = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        // From here on, later renames need a sync of their own.
        this.pending.delete(dir);
        fsyncDir(dir).then(resolve, reject);
      });
    });
    this.pending.set(dir, p);
    return p;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
