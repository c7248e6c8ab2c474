/**
 * The verdict: findings in plain language with a next step each, ordered by how much they
 * unblock (a server that does not answer before a missing search parameter), and a readiness
 * level per area. Pure: reads the probed areas, nothing else.
 */
import type {
  Assessment,
  Check,
  DataFlowArea,
  DicomwebArea,
  DimseArea,
  FhirArea,
  Finding,
  Readiness,
} from './types.js';

type Probed = Omit<Assessment, 'findings' | 'readiness' | 'verdict'>;
type Add = (f: Finding) => void;

const check = (checks: Check[], name: string) => checks.find((c) => c.name === name);
const pct = (n: number, of: number) => `${Math.round((100 * n) / of)} %`;

const R5_NOTE =
  'R5 changed ImagingStudy (series.modality and modality are CodeableConcepts, procedureCode/procedureReference became procedure, interpreter and reasonCode renamed): the bridge writes the R4 shape and would need an R5 mapping';

function fhirFindings(f: FhirArea, add: Add): void {
  const metadata = check(f.checks, 'metadata');
  if (f.tls && !f.tls.trusted)
    add({
      area: 'security',
      level: 'blocker',
      weight: 97,
      message: `The FHIR server's TLS certificate is not trusted (${f.tls.error ?? 'unknown reason'}).`,
      nextStep:
        'Install a certificate from a CA the bridge trusts (or add the site CA to NODE_EXTRA_CA_CERTS), then assess again.',
    });
  else if (f.tls?.daysLeft !== undefined && f.tls.daysLeft < 30)
    add({
      area: 'security',
      level: 'warning',
      weight: 55,
      message: `The FHIR server's certificate expires in ${f.tls.daysLeft} days (${f.tls.expires?.slice(0, 10)}).`,
      nextStep: 'Renew the certificate before it expires.',
    });
  if (!f.reachable) {
    if (f.tls && !f.tls.trusted) return;
    add({
      area: 'fhir',
      level: 'blocker',
      weight: 100,
      message: `The FHIR server at ${f.url} does not answer: ${metadata?.detail ?? 'no answer'}.`,
      nextStep: /timeout|time/.test(metadata?.detail ?? '')
        ? 'Check the firewall between this host and the FHIR server, or raise --timeout.'
        : 'Check the URL (host, port, http vs https) and that the server runs and is reachable from this host.',
    });
    return;
  }
  if (metadata?.status !== 'ok') {
    add({
      area: 'fhir',
      level: 'blocker',
      weight: 98,
      message: `${f.url}/metadata is not a FHIR CapabilityStatement: ${metadata?.detail ?? 'no answer'}.`,
      nextStep:
        'Point --fhir at the FHIR base URL (the one whose /metadata returns a CapabilityStatement); check authentication.',
    });
    return;
  }
  const version = `${f.release} (${f.fhirVersion ?? 'no fhirVersion'})`;
  if (f.release === 'DSTU2' || f.release === 'STU3')
    add({
      area: 'fhir',
      level: 'blocker',
      weight: 90,
      message: `The EHR speaks ${version}: ImagingStudy will need conversion (the bridge writes R4).`,
      nextStep: `Ask the EHR vendor for its R4 endpoint; otherwise ImagingStudy needs an ${f.release} conversion (uid, series.uid and modality are shaped differently).`,
    });
  else if (f.release === 'R5' || f.release === 'R6 ballot')
    add({
      area: 'fhir',
      level: 'warning',
      weight: 65,
      message: `The FHIR server speaks ${version}. ${R5_NOTE}.`,
      nextStep: "Use the server's R4 endpoint if it has one; otherwise plan an R5 ImagingStudy mapping.",
    });
  else if (f.release === 'unknown')
    add({
      area: 'fhir',
      level: 'warning',
      weight: 60,
      message: `The CapabilityStatement states no known FHIR version (${f.fhirVersion ?? 'none'}).`,
      nextStep: 'Confirm the FHIR version with the vendor.',
    });
  else if (f.release === 'R4B')
    add({
      area: 'fhir',
      level: 'info',
      weight: 15,
      message: `The FHIR server speaks ${version}: ImagingStudy is as in R4.`,
      nextStep: 'None.',
    });
  if (f.json === false)
    add({
      area: 'fhir',
      level: 'blocker',
      weight: 92,
      message: 'The FHIR server does not declare JSON support.',
      nextStep: 'Enable application/fhir+json on the server.',
    });
  const study = f.resources.ImagingStudy;
  if (!study)
    add({
      area: 'fhir',
      level: 'blocker',
      weight: 94,
      message: 'The CapabilityStatement lists no ImagingStudy: studies cannot be written to or found in this server.',
      nextStep: 'Enable the ImagingStudy resource on the FHIR server (or choose another FHIR target for the bridge).',
    });
  else {
    const lacks = (['create', 'update'] as const).filter((i) => !study.interactions.includes(i));
    if (lacks.length)
      add({
        area: 'fhir',
        level: 'blocker',
        weight: 88,
        message: `ImagingStudy cannot be ${lacks.join(' or ')}d on this server.`,
        nextStep: "Grant create and update on ImagingStudy to the bridge's client.",
      });
    if (study.missingSearchParams.length)
      add({
        area: 'fhir',
        level: 'warning',
        weight: 50,
        message: `ImagingStudy search lacks ${study.missingSearchParams.join(', ')}.`,
        nextStep: 'Enable these search parameters; the bridge finds existing studies by identifier.',
      });
  }
  if (!f.resources.Patient)
    add({
      area: 'fhir',
      level: 'warning',
      weight: 62,
      message: 'The CapabilityStatement lists no Patient: studies cannot be linked to patients.',
      nextStep: 'Enable Patient read and search by identifier.',
    });
  const others = (['Endpoint', 'DiagnosticReport', 'Observation'] as const).filter((t) => !f.resources[t]);
  if (others.length)
    add({
      area: 'fhir',
      level: 'info',
      weight: 20,
      message: `No ${others.join(', ')} in the CapabilityStatement: the context API and AI results use them.`,
      nextStep: 'Enable them if AI results and reports should reach the EHR.',
    });
  if (f.transaction === false)
    add({
      area: 'fhir',
      level: 'warning',
      weight: 45,
      message: 'No transaction support: the bridge writes each resource separately (slower, not atomic).',
      nextStep: 'Enable transaction bundles on the FHIR server if it can.',
    });
  if (study && f.conditionalUpdate === false)
    add({
      area: 'fhir',
      level: 'info',
      weight: 12,
      message: 'No conditional update of ImagingStudy: the bridge searches by identifier before each write.',
      nextStep: 'None needed.',
    });
  if (f.smart.status === 'absent')
    add({
      area: 'security',
      level: 'info',
      weight: 25,
      message: 'No SMART configuration: the server is open or uses another authorization scheme.',
      nextStep: 'If it holds patient data, it should require authorization (SMART Backend Services for the bridge).',
    });
  else if (f.smart.status === 'failed')
    add({
      area: 'security',
      level: 'warning',
      weight: 48,
      message: 'The SMART configuration or token endpoint does not answer properly.',
      nextStep: 'Check .well-known/smart-configuration and the token endpoint.',
    });
  else if (f.smart.status === 'ok' && f.smart.grantTypes.length && !f.smart.grantTypes.includes('client_credentials'))
    add({
      area: 'security',
      level: 'warning',
      weight: 58,
      message: `SMART offers no client_credentials grant (${f.smart.grantTypes.join(', ')}): a backend service cannot get a token.`,
      nextStep: 'Ask for SMART Backend Services (client_credentials with a signed JWT) for the bridge.',
    });
  for (const name of ['read ImagingStudy', 'read Patient'])
    if (/not allowed/.test(check(f.checks, name)?.detail ?? ''))
      add({
        area: 'security',
        level: 'info',
        weight: 10,
        message: `A live ${name.slice(5)} read was not allowed without credentials.`,
        nextStep: "Run with --fhir-auth to check reads with the bridge's credentials.",
      });
}

function dicomwebFindings(d: DicomwebArea, add: Add): void {
  const qido = check(d.checks, 'qido studies');
  const other = check(d.checks, 'qido other root');
  const scheme = check(d.checks, 'other scheme');
  if (!d.reachable) {
    add({
      area: 'dicomweb',
      level: 'blocker',
      weight: 99,
      message: `The DICOMweb service at ${d.url} does not answer: ${qido?.detail ?? 'no answer'}.`,
      nextStep: scheme?.status === 'ok' ? scheme.detail : 'Check the URL, that the PACS runs, and the firewall.',
    });
    return;
  }
  if (d.qido === 'off' && d.server?.startsWith('Orthanc'))
    add({
      area: 'dicomweb',
      level: 'blocker',
      weight: 96,
      message: `${d.server} answers, but its DICOMweb plugin is off.`,
      nextStep: 'Turn on the DICOMweb plugin (install orthanc-dicomweb, list it under "Plugins", restart Orthanc).',
    });
  else if (other?.status === 'ok')
    add({
      area: 'dicomweb',
      level: 'blocker',
      weight: 96,
      message: `No DICOMweb at ${d.url}, but ${other.detail.split(':')[0]}.`,
      nextStep: 'Use that root path in --dicomweb and in the source configuration.',
    });
  else if (d.qido === 'off')
    add({
      area: 'dicomweb',
      level: 'blocker',
      weight: 95,
      message: `No DICOMweb service at ${d.url} (${qido?.detail}).`,
      nextStep: 'Enable DICOMweb on the PACS, or find its root path (…/dicom-web, …/rs).',
    });
  else if (d.qido === 'failed')
    add({
      area: 'dicomweb',
      level: 'blocker',
      weight: 95,
      message: `QIDO-RS does not work: ${qido?.detail}.`,
      nextStep: /authentication/.test(qido?.detail ?? '')
        ? 'Pass credentials with --dicomweb-header "Authorization: Bearer …".'
        : 'Check the root path and the PACS logs.',
    });
  if (d.qido !== 'ok') return;
  if (d.wado === 'failed')
    add({
      area: 'dicomweb',
      level: 'warning',
      weight: 70,
      message: 'WADO-RS retrieval of a found study failed.',
      nextStep: 'Enable WADO-RS; without it images cannot be fetched over DICOMweb.',
    });
  if (d.frames === 'failed' || d.frames === 'off')
    add({
      area: 'dicomweb',
      level: 'warning',
      weight: 40,
      message: 'Frame retrieval (WADO-RS …/frames) does not work.',
      nextStep: 'Viewers that stream frames need it; enable it if the PACS can.',
    });
  if (d.rendered === 'failed' || d.rendered === 'off')
    add({
      area: 'dicomweb',
      level: 'info',
      weight: 18,
      message: 'No rendered or thumbnail resources.',
      nextStep: 'The bridge renders previews itself from copied studies.',
    });
  if (d.matching?.dateRange === false)
    add({
      area: 'dicomweb',
      level: 'warning',
      weight: 60,
      message: 'QIDO-RS ignores StudyDate ranges: watching this PACS would list every study on each poll.',
      nextStep: 'Fix date-range matching on the PACS, or watch it over DIMSE.',
    });
  if (d.matching?.wildcard === false)
    add({
      area: 'dicomweb',
      level: 'info',
      weight: 14,
      message: 'QIDO-RS does not honour wildcards.',
      nextStep: 'None for the bridge; viewers may search less well.',
    });
  if (check(d.checks, 'cors')?.status === 'off')
    add({
      area: 'dicomweb',
      level: 'info',
      weight: 11,
      message: 'No CORS headers: a browser viewer on another origin cannot call this DICOMweb service directly.',
      nextStep: 'Serve viewers through the bridge, or enable CORS on the PACS.',
    });
  if (d.stow === 'failed')
    add({
      area: 'dicomweb',
      level: 'warning',
      weight: 42,
      message: `STOW-RS failed: ${check(d.checks, 'stow')?.detail ?? ''}.`,
      nextStep: 'Enable STOW-RS if AI results or reports are to be stored back to the PACS.',
    });
  const cleanup = check(d.checks, 'stow cleanup');
  if (cleanup?.status === 'failed')
    add({
      area: 'dicomweb',
      level: 'warning',
      weight: 41,
      message: cleanup.detail,
      nextStep: 'Delete the synthetic study by hand.',
    });
}

function dimseFindings(m: DimseArea, calling: string, add: Add): void {
  const assoc = check(m.checks, 'association');
  if (m.association === 'rejected')
    add({
      area: 'dimse',
      level: 'blocker',
      weight: 93,
      message: `${m.target} rejects an association from AE title ${calling}: ${assoc?.detail}.`,
      nextStep: `Register ${calling} (with this host's address) in the PACS's list of known AEs, and check the called AE title.`,
    });
  else if (m.association === 'failed')
    add({
      area: 'dimse',
      level: 'blocker',
      weight: 93,
      message: `No association with ${m.target}: ${assoc?.detail}.`,
      nextStep: 'Check host, port and firewall (DICOM port), and that the PACS runs.',
    });
  if (m.association !== 'ok') return;
  if (m.echo !== 'ok')
    add({
      area: 'dimse',
      level: 'warning',
      weight: 35,
      message: 'C-ECHO is not answered with success.',
      nextStep: 'Enable the Verification service on the PACS.',
    });
  if (m.find !== 'ok')
    add({
      area: 'dimse',
      level: 'warning',
      weight: 66,
      message: 'Study-level C-FIND does not work: a DIMSE source cannot list studies.',
      nextStep: 'Allow Study Root C-FIND for our AE title.',
    });
  if (m.get !== 'ok' && m.move !== 'ok')
    add({
      area: 'dimse',
      level: 'warning',
      weight: 64,
      message: 'Neither C-GET nor C-MOVE is accepted: studies cannot be retrieved over DIMSE.',
      nextStep: 'Allow Study Root C-GET, or C-MOVE with our AE as a destination.',
    });
  else if (m.get !== 'ok')
    add({
      area: 'dimse',
      level: 'info',
      weight: 22,
      message: 'C-MOVE only (no C-GET): the PACS must know our AE title, host and port as a move destination.',
      nextStep: 'Register our AE as a C-MOVE destination on the PACS; set retrieve "c-move" in the source.',
    });
}

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
