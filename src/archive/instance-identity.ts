import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syncDir } from './pack/segment-claims.js';

const FILE = 'instance-id';
const SHAPE = /^[0-9a-f-]{36}$/;

/**
 * The stable name of the server that owns this data directory, for what each instance keeps
 * apart in a shared PostgreSQL index (its blob journal's mark, its running marker): created once
 * (a random UUID in `<dataDir>/instance-id`, durable before it is used), then read at every start.
 * Two instances never share a data directory (the packs and the journal are one writer's), so
 * they never share this name. A file that is not a UUID stops start-up rather than being replaced:
 * a new name would lose the old one's journal mark.
 */
export function instanceIdentity(dataDir: string): string {
  const path = join(dataDir, FILE);
  const existing = read(path);
  if (existing !== undefined) return existing;
  const temp = `${path}.${process.pid}.part`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${randomUUID()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path); // fails if another process created it first: then its name stands
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(temp, { force: true });
  }
  syncDir(dataDir);
  return read(path)!;
}

function read(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (!SHAPE.test(text))
    throw new Error(
      `${path} does not hold an instance id (a UUID): restore it, or remove it only if this data directory was never used with a shared PostgreSQL index`,
    );
  return text;
}
