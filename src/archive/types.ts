import type { ByteSource, DicomJson } from '../dicom/types.js';

/** The identity of one instance. */
export interface StoredRef {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  sopClassUid: string;
}

/** What the archive knows about one stored instance (one row of the index). */
export interface InstanceRecord extends StoredRef {
  transferSyntaxUid: string;
  /** Key of the stored bytes in the blob store. */
  blobKey: string;
  size: number;
  /** Where the dataset (after the File Meta group) starts in the stored bytes: duplicates compare from here. */
  datasetOffset: number;
  /** Full DICOM JSON without bulk data (BulkDataURI values carry the bulk marker). */
  json: DicomJson;
  /** AE title or channel the instance came from, for the record. */
  source: string;
  /** What was wrong with the received object without stopping it being stored; kept with it. */
  notes?: IngestNote[];
}

/**
 * Something the archive noticed in a received object and stored it anyway (e.g. a File Meta
 * that disagrees with the data set). Kept in the index with the instance; the bridge reports
 * it as a data-quality finding of rule `rule`.
 */
export interface IngestNote {
  rule: string;
  /** DICOM tag, 8 hex digits. */
  tag: string;
  /** The value as received. */
  original: string;
  /** The value the instance is known and served by. */
  corrected: string;
  message: string;
}

/** A warning status (0xBxxx: C-STORE status, STOW-RS Warning Reason) and why. */
export interface StoreWarning {
  status: number;
  message: string;
}

/** How one store attempt ended. Failures are thrown as StoreError instead. */
export type StoreOutcome = (
  | { kind: 'stored'; record: StoredRef }
  | { kind: 'duplicate'; record: StoredRef }
  | { kind: 'new-version'; record: StoredRef; version: number }
) & { warning?: StoreWarning };

/** A stored instance as the retrieve paths need it. */
export interface StoredInstance extends StoredRef {
  transferSyntaxUid: string;
  blobKey: string;
  size: number;
  /** 1 for single-frame objects. */
  numberOfFrames: number;
}

export interface InstanceScope {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

/** Where the archive wants a received object placed, and what its journal record notes. */
export interface BlobPlacement {
  /**
   * Key for an object stored as its own file (the study's folder and the SOP Instance UID). May be
   * a getter that makes the key when read (blob-key.ts instancePlacement): a pack append never reads it.
   */
  key: string;
  sopUid: string;
  source: string;
}

/** Where an object landed. */
export interface PlacedBlob {
  key: string;
  /**
   * The blob store's journal holds the object and what is needed to index it again, so the
   * index commit that records it need not be synced itself (see BlobJournal).
   */
  journaled: boolean;
  /**
   * Present when the bytes are written but their sync is still in flight (a journaled pack
   * append): nothing about the object may be acknowledged before it resolves. The index commit
   * may run meanwhile (recovery then checks the record: BlobJournal.holdsIntact). A rejection
   * means the bytes never became durable.
   */
  durable?: Promise<void>;
  /** Where the object's journal record starts (with `durable`). */
  at?: JournalMark;
}

/** The bytes of one received object, complete (and durable if they are in a file), not placed yet. */
export interface SealedBlob {
  readonly size: number;
  /** Random access to the bytes; `head` (the first bytes, already in memory) saves reads. */
  source(head?: Buffer): ByteSource;
  /** Make the object durable under its final key. */
  commit(placement: BlobPlacement): Promise<PlacedBlob>;
  /** Drop the object. */
  discard(): Promise<void>;
}

export interface BlobWriter {
  /** Append chunks (one gathered write). */
  writev(chunks: Buffer[]): Promise<void>;
  /**
   * True while the writer only holds chunks in memory: then each chunk is handed over as it
   * arrives (its work, such as a CRC, overlaps the wait for the next) instead of in 1 MB batches.
   */
  holdsInMemory?(): boolean;
  /** All bytes are in: make them readable (and durable, when they went to a file). */
  seal(): Promise<SealedBlob>;
  abort(): Promise<void>;
}

/** A buffer of exactly `bytes` for a read to fill, or undefined (the reader allocates one). */
export type ReadInto = (bytes: number) => Buffer | undefined;

/** The bytes of stored instances, exactly as received: files and packs, or object storage (S3). */
export interface BlobStore {
  create(): Promise<BlobWriter>;
  /** Open a stored object for positional reads (a missing object: an error with code ENOENT). */
  open(key: string): Promise<OpenBlob>;
  /** A whole stored object (for objects small enough to hold). */
  read(key: string): Promise<Buffer>;
  /**
   * Several whole objects, in order (each small enough to hold): where the store can, with fewer
   * reads than objects (pack records next to each other). Absent: one `read` each. `into`, when
   * given, may hand out the buffer a read fills (exactly `bytes` long; undefined: allocate one).
   */
  readMany?(keys: string[], into?: ReadInto): Promise<Buffer[]>;
  /** Stream a byte range [start, end) of a stored object. */
  stream(key: string, start?: number, end?: number): NodeJS.ReadableStream;
  remove(key: string): Promise<void>;
  /** Free bytes on the volume objects are written (or spooled) to, for /health and out-of-resources decisions. */
  freeBytes(): Promise<number>;
  /** Present when some objects are journaled (PlacedBlob.journaled). */
  readonly journal?: BlobJournal | undefined;
  close?(): void;
}

/**
 * Objects whose index commit is not synced can be indexed again after a crash from the
 * journal. The archive settles each journaled object once its index commit returned (or it
 * gave the object up) and keeps in the (synced) index a mark below every unsettled object;
 * at start it re-indexes what the journal holds from that mark on.
 */
export interface BlobJournal {
  settle(key: string): void;
  lowWater(): JournalMark;
  /** Is the object's record whole on disk (its header, size and CRC)? See PlacedBlob.durable. */
  holdsIntact(key: string): boolean;
  recordsFrom(mark: JournalMark): Iterable<{ key: string; note: { sop: string; source: string }; bytes: Buffer }>;
}

export interface JournalMark {
  segment: number;
  offset: number;
}

/**
 * One stored object opened for reading. Reads are asynchronous and positional, so the bytes may
 * be on a local disk, in memory or in object storage (a ranged GET); nothing assumes a file
 * descriptor. Code that parses needs synchronous random access: `withBlobSource` (blob/blob-source.ts)
 * gives it over `read`, or over `local` when the store has it.
 */
export interface OpenBlob {
  /** The object's size (of its plaintext, when it is stored encrypted). */
  readonly size: number;
  /** `length` bytes from `offset` (decrypted when the object is stored encrypted). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Synchronous random access, present only when the bytes are local (files, packs). */
  readonly local?: (() => ByteSource) | undefined;
  close(): Promise<void>;
}
