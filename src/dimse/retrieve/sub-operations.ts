/**
 * The C-STORE sub-operations of one C-MOVE or C-GET (PS3.4 C.4.2.3, C.4.3.3): one instance
 * at a time, counted as completed / warning / failed, with a progress report after each,
 * stopping at a C-CANCEL. Transport-free: the target says what it accepts and sends.
 */
import type { StoredInstance } from '../../archive/types.js';
import type { SubOperationCounts } from '../messages.js';
import type { DimseResult } from '../status.js';
import { DicomStatus } from '../../core/dicom-status.js';

export interface SubOperationTarget {
  /** The syntax to send this instance in, or undefined when no accepted context fits it. */
  syntaxFor(instance: StoredInstance): string | undefined;
  /** Sends one C-STORE-RQ; resolves to the peer's status. Rejects when the association is gone. */
  store(instance: StoredInstance, syntax: string): Promise<number>;
}

export interface SubOperationsResult {
  final: DimseResult;
  counts: SubOperationCounts;
  failedUids: string[];
}

export async function runSubOperations(
  instances: StoredInstance[],
  target: SubOperationTarget,
  progress: (counts: SubOperationCounts) => Promise<void> | void,
  cancelled: () => boolean,
): Promise<SubOperationsResult> {
  const counts = { remaining: instances.length, completed: 0, failed: 0, warning: 0 };
  const failedUids: string[] = [];
  let lost: string | undefined;
  for (const instance of instances) {
    if (cancelled() || lost) break;
    counts.remaining--;
    const syntax = target.syntaxFor(instance);
    let status: number = DicomStatus.ProcessingFailure;
    if (syntax) {
      try {
        status = await target.store(instance, syntax);
      } catch (e) {
        lost = (e as Error).message;
      }
    }
    if (status === DicomStatus.Success) counts.completed++;
    else if ((status & 0xf000) === 0xb000) counts.warning++;
    else {
      counts.failed++;
      failedUids.push(instance.sopUid);
    }
    if (counts.remaining > 0 && !lost) await progress({ ...counts });
  }
  if (cancelled() && counts.remaining > 0) {
    return { final: { status: DicomStatus.Cancel }, counts: { ...counts }, failedUids };
  }
  // Whatever the association could not carry any more failed too.
  if (lost) {
    for (const rest of instances.slice(instances.length - counts.remaining)) failedUids.push(rest.sopUid);
    counts.failed += counts.remaining;
    counts.remaining = 0;
  }
  const { remaining: _, ...finalCounts } = counts;
  const status = counts.failed + counts.warning > 0 ? DicomStatus.SubOperationsWarning : DicomStatus.Success;
  return { final: { status, comment: lost }, counts: finalCounts, failedUids };
}
