/**
 * DIMSE statuses (PS3.7 Annex C, PS3.4 Annex B/C) and the one place where service errors
 * become them: a handler failure is answered, never allowed to drop the association.
 */
import { DicomStatus, StoreError } from '../core/errors.js';

export const Status = {
  Success: 0x0000,
  Pending: 0xff00,
  Cancel: 0xfe00,
  SubOperationsWarning: 0xb000,
  /** C-FIND "Refused: Out of Resources" (PS3.4 C.4.1.1.4): also our answer when the audit record cannot be written. */
  OutOfResources: 0xa700,
  /** C-MOVE / C-GET "Refused: Out of Resources – Unable to calculate number of matches" (PS3.4 C.4.2.1.5, C.4.3.1.4). */
  OutOfResourcesMatches: 0xa701,
  IdentifierDoesNotMatchSopClass: 0xa900,
  MoveDestinationUnknown: 0xa801,
  UnableToPerformSubOperations: 0xa702,
  UnableToProcess: 0xc000,
  /** pynetdicom's status for an exception in a C-STORE handler. */
  StoreHandlerFailed: 0xc211,
  SopClassNotSupported: DicomStatus.SopClassNotSupported,
  ProcessingFailure: DicomStatus.ProcessingFailure,
} as const;

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
    status: Status.StoreHandlerFailed,
    comment: errorComment(`cannot store: ${(e as Error)?.message ?? String(e)}`),
  };
}

/** Any failure of a query or retrieve → its status. */
export function serviceFailure(e: unknown): DimseResult {
  if (e instanceof DimseError) return { status: e.status, comment: errorComment(e.message) };
  const statusCode = (e as { statusCode?: number })?.statusCode;
  // HttpError 400 from the QIDO service: the identifier asks what we cannot answer.
  if (statusCode === 400) return { status: Status.UnableToProcess, comment: errorComment((e as Error).message) };
  return { status: Status.UnableToProcess, comment: errorComment(`failed: ${(e as Error)?.message ?? String(e)}`) };
}
