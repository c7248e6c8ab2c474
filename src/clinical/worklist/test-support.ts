/**
 * The scoring case table (cases/*.json): a case's shorthand record becomes FHIR R4 resources,
 * the score runs at a fixed time, and the terms, score and tier must be as listed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encounter, Flag, ImagingStudy, Location, Observation } from '@medplum/fhirtypes';
import type { StudyRecord } from './types.js';

export const NOW = Date.parse('2026-12-06T12:00:00Z');
const MIN = 60_000;
const SNOMED = 'http://snomed.info/sct';
const FLAGS = 'http://hospital.example/fhir/CodeSystem/flag';
const SITES: Record<string, { system: string; code: string; display: string }> = {
  head: { system: SNOMED, code: '69536005', display: 'Head' },
  chest: { system: SNOMED, code: '51185008', display: 'Thorax' },
  abdomen: { system: SNOMED, code: '818983003', display: 'Abdomen' },
};

export interface Case {
  name: string;
  study: { minutesAgo: number; site: string };
  receivedMinutesAgo?: number;
  order?: { priority?: string; via?: 'basedOn' | 'accession'; reason?: string };
  dicomPriority?: string;
  encounters?: { class: string; status: string; locationType?: string }[];
  flags?: { code: string; status: string; minutesAgo?: number; endsInHours?: number; text?: string }[];
  esi?: { level: number; minutesAgo: number; onEncounter?: boolean };
  ai?: { code?: string; text?: string; confidence?: number; negative?: boolean; study?: 'this' | 'prior' }[];
  priors?: { monthsAgo: number; site: string }[];
  expect: { terms: string[]; score: number; tier: string };
}

export function loadCases(): { file: string; c: Case }[] {
  const dir = join(import.meta.dirname, 'cases');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) =>
      (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: Case[] }).cases.map((c) => ({ file, c })),
    );
}

const iso = (ms: number) => new Date(ms).toISOString();
const study = (id: string, at: number, site: string): ImagingStudy => ({
  resourceType: 'ImagingStudy',
  id,
  status: 'available',
  subject: { reference: 'Patient/p' },
  started: iso(at),
  series: [{ uid: `1.2.${id.length}`, modality: { code: 'CT' }, bodySite: SITES[site] }],
});

export function buildCase(c: Case): StudyRecord {
  const priors = (c.priors ?? []).map((p, i) => study(`prior${i}`, NOW - p.monthsAgo * 30 * 24 * 60 * MIN, p.site));
  const locations = new Map<string, Location>();
  const encounters: Encounter[] = (c.encounters ?? []).map((e, i) => {
    if (e.locationType)
      locations.set(`Location/l${i}`, {
        resourceType: 'Location',
        id: `l${i}`,
        name: e.locationType,
        type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: e.locationType }] }],
      });
    return {
      resourceType: 'Encounter',
      id: `e${i}`,
      status: e.status as Encounter['status'],
      class: { code: e.class },
      ...(e.locationType ? { location: [{ location: { reference: `Location/l${i}` }, status: 'active' }] } : {}),
    };
  });
  const flags: Flag[] = (c.flags ?? []).map((f, i) => ({
    resourceType: 'Flag',
    id: `f${i}`,
    status: f.status as Flag['status'],
    code: { coding: [{ system: FLAGS, code: f.code }], text: f.text ?? f.code },
    subject: { reference: 'Patient/p' },
    period: {
      start: iso(NOW - (f.minutesAgo ?? 5) * MIN),
      ...(f.endsInHours !== undefined ? { end: iso(NOW + f.endsInHours * 60 * MIN) } : {}),
    },
  }));
  const observations: Observation[] = [];
  if (c.esi)
    observations.push({
      resourceType: 'Observation',
      id: 'esi',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '75636-1' }] },
      effectiveDateTime: iso(NOW - c.esi.minutesAgo * MIN),
      valueInteger: c.esi.level,
      ...(c.esi.onEncounter ? { encounter: { reference: 'Encounter/e0' } } : {}),
    });
  (c.ai ?? []).forEach((a, i) =>
    observations.push({
      resourceType: 'Observation',
      id: `ai${i}`,
      status: 'preliminary',
      code: a.code ? { coding: [{ system: SNOMED, code: a.code }], text: a.text } : { text: a.text },
      device: { reference: 'Device/d' },
      partOf: [{ reference: a.study === 'prior' ? 'ImagingStudy/prior0' : 'ImagingStudy/s' }],
      ...(a.negative ? { valueBoolean: false } : {}),
      ...(a.confidence !== undefined
        ? { component: [{ code: { coding: [{ code: 'confidence' }] }, valueQuantity: { value: a.confidence } }] }
        : {}),
    }),
  );
  return {
    study: study('s', NOW - c.study.minutesAgo * MIN, c.study.site),
    ...(c.order
      ? {
          order: {
            via: c.order.via ?? 'basedOn',
            request: {
              resourceType: 'ServiceRequest',
              id: 'o',
              status: 'active',
              intent: 'order',
              subject: { reference: 'Patient/p' },
              ...(c.order.priority ? { priority: c.order.priority as 'stat' } : {}),
              ...(c.order.reason ? { reasonCode: [{ text: c.order.reason }] } : {}),
            },
          },
        }
      : {}),
    ...(c.dicomPriority ? { dicomPriority: c.dicomPriority } : {}),
    encounters,
    locations,
    flags,
    observations,
    priors,
    ...(c.receivedMinutesAgo !== undefined ? { received: NOW - c.receivedMinutesAgo * MIN } : {}),
  };
}
