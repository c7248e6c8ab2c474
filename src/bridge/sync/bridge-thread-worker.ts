/**
 * The bridge's sync on its own thread (`bridge-thread.ts` starts it; config `bridge.thread`):
 * the same sync service as in process (sync-service.ts) over its own connections — the archive
 * index (outbox, instances, quarantine, links, the journal of its passes) and, with the embedded
 * target, fhir.sqlite. Every FHIR write it commits goes to the server's write listeners
 * (Subscriptions, worklist, stroke, the context caches) as a `writes` message.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openSqlite } from '../../core/sqlite-open.js';
import { boundPageCache, PAGE_CACHE_KIB } from '../../core/sqlite-cache.js';
import { openFhirStoreWriter, type FhirStoreWriter } from '../../fhir/store-connections.js';
import { parseFhirConfig } from '../../fhir/config.js';
import { parseBridgeConfig } from './config.js';
import { sqliteBridgeStores } from './stores.js';
import { Outbox } from './outbox.js';
import { bridgeClient, buildSyncService } from './sync-service.js';
import type { BridgeThreadData, FromBridgeThread, ToBridgeThread } from './thread-protocol.js';

const data = workerData as BridgeThreadData;
const loadMs = Date.now() - data.spawnedAt;
const port = parentPort!;
const post = (m: FromBridgeThread) => port.postMessage(m);

const logger = pino(
  { level: data.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => post({ type: 'log', line }) },
);

const fhir = parseFhirConfig(data.sections.fhir);
const config = parseBridgeConfig(data.sections.bridge, Object.keys(fhir.servers));
const publicUrl = data.publicUrl.replace(/\/+$/, '');

// The archive index: a second connection beside the server's (WAL: its reads never block the
// server's commits; its one commit per pass waits for the server's lock, and the server's for it).
const db = openSqlite(data.indexFile, data.sqliteKeys, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
// The journal commits relaxed (write-journal.ts); durable with the server's next synced commit.
db.pragma('synchronous = NORMAL');
// The server's WAL checkpointer (core/wal-checkpointer.ts) checkpoints both files on its own thread.
db.pragma('wal_autocheckpoint = 0');
// The outbox, journal and the instances of a pass: the server's connection keeps the index's pages.
boundPageCache(db, PAGE_CACHE_KIB.side);

let store: FhirStoreWriter | undefined;
if (config.target === 'embedded') {
  store = openFhirStoreWriter({
    file: data.fhirFile,
    publicUrl,
    section: data.sections.fhir,
    ...(data.sqliteKeys ? { sqliteKeys: data.sqliteKeys } : {}),
    onWrite: (events) => post({ type: 'writes', events }),
  });
  store.db.pragma('wal_autocheckpoint = 0');
}

const sources = new Map(data.sourceDicomweb);
const stores = sqliteBridgeStores(db);
const outbox = new Outbox(db);
const service = buildSyncService({
  stores,
  config,
  client: bridgeClient(config, fhir.servers, publicUrl, store?.router),
  publicUrl,
  logger,
  sourceDicomweb: (instanceSource) => sources.get(instanceSource),
});
let lastSync = Date.now();
service.worker.onSync((event) => {
  lastSync = Date.now();
  post({ type: 'synced', event });
});
// Idle (nothing synced for idleMs, nothing in flight or due): the server ends the thread, and
// starts another when the outbox has work again (its isolate, R4 definitions and connections
// cost ≈ 150 MB; an idle server does not hold them).
const idleCheck = setInterval(
  () => {
    if (Date.now() - lastSync < data.idleMs || service.worker.inFlightCount() > 0 || outbox.hasDue()) return;
    post({ type: 'idle' });
  },
  Math.max(100, Math.min(data.idleMs, 5000)),
);

// What the start left (the parse of the R4 definitions) goes now, before the thread's first pass.
collectStartGarbage();
post({
  type: 'ready',
  loadMs,
  openMs: Date.now() - data.spawnedAt - loadMs,
  ...threadCpu(),
  heapUsed: process.memoryUsage().heapUsed,
  heapTotal: process.memoryUsage().heapTotal,
});

let closing = false;
port.on('message', (m: ToBridgeThread) => {
  if (m.type === 'start') {
    service.worker.start();
    void service.capabilities.check();
  } else if (m.type === 'sync-now') {
    service.worker.syncNow(m.studyUid).then(
      () => post({ type: 'answer', id: m.id }),
      (e: unknown) => post({ type: 'answer', id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  } else if (m.type === 'status') {
    const capabilities = service.capabilities.current();
    post({
      type: 'answer',
      id: m.id,
      inFlight: service.worker.inFlightCount(),
      ...(capabilities ? { capabilities } : {}),
    });
  } else if (!closing) {
    closing = true;
    clearInterval(idleCheck);
    void (async () => {
      await service.worker.stop();
      store?.close();
      db.close();
      post({ type: 'closed' });
      port.close();
    })();
  }
});

/** This thread's CPU time (Linux: /proc/thread-self/schedstat, ns on the CPU); elsewhere nothing. */
function threadCpu(): { cpuMs?: number } {
  try {
    return { cpuMs: Math.round(Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6) };
  } catch {
    return {};
  }
}

/**
 * One full garbage collection now: loading the R4 definitions (loadR4) parses ≈ 50 MB of JSON
 * of which ≈ 10 MB stays; without it that garbage stays in the thread's old generation (≈ 100 MB
 * of RSS) until the heap grows enough for a major GC, which a sync thread rarely does.
 * `gc` is exposed only for the context created here (the flag is set back at once).
 */
function collectStartGarbage(): void {
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
