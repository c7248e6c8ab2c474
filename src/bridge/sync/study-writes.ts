/**
 * The archive writes StudySync makes for each study (findings, quarantine hold or clear, study →
 * Patient link), tagged with their study, so that a sync pass commits them only while it holds
 * the study's outbox claim (claim-renewal.ts), as it does the study's outbox completion and sync
 * record. While a pass syncs a study, that study's writes are kept by the pass (PassStudyWrites);
 * its commit adds them to the journal after the claims' check, each guarded by its claim. A study
 * no pass holds (StudySync used on its own) writes straight into the journal.
 */
import type { Awaitable } from './awaitable.js';
import type { BridgeWriteJournal } from './write-journal.js';

/** Where StudySync puts its archive writes: each with the study it is for; flush commits them. */
export interface ArchiveWrites {
  add(op: () => Awaitable<void>, studyUid: string): void;
  flush(): Awaitable<void>;
}

/** The writes of the studies of one pass, kept until its commit. */
export class PassStudyWrites {
  private kept: [studyUid: string, op: () => Awaitable<void>][] = [];
  constructor(
    private readonly router: StudyWritesRouter,
    readonly studyUids: readonly string[],
  ) {}

  keep(studyUid: string, op: () => Awaitable<void>): void {
    this.kept.push([studyUid, op]);
  }

  /** The kept writes, in the order they were made; the studies' writes go to the journal again. */
  take(): [studyUid: string, op: () => Awaitable<void>][] {
    this.router.release(this);
    const kept = this.kept;
    this.kept = [];
    return kept;
  }
}

/** StudySync's ArchiveWrites of a sync worker: to the pass syncing the study, else to the journal. */
export class StudyWritesRouter implements ArchiveWrites {
  private readonly passes = new Map<string, PassStudyWrites>();

  constructor(private readonly journal: Pick<BridgeWriteJournal, 'add' | 'flush'>) {}

  add(op: () => Awaitable<void>, studyUid: string): void {
    const pass = this.passes.get(studyUid);
    if (pass) pass.keep(studyUid, op);
    else this.journal.add(op);
  }

  flush(): Awaitable<void> {
    return this.journal.flush();
  }

  /** Keeps the writes for `studyUids` from now until the pass's take(). */
  open(studyUids: readonly string[]): PassStudyWrites {
    const pass = new PassStudyWrites(this, studyUids);
    for (const uid of studyUids) this.passes.set(uid, pass);
    return pass;
  }

  release(pass: PassStudyWrites): void {
    for (const uid of pass.studyUids) if (this.passes.get(uid) === pass) this.passes.delete(uid);
  }
}
