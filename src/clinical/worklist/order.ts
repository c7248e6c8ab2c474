/**
 * order: the study's order priority (stat 40 | asap 30 | urgent 20 | routine 0), from its
 * ServiceRequest (found by ImagingStudy.basedOn, else by accession number), else from DICOM
 * Requested Procedure Priority (0040,1003); none known → `order.missingAcute` in an ED/ICU setting.
 */
import type { WorklistConfig } from './config.js';
import { ref } from './read.js';
import { PRIORITIES, type OrderPriority, type StudyRecord, type Term } from './types.js';

export interface OrderSignal {
  priority?: OrderPriority;
  term?: Term;
}

export function orderPriority(r: StudyRecord, c: WorklistConfig): { priority: OrderPriority; term: Term } | undefined {
  const p = r.order?.request.priority;
  if (p && PRIORITIES.includes(p as OrderPriority)) {
    const via = r.order!.via === 'basedOn' ? 'the study’s basedOn' : 'the accession number';
    return {
      priority: p as OrderPriority,
      term: {
        term: 'order',
        points: c.order[p as OrderPriority],
        reason: `order priority ${p} (ServiceRequest found by ${via})`,
        evidence: [ref(r.order!.request)],
      },
    };
  }
  const dicom = r.dicomPriority?.trim().toUpperCase();
  const mapped = dicom ? c.dicomPriority.get(dicom) : undefined;
  if (dicom && mapped)
    return {
      priority: mapped,
      term: {
        term: 'order',
        points: c.order[mapped],
        reason: `order priority ${mapped} (DICOM Requested Procedure Priority ${dicom})`,
        evidence: [ref(r.study)],
      },
    };
  return undefined;
}

/** The order term; `acute` says whether the setting is ED/ICU (for a study without a priority). */
export function orderTerm(r: StudyRecord, c: WorklistConfig, acute: boolean): OrderSignal {
  const found = orderPriority(r, c);
  if (found) return found;
  if (!acute) return {};
  return {
    term: {
      term: 'order',
      points: c.order.missingAcute,
      reason: 'no order priority known; emergency / intensive-care setting',
      evidence: r.order ? [ref(r.order.request)] : [ref(r.study)],
    },
  };
}
