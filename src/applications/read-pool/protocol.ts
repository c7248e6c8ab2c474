/** Messages between the server and its read threads (read-pool.ts ↔ read-worker.ts). */
import type { Principal } from '../../auth/principal.js';
import type { ContextRequest } from '../../context/index.js';
import type { OperationOutcome } from '../../fhir/types.js';
import type { StrokeRequest } from '../stroke/params.js';
import type { ReadAnswer } from './answers.js';

export interface ReadWorkerData {
  /** `<dataDir>/fhir.sqlite`, opened read only. */
  fhirFile: string;
  publicUrl: string;
  /** The config sections the services are built from (validated on the main thread first). */
  sections: { context?: unknown; fhir?: unknown; stroke?: unknown };
  sqliteKeys?: Uint8Array[];
}

/** The caller's policy travels as its principal: the thread rebuilds it with callerPolicy(). */
export type ReadJob =
  | { id: number; kind: 'context'; request: ContextRequest; principal?: Principal; asBundle: boolean }
  | { id: number; kind: 'stroke'; request: StrokeRequest; principal?: Principal };

export type ReadReply =
  | ({ id: number; ok: true } & ReadAnswer)
  | {
      id: number;
      ok: false;
      /** An OperationOutcomeError: rebuilt as one (HiddenPatient when hiddenPatientId is set). */
      status?: number;
      outcome?: OperationOutcome;
      headers?: Record<string, string>;
      hiddenPatientId?: string;
      message: string;
    };
