import type { SqliteKeys } from '../../core/sqlite-open.js';
import type { WriteEvent } from '../../fhir/repository/observed-repository.js';
import type { CapabilityReport } from './capability-check.js';
import type { SyncEvent } from './sync-worker.js';

/** What the bridge's sync thread (`bridge-thread-worker.ts`) is started with: plain data. */
export interface BridgeThreadData {
  /** The archive index, `<dataDir>/index.sqlite` (the outbox and the bridge's tables are there). */
  indexFile: string;
  /** The embedded FHIR server's `<dataDir>/fhir.sqlite` (target `embedded`). */
  fhirFile: string;
  sqliteKeys?: SqliteKeys;
  /** `sections.bridge` and `sections.fhir` of the config, validated again there. */
  sections: { bridge?: unknown; fhir?: unknown };
  publicUrl: string;
  /** The server logger's level: the thread's records are logged again by the server's logger. */
  logLevel: string;
  /** The thread asks to end after this long without a sync and with nothing due (ms). */
  idleMs: number;
  /** When the server started the thread (Date.now()): the thread reports how long it took to load. */
  spawnedAt: number;
  /** The DICOMweb sources by instance source (`source:<name>`): the PACS's URL and the Endpoint choice. */
  sourceDicomweb: [string, { url: string; endpoint: 'ours' | 'source' }][];
}

export type ToBridgeThread =
  /** Start polling the outbox and check the target's capabilities. */
  | { type: 'start' }
  /** Sync one study now (a person asked); answered when done. */
  | { type: 'sync-now'; id: number; studyUid: string }
  /** The syncs in flight and the target's capabilities; answered. */
  | { type: 'status'; id: number }
  /** Finish the pass in flight, close the connections, answer `closed`. */
  | { type: 'close' };

export type FromBridgeThread =
  /** FHIR writes the thread committed (target `embedded`), for the server's write listeners. */
  | { type: 'writes'; events: WriteEvent[] }
  /** A finished sync (SyncWorker.onSync). */
  | { type: 'synced'; event: SyncEvent }
  | { type: 'answer'; id: number; inFlight?: number; capabilities?: CapabilityReport; error?: string }
  /**
   * Started: its modules loaded (ms since spawnedAt), then its connections opened and the service
   * built (ms); the thread's CPU time until then (Linux, /proc/thread-self) and its V8 heap (bytes).
   */
  | { type: 'ready'; loadMs: number; openMs: number; cpuMs?: number; heapUsed: number; heapTotal: number }
  /** One pino record (a JSON line) of the thread's logger. */
  | { type: 'log'; line: string }
  /** Nothing synced for idleMs and nothing due: the server may end the thread. */
  | { type: 'idle' }
  | { type: 'closed' };
