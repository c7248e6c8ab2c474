/** The FHIR server's findings (part of the verdict, findings.ts). Pure. */
import { type Add, check } from './findings-common.js';
import type { FhirArea } from './types.js';

const R5_NOTE =
  'R5 changed ImagingStudy (series.modality and modality are CodeableConcepts, procedureCode/procedureReference became procedure, interpreter and reasonCode renamed): the bridge writes the R4 shape and would need an R5 mapping';

export function fhirFindings(f: FhirArea, add: Add): void {
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
