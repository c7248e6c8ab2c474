import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { noPackCompaction } from './archive/blob/open-blob-store.js';
import { openStorage } from './archive-storage.js';
import { sweepAfterCrash } from './archive/orphan-sweep.js';
import { CompactionJob, compactionControl } from './archive/pack/compaction-job.js';
import type { Config } from './config/schema.js';
import { readTlsFiles } from './config/tls-files.js';
import { maskChannelHeaders, subscriptionStamper } from './notifications/subscriber.js';
import { authoritiesFor, subscriberPolicy } from './notifications/subscriber-standing.js';
import { openBridgeStores } from './bridge/open-stores.js';
import { guardStudyClaims } from './bridge/patients/study-claims.js';
import type { FhirResource } from './fhir/types.js';
import type { WriteEvent } from './fhir/repository/observed-repository.js';
import { AiResultsService } from './ai-results/index.js';
import {
  backgroundServiceThread,
  openAuditLog,
  openPostgresAuditLog,
  parseAuditAnchorConfig,
  parseAuditSyslogConfig,
  recordAccess,
} from './audit/index.js';
import { accessRecordsOf, oauthAccessRecord } from './http/security/audit-mapping.js';
import { openAuthorizationServer, parseExternalIssuers } from './security/oauth/index.js';
import { callerPolicy, smartDecisions } from './fhir/access/scope-access.js';
import { websocketAuthorizer } from './notifications/websocket/authorize.js';
import { WEBSOCKET_PATH } from './notifications/websocket/server.js';
import type { FastifyInstance } from 'fastify';
import { openContext, openEmbeddedReader } from './context/index.js';
import { openStroke, StrokeAutoRun } from './applications/stroke/index.js';
import { openReadPool } from './applications/read-pool/index.js';
import { openOncology } from './applications/oncology/index.js';
import { openWorklist } from './applications/worklist/index.js';
import { NotificationService, parseNotificationsConfig } from './notifications/index.js';
import { openSharedNotifications } from './notifications/postgres/shared.js';
import { openBridge, parseBridgeConfig } from './bridge/sync/index.js';
import { Outbox } from './bridge/sync/outbox.js';
import { parseFhirConfig } from './fhir/config.js';
import { QidoService } from './archive/query/index.js';
import { createRenderer } from './dicomweb/render/renderer.js';
import { loadDemoData } from './demo/loader.js';
import { dimseAccessRecord, startDimseServer } from './dimse/index.js';
import { inProcessFhirClient } from './fhir/client/index.js';
import { WalCheckpointer } from './core/wal-checkpointer.js';
import { openJobLeases } from './core/postgres/job-leases.js';
import { parseDatabaseSection } from './core/postgres/lease-config.js';
import { openFhirServer } from './fhir/embedded.js';
import { buildHttpApp, routeRules } from './http/app.js';
import {
  CONSOLE_BUILD_DIR,
  CONSOLE_CLIENT_ID,
  CONSOLE_REDIRECT_PATH,
  CONSOLE_SCOPE,
  consoleConfig,
} from './http/console-routes.js';
import type { RouteRule } from './http/security/access-control.js';
import { openSources } from './sources/index.js';
import { assessmentService, scheduledReconcile } from './assessment/index.js';
import { openSourceStateStore } from './sources/open-state-store.js';
import { openAtRestOf } from './core/encryption/at-rest.js';

/** Our version, as published (the CapabilityStatement states it). dist/main.js and src/main.ts both sit one level below package.json. */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

// Composition root: the only place that picks concrete implementations. The archive's storage is
// opened in archive-storage.ts, which the CLI commands import without this module's server graph.

export interface RunningServer {
  httpUrl: string;
  /** The DIMSE port actually bound (config.dicomPort, or the one picked for port 0). */
  dicomPort: number;
  /** Every HTTP route with its access rule. */
  routes(): readonly RouteRule[];
  /** Serves one request in process, without the socket (tests of routes where a port adds nothing). */
  inject: FastifyInstance['inject'];
  close(): Promise<void>;
}

export interface ServerHooks {
  /**
   * A sync of the archive index failed: the archive already refuses every write; the process
   * should stop and be restarted, whose start-up recovery reads the disk again
   * (docs/journal-recovery.md). Called once.
   */
  onDurabilityLost?(err: Error): void;
}

export async function startServer(config: Config, logger: Logger, hooks: ServerHooks = {}): Promise<RunningServer> {
  // Refuses to start when the data directory's encryption and the configured key do not match.
  const atRest = openAtRestOf(config);
  if (atRest.objects) logger.info({ encryptionAtRest: true }, `data directory ${atRest.description}`);
  else
    logger.warn(
      { encryptionAtRest: false },
      'data directory NOT encrypted at rest (no --encryption-key-file or IMAGING_BRIDGE_ENCRYPTION_KEY): keep it on an encrypted volume',
    );
  // With --database the archive index (and every store beside it) is in PostgreSQL, shared by the instances.
  const storage = await openStorage(config, true, atRest, config.database);
  const { archive, upkeep, blobs, orphans, checkBlobs, index } = storage;
  const db = index.kind === 'sqlite' ? index.db : undefined;
  if (index.kind === 'postgres' && blobs)
    logger.warn(
      { index: index.where, blobStore: 'local' },
      'archive index in PostgreSQL with the bytes in this data directory: another instance on this database finds these studies but cannot read their bytes (and pack keys collide); with several instances use --blob-store s3://… (docs/scaling.md)',
    );
  // An unusable bucket (missing, no access, unreachable) stops start-up with what is wrong.
  await checkBlobs().catch(async (e: unknown) => {
    await archive.close();
    throw e;
  });
  archive.onDurabilityLost((err) => {
    logger.fatal(
      { err, index: index.where },
      'the archive index could not be made durable: every write is refused from now on; restart the server to recover (docs/journal-recovery.md)',
    );
    hooks.onDurabilityLost?.(err);
  });
  const redone = await archive.recover();
  if (redone > 0) logger.warn({ redone }, 're-indexed journaled instances whose index commit an unclean stop had lost');
  const sweeper = await sweepAfterCrash(archive, upkeep, orphans.blobs, logger, orphans.options);
  // Pack compaction (docs/storage.md): one run cut short by a crash or a stop starts again now.
  const compaction =
    blobs && new CompactionJob(blobs.packs, upkeep, (s) => logger.info({ compaction: s }, 'pack compaction ended'));
  if (compaction?.resumeInterrupted()) logger.warn('resumed a pack compaction that was cut short');
  // Whose study is whose: recorded by the bridge from the archive's DICOM, never from client writes.
  const { outboxClaimMs } = parseBridgeConfig(
    config.sections.bridge,
    Object.keys(parseFhirConfig(config.sections.fhir).servers),
  );
  const bridgeStores = await openBridgeStores(index, { outboxClaimMs, database: config.database });
  const studyLinks = bridgeStores.links;
  const guardClaims = guardStudyClaims(studyLinks);
  const stampSubscription = subscriptionStamper((id) => fhir.current('Subscription', id));
  const qido = new QidoService(storage.qido, {
    publicUrl: config.publicUrl,
    maxResults: config.maxQidoResults,
  });
  const fhir = await openFhirServer({
    database: config.database,
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    section: config.sections.fhir,
    version: VERSION,
    onError: (err) => logger.error({ err }, 'FHIR request failed'),
    // Notifications carry only what the subscriber may see: the server records who that is,
    // only that subscriber may change it, and only it sees the channel's header values.
    // A client's ImagingStudy cannot claim a study the bridge linked to another Patient.
    beforeWrite: async (resource, req) => guardClaims(await stampSubscription(resource, req), req),
    beforeSend: maskChannelHeaders,
    sqliteKeys: atRest.sqlite,
  });
  // One thread for the background services that may wait for each other: the WAL checkpoints and
  // the AuditEvent copies (issue 21: an isolate is ≈ 10.8 MB of RSS). The audit chain writer keeps
  // its own: requests wait for its commits.
  const background = backgroundServiceThread();
  const checkpointer = new WalCheckpointer(logger, undefined, atRest.sqlite, undefined, undefined, background);
  if (db) checkpointer.adopt(db);
  if (fhir.db) checkpointer.adopt(fhir.db);
  const dueRows = db && new Outbox(db);
  // Validates sections.bridge: a bad bridge config stops start-up before anything listens.
  const bridge = openBridge({
    stores: bridgeStores.stores,
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    logger,
    deleteStudy: (studyUid, actor, reason) => archive.delete({ studyUid }, actor, reason),
    sourceDicomweb: (instanceSource) => sources.dicomwebOf(instanceSource),
    // bridge.thread: the sync on its own thread over its own connections to both SQLite files.
    ...(dueRows && fhir.db
      ? {
          thread: {
            data: () => ({
              indexFile: join(config.dataDir, 'index.sqlite'),
              fhirFile: join(config.dataDir, 'fhir.sqlite'),
              ...(atRest.sqlite ? { sqliteKeys: atRest.sqlite } : {}),
              sourceDicomweb: sources.dicomwebSources(),
            }),
            announce: (events: WriteEvent[]) => fhir.announce(events),
            hasWork: () => dueRows.hasDue(),
          },
        }
      : {}),
  });
  // The sources' state: the archive database, or PostgreSQL with --database.
  const sourceStates = await openSourceStateStore(config.database, db);
  // Singleton background jobs (each source's polling, the reconcile schedule): with --database, run by
  // one instance, the holder of the job's lease (config database.lease; docs/postgresql.md).
  const jobLeases = await openJobLeases(config.database, parseDatabaseSection(config.sections.database).lease, logger);
  // Validates sections.sources; polling starts once we listen (C-MOVE sources send to our SCP).
  const sources = openSources(config, {
    archive,
    state: sourceStates.store,
    logger,
    resync: (uids) => upkeep.queueForSync(uids, 'source endpoint choice changed'),
    guard: jobLeases.guard,
  });
  // The tamper-evident audit trail (hash chain keyed from outside the data dir), copied into
  // the embedded FHIR server for /fhir/AuditEvent searches. With --database, the chain is in
  // PostgreSQL (one for every instance), copied into FHIR by one instance (docs/postgresql.md).
  const auditOptions = {
    dataDir: config.dataDir,
    keyFile: config.auditKeyFile,
    // The AuditEvent copies are written from their own thread (one per patient of a read) into
    // the embedded SQLite store; into a PostgreSQL store through its repository, in process.
    ...(fhir.db
      ? {
          projectionThread: {
            fhirFile: join(config.dataDir, 'fhir.sqlite'),
            baseUrl: `${config.publicUrl.replace(/\/+$/, '')}/fhir`,
            ...(atRest.sqlite ? { fhirKeys: atRest.sqlite } : {}),
            // The server's writes waiting for fhir.sqlite's lock go before the next slice of copies.
            ...(fhir.writeWaiters ? { writeWaiters: fhir.writeWaiters.buffer } : {}),
            host: background,
          },
        }
      : { repository: fhir.repository }),
    logger: logger.child({ component: 'audit' }),
    syslog: parseAuditSyslogConfig(config.sections.security),
    anchor: parseAuditAnchorConfig(config.sections.security),
    sqliteKeys: atRest.sqlite,
    ...(config.auditBusyTimeoutMs !== undefined ? { busyTimeoutMs: config.auditBusyTimeoutMs } : {}),
  };
  const audit = config.database
    ? await openPostgresAuditLog({ ...auditOptions, database: config.database })
    : openAuditLog(auditOptions);
  const server = { publicUrl: config.publicUrl, aeTitle: config.dicomAet };
  // Validates sections.reconcile: the scheduled drift check (docs/assessment.md), its drift on /api/sync/status.
  const queued = (studyUid: string, detail: string) =>
    void recordAccess(audit.sink, {
      actor: 'reconcile-schedule',
      requestId: randomUUID(),
      outcome: 'success',
      outcomeDesc: `reconcile ${studyUid}: ${detail}`,
      recorded: new Date(),
      server,
      access: { kind: 'fhir', interaction: 'operation', operation: 'reconcile-queue', resourceType: 'ImagingStudy' },
    }).catch((err: unknown) => logger.error({ err }, 'audit record of a scheduled reconcile failed'));
  const reconcileRuns = scheduledReconcile(config, {
    held: async (uid) => (await archive.instances({ studyUid: uid })).length > 0,
    queueSync: (uid) => {
      void Promise.resolve(bridge.admin.outbox.enqueue(uid, 'reconcile')).then(
        () => queued(uid, 'queued for the bridge'),
        (err: unknown) => logger.error({ err, studyUid: uid }, 'queueing a reconciled study for the bridge failed'),
      );
    },
    fetchFromSource: async (source, uid) => {
      await sourceStates.store.requeue(source, uid, undefined, Date.now());
      queued(uid, `queued for source ${source}`);
    },
    record: (drift) =>
      void Promise.resolve(bridge.admin.outbox.setMeta('drift', drift)).catch((err: unknown) =>
        logger.error({ err }, 'recording the reconcile drift failed'),
      ),
    onError: (err) => logger.warn({ err: err.message }, 'scheduled reconcile failed'),
  });
  const reconcileJob =
    reconcileRuns &&
    jobLeases.guard('reconcile-schedule', { start: () => reconcileRuns.start(), stop: () => reconcileRuns.close() });
  // Validates sections.context (clinical data from the embedded server or a named external one).
  // Its accesses are audited at the HTTP edge, like every other route.
  // One reader of the embedded store for both; cached until a write when this process is its only writer (SQLite).
  const embeddedReader = openEmbeddedReader({
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    ...(fhir.db ? { writes: (listener) => fhir.onWrite(listener) } : {}),
    targetsOf: (type, code) => fhir.registry.get(type, code)?.targets,
  });
  const context = openContext({
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    reader: embeddedReader,
  });
  // Validates sections.stroke; reads the record from the context API's clinical server.
  const stroke = openStroke({
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    context,
    reader: embeddedReader,
  });
  // Contexts and stroke checks built on read threads over fhir.sqlite (docs/context-api.md, "Read threads").
  const readPool = openReadPool({
    sections: config.sections,
    fhirFile: fhir.db ? join(config.dataDir, 'fhir.sqlite') : undefined,
    publicUrl: config.publicUrl,
    ...(atRest.sqlite ? { sqliteKeys: atRest.sqlite } : {}),
    context,
    stroke,
    onThreadStart: (threads) => logger.debug({ threads }, 'read thread started'),
  });
  // The tumor-board summary reads like the context API; study links open the console's viewer when built.
  const oncology = openOncology({
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    context,
    console: existsSync(join(CONSOLE_BUILD_DIR, 'index.html')),
  });
  const fhirBase = `${config.publicUrl.replace(/\/+$/, '')}/fhir`;
  const embeddedClient = inProcessFhirClient(fhir.router, fhirBase);
  const aiResults = new AiResultsService({ fhir: embeddedClient });
  // Validates sections.notifications; Subscriptions are picked up once we listen.
  const notificationsConfig = parseNotificationsConfig(config.sections.notifications);
  const notifications = new NotificationService({
    fhir: embeddedClient,
    onWrite: (listener) => fhir.onWrite(listener),
    config: notificationsConfig,
    // Several instances share the store: Subscriptions written through the others are re-read, rest-hooks
    // wait in the shared work queue and websocket pings reach every instance (docs/subscriptions.md).
    ...(config.database
      ? {
          refreshMs: 2_000,
          shared: await openSharedNotifications(
            config.database,
            notificationsConfig,
            logger.child({ component: 'notifications' }),
          ),
        }
      : {}),
    // A notification is what the subscriber may read now (its current registration, or for an
    // external IdP the token it last wrote the Subscription with); unstamped → none under --auth smart.
    ...(config.auth === 'smart'
      ? {
          subscriber: async (sub: FhirResource) =>
            subscriberPolicy(sub, await subscriberAuthorities(sub), { registry: fhir.registry, baseUrl: fhirBase }),
        }
      : {}),
    // Recorded before anything is sent: no record, no notification.
    record: (n) =>
      recordAccess(audit.sink, {
        ...n,
        ...(n.principal ? {} : { actor: 'notifications' }),
        requestId: randomUUID(),
        recorded: new Date(),
        server,
      }),
    logger: logger.child({ component: 'notifications' }),
  });
  // The stroke check runs itself when a head CT/MR is written and again when its AI result arrives.
  const strokeRuns = stroke.config.automatic
    ? new StrokeAutoRun({
        service: stroke,
        // Its bundle is built by pure code whose every case is checked against R4 in persist.test.ts.
        fhir: inProcessFhirClient(fhir.router, fhirBase, { validatedWrites: true }),
        onWrite: (listener) => fhir.onWrite(listener),
        logger: logger.child({ component: 'stroke' }),
      })
    : undefined;
  // Validates sections.worklist; indexes the studies once we listen, then follows FHIR writes.
  const worklist = openWorklist({
    sections: config.sections,
    fhir: embeddedClient,
    dicom: { facts: (uid) => upkeep.studyFacts(uid), factsOf: (uids) => upkeep.studiesFacts(uids) },
    onWrite: (listener) => fhir.onWrite(listener),
    logger: logger.child({ component: 'worklist' }),
  });
  // SMART on FHIR authorization server and token verifier (--auth smart, the default).
  const auth =
    config.auth === 'smart'
      ? await openAuthorizationServer({
          dataDir: config.dataDir,
          database: config.database,
          publicUrl: config.publicUrl,
          tokenLifetime: config.tokenLifetime,
          section: config.sections.security,
          logger: logger.child({ component: 'oauth' }),
          atRest,
          ownClients: [
            {
              clientId: CONSOLE_CLIENT_ID,
              scope: CONSOLE_SCOPE,
              role: 'clinician',
              redirectUris: [`${config.publicUrl}${CONSOLE_REDIRECT_PATH}`],
            },
          ],
          onEvent: (e) =>
            void recordAccess(audit.sink, oauthAccessRecord(e, server)).catch((err: unknown) =>
              logger.error({ err }, 'audit record of an authorization event failed'),
            ),
        })
      : undefined;
  const trustedIssuers = new Set(parseExternalIssuers(config.sections.security).map((e) => e.issuer));
  const subscriberAuthorities = (sub: FhirResource) =>
    authoritiesFor(
      sub,
      {
        registeredScope: async (clientId) => (await auth?.clients.get(clientId))?.scope,
        userExists: async (username) => (await auth?.users.get(username)) !== undefined,
      },
      { ownIssuer: auth?.issuer ?? '', trustedIssuers, now: Date.now },
    );
  const tls = readTlsFiles(config);
  const render = createRenderer({
    threads: config.renderThreads,
    queueLimit: config.renderQueue,
    cacheBytes: config.thumbnailCacheBytes,
    onThreadStart: (threads) => logger.debug({ component: 'render', threads }, 'render thread started'),
  });
  const app = buildHttpApp({
    archive,
    qido,
    fhir: fhir.router,
    bridge,
    sources,
    context,
    stroke,
    oncology,
    worklist,
    aiResults,
    assessment: assessmentService(config),
    storage: compaction ? compactionControl(compaction) : noPackCompaction(config.blobStore ?? 'object storage'),
    publicUrl: config.publicUrl,
    logger,
    accessControl: {
      mode: config.auth,
      verifier: auth?.verifier,
      decisions: smartDecisions,
      publicPrefixes: auth?.publicRoutes ?? [],
      realm: fhirBase,
    },
    ...(auth ? { extraRoutes: (a: FastifyInstance) => auth.register(a), accessAdmin: auth.admin } : {}),
    ...(readPool ? { readPool } : {}),
    policyOf: (req) => callerPolicy(req.principal, { registry: fhir.registry, baseUrl: fhirBase }),
    studiesOfPatient: (patientId) => studyLinks.studiesOf(patientId),
    console: { root: CONSOLE_BUILD_DIR, config: consoleConfig(config.auth, config.publicUrl, auth?.issuer) },
    render,
    // One group commit for a request's records (a batch has one per entry).
    recordAccess: async (access) => {
      await Promise.all(accessRecordsOf(access, server).map((record) => recordAccess(audit.sink, record)));
    },
    deadlines: { publicMs: config.publicRequestTimeout * 1000, authenticatedMs: config.requestTimeout * 1000 },
    ...(tls ? { https: tls } : {}),
  });
  // Keep-alive longer than typical proxy idle timeouts. Request timeouts: see deadlines above
  // (they bound how long a request takes to arrive, never a long WADO response).
  app.server.keepAliveTimeout = 65_000;
  notifications.websocket.attach(app.server, WEBSOCKET_PATH, auth ? websocketAuthorizer(auth.verifier) : undefined);
  // Validates sections.dimse first: a bad DIMSE config stops start-up before anything listens.
  const dimse = await startDimseServer(config, {
    archive,
    qido,
    logger,
    audit: (a) => recordAccess(audit.sink, dimseAccessRecord(a, server)),
  });
  try {
    if (config.demo) {
      // Before listening, with every ingest consumer wired: loading again only finds what is there.
      // Its resources are a pure function of the seed, every one checked against R4 in loader.test.ts:
      // not validated again at each start (≈ 0.8 s of CPU).
      const validated = inProcessFhirClient(fhir.router, fhirBase, { validatedWrites: true });
      logger.info({ demo: await loadDemoData({ fhir: validated, archive }) }, 'demo data loaded');
    }
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (e) {
    await dimse.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  logger.info(
    { host: config.host, httpPort: port, publicUrl: config.publicUrl, dataDir: config.dataDir },
    'ImagingBridge ready',
  );
  // Before the bridge starts: the ImagingStudies it writes notify.
  await notifications.start();
  strokeRuns?.start();
  // Follows writes from now on; indexes the studies already there in the background.
  worklist.start().catch((err: unknown) => logger.error({ err }, 'worklist indexing failed'));
  void bridge.start();
  await sources.start();
  reconcileJob?.start();
  return {
    httpUrl: `${config.tlsCert ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    dicomPort: dimse.port,
    routes: () => routeRules(app),
    inject: app.inject.bind(app),
    close: async () => {
      await reconcileJob?.close();
      await sources.close();
      await jobLeases.close();
      await sourceStates.close();
      await notifications.close();
      strokeRuns?.close();
      worklist.close();
      await Promise.all([app.close(), dimse.close()]);
      await readPool?.close();
      await bridge.close();
      await bridgeStores.close();
      await audit.close();
      await sweeper.end();
      await compaction?.stop();
      await checkpointer.close();
      await archive.close();
      await auth?.close();
      await fhir.close();
    },
  };
}
