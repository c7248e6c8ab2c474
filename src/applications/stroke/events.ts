/** Live news of the stroke checks: one event per run written, for the console's Stroke page (GET /api/stroke/events). */
import type { FactorId } from '../../clinical/stroke/index.js';

export interface StrokeRunEvent {
  type: 'run';
  studyInstanceUid: string;
  /** Our Patient (the run's subject): the stream is filtered by the caller's patients. */
  patientId: string;
  assessedAt: string;
  present: FactorId[];
  unknown: FactorId[];
  complete: boolean;
}

export class StrokeRunEvents {
  private readonly listeners = new Set<(e: StrokeRunEvent) => void>();

  subscribe(listener: (e: StrokeRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Never throws: a failing listener does not reach the run that was written. */
  emit(e: StrokeRunEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a closed stream; its own cleanup removes it
      }
    }
  }
}
