/**
 * The two patient reads as JSON text plus what the route's audit record needs: the same function
 * runs in process and on a read thread (read-worker.ts), so both answer byte for byte alike.
 */
import type { AccessPolicy, ContextRequest, ContextService } from '../../context/index.js';
import type { StrokeRequest } from '../stroke/params.js';
import type { StrokeService } from '../stroke/service.js';

export interface ReadAnswer {
  /** The response body. */
  json: string;
  /** The Patient answered about (for the audit record). */
  patientId?: string;
  /** Context: the sections left out because their queries failed. */
  omitted?: string[];
  /** Stroke: every source answered. */
  complete?: boolean;
}

/** GET /api/context: the JSON document, or the FHIR collection Bundle when `asBundle`. */
export async function contextAnswer(
  service: ContextService,
  request: ContextRequest,
  policy: AccessPolicy,
  asBundle: boolean,
): Promise<ReadAnswer> {
  // The document: its text may be one kept for the same reads (ContextService.document).
  if (!asBundle) return service.document(request, policy);
  const assembled = await service.assemble(request, policy);
  const context = assembled.context as unknown as { patient?: { id?: string } };
  const patientId = context.patient?.id;
  const omitted = request.include.filter((s) => Object.hasOwn(context, s) && (context as never)[s] === null);
  return {
    json: JSON.stringify(service.bundle(assembled)),
    ...(patientId ? { patientId } : {}),
    omitted,
  };
}

/** GET /api/stroke/assessment. */
export async function strokeAnswer(
  service: StrokeService,
  request: StrokeRequest,
  policy: AccessPolicy,
): Promise<ReadAnswer> {
  const assessment = await service.assess(request, policy);
  return { json: JSON.stringify(assessment), patientId: assessment.patient.id, complete: assessment.complete };
}
