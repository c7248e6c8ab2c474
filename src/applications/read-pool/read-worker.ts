/**
 * A read thread (read-pool.ts starts them): the patient context and the stroke check built here,
 * over a read-only connection to the embedded fhir.sqlite (a WAL reader: it sees every commit made
 * before each read began), so that the searches, JSON parsing, assembly and serialisation of
 * these reads run beside the event loop instead of on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OperationOutcomeError } from '../../core/errors.js';
import { HiddenPatient, openContext } from '../../context/index.js';
import { callerPolicy } from '../../fhir/access/scope-access.js';
import { openFhirReadReplica } from '../../fhir/store-connections.js';
import { openStroke } from '../stroke/open.js';
import { contextAnswer, strokeAnswer } from './answers.js';
import type { ReadJob, ReadReply, ReadWorkerData } from './protocol.js';

const port = parentPort!;
const data = workerData as ReadWorkerData;
const replica = openFhirReadReplica({
  file: data.fhirFile,
  publicUrl: data.publicUrl,
  section: data.sections.fhir,
  ...(data.sqliteKeys ? { sqliteKeys: data.sqliteKeys } : {}),
});
const context = openContext({ sections: data.sections, embeddedFhir: replica.router, publicUrl: data.publicUrl });
const stroke = openStroke({
  sections: data.sections,
  embeddedFhir: replica.router,
  publicUrl: data.publicUrl,
  context,
});
const policyOptions = { registry: replica.registry, baseUrl: `${data.publicUrl.replace(/\/+$/, '')}/fhir` };

async function answer(job: ReadJob): Promise<ReadReply> {
  const policy = callerPolicy(job.principal, policyOptions);
  try {
    const a =
      job.kind === 'context'
        ? await contextAnswer(context, job.request, policy, job.asBundle)
        : await strokeAnswer(stroke, job.request, policy);
    return { id: job.id, ok: true, ...a };
  } catch (e) {
    if (e instanceof OperationOutcomeError)
      return {
        id: job.id,
        ok: false,
        status: e.status,
        outcome: e.outcome,
        headers: e.headers,
        ...(e instanceof HiddenPatient ? { hiddenPatientId: e.patientId } : {}),
        message: e.message,
      };
    return { id: job.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

port.on('message', (job: ReadJob | { close: true }) => {
  if ('close' in job) {
    replica.close();
    port.close();
    return;
  }
  void answer(job).then((reply) => port.postMessage(reply));
});
