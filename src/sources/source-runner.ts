/**
 * Watches one source: every pollSeconds it queries the StudyDate look-back window (a full
 * reconcile over reconcileDays every reconcileHours), decides per study whether it changed
 * (plan.ts), and brings the missing instances over — as copies, or as index rows whose bytes
 * stay in the PACS (metadata-only). Polls never overlap; state goes to the database.
 */
import type { Logger } from 'pino';
import { isRemoteKey } from '../archive/remote.js';
import type { InstanceScope, StoredInstance, StoreOutcome } from '../archive/types.js';
import type { DicomJson } from '../dicom/types.js';
import type { RemoteInstance, RemotePacs, RemoteStudy } from './pacs.js';
import { dateDaysBefore, needsSync, retrievalUnits, retryDelayMs } from './plan.js';
import type { SourceSettings } from './settings.js';
import type { SourceStateStore } from './state-store.js';
import type { StudyLocks } from './study-locks.js';

/** What a runner needs of the archive. */
export interface SourceArchive {
  instances(scope: InstanceScope): Promise<StoredInstance[]>;
  indexRemote(json: DicomJson, ctx: { source: string }): Promise<StoreOutcome>;
  /** Instances we hold of a study (local or remote rows). */
  heldCount(studyUid: string): Promise<number>;
}

export interface RunnerDeps {
  pacs: RemotePacs;
  archive: SourceArchive;
  state: SourceStateStore;
  locks: StudyLocks;
  logger: Logger;
  clock: () => number;
}

export class SourceRunner {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = true;
  nextPollAt: number | undefined;

  constructor(
    readonly settings: SourceSettings,
    private readonly d: RunnerDeps,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.nextPollAt = this.d.clock() + delayMs;
    this.timer = setTimeout(() => {
      this.current = this.poll().finally(() => {
        this.current = undefined;
        this.schedule(this.settings.pollSeconds * 1000);
      });
    }, delayMs);
  }

  /** One poll (or reconcile); errors are recorded, never thrown. */
  async poll(): Promise<void> {
    const s = this.settings;
    const now = this.d.clock();
    let reconcile = false;
    let from: string | undefined;
    try {
      const row = await this.d.state.source(s.name);
      reconcile = row?.lastReconcileAt == null || now - row.lastReconcileAt >= s.reconcileHours * 3_600_000;
      from =
        reconcile && s.reconcileDays === 0
          ? undefined
          : dateDaysBefore(new Date(now), reconcile ? s.reconcileDays : s.lookbackDays);
      const studies = await this.d.pacs.findStudies(from);
      const todo: RemoteStudy[] = [];
      await this.d.state.seen(s.name, studies, now);
      for (const study of studies) {
        const state = await this.d.state.study(s.name, study.studyUid);
        if (
          !this.d.locks.busy(study.studyUid) &&
          needsSync(study, state, await this.d.archive.heldCount(study.studyUid), reconcile, now)
        )
          todo.push(study);
      }
      await eachLimited(todo, s.concurrency, (study) => this.sync(study));
      await this.d.state.pollFinished(s.name, { at: now, windowFrom: from, reconcile });
      if (todo.length > 0)
        this.d.logger.info({ source: s.name, reconcile, seen: studies.length, synced: todo.length }, 'source polled');
    } catch (e) {
      // The state store itself may be what failed (a database away): logged either way.
      await this.d.state
        .pollFinished(s.name, { at: now, windowFrom: from, reconcile, error: (e as Error).message })
        .catch(() => undefined);
      this.d.logger.warn({ source: s.name, err: (e as Error).message }, 'source poll failed');
    }
  }

  /** Brings one study up to date; a failure is recorded with a back-off. */
  private sync(study: RemoteStudy): Promise<void> {
    const s = this.settings;
    return this.d.locks.run(study.studyUid, async () => {
      const started = this.d.clock();
      await this.d.state.fetching(s.name, study.studyUid, started);
      let fetched = 0;
      try {
        const remote = await this.d.pacs.instancesOf(study);
        const held = () => this.heldSops(study.studyUid, s.mode === 'copy');
        const heldBefore = await held();
        const missing = remote.filter((i) => !heldBefore.has(i.sopUid));
        if (s.mode === 'copy') {
          const units = retrievalUnits(study.studyUid, remote, heldBefore);
          fetched = (await this.d.pacs.retrieve(units, sopClassesOf(remote))).stored;
        } else if (missing.length > 0) {
          for (const json of await this.d.pacs.metadataOf(study, missing)) {
            if ((await this.d.archive.indexRemote(json, { source: s.name })).kind === 'stored') fetched++;
          }
        }
        const heldAfter = await held();
        const absent = remote.filter((i) => !heldAfter.has(i.sopUid)).length;
        if (absent > 0) throw new Error(`${absent} of ${remote.length} instances did not arrive`);
        await this.d.state.done(s.name, study.studyUid, {
          instances: study.instances ?? remote.length,
          series: study.series ?? new Set(remote.map((i) => i.seriesUid)).size,
          fetched,
          dicomwebUrl: s.mode === 'metadata-only' ? this.d.pacs.dicomwebUrl : undefined,
          now: this.d.clock(),
        });
      } catch (e) {
        const attempts = (await this.d.state.study(s.name, study.studyUid))?.attempts ?? 0;
        const now = this.d.clock();
        await this.d.state.failed(s.name, study.studyUid, {
          error: (e as Error).message,
          retryAt: now + retryDelayMs(attempts, s.pollSeconds * 1000),
          fetched,
          now,
        });
        this.d.logger.warn({ source: s.name, err: (e as Error).message }, 'study sync failed');
      }
    });
  }

  /**
   * Metadata-only: bring the bytes of these remote instances into the archive now (a WADO-RS
   * request on our side asked for them). Serialised with the study's sync.
   */
  async fetchOnDemand(instances: StoredInstance[]): Promise<void> {
    const byStudy = new Map<string, StoredInstance[]>();
    for (const i of instances) byStudy.set(i.studyUid, [...(byStudy.get(i.studyUid) ?? []), i]);
    for (const [studyUid, wanted] of byStudy) {
      await this.d.locks.run(studyUid, async () => {
        const all = await this.d.archive.instances({ studyUid });
        const stillRemote = new Set(all.filter((i) => isRemoteKey(i.blobKey)).map((i) => i.sopUid));
        const todo = wanted.filter((i) => stillRemote.has(i.sopUid));
        if (todo.length === 0) return;
        const want = new Set(todo.map((i) => i.sopUid));
        const others = new Set(all.filter((i) => !want.has(i.sopUid)).map((i) => i.sopUid));
        const units = retrievalUnits(
          studyUid,
          all.map((i) => ({ seriesUid: i.seriesUid, sopUid: i.sopUid })),
          others,
        );
        await this.d.pacs.retrieve(units, [...new Set(todo.map((i) => i.sopClassUid))]);
      });
    }
  }

  private async heldSops(studyUid: string, localOnly: boolean): Promise<Set<string>> {
    return new Set(
      (await this.d.archive.instances({ studyUid }))
        .filter((i) => !localOnly || !isRemoteKey(i.blobKey))
        .map((i) => i.sopUid),
    );
  }
}

function sopClassesOf(remote: RemoteInstance[]): string[] {
  return [...new Set(remote.map((i) => i.sopClassUid).filter((c): c is string => Boolean(c)))];
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
