/**
 * What a person can do with the bridge's state, from the HTTP API or the CLI (another process
 * on the same database): list findings and held studies, release, reject, replay dead
 * letters, read the sync status. Database only; the server's worker picks the changes up
 * from the outbox.
 */
import type { Database } from 'better-sqlite3';
import type { CapabilityReport } from '../sync/capability-check.js';
import { Outbox, type OutboxRow } from '../sync/outbox.js';
import {
  QuarantineStore,
  type FindingFilter,
  type QuarantineEntry,
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

export class BridgeAdmin {
  readonly quarantine: QuarantineStore;
  readonly outbox: Outbox;

  constructor(db: Database) {
    this.quarantine = new QuarantineStore(db);
    this.outbox = new Outbox(db);
  }

  findings(filter: FindingFilter): StoredFinding[] {
    return this.quarantine.findings(filter);
  }

  list(state?: QuarantineState): QuarantineEntry[] {
    return this.quarantine.list(state);
  }

  show(studyUid: string):
    | {
        entry?: QuarantineEntry;
        findings: StoredFinding[];
        lastSync?: ReturnType<Outbox['lastSync']>;
        outbox?: OutboxRow;
      }
    | undefined {
    const entry = this.quarantine.get(studyUid);
    const findings = this.quarantine.findings({ studyUid });
    const lastSync = this.outbox.lastSync(studyUid);
    const outbox = this.outbox.get(studyUid);
    if (!entry && !findings.length && !lastSync && !outbox) return undefined;
    return { ...(entry ? { entry } : {}), findings, ...(lastSync ? { lastSync } : {}), ...(outbox ? { outbox } : {}) };
  }

  release(studyUid: string, actor: string, comment?: string): boolean {
    return this.quarantine.release(studyUid, actor, comment);
  }

  reject(studyUid: string, actor: string, comment?: string): boolean {
    return this.quarantine.reject(studyUid, actor, comment);
  }

  replay(studyUid?: string): number {
    return this.outbox.replay(studyUid);
  }

  status(): SyncStatusReport {
    const pending = this.outbox.pending();
    const capabilities = this.outbox.getMeta<CapabilityReport>('capabilities');
    const drift = this.outbox.getMeta<unknown>('drift');
    return {
      ...(drift ? { drift } : {}),
      ...(capabilities ? { target: capabilities.target, capabilities } : {}),
      outbox: this.outbox.counts(),
      deadLetters: this.outbox.dead(),
      retrying: pending.filter((r) => r.attempts > 0),
      quarantined: this.quarantine.list('held').length,
      synced: this.outbox.syncedCount(),
    };
  }
}
