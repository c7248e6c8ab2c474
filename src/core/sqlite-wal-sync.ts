import { open } from 'node:fs/promises';

/**
 * fdatasync of a WAL-mode SQLite database's `<file>-wal`, through a descriptor of our own, on
 * libuv's thread pool. A commit made with synchronous=NORMAL is frames appended to that file
 * without a sync; once this resolves, every commit made before it began is durable (later
 * frames never make earlier ones invalid). No WAL file: a checkpoint has moved every frame into
 * the database file and synced it.
 */
export async function fdatasyncWal(databasePath: string): Promise<void> {
  let wal;
  try {
    wal = await open(`${databasePath}-wal`, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    await wal.datasync();
  } finally {
    await wal.close();
  }
}
