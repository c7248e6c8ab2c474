/**
 * The summary as a FHIR R4 document Bundle another system can store: a Composition with a
 * section per part, and per time point the computed response as an Observation (method
 * "computed RECIST 1.1", derivedFrom the measurements and studies it used). References to the
 * record are absolute URLs of the server the data was read from.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Composition, CompositionSection, Observation } from '@medplum/fhirtypes';
import { ONCOLOGY_SYSTEM } from '../../clinical/oncology/index.js';
import type { OncologySummary } from './service.js';

const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const narrative = (lines: string[]) => ({
  status: 'generated' as const,
  div: `<div xmlns="http://www.w3.org/1999/xhtml">${lines.length ? lines.map((l) => `<p>${esc(l)}</p>`).join('') : '<p>None.</p>'}</div>`,
});
const METHOD = { coding: [{ system: ONCOLOGY_SYSTEM, code: 'computed-recist-1.1' }], text: 'computed RECIST 1.1' };
const concept = (code: string, text = code) => ({ coding: [{ system: ONCOLOGY_SYSTEM, code }], text });

export function summaryDocument(s: OncologySummary, fhirBase: string, uuid: () => string = randomUUID): Bundle {
  const abs = (ref: string) => `${fhirBase}/${ref}`;
  const subject = { reference: abs(`Patient/${s.patient.id}`) };
  const responses = s.timepoints
    .filter((tp) => tp.index > 0)
    .map((tp): { fullUrl: string; resource: Observation } => ({
      fullUrl: `urn:uuid:${uuid()}`,
      resource: {
        resourceType: 'Observation',
        status: 'preliminary',
        category: [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] },
        ],
        code: concept('recist-overall-response', 'Overall response (RECIST 1.1)'),
        subject,
        effectiveDateTime: tp.date,
        issued: s.generatedAt,
        method: METHOD,
        valueCodeableConcept: concept(tp.overallResponse),
        derivedFrom: [
          ...tp.studies.map((st) => ({ reference: abs(st.imagingStudy) })),
          ...tp.lesions.filter((l) => l.observation).map((l) => ({ reference: abs(l.observation!) })),
        ],
        component: [
          {
            code: concept('target-response', 'Target lesion response'),
            valueCodeableConcept: concept(tp.targetResponse),
          },
          {
            code: concept('non-target-response', 'Non-target lesion response'),
            valueCodeableConcept: concept(tp.nonTargetResponse),
          },
          { code: concept('new-lesions', 'New lesions'), valueBoolean: tp.newLesions },
          ...(tp.sumMm === null
            ? []
            : [{ code: concept('sum-of-diameters', 'Sum of target diameters'), valueQuantity: mm(tp.sumMm) }]),
          ...(tp.nadirMm === null ? [] : [{ code: concept('nadir', 'Nadir sum'), valueQuantity: mm(tp.nadirMm) }]),
        ],
        note: [{ text: tp.reasons.join('; ') }],
      },
    }));
  const section = (title: string, code: string, lines: string[], entry: string[] = []): CompositionSection => ({
    title,
    code: concept(code, title),
    text: narrative(lines),
    ...(entry.length ? { entry: entry.map((reference) => ({ reference })) } : {}),
  });
  const composition: Composition = {
    resourceType: 'Composition',
    status: 'preliminary',
    type: concept('tumor-board-summary', 'Tumor board summary'),
    subject,
    date: s.generatedAt,
    author: [{ display: 'ImagingBridge (computed)' }],
    title: 'Tumor board summary',
    section: [
      ...(s.question ? [section('Question', 'question', [s.question])] : []),
      section(
        'Diagnosis',
        'diagnosis',
        s.diagnosis.map((d) =>
          [d.code.text ?? d.code.coding?.[0]?.display, d.histology, d.stage].filter(Boolean).join('; '),
        ),
        s.diagnosis.map((d) => abs(d.condition)),
      ),
      section(
        'Treatment',
        'treatment',
        s.treatment.map(
          (t) =>
            `line ${t.line ?? '—'}: ${t.medication ?? t.procedure} ${t.start ?? ''}–${t.end ?? ''} ${t.status ?? ''}`,
        ),
        s.treatment.map((t) => abs(t.reference)),
      ),
      section(
        'Imaging response (RECIST 1.1)',
        'imaging-response',
        s.timepoints.map((tp) => `${tp.date}: ${tp.overallResponse} — ${tp.reasons.join('; ')}`),
        responses.map((r) => r.fullUrl),
      ),
      section(
        'Tumor markers',
        'markers',
        s.markers.map((m) => `${m.code.display}: ${m.trend.map((v) => v.value).join(' → ')}`),
        s.markers.flatMap((m) => m.trend.map((v) => abs(v.observation))),
      ),
      section(
        'Performance status',
        'performance-status',
        s.performanceStatus.map((p) => `${p.scale} ${p.value} (${p.effective.slice(0, 10)})`),
        s.performanceStatus.map((p) => abs(p.observation)),
      ),
      section(
        "Clinician's disease status",
        'clinician-status',
        s.clinicianStatus.map(
          (c) =>
            `${c.effective.slice(0, 10)}: ${c.value} (computed ${c.computed ?? '—'}${c.agreesWithComputed === false ? ', DISAGREES' : ''})`,
        ),
        s.clinicianStatus.map((c) => abs(c.observation)),
      ),
      section('Warnings', 'warnings', s.warnings),
    ],
  };
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${uuid()}` },
    timestamp: s.generatedAt,
    entry: [{ fullUrl: `urn:uuid:${uuid()}`, resource: composition }, ...responses],
  };
}

const mm = (value: number) => ({ value, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' });
