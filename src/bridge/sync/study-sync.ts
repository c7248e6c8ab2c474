/**
 * One study, archive → FHIR: load its visible instances, normalize with the source's profile,
 * hold it in quarantine on error findings (unless a person released it), match the Patient,
 * map, merge with the stored ImagingStudy (elements the bridge does not own survive) and
 * write only when something changed. A study with nothing left, or rejected by a person,
 * becomes entered-in-error. Every finding is recorded; none is silent.
 *
 * Studies are synced in batches (syncBatch): each is prepared on its own, their writes go to
 * the FHIR server in one transaction Bundle, and their findings and holds are collected for
 * one archive commit by the caller (write-journal.ts) — a few commits per batch, not per study.
 */
import { eachLimited, yieldToLoop } from './each-limited.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { statusOf, type FhirClient } from '../../fhir/client/index.js';
import { openResource, type FhirResource } from '../../fhir/types.js';
import type { DicomJson } from '../../dicom/types.js';
import {
  mapImagingStudy,
  dicomWebBase,
  mapPatient,
  mergeImagingStudy,
  type Endpoint,
  type ImagingStudy,
  type MappedPatient,
  type Patient,
  type Reference,
} from '../mapping/index.js';
import { deepEqual } from '../mapping/deep-equal.js';
import { normalizeStudy, type Finding } from '../normalize/index.js';
import { identifierToken, matchPatient } from '../patients/patient-matcher.js';
import type { QuarantineRecords, QuarantineState } from '../quarantine/quarantine-store.js';
import { andThen, type Awaitable } from './awaitable.js';
import type { CapabilityMonitor } from './capability-monitor.js';
import { sourceSettings, type BridgeConfig } from './config.js';
import { KeyedLock } from './keyed-lock.js';
import {
  ensureEndpoint,
  findEndpoint,
  findImagingStudy,
  patientIdOf,
  writeStudies,
  writeStudy,
  WriteRace,
  type StudyWrite,
  type Written,
} from './fhir-writes.js';
import { ingestFindingsOf } from './ingest-findings.js';
import type { StudyInstance, StudyRead, StudyReader } from './study-instances.js';
import type { ArchiveWrites } from './study-writes.js';
import { eachOnItsOwn } from './write-journal.js';
import { findingsOf, InvalidResourceError, validateBeforeWrite } from './validate-before-write.js';
import { isTransient, RetryLater } from './failures.js';
import { planSrResults, writeSrResults, type SrPlan } from './sr-results.js';

export type SyncOutcome =
  | { kind: 'written'; id: string; versionId?: string; instances: number }
  | { kind: 'unchanged'; id: string; instances: number }
  | { kind: 'quarantined'; reasons: Finding[] }
  | { kind: 'retired'; id?: string }
  | { kind: 'rejected'; id?: string };

/** What the sync of one study of a batch came to: its outcome, or the error that stopped it. */
export type StudyResult =
  | { studyUid: string; outcome: SyncOutcome; error?: undefined }
  | { studyUid: string; error: unknown; outcome?: undefined };

/** The bridge's writes to the archive database (findings, holds, links), each for its study: collected, committed by the caller (study-writes.ts, write-journal.ts). */
export type { ArchiveWrites } from './study-writes.js';

/**
 * The study → Patient links as the sync reads and writes them: StudyPatientLinks on SQLite
 * (synchronous, so its writes run inside the journal's transaction), PgStudyLinks on PostgreSQL
 * (routed through the bridge stores' PgBridgeDb: its writes join the journal's transaction too).
 */
export interface StudyLinkRows {
  /** The archive's patient row of a study now (undefined: not archived). */
  patientRowOf(studyUid: string): Awaitable<number | undefined>;
  record(studyUid: string, patientPk: number, fhirPatient: string, now?: number): Awaitable<void>;
  forget(studyUid: string): Awaitable<void>;
}

export interface StudySyncPorts {
  /** The study's visible instances and ingest notes, from the archive index. */
  reader: StudyReader;
  /** Which Patient each study belongs to (study-links.ts). */
  links: StudyLinkRows;
  client: FhirClient;
  quarantine: QuarantineRecords;
  capabilities: CapabilityMonitor;
  config: BridgeConfig;
  /** Our DICOMweb base URL (publicUrl + /dicomweb), for the Endpoint. */
  dicomWebBase: string;
  /**
   * Instances from a DICOMweb source (archive `source` `source:<name>`): the PACS's base URL and
   * whether the Endpoint names it (`source`) or ours. Absent: every Endpoint is ours.
   */
  sourceDicomweb?: SourceDicomweb;
  /** The data-quality log channel. */
  dataQualityLog: Logger;
  /** Where findings and holds go; without it each is written on its own when the pass is flushed. */
  writes?: ArchiveWrites;
}

export type SourceDicomweb = (instanceSource: string) => { url: string; endpoint: 'ours' | 'source' } | undefined;

const MAX_RACES = 4;

type Settings = ReturnType<typeof sourceSettings>;

/** A study past normalization, ready to be linked to its Patient and written. */
interface Linkable {
  studyUid: string;
  order: number;
  normalized: DicomJson[];
  findings: Finding[];
  header: MappedPatient;
  token: string;
  /** The archive's patient row (PatientID + issuer) of the study when its instances were read. */
  patientPk: number | undefined;
  settings: Settings;
  /** DICOMweb base URLs: the one the Endpoint names, and the other services holding the images (references to replace). */
  endpoints: { chosen: string; others: string[] };
  override: boolean;
  /** The quarantine state the sync started from (a hold is not recorded over a decision taken meanwhile). */
  decided: QuarantineState | undefined;
  races: number;
}

/** A study mapped and merged: `write` is absent when its ImagingStudy is unchanged (`unchangedId`). */
interface Planned {
  study: Linkable;
  sr: SrPlan;
  findings: Finding[];
  instances: number;
  write?: StudyWrite;
  unchangedId?: string;
  /** The Patient id the unchanged ImagingStudy's subject refers to. */
  unchangedPatient?: string;
  /** Refers to the Patient another write of the same Bundle creates. */
  sharesPatient?: boolean;
}

type WriteResult = { written: Written } | { race: true } | { error: unknown };

const isRace = (e: unknown): boolean => e instanceof WriteRace || statusOf(e) === 412;

export class StudySync {
  /** Endpoints by DICOMweb base: made (created if none) and looked up (never created). */
  private readonly endpointsMade = new Map<string, Promise<Reference<Endpoint>>>();
  private readonly endpointsFound = new Map<string, Promise<Reference<Endpoint> | undefined>>();
  private readonly patients = new KeyedLock();
  private readonly writes: ArchiveWrites;
  private readonly links: StudyLinkRows;

  constructor(private readonly ports: StudySyncPorts) {
    this.writes = ports.writes ?? eachOnItsOwn();
    this.links = ports.links;
  }

  /** One study on its own (its findings and hold committed before it returns); throws what stopped it. */
  async sync(studyUid: string): Promise<SyncOutcome> {
    const [result] = await this.syncBatch([studyUid]);
    await this.writes.flush();
    if (result!.error !== undefined || !result!.outcome) throw result!.error;
    return result!.outcome;
  }

  /**
   * Several studies in one pass: each is loaded, normalized and mapped on its own, and all
   * that need writing go to the FHIR server together — one transaction Bundle (one commit)
   * when it takes transactions. Studies of one patient that would both create or change that
   * Patient go in the next round of the pass, as do those that lost a write race. Findings
   * and holds go to `ports.writes` (committed by the caller, after this resolves). Never
   * throws: one result per study, in the order of `studyUids`.
   */
  async syncBatch(studyUids: string[]): Promise<StudyResult[]> {
    const results = new Map<string, StudyResult>();
    let linkable: Linkable[] = [];
    const order = new Map(studyUids.map((uid, i) => [uid, i]));
    const read = await this.readPass([...order.keys()]);
    await eachLimited([...order.keys()], this.ports.config.concurrency, async (studyUid) => {
      try {
        const r = await this.prepare(studyUid, order.get(studyUid)!, read?.get(studyUid));
        if ('kind' in r) results.set(studyUid, { studyUid, outcome: r });
        else linkable.push(r);
      } catch (e) {
        results.set(studyUid, { studyUid, error: e });
      }
    });
    linkable.sort((a, b) => a.order - b.order);
    while (linkable.length) {
      linkable = await this.round(linkable, results);
      if (linkable.length) await yieldToLoop();
    }
    return [...order.keys()].map(
      (studyUid) => results.get(studyUid) ?? { studyUid, error: new Error('study not synced') },
    );
  }

  /**
   * The archive reads of every study of the pass at once, where the reader takes them together
   * (StudyReader.studies: PostgreSQL, a few statements instead of a few per study). Undefined:
   * each study reads its own (SQLite; a pass of one; a failed read, which each study then meets
   * as its own error).
   */
  private async readPass(studyUids: string[]): Promise<Map<string, StudyRead> | undefined> {
    const { reader } = this.ports;
    if (!reader.studies || studyUids.length < 2) return undefined;
    try {
      return await reader.studies(studyUids);
    } catch {
      return undefined;
    }
  }

  /**
   * Up to normalization: what needs no Patient (rejected, retired, held on normalization findings)
   * ends here. `read`: the study as the pass read it; a retry after a race reads it again.
   */
  private async prepare(studyUid: string, order: number, read?: StudyRead): Promise<SyncOutcome | Linkable> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.prepareOnce(studyUid, order, attempt === 1 ? read : undefined);
      } catch (e) {
        // Someone else wrote between our read and our write (retire): read again.
        if (!isRace(e) || attempt >= MAX_RACES) throw e;
      }
    }
  }

  private async prepareOnce(studyUid: string, order: number, read?: StudyRead): Promise<SyncOutcome | Linkable> {
    const { reader, quarantine, config } = this.ports;
    const asked = read ? read.quarantine : quarantine.get(studyUid);
    const decision = asked instanceof Promise ? await asked : asked;
    if (decision?.state === 'rejected') {
      this.unlink(studyUid);
      return { kind: 'rejected', ...(await this.retire(studyUid)) };
    }
    // Asked together (SQLite: read with no await between, so the patient row the link will name is
    // the one of these instances; PostgreSQL: read in flight together, a change between them queues the study again).
    let stored: StudyInstance[];
    let patientPk: number | undefined;
    if (read) ({ instances: stored, patientPk } = read);
    else {
      const reading = reader.instances(studyUid);
      const patientRow = this.links.patientRowOf(studyUid);
      stored = reading instanceof Promise ? await reading : reading;
      patientPk = patientRow instanceof Promise ? await patientRow : patientRow;
    }
    if (stored.length === 0) {
      this.unlink(studyUid);
      this.writes.add(() => quarantine.clearHold(studyUid), studyUid);
      return { kind: 'retired', ...(await this.retire(studyUid)) };
    }
    const source = stored[0]!.source;
    const settings = sourceSettings(config, source);
    const normalized = normalizeStudy(
      stored.map((s) => s.json),
      { profile: settings, source: { aeTitle: source } },
    );
    const override = decision?.state === 'released';
    const notes = read ? read.notes : reader.ingestNotes(studyUid);
    const ingest = ingestFindingsOf(notes instanceof Promise ? await notes : notes, settings);
    const findings = ingest.length ? [...normalized.findings, ...ingest] : normalized.findings;
    const held = normalized.quarantine || ingest.some((f) => f.severity === 'error');
    if (held && !override) return this.hold(studyUid, findings, decision?.state);

    const header = mapPatient(normalized.instances[0]!, {
      issuerSystems: config.issuerSystems,
      defaultPatientSystem: settings.defaultPatientSystem,
    });
    return {
      studyUid,
      order,
      normalized: normalized.instances,
      findings,
      header,
      token: identifierToken(header),
      patientPk,
      settings,
      endpoints: this.endpointBases(stored.map((i) => i.source)),
      override,
      decided: decision?.state,
      races: 0,
    };
  }

  /**
   * One round: Patient matching through the write with every patient of the round locked
   * (studies of a patient one round at a time), the writes in one Bundle, then the SR results.
   * Returns the studies for the next round.
   */
  private round(studies: Linkable[], results: Map<string, StudyResult>): Promise<Linkable[]> {
    return this.patients.runAll(
      studies.map((s) => s.token),
      async () => {
        const fail = (s: Linkable, error: unknown) => results.set(s.studyUid, { studyUid: s.studyUid, error });
        let caps: Awaited<ReturnType<CapabilityMonitor['ensure']>>;
        try {
          caps = await this.ports.capabilities.ensure();
        } catch (e) {
          for (const s of studies) fail(s, e);
          return [];
        }
        const planned: Planned[] = [];
        await eachLimited(studies, this.ports.config.concurrency, async (s) => {
          try {
            const p = await this.plan(s);
            if ('kind' in p) results.set(s.studyUid, { studyUid: s.studyUid, outcome: p });
            else planned.push(p);
          } catch (e) {
            fail(s, e);
          }
        });
        planned.sort((a, b) => a.study.order - b.study.order);
        const { accepted, later } = combinePatientWrites(planned);
        const writing = accepted.filter((p) => p.write);
        const written = await this.writeAll(writing, caps.transaction);
        const again = later.map((p) => p.study);
        for (const p of accepted) {
          const s = p.study;
          const w = written.get(p);
          if (w && 'race' in w) {
            if (++s.races >= MAX_RACES) fail(s, new WriteRace('the ImagingStudy kept changing under the sync'));
            else again.push(s);
            continue;
          }
          if (w && 'error' in w) {
            if (isRace(w.error) && ++s.races < MAX_RACES) again.push(s);
            else fail(s, w.error);
            continue;
          }
          try {
            await this.srResults(s.studyUid, p.sr, p.findings, caps.transaction, s.settings.timezone);
          } catch (e) {
            if (isRace(e) && ++s.races < MAX_RACES) again.push(s);
            else fail(s, e);
            continue;
          }
          let outcome: SyncOutcome;
          if (w && 'written' in w) {
            const { patientId, ...stored } = w.written;
            this.link(s, patientId);
            outcome = { kind: 'written', ...stored, instances: p.instances };
          } else {
            this.link(s, p.unchangedPatient);
            outcome = { kind: 'unchanged', id: p.unchangedId!, instances: p.instances };
          }
          results.set(s.studyUid, { studyUid: s.studyUid, outcome });
        }
        return again.sort((a, b) => a.order - b.order);
      },
    );
  }

  /** Match the Patient, map, merge with the stored ImagingStudy: the write to do, a hold, or nothing to write. */
  private async plan(s: Linkable): Promise<Planned | SyncOutcome> {
    const { client, quarantine, config } = this.ports;
    const { studyUid, settings, override } = s;
    let findings = s.findings;
    // Asked beside the Patient's match (one wait for both instead of one after the other); its
    // failure counts only where its answer is used (a held study does not need it).
    const stored = findImagingStudy(client, studyUid);
    stored.catch(() => undefined);
    const match = await matchPatient(client, s.header, {
      policy: config.patientPolicy,
      mismatchSeverity: config.demographicMismatchSeverity,
    });
    findings = [...findings, ...match.findings];
    // Several matches or an unknown patient under require-existing: no override can pick a patient.
    if (match.kind === 'hold' || (!override && match.findings.some((f) => f.severity === 'error')))
      return this.hold(studyUid, findings, s.decided);

    const endpointRef = await this.endpointRef(s.endpoints.chosen);
    const ownedEndpoints = await this.otherEndpoints(s.endpoints.others);
    const patientUrn = `urn:uuid:${randomUUID()}`;
    const patientRef: Reference<Patient> =
      match.kind === 'create' ? { reference: patientUrn } : { reference: `Patient/${match.patient.id}` };
    const mapped = mapImagingStudy(s.normalized, {
      patientRef,
      endpointRef,
      issuerSystems: config.issuerSystems,
      defaultPatientSystem: settings.defaultPatientSystem,
      ...(settings.accessionSystem ? { accessionSystem: settings.accessionSystem } : {}),
      timezone: settings.timezone,
      status: 'available',
    });
    const sr = planSrResults(s.normalized);
    findings = [...findings, ...mapped.findings, ...sr.findings];
    this.record(studyUid, findings);

    const existing = await stored;
    const { resource, changed } = mergeImagingStudy(existing, mapped.imagingStudy, ownedEndpoints);
    const instances = resource.numberOfInstances ?? 0;
    const write: StudyWrite = { studyUid, imagingStudy: resource };
    if (existing) write.existing = existing;
    if (match.kind === 'create')
      write.createPatient = { resource: match.patient, identifier: match.identifier, fullUrl: patientUrn };
    if (match.kind === 'linked' && match.update) write.updatePatient = match.update;
    this.writes.add(() => quarantine.clearHold(studyUid), studyUid);
    if (existing && !changed && !write.updatePatient && !write.createPatient)
      return {
        study: s,
        sr,
        findings,
        instances,
        unchangedId: existing.id!,
        unchangedPatient: patientIdOf(existing.subject?.reference),
      };
    this.validate(studyUid, findings, [
      openResource(resource),
      ...(write.createPatient ? [write.createPatient.resource] : []),
      ...(write.updatePatient ? [write.updatePatient] : []),
    ]);
    return { study: s, sr, findings, instances, write };
  }

  /**
   * The writes of a round: one transaction Bundle for all when the target takes transactions.
   * When that Bundle fails on something one study may have caused (a 4xx, a version conflict),
   * each study is written on its own instead, so the others go through and the failure is
   * that study's; when the target is unwell (network, 5xx, 429) all of them retry later.
   */
  private async writeAll(planned: Planned[], transaction: boolean): Promise<Map<Planned, WriteResult>> {
    const out = new Map<Planned, WriteResult>();
    const one = async (p: Planned): Promise<void> => {
      try {
        out.set(p, { written: await writeStudy(this.ports.client, p.write!, transaction) });
      } catch (e) {
        out.set(p, e instanceof WriteRace ? { race: true } : { error: e });
      }
    };
    if (planned.length === 0) return out;
    if (!transaction || planned.length === 1) {
      for (const p of planned) await one(p);
      return out;
    }
    try {
      const written = await writeStudies(
        this.ports.client,
        planned.map((p) => p.write!),
      );
      planned.forEach((p, i) => {
        const w = written[i]!;
        out.set(p, w instanceof WriteRace ? { race: true } : { written: w });
      });
    } catch (e) {
      const status = statusOf(e);
      if (isTransient(e) && status !== 409 && status !== 412) {
        for (const p of planned) out.set(p, { error: e });
        return out;
      }
      for (const p of planned) {
        // Its Patient was to be created by another write of the Bundle: link again next round.
        if (p.sharesPatient) out.set(p, { race: true });
        else await one(p);
        await yieldToLoop();
      }
    }
    return out;
  }

  /** The study's TID 1500 reports as AI results (sr-results.ts), after its ImagingStudy; their findings join the study's. */
  private async srResults(
    studyUid: string,
    sr: SrPlan,
    findings: Finding[],
    transaction: boolean,
    timezone: string,
  ): Promise<void> {
    if (sr.reports.length === 0) return;
    try {
      const more = await writeSrResults(sr.reports, { client: this.ports.client, studyUid, transaction, timezone });
      if (more.length) this.record(studyUid, [...findings, ...more]);
    } catch (e) {
      if (e instanceof RetryLater) this.record(studyUid, [...findings, ...e.findings]);
      throw e;
    }
  }

  /** Nothing invalid is written: the study becomes a dead letter, its findings name the elements (validate-before-write.ts). */
  private validate(studyUid: string, findings: Finding[], resources: FhirResource[]): void {
    try {
      validateBeforeWrite(resources);
    } catch (e) {
      if (e instanceof InvalidResourceError) this.record(studyUid, [...findings, ...findingsOf(e)]);
      throw e;
    }
  }

  /**
   * Held (recorded with the pass's other writes). A person's decision taken since the sync
   * read the quarantine (release, reject) is not overwritten: it also queued the study again.
   */
  private hold(studyUid: string, findings: Finding[], decided: QuarantineState | undefined): SyncOutcome {
    const reasons = findings.filter((f) => f.severity === 'error');
    this.unlink(studyUid);
    this.record(studyUid, findings);
    const now = Date.now();
    const { quarantine } = this.ports;
    // Read again inside the journal's transaction (synchronous on SQLite: nothing runs in between).
    this.writes.add(
      () =>
        andThen(quarantine.get(studyUid), (entry) => {
          const state = entry?.state;
          if (state === undefined || state === 'held' || state === decided)
            return quarantine.hold(studyUid, reasons, now);
        }),
      studyUid,
    );
    this.ports.dataQualityLog.warn(
      { studyUid, reasons: reasons.map((r) => ({ rule: r.rule, tag: r.tag })) },
      'study held in quarantine',
    );
    return { kind: 'quarantined', reasons };
  }

  /**
   * The study now belongs to this Patient (study-links.ts), recorded with the pass's other
   * writes; without a Patient id or archive patient row it belongs to nobody.
   */
  private link(s: Linkable, patientId: string | undefined): void {
    const { studyUid, patientPk } = s;
    if (patientId === undefined || patientPk === undefined) return this.unlink(studyUid);
    const now = Date.now();
    this.writes.add(() => this.links.record(studyUid, patientPk, patientId, now), studyUid);
  }

  private unlink(studyUid: string): void {
    this.writes.add(() => this.links.forget(studyUid), studyUid);
  }

  /** Findings are stored with their values; the log says only which rules fired (values may be PHI). */
  private record(studyUid: string, findings: Finding[]): void {
    const now = Date.now();
    this.writes.add(() => this.ports.quarantine.recordFindings(studyUid, findings, now), studyUid);
    if (findings.length === 0) return;
    const bySeverity: Record<string, number> = {};
    for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    this.ports.dataQualityLog.info(
      { studyUid, findings: bySeverity, rules: [...new Set(findings.map((f) => f.rule))] },
      'data-quality findings recorded',
    );
  }

  /** Nothing of the study is left (or a person rejected it): its ImagingStudy, if any, becomes entered-in-error. */
  private async retire(studyUid: string): Promise<{ id?: string }> {
    const existing = await findImagingStudy(this.ports.client, studyUid);
    if (!existing) return {};
    if (existing.status === 'entered-in-error') return { id: existing.id! };
    const retired: ImagingStudy = { ...existing, status: 'entered-in-error', numberOfSeries: 0, numberOfInstances: 0 };
    delete retired.series;
    validateBeforeWrite([openResource(retired)]);
    await this.ports.client.update(retired, {
      ifMatch: existing.meta ? (existing.meta as { versionId?: string }).versionId : undefined,
    });
    return { id: existing.id! };
  }

  /**
   * Ours, unless every instance came from one DICOMweb source configured `endpoint: "source"`
   * (only ours serves instances of several origins). The other services that hold the images
   * are listed so that a reference to them, written under an earlier choice, is replaced.
   */
  private endpointBases(instanceSources: string[]): { chosen: string; others: string[] } {
    const ours = dicomWebBase(this.ports.dicomWebBase);
    const origins = new Set(instanceSources);
    const pacs = [...origins].flatMap((o) => {
      const d = this.ports.sourceDicomweb?.(o);
      return d ? [{ ...d, url: dicomWebBase(d.url) }] : [];
    });
    const only = origins.size === 1 ? pacs[0] : undefined;
    const chosen = only?.endpoint === 'source' ? only.url : ours;
    const others = [...new Set([ours, ...pacs.map((p) => p.url)])].filter((u) => u !== chosen);
    return { chosen, others };
  }

  private endpointRef(base: string): Promise<Reference<Endpoint>> {
    let made = this.endpointsMade.get(base);
    if (!made) {
      made = ensureEndpoint(this.ports.client, base).catch((e: unknown) => {
        this.endpointsMade.delete(base);
        throw e;
      });
      this.endpointsMade.set(base, made);
    }
    return made;
  }

  /** References to the Endpoints of these services that exist (made here or found), without creating any. */
  private async otherEndpoints(bases: string[]): Promise<string[]> {
    const refs = await Promise.all(
      bases.map((base) => {
        const made = this.endpointsMade.get(base);
        if (made) return made;
        let found = this.endpointsFound.get(base);
        if (!found) {
          found = findEndpoint(this.ports.client, base).catch((e: unknown) => {
            this.endpointsFound.delete(base);
            throw e;
          });
          this.endpointsFound.set(base, found);
        }
        return found;
      }),
    );
    return refs.flatMap((r) => (r?.reference ? [r.reference] : []));
  }
}

/**
 * Which planned studies of a round can share one Bundle. All were matched against the same
 * state of the server, so two studies of one patient that both found no Patient would both
 * create it: the second refers to the first one's Patient instead when it would create the
 * same resource, and otherwise (different demographics, a second update) waits for the next
 * round, where it finds the Patient the first one wrote — as if synced one after the other.
 */
export function combinePatientWrites<
  P extends { study: { token: string }; write?: StudyWrite; sharesPatient?: boolean },
>(planned: P[]): { accepted: P[]; later: P[] } {
  const accepted: P[] = [];
  const later: P[] = [];
  const patientWrite = new Map<string, { kind: 'create'; by: StudyWrite } | { kind: 'update' }>();
  for (const p of planned) {
    const w = p.write;
    const token = p.study.token;
    if (!w || (!w.createPatient && !w.updatePatient)) {
      accepted.push(p);
      continue;
    }
    const before = patientWrite.get(token);
    if (!before) {
      patientWrite.set(token, w.createPatient ? { kind: 'create', by: w } : { kind: 'update' });
      accepted.push(p);
    } else if (
      before.kind === 'create' &&
      w.createPatient &&
      !w.updatePatient &&
      deepEqual(w.createPatient.resource, before.by.createPatient!.resource)
    ) {
      w.imagingStudy = { ...w.imagingStudy, subject: { reference: before.by.createPatient!.fullUrl } };
      delete w.createPatient;
      p.sharesPatient = true;
      accepted.push(p);
    } else {
      later.push(p);
    }
  }
  return { accepted, later };
}
