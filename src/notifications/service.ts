/**
 * FHIR R4 Subscriptions on the embedded server: tracks Subscription resources (requested →
 * active, or error with the reason), watches every committed write, checks it against each
 * Subscription's criteria with the server's own search (`criteria&_id=<id>`: the same
 * semantics as a search), and notifies by rest-hook (retries with backoff; failures put the
 * Subscription in status error with the reason) or websocket (`ping <id>`).
 *
 * Where rest-hooks wait and how pings travel: in this process by default; with `shared`
 * (PostgreSQL, postgres/shared.ts) rest-hooks are jobs of the shared work queue, delivered by
 * any instance, and pings reach clients bound to every instance (LISTEN/NOTIFY).
 *
 * Each notification is for the subscriber's authority as it stands at that moment (`subscriber`:
 * a policy, or why it has none any more, which goes into the Subscription's error), and is
 * recorded (`record`) before any byte of it leaves: a notification whose record cannot be
 * written is not sent.
 */
import { randomUUID } from 'node:crypto';
import type { AuditOutcome, NotificationAccess } from '../audit/balp/access-record.js';
import { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
import { FhirServerError, type FhirClient } from '../fhir/client/index.js';
import type { WriteEvent, WriteListener } from '../fhir/repository/observed-repository.js';
import type { FhirResource } from '../fhir/types.js';
import { allowedEndpoint, type NotificationsConfig } from './config.js';
import { parseCriteria, type Criteria } from './criteria.js';
import { LocalPingFanout, type PingAbout, type PingFanout } from './ping-fanout.js';
import { deliverRestHook, type DeliveryOptions, type DeliveryResult, type RestHookChannel } from './rest-hook.js';
import { type AttemptResult, InProcessRestHookQueue, type RestHookJob, type RestHookQueue } from './rest-hook-queue.js';
import type { Principal } from '../auth/principal.js';
import { isSubscriber } from './subscriber.js';
import { WebSocketHub, type ChannelEvent } from './websocket/server.js';

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface NotificationOptions {
  /** Client of the embedded server (in process). */
  fhir: FhirClient;
  onWrite: (listener: WriteListener) => () => void;
  config: NotificationsConfig;
  logger: Log;
  /**
   * What the Subscription's subscriber may see now, or why it may not receive anything any more
   * (removed client, narrowed registration, expired external token). Absent: everything (--auth none).
   */
  subscriber?: (
    subscription: FhirResource,
  ) => AccessPolicy | { refused: string } | Promise<AccessPolicy | { refused: string }>;
  /** Writes one audit record durably (rejects when it cannot): notifications and websocket steps. */
  record?: (r: NotificationRecord) => Promise<void>;
  now?: () => number;
  /**
   * With a store shared by several instances (PostgreSQL): re-reads the live Subscriptions this
   * often, so that one written through another instance is matched by this instance's writes too
   * (each write is notified by the instance that committed it). Absent: only writes seen here.
   */
  refreshMs?: number;
  fetch?: DeliveryOptions['fetch'];
  sleep?: DeliveryOptions['sleep'];
  /** Rest-hook queue and ping fan-out shared by the instances (closed with the service). Absent: in process. */
  shared?: SharedDelivery;
}

/** What several instances share to deliver notifications (postgres/shared.ts). */
export interface SharedDelivery {
  restHooks: RestHookQueue;
  pings: PingFanout;
  close(): Promise<void>;
}

/** What the audit needs of a channel step; the caller adds request id, time and server. */
export interface NotificationRecord {
  principal?: Principal;
  sourceIp?: string;
  outcome: AuditOutcome;
  outcomeDesc?: string;
  access: NotificationAccess;
}

interface Active {
  id: string;
  criteria: Criteria;
  channel: 'rest-hook' | 'websocket';
  rest?: RestHookChannel;
  resource: FhirResource;
}

const LIVE = new Set(['requested', 'active', 'error']);
const MAX_REMEMBERED = 10_000;

export class NotificationService {
  readonly websocket: WebSocketHub;
  private readonly subs = new Map<string, Active>();
  private readonly queues = new Map<string, Promise<void>>();
  /** `subId|Type/id` → versionId last notified: a write that changed nothing notifies once. */
  private readonly notified = new Map<string, string>();
  private unsubscribe: (() => void) | undefined;
  /** Subscription id → the version last taken on (or refused) here: a refresh reconciles only what changed. */
  private readonly seen = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private closed = false;
  private readonly now: () => number;
  private readonly restHooks: RestHookQueue;
  private readonly pings: PingFanout;

  constructor(private readonly o: NotificationOptions) {
    this.now = o.now ?? Date.now;
    this.restHooks = o.shared?.restHooks ?? new InProcessRestHookQueue(o.config, o.sleep);
    this.pings = o.shared?.pings ?? new LocalPingFanout();
    this.websocket = new WebSocketHub({
      canBind: (id, principal) => {
        const sub = this.subs.get(id);
        if (!sub) return { status: 404, reason: 'no active Subscription with this id' };
        // Under --auth smart a socket carries its caller: only the stamped subscriber may bind.
        if (principal && principal.kind !== 'anonymous' && !isSubscriber(sub.resource, principal))
          return { status: 403, reason: 'this Subscription belongs to another subscriber' };
        return sub.channel === 'websocket'
          ? null
          : { status: 400, reason: `the Subscription's channel is ${sub.channel}, not websocket` };
      },
      ...(o.record ? { record: (e: ChannelEvent) => this.recordChannel(e) } : {}),
      onError: (err, what) => o.logger.error({ err }, what),
      now: this.now,
    });
  }

  /** Listens to writes, then picks up the Subscriptions already stored. */
  async start(): Promise<void> {
    this.restHooks.start({ attempt: (job) => this.attempt(job), settled: (job, r) => this.settled(job, r) });
    await this.pings.start((id, about) => void this.serial(id, () => this.ping(id, about)));
    this.unsubscribe = this.o.onWrite((events) => this.onWrite(events));
    const stored = await this.o.fhir.searchAll('Subscription', { status: [...LIVE].join(',') });
    await Promise.all(stored.map((s) => this.serial(s.id!, () => this.reconcile(s))));
    if (this.o.refreshMs) {
      this.refreshTimer = setInterval(() => void this.refresh(), this.o.refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Takes on the live Subscriptions written elsewhere since the last look, drops those gone. */
  async refresh(): Promise<void> {
    if (this.refreshing || this.closed) return;
    this.refreshing = true;
    try {
      const stored = await this.o.fhir.searchAll('Subscription', { status: [...LIVE].join(',') });
      const live = new Set<string>();
      for (const s of stored) {
        live.add(s.id!);
        if (this.seen.get(s.id!) !== versionOf(s)) void this.serial(s.id!, () => this.reconcile(s));
      }
      for (const id of this.subs.keys()) if (!live.has(id)) void this.serial(id, () => this.remove(id));
      for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
    } catch (err) {
      this.o.logger.warn({ err }, 'subscriptions could not be re-read; trying again at the next refresh');
    } finally {
      this.refreshing = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.unsubscribe?.();
    this.websocket.close();
    if (this.o.shared) await this.o.shared.close();
    else await Promise.all([this.restHooks.close(), this.pings.close()]);
  }

  /**
   * Resolves once the work of this instance is done: in process, every notification delivered
   * (or given up); shared, every notification queued and the attempts under way here ended.
   */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()]);
    await this.restHooks.idle();
    while (this.queues.size) await Promise.all([...this.queues.values()]);
  }

  private onWrite(events: WriteEvent[]): void {
    if (this.closed) return;
    for (const e of events) {
      if (e.resourceType === 'Subscription') {
        this.serial(e.id, () => (e.kind === 'delete' || !e.resource ? this.remove(e.id) : this.reconcile(e.resource)));
        continue;
      }
      if (e.kind === 'delete' || !e.resource) continue;
      for (const sub of this.subs.values()) {
        if (sub.criteria.resourceType === e.resourceType) this.serial(sub.id, () => this.notify(sub.id, e.resource!));
      }
    }
  }

  /** Work on one Subscription runs in order (notifications arrive in write order). */
  private serial(id: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(id) ?? Promise.resolve())
      .then(fn)
      .catch((err) => this.o.logger.error({ err, subscription: id }, 'subscription work failed'));
    this.queues.set(id, next);
    void next.then(() => {
      if (this.queues.get(id) === next) this.queues.delete(id);
    });
    return next;
  }

  private async remove(id: string): Promise<void> {
    this.subs.delete(id);
    this.websocket.unbind(id);
  }

  /** A Subscription was written: take it on, or say on the resource why not. */
  private async reconcile(s: FhirResource): Promise<void> {
    const id = s.id!;
    const status = String(s.status);
    if (!LIVE.has(status)) return this.remove(id);
    this.seen.set(id, versionOf(s));
    if (typeof s.end === 'string' && Date.parse(s.end) <= this.now()) {
      await this.remove(id);
      return this.setStatus(id, 'off', undefined);
    }
    const problem = await this.check(s);
    if (typeof problem === 'string') {
      await this.remove(id);
      return this.setStatus(id, 'error', problem);
    }
    this.subs.set(id, problem);
    if (status === 'requested') await this.setStatus(id, 'active', undefined);
  }

  private async check(s: FhirResource): Promise<Active | string> {
    const criteria = parseCriteria(s.criteria);
    if (typeof criteria === 'string') return criteria;
    try {
      // The server's own search says whether the type and parameters are valid.
      await this.o.fhir.search(criteria.resourceType, [...criteria.params, ['_count', '0']]);
    } catch (e) {
      const issue = e instanceof FhirServerError ? e.outcome.issue[0] : undefined;
      return `criteria: ${issue?.diagnostics ?? (e as Error).message}`;
    }
    const channel = (s.channel ?? {}) as { type?: string; endpoint?: string; payload?: string; header?: string[] };
    if (channel.type === 'websocket') return { id: s.id!, criteria, channel: 'websocket', resource: s };
    if (channel.type !== 'rest-hook')
      return `channel.type ${channel.type ?? '(none)'} is not supported (rest-hook, websocket)`;
    if (!channel.endpoint) return 'channel.endpoint is required for rest-hook';
    if (!allowedEndpoint(channel.endpoint, this.o.config.restHookAllowList))
      return 'channel.endpoint is not in the notifications.restHookAllowList of this server';
    if (channel.payload && !/json/i.test(channel.payload))
      return `channel.payload ${channel.payload} is not supported (application/fhir+json, or none)`;
    return {
      id: s.id!,
      criteria,
      channel: 'rest-hook',
      rest: {
        endpoint: channel.endpoint,
        headers: channel.header ?? [],
        ...(channel.payload ? { payload: channel.payload } : {}),
      },
      resource: s,
    };
  }

  private async notify(id: string, resource: FhirResource): Promise<void> {
    const sub = this.subs.get(id);
    if (!sub || this.closed) return;
    const key = `${id}|${resource.resourceType}/${resource.id}`;
    const version = resource.meta?.versionId ?? '';
    if (version && this.notified.get(key) === version) return;
    const match = await this.o.fhir.search(sub.criteria.resourceType, [
      ...sub.criteria.params,
      ['_id', resource.id!],
      ['_count', '1'],
    ]);
    if (!(match.entry ?? []).some((e) => e.search?.mode !== 'include' && e.resource?.id === resource.id)) return;
    if (this.notified.size >= MAX_REMEMBERED) this.notified.clear();
    this.notified.set(key, version);
    // A subscriber is told only of what its authority allows now (type, compartment, scope
    // suffixes): for anything else there is no notification at all, not even an empty one.
    const policy = (await this.o.subscriber?.(sub.resource)) ?? allowAll;
    if ('refused' in policy) {
      this.o.logger.warn(
        { subscription: id, reason: policy.refused },
        'subscriber may no longer receive notifications',
      );
      return this.setStatus(id, 'error', `not notified: ${policy.refused}`);
    }
    const subject = patientOf(resource);
    if (
      !policy.canRead(resource.resourceType) ||
      !policy.canSee(resource) ||
      (subject !== undefined && !policy.canSeePatient(subject))
    )
      return;
    const about = {
      resource: `${resource.resourceType}/${resource.id}`,
      ...(subject ? { patientIds: [subject] } : {}),
    };
    if (sub.channel === 'websocket') return this.pings.publish(id, about);
    const rest = sub.rest!;
    const access: NotificationAccess = {
      kind: 'notification',
      event: 'rest-hook',
      subscriptionId: id,
      ...about,
      endpoint: recordedEndpoint(rest.endpoint),
      payload: !!rest.payload,
    };
    const principal = policy.principal ? { principal: policy.principal } : {};
    try {
      await this.o.record?.({ ...principal, outcome: 'success', access });
    } catch (err) {
      this.o.logger.error({ err, subscription: id }, 'audit record of a rest-hook delivery failed: not sent');
      return;
    }
    const job: RestHookJob = {
      subscriptionId: id,
      subscriptionVersion: versionOf(sub.resource),
      // One notification per Subscription and resource version, whichever instance decides it.
      key: `${id}|${resource.resourceType}/${resource.id}|${version || randomUUID()}`,
      resource,
      ...principal,
      access,
    };
    try {
      await this.restHooks.add(job);
    } catch (err) {
      this.o.logger.error({ err, subscription: id }, 'rest-hook notification could not be queued');
      await this.failed(job, `not queued: ${(err as Error).message}`);
    }
  }

  /** One delivery attempt, on the Subscription as it stands now (gone, off or changed: not sent). */
  private async attempt(job: RestHookJob): Promise<AttemptResult> {
    if (this.closed) return { ok: false, error: 'this instance is stopping' };
    const stored = await this.current(job.subscriptionId);
    if (!stored || !LIVE.has(String(stored.status)))
      return { ok: false, final: true, error: 'the Subscription is no longer active' };
    const now = this.subs.get(job.subscriptionId);
    const active = now && versionOf(now.resource) === versionOf(stored) ? now : await this.check(stored);
    if (typeof active === 'string') return { ok: false, final: true, error: active };
    if (active.channel !== 'rest-hook') return { ok: false, final: true, error: 'the channel is no longer rest-hook' };
    const result = await deliverRestHook(active.rest!, job.resource, {
      ...this.o.config,
      retries: 0,
      idempotencyKey: job.key,
      fetch: this.o.fetch,
    });
    return result.ok ? { ok: true } : { ok: false, error: result.error ?? 'failed' };
  }

  /** A rest-hook job's outcome (once, on the instance that settled it). */
  private async settled(job: RestHookJob, result: DeliveryResult): Promise<void> {
    if (this.closed) return;
    if (result.ok) {
      if (String((await this.current(job.subscriptionId))?.status) === 'error')
        await this.setStatus(job.subscriptionId, 'active', undefined);
      return;
    }
    await this.failed(job, `not delivered after ${result.attempts} attempt(s): ${result.error}`, result.attempts);
  }

  private async failed(job: RestHookJob, why: string, attempts?: number): Promise<void> {
    const id = job.subscriptionId;
    this.o.logger.warn({ subscription: id, attempts, error: why }, 'rest-hook delivery failed');
    await this.o
      .record?.({
        ...(job.principal ? { principal: job.principal } : {}),
        outcome: 'serious',
        outcomeDesc: why,
        access: job.access,
      })
      .catch((err: unknown) =>
        this.o.logger.error({ err, subscription: id }, 'audit record of a failed rest-hook delivery failed'),
      );
    await this.setStatus(
      id,
      'error',
      `rest-hook delivery ${why.replace(/^not delivered/, 'failed')} (${new Date(this.now()).toISOString()})`,
    );
  }

  /** A ping published by any instance, to the clients bound here. */
  private async ping(id: string, about: PingAbout): Promise<void> {
    if (this.closed) return;
    const sent = await this.websocket.ping(id, about);
    if (sent > 0 && String((await this.current(id))?.status) === 'error') await this.setStatus(id, 'active', undefined);
  }

  /** A websocket step as an audit record (open, bind: their status; ping: what it is about). */
  private recordChannel(e: ChannelEvent): Promise<void> {
    const who = { ...(e.principal ? { principal: e.principal } : {}), ...(e.sourceIp ? { sourceIp: e.sourceIp } : {}) };
    if (e.kind === 'ping') {
      const about = (e.about ?? {}) as Pick<NotificationAccess, 'resource' | 'patientIds'>;
      return this.o.record!({
        ...who,
        outcome: 'success',
        access: { kind: 'notification', event: 'websocket-notification', subscriptionId: e.subscriptionId, ...about },
      });
    }
    const outcome = e.status < 400 ? ('success' as const) : { httpStatus: e.status };
    const access: NotificationAccess =
      e.kind === 'open'
        ? { kind: 'notification', event: 'websocket-open' }
        : { kind: 'notification', event: 'websocket-bind', subscriptionId: e.subscriptionId };
    return this.o.record!({ ...who, outcome, ...(e.reason ? { outcomeDesc: e.reason } : {}), access });
  }

  private async current(id: string): Promise<FhirResource | undefined> {
    try {
      return await this.o.fhir.read('Subscription', id);
    } catch {
      return undefined;
    }
  }

  /** Writes status and error on the Subscription when they differ from what is stored. */
  private async setStatus(id: string, status: string, error: string | undefined): Promise<void> {
    if (this.closed) return;
    const stored = await this.current(id);
    if (!stored || (stored.status === status && stored.error === error)) return;
    const { error: _old, ...rest } = stored;
    await this.o.fhir.update({ ...rest, status, ...(error ? { error } : {}) });
    this.o.logger.info({ subscription: id, status }, 'subscription status');
  }
}

const versionOf = (s: FhirResource) => String(s.meta?.versionId ?? '');

/** The endpoint as recorded: scheme, host and path (no query, fragment or credentials). */
function recordedEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** The Patient id a resource is about (subject / patient reference), if any. */
function patientOf(resource: FhirResource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  const ref = ((resource.subject ?? resource.patient) as { reference?: string } | undefined)?.reference;
  return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
}
