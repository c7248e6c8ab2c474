/** Runs the probes the targets call for, the data-flow comparison, and the verdict. */
import { compareStudies, type PacsStudy } from './compare.js';
import { probeDicomweb, type DicomwebTarget } from './dicomweb-probe.js';
import { probeDimse, type DimseTarget } from './dimse-probe.js';
import { verdict } from './findings.js';
import { probeFhir, type FhirTarget } from './fhir-probe.js';
import { fhirStudies } from './fhir-studies.js';
import { cFindStudies, qidoStudies } from './pacs-studies.js';
import type { Assessment, Check, DataFlowArea } from './types.js';

export interface AssessTargets {
  fhir?: FhirTarget;
  dicomweb?: DicomwebTarget;
  dimse?: Omit<DimseTarget, 'callingAe'>;
  /** Our AE title towards the DIMSE peer. */
  callingAe: string;
}

export interface AssessOptions {
  /** Start of the data-flow window. */
  since: Date;
  timeoutMs: number;
  probeStow: boolean;
  now: Date;
  /** QIDO page size (tests use small pages to exercise paging). */
  pageSize?: number;
}

const dicomDate = (d: Date) => d.toISOString().slice(0, 10).replaceAll('-', '');

export async function assess(t: AssessTargets, o: AssessOptions): Promise<Assessment> {
  const since = dicomDate(o.since);
  const dimseTarget = t.dimse ? { ...t.dimse, callingAe: t.callingAe } : undefined;
  const [fhir, dicomweb, dimse] = await Promise.all([
    t.fhir ? probeFhir(t.fhir, o) : null,
    t.dicomweb ? probeDicomweb(t.dicomweb, o) : null,
    dimseTarget ? probeDimse(dimseTarget, { timeoutMs: o.timeoutMs, since }) : null,
  ]);
  let dataFlow: DataFlowArea | null = null;
  const fhirUsable =
    fhir?.reachable && fhir.checks.find((c) => c.name === 'metadata')?.status === 'ok' && fhir.resources.ImagingStudy;
  const pacsVia = dicomweb?.qido === 'ok' ? 'qido' : dimse?.find === 'ok' ? 'c-find' : undefined;
  if (t.fhir && fhirUsable && pacsVia) {
    const checks: Check[] = [];
    const pacs =
      pacsVia === 'qido'
        ? await qidoStudies(t.dicomweb!.url, t.dicomweb!.headers, since, {
            timeoutMs: o.timeoutMs,
            pageSize: o.pageSize,
          })
        : await cFindStudies(dimseTarget!, since, o.timeoutMs);
    checks.push(pacs.check);
    const auth = await t.fhir.authorization?.().catch(() => undefined);
    const found = await fhirStudies(
      { url: t.fhir.url, headers: auth ? { authorization: auth } : {} },
      pacs.studies,
      o.since.toISOString().slice(0, 10),
      o.timeoutMs,
    );
    checks.push(found.check);
    const unique = new Map<string, PacsStudy>(pacs.studies.map((s) => [s.uid, s]));
    const c = compareStudies([...unique.values()], found.studies);
    dataFlow = {
      pacsVia,
      pacsStudies: unique.size,
      fhirStudies: found.studies.length,
      matched: c.matched.length,
      missingInFhir: c.missingInFhir,
      notInPacs: c.notInPacs.map((f) => f.uid),
      mismatched: c.mismatched,
      lagSeconds: c.lagSeconds,
      withResults: found.withResults,
      checks,
    };
  }
  const probed = {
    generatedAt: o.now.toISOString(),
    since: o.since.toISOString(),
    wrote: dicomweb?.stow === 'ok',
    fhir,
    dicomweb,
    dimse,
    dataFlow,
  };
  return { ...probed, ...verdict(probed, t.callingAe) };
}
