/**
 * DIMSE statuses (PS3.7 Annex C, PS3.4 Annex B/C) and the one place where service errors
 * become them: a handler failure is answered, never allowed to drop the association.
 */
import { QueryError } from '../archive/query/index.js';
import { StoreError } from '../core/errors.js';
import { DicomStatus } from '../core/dicom-status.js';

export interface DimseResult {
  status: number;
  /** Error Comment (0000,0902): LO, at most 64 characters. */
  comment?: string;
}

/** A service-level failure carrying the status to answer with. */
export class DimseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DimseError';
  }
}

export function errorComment(message: string): string {
  // LO: no backslash or control characters; the default character set.
  const clean = message.replace(/[\\\x00-\x1f]/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= 64 ? clean : `${clean.slice(0, 61)}...`;
}

/** Any failure of a store attempt → its C-STORE status. */
export function storeFailure(e: unknown): DimseResult {
  if (e instanceof StoreError) return { status: e.status, comment: errorComment(e.message) };
  if (e instanceof DimseError) return { status: e.status, comment: errorComment(e.message) };
  return {
    status: DicomStatus.StoreHandlerFailed,
    comment: errorComment(`cannot store: ${(e as Error)?.message ?? String(e)}`),
  };
}

/** Any failure of a query or retrieve → its status. */
export function serviceFailure(e: unknown): DimseResult {
  if (e instanceof DimseError) return { status: e.status, comment: errorComment(e.message) };
  // The query engine refuses a key: the identifier asks what we cannot answer.
  if (e instanceof QueryError) return { status: DicomStatus.UnableToProcess, comment: errorComment(e.message) };
  return {
    status: DicomStatus.UnableToProcess,
    comment: errorComment(`failed: ${(e as Error)?.message ?? String(e)}`),
  };
}
