/** The computed part of the tumor-board summary (pure): RECIST comparison plus the record's sections. */
import { time } from './fhir.js';
import { compareSerialImaging } from './recist.js';
import {
  type ClinicianStatus,
  clinicianStatus,
  type Diagnosis,
  diagnoses,
  type Performance,
  performance,
  type Trend,
  treatments,
  type Treatment,
  trends,
} from './record.js';
import type { OncologyOptions, OncologyRecord, TargetSelection, Timepoint } from './types.js';

export interface OncologyComputed {
  diagnosis: Diagnosis[];
  treatment: Treatment[];
  timepoints: Timepoint[];
  targetSelection: TargetSelection | null;
  markers: Trend[];
  labs: Trend[];
  performanceStatus: Performance[];
  clinicianStatus: ClinicianStatus[];
  warnings: string[];
  /** `baseline` names no study with measurements of this patient. */
  baselineNotFound?: boolean;
}

export function summarizeOncology(record: OncologyRecord, o: OncologyOptions): OncologyComputed {
  const warnings: string[] = [];
  const read = <T>(list: T[] | null, name: string): T[] => {
    if (list === null) warnings.push(`the record's ${name} could not be read: that part is empty`);
    return list ?? [];
  };
  const observations = read(record.observations, 'observations');
  const conditions = read(record.conditions, 'conditions');
  const requests = read(record.medicationRequests, 'medications');
  const procedures = read(record.procedures, 'procedures');
  const structures = read(record.bodyStructures, 'lesions (BodyStructure)');
  const studies = read(record.studies, 'imaging studies');
  const recist = compareSerialImaging({
    observations,
    bodyStructures: structures,
    studies,
    nodalSites: o.nodalSites,
    ...(o.baseline ? { baseline: o.baseline } : {}),
  });
  const since = time(o.since);
  const timepoints =
    since === undefined
      ? recist.timepoints
      : recist.timepoints.filter((tp) => tp.index === 0 || (time(tp.date) ?? 0) >= since);
  const diagnosis = diagnoses(conditions);
  const status = clinicianStatus(observations, recist.timepoints, since);
  for (const s of status)
    if (s.agreesWithComputed === false)
      warnings.push(
        `the clinician's status "${s.value}" on ${s.effective.slice(0, 10)} disagrees with the computed ${s.computed}`,
      );
  return {
    diagnosis,
    treatment: treatments(requests, record.medications ?? [], procedures, new Set(diagnosis.map((d) => d.condition))),
    timepoints,
    targetSelection: recist.targetSelection,
    markers: trends(observations, 'markers', since),
    labs: trends(observations, 'labs', since),
    performanceStatus: performance(observations, since),
    clinicianStatus: status,
    warnings: [...warnings, ...recist.warnings],
    ...(recist.baselineNotFound ? { baselineNotFound: true } : {}),
  };
}
