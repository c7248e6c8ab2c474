/**
 * Websocket pings across instances with PostgreSQL LISTEN/NOTIFY: publish() is one
 * `pg_notify(channel, payload)`; every instance (the publisher too) holds one connection that
 * LISTENs and hands each payload to its hub. NOTIFY is delivered only to connections listening
 * at commit time: while an instance's listening connection is being re-established (it retries
 * with backoff), its clients miss pings — as a client that reconnects does; R4 websocket clients
 * search for what changed when pinged, so a ping carries no data that only it holds.
 */
import type pg from 'pg';
import type { PingAbout, PingFanout } from '../ping-fanout.js';

interface Log {
  warn(o: object, msg: string): void;
}

/** The default NOTIFY channel (an identifier: letters, digits, underscore). */
export const PING_CHANNEL = 'imagingbridge_subscription_ping';

export class PgPingFanout implements PingFanout {
  private client: pg.PoolClient | undefined;
  private deliver: ((id: string, about: PingAbout) => void) | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Log,
    private readonly channel = PING_CHANNEL,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a NOTIFY channel name: ${channel}`);
  }

  async publish(subscriptionId: string, about: PingAbout): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ id: subscriptionId, about })]);
  }

  /** Resolves once this instance listens (the first time; later reconnections happen in the background). */
  async start(deliver: (subscriptionId: string, about: PingAbout) => void): Promise<void> {
    this.deliver = deliver;
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.release(true);
      if (this.closed) return;
      this.logger.warn({ err }, 'subscription pings: listening connection lost; listening again');
      this.reconnect();
    };
    client.on('notification', (m) => {
      if (m.channel !== this.channel || !m.payload) return;
      try {
        const { id, about } = JSON.parse(m.payload) as { id: string; about: PingAbout };
        this.deliver?.(id, about);
      } catch {
        // Not ours (another writer on the channel): ignored.
      }
    });
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.query(`LISTEN ${this.channel}`);
    } catch (e) {
      client.release(true);
      throw e;
    }
    this.client = client;
    this.failures = 0;
  }

  private reconnect(): void {
    const delay = Math.min(250 * 2 ** this.failures, 10_000);
    this.retry = setTimeout(() => {
      this.listen().catch((err: unknown) => {
        this.failures++;
        if (!this.closed) {
          this.logger.warn({ err }, 'subscription pings: could not listen; trying again');
          this.reconnect();
        }
      });
    }, delay);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      client.release();
    }
  }
}
