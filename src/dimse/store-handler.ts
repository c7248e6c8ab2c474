import type { StoreContext } from '../archive/archive.js';
import type { StoreOutcome } from '../archive/types.js';
import { wrapDataset } from '../dicom/index.js';
import { isStorageSopClass } from './sop-classes.js';
import { DimseError, storeFailure, type DimseResult } from './status.js';
import { DicomStatus } from '../core/dicom-status.js';

/** The Error Comment is an LO (64 characters): the whole reason is in the data-quality finding. */
const DIFFERS_FROM_COMMAND = "stored under the data set's UIDs; the command's differ";

/** The one method of the archive C-STORE needs. */
export interface StorePort {
  store(chunks: AsyncIterable<Buffer>, ctx: StoreContext): Promise<StoreOutcome>;
}

export interface StoreRequestInfo {
  /** Affected SOP Class / Instance UID of the C-STORE-RQ. */
  sopClassUid: string;
  sopInstanceUid: string;
  /** Abstract syntax and transfer syntax of the presentation context it came on. */
  abstractSyntax: string;
  transferSyntaxUid: string;
  callingAe: string;
}

/**
 * One C-STORE: the data set as it arrives, behind a File Meta header made from the command
 * and the presentation context, through the single ingest path. Success (0x0000) only once
 * archive.store resolved, i.e. after the durable write; an identical duplicate is success too.
 * A data set whose SOP Class / Instance UID differs from the command's is stored under its own
 * UIDs and answered with a warning (0xB007 / 0xB000) and an Error Comment saying why.
 */
export async function storeInstance(
  req: StoreRequestInfo,
  dataset: AsyncIterable<Buffer>,
  archive: StorePort,
): Promise<DimseResult> {
  try {
    checkRequest(req);
    const header = wrapDataset(Buffer.alloc(0), {
      sopClassUid: req.sopClassUid,
      sopInstanceUid: req.sopInstanceUid,
      transferSyntaxUid: req.transferSyntaxUid,
      sourceAeTitle: req.callingAe,
    });
    const outcome = await archive.store(prepend(header, dataset), { source: req.callingAe, fileMetaFrom: 'command' });
    // Stored, but the data set disagrees with the command (file-meta-check.ts): a warning, with why.
    if (outcome.warning) return { status: outcome.warning.status, comment: DIFFERS_FROM_COMMAND };
    return { status: DicomStatus.Success };
  } catch (e) {
    return storeFailure(e);
  }
}

function checkRequest(req: StoreRequestInfo): void {
  if (!req.sopClassUid || !req.sopInstanceUid) {
    throw new DimseError(DicomStatus.UnableToProcess, 'C-STORE-RQ without Affected SOP Class or Instance UID');
  }
  if (!isStorageSopClass(req.abstractSyntax)) {
    throw new DimseError(DicomStatus.SopClassNotSupported, `${req.abstractSyntax} is not a storage SOP class`);
  }
  if (req.sopClassUid !== req.abstractSyntax) {
    throw new DimseError(
      DicomStatus.SopClassNotSupported,
      `SOP class ${req.sopClassUid} sent on a ${req.abstractSyntax} context`,
    );
  }
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  yield first;
  yield* rest;
}
