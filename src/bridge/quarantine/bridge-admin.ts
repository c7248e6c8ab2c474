/**
 * What a person can do with the bridge's state, from the HTTP API or the CLI (another process
 * on the same database): list findings and held studies, release, reject, replay dead
 * letters, read the sync status. Database only; the server's worker picks the changes up
 * from the outbox.
 */
import type { Database } from 'better-sqlite3';
import type { CapabilityReport } from '../sync/capability-check.js';
import { Outbox, type OutboxRow, type SyncOutbox, type SyncRecord } from '../sync/outbox.js';
import {
  QuarantineStore,
  type FindingFilter,
  type QuarantineEntry,
  type QuarantineRecords,
  type QuarantineState,
  type StoredFinding,
} from './quarantine-store.js';

export interface SyncStatusReport {
  target?: string;
  capabilities?: CapabilityReport;
  outbox: { pending: number; retrying: number; dead: number };
  deadLetters: OutboxRow[];
  retrying: OutboxRow[];
  quarantined: number;
  synced: number;
  /** The last scheduled reconcile (src/assessment/schedule.ts), when one is configured. */
  drift?: unknown;
}

export interface StudyDataQuality {
  entry?: QuarantineEntry;
  findings: StoredFinding[];
  lastSync?: SyncRecord;
  outbox?: OutboxRow;
}

/** The stores the admin works on: both on the archive's database (SQLite file or PostgreSQL schema). */
export interface BridgeAdminStores {
  outbox: SyncOutbox;
  quarantine: QuarantineRecords;
}

/** Over the SQLite stores of the archive index's handle. */
export function sqliteBridgeAdmin(db: Database): BridgeAdmin {
  return new BridgeAdmin({ outbox: new Outbox(db), quarantine: new QuarantineStore(db) });
}

/** Async on every backend: callers await, the SQLite answers come at once. */
export class BridgeAdmin {
  readonly quarantine: QuarantineRecords;
  readonly outbox: SyncOutbox;

  constructor(stores: BridgeAdminStores) {
    this.quarantine = stores.quarantine;
    this.outbox = stores.outbox;
  }

  async findings(filter: FindingFilter): Promise<StoredFinding[]> {
    return this.quarantine.findings(filter);
  }

  async list(state?: QuarantineState): Promise<QuarantineEntry[]> {
    return this.quarantine.list(state);
  }

  async show(studyUid: string): Promise<StudyDataQuality | undefined> {
    const entry = await this.quarantine.get(studyUid);
    const findings = await this.quarantine.findings({ studyUid });
    const lastSync = await this.outbox.lastSync(studyUid);
    const outbox = await this.outbox.get(studyUid);
    if (!entry && !findings.length && !lastSync && !outbox) return undefined;
    return { ...(entry ? { entry } : {}), findings, ...(lastSync ? { lastSync } : {}), ...(outbox ? { outbox } : {}) };
  }

  async release(studyUid: string, actor: string, comment?: string): Promise<boolean> {
    return this.quarantine.release(studyUid, actor, comment);
  }

  async reject(studyUid: string, actor: string, comment?: string): Promise<boolean> {
    return this.quarantine.reject(studyUid, actor, comment);
  }

  async replay(studyUid?: string): Promise<number> {
    return this.outbox.replay(studyUid);
  }

  async status(): Promise<SyncStatusReport> {
    const pending = await this.outbox.pending();
    const capabilities = await this.outbox.getMeta<CapabilityReport>('capabilities');
    const drift = await this.outbox.getMeta<unknown>('drift');
    return {
      ...(drift ? { drift } : {}),
      ...(capabilities ? { target: capabilities.target, capabilities } : {}),
      outbox: await this.outbox.counts(),
      deadLetters: await this.outbox.dead(),
      retrying: pending.filter((r) => r.attempts > 0),
      quarantined: (await this.quarantine.list('held')).length,
      synced: await this.outbox.syncedCount(),
    };
  }
}
