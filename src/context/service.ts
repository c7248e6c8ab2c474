/**
 * The patient-context service: resolves the patient, runs every section's FHIR queries in
 * parallel (each with a timeout, each recorded in `sources`), and hands the results to the pure
 * assembly. Clinical data come from the configured server (the embedded one, or an external EHR
 * read only); imaging data (ImagingStudy, our DiagnosticReports) always from our own server.
 */
import {
  FhirClientError,
  FhirServerError,
  FhirTimeoutError,
  type FhirReader,
  type SearchParams,
} from '../fhir/client/index.js';
import { conflict, forbidden, notFound, OperationOutcomeError, outcome } from '../core/errors.js';
import type { Bundle, FhirResource } from '../fhir/types.js';
import { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
import { AnswerMemo, type MemoEntry } from './answer-memo.js';
import { allTyped } from './fhir-read.js';
import { type MedicationResource, recentStateChangesAt } from './medications.js';
import { assembleContext, type Assembled, type SectionData, type SourceRecord } from './assemble.js';
import { contextBundle } from './bundle.js';
import type { ContextRequest } from './params.js';
import { IMAGING_SECTIONS, type SectionName } from './sections.js';

export interface NamedServer {
  /** `embedded`, or the server's name in fhir.servers. */
  name: string;
  /** An HTTP FhirClient for an external server; a LocalFhirReader for the embedded one. */
  client: FhirReader;
}

export interface ContextServiceOptions {
  clinical: NamedServer;
  imaging: NamedServer;
  /** `${publicUrl}/dicomweb`. */
  dicomWebBase: string;
  /** Per query. */
  timeoutMs: number;
  /** Page size of each section query; more matches are reported as `truncated`. */
  maxPerSection: number;
  now?: () => number;
  /** JSON texts kept for reads that did not change (answer-memo.ts); 0: none. Default 512. */
  memoEntries?: number;
}

interface Query {
  section: SectionName | 'patient';
  server: NamedServer;
  type: string;
  params: [string, string][];
}

interface Gathered {
  patient: FhirResource;
  sources: SourceRecord[];
  queries: Query[];
  /** Each section query's Bundle (undefined: failed, timed out or denied), in query order. */
  bundles: (Bundle | undefined)[];
}

type Outcome = { bundle: Bundle; record: SourceRecord } | { bundle?: undefined; record: SourceRecord };

export class ContextService {
  private readonly now: () => number;
  private readonly sameServer: boolean;
  private readonly memo: AnswerMemo;
  private readonly requestTexts = new Map<string, string>();

  constructor(private readonly o: ContextServiceOptions) {
    this.now = o.now ?? Date.now;
    this.memo = new AnswerMemo(o.memoEntries ?? 512);
    this.sameServer = o.clinical.client === o.imaging.client || o.clinical.client.baseUrl === o.imaging.client.baseUrl;
  }

  /** The context as JSON document plus its resources; 404/409/403/502/504 as OperationOutcomeErrors. */
  async assemble(request: ContextRequest, policy: AccessPolicy): Promise<Assembled> {
    return this.build(await this.gather(request, policy), request, policy);
  }

  /**
   * The JSON document's text (exactly `JSON.stringify(assemble(…).context)`), the Patient's id and the
   * sections left out. Built from the same reads as an earlier answer (answer-memo.ts), the text up
   * to `sources` is that answer's; `sources` (with this request's durations) is always written anew.
   */
  async document(
    request: ContextRequest,
    policy: AccessPolicy,
  ): Promise<{ json: string; patientId?: string; omitted: string[] }> {
    const g = await this.gather(request, policy);
    const policyKey = policy === allowAll ? '' : policy.cacheKey;
    const key =
      policyKey === undefined
        ? undefined
        : `${policyKey}\n${g.patient.id}\n${request.since ?? ''}\n${request.studyLimit}\n${request.include.join(',')}`;
    const inputs = g.bundles.every((b) => b !== undefined) ? [g.patient, ...g.bundles] : undefined;
    const now = this.now();
    const kept = key !== undefined && inputs ? this.memo.get(key, inputs, now) : undefined;
    if (kept) return { json: `${kept.head},"sources":${JSON.stringify(g.sources)}}`, ...answerOf(kept) };
    const sections = this.sections(g, request);
    const { context } = this.build(g, request, policy, now, sections);
    const { sources, ...rest } = context;
    const text = JSON.stringify(rest);
    const head = text.slice(0, -1);
    const patientId = context.patient?.id;
    const omitted = request.include.filter((s) => Object.hasOwn(context, s) && context[s] === null);
    if (key !== undefined && inputs) {
      const medications = sections.medications;
      const validUntil = medications
        ? recentStateChangesAt(allTyped<MedicationResource>(medications.resources), { since: request.since, now })
        : Infinity;
      this.memo.set(key, { inputs, validUntil, head, omitted, ...(patientId ? { patientId } : {}) });
    }
    // `rest` without members (never: `patient` and `complete` are always there) would end in `{`.
    return { json: `${head},"sources":${JSON.stringify(sources)}}`, ...(patientId ? { patientId } : {}), omitted };
  }

  /** The patient, every section's query answers (their Bundles in query order) and the sources so far. */
  private async gather(request: ContextRequest, policy: AccessPolicy): Promise<Gathered> {
    const sources: SourceRecord[] = [];
    const patient = await this.resolvePatient(request, policy, sources);
    const imagingIds = this.sameServer ? [patient.id!] : await this.imagingPatientIds(patient, policy, sources);
    const queries = request.include.flatMap((s) => this.queriesFor(s, request, patient.id!, imagingIds));
    // The section queries start together: one timer gives each the same timeout as a timer of its own.
    const deadline = this.deadline();
    const results = await Promise.all(queries.map((q) => this.run(q, policy, deadline.promise))).finally(
      deadline.clear,
    );
    for (const r of results) sources.push(r.record);
    return { patient, sources, queries, bundles: results.map((r) => r.bundle) };
  }

  /** Each asked section's resources and included ones, from its queries' Bundles; null when one failed. */
  private sections(g: Gathered, request: ContextRequest): Partial<Record<SectionName, SectionData | null>> {
    const sections: Partial<Record<SectionName, SectionData | null>> = {};
    g.bundles.forEach((bundle, i) => {
      const section = g.queries[i].section as SectionName;
      const current = sections[section];
      if (!bundle) {
        if (current === undefined) sections[section] = null;
        return;
      }
      const data = current ?? { resources: [], included: [] };
      for (const e of bundle.entry ?? []) {
        if (!e.resource) continue;
        (e.search?.mode === 'include' ? data.included : data.resources).push(e.resource);
      }
      sections[section] = data;
    });
    // No query for a section means nothing to ask for (no imaging patient matched): empty, not failed.
    for (const s of request.include)
      if (sections[s] === undefined && !g.queries.some((q) => q.section === s))
        sections[s] = { resources: [], included: [] };
    return sections;
  }

  private build(
    g: Gathered,
    request: ContextRequest,
    policy: AccessPolicy,
    now = this.now(),
    sections = this.sections(g, request),
  ): Assembled {
    return assembleContext({
      patient: g.patient,
      sections,
      sources: g.sources,
      request,
      dicomWebBase: this.o.dicomWebBase,
      now,
      policy,
    });
  }

  /** The same content as a FHIR Bundle of type collection. */
  bundle(assembled: Assembled): Bundle {
    return contextBundle(assembled, this.o.clinical.client.baseUrl, new Date(this.now()).toISOString());
  }

  /**
   * The patient asked for. One that exists but is outside what the caller may see is answered
   * exactly like one that does not exist (404, same text): the answer does not tell whether a
   * patient id or MRN exists (docs/context-api.md). A hidden patient is thrown as HiddenPatient,
   * so that the audit record still names it.
   */
  private async resolvePatient(
    request: ContextRequest,
    policy: AccessPolicy,
    sources: SourceRecord[],
  ): Promise<FhirResource> {
    if (!policy.canRead('Patient')) throw forbidden(`${policy.description}: may not read Patient`);
    const server = this.o.clinical;
    if ('id' in request.patient) {
      const id = request.patient.id;
      const missing = `no Patient with id ${id}`;
      const started = this.now();
      let patient: FhirResource;
      try {
        patient = await this.timed(server.client.read('Patient', id));
      } catch (e) {
        if (e instanceof FhirServerError && (e.status === 404 || e.status === 410)) throw notFound(missing);
        throw upstream(e, 'reading the Patient');
      }
      if (!visible(patient, policy)) throw new HiddenPatient(missing, id);
      sources.push({
        section: 'patient',
        server: server.name,
        request: `Patient/${id}`,
        status: 'ok',
        durationMs: this.now() - started,
        count: 1,
      });
      return patient;
    }
    if (!policy.canSearch('Patient'))
      throw forbidden(`${policy.description}: may not search Patient (a patient asked by identifier)`);
    const { system, value } = request.patient.identifier;
    const missing = `no Patient with identifier ${system}|${value}`;
    const q: Query = {
      section: 'patient',
      server,
      type: 'Patient',
      params: [
        ['identifier', `${system}|${value}`],
        ['_count', '10'],
      ],
    };
    const r = await this.run(q, policy);
    if (!r.bundle)
      throw upstream(
        r.record.status === 'timeout' ? new QueryTimeout(this.o.timeoutMs) : r.record,
        'searching the Patient',
      );
    const matches = (r.bundle.entry ?? [])
      .filter((e) => e.resource?.resourceType === 'Patient' && e.search?.mode !== 'include')
      .map((e) => e.resource!);
    // Only the matches the caller may see count: hidden ones neither answer nor make it ambiguous.
    const shown = matches.filter((p) => visible(p, policy));
    if (shown.length === 0) throw matches.length ? new HiddenPatient(missing, matches[0]!.id!) : notFound(missing);
    if (shown.length > 1) throw conflict(`more than one Patient has identifier ${system}|${value}; ask by id`);
    sources.push({ ...r.record, count: 1 });
    return shown[0]!;
  }

  /** The EHR patient's ids on our own server, matched by its identifiers (the bridge links studies by them). */
  private async imagingPatientIds(
    patient: FhirResource,
    policy: AccessPolicy,
    sources: SourceRecord[],
  ): Promise<string[]> {
    const identifiers = ((patient.identifier as { system?: string; value?: string }[] | undefined) ?? [])
      .filter((i) => i.system && i.value)
      .map((i) => `${i.system}|${i.value}`.replace(/,/g, '\\,'));
    if (identifiers.length === 0) return [];
    const r = await this.run(
      {
        section: 'patient',
        server: this.o.imaging,
        type: 'Patient',
        params: [
          ['identifier', identifiers.join(',')],
          ['_elements', 'id'],
          ['_count', '20'],
        ],
      },
      policy,
    );
    sources.push(r.record);
    return (r.bundle?.entry ?? []).map((e) => e.resource?.id).filter((id): id is string => !!id);
  }

  private queriesFor(section: SectionName, request: ContextRequest, clinicalId: string, imagingIds: string[]): Query[] {
    const max = String(this.o.maxPerSection);
    const since = request.since === undefined ? undefined : new Date(request.since).toISOString();
    const imaging = IMAGING_SECTIONS.has(section);
    const server = imaging ? this.o.imaging : this.o.clinical;
    const patient = imaging ? imagingIds.join(',') : clinicalId;
    if (!patient) return [];
    // _total=none: no count query per search (paging links still say when there is more).
    const q = (type: string, ...params: [string, string][]): Query => ({
      section,
      server,
      type,
      params: [['patient', patient], ...params, ['_total', 'none']],
    });
    switch (section) {
      case 'imagingStudies':
        return [
          q(
            'ImagingStudy',
            ['_sort', '-started'],
            ['_count', String(request.studyLimit)],
            ...(since ? [['started', `ge${since}`] as [string, string]] : []),
          ),
        ];
      case 'conditions':
        return [q('Condition', ['_count', max])];
      case 'medications':
        return [
          q('MedicationRequest', ['_include', 'MedicationRequest:medication'], ['_count', max]),
          q('MedicationStatement', ['_count', max]),
          q('MedicationAdministration', ['_count', max]),
        ];
      case 'observations':
        return [
          q(
            'Observation',
            ['_sort', '-date'],
            ['_count', max],
            ...(since ? [['date', `ge${since}`] as [string, string]] : []),
          ),
        ];
      case 'allergies':
        return [q('AllergyIntolerance', ['_count', max])];
      case 'encounters':
        return [q('Encounter', ['_sort', '-date'], ['_include', 'Encounter:location'], ['_count', max])];
      case 'flags':
        return [q('Flag', ['_count', max])];
      case 'reports': {
        const ours = q(
          'DiagnosticReport',
          ['_sort', '-date'],
          ['_include', 'DiagnosticReport:result'],
          ['_count', max],
        );
        // The EHR's own reports too, when it is not our server.
        return this.sameServer
          ? [ours]
          : [ours, { ...ours, server: this.o.clinical, params: [['patient', clinicalId], ...ours.params.slice(1)] }];
      }
    }
  }

  /** One search with its timeout (or the shared `deadline`); never throws: failures become the source record. */
  private async run(q: Query, policy: AccessPolicy, deadline?: Promise<never>): Promise<Outcome> {
    const request = this.requestText(q);
    const base = { section: q.section, server: q.server.name, request };
    // Every section (and identifier lookup) is filled by a search: the `s` of the caller's scopes.
    if (!policy.canSearch(q.type))
      return {
        record: { ...base, status: 'denied', durationMs: 0, error: `${policy.description}: may not search ${q.type}` },
      };
    const started = this.now();
    try {
      const search = q.server.client.search(q.type, q.params as SearchParams);
      const bundle = await (deadline ? Promise.race([search, deadline]) : this.timed(search));
      let count = 0;
      for (const e of bundle.entry ?? []) if (e.search?.mode !== 'include') count++;
      const more = q.type !== 'ImagingStudy' && (bundle.link ?? []).some((l) => l.relation === 'next');
      return {
        bundle,
        record: { ...base, status: more ? 'truncated' : 'ok', durationMs: this.now() - started, count },
      };
    } catch (e) {
      return {
        record: {
          ...base,
          status: e instanceof FhirTimeoutError || e instanceof QueryTimeout ? 'timeout' : 'error',
          durationMs: this.now() - started,
          error: describe(e),
        },
      };
    }
  }

  /** `Type?a=1&b=2` as URLSearchParams writes it, kept: the same queries come again for each patient. */
  private requestText(q: Query): string {
    // JSON of the pairs: unambiguous (a value may hold any character), and cheaper than encoding them.
    const key = `${q.type}${JSON.stringify(q.params)}`;
    let text = this.requestTexts.get(key);
    if (text === undefined) {
      text = `${q.type}?${new URLSearchParams(q.params).toString()}`;
      if (this.requestTexts.size >= 4096) this.requestTexts.clear();
      this.requestTexts.set(key, text);
    }
    return text;
  }

  /** A promise rejected with QueryTimeout after timeoutMs (never resolved), and its cancellation. */
  private deadline(): { promise: Promise<never>; clear: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryTimeout(this.o.timeoutMs)), this.o.timeoutMs);
    });
    promise.catch(() => undefined); // rejected only while some query still races against it
    return { promise, clear: () => clearTimeout(timer) };
  }

  private timed<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryTimeout(this.o.timeoutMs)), this.o.timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

const answerOf = (e: MemoEntry): { patientId?: string; omitted: string[] } => ({
  ...(e.patientId ? { patientId: e.patientId } : {}),
  omitted: [...e.omitted],
});

const visible = (patient: FhirResource, policy: AccessPolicy): boolean =>
  !!patient.id && policy.canSeePatient(patient.id) && policy.canSee(patient);

/** A patient that exists but that the caller may not see: answered as not found; `patientId` is for the audit record only. */
export class HiddenPatient extends OperationOutcomeError {
  constructor(
    text: string,
    readonly patientId: string,
  ) {
    super(404, outcome('error', 'not-found', text));
  }
}

class QueryTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'QueryTimeout';
  }
}

/** Messages of the FHIR client name the interaction, never ids or values (no PHI). */
function describe(e: unknown): string {
  if (e instanceof FhirClientError || e instanceof QueryTimeout) return e.message;
  if (e && typeof e === 'object' && 'request' in e && 'error' in e) return String((e as SourceRecord).error);
  return 'internal error';
}

function upstream(e: unknown, what: string): OperationOutcomeError {
  if (e instanceof OperationOutcomeError) return e;
  const timeout = e instanceof QueryTimeout || e instanceof FhirTimeoutError;
  return new OperationOutcomeError(
    timeout ? 504 : 502,
    outcome('error', timeout ? 'timeout' : 'exception', `${what} failed: ${describe(e)}`),
  );
}
