/**
 * The verdict: findings in plain language with a next step each, ordered by how much they
 * unblock (a server that does not answer before a missing search parameter), and a readiness
 * level per area. Pure: reads the probed areas, nothing else.
 */
import type { Assessment, DataFlowArea, Finding, Readiness } from './types.js';
import { type Add, check } from './findings-common.js';
import { dicomwebFindings, dimseFindings } from './findings-dicom.js';
import { fhirFindings } from './findings-fhir.js';

type Probed = Omit<Assessment, 'findings' | 'readiness' | 'verdict'>;
const pct = (n: number, of: number) => `${Math.round((100 * n) / of)} %`;

function dataFlowFindings(d: DataFlowArea, since: string, add: Add): void {
  const listing = check(d.checks, 'pacs studies');
  if (listing?.status === 'failed')
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 52,
      message: `The PACS studies could not be listed: ${listing.detail}.`,
      nextStep: 'Fix the PACS query first (see above); the comparison is incomplete.',
    });
  if (check(d.checks, 'fhir studies')?.status === 'failed')
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 51,
      message: 'Some FHIR searches failed: the comparison is incomplete.',
      nextStep: 'See the check details; the server may not support batched identifier searches or _elements.',
    });
  if (d.pacsStudies === 0) {
    add({
      area: 'dataFlow',
      level: 'info',
      weight: 16,
      message: `The PACS has no studies since ${since}.`,
      nextStep: 'Widen --since to see older studies.',
    });
  } else if (d.matched === 0) {
    add({
      area: 'dataFlow',
      level: 'blocker',
      weight: 85,
      message: `Nothing flows: none of the PACS's ${d.pacsStudies} studies since ${since} is in FHIR.`,
      nextStep:
        'Start the bridge with this PACS as a source and this FHIR server as its target, then run `imaging-bridge reconcile`.',
    });
  } else if (d.missingInFhir.length > 0) {
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 80,
      message: `${pct(d.missingInFhir.length, d.pacsStudies)} of the studies since ${since} never reached FHIR (${d.missingInFhir.length} of ${d.pacsStudies}).`,
      nextStep: 'Start with `imaging-bridge reconcile` (a dry run), then `imaging-bridge reconcile --apply`.',
    });
  }
  if (d.mismatched.length > 0)
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 56,
      message: `${d.mismatched.length} ImagingStudy resources differ from the PACS (${[...new Set(d.mismatched.flatMap((m) => m.fields))].join(', ')}).`,
      nextStep: '`imaging-bridge reconcile --apply` writes them again from the PACS.',
    });
  if (d.notInPacs.length > 0)
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 46,
      message: `${d.notInPacs.length} ImagingStudy resources name studies the PACS does not have.`,
      nextStep: '`imaging-bridge reconcile --apply` marks them as orphans; `--delete-orphans` removes them.',
    });
  if (d.lagSeconds && d.lagSeconds.median > 86_400)
    add({
      area: 'dataFlow',
      level: 'warning',
      weight: 44,
      message: `Studies reach FHIR a median of ${Math.round(d.lagSeconds.median / 3600)} hours after they were acquired (worst ${Math.round(d.lagSeconds.max / 3600)} hours).`,
      nextStep: 'Watch the PACS continuously (a source polling every minute) instead of batch exports.',
    });
  if (d.matched > 0 && d.withResults === 0)
    add({
      area: 'dataFlow',
      level: 'info',
      weight: 13,
      message: 'No AI results reference these studies.',
      nextStep: 'AI results can be posted to /api/ai-results once models run on the studies.',
    });
}

function readinessOf(
  findings: Finding[],
  areas: ('fhir' | 'dicomweb' | 'dimse' | 'dataFlow')[],
  present: boolean,
): Readiness {
  if (!present) return 'not-assessed';
  const mine = findings.filter((f) => (areas as string[]).includes(f.area));
  if (mine.some((f) => f.level === 'blocker')) return 'blocked';
  return mine.some((f) => f.level === 'warning') ? 'partial' : 'ready';
}

const LABEL = { fhir: 'FHIR', dicomweb: 'DICOMweb', dimse: 'DIMSE', dataFlow: 'Data flow' } as const;

export function verdict(p: Probed, callingAe: string): Pick<Assessment, 'findings' | 'readiness' | 'verdict'> {
  const findings: Finding[] = [];
  const add: Add = (f) => findings.push(f);
  if (p.fhir) fhirFindings(p.fhir, add);
  if (p.dicomweb) dicomwebFindings(p.dicomweb, add);
  if (p.dimse) dimseFindings(p.dimse, callingAe, add);
  if (p.dataFlow) dataFlowFindings(p.dataFlow, p.since.slice(0, 10), add);
  const rank = { blocker: 0, warning: 1, info: 2 };
  findings.sort((a, b) => rank[a.level] - rank[b.level] || b.weight - a.weight);
  // Security findings about the FHIR server count towards its readiness.
  const readiness = {
    fhir: readinessOf(findings, ['fhir', 'security' as 'fhir'], p.fhir !== null),
    dicomweb: readinessOf(findings, ['dicomweb'], p.dicomweb !== null),
    dimse: readinessOf(findings, ['dimse'], p.dimse !== null),
    dataFlow: readinessOf(findings, ['dataFlow'], p.dataFlow !== null),
  };
  const lines = (Object.keys(LABEL) as (keyof typeof LABEL)[]).map((a) => {
    const first = findings.find((f) => f.area === a || (a === 'fhir' && f.area === 'security'));
    const r = readiness[a];
    if (r === 'not-assessed') return `${LABEL[a]}: not assessed.`;
    if (r === 'ready') return `${LABEL[a]}: ready.`;
    return `${LABEL[a]}: ${r} — ${first?.message ?? ''}`;
  });
  return { findings, readiness, verdict: lines };
}
