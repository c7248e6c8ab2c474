import { followEvents } from '../../api/event-stream';

/** An event of /api/worklist/events (docs/worklist.md, "Events"); read with fetch (api/event-stream.ts). */
export interface WorklistEvent {
  type: 'added' | 're-scored' | 'moved' | 'read';
  studyInstanceUid: string;
  rank?: number;
  previousRank?: number;
}

export function followWorklist(onEvent: (e: WorklistEvent) => void, onState: (live: boolean) => void): () => void {
  return followEvents<WorklistEvent>('/api/worklist/events', onEvent, onState);
}
