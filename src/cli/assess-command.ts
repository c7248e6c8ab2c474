import { writeFileSync } from 'node:fs';
import { assess, FORMATS, renderAssessment, type Format } from '../assessment/index.js';
import { OperationOutcomeError, badRequest } from '../core/errors.js';
import { comparisonFlags } from './comparison-flags.js';
import { argumentError, parseCommandLine } from './options.js';

const USAGE = `imaging-bridge assess [--fhir URL] [--fhir-auth none|bearer-file:F|smart-client:ID] [--dicomweb URL] [--dicomweb-header "K: V"]
                      [--dimse AET@HOST:PORT] [--dicom-aet OURS] [--since 30d] [--probe-stow]
                      [--format text|json|html|md] [--out FILE] [--timeout 10s] [--config FILE]

Readiness of a FHIR server, a DICOMweb service and a DIMSE peer, and whether studies flow
between them. With no target it assesses what the configuration points at. Writes nothing
unless --probe-stow (one synthetic instance, stored and deleted). Exit 0 when the assessment
ran (whatever it found), 2 on bad arguments, 1 when it could not run. See docs/assessment.md.`;

export const ASSESS_FLAGS = {
  fhir: { type: 'string' },
  'fhir-auth': { type: 'string' },
  dicomweb: { type: 'string' },
  'dicomweb-header': { type: 'string', multiple: true },
  dimse: { type: 'string' },
  since: { type: 'string' },
  'probe-stow': { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export async function runAssess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const bad = argumentError(args, ASSESS_FLAGS);
  if (bad) {
    console.error(`imaging-bridge assess: ${bad}\n\n${USAGE}`);
    return 2;
  }
  const { config, values } = parseCommandLine(args, env, ASSESS_FLAGS);
  const now = new Date();
  let format: Format;
  let request;
  try {
    format = (values.format as string | undefined) === undefined ? 'text' : (values.format as Format);
    if (!(FORMATS as readonly string[]).includes(format))
      throw badRequest(`--format must be one of ${FORMATS.join(', ')}`, 'format');
    request = comparisonFlags(values, config, now);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e;
    console.error(`imaging-bridge assess: ${(e as Error).message}`);
    return 2;
  }
  const probeStow = values['probe-stow'] === true;
  if (probeStow) console.error('--probe-stow: one synthetic test instance will be stored and deleted again');
  const report = await assess(request.targets, { since: request.since, timeoutMs: request.timeoutMs, probeStow, now });
  const text = renderAssessment(report, format);
  const out = values.out as string | undefined;
  if (out) {
    try {
      writeFileSync(out, text);
    } catch (e) {
      console.error(
        `imaging-bridge assess: cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
      return 1;
    }
    console.error(`assessment written to ${out}`);
  } else process.stdout.write(text);
  return 0;
}
