/** The DICOMweb and DIMSE findings (part of the verdict, findings.ts). Pure. */
import { type Add, check } from './findings-common.js';
import type { DicomwebArea, DimseArea } from './types.js';

export function dicomwebFindings(d: DicomwebArea, add: Add): void {
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

export function dimseFindings(m: DimseArea, calling: string, add: Add): void {
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
