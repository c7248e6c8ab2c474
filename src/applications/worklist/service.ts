/**
 * The worklist: an in-memory index of every ImagingStudy on our server with its base score,
 * kept current by FHIR writes (only the studies a write concerns are read and scored again), and
 * answered with aging added at read time. Changes are pushed to subscribers as events.
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { allowAll, type AccessPolicy } from '../../context/index.js';
import { baseScore, type Score, time, withAging, type WorklistConfig } from '../../clinical/worklist/index.js';
import type { WriteEvent, WriteListener } from '../../fhir/repository/observed-repository.js';
import { notFound } from '../../core/errors.js';
import type { WorklistQuery } from './params.js';
import type { DicomStudyFacts, DicomStudyPort } from './ports.js';
import type { WorklistSource } from './source.js';
import { affectedByRecord } from './record-changes.js';
import { agingChangesAt, type RankedRow, Ranking } from './ranking.js';
import type { RecordPoller } from './record-poll.js';
import { itemView, studyFields, type WorklistItem } from './view.js';
import { compactStudy, StringTable } from './compact.js';
import { PatientContexts } from './patient-contexts.js';
import { type Entry, readByReport, StudyIndex } from './study-index.js';
import { VisibleRows } from './visible-rows.js';
import { affected } from './writes.js';

export interface WorklistEvent {
  type: 'added' | 're-scored' | 'moved' | 'read';
  studyInstanceUid: string;
  patientId?: string;
  rank?: number;
  previousRank?: number;
  item?: WorklistItem;
}

export interface WorklistServiceOptions {
  source: WorklistSource;
  dicom: DicomStudyPort;
  config: WorklistConfig;
  onWrite: (listener: WriteListener) => () => void;
  logger: Logger;
  now?: () => number;
  /** Writes arriving within this time are handled together (default 50 ms). */
  settleMs?: number;
  /** Time-bound signals (flag periods, triage age) are scored again this often (default 5 min). */
  refreshMs?: number;
  /** With an external record server: its changes, looked for every `pollMs`. */
  poller?: RecordPoller;
  pollMs?: number;
}

type Row = RankedRow<Entry>;
/** A page as rendered at a ranking generation: its JSON bytes up to the `generatedAt` value. */
type KeptPage = { generation: number; head: Buffer; total: number; patientIds: string[] };

/** One page of the list as the API answers it (UTF-8 JSON) and the patients it shows (for the audit record). */
export interface WorklistPage {
  body: Buffer;
  total: number;
  patientIds: string[];
}

const DICOM_UID = 'urn:dicom:uid';
/** Patients whose contexts the start-up load reads together (one search per kind). */
const CONTEXT_SLICE = 100;
/** Studies whose DICOM facts the start-up load reads together. */
const FACTS_SLICE = 500;
/** The start-up load's longest stretch of work without giving the event loop back to requests. */
const YIELD_AFTER_MS = 5;
const RANK_SLOT = ',"rank":-1';
const LEFT_OUT = new Set(['cancelled', 'entered-in-error']);
const uidOf = (s: ImagingStudy) => s.identifier?.find((i) => i.system === DICOM_UID)?.value?.replace(/^urn:oid:/, '');
const patientIdOf = (s: ImagingStudy) => /(?:^|\/)Patient\/([^/]+)$/.exec(s.subject?.reference ?? '')?.[1];

export class WorklistService {
  private readonly studies = new StudyIndex();
  /** The strings the kept studies and patients repeat, one copy each (compact.ts). */
  private readonly strings = new StringTable();
  private readonly contexts = new PatientContexts(this.strings);
  private readonly listeners = new Set<(e: WorklistEvent) => void>();
  /** The sorted lists, shared between callers and kept current study by study (ranking.ts). */
  private readonly rankings: Map<'unread' | 'all', Ranking<Entry>>;
  /** Unfiltered pages (no modality or date filter) per policy key, as rendered at a ranking generation. */
  private readonly pages = new Map<string, KeptPage>();
  /** Each policy's part of each sorted list, while its generation holds. */
  private readonly visibleRows = new VisibleRows<Row>();
  private readonly pendingStudies = new Set<string>();
  private readonly pendingPatients = new Set<string>();
  private readonly pendingOrders = new Set<string>();
  private timer?: NodeJS.Timeout;
  private refresher?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private pollStarted = false;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe?: () => void;
  private closed = false;
  readonly now: () => number;

  constructor(private readonly o: WorklistServiceOptions) {
    this.now = o.now ?? Date.now;
    const rowOf = (entry: Entry, at: number): Row => {
      const s = withAging(entry.base, entry.since, `ImagingStudy/${entry.id}`, this.o.config, at);
      const changesAt = agingChangesAt(entry.since, entry.base.routine, this.o.config.aging, at);
      return { entry, s, overridden: s.overridden, score: s.score, since: entry.since, key: entry.uid, changesAt };
    };
    const entries = () => this.studies.values();
    this.rankings = new Map([
      ['unread', new Ranking<Entry>({ entries, includes: (e) => !e.read, rowOf })],
      ['all', new Ranking<Entry>({ entries, includes: () => true, rowOf })],
    ]);
  }

  get config(): WorklistConfig {
    return this.o.config;
  }

  /** Subscribes to writes, then indexes every study (writes during the load are applied after it). */
  async start(): Promise<void> {
    this.unsubscribe = this.o.onWrite((events) => this.onWrite(events));
    // The record server's starting point is taken before it is read: nothing changed during the load is missed.
    if (this.o.poller) await this.startPoller();
    this.chain = this.chain.then(() => this.loadAll());
    this.refresher = setInterval(() => this.rescoreAll(), this.o.refreshMs ?? 300_000);
    this.refresher.unref();
    if (this.o.poller) {
      this.pollTimer = setInterval(() => void this.pollRecord(), this.o.pollMs ?? 5_000);
      this.pollTimer.unref();
    }
    await this.chain;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    clearInterval(this.refresher);
    clearInterval(this.pollTimer);
  }

  /** Resolves once every write seen so far has been applied. */
  async idle(): Promise<void> {
    while (this.timer || this.pendingStudies.size || this.pendingPatients.size) {
      await new Promise((r) => setTimeout(r, 10));
      await this.chain;
    }
    await this.chain;
  }

  subscribe(listener: (e: WorklistEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * `{ items, total, generatedAt }` as UTF-8 JSON. Under many readers the same items are answered
   * again and again: each is rendered once per sorted list and rank (itemJson), and an unfiltered
   * page is kept as bytes per policy key until its list changes (only `generatedAt` is added per read).
   */
  list(q: WorklistQuery, policy: AccessPolicy): WorklistPage {
    const now = this.now();
    const ranked = this.ranked(q.status, policy, now);
    const policyKey = policy === allowAll ? '' : policy.cacheKey;
    const plain = policyKey !== undefined && !q.modalities && q.since === undefined;
    const key = `${policyKey}\n${q.status} ${q.offset} ${q.limit}`;
    const generation = this.rankings.get(q.status)!.generation;
    const kept = plain ? this.pages.get(key) : undefined;
    if (kept?.generation === generation) return this.pageJson(kept, now);
    const filtered =
      !q.modalities && q.since === undefined
        ? ranked
        : ranked.filter(
            ({ entry }) =>
              (!q.modalities || studyFields(entry.study).modality.some((m) => q.modalities!.includes(m))) &&
              (q.since === undefined || (time(entry.study.started) ?? entry.since ?? 0) >= q.since),
          );
    const page = filtered.slice(q.offset, q.offset + q.limit);
    const items = page.map((row, i) => this.itemJson(row, q.offset + i + 1));
    const patientIds = [...new Set(page.flatMap((r) => (r.entry.patientId ? [r.entry.patientId] : [])))];
    const head = Buffer.from(`{"items":[${items.join(',')}],"total":${filtered.length},"generatedAt":"`);
    const rendered = { generation, head, total: filtered.length, patientIds };
    if (plain) {
      // Pages asked for are few (policies × offset/limit pairs); the bound keeps odd clients from growing it.
      if (this.pages.size >= 64 && !this.pages.has(key)) this.pages.clear();
      this.pages.set(key, rendered);
    }
    return this.pageJson(rendered, now);
  }

  private pageJson(p: KeptPage, now: number): WorklistPage {
    const body = Buffer.concat([p.head, Buffer.from(`${new Date(now).toISOString()}"}`, 'latin1')]);
    return { body, total: p.total, patientIds: p.patientIds };
  }

  /** The row's item as JSON: rendered once per row (a row is replaced when its study changes), the rank spliced in. */
  private itemJson(row: Row, rank: number): string {
    if (!row.json) {
      const text = JSON.stringify(this.view(row.entry, -1, 0, row.s));
      // `"rank":` cannot occur inside a JSON string (its quotes would be escaped).
      const at = text.indexOf(RANK_SLOT);
      row.json = { head: text.slice(0, at + RANK_SLOT.length - 2), tail: text.slice(at + RANK_SLOT.length) };
    }
    return `${row.json.head}${rank}${row.json.tail}`;
  }

  /** One study with its explanation; its rank among the unread (among all once read). */
  item(uid: string, policy: AccessPolicy): WorklistItem {
    const entry = this.studies.withUid(uid);
    if (!entry || !this.visible(entry, policy)) throw notFound(`no study ${uid} on the worklist`);
    const now = this.now();
    const rows = this.ranked(entry.read ? 'all' : 'unread', policy, now);
    const at = rows.findIndex((x) => x.entry === entry);
    return this.view(entry, at + 1, now, rows[at]?.s);
  }

  /** Patient of a study on the list (for audit records and event filtering). */
  patientOf(uid: string): string | undefined {
    return this.studies.withUid(uid)?.patientId;
  }

  private visible(e: Entry, policy: AccessPolicy): boolean {
    return (!e.patientId || policy.canSeePatient(e.patientId)) && policy.canSee(e.study as never);
  }

  /** The caller's part of the sorted list (the sorting is shared between callers, the filtering between equal policies). */
  private ranked(status: 'unread' | 'all', policy: AccessPolicy, now: number): readonly Row[] {
    const ranking = this.rankings.get(status)!;
    const rows = ranking.sorted(now);
    // `--auth none`: every row is visible; no per-row check over the whole list on each read.
    if (policy === allowAll) return rows;
    // The generation is read after sorted(): aging may have moved rows.
    return this.visibleRows.of(status, ranking.generation, rows, policy, (r) => this.visible(r.entry, policy));
  }

  private view(e: Entry, rank: number, now: number, scored?: Score): WorklistItem {
    const s = scored ?? withAging(e.base, e.since, `ImagingStudy/${e.id}`, this.o.config, now);
    const ctx = e.patientId ? this.contexts.get(e.patientId) : undefined;
    return itemView(e, rank, s, ctx, this.o.source.record?.base);
  }

  // ---- keeping the index current ----

  /**
   * Every study and its patient's context, read in slices of one request at a time (the patients'
   * contexts together per slice): the load holds at most one connection of the store, and the
   * requests served meanwhile wait behind at most one of its statements, never a queue of them.
   */
  private async loadAll(): Promise<void> {
    const studies = await this.o.source.studies();
    const patients = [...new Set(studies.map(patientIdOf).filter((p): p is string => !!p))];
    for (let i = 0; i < patients.length && !this.closed; i += CONTEXT_SLICE)
      for (const [p, c] of await this.o.source.patientContexts(patients.slice(i, i + CONTEXT_SLICE)))
        this.contexts.set(p, c);
    for (let i = 0; i < studies.length && !this.closed; i += FACTS_SLICE) {
      const slice = studies.slice(i, i + FACTS_SLICE);
      const uids = slice.map(uidOf).filter((u): u is string => !!u);
      const facts = this.o.dicom.factsOf ? await this.o.dicom.factsOf(uids) : undefined;
      let since = performance.now();
      for (const s of slice) {
        if (this.closed) return;
        // With its facts read, a study's indexing is mostly synchronous scoring (its order, when it has
        // none to look up, resolves at once): the event loop is given back to I/O every few ms.
        await this.index(s, facts);
        if (performance.now() - since >= YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          since = performance.now();
        }
      }
    }
    this.o.logger.info({ studies: this.studies.size, patients: patients.length }, 'worklist indexed');
  }

  /** (Re)reads a study's order and DICOM facts (unless `facts` were read for its slice) and scores it. */
  private async index(study: ImagingStudy, facts?: Map<string, DicomStudyFacts>): Promise<Entry | undefined> {
    const uid = uidOf(study);
    if (!study.id || !uid || LEFT_OUT.has(study.status)) {
      if (study.id) this.remove(study.id);
      return undefined;
    }
    const patientId = patientIdOf(study);
    if (patientId && !this.contexts.has(patientId))
      this.contexts.set(patientId, await this.o.source.patientContext(patientId));
    const order = await this.o.source.order(
      study,
      patientId ? this.contexts.get(patientId)?.recordPatientId : undefined,
    );
    const dicom = facts ? facts.get(uid) : await this.o.dicom.facts(uid);
    const entry: Entry = {
      id: study.id,
      uid,
      // What the rules, the item and the order lookup read, not the whole resource (compact.ts).
      study: compactStudy(study, this.strings),
      ...(patientId ? { patientId } : {}),
      ...(order ? { order } : {}),
      ...(dicom ? { dicom } : {}),
      base: { terms: [], overridden: false, routine: true },
      read: false,
    };
    this.studies.put(entry);
    this.score(entry);
    return entry;
  }

  private remove(id: string): void {
    if (!this.studies.delete(id)) return;
    for (const r of this.rankings.values()) r.remove(id);
  }

  private score(e: Entry): void {
    const ctx = e.patientId ? this.contexts.get(e.patientId) : undefined;
    const priors = [...this.studies.ofPatient(e.patientId)]
      .filter((id) => id !== e.id)
      .map((id) => this.studies.get(id)!.study);
    const received = e.dicom?.received;
    const record = {
      study: e.study,
      ...(e.order ? { order: e.order } : {}),
      ...(e.dicom?.priority ? { dicomPriority: e.dicom.priority } : {}),
      encounters: ctx?.encounters ?? [],
      locations: ctx?.locations ?? new Map(),
      flags: ctx?.flags ?? [],
      observations: ctx?.observations ?? [],
      priors,
      ...(received !== undefined ? { received } : {}),
    };
    e.base = baseScore(record, this.o.config, this.now());
    e.since = received ?? time(e.study.started);
    e.read = readByReport(e, ctx?.reports ?? []);
    for (const r of this.rankings.values()) r.update(e);
  }

  private rescoreAll(): void {
    this.chain = this.chain.then(() => {
      // Sorted afresh at the next read rather than moved row by row.
      for (const r of this.rankings.values()) r.reset();
      for (const e of this.studies.values()) this.score(e);
    });
  }

  private onWrite(events: WriteEvent[]): void {
    if (this.closed) return;
    const a = affected(events, {
      patientOfResource: (ref) => this.contexts.holding(ref),
      studiesOfOrder: (ref) => this.studies.studiesOfOrder(ref),
      patientsAt: (ref) => this.contexts.at(ref),
      forgetLocation: (id) => this.o.source.forgetLocation(id),
      knownPatient: (id) => this.studies.hasPatient(id),
    });
    for (const s of a.studies) this.pendingStudies.add(s);
    for (const p of a.patients) this.pendingPatients.add(p);
    for (const s of a.orders) this.pendingOrders.add(s);
    if (!a.studies.length && !a.patients.length && !a.orders.length) return;
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.o.settleMs ?? 50);
  }

  private async startPoller(): Promise<void> {
    try {
      await this.o.poller!.start();
      this.pollStarted = true;
    } catch (err) {
      this.o.logger.warn({ err }, 'worklist: the record server could not be read; retrying at the next poll');
    }
  }

  /** Changes on the external record server → the patients and studies they concern, applied like our own writes. */
  private async pollRecord(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      if (!this.pollStarted) return await this.startPoller();
      const changes = await this.o.poller!.changes();
      const a = affectedByRecord(changes, {
        linkedTo: (id) => this.contexts.linkedTo(id),
        sharingIdentifier: (tokens) => this.contexts.sharingIdentifier(tokens),
        studiesOfOrder: (request) => this.studies.studiesOfOrder(request),
        patientsAt: (ref) => this.contexts.at(ref),
        forgetLocation: (id) => this.o.source.forgetLocation(id),
      });
      for (const p of a.patients) this.pendingPatients.add(p);
      for (const s of a.orders) this.pendingOrders.add(s);
      // Patients whose record could not be read are read again each time.
      for (const p of this.contexts.failed()) this.pendingPatients.add(p);
      if ((this.pendingPatients.size || this.pendingOrders.size) && !this.timer)
        this.timer = setTimeout(() => this.flush(), this.o.settleMs ?? 50);
    } catch (err) {
      this.o.logger.warn({ err }, 'worklist: polling the record server failed');
    } finally {
      this.polling = false;
    }
  }

  private flush(): void {
    this.timer = undefined;
    const studies = [...this.pendingStudies];
    const patients = [...this.pendingPatients];
    const orders = [...this.pendingOrders];
    this.pendingStudies.clear();
    this.pendingPatients.clear();
    this.pendingOrders.clear();
    this.chain = this.chain
      .then(() => this.apply(studies, patients, orders))
      .catch((err: unknown) => this.o.logger.warn({ err }, 'worklist update failed'));
  }

  private async apply(studyIds: string[], patientIds: string[], orderStudies: string[]): Promise<void> {
    if (this.closed) return;
    const now = this.now();
    const unread = this.rankings.get('unread')!;
    // A copy of the references (the list is kept in place): the ranks before, looked up only for the studies touched.
    const before = unread.sorted(now).slice();
    const wasRead = new Map<string, boolean>();
    for (const e of this.studies.values()) wasRead.set(e.id, e.read);
    const touched = new Set<string>();
    // The changed patients' contexts read together (one search per kind on our server), as the load does.
    if (patientIds.length)
      for (const [p, c] of await this.o.source.patientContexts(patientIds)) this.contexts.set(p, c);
    for (const p of patientIds) for (const id of this.studies.ofPatient(p)) touched.add(id);
    const read = new Map<string, ImagingStudy | undefined | { failed: unknown }>();
    for (const id of new Set([...studyIds, ...orderStudies])) {
      try {
        read.set(id, await this.o.source.study(id));
      } catch (err) {
        read.set(id, { failed: err });
      }
    }
    const { facts } = await this.prefetch([...read.values()].filter((s): s is ImagingStudy => !!s && !('failed' in s)));
    for (const [id, study] of read) {
      let entry: Entry | undefined;
      try {
        if (study && 'failed' in study) throw study.failed;
        entry = study ? await this.index(study, facts) : undefined;
        if (!study) this.remove(id);
      } catch (err) {
        // One study that cannot be read stays as it was; the rest of the batch goes on.
        this.o.logger.warn({ err, study: id }, 'worklist could not index a study');
        continue;
      }
      // Another study of the patient is a prior (or no longer one) of the rest.
      for (const other of this.studies.ofPatient(entry?.patientId)) touched.add(other);
      if (entry) touched.add(entry.id);
    }
    for (const id of touched) {
      const e = this.studies.get(id);
      if (e) this.score(e);
    }
    // The reads above took time: the ranks after are the list's at this moment (a later tick is not sorted twice).
    const after = this.now();
    for (const id of touched) {
      const e = this.studies.get(id);
      if (!e) continue;
      const rank = unread.rankOf(id, after);
      const at = before.findIndex((r) => r.entry.id === id);
      const previousRank = at < 0 ? undefined : at + 1;
      const type: WorklistEvent['type'] = !wasRead.has(id)
        ? 'added'
        : e.read && !wasRead.get(id)
          ? 'read'
          : previousRank !== rank
            ? 'moved'
            : 're-scored';
      this.emit({
        type,
        studyInstanceUid: e.uid,
        ...(e.patientId ? { patientId: e.patientId } : {}),
        ...(rank !== undefined ? { rank } : {}),
        ...(previousRank !== undefined ? { previousRank } : {}),
        item: this.view(e, rank ?? 0, after),
      });
    }
  }

  /**
   * What indexing these studies will ask for, read together: the contexts of patients the list
   * does not know yet (one search per kind, not six per patient) and the DICOM facts (one read).
   * A failed read leaves each study to read its own (index), so its failure stays that study's.
   */
  private async prefetch(studies: ImagingStudy[]): Promise<{ facts?: Map<string, DicomStudyFacts> }> {
    const unknown = [...new Set(studies.map(patientIdOf))].filter((p): p is string => !!p && !this.contexts.has(p));
    if (unknown.length > 1)
      try {
        for (const [p, c] of await this.o.source.patientContexts(unknown)) this.contexts.set(p, c);
      } catch {
        // read patient by patient in index()
      }
    const uids = studies.map(uidOf).filter((u): u is string => !!u);
    if (uids.length < 2 || !this.o.dicom.factsOf) return {};
    try {
      return { facts: await this.o.dicom.factsOf(uids) };
    } catch {
      return {};
    }
  }

  private emit(e: WorklistEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.warn({ err }, 'worklist event listener failed');
      }
    }
  }
}
