/**
 * The DICOM status codes we answer or interpret (PS3.7 Annex C, PS3.4 Annex B/C/GG), in one
 * table for every protocol: C-STORE, C-FIND, C-MOVE/C-GET and the STOW-RS Failure Reason.
 * Some codes carry a different name per service (0xA900, 0xB000, 0xC000): each name says
 * what it means where it is used.
 */
export const DicomStatus = {
  Success: 0x0000,
  /** C-FIND / C-MOVE / C-GET: a match or sub-operation follows. */
  Pending: 0xff00,
  /** C-FIND: pending, but an optional key was not supported (PS3.4 C.4.1.1.4). */
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  DuplicateSopInstance: 0x0111,
  ProcessingFailure: 0x0110,
  SopClassNotSupported: 0x0122,
  /** C-FIND "Refused: Out of Resources" (PS3.4 C.4.1.1.4); also our answer when the audit record cannot be written. */
  OutOfResources: 0xa700,
  /** C-MOVE / C-GET "Refused: Out of Resources – Unable to calculate number of matches" (PS3.4 C.4.2.1.5, C.4.3.1.4). */
  OutOfResourcesMatches: 0xa701,
  UnableToPerformSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  /** C-STORE / STOW-RS: the data set does not match the SOP Class. */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** C-FIND / C-MOVE / C-GET: the identifier does not match the SOP Class. */
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** C-STORE / STOW-RS: cannot understand. */
  CannotUnderstand: 0xc000,
  /** C-FIND / C-MOVE / C-GET: unable to process. */
  UnableToProcess: 0xc000,
  /** pynetdicom's status for an exception in a C-STORE handler. */
  StoreHandlerFailed: 0xc211,
  /** C-STORE / STOW-RS warning: coercion of data elements. */
  CoercionOfDataElements: 0xb000,
  /** C-MOVE / C-GET warning: one or more sub-operations failed. */
  SubOperationsWarning: 0xb000,
  ElementsDiscarded: 0xb006,
  /** C-STORE / STOW-RS warning: stored although the data set does not match the SOP Class it was announced as. */
  DataSetDoesNotMatchSopClassWarning: 0xb007,
} as const;

/** A final (not pending) response status. */
export const isFinalStatus = (status: number): boolean =>
  status !== DicomStatus.Pending && status !== DicomStatus.PendingWarning;

/** A warning (0xBxxx): the operation was done, with a reason worth reading. */
export const isWarningStatus = (status: number): boolean => (status & 0xf000) === 0xb000;

/** Failures and warnings may carry an Error Comment (0000,0902) (PS3.7 C.4). */
export const carriesErrorComment = (status: number): boolean => isFailureStatus(status) || isWarningStatus(status);

/** Neither success, a warning (0xBxxx) nor pending / cancel (0xFxxx): a response that may carry an Error Comment. */
export const isFailureStatus = (status: number): boolean =>
  status !== DicomStatus.Success && (status & 0xf000) !== 0xf000 && (status & 0xf000) !== 0xb000;

/** A status as DICOM writes it, e.g. 0xA900 (messages, Warning headers, audit records). */
export const statusHex = (status: number): string => `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
