import type { DicomJson } from '../dicom/types.js';

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
}

/** How one store attempt ended. Failures are thrown as StoreError instead. */
export type StoreOutcome =
  | { kind: 'stored'; record: StoredRef }
  | { kind: 'duplicate'; record: StoredRef }
  | { kind: 'new-version'; record: StoredRef; version: number };

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

/** The bytes of one object, written and fsynced under a temporary name, still open for reading. */
export interface SealedBlob {
  readonly fd: number;
  readonly size: number;
  /** Close, move into place under `key` and make the rename durable. */
  commit(key: string): Promise<void>;
  /** Close and delete. */
  discard(): Promise<void>;
}

export interface BlobWriter {
  /** Append chunks (one gathered write). */
  writev(chunks: Buffer[]): Promise<void>;
  /** fsync the data; the blob stays open for reading until commit or discard. */
  seal(): Promise<SealedBlob>;
  abort(): Promise<void>;
}

/** The bytes of stored instances, exactly as received. Files today; object storage later. */
export interface BlobStore {
  create(): Promise<BlobWriter>;
  /** Open a stored object for positional reads. */
  open(key: string): Promise<OpenBlob>;
  /** A whole stored object (for objects small enough to hold). */
  read(key: string): Promise<Buffer>;
  /** Stream a byte range [start, end) of a stored object. */
  stream(key: string, start?: number, end?: number): NodeJS.ReadableStream;
  remove(key: string): Promise<void>;
  /** Free bytes on the volume, for /health and out-of-resources decisions. */
  freeBytes(): Promise<number>;
}

export interface OpenBlob {
  readonly fd: number;
  readonly size: number;
  close(): Promise<void>;
}
