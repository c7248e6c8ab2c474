/**
 * The data set of a stored instance as a C-STORE sub-operation sends it: the bytes as
 * received (File Meta cut off), or — when the peer took Explicit VR Little Endian instead of
 * a native stored syntax — re-encoded by our transcoder. Compressed data is never decoded.
 */
import type { BlobStore, StoredInstance } from '../../archive/types.js';
import {
  bufferSource,
  datasetOffset,
  isEncapsulatedTransferSyntax,
  transcodeToExplicitLittle,
} from '../../dicom/index.js';
import { EXPLICIT_LE } from '../sop-classes.js';
import { DimseError } from '../status.js';
import { DicomStatus } from '../../core/dicom-status.js';

/** The syntax to send a stored instance in, given what a context accepted; undefined when we cannot. */
export function deliverableAs(storedSyntax: string, accepted: readonly string[]): string | undefined {
  if (accepted.includes(storedSyntax)) return storedSyntax;
  if (!isEncapsulatedTransferSyntax(storedSyntax) && accepted.includes(EXPLICIT_LE)) return EXPLICIT_LE;
  return undefined;
}

/** The syntaxes to propose for instances stored in `storedSyntax`. */
export function proposalFor(storedSyntax: string): string[] {
  return !isEncapsulatedTransferSyntax(storedSyntax) && storedSyntax !== EXPLICIT_LE
    ? [storedSyntax, EXPLICIT_LE]
    : [storedSyntax];
}

export async function datasetBytes(blobs: BlobStore, instance: StoredInstance, syntax: string): Promise<Buffer> {
  let file = await blobs.read(instance.blobKey);
  if (syntax !== instance.transferSyntaxUid) {
    if (syntax !== EXPLICIT_LE)
      throw new DimseError(DicomStatus.ProcessingFailure, `cannot convert ${instance.transferSyntaxUid} to ${syntax}`);
    file = Buffer.concat([...transcodeToExplicitLittle(bufferSource(file))]);
  }
  const start = datasetOffset(file.subarray(0, Math.min(file.length, 64 * 1024)));
  if (start === undefined)
    throw new DimseError(DicomStatus.ProcessingFailure, `stored object ${instance.sopUid} has no readable File Meta`);
  return file.subarray(start);
}
