import type { ObjectCipher } from '../core/encryption/chunked-cipher.js';
import { FileBlobStore } from './file-blob-store.js';
import { localBlob } from './blob/local-blob.js';
import { memoryFirstWriter } from './blob/memory-first-writer.js';
import { PackStore, isPackKey, parseKey } from './pack/pack-store.js';
import { HEADER_BYTES } from './pack/record-format.js';
import type { BlobStore, BlobWriter, OpenBlob, ReadInto } from './types.js';

/** Objects up to this size are held in memory while they arrive and then appended to a pack. */
export const DEFAULT_PACK_LIMIT = 4 * 1024 * 1024;

/**
 * The archive's blobs: objects up to `packLimit` bytes go to the packs (one durable append,
 * journaled), larger ones to files of their own (written as they stream in, so a 2 GB
 * multi-frame object never sits in memory). Keys say where an object is.
 */
export class ArchiveBlobStore implements BlobStore {
  readonly files: FileBlobStore;
  readonly packs: PackStore;
  /** Only the process that appends to the packs (the server) journals. */
  readonly journal: PackStore | undefined;
  private readonly packLimit: number;
  private readonly appends: boolean;

  /**
   * `packWriter`: this process appends small objects to segments of its own: the server
   * (`true`, journaled: its index commits are redone from the packs after a crash) or an import
   * beside it ('import': its index commits are synced instead). Other CLI commands only read and
   * erase packs. `cipher`: objects are stored encrypted (both kinds).
   */
  constructor(
    root: string,
    opts: {
      packWriter: boolean | 'import';
      packLimit?: number;
      segmentBytes?: number;
      cipher?: ObjectCipher | undefined;
    },
  ) {
    this.files = new FileBlobStore(root, opts.cipher);
    this.packs = new PackStore(root, opts.packWriter, opts.segmentBytes, opts.cipher);
    this.journal = opts.packWriter === true ? this.packs : undefined;
    this.appends = opts.packWriter !== false;
    this.packLimit = opts.packLimit ?? DEFAULT_PACK_LIMIT;
  }

  async create(): Promise<BlobWriter> {
    if (!this.appends) return this.files.create();
    return memoryFirstWriter(
      this.packLimit,
      () => this.files.create(),
      async (bytes, { sopUid, source }) => {
        const { key, durable } = this.packs.appendWritten(bytes.chunks, { sop: sopUid, source }, bytes.crc);
        // Journaled: the archive may commit the index while the sync is in flight (PlacedBlob.durable).
        if (this.journal) {
          const { segment, offset } = parseKey(key);
          return { key, journaled: true, durable, at: { segment, offset: offset - HEADER_BYTES } };
        }
        // Without a journal the index commit is synced after the bytes: nothing waits for a mark.
        try {
          await durable;
        } finally {
          this.packs.settle(key);
        }
        return { key, journaled: false };
      },
      { crc: true },
    );
  }

  async open(key: string): Promise<OpenBlob> {
    if (!isPackKey(key)) return this.files.open(key);
    return localBlob(this.packs.open(key), async () => undefined);
  }

  read(key: string): Promise<Buffer> {
    return isPackKey(key) ? this.packs.read(key) : this.files.read(key);
  }

  /** Several whole objects in order: runs of pack records read together (PackStore.readMany), files one by one. */
  async readMany(keys: string[], into?: ReadInto): Promise<Buffer[]> {
    if (keys.every(isPackKey)) return this.packs.readMany(keys, into);
    return Promise.all(keys.map((key) => this.read(key)));
  }

  stream(key: string, start?: number, end?: number): NodeJS.ReadableStream {
    return isPackKey(key) ? this.packs.stream(key, start, end) : this.files.stream(key, start, end);
  }

  remove(key: string): Promise<void> {
    return isPackKey(key) ? this.packs.erase(key) : this.files.remove(key);
  }

  freeBytes(): Promise<number> {
    return this.files.freeBytes();
  }

  close(): void {
    this.packs.close();
  }
}
