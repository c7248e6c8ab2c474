import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp, readdirSync, rmSync, statSync } from 'node:fs';
import { PRIVATE_DIR_MODE, privateDir } from '../core/private-files.js';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobStore, BlobWriter, OpenBlob, SealedBlob } from './types.js';
import { localBlob } from './blob/local-blob.js';
import { DirectorySync } from './directory-sync.js';
import { fileSource } from '../dicom/index.js';
import type { ObjectCipher } from '../core/encryption/chunked-cipher.js';
import { readExactSync, readExactAsync } from './read-exact.js';

/**
 * Stored objects are files under `<root>/blobs`, written to `<root>/tmp` first, fsynced,
 * renamed into place, and the folder fsynced: only then is an object durable.
 * With a `cipher`, every file (temporary ones too) holds the object sealed in chunks
 * (chunked-cipher.ts) and reads decrypt only the chunks they touch.
 */
export class FileBlobStore implements BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private readonly dirSync = new DirectorySync();
  private readonly knownDirs = new Set<string>();

  constructor(
    root: string,
    private readonly cipher?: ObjectCipher,
  ) {
    this.blobDir = join(root, 'blobs');
    this.tmpDir = join(root, 'tmp');
    privateDir(this.blobDir);
    privateDir(this.tmpDir);
    removeAbandonedTemps(this.tmpDir);
  }

  async create(): Promise<BlobWriter> {
    // The writer's pid is in the name: a later process can tell abandoned uploads from live ones.
    const tempPath = join(
      this.tmpDir,
      `${process.pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.part`,
    );
    const fh = await fsp.open(tempPath, 'w+', 0o600);
    /** Bytes in the file (sealed bytes when encrypted). */
    let size = 0;
    let plainSize = 0;
    const sealer = this.cipher?.writer();
    const discard = async () => {
      await fh.close().catch(() => undefined);
      await fsp.rm(tempPath, { force: true });
    };
    const write = async (chunks: Buffer[]) => {
      let pending = chunks;
      while (pending.length > 0) {
        const { bytesWritten } = await fh.writev(pending, size);
        size += bytesWritten;
        pending = remaining(pending, bytesWritten);
      }
    };
    return {
      writev: async (chunks) => {
        for (const c of chunks) plainSize += c.length;
        await write(sealer ? sealer.push(chunks) : chunks);
      },
      abort: discard,
      seal: async (): Promise<SealedBlob> => {
        if (sealer) await write(sealer.finish());
        await fh.datasync();
        const cipher = this.cipher;
        return {
          size: plainSize,
          source: (head) =>
            cipher ? cipher.source((o, l) => readExactSync(fh.fd, o, l), size, head) : fileSource(fh.fd, size, head),
          discard,
          commit: async ({ key }) => {
            await fh.close();
            const target = this.pathOf(key);
            const dir = dirname(target);
            if (!this.knownDirs.has(dir)) {
              await fsp.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
              this.knownDirs.add(dir);
              await this.dirSync.sync(dirname(dir));
            }
            await fsp.rename(tempPath, target);
            await this.dirSync.sync(dir);
            return { key, journaled: false };
          },
        };
      },
    };
  }

  async open(key: string): Promise<OpenBlob> {
    const fh = await fsp.open(this.pathOf(key), 'r');
    const { size } = await fh.stat();
    const cipher = this.cipher;
    try {
      const source = cipher ? cipher.source((o, l) => readExactSync(fh.fd, o, l), size) : fileSource(fh.fd, size);
      return localBlob(source, () => fh.close());
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async read(key: string): Promise<Buffer> {
    const bytes = await fsp.readFile(this.pathOf(key));
    return this.cipher ? this.cipher.open(bytes) : bytes;
  }

  stream(key: string, start = 0, end?: number): NodeJS.ReadableStream {
    const cipher = this.cipher;
    if (!cipher)
      return createReadStream(this.pathOf(key), {
        start,
        end: end === undefined ? undefined : end - 1,
        highWaterMark: 1 << 20,
      });
    const path = this.pathOf(key);
    return Readable.from(
      (async function* () {
        const fh = await fsp.open(path, 'r');
        try {
          const { size } = await fh.stat();
          yield* cipher.stream((o, l) => readExactAsync(fh.fd, o, l), size, start, end);
        } finally {
          await fh.close();
        }
      })(),
      { objectMode: false, highWaterMark: 1 << 20 },
    );
  }

  async remove(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
  }

  /** Study folders (`xx/<StudyInstanceUID>/`) whose content changed since `sinceMs`, with their files. */
  *studyFoldersChangedSince(
    sinceMs: number,
  ): Generator<{ studyUid: string; files: { key: string; mtimeMs: number }[] }> {
    for (const shard of readdirSync(this.blobDir)) {
      const shardPath = join(this.blobDir, shard);
      if (!statSync(shardPath).isDirectory()) continue;
      for (const studyUid of readdirSync(shardPath)) {
        const dir = join(shardPath, studyUid);
        const st = statSync(dir, { throwIfNoEntry: false });
        if (!st?.isDirectory() || st.mtimeMs < sinceMs) continue;
        const files = readdirSync(dir).map((name) => ({
          key: `${shard}/${studyUid}/${name}`,
          mtimeMs: statSync(join(dir, name)).mtimeMs,
        }));
        yield { studyUid, files };
      }
    }
  }

  async freeBytes(): Promise<number> {
    const s = await fsp.statfs(this.blobDir);
    return s.bavail * s.bsize;
  }

  private pathOf(key: string): string {
    if (!/^[0-9A-Za-z._/-]+$/.test(key) || key.includes('..')) throw new Error(`invalid blob key ${key}`);
    return join(this.blobDir, key);
  }
}

/** What a short writev left unwritten. */
function remaining(chunks: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && written >= chunks[i]!.length) written -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  return [chunks[i]!.subarray(written), ...chunks.slice(i + 1)];
}

/**
 * Uploads cut short by a crash were never acknowledged: their temp files go. Files of a
 * process still running (an import next to the server) stay.
 */
export function removeAbandonedTemps(tmpDir: string): void {
  for (const name of readdirSync(tmpDir)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    rmSync(join(tmpDir, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
