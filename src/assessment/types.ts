/** The assessment report: the JSON of `imaging-bridge assess --format json` (docs/assessment.schema.json). */

export type CheckStatus = 'ok' | 'failed' | 'off' | 'not-probed';

/** One request made and what came back: the evidence behind every statement of the report. */
export interface Check {
  name: string;
  status: CheckStatus;
  /** e.g. `GET https://ehr.example/fhir/metadata` or `C-ECHO PACS@10.0.0.5:104`. */
  request: string;
  httpStatus?: number;
  dimseStatus?: number;
  ms: number;
  detail: string;
}

export type Interaction = 'read' | 'search-type' | 'create' | 'update' | 'conditional-update';

export interface ResourceSupport {
  interactions: Interaction[];
  /** The search parameters the bridge and the context API use that the server declares. */
  searchParams: string[];
  /** Needed ones the server does not declare. */
  missingSearchParams: string[];
}

export interface FhirArea {
  url: string;
  reachable: boolean;
  /** HTTPS only: when the server's certificate expires, and whether it was trusted. */
  tls?: { trusted: boolean; expires?: string; daysLeft?: number; error?: string };
  fhirVersion?: string;
  release?: FhirRelease;
  software?: string;
  json?: boolean;
  /** Per resource type the bridge and the context API use; absent when the server lists none. */
  resources: Record<string, ResourceSupport | null>;
  transaction?: boolean;
  batch?: boolean;
  conditionalUpdate?: boolean;
  smart: {
    status: 'ok' | 'absent' | 'failed' | 'not-probed';
    grantTypes: string[];
    scopes: string[];
    tokenEndpoint?: string;
  };
  checks: Check[];
}

export type FhirRelease = 'DSTU2' | 'STU3' | 'R4' | 'R4B' | 'R5' | 'R6 ballot' | 'unknown';

export type ProbeWord = 'ok' | 'failed' | 'off' | 'not-probed';

export interface DicomwebArea {
  url: string;
  reachable: boolean;
  server?: string;
  qido: ProbeWord;
  /** What QIDO honoured: wildcard, date range, fuzzy matching (undefined = not probed). */
  matching?: { wildcard?: boolean; dateRange?: boolean; fuzzymatching?: boolean };
  wado: ProbeWord;
  frames: ProbeWord;
  rendered: ProbeWord;
  stow: ProbeWord;
  transferSyntaxes: string[];
  checks: Check[];
}

export interface DimseArea {
  target: string;
  association: 'ok' | 'rejected' | 'failed' | 'not-probed';
  echo: ProbeWord;
  find: ProbeWord;
  get: ProbeWord;
  move: ProbeWord;
  /** Storage SOP classes accepted, each with the transfer syntaxes accepted for it. */
  sopClasses: { uid: string; name: string; transferSyntaxes: string[] }[];
  checks: Check[];
}

export interface Mismatch {
  studyInstanceUid: string;
  fields: ('numberOfSeries' | 'numberOfInstances' | 'patientId' | 'studyDate')[];
}

export interface DataFlowArea {
  /** How the PACS was listed: QIDO-RS or C-FIND. */
  pacsVia: 'qido' | 'c-find';
  pacsStudies: number;
  fhirStudies: number;
  matched: number;
  missingInFhir: string[];
  notInPacs: string[];
  mismatched: Mismatch[];
  lagSeconds: { median: number; max: number } | null;
  /** Studies that AI results (Observation.derivedFrom) reference. */
  withResults: number;
  checks: Check[];
}

export type Area = 'fhir' | 'dicomweb' | 'dimse' | 'dataFlow' | 'security';
export type Level = 'blocker' | 'warning' | 'info';

export interface Finding {
  area: Area;
  level: Level;
  message: string;
  nextStep: string;
  /** Higher first: how much of the path it unblocks (ordering only). */
  weight: number;
}

export type Readiness = 'ready' | 'partial' | 'blocked' | 'not-assessed';

export interface Assessment {
  generatedAt: string;
  since: string;
  /** Whether the assessment wrote to a target (only with --probe-stow). */
  wrote: boolean;
  fhir: FhirArea | null;
  dicomweb: DicomwebArea | null;
  dimse: DimseArea | null;
  dataFlow: DataFlowArea | null;
  findings: Finding[];
  readiness: Record<'fhir' | 'dicomweb' | 'dimse' | 'dataFlow', Readiness>;
  /** One sentence per area, the readiness in words. */
  verdict: string[];
}
